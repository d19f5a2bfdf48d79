"""Validated card files: what the loader read, checked and typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ankigen.errors import Loc
from ankigen.media import Media


@dataclass(frozen=True, slots=True)
class Card:
    id: str
    kind: str
    values: dict[str, Any]  # the kind's own keys, checked
    note: str | None
    hint: str | None
    image: Media | None
    image_side: str  # "back" or "front"
    tags: tuple[str, ...]  # section tags + kind tag + the card's own
    loc: Loc
    value_locs: Mapping[str, Loc] = field(repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    deck: str
    cards: tuple[Card, ...]
    path: str
    value_locs: Mapping[str, Loc] = field(default_factory=dict, repr=False)
