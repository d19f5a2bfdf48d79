"""What the last build was made from, so a rebuild reads only what changed.

`<out>/.ankigen-build.json` records a digest of every file under the cards folder (the
identity file too, see identity.py), of the engine that wrote the decks (ankigen's own code
and the versions of the libraries whose bytes end up in a deck), and, per card file, what
the rest of a build needs to know of it without reading it again: its section id, deck
name, card ids and `was:` ids (with where they are written, for messages), its warnings,
and its deck (digest and counts). Its notes' ids and times are in the identity file.

A build is deterministic: the same card file, engine and previous deck make the same
deck again. So a card file whose digest, engine and deck match the record is
"current" (one rule, used by build, `--check` and the stamp itself): its deck is not
made again, and not even read back. Any other file under the folder (an image) changed
means every section is made again, as does a missing or foreign stamp.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import stat
import zlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import genanki
import pygments

from ankigen import __version__, identity
from ankigen.cards import Section
from ankigen.changes import PENDING_NAME
from ankigen.errors import Loc, Problem
from ankigen.escapes import escape, unescape
from ankigen.files import MAX_DECK_BYTES, MAX_RECORD_BYTES, read_regular
from ankigen.kinds import KINDS
from ankigen.notes import MAX_ID
from ankigen.validate import COMBINED, Validator

STAMP_NAME = ".ankigen-build.json"
_CARD_IDS = re.compile(r"(?:\S+ \d+ \d+(?:\n\S+ \d+ \d+)*)?")  # "id line col" a line
_WAS = re.compile(r"(?:\S+ \d+ \d+ \S+(?:\n\S+ \d+ \d+ \S+)*)?")  # "old line col card" a line
# "line<TAB>col<TAB>path<TAB>message" a line (path empty: the card file's own; see escape)
_WARNINGS = re.compile(r"(?:\d+\t\d+\t[^\t\n]*\t[^\t\n]*(?:\n|\Z))*")
FORMAT = 4


@dataclass
class Stamp:
    engine: str
    combined: bool
    inputs: dict[str, str]  # path under the cards folder -> sha256
    # deck file name -> {sha256, notes, cards}
    decks: dict[str, dict[str, Any]]
    # card file (path under the cards folder) -> {deck: file name, id, id_loc, name,
    # name_loc, card_ids: "id line col" a line, was: "old line col card" a line,
    # warnings: "line col path message" a line}
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: int = FORMAT


def engine() -> str:
    package = Path(__file__).parent
    parts = {
        "ankigen": __version__,
        # The code itself, so an edited generator is never taken for the one that built.
        "source": {
            path.relative_to(package).as_posix(): digest(path.read_bytes())
            for path in sorted(package.rglob("*"))
            if path.suffix in (".py", ".css")
        },
        "genanki": genanki.__version__,
        "pygments": pygments.__version__,
        "sqlite": sqlite3.sqlite_version,
        "zlib": zlib.ZLIB_VERSION,
        "note types": [repr(kind.note_type) for kind in KINDS.values()],
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def inputs(cards_dir: Path, card_files: list[Path]) -> dict[str, str]:
    """Card files and the identity file by their content; every other file by its size and
    modification time.

    Only card files are read: images and unrelated files are looked at with one stat
    each, so a large file in the folder costs nothing and an unreadable one breaks
    nothing. An image rewritten with the same size and the same mtime to the nanosecond
    would be missed; an editor or a copy always gives a new mtime."""
    # The identity file is read too: a build records the digest of the one it wrote.
    read = {*card_files, identity.path_in(cards_dir)}
    result = {}
    for folder, _, names in os.walk(cards_dir):  # an unreadable folder is skipped
        for name in names:
            path = Path(folder, name)
            key = path.relative_to(cards_dir).as_posix()
            try:
                if path in read:  # a FIFO or a device: refused here, not waited for
                    result[key] = digest(read_regular(path, MAX_RECORD_BYTES))
                    continue
                status = path.stat()
            except OSError:  # unreadable, or gone meanwhile: the build reports it if it matters
                result[key] = "unreadable"
                continue
            if stat.S_ISREG(status.st_mode):
                result[key] = f"size {status.st_size} mtime {status.st_mtime_ns}"
    return dict(sorted(result.items()))


def read(out_dir: Path, notices: list[str] | None = None) -> Stamp | None:
    """The last build's stamp, or None if there is none or it is not one this ankigen can
    use. The file is the user's (or a cloned repository's), so nothing in it is trusted:
    anything it holds out of range makes it no record, and `notices` gets one line why
    (none for a missing record, nor for one an older ankigen wrote)."""
    path = out_dir / STAMP_NAME
    try:
        data = json.loads(read_regular(path, MAX_RECORD_BYTES))
        if not isinstance(data, dict):
            raise _Bad("not a JSON object")
        if data.get("format", FORMAT) != FORMAT:
            return None  # an older ankigen's: an upgrade reads everything again, silently
        stamp = Stamp(**data)
        _check(stamp)
    except FileNotFoundError:
        return None
    except OSError as e:  # not a regular file, too large, unreadable
        why = e.strerror
    except RecursionError:
        why = "nested too deeply"
    except ValueError as e:  # not JSON (a JSONDecodeError is one), or _Bad
        why = str(e) if isinstance(e, _Bad) else "not JSON"
    except TypeError:  # keys that a Stamp does not have, or lacks
        why = "not a record of this ankigen"
    else:
        return stamp
    if notices is not None:
        notices.append(f"{path}: {why}; not used: every card file is read again")
    return None


class _Bad(ValueError):
    """What in a record is out of range or of the wrong type."""


# The record's numbers as a build may use them (notes.MAX_ID); counts and places in a file
# are never negative.
_SHA256 = re.compile(r"[0-9a-f]{64}")
_DECK_FILE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.apkg")  # a section id's (a slug)


def _int(value: Any, what: str, low: int, high: int) -> None:
    if type(value) is not int:
        raise _Bad(f"{what} is not a whole number")
    if not low <= value <= high:
        raise _Bad(f"{what} is out of range ({value})")


def _check(stamp: Stamp) -> None:
    """Raises _Bad naming the first thing in the stamp a build cannot use."""
    if not isinstance(stamp.engine, str) or not isinstance(stamp.combined, bool):
        raise _Bad("'engine' or 'combined' is of the wrong type")
    _texts(stamp.inputs, "'inputs'")
    if not isinstance(stamp.decks, dict):
        raise _Bad("'decks' is not a mapping")
    for name, deck in stamp.decks.items():
        _deck(name, deck)
    if not isinstance(stamp.sections, dict):
        raise _Bad("'sections' is not a mapping")
    for key, section in stamp.sections.items():
        _section(key, section)


def _texts(value: Any, what: str) -> None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise _Bad(f"{what} is not a mapping of texts")


def _deck(name: str, deck: Any) -> None:
    what = f"deck {name!r}"
    if not _DECK_FILE.fullmatch(name) or not isinstance(deck, dict):
        raise _Bad(f"{what} is not a deck file's record")
    if not isinstance(deck.get("sha256"), str) or not _SHA256.fullmatch(deck["sha256"]):
        raise _Bad(f"{what}: 'sha256' is not a digest")
    for key in ("notes", "cards"):
        _int(deck.get(key), f"{what}: {key!r}", 0, MAX_ID)


def _section(key: str, section: Any) -> None:
    what = f"section {key!r}"
    if not isinstance(section, dict):
        raise _Bad(f"{what} is not a mapping")
    if not all(isinstance(section.get(k), str) for k in ("deck", "id", "name")):
        raise _Bad(f"{what}: 'deck', 'id' or 'name' is not text")
    if not _DECK_FILE.fullmatch(section["deck"]):
        raise _Bad(f"{what}: 'deck' is not a deck file's name")
    for loc in ("id_loc", "name_loc"):
        value = section.get(loc)
        if not isinstance(value, list) or len(value) != 2:
            raise _Bad(f"{what}: {loc!r} is not a line and a column")
        for n in value:
            _int(n, f"{what}: {loc!r}", 1, MAX_ID)
    for text, pattern in (("card_ids", _CARD_IDS), ("was", _WAS), ("warnings", _WARNINGS)):
        value = section.get(text)
        if not isinstance(value, str) or pattern.fullmatch(value) is None:
            raise _Bad(f"{what}: {text!r} is not as a build writes it")


def deck_is_current(out_dir: Path, name: str, record: dict[str, Any]) -> bool:
    """The deck on disk is the one the stamp recorded (not touched since, by hand or by
    an unfinished build)."""
    try:
        return digest(read_regular(out_dir / name, MAX_DECK_BYTES)) == record["sha256"]
    except OSError:
        return False


def serialize(stamp: Stamp) -> bytes:
    # ASCII: a file name that is not UTF-8 (kept by Python as lone surrogates) is written
    # as a \udcxx escape and read back as the same name. Compact, and no deep copy
    # (asdict): at 100k cards the record of every card id is most of the file.
    fields = {name: getattr(stamp, name) for name in stamp.__dataclass_fields__}
    text = json.dumps(fields, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    # Two copies at most, not three: with a hundred thousand warnings recorded it is 37 MB.
    data = text.encode("ascii")
    del text
    return data + b"\n"


Record = dict[str, Any]  # a card file's entry in the stamp (Stamp.sections)


class Warnings(Collection[Problem]):
    """A run's warnings, file by file, as the stamp records them (`warnings_text`), made
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
                yield unescape(path) or display, line, col, unescape(message)

    def lines(self) -> Iterator[str]:
        """Each warning as `str(problem) + " [warning]"` shows it, without a problem in
        between (a rebuild shows a 100k-card tree's again)."""
        for path, line, col, message in self._entries():
            yield f"{path}:{line}:{col}: {message} [warning]"

    def __iter__(self) -> Iterator[Problem]:
        for path, line, col, message in self._entries():
            yield Problem(Loc(path, int(line), int(col)), message)


