"""The card folder is the whole truth of identity (issue 24): `decks/` is output and cache.

Each test builds, imports into a real collection with the official `anki` package, reviews,
edits, rebuilds (with and without the previous decks) and looks at which card holds which
history, or at what the report tells the learner to do.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from hypothesis import example, given
from hypothesis import strategies as st

from ankigen import identity
from ankigen.notes import note_guid
from ankigen.slots import Slots
from tests.conftest import FIXTURES, REPO, import_apkg, run

IDS = Path("cards") / identity.IDS_NAME


def _build(*args: str, epoch: int | None = None, monkeypatch=None) -> str:
    if epoch is not None:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    code, out, err = run("build", *args)
    assert code == 0, err
    return out


def _review(col: Collection, times: int = 1) -> dict[tuple[str, int], int]:
    """Answer every card `times` times; (guid, ord) -> reps as Anki has them."""
    for cid in col.find_cards(""):
        for _ in range(times):
            card = col.get_card(cid)
            card.start_timer()
            col.sched.answerCard(card, 3)
    return _reps(col)


def _reps(col: Collection) -> dict[tuple[str, int], int]:
    rows = col.db.all("select n.guid, c.ord, c.reps from cards c join notes n on n.id = c.nid")
    return {(guid, ordinal): reps for guid, ordinal, reps in rows}


def _rows(apkg: Path) -> dict[str, list]:
    """Everything Anki imports from a package, table by table, row by row."""
    with zipfile.ZipFile(apkg) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(data)
        return {
            "notes": db.execute("select * from notes order by id").fetchall(),
            "cards": db.execute("select * from cards order by id").fetchall(),
            "col": db.execute("select models, decks from col").fetchall(),
        }
    finally:
        db.close()


def _cloze_text(col: Collection, card_id: str) -> str:
    nid = col.db.scalar("select id from notes where guid = ?", note_guid(card_id))
    return col.get_note(nid)["Text"]


def test_cloze_numbers_come_from_the_card_folder_not_from_decks(project, collection, monkeypatch):
    # Issue 24, case 1: `ankigen new demo`, build, import, review; remove `green`, delete
    # decks/ and build: `blue` keeps c3 (and its reviews), green's card is reported.
    assert run("new", "demo")[0] == 0
    _build(epoch=1700000000, monkeypatch=monkeypatch)
    import_apkg(collection, project / "decks" / "demo.apkg")
    nid = collection.db.scalar(
        "select id from notes where guid = ?", note_guid("demo-primary-colours")
    )
    reviews = {}
    for cid in collection.find_cards(f"nid:{nid}"):
        card = collection.get_card(cid)
        for _ in range(card.ord + 1):  # red once, green twice, blue three times
            card = collection.get_card(cid)
            card.start_timer()
            collection.sched.answerCard(card, 3)
        reviews[card.ord] = collection.get_card(cid).reps

    path = project / "cards" / "demo.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("      - green\n", ""), "utf-8")
    shutil.rmtree(project / "decks")
    out = _build(epoch=1700000100, monkeypatch=monkeypatch)
    assert any("{{c3::blue}}" in row[6] for row in _rows(project / "decks" / "demo.apkg")["notes"])
    assert "Tools > Empty Cards" in out  # green's card, no longer made
    import_apkg(collection, project / "decks" / "demo.apkg")
    assert "{{c3::blue}}" in _cloze_text(collection, "demo-primary-colours")
    blue = collection.find_cards(f"nid:{nid} card:3")
    assert [collection.get_card(c).reps for c in blue] == [reviews[2]] == [3]


def test_a_combined_build_never_makes_a_report_list_live_notes(project, monkeypatch):
    # Issue 24, case 2: new a; new b; build; build --combined; build; edit a card of a; build.
    assert run("new", "a")[0] == 0
    assert run("new", "b")[0] == 0
    _build()
    _build("--combined")
    _build()
    path = project / "cards" / "a.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("red", "crimson"), "utf-8")
    out = _build(epoch=1700000100, monkeypatch=monkeypatch)
    assert "no card makes" not in out and "In Anki, after importing" not in out
    assert "decks/a.apkg: " in out and "1 changed" in out


def _rename_setup(project: Path, collection: Collection, monkeypatch) -> Path:
    path = project / "cards" / "net.yaml"
    path.write_text(
        'id: net\ntitle: Net\ndeck: "Test::Net"\ncards:\n'
        "  - {id: ps, kind: command, command: docker ps, meaning: 稼働中のコンテナを一覧表示する}\n"
        "  - {id: nat, kind: term, term: NAT, meaning: 外への通信だけ}\n",
        encoding="utf-8",
    )
    _build(epoch=1700000000, monkeypatch=monkeypatch)
    import_apkg(collection, project / "decks" / "net.apkg")
    _review(collection, 2)
    return path


def test_a_renamed_id_is_reported_as_a_rename_with_the_was_line_to_add(
    project, collection, monkeypatch
):
    # Issue 24, case 3: the id changed, the content did not: not "delete the old note".
    path = _rename_setup(project, collection, monkeypatch)
    path.write_text(path.read_text(encoding="utf-8").replace("id: ps,", "id: docker-ps,"), "utf-8")
    out = _build(epoch=1700000100, monkeypatch=monkeypatch)
    old = collection.db.scalar("select id from notes where guid = ?", note_guid("ps"))
    assert (
        "- card 'docker-ps' (cards/net.yaml:5:5) has the content of the removed card 'ps'. "
        "If it is 'ps' renamed, add `was: ps` to it and build again"
    ) in out
    assert "that no card makes any more" not in out
    assert out.rstrip().endswith(f"nid:{old}")

    # Following it: the card keeps the old note, its guid and both cards' reviews.
    path.write_text(
        path.read_text(encoding="utf-8").replace("id: docker-ps,", "id: docker-ps, was: ps,"),
        "utf-8",
    )
    before = _reps(collection)
    out = _build(epoch=1700000200, monkeypatch=monkeypatch)
    # The note made under the new id by the build before (a learner may have imported it)
    # is the one to delete now; the old one is kept.
    assert "1 note that no card makes any more" in out and f"nid:{old}" not in out
    assert "has the content of" not in out
    log = import_apkg(collection, project / "decks" / "net.apkg")
    assert (len(log.new), len(log.conflicting)) == (0, 0)
    assert _reps(collection) == before
    assert collection.note_count() == 2


def test_a_card_renamed_with_was_at_once_keeps_its_note(project, collection, monkeypatch):
    path = _rename_setup(project, collection, monkeypatch)
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("id: ps,", "id: docker-ps, was: ps,").replace("一覧表示する", "一覧する"),
        "utf-8",
    )
    before = _reps(collection)
    out = _build(epoch=1700000100, monkeypatch=monkeypatch)
    assert (
        "decks/net.apkg: 2 notes, 3 cards (written; 0 added, 1 changed, 1 unchanged, 0 removed)"
        in out
    )
    log = import_apkg(collection, project / "decks" / "net.apkg")
    assert (len(log.new), len(log.updated), len(log.conflicting)) == (0, 1, 0)
    assert _reps(collection) == before
    # Renamed twice: the file keeps the guid it was first made under.
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "id: docker-ps, was: ps,", "id: ps-list, was: docker-ps,"
        ),
        "utf-8",
    )
    _build(epoch=1700000200, monkeypatch=monkeypatch)
    log = import_apkg(collection, project / "decks" / "net.apkg")
    assert (len(log.new), len(log.conflicting)) == (0, 0)
    assert _reps(collection) == before


@pytest.mark.parametrize("combined", [False, True], ids=["sections", "combined"])
def test_deleting_decks_changes_no_id_number_or_time(project, monkeypatch, combined):
    """Every deck built from the same card folder is the same whatever `decks/` holds: a
    build over the previous decks, one into an empty folder, one without its record."""
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    flags = ["--combined"] if combined else []
    _build(*flags, epoch=1700000000, monkeypatch=monkeypatch)
    text = (project / "cards" / "sample.yaml").read_text(encoding="utf-8")
    (project / "cards" / "sample.yaml").write_text(
        text.replace("起動が速い", "起動が早い"), "utf-8"
    )
    saved = (project / IDS).read_bytes()
    _build(*flags, epoch=1700000100, monkeypatch=monkeypatch)
    after = (project / IDS).read_bytes()
    assert after != saved
    for out in ("elsewhere", "decks-fresh"):
        (project / IDS).write_bytes(saved)  # the committed file, before the edit
        _build(*flags, "--out", out, epoch=1700000100, monkeypatch=monkeypatch)
        assert (project / IDS).read_bytes() == after
        for apkg in (project / "decks").glob("*.apkg"):
            assert _rows(project / out / apkg.name) == _rows(apkg), apkg.name
            assert (project / out / apkg.name).read_bytes() == apkg.read_bytes()


def test_the_identity_file_is_one_line_a_note_and_merges_cleanly(project, monkeypatch):
    """Two branches that edit different cards merge without a conflict in the file."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert run("new", "demo")[0] == 0
    _build(epoch=1700000000, monkeypatch=monkeypatch)

    def git(*args: str) -> str:
        env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
               "HOME": str(project), "PATH": "/usr/bin:/bin"}  # fmt: skip
        done = subprocess.run(["git", *args], cwd=project, env=env, capture_output=True, text=True)
        return done.stdout + done.stderr

    git("init", "-q", "-b", "main")
    git("add", "cards")
    git("commit", "-qm", "cards")
    path = project / "cards" / "demo.yaml"
    original = path.read_text(encoding="utf-8")
    edits = {"one": ("red", "crimson"), "two": ("A file or folder's name", "A name")}
    for branch, (old, new) in edits.items():
        git("checkout", "-q", "-b", branch, "main")
        path.write_text(original.replace(old, new), "utf-8")
        _build(epoch=1700000100, monkeypatch=monkeypatch)
        git("commit", "-qam", branch)
    git("checkout", "-q", "one")
    merged = git("merge", "two", "-m", "merge")
    assert "CONFLICT" not in merged, merged
    # Both edits' notes are in the merged file; a build from it changes nothing more.
    text = (project / IDS).read_text(encoding="utf-8")
    before = text
    out = _build(epoch=1700000200, monkeypatch=monkeypatch)
    assert (project / IDS).read_text(encoding="utf-8") == before
    assert "0 changed" in out
    lines = [line for line in text.splitlines() if line and line[0] not in "#@"]
    assert len(lines) == len({line.split("\t")[2] for line in lines})  # one line a guid
    assert all(len(line.split("\t")) == len(identity.COLUMNS) for line in lines)
    assert "<<<<<<<" not in text


