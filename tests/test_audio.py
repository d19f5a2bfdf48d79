"""Sound on cards: checked by content, packed under content names, played by Anki with
[sound:...] on the side the card says."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import pytest

from ankigen.package import read_package
from tests.conftest import import_apkg, run


def _wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * 80)
    return buffer.getvalue()


# How each format's files begin (the rest does not matter to the check or to Anki's import).
SOUNDS = {
    "word.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" + bytes(100),
    "bare.mp3": b"\xff\xf3\x90\x00" + bytes(100),  # an MPEG frame, no ID3 tag
    "word.ogg": b"OggS\x00\x02" + bytes(20) + b"\x01vorbis" + bytes(60),
    "word.opus": b"OggS\x00\x02" + bytes(22) + b"OpusHead" + bytes(60),
    "word.m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + bytes(80),
    "word.WAV": _wav(),
}

CARDS = """id: sounds
title: Sounds
deck: "Test::Sounds"
cards:
  - id: s-term
    kind: term
    term: Hund
    meaning: dog
    audio: word.mp3
  - id: s-command
    kind: command
    command: say hello
    meaning: speaks
    audio: [bare.mp3, word.ogg]
    audio_side: front
  - id: s-cloze
    kind: cloze
    prompt: colours
    items: [red, green]
    audio: word.opus
  - id: s-gaps
    kind: gaps
    text: the {{cat}} sat
    audio: word.m4a
    audio_side: front
  - id: s-table
    kind: table
    title: t
    rows: [{key: a, label: A}]
    columns: [{key: b, label: B}]
    cells: {a: {b: x}}
    audio: word.WAV
  - id: s-both
    kind: term
    term: Katze
    meaning: cat
    image: cat.svg
    audio: word.mp3
"""

SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="5"/></svg>\n'


def _project(project: Path) -> None:
    for name, data in SOUNDS.items():
        (project / "cards" / name).write_bytes(data)
    (project / "cards" / "cat.svg").write_text(SVG, encoding="utf-8")
    (project / "cards" / "sounds.yaml").write_text(CARDS, encoding="utf-8")


def _played(col, card_id: str, packed: dict[str, str], *keys: str) -> list[tuple[str, list[str]]]:
    """Per Anki card of the note made from `card_id`: the side and the sound files Anki
    plays there, as the source files' names."""
    by_digest = {digest: name for name, digest in packed.items()}
    names = {packed_name: by_digest[digest] for packed_name, digest in _digests(col).items()}
    (note_id,) = _note_of(col, card_id, *keys)
    played = []
    for card in col.get_note(note_id).cards():
        output = card.render_output()
        for side, tags in (("front", output.question_av_tags), ("back", output.answer_av_tags)):
            played.append((side, [names[tag.filename] for tag in tags]))
    return played


def _digests(col) -> dict[str, str]:
    import hashlib

    media = Path(col.media.dir())
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in media.iterdir()}


def _note_of(col, *ids: str) -> list[int]:
    from ankigen.notes import note_guid

    return [col.db.scalar("select id from notes where guid=?", note_guid(*ids))]


def test_sounds_arrive_and_anki_plays_them_on_the_side_the_card_says(project, collection):
    import hashlib

    _project(project)
    code, _, err = run("build")
    assert (code, err) == (0, "")
    snapshot = read_package((project / "decks" / "sounds.apkg").read_bytes())
    assert sorted(n.rsplit(".", 1)[1] for n in snapshot.media) == sorted(
        ["mp3", "mp3", "ogg", "opus", "m4a", "wav", "svg"]
    )
    import_apkg(collection, project / "decks" / "sounds.apkg")
    source = {name: hashlib.sha256(data).hexdigest() for name, data in SOUNDS.items()}
    source["cat.svg"] = hashlib.sha256(SVG.encode()).hexdigest()

    def played(card_id: str, *keys: str) -> list[tuple[str, list[str]]]:
        return _played(collection, card_id, source, *keys)

    # The answer side by default; `audio_side: front` plays it with the question (Anki
    # does not play the question's sounds again with the answer).
    assert played("s-term") == [("front", []), ("back", ["word.mp3"])]
    assert played("s-command") == [
        ("front", ["bare.mp3", "word.ogg"]), ("back", []),  # command -> meaning
        # The typed card's back repeats its question rather than {{FrontSide}} (Anki's
        # type-in box must not be on it twice), so its question's sounds play again.
        ("front", ["bare.mp3", "word.ogg"]), ("back", ["bare.mp3", "word.ogg"]),
    ]  # fmt: skip
    assert played("s-cloze") == [("front", []), ("back", ["word.opus"])] * 2
    # A cloze's back is the whole text again, not {{FrontSide}}: the sound plays again too.
    assert played("s-gaps") == [("front", ["word.m4a"]), ("back", ["word.m4a"])]
    assert played("s-table", "a", "b") == [("front", []), ("back", ["word.WAV"])]
    # The sound is played and the picture shown, on the same side.
    assert played("s-both") == [("front", []), ("back", ["word.mp3"])]
    (note_id,) = _note_of(collection, "s-both")
    back = collection.get_note(note_id).cards()[0].render_output().answer_text
    assert '<img src="ankigen-' in back and "[anki:play:a:0]" in back


def test_changing_a_sound_updates_the_notes_that_play_it(project, monkeypatch):
    _project(project)
    run("build")
    (project / "cards" / "word.mp3").write_bytes(SOUNDS["word.mp3"] + b"more")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    code, out, _ = run("build")
    assert code == 0
    assert "(written; 0 added, 2 changed, 4 unchanged, 0 removed)" in out


def test_an_oversized_sound_is_refused(project):
    _project(project)
    with (project / "cards" / "word.mp3").open("r+b") as f:
        f.truncate(11 * 1024 * 1024)
    code, _, err = run("build")
    assert code == 1
    assert err == (
        "cards/sounds.yaml:9:12: card 's-term' (term): 'audio': 'word.mp3' "
        "is too large (11,534,336 bytes; the limit is 10,485,760)\n"
        "cards/sounds.yaml:38:12: card 's-both' (term): 'audio': 'word.mp3' "
        "is too large (11,534,336 bytes; the limit is 10,485,760)\n"
    )


@pytest.mark.parametrize("name", [n for n in SOUNDS if n != "bare.mp3"])
def test_a_sound_named_as_another_format_is_refused(project, name):
    _project(project)
    # Every file holds another format's first bytes: each is refused, by its content.
    others = list(SOUNDS.values())
    wrong = others[(list(SOUNDS).index(name) + 2) % len(others)]
    (project / "cards" / name).write_bytes(wrong)
    code, _, err = run("build")
    assert code == 1
    assert f"'{name}' is not a" in err and "(its content does not begin as one)" in err
