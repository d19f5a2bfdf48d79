"""`ankigen import`: a learner's collection, exported by Anki, comes back as card files whose
build Anki imports as updates of the very same notes, with every review kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS

import ankigen.importer
from ankigen.exported import Export
from tests.conftest import import_apkg, run
from tests.learner import IMAGE, NOTES, export, make_collection

FORMATS = ("apkg", "legacy", "colpkg")
READ = (*FORMATS, "collection")  # and a closed collection file


@pytest.fixture(scope="module")
def learner(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The learner's closed collection ("collection") and its exports, by format."""
    folder = tmp_path_factory.mktemp("learner")
    col = make_collection(folder / "anki")
    files = {fmt: export(col, folder, fmt) for fmt in FORMATS}
    col.close()
    files["collection"] = folder / "anki" / "collection.anki2"
    return files


def _learners_copy(learner: dict[str, Path], tmp_path: Path) -> Collection:
    folder = tmp_path / "learner-now"
    folder.mkdir()
    shutil.copy(learner["collection"], folder / "collection.anki2")
    return Collection(str(folder / "collection.anki2"))


def _state(col: Collection) -> tuple:
    """What a learner has: every note (fields, tags, type), every card (deck, reviews), and
    every note type (ids, names, templates, CSS, mtime) exactly."""
    notes = col.db.all("select guid, mid, tags, flds from notes order by guid")
    cards = col.db.all(
        "select n.guid, c.ord, c.did, c.reps, c.ivl, c.due, c.type, c.queue, c.factor "
        "from cards c join notes n on n.id = c.nid order by n.guid, c.ord"
    )
    col.models._clear_cache()
    types = sorted(
        (m["id"], m["name"], m["mod"], m["css"], m["sortf"])
        + tuple((f["name"], f["id"]) for f in m["flds"])
        + tuple((t["name"], t["id"], t["qfmt"], t["afmt"]) for t in m["tmpls"])
        for m in col.models.all()
    )
    revlog = col.db.scalar("select count() from revlog")
    return notes, cards, types, revlog


