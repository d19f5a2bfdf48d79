"""The suite says what it runs: what a plain `pytest` leaves out is asked for by name, and
CONTRIBUTING's walk-through matches the registry it walks through."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from ankigen.kinds import MODULES
from tests.conftest import REPO

SCREENSHOTS = "tests/test_browser.py::test_screenshots_for_a_person_to_look_at"


def _collected(*args: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--collect-only", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_screenshot_generator_runs_only_when_asked() -> None:
    default = _collected("tests/test_browser.py")
    asked = _collected("-m", "screenshots", "tests/test_browser.py")
    assert asked == [SCREENSHOTS]
    assert SCREENSHOTS not in default
    assert default  # every other browser test still runs by default


def test_contributing_registers_its_example_kind_after_every_kind_there_is() -> None:
    """The walk-through's `MODULES` line is the registry's with `qa` added: pasted as shown,
    it must not drop a kind (and once `qa` is registered, as the walk-through does, this
    test still passes: the walk-through counts the tests that fail)."""
    text = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    shown = re.search(r"^MODULES = (\(.*\))$", text, re.M)
    assert shown, "CONTRIBUTING.md shows no MODULES line"
    modules = ast.literal_eval(shown[1])
    assert modules[-1] == "qa"
    assert [m for m in modules if m != "qa"] == [m for m in MODULES if m != "qa"]


def test_no_kind_module_imports_the_registry_that_imports_it() -> None:
    """`ankigen.kinds` imports every kind module to build KINDS: a kind module that took a
    name from it would run against a half-made package. `Kind` lives in kinds/kind.py."""
    import ankigen.kinds

    folder = Path(ankigen.kinds.__file__).parent
    for module in sorted(folder.glob("*.py")):
        if module.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "ankigen.kinds":
                names = {alias.name for alias in node.names}
                assert names <= set(MODULES), f"{module.name} imports {names} from ankigen.kinds"
