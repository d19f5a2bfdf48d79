"""Notes -> .apkg bytes (reading them back is snapshot.py's).

We write the SQLite database (in a scratch file) and the zip ourselves, with genanki's
schema and the very rows genanki's `Package.write_to_db` writes (a test holds the two
equal): its note and card objects cost more than the rest of a build's packing, and
`Package.write_to_file` would leak a temp file per build and stamp wall-clock times into
the zip. (genanki's warning about unknown HTML tags in a field is not asked for: every
field is HTML we make from escaped text.) Every time and id we write comes from the
previous build (`Memory`) or from the build's clock, so a rebuild with nothing changed
gives identical bytes.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from ankigen import output
from ankigen.cards import DeckHeader
from ankigen.errors import AnkigenError
from ankigen.identity import Identity, NoteTypeMark
from ankigen.notes import Note, NoteType
from ankigen.notetypes import VerbatimModel
from ankigen.slots import Slots
from ankigen.snapshot import NoteRow, Snapshot, content_digest, media_digest, stable_json
from ankigen.snapshot import read_package as read_package  # where pull.py and tests read it

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class _Shape:
    """What genanki decides once per note type: its JSON, and which cards a note makes.

    Decided as genanki's `Note` decides it (its `_req` for front/back types, its cloze
    pattern for cloze types), without making a genanki note per note."""

    def __init__(self, note_type: NoteType, css: str) -> None:
        self.model = _model(note_type, css)
        self.sort_field = self.model.sort_field_index
        self.cloze_fields: list[int] = []
        if note_type.cloze:
            qfmt = self.model.templates[0]["qfmt"]
            names = {*re.findall(r"{{[^}]*?cloze:(?:[^}]?:)*(.+?)}}", qfmt)}
            names |= {*re.findall("<%cloze:(.+?)%>", qfmt)}
            self.cloze_fields = [note_type.fields.index(n) for n in names if n in note_type.fields]
        else:
            self.req = [
                (card_ord, all if how == "all" else any, fields)
                for card_ord, how, fields in self.model._req
            ]

    def card_ords(self, fields: tuple[str, ...]) -> list[int]:
        if self.model.model_type == genanki.Model.CLOZE:
            ords: set[int] = set()
            for index in self.cloze_fields:
                ords.update(int(n) - 1 for n in _CLOZE.findall(fields[index]) if int(n) > 0)
            # genanki iterates a set; sorted is the same order for the numbers cards use
            # and does not depend on how a set happens to hash.
            return sorted(ords)
        return [o for o, test, needed in self.req if test(fields[i] for i in needed)]


@functools.cache
def _shape(note_type: NoteType, css: str = "") -> _Shape:
    # Once per note type and process, not per deck: genanki works out which fields a
    # template needs by rendering it once per field (60 ms for 30 decks).
    return _Shape(note_type, css)


_CLOZE = re.compile(r"{{c(\d+)::.+?}}", re.DOTALL)  # genanki's


@dataclass
class Memory:
    """What earlier builds gave each note: its ids and mtime stay unless its content changes."""

    notes: dict[str, NoteRow] = field(default_factory=dict)
    cards: dict[tuple[str, int], int] = field(default_factory=dict)
    note_types: dict[int, NoteTypeMark] = field(default_factory=dict)
    note_decks: dict[str, str] = field(default_factory=dict)
    slots: dict[str, Slots] = field(default_factory=dict)

    @staticmethod
    def of(identity: Identity) -> Memory:
        """What the identity file says earlier builds gave each note (removed ones too: a
        card that comes back, or takes one over with `was:`, keeps its ids and time)."""
        memory = Memory(note_types=dict(identity.note_types))
        for guid, e in identity.notes.items():
            memory.notes[guid] = NoteRow(e.nid, guid, e.note_type, e.mod, e.content)
            memory.note_decks[guid] = e.deck
            memory.cards.update(((guid, ordinal), card_id) for ordinal, card_id in e.cards)
            if e.slots is not None:
                memory.slots[guid] = e.slots
        return memory

    def remember(self, snapshot: Snapshot) -> None:
        # The same note can be in a section deck and in a combined one: the newest counts.
        for guid, row in snapshot.notes.items():
            if guid not in self.notes or self.notes[guid].mod < row.mod:
                self.notes[guid] = row
                self.note_decks[guid] = snapshot.note_decks[guid]
                if guid in snapshot.slots:
                    self.slots[guid] = snapshot.slots[guid]
        self.cards.update(snapshot.cards)
        for type_id, note_type in snapshot.note_types.items():
            mark = NoteTypeMark(
                note_type["mod"], note_type_digest(note_type), css_digest(note_type["css"])
            )
            if type_id not in self.note_types or self.note_types[type_id].mod < mark.mod:
                self.note_types[type_id] = mark


class IdAllocator:
    """Fresh note and card ids, after every id an earlier build used (Anki ids are ms times)."""

    def __init__(self, memory: Memory, clock: int) -> None:
        used = [n.id for n in memory.notes.values()] + list(memory.cards.values())
        self.next = max([clock * 1000, *(i + 1 for i in used)])

    def take(self) -> int:
        self.next += 1
        return self.next - 1


def deck_id(name: str) -> int:
    # Anki matches decks by name and ignores this id; it only has to be stable.
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:6], "big")


# Anki runs MathJax over every card it shows, and `\(...\)` or `\[...\]` in a command
# or a regex would be typeset as math. MathJax 3 leaves this class's contents alone.
_AS_WRITTEN = '<div class="mathjax_ignore">{}</div>'


def _model(note_type: NoteType, css: str = "") -> genanki.Model:
    # Built anew each time: genanki mutates the template dicts it is given.
    if note_type.anki:
        return VerbatimModel(note_type)
    return genanki.Model(
        model_id=note_type.id,
        name=note_type.name,
        fields=[
            {"name": name, "id": part_id(note_type, "field", name)} for name in note_type.fields
        ],
        templates=[
            {
                "name": t.name,
                "qfmt": _AS_WRITTEN.format(t.front),
                "afmt": _AS_WRITTEN.format(t.back),
                "id": part_id(note_type, "template", t.name),
            }
            for t in note_type.templates
        ],
        # The project's own style (`css:` in .ankigen.yaml) after ours, so its rules win.
        css=f"{note_type.css}\n{css}" if css else note_type.css,
        model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
    )


def part_id(note_type: NoteType, part: str, name: str) -> int:
    """A field's or template's id, for life: made from the note type's id and its name (both
    never change). Anki (2.1.67 on) matches fields and templates by id when it merges two
    note types on import; without ids it falls back to names."""
    digest = hashlib.sha256(f"{note_type.id}/{part}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1  # Anki's ids are signed 64-bit


def css_digest(css: str) -> str:
    """A note type's style as a digest: what the report compares to say it changed."""
    return hashlib.sha256(css.encode()).hexdigest()[:32]