def warnings_text(warnings: list[Problem], file: Path) -> str:
    """Warnings as the stamp keeps them: "line<TAB>col<TAB>path<TAB>message" a line, the
    path empty when it is the card file's own (see escape)."""
    display = str(file)
    return "\n".join(
        f"{w.loc.line}\t{w.loc.col}\t"
        f"{'' if w.loc.path == display else escape(w.loc.path)}\t"
        f"{escape(w.message)}"
        for w in warnings
    )


def record_of(section: Section, warnings: str) -> Record:
    """What the stamp keeps of a checked card file (see Stamp.sections); its warnings as
    `warnings_text` gives them."""

    def at(loc: Loc | None) -> str:
        return f"{loc.line} {loc.col}" if loc is not None else "1 1"

    return {
        "deck": f"{section.id}.apkg",
        "id": section.id,
        "id_loc": [int(n) for n in at(section.value_locs.get("id")).split()],
        "name": section.deck,
        "name_loc": [int(n) for n in at(section.value_locs.get("deck")).split()],
        # One text, "id line col" a line (ids are slugs): a list per card would take several
        # times the memory, and a build holds the record of every file until its end.
        "card_ids": "\n".join(
            f"{card.id} {at(card.value_locs.get('id'))}" for card in section.cards
        ),
        "was": "\n".join(
            f"{old} {at(card.value_locs.get('was'))} {card.id}"
            for card in section.cards
            for old in card.was
        ),
        # One text too (see Warnings): a list a warning was most of the time of a rebuild
        # that reads them back.
        "warnings": warnings,
    }


