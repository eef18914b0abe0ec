"""The investigation loop shared by the chat pane and the headless CLI.

`Investigation` drives a `Model` (Claude through the anthropic SDK, or the offline
investigator) over the MCP host's tools and emits events as it goes.
"""

from sre_console.investigate.events import (
    Approval, Cancelled, Done, Error, Event, Notice, Retry, Started, TextDelta, ToolCallFinished, ToolCallStarted, Usage,
)
from sre_console.investigate.loop import Investigation, InvestigationResult, LoopConfig, ToolCallRecord

__all__ = [
    "Approval", "Cancelled", "Done", "Error", "Event", "Investigation", "InvestigationResult", "LoopConfig",
    "Notice", "Retry", "Started", "TextDelta", "ToolCallFinished", "ToolCallRecord", "ToolCallStarted", "Usage",
]
