from __future__ import annotations

from ankigen.cards import Card
from ankigen.kinds import Kind
from ankigen.markup import code_html, text_html
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
from ankigen.schema import Text

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1951678956,
    name="ankigen Command",
    fields=("Command", "Meaning", "Note", *IMAGE_FIELDS),
    templates=(
        Template(
            "Command → Meaning",
            '<div class="command">{{Command}}</div>' + FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Meaning}}</div>'
            + BACK_IMAGE
            + NOTE_BLOCK,
        ),
        # The learner types the command; Anki shows the comparison on the back.
        Template(
            "Meaning → Command",
            '<div class="prompt">{{Meaning}}</div>' + FRONT_IMAGE + "{{type:Command}}",
            '<div class="prompt">{{Meaning}}</div>'
            + FRONT_IMAGE
            + '<hr id="answer">{{type:Command}}'
            + BACK_IMAGE
            + NOTE_BLOCK,
        ),
    ),
)


def generate(card: Card) -> list[Note]:
    fields = (
        code_html(card["command"]),
        text_html(card["meaning"]),
        text_html(card.note or ""),
        *image_fields(card),
    )
    return [Note(note_guid(card.id), NOTE_TYPE, fields, card.tags, media_of(card))]


EXAMPLE = """\
  - id: {section}-vagrant-init
    kind: command
    command: vagrant init <box名>
    meaning: Vagrantfile を作成する
    note: 答えの側に表示される補足
"""

KIND = Kind(
    name="command",
    fields={"command": Text(), "meaning": Text()},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
)
