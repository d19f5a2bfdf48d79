"""The whole road: card files -> checked sections -> notes -> one .apkg per section.

Nothing is written until every file has been read and checked, and each deck is
replaced atomically, so a failed or interrupted build leaves `decks/` as it was.

A card file the last build's stamp says is current (stamp.py) is not read again and its
deck is not made or read back: what the rest of the build needs of it (its ids and deck
name, its warnings, its deck's highest id and note types) comes from the stamp. So a
rebuild after editing one card reads, checks and packs one section, and gives the same
bytes as a build that reads everything (a test holds them equal).
"""

from __future__ import annotations

import gc
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen import changes, output
from ankigen import stamp as stamps
from ankigen.cards import Card, DeckHeader, Section
from ankigen.changes import Findings
from ankigen.errors import AnkigenError, Loc, Problem, Problems, UsageError
from ankigen.kinds import generate
from ankigen.lint import lint
from ankigen.load import load_file
from ankigen.package import IdAllocator, Memory, Snapshot, build_package, read_package
from ankigen.validate import COMBINED, Validator

# Any letter case (Windows and macOS folders do not tell `a.YAML` from `a.yaml`). A
# dot file is never a card file: macOS writes `._x.yaml` (AppleDouble) next to `x.yaml`.
CARD_SUFFIXES = (".yaml", ".yml")


def is_card_file(path: Path) -> bool:
    return not path.name.startswith(".") and path.suffix.lower() in CARD_SUFFIXES


@dataclass
class Deck:
    """One .apkg file to write, and how it differs from the one already there."""

    path: Path
    notes: int
    cards: int
    # The new deck, kept in the run's scratch folder until it is written (a build of 100k
    # cards held 20-30 MB of decks); None when the deck on disk is known to be current.
    file: Path | None = None
    sha256: str = ""  # of the new deck's bytes
    snapshot: Snapshot | None = None  # what the rest of the build needs of the new deck
    # How the deck on disk compares, as Anki would import it: None if there is none (or
    # it could not be read), else whether it imports the same as the new one.
    same_import: bool | None = None
    max_id: int = 0  # the highest note or card id in the new deck
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0  # notes of this deck that no card makes any more
    written: bool = False

    def read(self) -> bytes:
        assert self.file is not None, "a current deck is not made again"
        return self.file.read_bytes()


@dataclass
class Result:
    decks: list[Deck]
    warnings: Warnings
    notices: list[str]  # about the previous build, e.g. a deck we could not read
    stamp: stamps.Stamp | None = None  # what to record once the decks are written
    # Holds the new decks (Deck.file): removed by `close`, or when the Result is collected.
    scratch: tempfile.TemporaryDirectory[str] | None = None
    # What the learner must do in Anki after importing (changes.py).
    findings: Findings = field(default_factory=Findings)

    def close(self) -> None:
        """The new decks are written (or not needed): their scratch copies go."""
        if self.scratch is not None:
            self.scratch.cleanup()


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
    validator = Validator(problems)
    sections, warnings = [], []
    # One file at a time: a loaded file, with a location for every value, is several times
    # the size of the cards made from it, and is dropped as soon as they are.
    for file in card_files(cards_dir):
        section, found = check_file(file, validator, problems)
        warnings += found
        if section is not None:
            sections.append(section)
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


def _read_previous(
    out_dir: Path, notices: list[str], skip: set[Path]
) -> Iterator[tuple[Path, Snapshot]]:
    """The previous decks, one at a time: the caller keeps what it needs of each before
    the next is read (after an upgrade, every deck of a 100k-card tree is read back)."""
    if out_dir.is_dir():
        for path in sorted(out_dir.glob("*.apkg")):
            if path in skip:
                continue
            try:
                snapshot = read_package(path.read_bytes())
            except (OSError, ValueError) as e:
                notices.append(f"{path}: cannot read the previous build ({e}); it will be replaced")
                continue
            yield path, snapshot


Progress = Callable[[int, int, Path], None]
Record = dict[str, Any]  # a card file's entry in the stamp (stamp.Stamp.sections)


