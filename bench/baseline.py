"""The floor for `ankigen build`: the very notes of built decks, written again with genanki.

    python bench/baseline.py DECKS_DIR OUT_DIR

Reads every .apkg in DECKS_DIR (what `ankigen build` wrote: its note types, notes, tags,
decks and media) and writes each again through genanki's `Package.write_to_file`, so
both sides write exactly the same notes and cards with the same note types, whatever
ankigen's kinds make. No YAML, no validation, no previous build to compare with.

Prints one summary line per deck, as `ankigen build` does (the benchmark compares the
counts), and the seconds spent writing (`write: S s, cpu C s`, wall and CPU), which is
what the benchmark calls the baseline: reading the decks back is not genanki's work.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import genanki


def _models(models_json: str) -> dict[int, genanki.Model]:
    models = {}
    for model_id, m in json.loads(models_json).items():
        models[int(model_id)] = genanki.Model(
            int(model_id),
            m["name"],
            fields=[{"name": f["name"]} for f in m["flds"]],
            templates=[
                {"name": t["name"], "qfmt": t["qfmt"], "afmt": t["afmt"]} for t in m["tmpls"]
            ],
            css=m["css"],
            model_type=m["type"],
        )
    return models


def read_deck(apkg: Path, media_dir: Path) -> tuple[list[genanki.Deck], list[str]]:
    """The decks of a package as genanki objects, and its media files (extracted)."""
    with zipfile.ZipFile(apkg) as archive:
        collection = archive.read("collection.anki2")
        index = json.loads(archive.read("media") or b"{}")
        media = []
        for entry, name in index.items():
            path = media_dir / name
            path.write_bytes(archive.read(entry))
            media.append(str(path))
    db = sqlite3.connect(":memory:")
    db.deserialize(collection)
    decks_json, models_json = db.execute("SELECT decks, models FROM col").fetchone()
    models = _models(models_json)
    decks = {
        d["id"]: genanki.Deck(d["id"], d["name"], description=d.get("desc", ""))
        for d in json.loads(decks_json).values()
        if str(d["id"]) != "1"
    }
    deck_of = dict(db.execute("SELECT nid, did FROM cards GROUP BY nid"))
    for nid, guid, mid, tags, flds in db.execute(
        "SELECT id, guid, mid, tags, flds FROM notes ORDER BY id"
    ):
        note = genanki.Note(models[mid], flds.split("\x1f"), tags=tags.split(), guid=guid)
        decks[deck_of[nid]].add_note(note)
    db.close()
    return list(decks.values()), media


def main() -> None:
    source, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = []
        for number, apkg in enumerate(sorted(source.glob("*.apkg"))):
            media_dir = Path(tmp, str(number))
            media_dir.mkdir()
            work.append((apkg.name, *read_deck(apkg, media_dir)))
        start, cpu = time.perf_counter(), time.process_time()
        for name, decks, media in work:
            genanki.Package(decks, media_files=media).write_to_file(out / name)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    for name, decks, _ in work:
        notes = [n for d in decks for n in d.notes]
        print(f"{out / name}: {len(notes)} notes, {sum(len(n.cards) for n in notes)} cards")
    print(f"write: {seconds:.3f} s, cpu {cpu:.3f} s")


if __name__ == "__main__":
    main()
