"""YAML values that remember where they were written: the loader's mappings and lists.

Card files are read into these (ankigen.load), so that every message about a value can
say `path:line:col`.
"""

from __future__ import annotations

from collections import abc
from collections.abc import Iterator
from typing import Any

from ankigen.errors import LazyLoc, Loc


def loc_of(path: str, mark: Any, _new: Any = tuple.__new__) -> Loc:
    # tuple.__new__ directly: a NamedTuple's own __new__ is a Python-level wrapper.
    return _new(Loc, (path, mark.line + 1, mark.column + 1))


# The parser's marks are kept and turned into a Loc only when a message needs one: a
# card file has a location for every value, and almost none is ever printed. (Slots: a
# card file makes three of these objects for every mapping it holds.)
class _MarkLocs(abc.Mapping[str, Loc]):
    __slots__ = ("path", "marks")

    def __init__(self, path: str) -> None:
        self.path = path
        self.marks: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Loc:
        return loc_of(self.path, self.marks[key])

    def get(self, key: str, default: Any = None) -> Any:
        mark = self.marks.get(key)
        return default if mark is None else loc_of(self.path, mark)

    def lazy(self, key: str) -> LazyLoc:
        return LazyLoc(self.path, self.marks[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.marks)

    def __len__(self) -> int:
        return len(self.marks)


class _MarkLocList(abc.Sequence[Loc]):
    __slots__ = ("path", "marks")

    def __init__(self, path: str) -> None:
        self.path = path
        self.marks: list[Any] = []

    def __getitem__(self, index: int) -> Loc:  # type: ignore[override]
        return loc_of(self.path, self.marks[index])

    def __iter__(self) -> Iterator[Loc]:
        path = self.path
        return (loc_of(path, mark) for mark in self.marks)

    def __len__(self) -> int:
        return len(self.marks)


class Mapping(dict[str, Any]):
    """A YAML mapping with the location of itself, its keys and its values."""

    __slots__ = ("_mark", "key_locs", "value_locs")

    def __init__(self, path: str, mark: Any) -> None:
        self._mark = mark
        self.key_locs = _MarkLocs(path)
        self.value_locs = _MarkLocs(path)

    @property
    def loc(self) -> Loc:
        return loc_of(self.key_locs.path, self._mark)


class Sequence(list[Any]):
    """A YAML sequence with the location of itself and of each item."""

    __slots__ = ("_mark", "item_locs")

    def __init__(self, path: str, mark: Any) -> None:
        self._mark = mark
        self.item_locs = _MarkLocList(path)

    @property
    def loc(self) -> Loc:
        return loc_of(self.item_locs.path, self._mark)
