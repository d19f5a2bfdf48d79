"""What a package or collection exported by Anki holds, read with the official `anki` package.

`ankigen import` turns it into card files and `ankigen pull` brings its edits back; both
read it here, one way. The `anki` package is an extra (`pip install 'ankigen[anki]'`):
it reads every format Anki has written (legacy `collection.anki2`/`.anki21`, the current
zstd `collection.anki21b`, `.colpkg`, and a closed collection file).

A package (.apkg or .colpkg) is restored by Anki's own collection-package import into a
temporary folder: the two formats share one archive layout, and a restore keeps every id,
guid, mtime and note-type key as the package holds them (an import into a collection would
merge note types with the collection's own stock ones). A collection file is copied, so the
learner's file is never opened for writing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen.errors import AnkigenError

INSTALL = "pip install 'ankigen[anki]'"
PACKAGES = (".apkg", ".colpkg")
COLLECTIONS = (".anki2", ".anki21")
MODEL_CLOZE = 1  # Anki's note-type "type" for cloze note types


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
    notes: list[ExportedNote]  # in note id order
    note_types: dict[int, ExportedNoteType]  # every note type the file holds, used or not
    decks: list[str]  # the (non-filtered) decks that hold a card, sorted
    media: dict[str, Path]  # file name -> where its bytes are, while the Export is open


@contextmanager
def read_export(path: Path) -> Iterator[Export]:
    """The notes, note types, decks and media of an .apkg, .colpkg or closed collection file,
    valid inside the `with` block (the media files live in a temporary folder until then).
    Raises AnkigenError (one clear message) for anything that is not such a file."""
    try:
        from anki.collection import Collection
        from anki.errors import BackendError
    except ImportError:
        raise AnkigenError(
            f"reading Anki's packages needs the official anki package: {INSTALL}"
        ) from None
    if path.suffix.lower() not in PACKAGES + COLLECTIONS:
        raise AnkigenError(
            f"{path}: not an Anki package: expected an .apkg or .colpkg that Anki exported, "
            "or a collection file (.anki2)"
        )
    if not path.is_file():
        raise AnkigenError(f"{path}: no such file")
    with tempfile.TemporaryDirectory(prefix="ankigen-read-") as tmp:
        try:
            col_path, media_dir = _restore(path, Path(tmp))
            col = Collection(str(col_path))
            try:
                export = _read(col, media_dir)
            finally:
                col.close()
        except BackendError as e:
            raise AnkigenError(f"{path}: {_why(e)}") from None
        yield export


def _restore(path: Path, tmp: Path) -> tuple[Path, Path]:
    """The collection file to open and the folder of its media, both under `tmp`'s care
    except the media of a closed collection, which stays next to it (only read)."""
    col_path = tmp / "collection.anki2"
    if path.suffix.lower() in COLLECTIONS:
        shutil.copyfile(path, col_path)
        return col_path, path.with_suffix(".media")  # Anki's profile: collection.media/
    from anki._backend import RustBackend

    media_dir = tmp / "collection.media"
    RustBackend().import_collection_package(
        col_path=str(col_path),
        backup_path=str(path),
        media_folder=str(media_dir),
        media_db=str(tmp / "collection.media.db2"),
    )
    return col_path, media_dir


def _why(error: Exception) -> str:
    """Anki's reason in the learner's words: its own messages say it, except a database's."""
    text = str(error)
    if "FileTooNew" in text or "requires a newer version" in text:
        return (
            "made by a newer Anki than ankigen's anki package reads; "
            "upgrade it (pip install -U anki) and try again"
        )
    if "Zip archive" in text or "not a valid .apkg" in text:
        return "not an Anki package (or a damaged one): export it again from Anki"
    return f"not an Anki collection, or a damaged one (Anki says: {text})"


def _read(col: Any, media_dir: Path) -> Export:
    note_types = {m["id"]: _note_type(col.models.get(m["id"])) for m in col.models.all()}
    names = {d.id: d.name for d in col.decks.all_names_and_ids()}
    decks_of: dict[int, list[str]] = {}
    for nid, did, odid in col.db.execute("select nid, did, odid from cards order by nid, ord"):
        decks_of.setdefault(nid, []).append(names[odid or did])
    notes = [
        ExportedNote(
            id=nid,
            guid=guid,
            note_type_id=mid,
            fields=tuple(flds.split("\x1f")),
            tags=tuple(tags.split()),
            mod=mod,
            decks=tuple(decks_of.get(nid, ())),
        )
        for nid, guid, mid, mod, tags, flds in col.db.execute(
            "select id, guid, mid, mod, tags, flds from notes order by id"
        )
    ]
    media = (
        {p.name: p for p in sorted(media_dir.iterdir()) if p.is_file()}
        if media_dir.is_dir()
        else {}
    )
    decks = sorted({deck for n in notes for deck in n.decks})
    return Export(notes=notes, note_types=note_types, decks=decks, media=media)


def _note_type(raw: dict[str, Any]) -> ExportedNoteType:
    return ExportedNoteType(
        id=raw["id"],
        name=raw["name"],
        cloze=raw.get("type") == MODEL_CLOZE,
        fields=tuple(f["name"] for f in raw["flds"]),
        field_ids=tuple(f.get("id") for f in raw["flds"]),
        templates=tuple(
            ExportedTemplate(t["name"], t["qfmt"], t["afmt"], t.get("id")) for t in raw["tmpls"]
        ),
        css=raw["css"],
        mod=raw["mod"],
        raw=raw,
    )
