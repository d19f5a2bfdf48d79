"""Who each note is, for life: the identity file kept with the cards (`cards/.ankigen-ids`).

Anki knows a note by its guid, updates it only when the incoming mtime is newer, and ties
a cloze card to its number. So what a build gives each note (guid, note and card ids, mtime,
cloze numbers, deck and note type) must not depend on `decks/`, which is output: deleted,
built elsewhere with `--out`, or missing on a new machine. A build writes it here, beside the
card files, and the next build starts from it. Committed with the cards, it is what keeps a
learner's reviews with their cards on any machine.

One line per note (tab-separated columns), sorted by card id, with a blank line between
notes: git merges two branches that edit different cards cleanly (it needs an unchanged
line between two changed ones), and a conflict shows the two versions of one note. A note
no card makes any more is kept, marked removed, so a card that says `was: <its id>` can
take it back.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ankigen.errors import AnkigenError, Loc, Problems
from ankigen.escapes import escape, unescape
from ankigen.files import MAX_RECORD_BYTES, read_regular
from ankigen.slots import Slots

if TYPE_CHECKING:
    from ankigen.package import Memory, Snapshot

IDS_NAME = ".ankigen-ids"
FORMAT = 1
HEADER = (
    "# ankigen identity file: written by `ankigen build`, read by every build. Commit it with\n"
    "# your cards: it keeps each note's guid, ids, modification time and cloze numbers, so\n"
    "# your reviews stay with your cards on any machine. Do not edit it by hand.\n"
    "# A line a note, tab-separated: card, sub (a table cell's row/column), guid, nid, mod,\n"
    "# type, content (a digest of its fields and tags), cards (template:card id), deck,\n"
    "# origin (a renamed card's first id), slots (cloze numbers), removed.\n"
)
_MARKERS = re.compile(r"^(<<<<<<<|=======|>>>>>>>|\|\|\|\|\|\|\|)")


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the
# cost, and a build reads an entry for every note the cards have ever made.
@dataclass(slots=True)
class Entry:
    """One note as the last build made it."""

    guid: str
    card: str  # the id of the card that makes it
    sub: tuple[str, ...]  # a table cell's row and column keys
    origin: str  # the id its guid is made from: the card's, or the first id of a renamed card
    nid: int
    mod: int
    note_type: int
    content: bytes  # package.content_digest of its fields and tags
    deck: str
    cards: tuple[tuple[int, int], ...]  # (template ord, card id), by ord
    slots: Slots | None = None  # a cloze note's numbers (slots.py)
    removed: bool = False  # no card makes it any more

    def line(self) -> str:
        """The entry as the file holds it: COLUMNS, separated by tabs."""
        slots = ""
        if self.slots is not None:
            slots = _JSON.encode([[*pair] for pair in self.slots.numbers.items()])
            slots = f"{self.slots.next} {slots}"
        return "\t".join(
            (
                self.card,
                "/".join(self.sub),
                self.guid,
                str(self.nid),
                str(self.mod),
                str(self.note_type),
                self.content.hex(),
                ",".join(f"{o}:{c}" for o, c in self.cards),
                escape(self.deck),
                "" if self.origin == self.card else self.origin,
                slots,
                "removed" if self.removed else "",
            )
        )

    @staticmethod
    def parse(line: str) -> Entry:
        """Raises ValueError for a line that is not an entry."""
        parts = line.split("\t")
        if len(parts) != len(COLUMNS):
            raise ValueError(f"{len(parts)} columns, not {len(COLUMNS)}")
        card, sub, guid, nid, mod, note_type, content, cards, deck, origin, slots, gone = parts
        if not card or not guid or gone not in ("", "removed"):
            raise ValueError("no card id or guid, or an unknown mark")
        return Entry(
            guid=guid,
            card=card,
            sub=tuple(sub.split("/")) if sub else (),
            origin=origin or card,
            nid=_int(nid),
            mod=_int(mod),
            note_type=_int(note_type),
            content=bytes.fromhex(content),
            deck=unescape(deck),
            cards=tuple(_pair(pair) for pair in cards.split(",")) if cards else (),
            slots=_slots(slots) if slots else None,
            removed=gone == "removed",
        )


# What each line says of a note, in order (the header of the file names them too).
COLUMNS = (
    "card", "sub", "guid", "nid", "mod", "type", "content", "cards", "deck", "origin",
    "slots", "removed",
)  # fmt: skip
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _int(text: str) -> int:
    # Anki's ids and times are 64-bit and never negative.
    if text.isdigit() and len(text) < 20 and (value := int(text)) < 1 << 63:
        return value
    raise ValueError(f"expected a whole number from 0 to 2^63, got {text!r}")


def _pair(text: str) -> tuple[int, int]:
    ordinal, _, card_id = text.partition(":")
    return _int(ordinal), _int(card_id)


def _slots(text: str) -> Slots:
    """`next [[number, text], ...]`: a cloze note's numbers (slots.py)."""
    first, _, rest = text.partition(" ")
    numbers = {}
    for number, item in json.loads(rest):
        if type(number) is not int or not isinstance(item, str):
            raise ValueError(f"not a cloze number and its text: {[number, item]!r}")
        numbers[number] = item
    return Slots(numbers, max(_int(first), max(numbers, default=0) + 1))


