"""Notes -> .apkg bytes, and .apkg bytes -> what Anki would import from them.

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
import html
import io
import json
import re
import sqlite3
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import genanki
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from ankigen import output
from ankigen.cards import DeckHeader
from ankigen.errors import AnkigenError
from ankigen.identity import Identity, NoteTypeMark
from ankigen.notes import MAX_EPOCH, MAX_ID, Note, NoteType
from ankigen.notetypes import VerbatimModel
from ankigen.slots import Slots

# Written by every build but not part of what a learner's Anki takes from a note type.
_VOLATILE_NOTE_TYPE_KEYS = ("mod", "did", "usn")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: int
    guid: str
    note_type_id: int
    mod: int
    # A digest of the fields and tags, not the text: a build holds one row per note of
    # every deck, twice (previous and new), and only ever compares them.
    content: bytes


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
class Snapshot:
    """What Anki's importer looks at in a package."""

    decks: list[str] = field(default_factory=list)
    # Anki's import replaces an existing deck's description with a non-empty one.
    descriptions: dict[str, str] = field(default_factory=dict)  # deck name -> description
    note_types: dict[int, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, NoteRow] = field(default_factory=dict)
    cards: dict[tuple[str, int], int] = field(default_factory=dict)
    media: dict[str, str] = field(default_factory=dict)  # file name -> sha256 of its bytes
    # guid -> the note's place in its deck: the `due` of its new cards, which Anki imports
    # as the order new cards are shown in.
    positions: dict[str, int] = field(default_factory=dict)
    # Not imported by Anki, but what the next build needs: each note's deck (Anki never
    # moves an existing card to another deck) and the numbers of its cloze items.
    note_decks: dict[str, str] = field(default_factory=dict)
    slots: dict[str, Slots] = field(default_factory=dict)
    # guid -> the note's names in the identity file (notes.Note.key); only of a deck just made
    keys: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def importable(self) -> tuple[Any, ...]:
        """The parts that matter to an import: ids of rows are the package's own business."""
        notes = sorted((n.guid, n.note_type_id, n.mod, n.content) for n in self.notes.values())
        return (
            sorted(self.decks),
            sorted(self.descriptions.items()),
            self.note_types,
            notes,
            sorted(self.cards),
            self.media,
            self.positions,
            # A note's deck: where a learner's first import puts its cards.
            sorted(self.note_decks.items()),
        )


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


def _stable_json(note_type_json: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in note_type_json.items() if k not in _VOLATILE_NOTE_TYPE_KEYS}


def css_digest(css: str) -> str:
    """A note type's style as a digest: what the report compares to say it changed."""
    return hashlib.sha256(css.encode()).hexdigest()[:32]


def note_type_digest(note_type_json: dict[str, Any]) -> str:
    """What a learner's Anki takes from a note type, as a digest: equal digests, no update."""
    stable = json.dumps(_stable_json(note_type_json), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(stable.encode()).hexdigest()


def build_package(
    decks: Sequence[tuple[DeckHeader, Iterable[Note]]],
    memory: Memory,
    clock: int,
    ids: IdAllocator,
    css: str = "",
) -> tuple[bytes, Snapshot]:
    """The .apkg holding these decks, and the snapshot of what it holds. Each deck's notes
    are read once, as they are written: they can be made on the way."""
    snapshot = Snapshot(
        decks=sorted(deck.name for deck, _ in decks),
        descriptions={deck.name: deck.description for deck, _ in decks},
    )
    shapes: dict[int, _Shape] = {}
    deck_json: dict[str, Any] = {}
    model_deck: dict[int, int] = {}  # note type -> the last deck holding its notes, as genanki
    card_rows: list[tuple[Any, ...]] = []
    media: dict[str, bytes] = {}

    def note_rows() -> Iterator[tuple[Any, ...]]:
        # The database takes each note's row as it is made, so a deck's notes (and their
        # rows) are never all held at once: at 10k cards a section that is 50 MB.
        for (deck_name, description), notes in decks:
            did = deck_id(deck_name)
            deck_json[str(did)] = genanki.Deck(did, deck_name, description=description).to_json()
            for position, note in enumerate(notes):
                _check_fields(note)
                guid, fields, type_id = note.guid, note.fields, note.note_type.id
                shape = shapes.get(type_id) or shapes.setdefault(
                    type_id, _shape(note.note_type, css)
                )
                model_deck[type_id] = did
                row = _plan_note(note, memory.notes.get(guid), clock, ids)
                # The snapshot's keys share the last build's guid strings (a build over every
                # previous deck holds both: 10 MB at 100k cards).
                guid = row.guid
                for card_ord in shape.card_ords(fields):
                    card_id = memory.cards.get((guid, card_ord)) or ids.take()
                    snapshot.cards[guid, card_ord] = card_id
                    # due: new cards come in the order they are written
                    card_rows.append(
                        (card_id, row.id, did, card_ord, row.mod, -1, 0, 0, position,
                         0, 0, 0, 0, 0, 0, 0, 0, "")
                    )  # fmt: skip
                snapshot.positions[guid] = position
                snapshot.notes[guid] = row
                snapshot.keys[guid] = note.key
                snapshot.note_decks[guid] = deck_name
                if note.data:
                    slots = Slots.from_data(note.data)
                    assert slots is not None
                    snapshot.slots[guid] = slots
                media.update((m.name, m.data) for m in note.media)
                # The row genanki's Note.write_to_db writes, with this note's own mtime and
                # its data (see slots.py) beside it.
                yield (
                    row.id, guid, type_id, row.mod, -1, f" {' '.join(note.tags)} ",
                    "\x1f".join(fields), fields[shape.sort_field], 0, 0, note.data,
                )  # fmt: skip

    with _scratch_file() as path:
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
            db.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?)", note_rows())
            db.executemany(
                "INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", card_rows
            )
            card_rows.clear()  # what is left to hold is the database
            model_json = {}
            for type_id, did in model_deck.items():  # in the order notes first use them, as genanki
                model = shapes[type_id].model
                mod = _note_type_mod(model, memory.note_types.get(type_id), clock)
                snapshot.note_types[type_id] = {**_stable_json(model.to_json(0, None)), "mod": mod}
                model_json[str(type_id)] = model.to_json(mod, did)
            (decks_before,) = db.execute("SELECT decks FROM col").fetchone()
            decks_after = json.dumps({**json.loads(decks_before), **deck_json})
            db.execute(
                "UPDATE col SET decks = ?, models = ?", (decks_after, json.dumps(model_json))
            )
            db.executescript(_INDEXES)
            db.commit()
        finally:
            db.close()
        collection = path.read_bytes()
    snapshot.media = {
        name: hashlib.sha256(data).hexdigest() for name, data in sorted(media.items())
    }
    # The .apkg media layout: entry "0", "1", ... and a "media" map from entry to file name.
    names = sorted(media)
    index = json.dumps({str(i): name for i, name in enumerate(names)}).encode()
    files = {str(i): media[name] for i, name in enumerate(names)}
    return _zip({"collection.anki2": collection, "media": index, **files}), snapshot


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