def plan(
    cards_dir: Path,
    out_dir: Path,
    strict: bool = False,
    combined: bool = False,
    progress: Progress | None = None,
    use_stamp: bool = True,
) -> Result:
    """Everything a build would write, in memory. With `use_stamp`, a card file the last
    build's stamp says is current is not read: its deck is left as it is (no data)."""
    files = card_files(cards_dir)
    # Before reading: a file changed meanwhile is seen by the next build.
    inputs = stamps.inputs(cards_dir, files)
    keys = {file: file.relative_to(cards_dir).as_posix() for file in files}
    last = stamps.read(out_dir) if use_stamp else None
    current = _current(last, inputs, keys, out_dir, combined)
    if last is not None and len(current) == len(files) == len(last.sections):
        return _unchanged(last, files, keys, out_dir, strict)
    # Everything built here is an acyclic tree that lives until the end of the build, so
    # the cyclic garbage collector would only rescan it, again and again (at 100k cards
    # that was more than half of the build's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _build(files, keys, inputs, current, last, out_dir, strict, combined, progress)
    finally:
        if collecting:
            gc.enable()


def _current(
    last: stamps.Stamp | None,
    inputs: dict[str, str],
    keys: dict[Path, str],
    out_dir: Path,
    combined: bool,
) -> dict[str, Record]:
    """The card files whose deck is current, by their key: the stamp was written by this
    engine, for the same mode; the file and every non-card file (images) are as the stamp
    recorded them; and the deck on disk is the one recorded. The one rule for a current
    deck, for build, --check and the stamp alike."""
    if last is None or last.engine != stamps.engine() or last.combined != combined:
        return {}
    # A report not yet printed: the full comparison finds it again, as far as it is true.
    if (out_dir / changes.PENDING_NAME).exists():
        return {}
    card_keys = set(keys.values())
    others = {k: v for k, v in inputs.items() if k not in card_keys}
    if others != {k: v for k, v in last.inputs.items() if k not in last.sections}:
        return {}
    found = {
        key: record
        for key, record in last.sections.items()
        if key in card_keys and last.inputs.get(key) == inputs[key]
    }
    if combined:  # one deck holds every section: all of them are current, or none
        name = f"{COMBINED}.apkg"
        whole = len(found) == len(keys) == len(last.sections) and name in last.decks
        return found if whole and stamps.deck_is_current(out_dir, name, last.decks[name]) else {}
    return {
        key: record
        for key, record in found.items()
        if record["deck"] in last.decks
        and all(t in last.note_types for t in last.decks[record["deck"]]["note_types"])
        and stamps.deck_is_current(out_dir, record["deck"], last.decks[record["deck"]])
    }


def _unchanged(
    last: stamps.Stamp, files: list[Path], keys: dict[Path, str], out_dir: Path, strict: bool
) -> Result:
    """The result of a build whose inputs, engine and decks are those of the last one."""
    warnings = Warnings()
    for file in files:
        warnings.add(file, last.sections[keys[file]]["warnings"])
    stop_if_wrong(Problems(), warnings, strict)
    decks = [
        Deck(out_dir / name, deck["notes"], deck["cards"], unchanged=deck["notes"])
        for name, deck in last.decks.items()
    ]
    made = {*last.decks, *(r["deck"] for r in last.sections.values()), f"{COMBINED}.apkg"}
    notices = [_orphan(path) for path in sorted(out_dir.glob("*.apkg")) if path.name not in made]
    return Result(decks, warnings, notices)


class Warnings(Collection[Problem]):
    """A run's warnings, file by file, as the stamp records them (`_warnings_text`), made
    into problems one file at a time when they are shown. A tree of 100k cards can have a
    hundred thousand warnings: held once, as the record's text, not as problems too."""

    def __init__(self) -> None:
        self._files: list[tuple[Path, str]] = []
        self._count = 0

    def add(self, file: Path, text: str) -> None:
        if text:
            self._files.append((file, text))
            self._count += text.count("\n") + 1

    def __len__(self) -> int:
        return self._count

    def __contains__(self, item: object) -> bool:
        return any(item == w for w in self)

    def _entries(self) -> Iterator[tuple[str, str, str, str]]:
        # (path, line, col, message) as the text holds them, the path filled in.
        for file, text in self._files:
            display = str(file)
            for entry in text.split("\n"):
                line, col, path, message = entry.split("\t")
                yield stamps.unescape(path) or display, line, col, stamps.unescape(message)

    def lines(self) -> Iterator[str]:
        """Each warning as `str(problem) + " [warning]"` shows it, without a problem in
        between (a rebuild shows a 100k-card tree's again)."""
        for path, line, col, message in self._entries():
            yield f"{path}:{line}:{col}: {message} [warning]"

    def __iter__(self, _new: Any = tuple.__new__) -> Iterator[Problem]:
        # tuple.__new__ directly: a NamedTuple's own __new__ is a Python-level wrapper.
        for path, line, col, message in self._entries():
            yield Problem(_new(Loc, (path, int(line), int(col))), message)


