"""A list asked one item at a time: one note, one cloze deletion (and card) per item.

Each item keeps its cloze number for life (see slots.py), so the history of an item's card
stays with that item whatever is inserted, removed, reordered or edited around it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ankigen import notes, slots
from ankigen.cards import Card, Piece, Question
from ankigen.kinds.kind import Back, Derived, Kind
from ankigen.markup import math_html, text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.unmarkup import Unsayable, text_of
from ankigen.values import Context, Text, TextList

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=2068924089,
    name="ankigen Cloze v2",
    fields=("Text", "Hint", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Cloze",
            "{{cloze:Text}}" + notes.HINT + notes.FRONT_IMAGE,
            "{{cloze:Text}}" + notes.FRONT_IMAGE + notes.BACK_IMAGE + notes.NOTE_BLOCK,
        ),
    ),
    cloze=True,
)

# Published in 0.1.0, without a Hint field (see CHANGELOG.md).
RETIRED = (
    NoteType(
        id=1286995044,
        name="ankigen Cloze list",
        fields=("Text", "Note", *notes.IMAGE_FIELDS),
        templates=(Template("Cloze", "", ""),),
        cloze=True,
    ),
)


def deletion(number: int, html: str) -> str:
    # "::" inside a deletion would start a hint; an escaped colon renders the same.
    return f"{{{{c{number}::{html.replace('::', ':&#58;')}}}}}"


def generate(card: Card, history: slots.History) -> list[Note]:
    guid = notes.card_guid(card)
    numbers, record = slots.assign(card["items"], history.get(guid))
    items = "".join(
        f"<li>{deletion(n, math_html(text_html(item), card.math))}</li>"
        for n, item in zip(numbers, card["items"], strict=True)
    )
    prompt = math_html(text_html(card["prompt"]), card.math)
    text = f'<div class="prompt">{prompt}</div><ul class="items">{items}</ul>'
    return [notes.note_of(card, NOTE_TYPE, {"Text": text}, data=record, guid=guid)]


_LIST = re.compile(r'<div class="prompt">(.*)</div><ul class="items">(.*)</ul>', re.S)
_ITEM = re.compile(r"<li>\{\{c(\d+)::(.*?)\}\}</li>", re.S)


def items_of(field_html: str) -> tuple[str, dict[int, str]] | None:
    """A list's prompt and its items by cloze number, as HTML; None if the field is not
    the prompt and a list of deletions, one an item (made by `generate`)."""
    whole = _LIST.fullmatch(field_html)
    if whole is None:
        return None
    prompt, listed = whole.groups()
    items = {int(n): html for n, html in _ITEM.findall(listed)}
    if _ITEM.sub("", listed) or len(items) != len(_ITEM.findall(listed)):
        return None
    return prompt, items


def back(card: Card, made: Note, field: str, field_html: str) -> list[Back]:
    if field != "Text":
        raise Derived(f"{field} is made by the build; change the card file instead")
    made_list, edited = items_of(made.fields[0]), items_of(field_html)
    assert made_list is not None
    if edited is None or edited[1].keys() != made_list[1].keys():
        raise Unsayable(
            "only the prompt and the text of each item come back: an item added, removed or "
            "moved in Anki (or text outside the items) is not; make that change in the file"
        )
    backs = [Back(("prompt",), text_of(edited[0], card["prompt"]), card["prompt"])]
    for i, number in enumerate(made_list[1]):  # in item order, as generate writes them
        was = card["items"][i]
        backs.append(Back(("items", i), text_of(edited[1][number], was), was))
    return backs


def texts(card: Card) -> Iterator[Piece]:
    yield Piece("prompt", "prompt", card["prompt"])
    for i, item in enumerate(card["items"], 1):
        yield Piece(f"items[{i}]", "items", item, answer=True, cloze=True)


def questions(card: Card) -> Iterator[Question]:
    yield Question("prompt", card["prompt"], False)


_ANKI_CLOZE = re.compile(r"\{\{c\d+::")


def mistaken(raw: dict[str, Any], ctx: Context) -> bool:
    """A card written as for Anki's own Cloze note type: a text with {{c1::...}} and no
    'items'. (Items that hold {{c1::...}} are text like any other, shown as written.)"""
    if "items" in raw:
        return False
    for key, value in raw.items():
        if isinstance(value, str) and _ANKI_CLOZE.search(value):
            ctx.error(
                ctx.locs[key],
                key,
                "{{c1::...}} is Anki's cloze syntax; here 'cloze' is a list asked one item at a "
                "time ('prompt' and 'items'). For a text with gaps, use kind: gaps and write "
                "each gap as {{...}}",
            )
            return True
    return False


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
    texts=texts,
    questions=questions,
    retired=RETIRED,
    mistaken=mistaken,
    asks="one per item",
    back=back,
)
