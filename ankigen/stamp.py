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
import sqlite3
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


def inputs(cards_dir: Path) -> dict[str, str]:
    return {
        path.relative_to(cards_dir).as_posix(): digest(path.read_bytes())
        for path in sorted(cards_dir.rglob("*"))
        if path.is_file()
    }


def read(out_dir: Path) -> Stamp | None:
    try:
        return Stamp(**json.loads((out_dir / STAMP_NAME).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


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
    return (json.dumps(asdict(stamp), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
