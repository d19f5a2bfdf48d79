"""Card files, read and checked into sections: the one way a card file is read.

A build checks each file with `check_file` as it goes; `check`, `list` and the other
commands that need every section read them all with `load_sections`.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from ankigen import changes, identity
from ankigen.cards import Section
from ankigen.errors import AnkigenError, Problem, Problems, UsageError
from ankigen.lint import lint
from ankigen.load import load_file
from ankigen.package import Memory
from ankigen.validate import Validator

# Any letter case (Windows and macOS folders do not tell `a.YAML` from `a.yaml`). A
# dot file is never a card file: macOS writes `._x.yaml` (AppleDouble) next to `x.yaml`.
CARD_SUFFIXES = (".yaml", ".yml")


def is_card_file(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in CARD_SUFFIXES


def card_files(cards_dir: Path) -> list[Path]:
    if not cards_dir.exists():
        raise UsageError(f"{cards_dir}: no such folder (give the card folder with --cards)")
    if not cards_dir.is_dir():
        raise UsageError(f"{cards_dir}: is a file, not a folder of card files")
    try:
        files = sorted(p for p in cards_dir.iterdir() if is_card_file(p) and p.is_file())
    except OSError as e:
        raise AnkigenError(f"{cards_dir}: cannot read the folder: {e.strerror}") from None
    if not files:
        raise AnkigenError(f"{cards_dir}: no card files (*.yaml, *.yml) found")
    return files


def load_sections(cards_dir: Path, strict: bool = False) -> tuple[list[Section], list[Problem]]:
    """Read, check and lint every card file, for `check` and `list` (a build checks each
    file the same way, with `check_file`). Raises AnkigenError as `stop_if_wrong` says."""
    problems = Problems()
    validator = Validator(problems, identity.read(cards_dir) or identity.EMPTY)
    sections, warnings = [], []
    # One file at a time: a loaded file, with a location for every value, is several times
    # the size of the cards made from it, and is dropped as soon as they are.
    for file in card_files(cards_dir):
        section, found = check_file(file, validator, problems)
        warnings += found
        if section is not None:
            sections.append(section)
    validator.check_renames()
    stop_if_wrong(problems, warnings, strict)
    return sections, warnings


def check_file(
    file: Path, validator: Validator, problems: Problems, memory: Memory | None = None
) -> tuple[Section | None, list[Problem]]:
    """The one way a card file is read and checked: its section (None if anything in it is
    wrong, recorded in `problems`) and its lint warnings. With the previous build's
    `memory`, a card whose kind changed under the same id is refused too."""
    section, whole = validator.check(str(file), load_file(file, str(file), problems))
    read = list(problems.warnings)  # found while reading (a comment that drops text)
    problems.warnings.clear()
    if section is None:
        return None, read
    # The cards that passed are checked on even when others did not: every problem at once.
    if memory is not None and memory.notes:  # a first build has no kinds to compare with
        changes.check_kinds(section.cards, memory, problems)
    return section if whole else None, sorted([*read, *lint([section])], key=lambda w: w.loc)


def stop_if_wrong(problems: Problems, warnings: Collection[Problem], strict: bool) -> None:
    """The one rule for when a run stops: any error, or with --strict any warning. Every
    problem is shown at once, errors and warnings together, in file order."""
    if not problems.items and not (strict and warnings):
        return
    if strict:  # warnings are errors now
        raise AnkigenError([*problems.items, *warnings])
    lines = [(p.loc, str(p)) for p in problems.items]
    lines += [(w.loc, f"{w} [warning]") for w in warnings]
    raise AnkigenError("\n".join(text for _, text in sorted(lines)))