def _warnings_text(warnings: list[Problem], file: Path) -> str:
    """Warnings as the stamp keeps them: "line<TAB>col<TAB>path<TAB>message" a line, the
    path empty when it is the card file's own (see stamp.escape)."""
    display = str(file)
    return "\n".join(
        f"{w.loc.line}\t{w.loc.col}\t"
        f"{'' if w.loc.path == display else stamps.escape(w.loc.path)}\t"
        f"{stamps.escape(w.message)}"
        for w in warnings
    )


def _record(section: Section, warnings: str) -> Record:
    """What the stamp keeps of a checked card file (see stamp.Stamp.sections); its
    warnings as `_warnings_text` gives them."""

    def at(loc: Loc | None) -> list[int]:
        return [loc.line, loc.col] if loc is not None else [1, 1]

    return {
        "deck": f"{section.id}.apkg",
        "id": section.id,
        "id_loc": at(section.value_locs.get("id")),
        "name": section.deck,
        "name_loc": at(section.value_locs.get("deck")),
        # One text, "id line col" a line (ids are slugs): a list per card would take several
        # times the memory, and a build holds the record of every file until its end.
        "card_ids": "\n".join(
            f"{card.id} {' '.join(map(str, at(card.value_locs.get('id'))))}"
            for card in section.cards
        ),
        # One text too (see Warnings): a list a warning was most of the time of a rebuild
        # that reads them back.
        "warnings": warnings,
    }


def _recall(validator: Validator, record: Record, file: Path) -> None:
    display = str(file)
    validator.recall(
        [
            (card_id, Loc(display, int(line), int(col)))
            for card_id, line, col in (
                entry.split(" ") for entry in record["card_ids"].split("\n") if entry
            )
        ],
        record["id"],
        Loc(display, *record["id_loc"]),
        record["name"],
        Loc(display, *record["name_loc"]),
    )


def _without_locations(cards: tuple[Card, ...]) -> list[Card]:
    """The cards without where each value is written: only messages need that, and the
    parser marks behind it take more memory than the notes made from the cards."""
    # Made directly: dataclasses.replace takes twice as long (40 ms at 20k cards).
    return [
        Card(id=c.id, kind=c.kind, values=c.values, note=c.note, hint=c.hint, image=c.image,
             image_side=c.image_side, tags=c.tags, loc=c.loc, value_locs={},
             silences=c.silences, source=c.source)
        for c in cards
    ]  # fmt: skip


Decks = list[tuple[DeckHeader, list[Card]]]  # (deck, its checked cards) for one package


def make(decks: Decks, memory: Memory, clock: int, ids: IdAllocator) -> tuple[bytes, Snapshot]:
    notes = [(deck, generate(cards, memory.slots)) for deck, cards in decks]
    return build_package(notes, memory, clock, ids)


