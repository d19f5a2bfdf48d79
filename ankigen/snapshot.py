"""What Anki's importer looks at in a package, and reading it back from a package's bytes.

A `Snapshot` is the whole of it: what a deck just made holds, or what a deck on disk
holds. An `Outline` is the little of it a build keeps of each new deck until the build
ends (its deck names and note types), for the report and the build's record.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import sqlite3
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from ankigen.notes import MAX_EPOCH, MAX_ID
from ankigen.slots import Slots

# Written by every build but not part of what a learner's Anki takes from a note type.
_VOLATILE_NOTE_TYPE_KEYS = ("mod", "did", "usn")


@dataclass(frozen=True, slots=True)
class NoteRow:
    id: int
    guid: str
    note_type_id: int
    mod: int
    # A digest of the fields and tags, not the text: a build holds one row per note of
    # every deck, twice (previous and new), and only ever compares them.
    content: bytes


@dataclass(frozen=True)
class Outline:
    """What a build keeps of a deck it made until the build ends: a build holds every
    deck's until then, so not its notes (those are counted and kept in the identity)."""

    decks: list[str]
    note_types: dict[int, dict[str, Any]]


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

    def outline(self) -> Outline:
        return Outline(self.decks, self.note_types)


def stable_json(note_type_json: dict[str, Any]) -> dict[str, Any]:
    """A note type's JSON without what every build writes anew."""
    return {k: v for k, v in note_type_json.items() if k not in _VOLATILE_NOTE_TYPE_KEYS}


def content_digest(note_type_id: int, fields: str, tags: str) -> bytes:
    """A note's content as its row holds it: fields joined by U+001F, tags by spaces."""
    text = f"{note_type_id}\x1e{fields}\x1e{tags}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def media_digest(data: bytes) -> str:
    """A media file by its bytes: a file rewritten at the same size is another file."""
    return hashlib.sha256(data).hexdigest()


# A damaged file fails anywhere in zipfile or zlib, with any of these.
_DAMAGED = (
    zipfile.BadZipFile,
    KeyError,
    ValueError,
    zlib.error,
    EOFError,
    NotImplementedError,
    RuntimeError,
    OSError,
)


def read_package(data: bytes) -> Snapshot:
    """What Anki would import from a package we wrote. Raises ValueError if it is not one."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            collection = archive.read("collection.anki2")
            index = json.loads(archive.read("media") or b"{}")
            media = {name: media_digest(archive.read(entry)) for entry, name in index.items()}
    except _DAMAGED as e:
        raise ValueError(f"not an ankigen .apkg ({e})") from e
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(collection)
        snapshot = Snapshot(media=dict(sorted(media.items())))
        _read_rows(db, snapshot, _read_col(db, snapshot))
        return snapshot
    except (sqlite3.DatabaseError, TypeError, KeyError, ValueError) as e:
        raise ValueError(f"not an ankigen .apkg ({e})") from e
    finally:
        db.close()


def _read_col(db: sqlite3.Connection, snapshot: Snapshot) -> dict[int, str]:
    """The decks and note types, from the collection row; each deck's name by its id."""
    (decks_json, models_json) = db.execute("SELECT decks, models FROM col").fetchone()
    decks = [d for d in json.loads(decks_json).values() if str(d["id"]) != "1"]
    snapshot.decks = sorted(d["name"] for d in decks)
    snapshot.descriptions = {d["name"]: d.get("desc", "") for d in decks}
    snapshot.note_types = {
        int(model_id): {**stable_json(m), "mod": m["mod"]}
        for model_id, m in json.loads(models_json).items()
    }
    return {d["id"]: d["name"] for d in json.loads(decks_json).values()}


def _read_rows(db: sqlite3.Connection, snapshot: Snapshot, deck_names: dict[int, str]) -> None:
    """The notes and cards, from their tables."""
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
