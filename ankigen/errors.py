from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple


class Loc(NamedTuple):
    """Where a value was written: 1-based line and column, as editors count them.

    A tuple, not a dataclass: problems sort by it (file, then line, then column), and the
    loader makes one straight from a parser mark whenever a location is asked for."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class LazyLoc:
    """A location not worked out yet: the parser's mark, made a Loc only when a message
    needs one (a validation looks at every value; almost none is ever reported)."""

    __slots__ = ("path", "mark")

    def __init__(self, path: str, mark: Any) -> None:
        self.path = path
        self.mark = mark

    def resolve(self) -> Loc:
        return Loc(self.path, self.mark.line + 1, self.mark.column + 1)

    def __str__(self) -> str:
        return str(self.resolve())


Where = Loc | LazyLoc


# Slots, not frozen: a frozen dataclass sets each field through object.__setattr__, and a
# tree of 100k cards can have a hundred thousand warnings (each without a __dict__, too).
@dataclass(slots=True)
class Problem:
    loc: Loc
    message: str

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}"


class AnkigenError(Exception):
    """A user's mistake (bad input, bad usage): reported cleanly, never as a traceback."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            self.text = problems
        else:
            self.text = "\n".join(str(p) for p in sorted(problems, key=lambda p: p.loc))
        super().__init__(self.text)


class UsageError(AnkigenError):
    """The command was called wrongly (a missing folder, a bad option value)."""

    exit_code = 2


class Problems:
    """Collects every problem of a run so the user sees all of them at once."""

    def __init__(self) -> None:
        self.items: list[Problem] = []
        self.warnings: list[Problem] = []  # found while reading; shown with the lint's

    def warn(self, loc: Where, message: str) -> None:
        self.warnings.append(Problem(loc.resolve() if isinstance(loc, LazyLoc) else loc, message))

    def add(self, loc: Where, message: str) -> None:
        self.items.append(Problem(loc.resolve() if isinstance(loc, LazyLoc) else loc, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise AnkigenError(self.items)
