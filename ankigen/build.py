"""The whole road: card files -> checked sections -> notes -> one .apkg per section.

Nothing is written until every file has been read and checked, and each deck is
replaced atomically, so a failed or interrupted build leaves `decks/` as it was.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ankigen import changes, output
from ankigen import stamp as stamps
from ankigen.cards import Section
from ankigen.changes import Findings
from ankigen.errors import AnkigenError, Problem, Problems, UsageError
from ankigen.lint import lint
from ankigen.load import load_file
from ankigen.package import Memory, Snapshot, read_package
from ankigen.packer import Packer
from ankigen.validate import COMBINED, Validator, validate

# Any letter case (Windows and macOS folders do not tell `a.YAML` from `a.yaml`). A
# dot file is never a card file: macOS writes `._x.yaml` (AppleDouble) next to `x.yaml`.
CARD_SUFFIXES = (".yaml", ".yml")


def is_card_file(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in CARD_SUFFIXES


# From this much card text on, a second process makes and packs decks (packer.py).
PARALLEL_FROM_BYTES = 4 * 1024 * 1024


@dataclass
class Deck:
    """One .apkg file to write, and how it differs from the one already there."""

    path: Path
    notes: int
    cards: int
    data: bytes | None = None  # None when the deck on disk is known to be current
    snapshot: Snapshot | None = None
    previous: Snapshot | None = None
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0  # notes of this deck that no card makes any more
    written: bool = False


@dataclass
class Result:
    decks: list[Deck]
    warnings: list[str]
    notices: list[str]  # about the previous build, e.g. a deck we could not read
    stamp: stamps.Stamp | None = None  # what to record once the decks are written
    # What the learner must do in Anki after importing (changes.py).
    findings: Findings = field(default_factory=Findings)
    sections: list[str] = field(default_factory=list)  # deck file names the sections make


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
    """Read, check and lint every card file, for `check` and `list`. A build checks in
    `_check_and_pack` instead, so it can pack each file's section before reading the next.
    Raises AnkigenError listing every problem (and, with `strict`, every warning)."""
    problems = Problems()
    # One file at a time: a loaded file, with a location for every value, is several times
    # the size of the cards made from it, and is dropped as soon as they are.
    loaded = ((str(p), load_file(p, str(p), problems)) for p in card_files(cards_dir))
    sections = validate(loaded, problems)
    problems.raise_if_any()
    warnings = sorted([*problems.warnings, *lint(sections)], key=lambda w: w.loc)
    if strict and warnings:
        raise AnkigenError(warnings)
    return sections, warnings


MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z


def clock() -> int:
    """The build's time in seconds: SOURCE_DATE_EPOCH when set (reproducible builds)."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return int(time.time())
    try:
        seconds = int(value)
    except ValueError:
        raise UsageError(
            f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {value!r}"
        ) from None
    # Anki's ids are milliseconds in 64 bits and its dates end with the year 9999.
    if not 0 <= seconds <= MAX_EPOCH:
        raise UsageError(
            f"SOURCE_DATE_EPOCH must be between 0 and {MAX_EPOCH} "
            f"(1970-01-01 to 9999-12-31), got {value!r}"
        )
    return seconds


def _read_previous(out_dir: Path, notices: list[str]) -> dict[Path, Snapshot]:
    previous = {}
    if out_dir.is_dir():
        for path in sorted(out_dir.glob("*.apkg")):
            try:
                previous[path] = read_package(path.read_bytes())
            except (OSError, ValueError) as e:
                notices.append(f"{path}: cannot read the previous build ({e}); it will be replaced")
    return previous


Progress = Callable[[int, int, Path], None]


def plan(
    cards_dir: Path,
    out_dir: Path,
    strict: bool = False,
    combined: bool = False,
    progress: Progress | None = None,
    use_stamp: bool = True,
) -> Result:
    """Everything a build would write, in memory (nothing, if the decks are current and
    `use_stamp` lets the last build's stamp say so)."""
    files = card_files(cards_dir)
    inputs = stamps.inputs(
        cards_dir, files
    )  # before reading: a file changed meanwhile is seen next time
    stamp = stamps.read(out_dir)
    if use_stamp and stamp is not None and stamps.current(stamp, inputs, out_dir, combined):
        return _unchanged(stamp, out_dir, strict)
    # Everything built here is an acyclic tree that lives until the end of the build, so
    # the cyclic garbage collector would only rescan it, again and again (at 100k cards
    # that was more than half of the build's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        result = _plan(files, out_dir, strict, combined, progress)
    finally:
        if collecting:
            gc.enable()
    result.stamp = stamps.Stamp(
        engine=stamps.engine(),
        combined=combined,
        inputs=inputs,
        decks={
            deck.path.name: {
                "sha256": stamps.digest(deck.data or b""),
                "notes": deck.notes,
                "cards": deck.cards,
            }
            for deck in result.decks
        },
        warnings=result.warnings,
        sections=result.sections,
    )
    return result


def _unchanged(stamp: stamps.Stamp, out_dir: Path, strict: bool) -> Result:
    """The result of a build whose inputs, engine and decks are those of the last one."""
    if strict and stamp.warnings:
        raise AnkigenError("\n".join(stamp.warnings))
    decks = [
        Deck(out_dir / name, deck["notes"], deck["cards"], unchanged=deck["notes"])
        for name, deck in stamp.decks.items()
    ]
    made = {*stamp.decks, *stamp.sections, f"{COMBINED}.apkg"}
    notices = [_orphan(path) for path in sorted(out_dir.glob("*.apkg")) if path.name not in made]
    # A build that wrote everything but could not print its report: print it now.
    return Result(decks, list(stamp.warnings), notices, findings=Findings.read(out_dir))


