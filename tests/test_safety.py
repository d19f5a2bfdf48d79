"""Hostile text stays text in Anki, and no build, killed or concurrent, corrupts a deck."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ankigen.package import read_package
from tests.conftest import import_apkg, run

HOSTILE = r"""id: hostile
title: Hostile
deck: "Test::Hostile"
cards:
  - id: h-script
    kind: term
    term: "<script>document.body.innerHTML='owned'</script>"
    meaning: "<img src=x onerror=alert(1)>"
    note: "{{FrontSide}} {{c1::x}} [sound:evil.mp3] [latex]\\x[/latex] &amp; <!-- -->"
  - id: h-command
    kind: command
    command: "echo '<iframe src=javascript:alert(1)>' {{Meaning}}"
    meaning: "<a href=javascript:alert(1)>click</a>"
"""


def test_markup_in_cards_renders_as_text_in_anki(project, collection):
    (project / "cards" / "hostile.yaml").write_text(HOSTILE, encoding="utf-8")
    run("build")
    import_apkg(collection, project / "decks" / "hostile.apkg")

    for card_id in collection.find_cards(""):
        rendered = collection.get_card(card_id).render_output()
        for side in (rendered.question_text, rendered.answer_text):
            for tag in ("<script", "<img", "<iframe", "<a ", "<!--"):
                assert tag not in side
        assert rendered.question_av_tags == [] and rendered.answer_av_tags == []

    (term_note,) = collection.find_notes("tag:kind::term")
    answer = collection.get_note(term_note).cards()[0].render_output().answer_text
    assert "&lt;img src=x onerror=alert(1)&gt;" in answer
    assert "&#123;&#123;FrontSide&#125;&#125; &#123;&#123;c1::x&#125;&#125;" in answer
    assert "&#91;sound:evil.mp3&#93;" in answer
    assert "&amp;amp;" in answer


def _big_cards(project: Path, meaning: str) -> None:
    lines = ['id: big\ntitle: Big\ndeck: "Test::Big"\ncards:\n']
    for i in range(4000):
        lines.append(f"  - {{id: c{i}, kind: term, term: 用語{i}, meaning: {meaning}{i}}}\n")
    (project / "cards" / "big.yaml").write_text("".join(lines), encoding="utf-8")


def _start_build(project: Path, epoch: str, stderr: int = subprocess.DEVNULL) -> subprocess.Popen:
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch}
    return subprocess.Popen(
        [sys.executable, "-m", "ankigen", "build"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )


def test_a_killed_build_leaves_the_previous_deck_intact(project):
    _big_cards(project, "古い意味")
    assert run("build")[0] == 0
    deck = project / "decks" / "big.apkg"
    old = deck.read_bytes()
    _big_cards(project, "新しい意味")

    outcomes = set()
    for delay in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6, 0.8, 1.0):
        build = _start_build(project, "1700000100")
        time.sleep(delay)
        build.send_signal(signal.SIGKILL)
        build.wait()
        data = deck.read_bytes()
        read_package(data)  # a whole, readable package, whatever the moment of the kill
        outcomes.add("old" if data == old else "new")
        if data != old:
            deck.write_bytes(old)
    assert "old" in outcomes  # at least the immediate kill came before any write

    assert run("build")[0] == 0  # and the next build cleans up after the killed ones
    assert sorted(p.name for p in (project / "decks").iterdir()) == [
        ".ankigen-build.json",
        "big.apkg",
    ]


def test_two_builds_at_once_end_with_a_valid_deck(project, collection):
    _big_cards(project, "意味")
    builds = [
        _start_build(project, epoch, subprocess.PIPE) for epoch in ("1700000000", "1700000001")
    ]
    errors = [b.communicate()[1] for b in builds]
    assert [b.returncode for b in builds] == [0, 0], errors

    log = import_apkg(collection, project / "decks" / "big.apkg")
    assert len(log.new) == 4000
    assert sorted(p.name for p in (project / "decks").iterdir()) == [
        ".ankigen-build.json",
        "big.apkg",
    ]
