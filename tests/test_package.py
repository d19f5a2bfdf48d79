"""What a package holds and what a build reads back from one: a deck changes when what a
learner's Anki would take from it changes, and only then."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from ankigen.notes import note_guid
from ankigen.package import Memory, read_package
from tests.conftest import import_apkg, run

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="{w}"/></svg>\n'

PICTURE = """id: s
title: S
deck: "Test::S"
cards:
  - id: t
    kind: term
    term: 図
    meaning: 絵
    image: layers.svg
"""

TERM = """id: s
title: S
deck: "{deck}"
cards:
  - id: t
    kind: term
    term: {term}
    meaning: 仮想マシンを動かすソフトウェア
"""


def _build(monkeypatch, epoch: int, *args: str) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    code, out, err = run("build", *args)
    assert code == 0, err
    return out


def test_an_image_rewritten_at_the_same_size_changes_the_deck(project, collection, monkeypatch):
    image = project / "cards" / "layers.svg"
    image.write_text(SVG.format(w=10), encoding="utf-8")
    (project / "cards" / "s.yaml").write_text(PICTURE, encoding="utf-8")
    _build(monkeypatch, 1700000000)
    deck = project / "decks" / "s.apkg"
    first = deck.read_bytes()
    size, mtime = image.stat().st_size, image.stat().st_mtime_ns

    image.write_text(SVG.format(w=20), encoding="utf-8")
    os.utime(image, ns=(mtime + 10**9, mtime + 10**9))  # as any editor leaves it
    assert image.stat().st_size == size
    code, out, _ = run("build", "--check")
    assert code == 1 and "s.apkg: stale" in out
    _build(monkeypatch, 1700000100)

    assert deck.read_bytes() != first
    # The note names the new file, so a learner's Anki updates the note it has.
    guid = note_guid("t")
    assert (
        read_package(first).notes[guid].content
        != read_package(deck.read_bytes()).notes[guid].content
    )
    import_apkg(collection, deck)
    (note_id,) = collection.find_notes("")
    answer = collection.get_note(note_id).cards()[0].answer()
    (file,) = Path(collection.media.dir()).glob("*.svg")
    assert file.name in answer
    assert file.read_bytes() == image.read_bytes()


def test_check_sees_a_media_file_changed_at_the_same_size_inside_a_deck(project):
    (project / "cards" / "layers.svg").write_text(SVG.format(w=10), encoding="utf-8")
    (project / "cards" / "s.yaml").write_text(PICTURE, encoding="utf-8")
    assert run("build")[0] == 0
    deck = project / "decks" / "s.apkg"
    with zipfile.ZipFile(deck) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    assert entries["0"] == SVG.format(w=10).encode()
    entries["0"] = SVG.format(w=20).encode()  # same name, same size, other bytes
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    deck.write_bytes(buffer.getvalue())
    (project / "decks" / ".ankigen-stamp.json").unlink(missing_ok=True)

    code, out, _ = run("build", "--check")
    assert code == 1 and "s.apkg: stale" in out


def test_the_newest_copy_of_a_note_wins_over_an_older_deck(project, monkeypatch):
    (project / "cards" / "s.yaml").write_text(TERM.format(deck="Test::S", term="a"), "utf-8")
    _build(monkeypatch, 1700000000)
    (project / "cards" / "s.yaml").write_text(TERM.format(deck="Test::S", term="b"), "utf-8")
    _build(monkeypatch, 1700000100, "--combined")
    older = read_package((project / "decks" / "s.apkg").read_bytes())
    newer = read_package((project / "decks" / "combined.apkg").read_bytes())
    guid = note_guid("t")
    assert older.notes[guid].mod < newer.notes[guid].mod
    assert older.notes[guid].content != newer.notes[guid].content

    for decks in ([older, newer], [newer, older]):
        memory = Memory()
        for snapshot in decks:
            memory.remember(snapshot)
        assert memory.notes[guid] == newer.notes[guid]
        assert memory.note_decks[guid] == newer.note_decks[guid]


def test_a_deck_renamed_only_in_letter_case_moves_no_card(project, collection, monkeypatch):
    (project / "cards" / "s.yaml").write_text(TERM.format(deck="Test::Net", term="a"), "utf-8")
    _build(monkeypatch, 1700000000)
    import_apkg(collection, project / "decks" / "s.apkg")

    (project / "cards" / "s.yaml").write_text(TERM.format(deck="Test::NET", term="a"), "utf-8")
    out = _build(monkeypatch, 1700000100)
    import_apkg(collection, project / "decks" / "s.apkg")

    assert "moved to deck" not in out and "Change Deck" not in out
    # What the report leaves unsaid is true: Anki took the deck for the one it has.
    (card_id,) = collection.find_cards("")
    assert collection.decks.name(collection.get_card(card_id).did) == "Test::Net"
