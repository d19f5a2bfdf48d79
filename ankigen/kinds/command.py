from __future__ import annotations

from ankigen.cards import Card
from ankigen.kinds import Kind
from ankigen.markup import code_html, text_html
from ankigen.notes import Note, NoteType, Template, note_guid
from ankigen.schema import Text

_NOTE = '{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1951678956,
    name="ankigen Command",
    fields=("Command", "Meaning", "Note"),
    templates=(
        Template(
            "Command → Meaning",
            '<div class="command">{{Command}}</div>',
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Meaning}}</div>' + _NOTE,
        ),
        # The learner types the command; Anki shows the comparison on the back.
        Template(
            "Meaning → Command",
            '<div class="prompt">{{Meaning}}</div>{{type:Command}}',
            '<div class="prompt">{{Meaning}}</div><hr id="answer">{{type:Command}}' + _NOTE,
        ),
    ),
)


def generate(card: Card) -> list[Note]:
    fields = (code_html(card["command"]), text_html(card["meaning"]), text_html(card.note or ""))
    return [Note(note_guid(card.id), NOTE_TYPE, fields, card.tags)]


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
