"""The error corpus: one bad input per case in tests/errors/<case>/, with the exact
message the user sees in tests/errors/<case>/expected.txt.

A case may hold a case.json: {"exit": 2, "env": {"NAME": "value"}, "args": ["build", "--check"]}
for a case that is a usage error, needs an environment variable or another command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, run

CASES = sorted(p for p in (Path(__file__).parent / "errors").iterdir() if p.is_dir())


def _build_previous_decks(project: Path) -> dict[str, bytes]:
    """A good build first: a bad one afterwards must leave these decks as they are."""
    good = project / "good-cards"
    good.mkdir()
    shutil.copy(FIXTURES / "sample.yaml", good / "sample.yaml")
    assert run("build", "--cards", str(good))[0] == 0
    return {p.name: p.read_bytes() for p in (project / "decks").iterdir()}


def _settings(case: Path) -> dict:
    settings = case / "case.json"
    return json.loads(settings.read_text(encoding="utf-8")) if settings.exists() else {}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_reported_and_nothing_is_written(
    project: Path, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(case)
    before = _build_previous_decks(project)
    shutil.copytree(
        case,
        project / "cards",
        dirs_exist_ok=True,
        ignore=lambda *_: ["expected.txt", "case.json"],
    )
    for name, value in settings.get("env", {}).items():
        monkeypatch.setenv(name, value)

    code, out, err = run(*settings.get("args", ["build"]))

    assert err == (case / "expected.txt").read_text(encoding="utf-8")
    assert code == settings.get("exit", 1)
    assert "Traceback" not in out + err
    # Byte-identical decks and stamp, and no temp file left behind.
    assert {p.name: p.read_bytes() for p in (project / "decks").iterdir()} == before


def test_alias_bomb_is_refused_before_expanding(project: Path) -> None:
    # Nine levels of nine aliases: a billion strings if anything expanded them.
    shutil.copy(Path(__file__).parent / "errors" / "alias-bomb" / "net.yaml", project / "cards")
    code, _, err = run("build")
    assert code == 1
    assert err.count("\n") == 1


def test_utf8_bom_and_crlf_line_endings_are_accepted(project: Path, sample_counts) -> None:
    text = (FIXTURES / "sample.yaml").read_text(encoding="utf-8")
    data = b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")
    (project / "cards" / "sample.yaml").write_bytes(data)
    code, out, err = run("build")
    assert (code, err) == (0, "")
    assert out.startswith(sample_counts.deck_line("decks/sample.apkg") + " (written;")


def test_a_very_large_file_is_refused_unread(project: Path) -> None:
    big = project / "cards" / "big.yaml"
    with big.open("wb") as f:
        f.truncate(33 * 1024 * 1024)
    code, _, err = run("build")
    assert code == 1
    assert err == (
        "cards/big.yaml:1:1: file is too large (34,603,008 bytes; the limit is 33,554,432)\n"
    )


def test_cards_folder_that_does_not_exist_is_a_usage_error(project: Path) -> None:
    code, _, err = run("build", "--cards", "nowhere")
    assert (code, err) == (2, "nowhere: no such folder (give the card folder with --cards)\n")


def test_cards_path_that_is_a_file_is_a_usage_error(project: Path) -> None:
    (project / "notes.yaml").write_text("id: x\n")
    code, _, err = run("build", "--cards", "notes.yaml")
    assert (code, err) == (2, "notes.yaml: is a file, not a folder of card files\n")


def test_empty_cards_folder(project: Path) -> None:
    code, _, err = run("build")
    assert (code, err) == (1, "cards: no card files (*.yaml, *.yml) found\n")


def test_output_folder_that_cannot_be_written(sample: Path) -> None:
    (sample / "decks").write_text("a file where the folder should be")
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == "decks: cannot create the output folder: File exists\n"
    assert sorted(p.name for p in sample.iterdir()) == ["cards", "decks"]


def test_bad_source_date_epoch_is_a_usage_error(sample: Path, monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    code, _, err = run("build")
    assert (code, err) == (
        2,
        "SOURCE_DATE_EPOCH must be a whole number of seconds, got 'yesterday'\n",
    )
