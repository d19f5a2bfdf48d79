"""The whole road: card files -> checked sections -> notes -> one .apkg per section.

Nothing is written until every file has been read and checked, and each deck is
replaced atomically, so a failed or interrupted build leaves `decks/` as it was.

What each note was given before (its ids, time, cloze numbers) comes from the identity
file kept with the cards (identity.py), never from `decks/`, so deleting or moving the decks
changes nothing; the build writes the file anew beside the card files.

A card file the last build's stamp says is current (stamp.py) is not read again and its
deck is not made or read back: what the rest of the build needs of it (its ids and deck
name, its warnings) comes from the stamp, and its notes from the identity file. So a
rebuild after editing one card reads, checks and packs one section, and gives the same
bytes as a build that reads everything (a test holds them equal).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen import changes, identity, output
from ankigen import stamp as stamps
from ankigen.cards import Card, DeckHeader, Section
from ankigen.changes import Findings
from ankigen.errors import AnkigenError, Problem, Problems, UsageError
from ankigen.files import MAX_DECK_BYTES, read_regular
from ankigen.kinds import generate
from ankigen.lint import lint
from ankigen.load import load_file
from ankigen.notes import MAX_EPOCH
from ankigen.package import (
    IdAllocator,
    Memory,
    Snapshot,
    build_package,
    css_digest,
    note_type_digest,
    read_package,
)
from ankigen.project import project_css
from ankigen.snapshot import Outline
from ankigen.validate import COMBINED, Validator, deck_key

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
    snapshot: Outline | None = None  # what the rest of the build needs of the new deck
    # How the deck on disk compares, as Anki would import it: None if there is none (or
    # it could not be read), else whether it imports the same as the new one.
    same_import: bool | None = None
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
    warnings: stamps.Warnings
    notices: list[str]  # about the previous build, e.g. a deck we could not read
    stamp: stamps.Stamp | None = None  # what to record once the decks are written
    # Holds the new decks (Deck.file): removed by `close`, or when the Result is collected.
    scratch: tempfile.TemporaryDirectory[str] | None = None
    # What the learner must do in Anki after importing (changes.py).
    findings: Findings = field(default_factory=Findings)
    # The identity file a build writes (identity.py), if it is not the one on disk.
    identity: tuple[Path, str] | None = None
    # Said on stderr, but no reason for --check to fail: why the last build's record was
    # not used (stamp.read).
    remarks: list[str] = field(default_factory=list)
    # Note types whose style (CSS) differs from the last build's: Anki updates it in place.
    restyled: list[str] = field(default_factory=list)

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
            try:  # a FIFO or a link to /dev/zero named *.apkg would be read forever
                snapshot = read_package(read_regular(path, MAX_DECK_BYTES))
            except (OSError, ValueError) as e:
                why = e.strerror if isinstance(e, OSError) else e
                notices.append(
                    f"{path}: cannot read the previous build ({why}); it will be replaced"
                )
                continue
            yield path, snapshot


Progress = Callable[[int, int, Path], None]
Record = stamps.Record


@dataclass(frozen=True)
class Options:
    """How a build runs (the command line's flags)."""

    strict: bool = False  # warnings are errors
    combined: bool = False  # one combined.apkg instead of a deck per section
    progress: Progress | None = None
    # Read back the decks on disk to tell whether Anki would import them as the new ones
    # (`--check`); a build compares their bytes instead.
    compare: bool = False
    use_stamp: bool = True  # skip the card files the last build's stamp says are current


def plan(cards_dir: Path, out_dir: Path, options: Options = Options()) -> Result:
    """Everything a build would write, in memory. With `use_stamp`, a card file the last
    build's stamp says is current is not read: its deck is left as it is (no data)."""
    files = card_files(cards_dir)
    # Before reading: a file changed meanwhile is seen by the next build.
    inputs = stamps.inputs(cards_dir, files)
    keys = {file: file.relative_to(cards_dir).as_posix() for file in files}
    remarks: list[str] = []  # why the last build's record is not used, if it is not
    last = stamps.read(out_dir, remarks) if options.use_stamp else None
    current = stamps.current(last, inputs, keys, out_dir, options.combined)
    if last is not None and len(current) == len(files) == len(last.sections):
        return _unchanged(last, files, keys, out_dir, options.strict)
    result = _Build(cards_dir, out_dir, options, inputs, keys, last, current).run(files)
    result.remarks = remarks
    return result


def _unchanged(
    last: stamps.Stamp, files: list[Path], keys: dict[Path, str], out_dir: Path, strict: bool
) -> Result:
    """The result of a build whose inputs, engine and decks are those of the last one."""
    warnings = stamps.Warnings()
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


def _without_locations(cards: tuple[Card, ...]) -> list[Card]:
    """The cards without where each value is written: only messages need that, and the
    parser marks behind it take more memory than the notes made from the cards."""
    return [dataclasses.replace(c, value_locs={}) for c in cards]


Decks = list[tuple[DeckHeader, list[Card]]]  # (deck, its checked cards) for one package


def make(
    decks: Decks, memory: Memory, clock: int, ids: IdAllocator, css: str = ""
) -> tuple[bytes, Snapshot]:
    notes = [(deck, generate(cards, memory.slots)) for deck, cards in decks]
    return build_package(notes, memory, clock, ids, css)


class _Build:
    """One build's work, file by file: each file is checked, then packed, before the next is
    read, so a build holds one section's cards and notes at a time. After the first problem
    nothing more is packed (nothing will be written), but every file is still checked."""

    def __init__(
        self,
        cards_dir: Path,
        out_dir: Path,
        options: Options,
        inputs: dict[str, str],
        keys: dict[Path, str],
        last: stamps.Stamp | None,
        current: dict[str, Record],
    ) -> None:
        self.cards_dir, self.out_dir, self.options = cards_dir, out_dir, options
        self.inputs, self.keys, self.last, self.current = inputs, keys, last, current
        self.notices: list[str] = []
        self.decks: list[Deck] = []
        self.records: dict[str, Record] = {}
        self.warnings = stamps.Warnings()
        self.problems = Problems()
        self.built: dict[str, identity.Entry] = {}  # the notes this build made
        self.where: dict[str, str] = {}  # card id -> where it is written, for the report
        # The new decks wait in a scratch folder (made for the first) until build() writes
        # them: a build holds one deck's bytes at a time.
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        self.before, self.memory, self.previous = self._remember()
        self.validator = Validator(self.problems, self.before)
        self.now = clock()
        self.css = project_css(cards_dir)  # the project's own style, after every note type's
        self.ids = IdAllocator(self.memory, self.now)

    def _remember(self) -> tuple[identity.Identity, Memory, dict[Path, bytes]]:
        """What earlier builds gave each note: the identity file, or, before there was one,
        the previous decks (an upgrade); and, for --check, what Anki imports from each deck."""
        before = identity.read(self.cards_dir)
        imported: dict[Path, bytes] = {}
        if before is not None and not self.options.compare:
            return before, Memory.of(before), imported
        memory = Memory()
        kept = {self.out_dir / record["deck"] for record in self.current.values()}
        for path, snapshot in _read_previous(self.out_dir, self.notices, skip=kept):
            if before is None:
                memory.remember(snapshot)
            imported[path] = _imports(snapshot)
            del snapshot  # one deck at a time: after an upgrade, every deck is read back
        if before is None:
            before = identity.of_decks(
                memory.notes, memory.cards, memory.note_decks, memory.slots, memory.note_types
            )
            return before, memory, imported
        return before, Memory.of(before), imported

    def run(self, files: list[Path]) -> Result:
        try:
            waiting: list[Section] = []  # for --combined, which packs every section together
            for done, file in enumerate(files, start=1):
                section = self._check(file, done, len(files))
                if section is None or self.problems.items:
                    continue
                if self.options.strict and self.warnings:
                    continue
                if self.options.combined:
                    waiting.append(section)
                else:
                    path = self.out_dir / f"{section.id}.apkg"
                    self._pack(path, [(section.deck_header(), _without_locations(section.cards))])
            self.validator.check_renames()
            stop_if_wrong(self.problems, self.warnings, self.options.strict)
            if self.options.combined:
                # In the order of their decks, not of their files: a renamed card file changes
                # nothing Anki imports, so it must not change the deck's bytes (or --check,
                # which compares imports, and a build, which compares bytes, would disagree).
                waiting.sort(key=lambda s: s.deck)
                decks = [(s.deck_header(), list(s.cards)) for s in waiting]
                self._pack(self.out_dir / f"{COMBINED}.apkg", decks)
            return self._result()
        except BaseException:
            if self.scratch is not None:
                self.scratch.cleanup()
            raise

    def _check(self, file: Path, done: int, total: int) -> Section | None:
        """The file's section, to pack; None when it is current (recalled from the stamp) or
        wrong (its problems recorded)."""
        key = self.keys[file]
        record = self.current.get(key)
        if record is not None:
            assert self.last is not None
            self.records[key] = record
            stamps.recall(self.validator, record, file)
            self.warnings.add(file, record["warnings"])
            held = self.last.decks[record["deck"]]
            path = self.out_dir / record["deck"]
            self.decks.append(Deck(path, held["notes"], held["cards"], unchanged=held["notes"]))
            return None
        if self.options.progress:
            self.options.progress(done, total, file)
        section, found = check_file(file, self.validator, self.problems, self.memory)
        text = stamps.warnings_text(found, file)
        del found  # held from here as text, the same text the record keeps
        self.warnings.add(file, text)
        if section is not None:
            self.records[key] = stamps.record_of(section, text)
            self.where.update((card.id, str(card.loc)) for card in section.cards)
        return section

    def _pack(self, path: Path, decks: Decks) -> None:
        data, snapshot = make(decks, self.memory, self.now, self.ids, self.css)
        existed = path.exists()
        del decks
        if self.scratch is None:
            self.scratch = output.scratch_folder("the decks being built")
        file = Path(self.scratch.name) / f"{len(self.decks)}.apkg"
        try:
            file.write_bytes(data)
        except OSError as e:
            raise AnkigenError(f"{file}: cannot keep a built deck: {e.strerror or e}") from None
        self.built.update(identity.entries_of(snapshot))
        self.decks.append(_deck(path, file, stamps.digest(data), snapshot, self.memory, existed))
        self.decks[-1].same_import = (
            None if path not in self.previous else self.previous[path] == _imports(snapshot)
        )

    def _result(self) -> Result:
        kept_cards = {
            card_id
            for record in self.current.values()
            for card_id, *_ in (line.split(" ") for line in record["card_ids"].split("\n") if line)
        }
        marks = {
            type_id: identity.NoteTypeMark(
                json["mod"], note_type_digest(json), css_digest(json["css"])
            )
            for deck in self.decks
            if deck.snapshot is not None
            for type_id, json in deck.snapshot.note_types.items()
        }
        after = identity.successor(self.before, self.built, kept_cards, marks)
        findings = changes.find(self.before, after, Findings.read(self.out_dir), self.where)
        for deck in self.decks:
            if deck.snapshot is not None:
                names = {deck_key(name) for name in deck.snapshot.decks}
                deck.removed = sum(deck_key(d) in names for _, d in findings.removed.values())
        made = {self.out_dir / f"{COMBINED}.apkg"}
        made |= {self.out_dir / record["deck"] for record in self.records.values()}
        self.notices += [_orphan(p) for p in sorted(self.out_dir.glob("*.apkg")) if p not in made]
        text = identity.serialize(after)
        inputs = {**self.inputs, identity.IDS_NAME: stamps.digest(text.encode("utf-8"))}
        stamp = stamps.Stamp(
            engine=stamps.engine(),
            combined=self.options.combined,
            inputs=inputs,
            decks={deck.path.name: _deck_record(deck, self.last) for deck in self.decks},
            sections=self.records,
        )
        path = identity.path_in(self.cards_dir)
        written = identity.read_text(path)
        return Result(
            self.decks,
            self.warnings,
            sorted(set(self.notices)),
            stamp=stamp,
            scratch=self.scratch,
            findings=findings,
            identity=None if written == text else (path, text),
            restyled=_restyled(self.decks, self.memory),
        )


def _restyled(decks: list[Deck], memory: Memory) -> list[str]:
    """The note types whose CSS is not what the last build gave them."""
    names = set()
    for deck in decks:
        for type_id, note_type in (deck.snapshot.note_types if deck.snapshot else {}).items():
            before = memory.note_types.get(type_id)
            if before is not None and before.css and before.css != css_digest(note_type["css"]):
                names.add(note_type["name"])
    return sorted(names)


def _deck_record(deck: Deck, last: stamps.Stamp | None) -> Record:
    if deck.snapshot is None:  # current: as the last stamp recorded it
        assert last is not None
        return last.decks[deck.path.name]
    return {"sha256": deck.sha256, "notes": deck.notes, "cards": deck.cards}


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
    path: Path, file: Path, sha256: str, snapshot: Snapshot, memory: Memory, existed: bool
) -> Deck:
    # Counted, and kept in the identity: the rest of the build needs only the deck names
    # and note types (a build holds every deck's outline until it ends).
    outline = snapshot.outline()
    deck = Deck(path, len(snapshot.notes), len(snapshot.cards), file, sha256, outline)
    for guid, row in snapshot.notes.items():
        # A deck file made for the first time (the first `--combined`, or into an empty
        # folder) adds every note to it, even those another deck already holds.
        before = memory.notes.get(guid) if existed else None
        if before is None:
            deck.added += 1
        elif before.mod == row.mod:
            deck.unchanged += 1
        else:
            deck.changed += 1
    return deck