def _lines(text: str) -> Iterator[list[str]]:
    # "card line col" (or "old line col card") a line, as record_of writes them.
    return (entry.split(" ") for entry in text.split("\n") if entry)


def card_ids(record: Record) -> Iterator[list[str]]:
    """A card file's card ids as its record holds them: [id, line, col] each."""
    return _lines(record["card_ids"])


def recall(validator: Validator, record: Record, file: Path) -> None:
    """A card file not read again claims, from its record, what reading it would have."""
    display = str(file)
    validator.recall(
        [(c, Loc(display, int(ln), int(col))) for c, ln, col in card_ids(record)],
        record["id"],
        Loc(display, *record["id_loc"]),
        record["name"],
        Loc(display, *record["name_loc"]),
    )
    for old, line, col, card_id in _lines(record["was"]):
        validator.claim_was(old, Loc(display, int(line), int(col)), card_id)


def current(
    last: Stamp | None, inputs: dict[str, str], keys: dict[Path, str], out_dir: Path, combined: bool
) -> dict[str, Record]:
    """The card files whose deck is current, by their key: the stamp was written by this
    engine, for the same mode; the file and every other file under the cards folder (images,
    the identity file) are as the stamp recorded them; and the deck on disk is the one
    recorded. The one rule for a current deck, for build, --check and the stamp alike."""
    if last is None or last.engine != engine() or last.combined != combined:
        return {}
    # A report not yet printed: the full comparison finds it again, as far as it is true.
    if (out_dir / PENDING_NAME).exists():
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
        return found if whole and deck_is_current(out_dir, name, last.decks[name]) else {}
    return {
        key: record
        for key, record in found.items()
        if record["deck"] in last.decks
        and deck_is_current(out_dir, record["deck"], last.decks[record["deck"]])
    }
