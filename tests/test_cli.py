from __future__ import annotations

import subprocess
import sys

from ankigen import __version__
from tests.conftest import run


def test_version():
    assert run("--version") == (0, f"ankigen {__version__}\n", "")


def test_help_lists_build():
    code, out, _ = run("--help")
    assert code == 0
    assert "build" in out


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