def build(
    cards_dir: Path,
    out_dir: Path,
    strict: bool = False,
    combined: bool = False,
    progress: Progress | None = None,
) -> Result:
    result = plan(cards_dir, out_dir, Options(strict, combined, progress))
    if result.stamp is None:  # the decks are current: nothing to write
        return result
    try:
        output.prepare(out_dir)
        with output.Writes(out_dir) as writes:
            # The report first: kept until it is printed (see changes.py), it is in place
            # before any deck is; then the decks, the identity file (what the next build
            # starts from, beside the cards), and the record of the build last.
            if result.findings:
                writes.add(out_dir / changes.PENDING_NAME, result.findings.to_json())
            changed = []
            for deck in result.decks:
                if deck.file is None:  # current: not made again
                    continue
                data = deck.read()
                if not output.same_bytes(deck.path, data):
                    writes.add(deck.path, data)
                    changed.append(deck)
            if result.identity is not None:
                path, text = result.identity
                writes.add(path, text.encode("utf-8"), within=cards_dir)
            writes.add(out_dir / stamps.STAMP_NAME, stamps.serialize(result.stamp))
            writes.commit()
        for deck in changed:
            deck.written = True
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
    """What is stale or missing in `out_dir`, compared as Anki would import it, and whether
    the identity file is the one a build would write."""
    result = plan(cards_dir, out_dir, Options(strict, combined, compare=True))
    result.close()  # compared by what Anki imports: the new decks' bytes are not needed
    stale = []
    command = "ankigen build --combined" if combined else "ankigen build"
    if result.identity is not None:
        path, _ = result.identity
        stale.append(
            f"{path}: not what a build writes (missing, or cards changed since); run "
            f"'{command}' and commit it with your cards"
        )
    for deck in result.decks:
        if deck.snapshot is None:  # known current from the last build's stamp
            continue
        if deck.same_import is None:
            if not deck.path.exists():  # a damaged deck is in the notices already
                stale.append(f"{deck.path}: missing; run '{command}'")
        elif not deck.same_import:
            stale.append(f"{deck.path}: stale (cards changed since it was built); run '{command}'")
    stale += result.notices
    return result, stale