def _plan(
    files: list[Path],
    out_dir: Path,
    strict: bool,
    combined: bool,
    progress: Progress | None,
) -> Result:
    notices: list[str] = []
    previous = _read_previous(out_dir, notices)
    memory = Memory()
    for snapshot in previous.values():
        memory.remember(snapshot)
    # Each file is checked, then packed, before the next is read, so a build holds one
    # section's cards and notes at a time. After the first problem nothing more is
    # packed (nothing will be written), but every file is still checked.
    big = not combined and sum(map(_size, files)) >= PARALLEL_FROM_BYTES
    packer = Packer(memory, clock(), parallel=big and len(files) > 1)
    try:
        return _check_and_pack(
            files, out_dir, strict, combined, progress, previous, memory, packer, notices
        )
    finally:
        packer.close()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone since the folder was listed: reading it says so
        return 0


def _check_and_pack(
    files: list[Path],
    out_dir: Path,
    strict: bool,
    combined: bool,
    progress: Progress | None,
    previous: dict[Path, Snapshot],
    memory: Memory,
    packer: Packer,
    notices: list[str],
) -> Result:
    problems = Problems()
    validator = Validator(problems)
    warnings: list[str] = []
    packing: list[tuple[Path, Callable[[], tuple[bytes, Snapshot]]]] = []
    waiting: list[Section] = []  # for --combined, which packs every section together
    made = {out_dir / f"{COMBINED}.apkg"}
    for done, file in enumerate(files, start=1):
        if progress:
            progress(done, len(files), file)
        section = validator.section(str(file), load_file(file, str(file), problems))
        if section is None:
            continue
        made.add(out_dir / f"{section.id}.apkg")
        changes.check_kinds(section.cards, memory, problems)
        warnings += [
            str(w) for w in sorted([*problems.warnings, *lint([section])], key=lambda w: w.loc)
        ]
        problems.warnings.clear()
        if problems.items or (strict and warnings):
            continue
        if combined:
            waiting.append(section)
            continue
        path = out_dir / f"{section.id}.apkg"
        packing.append((path, packer.pack([(section.deck_header(), list(section.cards))])))
    problems.raise_if_any()
    if strict and warnings:
        raise AnkigenError("\n".join(warnings))
    if combined:
        path = out_dir / f"{COMBINED}.apkg"
        packing.append((path, packer.pack([(s.deck_header(), list(s.cards)) for s in waiting])))
    decks = [_deck(path, *packed(), previous.get(path)) for path, packed in packing]

    built = {deck.path: deck.snapshot for deck in decks if deck.snapshot is not None}
    findings = changes.find(built, previous, memory, out_dir)
    for deck in decks:
        _count_changes(deck, memory, findings)
    notices += [_orphan(path) for path in previous.keys() - made]
    sections = sorted(p.name for p in made if p.name != f"{COMBINED}.apkg")
    return Result(decks, warnings, sorted(notices), findings=findings, sections=sections)


def _orphan(path: Path) -> str:
    return (
        f"{path}: no card file makes this deck (a renamed section, or a deck ankigen did "
        "not make); delete the file: Anki keeps the notes you imported from it"
    )


def _deck(path: Path, data: bytes, snapshot: Snapshot, previous: Snapshot | None) -> Deck:
    return Deck(path, len(snapshot.notes), len(snapshot.cards), data, snapshot, previous)


def _count_changes(deck: Deck, memory: Memory, findings: changes.Findings) -> None:
    assert deck.snapshot is not None
    for guid, row in deck.snapshot.notes.items():
        before = memory.notes.get(guid)
        if before is None:
            deck.added += 1
        elif before.mod == row.mod:
            deck.unchanged += 1
        else:
            deck.changed += 1
    deck.removed = sum(where == str(deck.path) for _, where in findings.removed.values())


def build(
    cards_dir: Path,
    out_dir: Path,
    strict: bool = False,
    combined: bool = False,
    progress: Progress | None = None,
) -> Result:
    result = plan(cards_dir, out_dir, strict, combined, progress)
    if result.stamp is None:  # the decks are current: nothing to write
        return result
    output.prepare(out_dir)
    if result.findings:  # kept until the report is printed: see changes.py
        output.write_atomically(out_dir / changes.PENDING_NAME, result.findings.to_json())
    for deck in result.decks:
        assert deck.data is not None
        if not output.same_bytes(deck.path, deck.data):
            output.write_atomically(deck.path, deck.data)
            deck.written = True
    output.write_atomically(out_dir / stamps.STAMP_NAME, stamps.serialize(result.stamp))
    return result


def reported(out_dir: Path) -> None:
    """The build's findings have reached the user: the next build need not repeat them."""
    try:
        (out_dir / changes.PENDING_NAME).unlink(missing_ok=True)
    except OSError:
        pass  # a read-only folder: the next build says it again, which is harmless


def check(
    cards_dir: Path, out_dir: Path, strict: bool = False, combined: bool = False
) -> tuple[Result, list[str]]:
    """What is stale or missing in `out_dir`, compared as Anki would import it."""
    result = plan(cards_dir, out_dir, strict, combined)
    stale = []
    for deck in result.decks:
        if deck.snapshot is None:  # known current from the last build's stamp
            continue
        if deck.previous is None:
            if not deck.path.exists():  # a damaged deck is in the notices already
                stale.append(f"{deck.path}: missing; run 'ankigen build'")
        elif deck.previous.importable() != deck.snapshot.importable():
            stale.append(
                f"{deck.path}: stale (cards changed since it was built); run 'ankigen build'"
            )
    stale += result.notices
    return result, stale
