"""A list asked one item at a time: one note, one cloze deletion (and card) per item."""

from __future__ import annotations

from ankigen.cards import Card
from ankigen.kinds import Kind
from ankigen.markup import text_html
from ankigen.notes import (
    BACK_IMAGE,
    FRONT_IMAGE,
    IMAGE_FIELDS,
    NOTE_BLOCK,
    Note,
    NoteType,
    Template,
    image_fields,
    media_of,
    note_guid,
)
from ankigen.schema import Text, TextList

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1286995044,
    name="ankigen Cloze list",
    fields=("Text", "Note", *IMAGE_FIELDS),
    templates=(
        Template(
            "Cloze",
            "{{cloze:Text}}" + FRONT_IMAGE,
            "{{cloze:Text}}" + FRONT_IMAGE + BACK_IMAGE + NOTE_BLOCK,
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
    fields = (text, text_html(card.note or ""), *image_fields(card))
    return [Note(note_guid(card.id), NOTE_TYPE, fields, card.tags, media_of(card))]


EXAMPLE = """\
  - id: {section}-container-merits
    kind: cloze
    prompt: コンテナ型のメリット
    items:
      - 軽量で起動が速い
      - 環境を配布しやすい
"""

KIND = Kind(
    name="cloze",
    fields={"prompt": Text(), "items": TextList(min_items=2)},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
)
