"""Build hook: ship the repository's `themes/` folder inside the wheel.

Everything else is declared in pyproject.toml. The themes stay a top-level folder
(the one place to edit them); a wheel gets a copy under `sre_console/shipped_themes/`.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithThemes(build_py):
    def run(self) -> None:
        super().run()
        source = Path(__file__).resolve().parent / "themes"
        target = Path(self.build_lib, "sre_console", "shipped_themes")
        target.mkdir(parents=True, exist_ok=True)
        for theme in sorted(source.glob("*.yaml")):
            shutil.copy2(theme, target / theme.name)


setup(cmdclass={"build_py": BuildPyWithThemes})
