"""A list asked one item at a time: one note, one cloze deletion (and card) per item."""

from __future__ import annotations

from ankigen import notes
from ankigen.cards import Card
from ankigen.kinds import Kind
from ankigen.markup import text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.schema import Text, TextList

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1286995044,
    name="ankigen Cloze list",
    fields=("Text", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Cloze",
            "{{cloze:Text}}" + notes.FRONT_IMAGE,
            "{{cloze:Text}}" + notes.FRONT_IMAGE + notes.BACK_IMAGE + notes.NOTE_BLOCK,
        ),
    ),
    cloze=True,
)


def _deletion(number: int, item: str) -> str:
    # "::" inside a deletion would start a hint; an escaped colon renders the same.
    return f"{{{{c{number}::{text_html(item).replace('::', ':&#58;')}}}}}"


def generate(card: Card) -> list[Note]:
    items = "".join(
        f"<li>{_deletion(n, item)}</li>" for n, item in enumerate(card["items"], start=1)
    )
    text = f'<div class="prompt">{text_html(card["prompt"])}</div><ul class="items">{items}</ul>'
    return [notes.note_of(card, NOTE_TYPE, (text, text_html(card.note or "")))]


EXAMPLE = """\
  # cloze: a list asked one item at a time.
  - id: {section}-primary-colours
    kind: cloze
    prompt: The primary colours of light
    items:
      - red
      - green
      - blue
"""

KIND = Kind(
    name="cloze",
    fields={"prompt": Text(), "items": TextList(min_items=2)},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
)