def test_a_conflicted_identity_file_keeps_the_newer_line_of_each_note():
    older = identity.Entry("g", "c", (), "c", 1, 100, 7, b"\x01", "D", ((0, 2),))
    newer = identity.Entry("g", "c", (), "c", 1, 200, 7, b"\x02", "D", ((0, 2),))
    text = "\n".join(
        [
            "<<<<<<< HEAD",
            identity.serialize(identity.Identity({"g": older}, {})),
            "=======",
            identity.serialize(identity.Identity({"g": newer}, {})),
            ">>>>>>> other",
        ]
    )
    assert identity.parse(text, "ids").notes == {"g": newer}
    text = text.replace("=======", "").replace("<<<<<<< HEAD", "").replace(">>>>>>> other", "")
    assert identity.parse(text, "ids").notes == {"g": newer}


def test_a_damaged_identity_file_is_an_error_with_its_line(project):
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    assert run("build")[0] == 0
    decks = {p.name: p.read_bytes() for p in (project / "decks").iterdir()}
    lines = (project / IDS).read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line and line[0] not in "#@")
    columns = lines[at].split("\t")
    columns[3] = "-" + columns[3]  # the note id
    lines[at] = "\t".join(columns)
    (project / IDS).write_text("\n".join(lines), encoding="utf-8")
    code, out, err = run("build")
    assert code == 1 and "Traceback" not in err
    assert err.startswith(
        f"cards/.ankigen-ids:{at + 1}:1: not an identity entry (expected a whole number"
    )
    assert {p.name: p.read_bytes() for p in (project / "decks").iterdir()} == decks


