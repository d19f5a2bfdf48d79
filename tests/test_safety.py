"""Hostile text stays text in Anki, and no build, killed or concurrent, corrupts a deck."""

from __future__ import annotations

import os
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


# Runs a build whose first write of a deck's bytes (a zip: "PK...") stops halfway, with
# those bytes flushed, and waits there to be killed. It patches os.fdopen, through which
# a deck is written in place (output.Writes), not ankigen's own code.
STALLING_BUILD = r"""
import os, sys, time
from pathlib import Path

midway = Path(sys.argv[1])


class Stalling:
    def __init__(self, file):
        self._file = file

    def write(self, data):
        if bytes(data[:2]) == b"PK":
            self._file.write(data[: len(data) // 2])
            self._file.flush()
            os.fsync(self._file.fileno())
            midway.write_text("writing")
            time.sleep(3600)
        return self._file.write(data)

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._file.__exit__(*exc)


def stalling(real_open):
    def open_(*args, **kwargs):
        file = real_open(*args, **kwargs)
        mode = args[1] if len(args) > 1 else kwargs.get("mode", "r")
        return Stalling(file) if "w" in mode and "b" in mode else file

    return open_


# What a build keeps in its scratch folder on the way (package, build) is written with
# open(): it is not a deck in place, and is not stalled.
os.fdopen = stalling(os.fdopen)
sys.argv = ["ankigen", "build"]
from ankigen.cli import main

main()
"""


def test_a_build_killed_while_writing_a_deck_leaves_the_previous_deck(sample):
    assert run("build")[0] == 0
    deck = sample / "decks" / "sample.apkg"
    old = deck.read_bytes()
    card_file = sample / "cards" / "sample.yaml"
    card_file.write_text(
        card_file.read_text(encoding="utf-8").replace("ゲストOS", "ゲスト"), encoding="utf-8"
    )

    midway = sample / "midway"
    # Its own temporary folder: a killed build leaves its scratch files there, as any
    # killed program does (the system's temporary folder is cleaned by the system).
    scratch = sample / "tmp"
    scratch.mkdir()
    build = subprocess.Popen(
        [sys.executable, "-c", STALLING_BUILD, str(midway)],
        cwd=sample,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000100", "TMPDIR": str(scratch)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        while not midway.exists() and build.poll() is None:
            time.sleep(0.05)
        assert midway.exists(), f"the build never wrote a deck: {build.communicate()[1]!r}"
    finally:
        build.kill()  # TerminateProcess on Windows, SIGKILL elsewhere: no cleanup runs
        build.communicate()

    assert deck.read_bytes() == old  # half a deck was written, and not over this one

    (leftover,) = (sample / "decks").glob(".sample.apkg.*.tmp")
    code, out, _ = run("build")  # the next build finishes the job
    assert code == 0 and "sample.apkg" in out
    assert deck.read_bytes() != old
    read_package(deck.read_bytes())
    # The leftover might be another running build's (another machine, another PID
    # namespace): it is removed once it is old enough to be surely abandoned.
    assert leftover.exists()
    os.utime(leftover, (time.time() - 2 * 3600,) * 2)
    card_file.write_text(
        card_file.read_text(encoding="utf-8").replace("ゲスト", "ゲストOS"), encoding="utf-8"
    )
    run("build")
    assert sorted(p.name for p in (sample / "decks").iterdir()) == [
        ".ankigen-build.json",
        "sample.apkg",
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
