"""Life-long numbers for the parts of a note that each make a card (a cloze list's items).

Anki ties a cloze card to its number: the card of `c2` keeps its reviews whatever text `c2`
holds after an update, and a number no longer present leaves a card showing "No cloze 2
found". So an item's number must follow the item, not its position:

- an item whose text is unchanged keeps its number, wherever it moved;
- an edited item keeps the number of the item it replaced: the unmatched items between the
  same two unchanged neighbours are paired in order when their counts agree, and otherwise
  by likeness (at least half their characters in common);
- any other item is new and gets a number never used before in this note, so a removed
  item's number (and its card's history) is never handed to another item.

The numbers and texts are kept in the deck beside the note (the note's `data`), which is
why the decks in `decks/` are the record a build works from.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LIKE_ENOUGH = 0.5
# One encoder for every record: json.dumps makes a new one per call when given options.
_JSON = json.JSONEncoder(ensure_ascii=False)


@dataclass(frozen=True)
class Slots:
    numbers: dict[int, str]  # number -> the item's text, in the order the items were written
    next: int  # the lowest number never used in this note

    def to_data(self) -> str:
        pairs = list(self.numbers.items())
        return _JSON.encode({"slots": pairs, "next": self.next})

    @staticmethod
    def from_data(data: str) -> Slots | None:
        try:
            value = json.loads(data)
            numbers = {int(n): str(text) for n, text in value["slots"]}
            return Slots(numbers, max(int(value["next"]), max(numbers, default=0) + 1))
        except (ValueError, TypeError, KeyError):
            return None


History = Mapping[str, Slots]  # note guid -> what the previous build gave it


def assign(items: Sequence[str], before: Slots | None) -> tuple[list[int], str]:
    """The number of each item, and the record to keep for the next build."""
    if before is None:
        numbers = list(range(1, len(items) + 1))
        return numbers, Slots(dict(zip(numbers, items, strict=True)), len(items) + 1).to_data()
    order = {n: i for i, n in enumerate(before.numbers)}  # where each item was written
    found: list[int | None] = [None] * len(items)
    free = dict(before.numbers)
    by_text: dict[str, list[int]] = {}
    for n, text in free.items():
        by_text.setdefault(text, []).append(n)
    for i, text in enumerate(items):
        if by_text.get(text):
            kept = by_text[text].pop(0)
            found[i] = kept
            del free[kept]
    _pair_edits(items, found, free, order)
    next_number = before.next
    for i, number in enumerate(found):
        if number is None:
            found[i] = next_number
            next_number += 1
    numbers = [n for n in found if n is not None]
    record = Slots(dict(zip(numbers, items, strict=True)), next_number)
    return numbers, record.to_data()


def _pair_edits(
    items: Sequence[str], found: list[int | None], free: dict[int, str], order: dict[int, int]
) -> None:
    """Give edited items the numbers of the items they replaced."""
    start = 0
    while start < len(items):
        if found[start] is not None:
            start += 1
            continue
        end = start
        while end < len(items) and found[end] is None:
            end += 1
        # The unchanged neighbours of this run, and the old items between them.
        before, after = (
            found[start - 1] if start else None,
            found[end] if end < len(items) else None,
        )
        low = order[before] if before is not None else -1
        high = order[after] if after is not None else len(order)
        gap = sorted((n for n in free if low < order[n] < high), key=order.__getitem__)
        run = list(range(start, end))
        if gap and len(gap) == len(run):
            pairs = list(zip(run, gap, strict=True))
        else:
            pairs = _likeliest(items, run, gap or list(free), free)
        for i, number in pairs:
            found[i] = number
            del free[number]
        start = end


def _likeliest(
    items: Sequence[str], run: list[int], candidates: list[int], free: dict[int, str]
) -> list[tuple[int, int]]:
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, items[i], free[n]).ratio(), i, n)
            for i in run
            for n in candidates
        ),
        reverse=True,
    )
    pairs, used_items, used_numbers = [], set(), set()
    for score, i, n in scored:
        if score < LIKE_ENOUGH:
            break
        if i not in used_items and n not in used_numbers:
            pairs.append((i, n))
            used_items.add(i)
            used_numbers.add(n)
    return pairs
