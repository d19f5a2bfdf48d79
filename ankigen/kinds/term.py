from __future__ import annotations

from collections.abc import Iterator

from ankigen import notes
from ankigen.cards import Card, Piece, Question
from ankigen.kinds.kind import Back, Derived, Kind
from ankigen.markup import math_html, text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.slots import History
from ankigen.unmarkup import text_of
from ankigen.values import Flag, Text

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1740111523,
    name="ankigen Term v2",
    fields=("Term", "Meaning", "Hint", "Note", "Reverse", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Term → Meaning",
            '<div class="prompt">{{Term}}</div>' + notes.HINT + notes.FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Meaning}}</div>'
            + notes.BACK_IMAGE
            + notes.NOTE_BLOCK,
        ),
        # Made only for notes whose Reverse field is filled (Anki skips an empty front).
        Template(
            "Meaning → Term",
            '{{#Reverse}}<div class="prompt">{{Meaning}}</div>'
            + notes.FRONT_IMAGE
            + "{{/Reverse}}",
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Term}}</div>'
            + notes.BACK_IMAGE
            + notes.NOTE_BLOCK,
        ),
    ),
)

# Published in 0.1.0, without a Hint field (see CHANGELOG.md).
RETIRED = (
    NoteType(
        id=1627393836,
        name="ankigen Term",
        fields=("Term", "Meaning", "Note", "Reverse", *notes.IMAGE_FIELDS),
        templates=(Template("Term → Meaning", "", ""), Template("Meaning → Term", "", "")),
    ),
)


def generate(card: Card, _history: History) -> list[Note]:
    fields = {
        "Term": math_html(text_html(card["term"]), card.math),
        "Meaning": math_html(text_html(card["meaning"]), card.math),
        "Reverse": "y" if card["reverse"] else "",
    }
    return [notes.note_of(card, NOTE_TYPE, fields)]


def back(card: Card, _made: Note, field: str, field_html: str) -> list[Back]:
    if field in ("Term", "Meaning"):
        key = field.lower()
        return [Back((key,), text_of(field_html, card[key]), card[key])]
    raise Derived(f"{field} is made from `reverse`; change it in the file")


def texts(card: Card) -> Iterator[Piece]:
    yield Piece("term", "term", card["term"], answer=card["reverse"])
    yield Piece("meaning", "meaning", card["meaning"], answer=True)


def questions(card: Card) -> Iterator[Question]:
    yield Question("term", card["term"], False)
    if card["reverse"]:
        yield Question(
            "meaning", card["meaning"], False, card["term"], "term", False, ", or drop 'reverse'"
        )


EXAMPLE = """\
  # term: a term and its meaning.
  - id: {section}-photosynthesis
    kind: term
    term: photosynthesis
    meaning: how plants make **sugar** from light, water and carbon dioxide
    reverse: true  # also ask meaning -> term
"""

KIND = Kind(
    name="term",
    fields={"term": Text(), "meaning": Text(), "reverse": Flag(default=False)},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
    texts=texts,
    questions=questions,
    retired=RETIRED,
    asks="Term → Meaning; Meaning → Term (only if `reverse`)",
    back=back,
)
