"""Warnings for text that was probably damaged on its way from a web page."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run

CARD = """id: lint
title: Lint
deck: "Test::Lint"
cards:
  - id: l1
    kind: command
    command: {command}
    meaning: {meaning}
    typed: false
"""


def _write(project: Path, command: str, meaning: str = "コンテナに名前をつける") -> None:
    (project / "cards" / "lint.yaml").write_text(
        CARD.format(command=command, meaning=meaning), encoding="utf-8"
    )


def test_en_dash_in_a_command_is_a_warning_and_the_deck_is_still_built(project):
    _write(project, "docker run –name web nginx")
    code, out, err = run("build")
    assert code == 0
    assert err == (
        "cards/lint.yaml:7:14: card 'l1' (command): 'command': command "
        "'docker run –name web nginx' contains an en dash (–); options take '-' or '--' [warning]\n"
    )
    assert out.startswith("decks/lint.apkg: 1 notes")


def test_strict_makes_warnings_errors_and_writes_nothing(project):
    _write(project, "docker ps –filter “status=exited”")
    code, out, err = run("build", "--strict")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "cards/lint.yaml:7:14: card 'l1' (command): 'command': command "
        "'docker ps –filter “status=exited”' contains an en dash (–); options take '-' or '--'",
        "cards/lint.yaml:7:14: card 'l1' (command): 'command': command "
        "'docker ps –filter “status=exited”' contains a curly quote (“); use a straight quote (\")",
        "cards/lint.yaml:7:14: card 'l1' (command): 'command': command "
        "'docker ps –filter “status=exited”' contains a curly quote (”); use a straight quote (\")",
    ]
    assert not (project / "decks").exists()


def test_full_width_space_and_em_dash_in_inline_code(project):
    _write(project, "docker\u3000ps", meaning='"`docker ps —all` と同じ"')
    _, _, err = run("build")
    assert err.splitlines() == [
        "cards/lint.yaml:7:14: card 'l1' (command): 'command': command "
        "'docker\u3000ps' contains a full-width space; use an ASCII space [warning]",
        "cards/lint.yaml:8:14: card 'l1' (command): 'meaning': command "
        "'docker ps —all' contains an em dash (—); options take '-' or '--' [warning]",
    ]


def test_text_that_looks_like_html_is_a_warning_but_placeholders_are_not(project):
    _write(project, "vagrant init <box>", meaning="Vagrantfile を<b>作る</b>")
    _, _, err = run("build")
    assert err == (
        "cards/lint.yaml:8:14: card 'l1' (command): 'meaning': looks like HTML; "
        "card text is plain text and is shown as written [warning]\n"
    )