@dataclass(frozen=True, slots=True)
class NoteTypeMark:
    """What the last build gave a note type: its mtime, and a digest of what it held then."""

    mod: int
    digest: str
    css: str = ""  # a digest of its style alone (package.css_digest): the report names it


@dataclass
class Identity:
    """Every note and note type the card files have made, by guid and by id."""

    notes: dict[str, Entry]
    note_types: dict[int, NoteTypeMark]
    # card id -> the id its guids are made from (see `origin`)
    _origins: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A live note's card wins over a removed one of the same id.
        self._origins = {}
        for removed in (True, False):
            for entry in self.notes.values():
                if entry.removed is removed:
                    self._origins[entry.card] = entry.origin

    def origin(self, card_id: str, was: Iterable[str]) -> str:
        """The id a card's guids are made from: for a renamed card, what the notes of an id
        it replaces were made from (they win over notes made under its new id before `was:`
        was added); else what its own notes were made from; else the first id it names in
        `was` (no identity file: a renamed card's first id), or its own."""
        was = tuple(was)
        for name in (*was, card_id):
            if name in self._origins:
                return self._origins[name]
        return was[0] if was else card_id


EMPTY = Identity({}, {})


def path_in(cards_dir: Path) -> Path:
    return cards_dir / IDS_NAME


def read(cards_dir: Path) -> Identity | None:
    """The identity file of this card folder, or None if there is none (a first build, or
    cards from before ankigen kept one: their identities come from the decks then)."""
    path = path_in(cards_dir)
    if not os.path.lexists(path):
        return None
    text = read_text(path)
    if text is None:
        try:
            read_regular(path, MAX_RECORD_BYTES)
            why = "not UTF-8 text"
        except OSError as e:
            why = e.strerror or str(e)
        raise AnkigenError(
            f"{path}: cannot read the identity file ({why}); restore it from git "
            "(git checkout -- the file): it keeps your notes' reviews"
        )
    return parse(text, str(path))


def read_text(path: Path) -> str | None:
    """The identity file as it is on disk (a regular file of a bounded size: it may come
    from a cloned repository), or None. Line ends as written on Linux and macOS: git on
    Windows may check it out with CRLF."""
    try:
        return read_regular(path, MAX_RECORD_BYTES).decode("utf-8").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError):
        return None


def parse(text: str, display: str) -> Identity:
    """The identity file's text. A git merge conflict is resolved on the way: of two lines
    for one note, the newer counts (the next build writes the file without markers)."""
    problems = Problems()
    notes: dict[str, Entry] = {}
    note_types: dict[int, NoteTypeMark] = {}
    # Lines end with "\n" only: str.splitlines would also split at characters a deck name
    # or a cloze item may hold (U+2028, U+0085, ...).
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip() or line.startswith("#") or _MARKERS.match(line):
            continue
        try:
            if line.startswith("@"):
                _header(line, note_types)
                continue
            entry = Entry.parse(line)
        except ValueError as e:
            problems.add(
                Loc(display, number, 1),
                f"not an identity entry ({e}); this file is written by `ankigen build`: "
                "restore it from git (git checkout -- the file) rather than edit it",
            )
            continue
        before = notes.get(entry.guid)
        if before is None or (before.mod, not before.removed) < (entry.mod, not entry.removed):
            notes[entry.guid] = entry
    problems.raise_if_any()
    return Identity(notes, note_types)