def _build(
    files: list[Path],
    keys: dict[Path, str],
    inputs: dict[str, str],
    current: dict[str, Record],
    last: stamps.Stamp | None,
    out_dir: Path,
    strict: bool,
    combined: bool,
    progress: Progress | None,
) -> Result:
    notices: list[str] = []
    kept = {out_dir / record["deck"] for record in current.values()}
    memory = Memory()
    highest = 0
    if last is not None:  # what the decks not read back hold, as the stamp recorded it
        for record in current.values():
            held = last.decks[record["deck"]]
            highest = max(highest, held["max_id"])
            for type_id, mod in held["note_types"].items():
                before = memory.note_types.get(int(type_id))
                if before is None or before["mod"] < mod:
                    memory.note_types[int(type_id)] = {**last.note_types[type_id], "mod": mod}
    imported: dict[Path, bytes] = {}  # what Anki imports from each previous deck
    previous: dict[Path, Snapshot] = {}
    for path, snapshot in _read_previous(out_dir, notices, skip=kept):
        memory.remember(snapshot)
        imported[path] = _imports(snapshot)
        # Remembered and summed up: the report needs only its notes, and every previous
        # deck is held until the build ends.
        previous[path] = Snapshot(notes=snapshot.notes)
        del snapshot
    # The notes the report can say anything about: those an earlier build made (and those
    # an unfinished one reported). Of the others a build keeps only counts (see _deck).
    pending = Findings.read(out_dir)
    known = {*memory.notes, *pending.removed, *pending.emptied, *pending.moved, *pending.retyped}
    now = clock()
    ids = IdAllocator(memory, now)
    ids.next = max(ids.next, highest + 1)  # after the ids of the decks not read back too

    # Each file is checked, then packed, before the next is read, so a build holds one
    # section's cards and notes at a time. After the first problem nothing more is
    # packed (nothing will be written), but every file is still checked.
    problems = Problems()
    validator = Validator(problems)
    warnings = Warnings()
    records: dict[str, Record] = {}
    decks: list[Deck] = []
    waiting: list[Section] = []  # for --combined, which packs every section together
    # The new decks wait in a scratch folder (made for the first) until build() writes
    # them: a build holds one deck's bytes at a time.
    scratch: tempfile.TemporaryDirectory[str] | None = None

    def keep(path: Path, data: bytes, snapshot: Snapshot) -> Deck:
        nonlocal scratch
        if scratch is None:
            scratch = output.scratch_folder("the decks being built")
        file = Path(scratch.name) / f"{len(decks)}.apkg"
        try:
            file.write_bytes(data)
        except OSError as e:
            raise AnkigenError(f"{file}: cannot keep a built deck: {e.strerror or e}") from None
        return _deck(path, file, stamps.digest(data), snapshot, imported.get(path), memory, known)

    try:
        made = {out_dir / f"{COMBINED}.apkg"}
        for done, file in enumerate(files, start=1):
            key = keys[file]
            if key in current:
                record = records[key] = current[key]
                _recall(validator, record, file)
                warnings.add(file, record["warnings"])
                made.add(out_dir / record["deck"])
                held = last.decks[record["deck"]] if last else {}
                path = out_dir / record["deck"]
                decks.append(Deck(path, held["notes"], held["cards"], unchanged=held["notes"]))
                continue
            if progress:
                progress(done, len(files), file)
            section, found = check_file(file, validator, problems, memory)
            text = _warnings_text(found, file)
            del found  # held from here as text, the same text the record keeps
            warnings.add(file, text)
            if section is None:
                continue
            records[key] = _record(section, text)
            made.add(out_dir / f"{section.id}.apkg")
            if problems.items or (strict and warnings):
                continue
            if combined:
                waiting.append(section)
                continue
            path = out_dir / f"{section.id}.apkg"
            header, cards = section.deck_header(), _without_locations(section.cards)
            del section  # its parser marks go before the notes are made
            packed = make([(header, cards)], memory, now, ids)
            decks.append(keep(path, *packed))
        stop_if_wrong(problems, warnings, strict)
        if combined:
            path = out_dir / f"{COMBINED}.apkg"
            packed = make([(s.deck_header(), list(s.cards)) for s in waiting], memory, now, ids)
            decks.append(keep(path, *packed))

        built = {deck.path: deck.snapshot for deck in decks if deck.snapshot is not None}
        findings = changes.find(built, previous, memory, out_dir)
        for deck in decks:
            deck.removed = sum(where == str(deck.path) for _, where in findings.removed.values())
        notices += [_orphan(path) for path in previous.keys() - made]
        stamp = stamps.Stamp(
            engine=stamps.engine(),
            combined=combined,
            inputs=inputs,
            decks={deck.path.name: _deck_record(deck, last) for deck in decks},
            sections=records,
            note_types=_note_types(decks, last),
        )
        return Result(
            decks, warnings, sorted(notices), stamp=stamp, scratch=scratch, findings=findings
        )
    except BaseException:
        if scratch is not None:
            scratch.cleanup()
        raise


