"""The offline investigator, as a package whose imports run one way.

    investigator → report → planner → analysis → evidence → rules
                                   ↘ steps

`steps` (the prompt's structure) and `rules` (the category patterns) import nothing of
ours; each module imports only those to its right. A test checks the direction.
"""

from sre_console.investigate.offline.investigator import OfflineInvestigator

__all__ = ["OfflineInvestigator"]
