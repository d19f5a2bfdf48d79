"""The decks import and update in place in an older Anki too (issue 24): AnkiDroid and
AnkiMobile lag desktop releases, and many desktops run an older Anki than the pinned one.

The official `anki` 2.1.66 runs in a virtual environment of its own (tests/.cache), made
once; it imports the demo decks, reviews, and imports them again after an edit and a
rebuild: nothing added, the edit in place, every review kept, no note type copied.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run

OLD = "2.1.66"
VENV = REPO / "tests" / ".cache" / f"anki-{OLD}"
PROBE = Path(__file__).parent / "old_anki" / "probe.py"


def _python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


@pytest.fixture(scope="session")
def old_anki() -> Path:
    """The python of a virtual environment holding anki==2.1.66, made once."""
    if not _python().exists() or subprocess.run([_python(), "-c", "import anki"]).returncode:
        made = subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)])
        installed = made.returncode == 0 and (
            subprocess.run(
                [_python(), "-m", "pip", "install", "-q", f"anki=={OLD}"], capture_output=True
            ).returncode
            == 0
        )
        if not installed:
            if os.environ.get("CI"):
                pytest.fail(f"CI must run the test with anki {OLD}: pip install failed")
            pytest.skip(f"anki {OLD} could not be installed (no network?)")
    return _python()


def _probe(python: Path, collection: Path, review: bool, *decks: Path) -> dict:
    args = [python, PROBE, collection, "review" if review else "keep", *decks]
    done = subprocess.run(args, capture_output=True, text=True, encoding="utf-8")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_an_older_anki_updates_the_notes_in_place_and_keeps_reviews(project, monkeypatch, old_anki):
    assert run("new", "demo")[0] == 0
    assert run("build")[0] == 0
    deck = project / "decks" / "demo.apkg"
    collection = project / "old" / "collection.anki2"
    collection.parent.mkdir()
    first = _probe(old_anki, collection, True, deck)
    assert first["imports"][0]["added"] == len(first["fields"]) > 0

    card_file = project / "cards" / "demo.yaml"
    card_file.write_text(card_file.read_text("utf-8").replace("red", "crimson"), "utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    assert run("build")[0] == 0
    again = _probe(old_anki, collection, False, deck)

    assert again["imports"] == [{"added": 0, "updated": 1, "dupes": len(first["fields"]) - 1}]
    assert again["reps"] == first["reps"]  # every card, its reviews
    assert again["note_types"] == first["note_types"]  # no "+" copy of a note type
    changed = [g for g, f in again["fields"].items() if f != first["fields"][g]]
    assert len(changed) == 1 and "crimson" in again["fields"][changed[0]]
