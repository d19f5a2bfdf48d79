"""A sentence or a command with gaps: one note, one cloze deletion (and card) per gap.

A gap is written `{{like this}}`; `\\{{` is a literal `{{` (Go templates in a command).
Gaps keep their cloze numbers for life by their text, like a cloze list's items
(slots.py): editing, adding or removing one gap never moves another gap's history.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ankigen import notes, slots
from ankigen.cards import Card, Piece, Question
from ankigen.kinds import cloze
from ankigen.kinds.kind import Back, Derived, Kind
from ankigen.markup import code_html, math_html, text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.unmarkup import Unsayable, command_of, text_of
from ankigen.values import Context, Flag, Text

_LIST = cloze.NOTE_TYPE.templates[0]

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1408803191,
    name="ankigen Gaps",
    fields=("Text", "Hint", "Note", *notes.IMAGE_FIELDS),
    # Shown as a cloze list is: only the template's name is this note type's own.
    templates=(
        Template("Gap", cloze.NOTE_TYPE.templates[0].front, cloze.NOTE_TYPE.templates[0].back),
    ),
    cloze=True,
)

# Text, then a gap or an escaped brace pair or the end.
_PIECE = re.compile(r"\\\{\{|\{\{(.*?)\}\}|\{\{", re.S)


def split(text: str) -> list[tuple[str, bool]] | str:
    """The text as (piece, is_gap) pairs, or why it cannot be read."""
    pieces: list[tuple[str, bool]] = []
    plain = []
    at = 0
    for match in _PIECE.finditer(text):
        plain.append(text[at : match.start()])
        at = match.end()
        if match[0] == "\\{{":
            plain.append("{{")
        elif match[1] is None:
            return f"a gap opened with '{{{{' at character {match.start() + 1} is never closed"
        elif not match[1].strip():
            return f"the gap at character {match.start() + 1} is empty"
        else:
            pieces.append(("".join(plain), False))
            pieces.append((match[1], True))
            plain = []
    plain.append(text[at:])
    pieces.append(("".join(plain), False))
    if not any(gap for _, gap in pieces):
        return "has no gap: mark each gap as {{gap}} (write \\{{ for a literal {{)"
    return [(piece, gap) for piece, gap in pieces if piece or gap]


def finish(values: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    pieces = split(values["text"])
    if isinstance(pieces, str):
        ctx.error(ctx.locs.get("text", ctx.loc), "text", pieces)
        return None
    return {**values, "text": pieces}


def generate(card: Card, history: slots.History) -> list[Note]:
    guid = notes.card_guid(card)
    pieces: list[tuple[str, bool]] = card["text"]
    numbers, record = slots.assign([p for p, gap in pieces if gap], history.get(guid))
    as_html = code_html if card["code"] else text_html
    numbered = iter(numbers)
    body = "".join(
        cloze.deletion(next(numbered), as_html(piece)) if gap else as_html(piece)
        for piece, gap in pieces
    )
    # Math as a whole, so a formula may hold a gap; a command is shown exactly as typed.
    body = body if card["code"] else math_html(body, card.math)
    text = f'<div class="{"command" if card["code"] else "sentence"}">{body}</div>'
    if card["prompt"]:
        text = f'<div class="prompt">{math_html(text_html(card["prompt"]), card.math)}</div>{text}'
    return [notes.note_of(card, NOTE_TYPE, {"Text": text}, data=record, guid=guid)]


_SHAPE = re.compile(
    r'(?:<div class="prompt">(.*)</div>)?<div class="(?:command|sentence)">(.*)</div>', re.S
)
_GAP = re.compile(r"\{\{c(\d+)::(.*?)\}\}", re.S)


def written(pieces: list[tuple[str, bool]]) -> str:
    """The text as a card file says it: gaps in {{ }}, a literal {{ as \\{{."""
    return "".join(f"{{{{{p}}}}}" if gap else p.replace("{{", "\\{{") for p, gap in pieces)


def _pieces(field_html: str) -> tuple[str | None, list[tuple[str, int | None]]] | None:
    """The prompt's HTML and the text's pieces (HTML, gap number or None)."""
    shape = _SHAPE.fullmatch(field_html)
    if shape is None:
        return None
    prompt, body = shape.groups()
    parts = _GAP.split(body)  # plain, number, gap, plain, ...
    pieces: list[tuple[str, int | None]] = [(parts[0], None)]
    for k in range(1, len(parts), 3):
        pieces += [(parts[k + 1], int(parts[k])), (parts[k + 2], None)]
    return prompt, [(html, n) for html, n in pieces if html or n is not None]


def back(card: Card, made: Note, field: str, field_html: str) -> list[Back]:
    if field != "Text":
        raise Derived(f"{field} is made by the build; change the card file instead")
    made_pieces, edited = _pieces(made.fields[0]), _pieces(field_html)
    assert made_pieces is not None
    if edited is None or [n for _, n in edited[1] if n] != [n for _, n in made_pieces[1] if n]:
        raise Unsayable(
            "only the prompt and the text around and in each gap come back: a gap added, "
            "removed or moved in Anki is not; make that change in the file"
        )
    as_text = command_of if card["code"] else text_of
    pieces = [(as_text(html, strip=False), n is not None) for html, n in edited[1]]
    # The text is stripped as a card's is: so are the ends of its first and last pieces.
    if pieces and not pieces[0][1]:
        pieces[0] = (pieces[0][0].lstrip(), False)
    if pieces and not pieces[-1][1]:
        pieces[-1] = (pieces[-1][0].rstrip(), False)
    new = written(pieces)
    if split(new) != [(p, gap) for p, gap in pieces if p or gap]:
        raise Unsayable("the text would read differently in a card file (a {{ or }} in it)")
    backs = [Back(("text",), new, written(card["text"]))]
    if edited[0] is not None or card["prompt"]:
        prompt = text_of(edited[0] or "", card["prompt"] or "") or None
        backs.append(Back(("prompt",), prompt, card["prompt"]))
    return backs


def texts(card: Card) -> Iterator[Piece]:
    if card["prompt"]:
        yield Piece("prompt", "prompt", card["prompt"])
    pieces: list[tuple[str, bool]] = card["text"]
    yield Piece("text", "text", "".join(p for p, _ in pieces), code=card["code"])
    gaps = [p for p, gap in pieces if gap]
    for i, gap in enumerate(gaps, 1):
        yield Piece("text", "text", gap, code=card["code"], cloze=True, gap=i)


def questions(card: Card) -> Iterator[Question]:
    # Every gap's card shows the rest of the text: the text with its gaps is the question.
    text = "".join("\u2026" if gap else piece for piece, gap in card["text"])
    yield Question("text", f"{card['prompt'] or ''}\n{text}", card["code"])


EXAMPLE = """\
  - id: {section}-git-commit
    kind: gaps
    prompt: Commit every tracked change with a message
    text: git commit {{{{-a}}}} {{{{-m}}}} "fix typo"
    code: true  # shown as a command, exactly as typed
"""

KIND = Kind(
    name="gaps",
    fields={"text": Text(), "prompt": Text(required=False), "code": Flag(default=False)},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
    texts=texts,
    questions=questions,
    asks="one per gap",
    finish=finish,
    code_keys=(),
    back=back,
)