def _deck_record(deck: Deck, last: stamps.Stamp | None) -> Record:
    if deck.snapshot is None:  # current: as the last stamp recorded it
        assert last is not None
        return last.decks[deck.path.name]
    snapshot = deck.snapshot
    return {
        "sha256": deck.sha256,
        "notes": deck.notes,
        "cards": deck.cards,
        "max_id": deck.max_id,
        "note_types": {str(i): t["mod"] for i, t in sorted(snapshot.note_types.items())},
    }


def _note_types(decks: list[Deck], last: stamps.Stamp | None) -> dict[str, Record]:
    """Each note type the decks hold, as they hold it but for its mod (a deck's own)."""
    found: dict[str, Record] = {}
    for deck in decks:
        if deck.snapshot is None:
            assert last is not None
            for type_id in last.decks[deck.path.name]["note_types"]:
                found[type_id] = last.note_types[type_id]
        else:
            for type_id, note_type in deck.snapshot.note_types.items():
                found[str(type_id)] = {k: v for k, v in note_type.items() if k != "mod"}
    return dict(sorted(found.items()))


def _orphan(path: Path) -> str:
    return (
        f"{path}: no card file makes this deck (a renamed section, or a deck ankigen did "
        "not make); delete the file: Anki keeps the notes you imported from it"
    )


def _imports(snapshot: Snapshot) -> bytes:
    """A digest of what Anki imports from a deck: equal digests, equal imports."""

    def canonical(value: Any) -> Any:  # dicts compare equal in any order; their reprs do not
        if isinstance(value, dict):
            return sorted((repr(k), canonical(v)) for k, v in value.items())
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [canonical(v) for v in value]
        return value

    parts = [canonical(part) for part in snapshot.importable()]
    return hashlib.sha256(repr(parts).encode()).digest()


def _deck(
    path: Path,
    file: Path,
    sha256: str,
    snapshot: Snapshot,
    previous: bytes | None,
    memory: Memory,
    known: set[str],
) -> Deck:
    same = None if previous is None else previous == _imports(snapshot)
    ids = [*(n.id for n in snapshot.notes.values()), *snapshot.cards.values()]
    deck = Deck(
        path,
        len(snapshot.notes),
        len(snapshot.cards),
        file,
        sha256,
        snapshot,
        same,
        max(ids, default=0),
    )
    for guid, row in snapshot.notes.items():
        before = memory.notes.get(guid)
        if before is None:
            deck.added += 1
        elif before.mod == row.mod:
            deck.unchanged += 1
        else:
            deck.changed += 1
    # Compared and counted: the rest of the build (the report, changes.find) looks only at
    # notes an earlier build knew, and their cards and decks, and at the note types. A build
    # holds every deck's snapshot (and its previous one) until it ends: at 100k cards the
    # rest would be most of its memory.
    snapshot.positions, snapshot.media, snapshot.slots, snapshot.descriptions = {}, {}, {}, {}
    snapshot.notes = {g: row for g, row in snapshot.notes.items() if g in known}
    snapshot.cards = {key: i for key, i in snapshot.cards.items() if key[0] in known}
    snapshot.note_decks = {g: d for g, d in snapshot.note_decks.items() if g in known}
    return deck


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
    try:
        output.prepare(out_dir)
        if result.findings:  # kept until the report is printed: see changes.py
            output.write_atomically(out_dir / changes.PENDING_NAME, result.findings.to_json())
        for deck in result.decks:
            if deck.file is None:  # current: not made again
                continue
            data = deck.read()
            if not output.same_bytes(deck.path, data):
                output.write_atomically(deck.path, data)
                deck.written = True
        output.write_atomically(out_dir / stamps.STAMP_NAME, stamps.serialize(result.stamp))
    finally:
        result.close()
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
    result.close()  # compared by what Anki imports: the new decks' bytes are not needed
    stale = []
    for deck in result.decks:
        if deck.snapshot is None:  # known current from the last build's stamp
            continue
        if deck.same_import is None:
            if not deck.path.exists():  # a damaged deck is in the notices already
                stale.append(f"{deck.path}: missing; run 'ankigen build'")
        elif not deck.same_import:
            stale.append(
                f"{deck.path}: stale (cards changed since it was built); run 'ankigen build'"
            )
    stale += result.notices
    return result, stale