@pytest.mark.parametrize("fmt", READ)
def test_built_decks_update_the_learners_notes_keeping_every_review(
    learner, fmt, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("import", str(learner[fmt]))
    assert (code, err) == (0, "")
    assert out == (
        "cards/japanese.yaml: 1 note\n"
        "cards/virtualization.yaml: 5 notes\n"
        "cards/virtualization-containers.yaml: 4 notes\n"
        "7 note type or media files written; now run 'ankigen build'\n"
    )
    assert (tmp_path / "cards" / "media" / "ns.png").read_bytes() == IMAGE
    ids = [c["id"] for f in sorted((tmp_path / "cards").glob("*.yaml")) for c in _cards(f)]
    assert len(set(ids)) == len(ids) == len(NOTES)
    # Readable: the first field's ASCII words (none in 仮想), then a few characters.
    assert sorted(i.rsplit("-", 1)[0] for i in ids) == [
        "cgroup", "cgroups-limit-cpu", "chroot", "docker", "docker-ps-a", "namespace",
        "note", "note", "type-1", "vm",
    ]  # fmt: skip
    code, out, err = run("build", "--strict")
    assert (code, err) == (0, ""), err

    col = _learners_copy(learner, tmp_path)
    try:
        before = _state(col)
        assert before[3] > 0  # the learner has reviews to lose
        logs = [import_apkg(col, deck) for deck in sorted((tmp_path / "decks").glob("*.apkg"))]
        assert sum(len(log.new) for log in logs) == 0
        assert sum(len(log.conflicting) for log in logs) == 0
        assert sum(len(log.missing_notetype) for log in logs) == 0
        # The identity file holds each note's id and time as Anki has them: every note is
        # skipped as identical, none updated.
        assert sum(len(log.duplicate) for log in logs) == len(NOTES)
        assert sum(len(log.updated) for log in logs) == 0
        assert _state(col) == before
    finally:
        col.close()


def test_a_new_learner_gets_the_same_notes_note_types_and_image(learner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("import", str(learner["apkg"]))
    run("build")
    fresh = Collection(str(tmp_path / "fresh.anki2"))
    try:
        for deck in sorted((tmp_path / "decks").glob("*.apkg")):
            import_apkg(fresh, deck)
        learner_col = Collection(str(learner["collection"]))
        try:
            want = learner_col.db.all("select guid, tags, flds from notes order by guid")
            used = learner_col.db.list("select distinct mid from notes")
            want_types = {i: _note_type(learner_col.models.get(i)) for i in used}
            want_cards = learner_col.card_count()
        finally:
            learner_col.close()
        assert fresh.db.all("select guid, tags, flds from notes order by guid") == want
        assert fresh.card_count() == want_cards
        # By id: a fresh collection has stock note types of its own with the same names.
        have_types = {m["id"]: _note_type(fresh.models.get(m["id"])) for m in fresh.models.all()}
        assert {i: have_types.get(i) for i in want_types} == want_types
        assert (Path(fresh.media.dir()) / "ns.png").read_bytes() == IMAGE
        # Anki's own templates, not wrapped the way ankigen's kinds are against MathJax.
        assert "mathjax_ignore" not in str([fresh.models.get(i) for i in want_types])
    finally:
        fresh.close()


def _note_type(raw: dict) -> tuple:
    """A note type as it matters to a learner: all but its name (a fresh collection's own
    stock note types take the names first), mtime and sync counter."""
    return (
        raw["css"],
        raw["type"],
        raw["sortf"],
        raw["latexPre"],
        raw["latexPost"],
        raw.get("originalStockKind"),
        [(f["name"], f["id"], f["font"], f["size"]) for f in raw["flds"]],
        [(t["name"], t["id"], t["qfmt"], t["afmt"]) for t in raw["tmpls"]],
    )


def test_editing_a_note_type_file_reaches_the_learner_after_a_build(learner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run("import", str(learner["apkg"]))
    run("build")
    note_type = tmp_path / "cards" / "notetypes" / "japanese-word.yaml"
    text = note_type.read_text(encoding="utf-8")
    note_type.write_text(text.replace("color: #123456", "color: #654321"), encoding="utf-8")
    assert run("build")[0] == 0
    col = _learners_copy(learner, tmp_path)
    try:
        import_apkg(col, tmp_path / "decks" / "japanese.apkg")
        assert "color: #654321" in col.models.by_name("Japanese word")["css"]
    finally:
        col.close()


def test_an_existing_card_file_is_refused_and_nothing_is_written(learner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "japanese.yaml").write_text("mine\n", encoding="utf-8")
    assert run("import", str(learner["apkg"])) == (
        1,
        "",
        "cards/japanese.yaml: already exists (left as it is); import into another folder\n",
    )
    assert [p.name for p in (tmp_path / "cards").rglob("*")] == ["japanese.yaml"]
    assert (tmp_path / "cards" / "japanese.yaml").read_text(encoding="utf-8") == "mine\n"


def test_a_bad_package_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.apkg").write_bytes(b"not a zip")
    assert run("import", "notes.apkg") == (
        1,
        "",
        "notes.apkg: not an Anki package (or a damaged one): export it again from Anki\n",
    )
    assert not (tmp_path / "cards").exists()


def _fake_export(monkeypatch, media: dict[str, Path]) -> None:
    """An export holding these media files (names a real package could carry), so the
    import's own guard is what is tested."""
    from contextlib import contextmanager

    @contextmanager
    def read(_path):
        yield Export(notes=[], note_types={}, decks=[], media=media)

    monkeypatch.setattr(ankigen.importer, "read_export", read)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../escape.png", "its name would put it outside the cards folder's media/ folder"),
        ("..\\escape.png", "its name would put it outside the cards folder's media/ folder"),
        ("C:escape.png", "its name would put it outside the cards folder's media/ folder"),
        ("..", "its name would put it outside the cards folder's media/ folder"),
        ("what?.png", "its name cannot be a file name on Windows"),
        ("trailing.", "its name cannot be a file name on Windows"),
        ("con.png", "its name is a device on Windows"),
    ],
)
def test_media_names_that_escape_the_folder_are_refused(tmp_path, monkeypatch, name: str, why: str):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.png").write_bytes(IMAGE)
    _fake_export(monkeypatch, {name: tmp_path / "x.png"})
    assert run("import", "any.apkg") == (
        1,
        "",
        f"media file {name!r}: {why}; nothing was written\n",
    )
    assert not (tmp_path / "cards").exists()


def test_media_names_that_clash_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.png").write_bytes(IMAGE)
    (tmp_path / "y.png").write_bytes(IMAGE + b"other")
    _fake_export(monkeypatch, {"Leaf.png": tmp_path / "x.png", "leaf.png": tmp_path / "y.png"})
    assert run("import", "any.apkg") == (
        1,
        "",
        "media files 'Leaf.png' and 'leaf.png' would be one file on Windows and macOS (letter "
        "case or Unicode normalization); rename one in Anki and export again\n",
    )
    _fake_export(monkeypatch, {"leaf.png": tmp_path / "y.png"})
    (tmp_path / "cards" / "media").mkdir(parents=True)
    (tmp_path / "cards" / "media" / "leaf.png").write_bytes(IMAGE)
    assert run("import", "any.apkg") == (
        1,
        "",
        "cards/media/leaf.png: already exists with other content (left as it is)\n",
    )
    assert (tmp_path / "cards" / "media" / "leaf.png").read_bytes() == IMAGE


def test_a_field_a_card_file_cannot_hold_is_named_and_nothing_is_written(tmp_path, monkeypatch):
    (tmp_path / "anki").mkdir()
    col = Collection(str(tmp_path / "anki" / "collection.anki2"))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "bell", "ring"
    col.add_note(note, col.decks.id("Sounds"))
    # Anki's editor drops control characters; older tools (genanki) wrote them.
    col.db.execute("update notes set flds = ? where id = ?", "bell\x1fring\x07", note.id)
    package = export(col, tmp_path, "apkg")
    col.close()
    monkeypatch.chdir(tmp_path)
    assert run("import", str(package)) == (
        1,
        "",
        f"note nid:{note.id} (Sounds): field 'Back' holds U+0007 (control character BEL), which "
        f"a card file cannot; remove it in Anki (search the browser for nid:{note.id}) and "
        "export again\n",
    )
    assert not (tmp_path / "cards").exists()


def test_without_the_anki_package_import_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "anki.collection", None)
    monkeypatch.chdir(tmp_path)
    assert run("import", "x.apkg") == (
        1,
        "",
        "reading Anki's packages needs the official anki package: pip install 'ankigen[anki]'\n",
    )


