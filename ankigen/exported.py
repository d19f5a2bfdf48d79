"""What a package or collection exported by Anki holds, read with the official `anki` package.

`ankigen import` turns it into card files and `ankigen pull` brings its edits back; both
read it here, one way. The `anki` package is an extra (`pip install 'ankigen[anki]'`):
it reads every format Anki has written (legacy `collection.anki2`/`.anki21`, the current
zstd `collection.anki21b`, `.colpkg`, and a closed collection file).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ExportedTemplate:
    name: str
    front: str  # qfmt
    back: str  # afmt
    id: int | None  # Anki's template id (since 2.1.67), None where the package has none


@dataclass(frozen=True)
class ExportedNoteType:
    id: int
    name: str
    cloze: bool
    fields: tuple[str, ...]
    field_ids: tuple[int | None, ...]
    templates: tuple[ExportedTemplate, ...]
    css: str
    mod: int
    # The note type's JSON as Anki's legacy API gives it (col.models.get), for what the
    # names above do not say (sort field, LaTeX pre/post, ...).
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)


@dataclass(frozen=True)
class ExportedNote:
    id: int
    guid: str
    note_type_id: int
    fields: tuple[str, ...]  # Anki's HTML, in the note type's field order
    tags: tuple[str, ...]
    mod: int  # seconds; newer than the last build's mod when the learner edited it in Anki
    decks: tuple[str, ...]  # the decks its cards are in, in card order (ord)


@dataclass
class Export:
    notes: list[ExportedNote]
    note_types: dict[int, ExportedNoteType]
    decks: list[str]
    media: dict[str, Path]  # file name -> where its bytes are, while the Export is open


def read_export(path: Path) -> Export:
    """The notes, note types, decks and media of an .apkg, .colpkg or closed collection file.
    Raises AnkigenError (one clear message) for anything that is not such a file."""
    raise NotImplementedError  # being written for `ankigen import` (issue 25)