def test_note_types_carry_field_and_template_ids_for_life():
    from ankigen.kinds import KINDS
    from ankigen.package import _model, part_id

    for kind in KINDS.values():
        json = _model(kind.note_type).to_json(0, None)
        ids = [f["id"] for f in json["flds"]] + [t["id"] for t in json["tmpls"]]
        assert len(set(ids)) == len(ids) and all(0 < i < 1 << 63 for i in ids)
        assert json["flds"][0]["id"] == part_id(kind.note_type, "field", kind.note_type.fields[0])
    # Pinned: an id that changed would make Anki's merge match fields by name again.
    term = KINDS["term"].note_type
    assert part_id(term, "field", "Term") == 6837278207818870388


def test_merge_note_types_on_import_moves_retired_notes_and_keeps_reviews(tmp_path, collection):
    """What README says of Anki's "Merge note types" option against Change Note Type."""
    for apkg in sorted((FIXTURES / "v0.1.0" / "decks").glob("*.apkg")):
        import_apkg(collection, apkg)
    before = _review(collection)
    shutil.copytree(FIXTURES / "v0.1.0" / "decks", tmp_path / "decks")
    shutil.copytree(
        REPO / "cards", tmp_path / "cards", ignore=shutil.ignore_patterns(".ankigen-ids")
    )
    assert (
        run("build", "--cards", str(tmp_path / "cards"), "--out", str(tmp_path / "decks"))[0] == 0
    )
    made = set()
    for apkg in sorted((tmp_path / "decks").glob("*.apkg")):
        options = ImportAnkiPackageOptions(merge_notetypes=True)
        log = collection.import_anki_package(
            ImportAnkiPackageRequest(package_path=str(apkg), options=options)
        ).log
        collection.models._clear_cache()
        assert not log.conflicting
        made |= {guid for (guid,) in sqlite_guids(apkg)}
    from ankigen.kinds import KINDS

    retired = {t.id for k in KINDS.values() for t in k.retired}
    left = collection.db.list(
        f"select guid from notes where mid in ({','.join(map(str, retired))})"
    )
    assert not set(left) & made  # every note a card still makes moved to today's note type
    reps = _reps(collection)
    assert all(reps[key] == n for key, n in before.items() if key in reps)