def test_as_kinds_makes_term_and_gaps_cards_that_keep_their_reviews(learner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("import", "--as-kinds", str(learner["apkg"]))
    assert (code, err) == (0, "")
    cards = [c for f in sorted((tmp_path / "cards").glob("*.yaml")) for c in _cards(f)]
    assert sorted(
        (c["kind"], c.get("term", c.get("text"))) for c in cards if c["kind"] != "note"
    ) == [
        ("gaps", "{{cgroups}} limit {{CPU}}"),
        ("term", "VM"),
        ("term", "type 1"),
        ("term", "ハイパーバイザ"),
    ]
    term = next(c for c in cards if c.get("term") == "type 1")
    assert term["meaning"] == "runs on the hardware & hosts VMs"  # Anki's &amp;, as text
    bold = next(c for c in cards if c.get("term") == "ハイパーバイザ")
    assert bold["meaning"] == "**VM** を動かすソフト"  # Anki's <b>, in card syntax
    assert run("build", "--strict")[0] == 0

    col = _learners_copy(learner, tmp_path)
    try:
        converted = {c["guid"] for c in cards if c["kind"] != "note"}
        nids = {g: n for n, g in col.db.all("select id, guid from notes") if g in converted}
        lines = out.splitlines()
        assert lines[-4:] == [
            _retype_line(col, "Basic", "ankigen Term v2", nids),
            _retype_line(col, "Basic (and reversed card)", "ankigen Term v2", nids),
            _retype_line(col, "Cloze", "ankigen Gaps", nids),
            "2 notes of stock note types stay `kind: note` (HTML or markup that ankigen's kinds "
            "would show differently)",
        ]
        reviews = _reviews(col, nids.values())
        decks = sorted((tmp_path / "decks").glob("*.apkg"))
        logs = [import_apkg(col, deck) for deck in decks]
        assert sum(len(log.new) for log in logs) == 0
        assert sum(len(log.conflicting) for log in logs) == len(nids)  # until changed in Anki
        _change_note_types(col, nids)  # what the report tells the learner to do
        for deck in decks:
            options = ImportAnkiPackageOptions(
                update_notes=IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
            )
            col.import_anki_package(
                ImportAnkiPackageRequest(package_path=str(deck), options=options)
            )
        assert _reviews(col, nids.values()) == reviews
        assert col.get_note(nids[term["guid"]])["Meaning"] == "runs on the hardware &amp; hosts VMs"
    finally:
        col.close()


def _cards(path: Path) -> list[dict]:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))["cards"]