def content_digest(note_type_id: int, fields: str, tags: str) -> bytes:
    """A note's content as its row holds it: fields joined by U+001F, tags by spaces."""
    text = f"{note_type_id}\x1e{fields}\x1e{tags}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


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


def read_package(data: bytes) -> Snapshot:
    """What Anki would import from a package we wrote. Raises ValueError if it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            collection = archive.read("collection.anki2")
            index = json.loads(archive.read("media") or b"{}")
            media = {
                name: hashlib.sha256(archive.read(entry)).hexdigest()
                for entry, name in index.items()
            }
    # A damaged file fails anywhere in zipfile or zlib, with any of these.
    except (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        zlib.error,
        EOFError,
        NotImplementedError,
        RuntimeError,
        OSError,
    ) as e:
        raise ValueError(f"not an ankigen .apkg ({e})") from e
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(collection)
        (decks_json, models_json) = db.execute("SELECT decks, models FROM col").fetchone()
        snapshot = Snapshot(media=dict(sorted(media.items())))
        decks = [d for d in json.loads(decks_json).values() if str(d["id"]) != "1"]
        snapshot.decks = sorted(d["name"] for d in decks)
        snapshot.descriptions = {d["name"]: d.get("desc", "") for d in decks}
        snapshot.note_types = {
            int(model_id): {**_stable_json(m), "mod": m["mod"]}
            for model_id, m in json.loads(models_json).items()
        }
        deck_names = {d["id"]: d["name"] for d in json.loads(decks_json).values()}
        guids = {}
        for note_id, guid, mid, mod, tags, flds, record in db.execute(
            "SELECT id, guid, mid, mod, tags, flds, data FROM notes ORDER BY id"
        ):
            guids[note_id] = guid
            _in_range(note_id, mod)
            digest = content_digest(mid, flds, " ".join(tags.split()))
            snapshot.notes[guid] = NoteRow(note_id, guid, mid, mod, digest)
            slots = Slots.from_data(record) if record else _legacy_slots(mid, flds)
            if slots is not None:
                snapshot.slots[guid] = slots
        for card_id, note_id, ordinal, due, deck in db.execute(
            "SELECT id, nid, ord, due, did FROM cards ORDER BY id"
        ):
            _in_range(card_id, 0)
            snapshot.cards[guids[note_id], ordinal] = card_id
            snapshot.positions.setdefault(guids[note_id], due)
            snapshot.note_decks[guids[note_id]] = deck_names[deck]
        return snapshot
    except (sqlite3.DatabaseError, TypeError, KeyError, ValueError) as e:
        raise ValueError(f"not an ankigen .apkg ({e})") from e
    finally:
        db.close()


def _in_range(row_id: int, mod: int) -> None:
    # A build gives new ids after the highest one read back: one near 2**63 would overflow.
    if not (0 <= row_id <= MAX_ID and 0 <= mod <= MAX_EPOCH):
        raise ValueError(f"an id or a time after the year 9999 ({row_id}, {mod})")


_LEGACY_CLOZE_TYPE = 1286995044  # "ankigen Cloze list" of 0.1.0, which kept no record
_LEGACY_ITEM = re.compile(r"<li>\{\{c(\d+)::(.*?)\}\}</li>")


def _legacy_slots(note_type_id: int, fields: str) -> Slots | None:
    """The item numbers of a cloze list built before numbers were recorded: its items were
    numbered by position, and the text of each is in the note (`fields`: its row's)."""
    if note_type_id != _LEGACY_CLOZE_TYPE:
        return None
    numbers = {
        int(n): html.unescape(re.sub(r"<code>(.*?)</code>", r"`\1`", text.replace("<br>", "\n")))
        for n, text in _LEGACY_ITEM.findall(fields.split("\x1f", 1)[0])
    }
    return Slots(numbers, max(numbers, default=0) + 1)


def card_count(notes: list[Note]) -> int:
    """How many Anki cards these notes make (as genanki decides, so as the .apkg holds)."""
    types = {n.note_type.id: n.note_type for n in notes}
    shapes = {type_id: _shape(note_type) for type_id, note_type in types.items()}
    return sum(len(shapes[n.note_type.id].card_ords(n.fields)) for n in notes)