def _header(line: str, note_types: dict[int, NoteTypeMark]) -> None:
    """`@format N`, or `@notetype id mod digest css` (a note type's mark)."""
    kind, *values = line.split("\t")
    if kind == "@format" and values == [str(FORMAT)]:
        return
    if kind == "@format":
        raise ValueError(
            f"format {values!r}: written by another version of ankigen (this one reads "
            f"format {FORMAT}); update ankigen"
        )
    if kind != "@notetype" or len(values) != 4:
        raise ValueError(f"unknown line {kind!r}")
    type_id, mod, digest, css = _int(values[0]), *values[1:]
    mark = NoteTypeMark(_int(mod), digest, css)
    if type_id not in note_types or note_types[type_id].mod < mark.mod:
        note_types[type_id] = mark


def serialize(identity: Identity) -> str:
    lines = [HEADER, f"@format\t{FORMAT}", ""]
    for type_id, mark in sorted(identity.note_types.items()):
        lines += [f"@notetype\t{type_id}\t{mark.mod}\t{mark.digest}\t{mark.css}", ""]
    order = sorted(identity.notes.values(), key=lambda e: (e.card, e.sub, e.guid))
    for entry in order:
        lines += [entry.line(), ""]
    return "\n".join(lines)


def successor(
    before: Identity,
    built: Mapping[str, Entry],
    kept_cards: set[str],
    note_types: Mapping[int, NoteTypeMark],
) -> Identity:
    """The identity after a build: the notes it made (`built`), the notes of the card files
    it did not read again (their cards are `kept_cards`), and every other note known before,
    marked removed."""
    notes = dict(built)
    for guid, entry in before.notes.items():
        if guid in notes or not entry.card:  # (no card: read from an old deck, never made)
            continue
        if entry.card in kept_cards and not entry.removed:
            notes[guid] = entry
        else:
            notes[guid] = entry if entry.removed else replace(entry, removed=True)
    types = {**before.note_types, **note_types}
    return Identity(notes, dict(sorted(types.items())))


def entries_of(snapshot: Snapshot) -> dict[str, Entry]:
    """The notes of a deck just made, as the identity file keeps them."""
    cards: dict[str, list[tuple[int, int]]] = {}
    for (guid, ordinal), card_id in snapshot.cards.items():
        cards.setdefault(guid, []).append((ordinal, card_id))
    entries = {}
    for guid, row in snapshot.notes.items():
        card, origin, *sub = snapshot.keys[guid]
        entries[guid] = Entry(
            guid=guid,
            card=card,
            sub=tuple(sub),
            origin=origin,
            nid=row.id,
            mod=row.mod,
            note_type=row.note_type_id,
            content=row.content,
            deck=snapshot.note_decks[guid],
            cards=tuple(sorted(cards.get(guid, ()))),
            slots=snapshot.slots.get(guid),
        )
    return entries


def of_decks(memory: Memory) -> Identity:
    """What decks built before the identity file existed say of their notes (an upgrade):
    everything but which card made each note, which a build that reads them learns."""
    by_note: dict[str, list[tuple[int, int]]] = {}
    for (guid, ordinal), card_id in memory.cards.items():
        by_note.setdefault(guid, []).append((ordinal, card_id))
    entries = {
        guid: Entry(guid, "", (), "", row.id, row.mod, row.note_type_id, row.content,
                    memory.note_decks.get(guid, ""), tuple(sorted(by_note.get(guid, ()))),
                    memory.slots.get(guid))
        for guid, row in memory.notes.items()
    }  # fmt: skip
    return Identity(entries, dict(memory.note_types))
