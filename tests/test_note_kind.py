"""`kind: note`: a note type of the user's own, filled field by field with Anki's HTML."""

from __future__ import annotations

from pathlib import Path

from ankigen.kinds.note import EXAMPLE_FILES
from tests.conftest import import_apkg, run
from tests.learner import IMAGE

SECTION = 'id: words\ntitle: Words\ndeck: "Test::Words"\ntags: [biology]\ncards:\n'
CARD = """\
  - id: leaf
    kind: note
    notetype: Vocabulary
    guid: "Lmh+xW7at)"
    fields:
      Word: 葉 &amp; <b>leaf</b>
      Meaning: '<img src="leaf.png"> [sound:leaf.mp3] {{c1::not a cloze}}'
"""


def _project(project: Path, card: str = CARD) -> None:
    for name, text in EXAMPLE_FILES.items():
        (project / "cards" / name).parent.mkdir(parents=True, exist_ok=True)
        (project / "cards" / name).write_text(text, encoding="utf-8")
    (project / "cards" / "words.yaml").write_text(SECTION + card, encoding="utf-8")


def test_fields_arrive_as_written_with_their_media_and_guid(project, collection):
    _project(project)
    (project / "cards" / "media").mkdir()
    (project / "cards" / "media" / "leaf.png").write_bytes(IMAGE)
    (project / "cards" / "media" / "leaf.mp3").write_bytes(b"ID3 sound")
    code, out, err = run("build", "--strict")
    assert (code, err) == (0, "")
    log = import_apkg(collection, project / "decks" / "words.apkg")
    assert len(log.new) == 1
    note = collection.get_note(collection.find_notes("")[0])
    assert note.guid == "Lmh+xW7at)"
    assert note.fields == [
        "葉 &amp; <b>leaf</b>",
        '<img src="leaf.png"> [sound:leaf.mp3] {{c1::not a cloze}}',
    ]
    assert note.tags == ["biology"]  # the section's; no kind::note
    media = Path(collection.media.dir())
    assert (media / "leaf.png").read_bytes() == IMAGE
    assert (media / "leaf.mp3").read_bytes() == b"ID3 sound"


def test_a_missing_media_file_is_a_warning(project):
    _project(project)
    code, _, err = run("build", "--strict")
    assert code == 1
    assert err == (
        "cards/words.yaml:11:7: card 'leaf' (note): 'fields': shows 'leaf.png', which is "
        "missing in cards/media (Anki shows it only where it has the file)\n"
        "cards/words.yaml:11:7: card 'leaf' (note): 'fields': shows 'leaf.mp3', which is "
        "missing in cards/media (Anki shows it only where it has the file)\n"
    )


def test_a_card_that_becomes_a_note_card_under_its_id_is_refused(project):
    _project(project, "  - {id: leaf, kind: term, term: 葉, meaning: leaf}\n")
    assert run("build")[0] == 0
    _project(project, "  - {id: leaf, kind: note, notetype: Vocabulary, fields: {Word: 葉}}\n")
    code, _, err = run("build")
    assert code == 1
    assert err.startswith(
        "cards/words.yaml:6:22: card 'leaf' (note): was a term card in the last build"
    )
