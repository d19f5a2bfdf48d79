"""read_export: what Anki exported, read back with the official anki package, in every format."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.errors import AnkigenError
from ankigen.exported import Export, read_export
from tests.learner import CUSTOM_CSS, IMAGE, NOTES, export, make_collection

FORMATS = ("apkg", "legacy", "colpkg", "collection")


@pytest.fixture(scope="module")
def learner(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """The learner's collection folder (closed) and its exports, by format."""
    folder = tmp_path_factory.mktemp("learner")
    col = make_collection(folder / "anki")
    files = {fmt: export(col, folder, fmt) for fmt in FORMATS[:3]}
    col.close()
    files["collection"] = folder / "anki" / "collection.anki2"
    return folder, files


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The temporary folder read_export uses, so a test can see it left nothing behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def _truth(learner_folder: Path) -> Collection:
    return Collection(str(learner_folder / "anki" / "collection.anki2"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_note_arrives_as_the_collection_holds_it(learner, fmt):
    folder, files = learner
    with read_export(files[fmt]) as export_:
        got = export_
        media = {name: path.read_bytes() for name, path in export_.media.items()}
    col = _truth(folder)
    try:
        rows = col.db.all("select id, guid, mid, mod, tags, flds from notes order by id")
        assert [(n.id, n.guid, n.note_type_id, n.mod) for n in got.notes] == [
            tuple(r[:4]) for r in rows
        ]
        assert [n.fields for n in got.notes] == [tuple(r[5].split("\x1f")) for r in rows]
        assert [list(n.fields) for n in got.notes] == [fields for _, _, fields, _ in NOTES]
        assert [list(n.tags) for n in got.notes] == [sorted(tags) for *_, tags in NOTES]
        assert [n.decks[0] for n in got.notes] == [deck for _, deck, _, _ in NOTES]
        reversed_note = got.notes[1]
        assert reversed_note.decks == ("Virtualization::Containers",) * 2  # one per card
        assert got.decks == ["Japanese", "Virtualization", "Virtualization::Containers"]
        _assert_note_types(col, got)
    finally:
        col.close()
    assert media == {"ns.png": IMAGE}


def _assert_note_types(col: Collection, got: Export) -> None:
    used = {n.note_type_id for n in got.notes}
    assert used <= got.note_types.keys()
    for mid in used:
        want = col.models.get(mid)
        have = got.note_types[mid]
        assert (have.name, have.mod, have.css) == (want["name"], want["mod"], want["css"])
        assert have.fields == tuple(f["name"] for f in want["flds"])
        assert have.field_ids == tuple(f["id"] for f in want["flds"])
        assert None not in have.field_ids
        assert [(t.name, t.front, t.back, t.id) for t in have.templates] == [
            (t["name"], t["qfmt"], t["afmt"], t["id"]) for t in want["tmpls"]
        ]
        assert have.cloze == (want["name"] == "Cloze")
        assert have.raw["sortf"] == want["sortf"]
    custom = next(t for t in got.note_types.values() if t.name == "Japanese word")
    assert custom.css == CUSTOM_CSS
    assert [t.name for t in custom.templates] == ["Recognise", "Recall"]


def test_media_live_while_open_and_go_when_closed(learner, private_tmp):
    with read_export(learner[1]["apkg"]) as got:
        image = got.media["ns.png"]
        assert image.read_bytes() == IMAGE
    assert not image.exists()
    assert list(private_tmp.iterdir()) == []


def test_a_collection_file_is_only_read(learner):
    path = learner[1]["collection"]
    before = path.read_bytes()
    with read_export(path) as got:
        assert len(got.notes) == len(NOTES)
    assert path.read_bytes() == before


def _rezip(good: Path, out: Path, replace: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            data = replace.get(name, src.read(name))
            if data is not None:
                dst.writestr(name, data)
    return out


def _bad_files(files: dict[str, Path], tmp: Path) -> dict[str, tuple[Path, str]]:
    """Each bad input and the reason its message gives."""
    text = tmp / "notes.apkg"
    text.write_text("not a zip", encoding="utf-8")
    truncated = tmp / "truncated.apkg"
    truncated.write_bytes(files["apkg"].read_bytes()[:2000])
    newer_db = tmp / "newer.anki2"
    newer_db.write_bytes(files["collection"].read_bytes())
    with sqlite3.connect(newer_db) as db:
        db.execute("update col set ver = 99")
    db.close()
    junk_db = tmp / "junk.anki2"
    junk_db.write_bytes(b"junk" * 1000)
    not_package = "not an Anki package (or a damaged one): export it again from Anki"
    newer = (
        "made by a newer Anki than ankigen's anki package reads; "
        "upgrade it (pip install -U anki) and try again"
    )
    return {
        "text": (text, not_package),
        "truncated zip": (truncated, not_package),
        "empty zip": (
            _rezip(
                files["apkg"],
                tmp / "empty.apkg",
                dict.fromkeys(zipfile.ZipFile(files["apkg"]).namelist()),
            ),
            not_package,
        ),
        "damaged database": (
            _rezip(files["apkg"], tmp / "damaged.apkg", {"collection.anki21b": b"x" * 99}),
            "not an Anki collection, or a damaged one (Anki says: Unknown frame descriptor)",
        ),
        # meta holds the package format (protobuf field 1); 4 is one past the newest
        "newer package": (_rezip(files["apkg"], tmp / "newer.apkg", {"meta": b"\x08\x04"}), newer),
        "newer collection": (newer_db, newer),
        "junk collection": (
            junk_db,
            'not an Anki collection, or a damaged one (Anki says: DbError { info: "SqliteFailure'
            '(Error { code: NotADatabase, extended_code: 26 }, Some(\\"file is not a database'
            '\\"))", kind: Other })',
        ),
    }


def test_bad_input_is_one_message_and_leaves_nothing(learner, tmp_path, private_tmp):
    bad = _bad_files(learner[1], tmp_path)
    for case, (path, reason) in bad.items():
        with pytest.raises(AnkigenError) as caught, read_export(path):
            pytest.fail(f"{case}: read")
        assert caught.value.text == f"{path}: {reason}", case
        assert list(private_tmp.iterdir()) == [], case


def test_a_file_of_another_kind_or_none_is_refused(tmp_path):
    csv = tmp_path / "notes.csv"
    csv.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(AnkigenError) as caught, read_export(csv):
        pass
    assert caught.value.text == (
        f"{csv}: not an Anki package: expected an .apkg or .colpkg that Anki exported, "
        "or a collection file (.anki2)"
    )
    with pytest.raises(AnkigenError) as caught, read_export(tmp_path / "gone.apkg"):
        pass
    assert caught.value.text == f"{tmp_path / 'gone.apkg'}: no such file"


def test_without_the_anki_package_it_says_what_to_install(learner, monkeypatch):
    monkeypatch.setitem(sys.modules, "anki.collection", None)  # import fails as when absent
    with pytest.raises(AnkigenError) as caught, read_export(learner[1]["apkg"]):
        pass
    assert caught.value.text == (
        "reading Anki's packages needs the official anki package: pip install 'ankigen[anki]'"
    )


def test_a_card_in_a_filtered_deck_is_in_its_home_deck(learner, tmp_path):
    path = tmp_path / "collection.anki2"
    path.write_bytes(learner[1]["collection"].read_bytes())
    col = Collection(str(path))
    cram = col.sched.get_or_create_filtered_deck(deck_id=0)
    cram.name = "Cram"
    del cram.config.search_terms[:]
    cram.config.search_terms.add(search="deck:Japanese", limit=100)
    col.sched.add_or_update_filtered_deck(cram)
    assert col.db.scalar("select count() from cards where odid != 0") == 2
    col.close()
    with read_export(path) as got:
        assert got.notes[-1].decks == ("Japanese", "Japanese")
        assert "Cram" not in got.decks