def _retype_line(col: Collection, old: str, new: str, nids: dict[str, int]) -> str:
    mid = col.models.by_name(old)["id"]
    ours = sorted(n for n in nids.values() if col.get_note(n).mid == mid)
    count = "1 note" if len(ours) == 1 else f"{len(ours)} notes"
    return (
        f"{count} of '{old}' became {new} cards, and Anki never changes a note's type on "
        "import. Once, keeping every review: search the browser for "
        f"nid:{','.join(map(str, ours))}, select all, "
        f"Notes > Change Note Type > '{new}'; then import the built deck with 'Update notes: "
        "Always'"
    )


def _reviews(col: Collection, nids) -> list:
    return col.db.all(
        "select nid, ord, reps, ivl, due, type, queue from cards where nid in "
        f"({','.join(map(str, nids))}) order by nid, ord"
    )


def _change_note_types(col: Collection, nids: dict[str, int]) -> None:
    col.models._clear_cache()
    by_type: dict[int, list[int]] = {}
    for nid in nids.values():
        by_type.setdefault(col.get_note(nid).mid, []).append(nid)
    for old, notes in by_type.items():
        new = "ankigen Gaps" if col.models.get(old)["type"] == 1 else "ankigen Term v2"
        info = col.models.change_notetype_info(
            old_notetype_id=old, new_notetype_id=col.models.by_name(new)["id"]
        )
        request = info.input
        request.note_ids.extend(notes)
        col.models.change_notetype_of_notes(request)


@pytest.mark.parametrize(
    ("type_name", "fields", "kind", "text"),
    [
        ("Basic", ["a", "b<br>c"], "term", "b\nc"),
        ("Basic", ["a", "<b>b</b> &lt;c&gt;"], "term", "**b** <c>"),
        ("Basic", ["a", "[sound:a.mp3]"], None, None),  # Anki plays it; a term shows it
        ("Basic", ["a", r"\(x^2\)"], None, None),  # Anki typesets it; a term shows it
        ("Basic", ["a", '<img src="a.png">'], None, None),
        ("Basic", ["a", "<i>b</i>"], None, None),
        ("Basic", ["a", ""], None, None),
        ("Cloze", ["{{c1::a}} and {{c2::b}}", ""], "gaps", "{{a}} and {{b}}"),
        ("Cloze", ["{{c2::a}} and {{c1::b}}", ""], None, None),  # numbers out of order
        ("Cloze", ["{{c1::a}} and {{c1::b}}", ""], None, None),  # one card, two deletions
        ("Cloze", ["{{c1::a::hint}}", ""], None, None),
        ("Cloze", ["<b>{{c1::a}}</b>", ""], None, None),
        ("Cloze", ["{{c1::a}}", "<b>more</b>"], "gaps", "{{a}}"),
    ],
)
def test_as_kinds_converts_only_what_means_the_same(learner, type_name, fields, kind, text):
    from dataclasses import replace

    from ankigen.adopt import as_kind
    from ankigen.exported import read_export

    with read_export(learner["apkg"]) as found:
        types = {t.name: t for t in found.note_types.values()}
        note = next(n for n in found.notes if n.note_type_id == types[type_name].id)
    card = as_kind(replace(note, fields=tuple(fields)), types[type_name], "x")
    if kind is None:
        assert card is None
    else:
        assert card is not None and card["kind"] == kind
        assert card["meaning" if kind == "term" else "text"] == text


def test_a_deck_or_note_type_the_folder_already_has_is_refused(learner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cards").mkdir()
    mine = tmp_path / "cards" / "mine.yaml"
    mine.write_text(
        'id: mine\ntitle: Mine\ndeck: "japanese"\ncards:\n'
        "  - {id: leaf, kind: term, term: 葉, meaning: leaf}\n",
        encoding="utf-8",
    )
    assert run("import", str(learner["apkg"])) == (
        1,
        "",
        "cards/mine.yaml: already makes the deck 'Japanese' of the package; import into "
        "another folder\n",
    )
    mine.unlink()
    (tmp_path / "cards" / "notetypes").mkdir()
    (tmp_path / "cards" / "notetypes" / "my-basic.yaml").write_text(
        "id: 1541739262\nname: Basic\nfields: [{name: Front}, {name: Back}]\n"
        "templates: [{name: Card 1, front: '{{Front}}', back: '{{Back}}'}]\n",
        encoding="utf-8",
    )
    code, out, err = run("import", str(learner["apkg"]))
    assert (code, out) == (1, "")
    assert err.startswith(
        "cards/notetypes: holds note type 'Basic' (id 1541739262), and the package's 'Basic' (id "
    )
    assert sorted(p.name for p in (tmp_path / "cards").rglob("*")) == ["my-basic.yaml", "notetypes"]
