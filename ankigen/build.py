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
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ankigen import changes, identity, output
from ankigen import stamp as stamps
from ankigen.cards import Card, DeckHeader, Section
from ankigen.changes import Findings
from ankigen.compare import imports, read_previous, same_import
from ankigen.errors import AnkigenError, Problems, UsageError
from ankigen.kinds import generate
from ankigen.notes import MAX_EPOCH
from ankigen.package import (
    IdAllocator,
    Memory,
    Snapshot,
    build_package,
    css_digest,
    note_type_digest,
)
from ankigen.project import project_css
from ankigen.result import Deck, Result
from ankigen.sections import card_files, check_file, stop_if_wrong
from ankigen.validate import COMBINED, Validator, deck_key


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
    """Everything a build would write, made but not written: the `Result` holds the new decks
    (in a scratch folder), the identity file, the stamp and the report, for `build` to write
    and `--check` and the preview to look at. With `use_stamp`, a card file the last build's
    stamp says is current is not read: its deck is left as it is (no data)."""
    files = card_files(cards_dir)
    # Before reading: a file changed meanwhile is seen by the next build.
    inputs = stamps.inputs(cards_dir, files)
    keys = {file: file.relative_to(cards_dir).as_posix() for file in files}
    remarks: list[str] = []  # why the last build's record is not used, if it is not
    last = stamps.read(out_dir, remarks) if options.use_stamp else None
    current = stamps.current(last, inputs, keys, out_dir, options.combined)
    if last is not None and len(current) == len(files) == len(last.sections):
        return _unchanged(last, files, keys, out_dir, options.strict)
    result = _Plan(cards_dir, out_dir, options, inputs, keys, last, current).run(files)
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


class _Plan:
    """A plan's work, file by file: each file is checked, then packed into a scratch deck,
    before the next is read, so a plan holds one section's cards and notes at a time. After
    the first problem nothing more is packed (nothing will be written), but every file is
    still checked. Nothing here writes to the output or cards folder: `build` does."""

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
        memory = Memory()
        imported: dict[Path, bytes] = {}
        if before is None or self.options.compare:
            kept = {self.out_dir / record["deck"] for record in self.current.values()}
            for path, snapshot in read_previous(self.out_dir, self.notices, skip=kept):
                if before is None:
                    memory.remember(snapshot)
                imported[path] = imports(snapshot)
                del snapshot  # one deck at a time: after an upgrade, every deck is read back
        if before is None:
            return identity.of_decks(memory), memory, imported
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
        self.decks[-1].same_import = same_import(self.previous, path, snapshot)

    def _result(self) -> Result:
        kept_cards = {
            card_id for record in self.current.values() for card_id, *_ in stamps.card_ids(record)
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


