from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from ankigen import __version__
from tests.conftest import REPO, run


def test_version():
    assert run("--version") == (0, f"ankigen {__version__}\n", "")
    assert run("-V") == (0, f"ankigen {__version__}\n", "")


def test_help_lists_build():
    code, out, _ = run("--help")
    assert code == 0
    assert "build" in out


COMMANDS = ["build", "check", "list", "schema", "preview", "new"]


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_takes_dash_h_and_shows_flags_without_a_type(command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = run(*command, "-h")
    assert code == 0
    assert out == run(*command, "--help")[1]
    assert "Usage: " in out and "-h" in out
    # A flag takes no value: a `<bool>` or BOOLEAN after it reads as if it did.
    assert "bool" not in out.lower()
    if command == ["build"]:
        assert re.search(r"--check +Write nothing", out)


def test_preview_without_anki_names_an_install_command_that_works_from_a_clone(sample, monkeypatch):
    monkeypatch.setitem(sys.modules, "anki.collection", None)  # as if anki were not installed
    code, _, err = run("preview")
    assert code == 1
    assert err == (
        "ankigen preview renders cards with the official anki package: "
        "pip install anki==26.9.3 (or, in your clone of ankigen: pip install '.[preview]')\n"
    )
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["optional-dependencies"]["preview"] == ["anki==26.9.3"]


def test_unknown_option_is_a_usage_error():
    code, _, err = run("build", "--nope")
    assert code == 2
    assert "No such option: --nope" in err


def test_python_dash_m_runs_the_same_cli(sample, sample_counts):
    result = subprocess.run(
        [sys.executable, "-m", "ankigen", "build"], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(f"{sample_counts.deck_line('decks/sample.apkg')} (written;")
