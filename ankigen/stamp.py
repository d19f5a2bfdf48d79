"""What the last build was made from, so a rebuild reads only what changed.

`<out>/.ankigen-build.json` records a digest of every file under the cards folder, of
the engine that wrote the decks (ankigen's own code and the versions of the libraries
whose bytes end up in a deck), and, per card file, what the rest of a build needs to
know of it without reading it again: its section id, deck name and card ids (with
where they are written, for messages), its warnings, and its deck (digest, counts, the
highest id and the note types it holds).

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import genanki
import pygments

from ankigen import __version__
from ankigen.kinds import KINDS

STAMP_NAME = ".ankigen-build.json"
_CARD_IDS = re.compile(r"(?:\S+ \d+ \d+(?:\n\S+ \d+ \d+)*)?")  # "id line col" a line
# "line<TAB>col<TAB>path<TAB>message" a line (path empty: the card file's own; see escape)
_WARNINGS = re.compile(r"(?:\d+\t\d+\t[^\t\n]*\t[^\t\n]*(?:\n|\Z))*")
FORMAT = 3


@dataclass
class Stamp:
    engine: str
    combined: bool
    inputs: dict[str, str]  # path under the cards folder -> sha256
    # deck file name -> {sha256, notes, cards, max_id, note_types: {id: mod}}
    decks: dict[str, dict[str, Any]]
    # card file (path under the cards folder) -> {deck: file name, id, id_loc, name,
    # name_loc, card_ids: "id line col" a line, warnings: "line col path message" a line}
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    # note type id -> its JSON as the decks hold it, without "mod" (the decks' own)
    note_types: dict[str, dict[str, Any]] = field(default_factory=dict)
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
    """Card files by their content; every other file by its size and modification time.

    Only card files are read: images and unrelated files are looked at with one stat
    each, so a large file in the folder costs nothing and an unreadable one breaks
    nothing. An image rewritten with the same size and the same mtime to the nanosecond
    would be missed; an editor or a copy always gives a new mtime."""
    cards = set(card_files)
    result = {}
    for folder, _, names in os.walk(cards_dir):  # an unreadable folder is skipped
        for name in names:
            path = Path(folder, name)
            key = path.relative_to(cards_dir).as_posix()
            try:
                if path in cards:
                    result[key] = digest(path.read_bytes())
                    continue
                status = path.stat()
            except OSError:  # unreadable, or gone meanwhile: the build reports it if it matters
                result[key] = "unreadable"
                continue
            if stat.S_ISREG(status.st_mode):
                result[key] = f"size {status.st_size} mtime {status.st_mtime_ns}"
    return dict(sorted(result.items()))


def read(out_dir: Path) -> Stamp | None:
    """The last build's stamp, or None if there is none or it is not one we wrote."""
    try:
        stamp = Stamp(**json.loads((out_dir / STAMP_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return stamp if _well_formed(stamp) else None


def _well_formed(stamp: Stamp) -> bool:
    def texts(value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        )

    def ints(value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and type(v) is int for k, v in value.items()
        )

    def deck(value: Any) -> bool:
        return (
            isinstance(value, dict)
            and isinstance(value.get("sha256"), str)
            and all(type(value.get(k)) is int for k in ("notes", "cards", "max_id"))
            and ints(value.get("note_types"))
        )

    def loc(value: Any) -> bool:
        return isinstance(value, list) and len(value) == 2 and all(type(n) is int for n in value)

    def section(value: Any) -> bool:
        return (
            isinstance(value, dict)
            and all(isinstance(value.get(k), str) for k in ("deck", "id", "name"))
            and loc(value.get("id_loc"))
            and loc(value.get("name_loc"))
            and isinstance(value.get("card_ids"), str)
            and _CARD_IDS.fullmatch(value["card_ids"]) is not None
            and isinstance(value.get("warnings"), str)
            and _WARNINGS.fullmatch(value["warnings"]) is not None
        )

    return (
        stamp.format == FORMAT
        and isinstance(stamp.engine, str)
        and isinstance(stamp.combined, bool)
        and texts(stamp.inputs)
        and isinstance(stamp.decks, dict)
        and all(isinstance(k, str) and deck(v) for k, v in stamp.decks.items())
        and isinstance(stamp.sections, dict)
        and all(isinstance(k, str) and section(v) for k, v in stamp.sections.items())
        and isinstance(stamp.note_types, dict)
        and all(isinstance(v, dict) for v in stamp.note_types.values())
    )


# A warning's text in the record: one line, tabs kept apart from the fields around it.
_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t"}
_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}
_ESCAPED = re.compile(r"\\(.)")


def escape(text: str) -> str:
    if "\\" in text or "\n" in text or "\t" in text:
        for raw, escaped in _ESCAPES.items():
            text = text.replace(raw, escaped)
    return text


def unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda m: _UNESCAPES.get(m[1], m[0]), text)


def deck_is_current(out_dir: Path, name: str, record: dict[str, Any]) -> bool:
    """The deck on disk is the one the stamp recorded (not touched since, by hand or by
    an unfinished build)."""
    try:
        return digest((out_dir / name).read_bytes()) == record["sha256"]
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
