"""A command and what it does, asked both ways; the way back is typed in when it can be."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ankigen import notes
from ankigen.cards import Card, Piece, Question
from ankigen.kinds.kind import Back, Derived, Kind
from ankigen.markup import code_html, math_html, text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.slots import History
from ankigen.unmarkup import command_of, text_of
from ankigen.values import Context, Flag, Text

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1542743230,
    name="ankigen Command v2",
    fields=("Command", "Meaning", "Typed", "Hint", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Command → Meaning",
            '<div class="command">{{Command}}</div>' + notes.HINT + notes.FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Meaning}}</div>'
            + notes.BACK_IMAGE
            + notes.NOTE_BLOCK,
        ),
        # Typed in only when Typed is filled: Anki compares it with what the learner types.
        # The command as shown (placeholders and all) follows on the back.
        Template(
            "Meaning → Command",
            '<div class="prompt">{{Meaning}}</div>'
            + notes.FRONT_IMAGE
            + "{{#Typed}}{{type:Typed}}{{/Typed}}",
            '<div class="prompt">{{Meaning}}</div>'
            + notes.FRONT_IMAGE
            + '<hr id="answer">{{#Typed}}{{type:Typed}}{{/Typed}}'
            + '<div class="command">{{Command}}</div>'
            + notes.BACK_IMAGE
            + notes.NOTE_BLOCK,
        ),
    ),
)

# Published in 0.1.0: every card typed the whole command, placeholders included.
RETIRED = (
    NoteType(
        id=1951678956,
        name="ankigen Command",
        fields=("Command", "Meaning", "Note", *notes.IMAGE_FIELDS),
        templates=(Template("Command → Meaning", "", ""), Template("Meaning → Command", "", "")),
    ),
)

# What stands for a value the learner fills in: <name>, [a|b], [OPTIONS], "...". Nobody types
# these, so a typed answer holding one marks every right answer wrong.
PLACEHOLDER = re.compile(r"<[^<>\s]+>|\[[^\[\]]*\|[^\[\]]*\]|\[[A-Z][A-Z_ -]*\]|\.\.\.|…")


def finish(values: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """Settle whether the learner types the command in (the card's `typed`, else its
    section's) and what they type (`typed_answer`: `type`, else the command; None if not
    typed)."""
    flag = values["typed"]
    typed: bool = ctx.section.get("typed", True) if flag is None else flag
    answer = values["type"] or values["command"] if typed else None
    if answer is not None and (found := PLACEHOLDER.search(answer)):
        key = "type" if values["type"] else "command"
        ctx.error(
            ctx.locs.get(key, ctx.loc),
            key,
            f"a typed answer may not hold the placeholder '{found[0]}': nobody types it, so "
            "every right answer would be marked wrong. Add `type:` with exactly what a learner "
            "types (for example the command without its arguments), or `typed: false`",
        )
        return None
    if values["type"] and not typed:
        ctx.error(ctx.locs.get("type", ctx.loc), "type", "is given but the card is not typed")
        return None
    return {**values, "typed": typed, "typed_answer": answer}


def generate(card: Card, _history: History) -> list[Note]:
    fields = {
        "Command": code_html(card["command"]),
        # The command is shown exactly as typed, math or not.
        "Meaning": math_html(text_html(card["meaning"]), card.math),
        "Typed": code_html(card["typed_answer"]) if card["typed"] else "",
    }
    return [notes.note_of(card, NOTE_TYPE, fields)]


def back(card: Card, _made: Note, field: str, field_html: str) -> list[Back]:
    if field == "Command":
        return [Back(("command",), command_of(field_html), card["command"])]
    if field == "Meaning":
        return [Back(("meaning",), text_of(field_html, card["meaning"]), card["meaning"])]
    raise Derived(f"{field} is made from `type` (or `command`); change it in the file")


def texts(card: Card) -> Iterator[Piece]:
    yield Piece("command", "command", card["command"], code=True, answer=True)
    if card["typed"] and card["typed_answer"] != card["command"]:
        yield Piece("type", "type", card["typed_answer"], code=True)
    yield Piece("meaning", "meaning", card["meaning"], answer=True)


def questions(card: Card) -> Iterator[Question]:
    yield Question("command", card["command"], True)
    answer_key = "type" if card.values.get("type") else "command"
    answer = card["typed_answer"] if card["typed"] else card["command"]
    yield Question("meaning", card["meaning"], False, answer, answer_key, card["typed"])


EXAMPLE = """\
  # command: asked both ways; the learner types the command in.
  - id: {section}-git-log
    kind: command
    command: git log --oneline -n <count>
    meaning: show the last commits, one line each
    # What the learner types for the meaning: nobody types a placeholder.
    type: git log --oneline
    note: |-
      A note is shown on the answer side. A fenced block is highlighted:
      ```sh
      git log --oneline -n 3
      ```
"""

KIND = Kind(
    name="command",
    fields={
        "command": Text(),
        "meaning": Text(),
        "type": Text(required=False),
        "typed": Flag(default=None),
    },
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
    texts=texts,
    questions=questions,
    finish=finish,
    retired=RETIRED,
    asks="Command → Meaning; Meaning → Command (typed)",
    code_keys=("command",),
    back=back,
)