def sqlite_guids(apkg: Path) -> list[tuple[str]]:
    return [(row[1],) for row in _rows(apkg)["notes"]]


posix_only = pytest.mark.skipif(os.name != "posix", reason="symbolic links and FIFOs")


@posix_only
def test_an_identity_file_linked_out_of_the_cards_folder_is_never_written(project):
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    victim = project / "victim.txt"
    victim.write_text("mine", encoding="utf-8")
    (project / IDS).symlink_to(victim)
    code, out, err = run("build")
    assert code == 1 and "Traceback" not in err
    assert err.startswith("cards/.ankigen-ids:1:1: not an identity entry")
    # A link to an identity file outside: read, but never written through.
    (project / IDS).unlink()
    assert run("build")[0] == 0
    shutil.move(project / IDS, victim)
    (project / IDS).symlink_to(victim)
    text = victim.read_text(encoding="utf-8")
    path = project / "cards" / "sample.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("起動が速い", "起動が早い"), "utf-8")
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == (
        f"cards/.ankigen-ids: is a symbolic link to {victim}, outside the cards folder cards; "
        "ankigen never writes through it: remove the link\n"
    )
    assert victim.read_text(encoding="utf-8") == text


@posix_only
def test_an_identity_file_that_is_a_fifo_is_refused_not_waited_for(project):
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    os.mkfifo(project / IDS)
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == (
        "cards/.ankigen-ids: cannot read the identity file (not a regular file); restore it "
        "from git (git checkout -- the file): it keeps your notes' reviews\n"
    )


def test_an_identity_file_checked_out_with_crlf_is_current(project):
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    assert run("build")[0] == 0
    text = (project / IDS).read_bytes()
    (project / IDS).write_bytes(text.replace(b"\n", b"\r\n"))  # git's autocrlf on Windows
    assert run("build", "--check")[0] == 0


slug = st.from_regex(r"[a-z0-9]+(?:-[a-z0-9]+)*", fullmatch=True)
number = st.integers(0, (1 << 63) - 1)


@example(
    card="c", sub=[], guid="g", ids=(0, 0, 0), deck="a\\b\tc\nd\re\u2028\\t", cards=[],
    items={1: "x\ty\u2028\\n"}, removed=False,
)  # fmt: skip
@given(
    card=slug,
    sub=st.lists(slug, max_size=2),
    guid=st.from_regex(r"[A-Za-z0-9!#$%&()*+,\-./:;<=>?@\[\]^_`{|}~]{1,12}", fullmatch=True),
    ids=st.tuples(number, number, number),
    deck=st.text(min_size=1),
    cards=st.lists(st.tuples(st.integers(0, 20), number), max_size=3),
    items=st.dictionaries(st.integers(1, 50), st.text(), max_size=4),
    removed=st.booleans(),
)
def test_every_entry_reads_back_as_it_was_written(
    card, sub, guid, ids, deck, cards, items, removed
):
    slots = Slots(items, max(items, default=0) + 1) if items else None
    entry = identity.Entry(
        guid, card, tuple(sub), card, *ids, b"\x00\xff" * 8, deck, tuple(cards), slots, removed
    )
    (line,) = entry.line().split("\n")  # one line, whatever the deck or the items hold
    assert identity.Entry.parse(line) == entry
