"""What the last build was made from, so a rebuild with nothing changed can stop early.

`<out>/.ankigen-build.json` records a digest of every file under the cards folder, of
every deck written, and of the engine that wrote them (ankigen's own code and the
versions of the libraries whose bytes end up in a deck). A build is deterministic: the
same inputs, the same engine and the same previous decks make the same decks again.
So when all three match, the decks are current and nothing needs to be read or made.
Anything else (no stamp, a changed card or image, a deck touched by hand) means a
full build, which then writes a new stamp.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import genanki
import pygments

from ankigen import __version__
from ankigen.kinds import KINDS

STAMP_NAME = ".ankigen-build.json"


@dataclass
class Stamp:
    engine: str
    combined: bool
    inputs: dict[str, str]  # path under the cards folder -> sha256
    decks: dict[str, dict[str, Any]]  # deck file name -> {sha256, notes, cards}
    warnings: list[str] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)  # deck file names the sections make


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

    def deck(value: Any) -> bool:
        return (
            isinstance(value, dict)
            and isinstance(value.get("sha256"), str)
            and all(type(value.get(k)) is int for k in ("notes", "cards"))
        )

    return (
        isinstance(stamp.engine, str)
        and isinstance(stamp.combined, bool)
        and texts(stamp.inputs)
        and isinstance(stamp.decks, dict)
        and all(isinstance(k, str) and deck(v) for k, v in stamp.decks.items())
        and isinstance(stamp.warnings, list)
        and all(isinstance(w, str) for w in stamp.warnings)
        and isinstance(stamp.sections, list)
        and all(isinstance(name, str) for name in stamp.sections)
    )


def current(stamp: Stamp, inputs: dict[str, str], out_dir: Path, combined: bool) -> bool:
    """True if the decks in `out_dir` are what a build of these inputs would make."""
    if stamp.engine != engine() or stamp.combined != combined or stamp.inputs != inputs:
        return False
    try:
        return all(
            digest((out_dir / name).read_bytes()) == deck["sha256"]
            for name, deck in stamp.decks.items()
        )
    except OSError:
        return False


def serialize(stamp: Stamp) -> bytes:
    # ASCII: a file name that is not UTF-8 (kept by Python as lone surrogates) is written
    # as a \udcxx escape and read back as the same name.
    return (json.dumps(asdict(stamp), ensure_ascii=True, indent=1, sort_keys=True) + "\n").encode()
