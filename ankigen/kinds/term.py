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
from ankigen.schema import Flag, Text

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1627393836,
    name="ankigen Term",
    fields=("Term", "Meaning", "Note", "Reverse", *IMAGE_FIELDS),
    templates=(
        Template(
            "Term → Meaning",
            '<div class="prompt">{{Term}}</div>' + FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Meaning}}</div>'
            + BACK_IMAGE
            + NOTE_BLOCK,
        ),
        # Made only for notes whose Reverse field is filled (Anki skips an empty front).
        Template(
            "Meaning → Term",
            '{{#Reverse}}<div class="prompt">{{Meaning}}</div>' + FRONT_IMAGE + "{{/Reverse}}",
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Term}}</div>'
            + BACK_IMAGE
            + NOTE_BLOCK,
        ),
    ),
)


def generate(card: Card) -> list[Note]:
    fields = (
        text_html(card["term"]),
        text_html(card["meaning"]),
        text_html(card.note or ""),
        "y" if card["reverse"] else "",
        *image_fields(card),
    )
    return [Note(note_guid(card.id), NOTE_TYPE, fields, card.tags, media_of(card))]


EXAMPLE = """\
  - id: {section}-hypervisor
    kind: term
    term: ハイパーバイザ
    meaning: 仮想マシンを作成・実行するソフトウェア
    reverse: true  # also ask meaning -> term
"""

KIND = Kind(
    name="term",
    fields={"term": Text(), "meaning": Text(), "reverse": Flag(default=False)},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
)