def note_type_digest(note_type_json: dict[str, Any]) -> str:
    """What a learner's Anki takes from a note type, as a digest: equal digests, no update."""
    stable = json.dumps(stable_json(note_type_json), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(stable.encode()).hexdigest()


class NotesTableRow(NamedTuple):
    """A row of the notes table, in genanki's (and Anki's) column order."""

    id: int
    guid: str
    mid: int
    mod: int
    usn: int
    tags: str
    flds: str
    sfld: str
    csum: int
    flags: int
    data: str


class CardsTableRow(NamedTuple):
    """A row of the cards table as genanki writes a new card, in its column order."""

    id: int
    nid: int
    did: int
    ord: int
    mod: int
    usn: int = -1
    type: int = 0
    queue: int = 0
    due: int = 0  # new cards come in this order
    ivl: int = 0
    factor: int = 0
    reps: int = 0
    lapses: int = 0
    left: int = 0
    odue: int = 0
    odid: int = 0
    flags: int = 0
    data: str = ""


class _Packing:
    """One package's rows as they are made, and what they leave to write after them.

    The database takes each note's row as it is made (`notes_rows`), so a deck's notes
    (and their rows) are never all held at once: at 10k cards a section is 50 MB. What
    the notes leave (their cards' rows, their media, their decks and note types, the
    snapshot) is kept here until the notes are written."""

    def __init__(self, decks: _Decks, memory: Memory, clock: int, ids: IdAllocator, css: str):
        self.decks, self.memory, self.clock, self.ids, self.css = decks, memory, clock, ids, css
        self.snapshot = Snapshot(
            decks=sorted(deck.name for deck, _ in decks),
            descriptions={deck.name: deck.description for deck, _ in decks},
        )
        self.cards_rows: list[CardsTableRow] = []
        self.media: dict[str, bytes] = {}
        self.decks_json: dict[str, Any] = {}
        self.shapes: dict[int, _Shape] = {}
        self.model_deck: dict[int, int] = {}  # note type -> the last deck of its notes, as genanki

    def notes_rows(self) -> Iterator[NotesTableRow]:
        for (deck_name, description), notes in self.decks:
            did = deck_id(deck_name)
            deck = genanki.Deck(did, deck_name, description=description)
            self.decks_json[str(did)] = deck.to_json()
            for position, note in enumerate(notes):
                yield self._note(note, deck_name, did, position)

    def _note(self, note: Note, deck_name: str, did: int, position: int) -> NotesTableRow:
        _check_fields(note)
        type_id, fields = note.note_type.id, note.fields
        shape = self.shapes.get(type_id) or self.shapes.setdefault(
            type_id, _shape(note.note_type, self.css)
        )
        self.model_deck[type_id] = did
        row = _plan_note(note, self.memory.notes.get(note.guid), self.clock, self.ids)
        # The snapshot's keys share the last build's guid strings (a build over every
        # previous deck holds both: 10 MB at 100k cards).
        guid, snapshot = row.guid, self.snapshot
        for card_ord in shape.card_ords(fields):
            card_id = self.memory.cards.get((guid, card_ord)) or self.ids.take()
            snapshot.cards[guid, card_ord] = card_id
            card = CardsTableRow(card_id, row.id, did, card_ord, row.mod, due=position)
            self.cards_rows.append(card)
        snapshot.positions[guid] = position
        snapshot.notes[guid] = row
        snapshot.keys[guid] = note.key
        snapshot.note_decks[guid] = deck_name
        if note.data:
            slots = Slots.from_data(note.data)
            assert slots is not None
            snapshot.slots[guid] = slots
        self.media.update((m.name, m.data) for m in note.media)
        # The row genanki's Note.write_to_db writes, with this note's own mtime and its
        # data (see slots.py) beside it.
        return NotesTableRow(
            id=row.id, guid=guid, mid=type_id, mod=row.mod, usn=-1,
            tags=f" {' '.join(note.tags)} ", flds="\x1f".join(fields),
            sfld=fields[shape.sort_field], csum=0, flags=0, data=note.data,
        )  # fmt: skip

    def models_json(self) -> dict[str, Any]:
        """The note types of the notes written, in the order notes first use them (as
        genanki), each with its mtime; the snapshot gets them too."""
        models = {}
        for type_id, did in self.model_deck.items():
            model = self.shapes[type_id].model
            mod = _note_type_mod(model, self.memory.note_types.get(type_id), self.clock)
            self.snapshot.note_types[type_id] = {**stable_json(model.to_json(0, None)), "mod": mod}
            models[str(type_id)] = model.to_json(mod, did)
        return models


_Decks = Sequence[tuple[DeckHeader, Iterable[Note]]]  # each deck and its notes, made on the way


def build_package(
    decks: _Decks,
    memory: Memory,
    clock: int,
    ids: IdAllocator,
    css: str = "",
) -> tuple[bytes, Snapshot]:
    """The .apkg holding these decks, and the snapshot of what it holds. Each deck's notes
    are read once, as they are written: they can be made on the way."""
    packing = _Packing(decks, memory, clock, ids, css)
    with _scratch_file() as path:
        _write_collection(path, packing)
        collection = path.read_bytes()
    media = dict(sorted(packing.media.items()))
    packing.snapshot.media = {name: media_digest(data) for name, data in media.items()}
    # The .apkg media layout: entry "0", "1", ... and a "media" map from entry to file name.
    index = json.dumps({str(i): name for i, name in enumerate(media)}).encode()
    files = {str(i): data for i, data in enumerate(media.values())}
    return _zip({"collection.anki2": collection, "media": index, **files}), packing.snapshot


def _write_collection(path: Path, packing: _Packing) -> None:
    db = sqlite3.connect(path)
    try:
        # A scratch file: no rollback journal, no waiting for the disk.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        # genanki's own schema and collection row, then the rows its Package.write_to_db
        # writes (tests/test_build.py holds the two databases' contents equal). One
        # executemany per table instead of genanki's note and card objects and an INSERT
        # per row: those were most of a build's packing time.
        db.executescript(_TABLES)
        db.executescript(APKG_COL)
        db.executemany(_insert("notes", NotesTableRow), packing.notes_rows())
        db.executemany(_insert("cards", CardsTableRow), packing.cards_rows)
        packing.cards_rows.clear()  # what is left to hold is the database
        (decks_before,) = db.execute("SELECT decks FROM col").fetchone()
        decks_after = json.dumps({**json.loads(decks_before), **packing.decks_json})
        models = json.dumps(packing.models_json())
        db.execute("UPDATE col SET decks = ?, models = ?", (decks_after, models))
        db.executescript(_INDEXES)
        db.commit()
    finally:
        db.close()


def _insert(table: str, row: type[NotesTableRow] | type[CardsTableRow]) -> str:
    return f"INSERT INTO {table} VALUES({','.join('?' * len(row._fields))})"


def _note_type_mod(model: genanki.Model, before: NoteTypeMark | None, clock: int) -> int:
    # Anki updates a note type only when the incoming mtime is newer than its own. The
    # learner's own note type goes out as Anki had it until its file is edited.
    if before is None:
        if isinstance(model, VerbatimModel) and model.recorded_mod is not None:
            return model.recorded_mod
        return clock
    if before.digest == note_type_digest(model.to_json(0, None)):
        return before.mod
    return max(clock, before.mod + 1)


@contextlib.contextmanager
def _scratch_file() -> Iterator[Path]:
    """Where a deck's database is made: a file in the system's temporary folder, removed
    after. SQLite holds an in-memory database's every page, and `serialize` copies them
    all again; a file's pages it writes out (a 10k-card deck: 28 MB, twice)."""
    with output.scratch_folder("a deck's database") as name:
        path = Path(name) / "collection.anki2"
        try:
            yield path
        except (sqlite3.Error, OSError) as e:  # e.g. the temporary folder's disk is full
            raise AnkigenError(f"{name}: cannot write a deck's database: {e}") from None


# genanki's schema, its indexes made once the rows are in: building an index once is about
# a third faster than keeping it up to date through every insert. The database holds the
# same schema either way.
_TABLES, _INDEXES = APKG_SCHEMA.split("CREATE INDEX", 1)
_INDEXES = "CREATE INDEX" + _INDEXES


def _check_fields(note: Note) -> None:
    # The last guard: Anki refuses a whole package if one note has a field separator in a
    # field or the wrong number of fields. Card text with a control character is refused
    # when it is read, so reaching this is a bug in a generator, not the user's input.
    fields = note.fields
    if len(fields) != len(note.note_type.fields) or "\x1f" in "".join(fields):
        raise RuntimeError(
            f"bug: note {note.guid} has {len(fields)} fields for note type "
            f"'{note.note_type.name}' ({len(note.note_type.fields)} fields) or a U+001F in one"
        )
    # genanki's tag list refuses these; Anki would read the tag as two.
    if " " in "".join(note.tags):
        raise RuntimeError(f"bug: note {note.guid} has a tag with a space: {note.tags}")


def _plan_note(note: Note, before: NoteRow | None, clock: int, ids: IdAllocator) -> NoteRow:
    content = content_digest(note.note_type.id, "\x1f".join(note.fields), " ".join(note.tags))
    if before is None:
        return NoteRow(ids.take(), note.guid, note.note_type.id, clock, content)
    if content == before.content:  # includes the note type: the very row, shared
        return before
    # Anki updates a note only when the incoming mtime is newer than its own.
    return NoteRow(before.id, before.guid, note.note_type.id, max(clock, before.mod + 1), content)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            # The fastest deflate level: a fraction of the default level's time for a few
            # percent more bytes (the database is short, repetitive rows).
            archive.writestr(info, data, compresslevel=1)
    return buffer.getvalue()


def card_count(notes: list[Note]) -> int:
    """How many Anki cards these notes make (as genanki decides, so as the .apkg holds)."""
    types = {n.note_type.id: n.note_type for n in notes}
    shapes = {type_id: _shape(note_type) for type_id, note_type in types.items()}
    return sum(len(shapes[n.note_type.id].card_ords(n.fields)) for n in notes)
