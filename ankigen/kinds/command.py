from __future__ import annotations

from ankigen import notes
from ankigen.cards import Card
from ankigen.kinds import Kind
from ankigen.markup import code_html, text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.schema import Text

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1951678956,
    name="ankigen Command",
    fields=("Command", "Meaning", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Command → Meaning",
            '<div class="command">{{Command}}</div>' + notes.FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Meaning}}</div>'
            + notes.BACK_IMAGE
            + notes.NOTE_BLOCK,
        ),
        # The learner types the command; Anki shows the comparison on the back.
        Template(
            "Meaning → Command",
            '<div class="prompt">{{Meaning}}</div>' + notes.FRONT_IMAGE + "{{type:Command}}",
            '<div class="prompt">{{Meaning}}</div>'
            + notes.FRONT_IMAGE
            + '<hr id="answer">{{type:Command}}'
            + notes.BACK_IMAGE
            + notes.NOTE_BLOCK,
        ),
    ),
)


def generate(card: Card) -> list[Note]:
    fields = (
        code_html(card["command"]),
        text_html(card["meaning"]),
        text_html(card.note or ""),
    )
    return [notes.note_of(card, NOTE_TYPE, fields)]


EXAMPLE = """\
  # command: asked both ways; the learner types the command in.
  - id: {section}-git-log
    kind: command
    command: git log --oneline -n <count>
    meaning: show the last commits, one line each
    note: |-
      A note is shown on the answer side. A fenced block is highlighted:
      ```sh
      git log --oneline -n 3
      ```
"""

KIND = Kind(
    name="command",
    fields={"command": Text(), "meaning": Text()},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
)
