"""Each kind's way back from its notes' fields to the card values they came from."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path

import pytest

from ankigen.cards import Card
from ankigen.kinds import KINDS, Back, generate
from ankigen.notes import Note
from ankigen.scaffold import new_section
from ankigen.sections import load_sections
from ankigen.unmarkup import Unsayable
from tests.conftest import FIXTURES, REPO

DERIVED = {"Reverse", "Typed", "Grid", "FrontImage", "BackImage"}


@functools.cache
def _cards() -> list[Card]:
    # The repository's cards, the fixture, and what `ankigen new` writes: every kind.
    demo = Path(tempfile.mkdtemp(prefix="ankigen-way-back-"))
    new_section(demo, "demo")
    sections = [*load_sections(REPO / "cards")[0], *load_sections(FIXTURES)[0]]
    sections += load_sections(demo)[0]
    shutil.rmtree(demo)
    return [card for section in sections for card in section.cards]


def _field(note: Note, name: str) -> str:
    return note.fields[note.note_type.fields.index(name)]


def test_what_a_build_makes_leads_back_to_the_card_itself() -> None:
    """Every field of every note the real cards make (every kind) maps back to the values
    it came from, unchanged; the fields a build derives are refused, never guessed."""
    seen = set()
    for card in _cards():
        kind = KINDS[card.kind]
        for note in generate([card]):
            for name, html in zip(note.note_type.fields, note.fields, strict=True):
                if name in DERIVED:
                    with pytest.raises(Unsayable, match="is made from"):
                        kind.way_back(card, note, name, html)
                    continue
                for back in kind.way_back(card, note, name, html):
                    assert back.text == back.was, (card.id, name, back)
                    seen.add((card.kind, back.path[0]))
    assert {kind for kind, _ in seen} == set(KINDS)
    assert ("table", "cells") in seen and ("cloze", "items") in seen and ("gaps", "text") in seen


def _card(card_id: str) -> tuple[Card, list[Note]]:
    card = next(c for c in _cards() if c.id == card_id)
    return card, list(generate([card]))


def test_an_edited_meaning_and_note_come_back() -> None:
    card, (note,) = _card("s-vagrant-init")
    kind = KINDS["command"]
    assert kind.way_back(card, note, "Meaning", "<code>Vagrantfile</code> を<b>作る</b>") == [
        Back(("meaning",), "`Vagrantfile` を**作る**", card["meaning"])
    ]
    assert kind.way_back(card, note, "Note", "") == [Back(("note",), None, "<box> は Box 名")]
    assert kind.way_back(card, note, "Hint", "Box") == [Back(("hint",), "Box", None)]
    with pytest.raises(Unsayable, match="a command is shown exactly as typed"):
        kind.way_back(card, note, "Command", "vagrant <b>init</b>")


def test_a_table_cell_comes_back_to_its_row_and_column() -> None:
    card, notes = _card("s-net")
    kind = KINDS["table"]
    # The notes are the cells row by row: the second is nat / host-to-guest.
    note = notes[1]
    assert kind.way_back(card, note, "Value", "設定時のみ") == [
        Back(("cells", "nat", "host-to-guest"), "設定時のみ", "ポートフォワーディング設定時のみ")
    ]
    assert kind.way_back(card, note, "Column", "ホスト → ゲスト")[1] == Back(
        ("columns", 1, "label"), "ホスト → ゲスト", "ホストOS → ゲストOS"
    )


def test_a_cloze_item_comes_back_by_its_number() -> None:
    card, (note,) = _card("s-merits")
    kind = KINDS["cloze"]
    text = _field(note, "Text").replace("{{c2::起動が速い}}", "{{c2::起動が<b>とても</b>速い}}")
    backs = kind.way_back(card, note, "Text", text)
    assert Back(("items", 1), "起動が**とても**速い", "起動が速い") in backs
    assert all(b.text == b.was for b in backs if b.path != ("items", 1))
    added = _field(note, "Text").replace("</ul>", "<li>{{c4::new}}</li></ul>")
    with pytest.raises(Unsayable, match="an item added, removed or moved in Anki"):
        kind.way_back(card, note, "Text", added)


def test_a_gap_and_the_text_around_it_come_back() -> None:
    card = next(c for c in _cards() if c.kind == "gaps" and c["code"])
    (note,) = generate([card])
    kind = KINDS["gaps"]
    text = _field(note, "Text")
    first_gap = next(p for p, gap in card["text"] if gap)
    edited = text.replace(f"::{first_gap}}}}}", "::--edited}}", 1)
    (back, *_) = kind.way_back(card, note, "Text", edited)
    assert back.path == ("text",)
    assert back.text == back.was.replace(f"{{{{{first_gap}}}}}", "{{--edited}}", 1)
    # A space the editor keeps at an end (&nbsp;) goes, as a card's text is stripped.
    (back, *_) = kind.way_back(card, note, "Text", text.replace("</div>", "&nbsp;</div>"))
    assert back.text == back.was
    with pytest.raises(Unsayable, match="would read differently"):  # \{{ is a literal {{
        kind.way_back(card, note, "Text", text.replace("{{c", "\\{{c", 1))
    with pytest.raises(Unsayable, match="a gap added, removed or moved"):
        kind.way_back(card, note, "Text", text.replace("{{c1::", "{{c9::"))


def test_a_derived_field_is_refused_by_name() -> None:
    card, notes = _card("s-net")
    with pytest.raises(Unsayable, match="Grid is made from the table's cells"):
        KINDS["table"].way_back(card, notes[0], "Grid", "<table></table>")
