"""Faulty files and environments that a card file in tests/errors/ cannot describe: an
unreadable or vanishing file, a FIFO, a damaged or linked deck, temp files of killed
builds, a stdout that cannot show Japanese. Each ends in a message or a good build,
never a traceback or a hang."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from ankigen import stamp as stamps
from tests.conftest import FIXTURES, REPO, run

posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="FIFOs, symlinks and non-UTF-8 file names are POSIX"
)


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch):
    """Make files named `locked*` fail to open, as chmod 000 would for a normal user.

    chmod has no effect for root (these tests run as root in CI containers), so the
    refusal is made where Python opens files: both ways ankigen reads one."""

    def deny(path: object) -> bool:
        return Path(os.fsdecode(path)).name.startswith("locked")  # type: ignore[arg-type]

    read_bytes = Path.read_bytes
    os_open = os.open

    def guarded_read_bytes(self: Path) -> bytes:
        if deny(self):
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    def guarded_open(path, flags, *args, **kwargs):  # type: ignore[no-untyped-def]
        if deny(path):
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", guarded_read_bytes)
    monkeypatch.setattr(os, "open", guarded_open)


def test_unreadable_unrelated_file_does_not_stop_a_build(sample: Path, unreadable) -> None:
    (sample / "cards" / "locked-notes.txt").write_text("private")
    code, _, err = run("build")
    assert (code, err) == (0, "")
    assert run("build")[1].endswith("(unchanged; 0 added, 0 changed, 8 unchanged, 0 removed)\n")


def test_unreadable_card_file_is_reported(sample: Path, unreadable) -> None:
    shutil.copy(sample / "cards" / "sample.yaml", sample / "cards" / "locked.yaml")
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == "cards/locked.yaml:1:1: cannot read file: Permission denied\n"
    assert not (sample / "decks").exists()


def test_unreadable_image_is_reported(project: Path, unreadable) -> None:
    shutil.copy(REPO / "cards" / "images" / "docker-vs-vm.svg", project / "cards" / "locked.svg")
    (project / "cards" / "net.yaml").write_text(_card_with_image("locked.svg"), encoding="utf-8")
    code, _, err = run("build")
    assert code == 1
    assert err == (
        "cards/net.yaml:9:12: card 'c1' (term): 'image': 'locked.svg' cannot be read: "
        "Permission denied\n"
    )


def _card_with_image(image: str) -> str:
    return (
        'id: net\ntitle: Net\ndeck: "Test::Net"\ncards:\n  - id: c1\n    kind: term\n'
        f"    term: NAT\n    meaning: 外への通信だけ\n    image: {image}\n"
    )


def test_only_card_files_are_read(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A 1.5 GB video next to the cards must cost a stat, not a read, on every build.
    (sample / "cards" / "lecture.mp4").write_bytes(b"\0" * 1000)
    read = []
    read_bytes = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self.name)
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    assert run("build")[0] == 0
    assert "lecture.mp4" not in read
    assert "sample.yaml" in read


def test_a_changed_image_is_still_seen_by_the_stamp(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: a\n")
    (tmp_path / "pic.png").write_bytes(b"one")
    before = stamps.inputs(tmp_path, [tmp_path / "a.yaml"])
    (tmp_path / "pic.png").write_bytes(b"three")
    assert stamps.inputs(tmp_path, [tmp_path / "a.yaml"]) != before


def test_a_file_vanishing_mid_build_is_reported_not_a_crash(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An editor's swap file: listed with the folder, gone when it is read.
    from ankigen import build as builder

    listed = builder.card_files

    def with_ghost(cards_dir: Path) -> list[Path]:
        return [*listed(cards_dir), cards_dir / "ghost.yaml"]

    monkeypatch.setattr(builder, "card_files", with_ghost)
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == "cards/ghost.yaml:1:1: cannot read file: No such file or directory\n"


def test_a_non_card_file_vanishing_while_the_stamp_is_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.yaml").write_text("id: a\n")
    walk = os.walk

    def with_ghost(top: object, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for folder, dirs, names in walk(top, *args, **kwargs):  # type: ignore[call-overload]
            yield folder, dirs, [*names, ".a.yaml.swp"]

    monkeypatch.setattr(os, "walk", with_ghost)
    inputs = stamps.inputs(tmp_path, [tmp_path / "a.yaml"])
    assert inputs[".a.yaml.swp"] == "unreadable"


@posix_only
def test_symlink_loops_under_cards_are_reported(project: Path) -> None:
    cards = project / "cards"
    (cards / "loop.txt").symlink_to("loop.txt")
    (cards / "loop.png").symlink_to("loop.png")
    (cards / "net.yaml").write_text(_card_with_image("loop.png"), encoding="utf-8")
    code, _, err = run("build")
    assert code == 1
    assert err == (
        "cards/net.yaml:9:12: card 'c1' (term): 'image': 'loop.png' cannot be read: "
        "a loop of symbolic links\n"
    )


@posix_only
def test_a_fifo_given_as_image_is_refused_without_reading(project: Path) -> None:
    os.mkfifo(project / "cards" / "pipe.png")
    (project / "cards" / "net.yaml").write_text(_card_with_image("pipe.png"), encoding="utf-8")
    code, _, err = run("build")
    assert code == 1
    assert (
        err == "cards/net.yaml:9:12: card 'c1' (term): 'image': 'pipe.png' is not a regular file\n"
    )


@posix_only
@pytest.mark.skipif(sys.platform == "darwin", reason="macOS file names are always UTF-8")
def test_a_file_name_that_is_not_utf8_does_not_break_the_stamp(sample: Path) -> None:
    name = os.fsdecode(b"caf\xe9.txt")
    (sample / "cards" / name).write_text("notes")
    assert run("build")[0] == 0
    code, out, err = run("build")
    assert (code, err) == (0, "")
    assert "(unchanged;" in out
    assert stamps.read(sample / "decks") is not None


def _damage(apkg: Path) -> None:
    """A deck whose compressed database is corrupt: zlib fails while reading it."""
    with zipfile.ZipFile(apkg) as archive:
        info = archive.getinfo("collection.anki2")
        offset = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(apkg.read_bytes())
    for i in range(offset, offset + 64):
        data[i] ^= 0x5A
    apkg.write_bytes(bytes(data))


def test_a_damaged_deck_is_reported_and_replaced(sample: Path) -> None:
    assert run("build")[0] == 0
    good = (sample / "decks" / "sample.apkg").read_bytes()
    _damage(sample / "decks" / "sample.apkg")
    (sample / "decks" / ".ankigen-build.json").unlink()

    code, out, err = run("build", "--check")
    assert code == 1
    assert "Traceback" not in err
    assert out.startswith("decks/sample.apkg: cannot read the previous build (not an ankigen")

    code, out, err = run("build")
    assert code == 0
    assert err == ""  # a build does not read decks back: the identity file says what they held
    assert "decks/sample.apkg" in out and "(written;" in out
    assert len((sample / "decks" / "sample.apkg").read_bytes()) == len(good)
    assert run("build", "--check")[0] == 0


@posix_only
def test_a_deck_linked_inside_the_output_folder_stays_a_link(sample: Path) -> None:
    assert run("build")[0] == 0
    archive = sample / "decks" / "archive"
    archive.mkdir()
    old = (sample / "decks" / "sample.apkg").rename(archive / "sample.apkg").read_bytes()
    (sample / "decks" / "sample.apkg").symlink_to(Path("archive") / "sample.apkg")
    _remove_a_card(sample)

    code, out, err = run("build")

    assert (code, err) == (0, "")
    assert "decks/sample.apkg: " in out and "(written;" in out
    assert (sample / "decks" / "sample.apkg").is_symlink()
    assert (archive / "sample.apkg").read_bytes() not in (old, b"")
    assert sorted(p.name for p in archive.iterdir()) == ["sample.apkg"]  # no temp file


@posix_only
def test_a_linked_output_folder_is_written_into(sample: Path) -> None:
    synced = sample / "synced"
    synced.mkdir()
    (sample / "decks").symlink_to(synced)
    assert run("build")[0] == 0
    assert (synced / "sample.apkg").read_bytes().startswith(b"PK")


@posix_only
@pytest.mark.parametrize("name", ["sample.apkg", ".ankigen-build.json", ".ankigen-pending.json"])
@pytest.mark.parametrize("dangling", [False, True])
def test_a_link_out_of_the_output_folder_is_never_written_through(
    sample: Path, name: str, dangling: bool
) -> None:
    # A cloned repository may hold `decks/a.apkg -> ../victim.txt`.
    assert run("build")[0] == 0
    _remove_a_card(sample)  # so that there is a report to keep, and a deck to write
    victim = sample / "victim.txt"
    if not dangling:
        victim.write_text("the user's own file")
    link = sample / "decks" / name
    link.unlink(missing_ok=True)
    link.symlink_to(Path("..") / "victim.txt")
    before = _decks(sample)

    code, out, err = run("build")

    assert (code, out) == (1, "")
    assert err == (
        f"decks/{name}: is a symbolic link to {victim}, outside the output folder decks; "
        "ankigen never writes through it: remove the link\n"
    )
    assert _decks(sample) == before
    if dangling:
        assert not victim.exists()
    else:
        assert victim.read_text() == "the user's own file"


def _remove_a_card(sample: Path) -> None:
    path = sample / "cards" / "sample.yaml"
    text = path.read_text(encoding="utf-8")
    first = text.index("\n  - ")
    second = text.index("\n  - ", first + 1)
    path.write_text(text[:first] + text[second:], encoding="utf-8")


def test_temp_files_are_removed_only_when_an_hour_old(sample: Path) -> None:
    decks = sample / "decks"
    decks.mkdir()
    old = time.time() - 2 * 3600
    names = {
        "killed-deck": ".sample.apkg.4242.k1ll3d.tmp",
        "killed-stamp": "..ankigen-build.json.4242.k1ll3d.tmp",
        # A build running right now, maybe in another container: same pid, other namespace.
        "running-deck": f".sample.apkg.{os.getpid()}.runn1n.tmp",
        "unrelated": ".notes.tmp",
    }
    for key, name in names.items():
        (decks / name).write_bytes(b"x")
        if key.startswith("killed") or key == "unrelated":
            os.utime(decks / name, (old, old))

    assert run("build")[0] == 0

    left = {p.name for p in decks.iterdir()}
    assert names["killed-deck"] not in left
    assert names["killed-stamp"] not in left
    assert names["running-deck"] in left
    assert names["unrelated"] in left


_NOT_USED = "; not used: every card file is read again\n"


@pytest.mark.parametrize(
    ("stamp", "why"),
    [
        ('{"engine": 1, "combined": false, "inputs": {}, "decks": {}}', "'engine' or"),
        ('{"engine": "x", "combined": "no", "inputs": {}, "decks": {}}', "'engine' or"),
        ('{"engine": "x", "combined": false, "inputs": [], "decks": {}}', "'inputs' is not"),
        (
            '{"engine": "x", "combined": false, "inputs": {}, "decks": {"a.apkg": 3}}',
            "deck 'a.apkg' is not a deck file's record",
        ),
        (
            '{"engine": "x", "combined": false, "inputs": {}, '
            '"decks": {"a.apkg": {"sha256": "x"}}}',
            "deck 'a.apkg': 'sha256' is not a digest",
        ),
        (
            '{"engine": "x", "combined": false, "inputs": {}, "decks": {}, "warnings": [1]}',
            "not a record of this ankigen",
        ),
        ("[]", "not a JSON object"),
        ("{", "not JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_stamp_with_wrong_types_is_no_stamp(sample: Path, stamp: str, why: str) -> None:
    (sample / "decks").mkdir()
    (sample / "decks" / ".ankigen-build.json").write_text(stamp)
    assert stamps.read(sample / "decks") is None
    code, out, err = run("build")
    assert code == 0
    assert err.startswith(f"decks/.ankigen-build.json: {why}") and err.endswith(_NOT_USED)
    assert err.count("\n") == 1
    assert "(written;" in out


_DECK = "decks/.ankigen-build.json: deck 'sample.apkg': "
_SECTION = "decks/.ankigen-build.json: section 'sample.yaml': "
_YEAR_10000 = 253402300800 * 1000


def _in_section(**values: object):  # type: ignore[no-untyped-def]
    return lambda s: s["sections"]["sample.yaml"].update(values)


def _in_deck(**values: object):  # type: ignore[no-untyped-def]
    return lambda s: s["decks"]["sample.apkg"].update(values)


@pytest.mark.parametrize(
    ("damage", "why"),
    [
        (_in_section(card_ids="x 1"), _SECTION + "'card_ids' is not"),
        (_in_section(card_ids=[["x", 1, 1]]), _SECTION + "'card_ids'"),
        (lambda s: s["sections"]["sample.yaml"].pop("deck"), _SECTION + "'deck', 'id' or"),
        (_in_section(id_loc=[1]), _SECTION + "'id_loc' is not a line"),
        (_in_section(id_loc=[-3, 1]), _SECTION + "'id_loc' is out of range (-3)"),
        (_in_section(warnings=[["", 1, 1]]), _SECTION + "'warnings'"),
        (_in_section(deck="../../x.apkg"), _SECTION + "'deck' is not a deck file's name"),
        (_in_deck(notes=2**63 - 2), _DECK + f"'notes' is out of range ({2**63 - 2})"),
        (_in_deck(notes=-5), _DECK + "'notes' is out of range (-5)"),
        (_in_deck(cards=True), _DECK + "'cards' is not a whole number"),
        (_in_section(was=5), _SECTION + "'was' is not as a build writes it"),
        (_in_section(was="x y"), _SECTION + "'was' is not as a build writes it"),
        (
            lambda s: s["decks"].update({"../victim.apkg": s["decks"]["sample.apkg"]}),
            "decks/.ankigen-build.json: deck '../victim.apkg' is not a deck file's record",
        ),
        (
            lambda s: s.update(note_types={}),  # a key this ankigen's records do not have
            "decks/.ankigen-build.json: not a record of this ankigen",
        ),
        (lambda s: s.update(format=1), ""),  # an older ankigen's: read again, silently
    ],
)
def test_a_damaged_section_record_means_reading_everything_again(
    sample: Path, damage, why: str
) -> None:
    assert run("build")[0] == 0
    path = sample / "decks" / ".ankigen-build.json"
    stamp = json.loads(path.read_text())
    damage(stamp)
    path.write_text(json.dumps(stamp))
    (sample / "cards" / "more.yaml").write_text(
        'id: more\ntitle: More\ndeck: "Test::More"\ncards:\n'
        "  - {id: more-1, kind: term, term: a, meaning: b}\n",
        encoding="utf-8",
    )
    code, out, err = run("build")
    assert code == 0
    if why == "":
        assert err == ""
    else:
        assert err.count("\n") == 1 and err.endswith(_NOT_USED)
        assert err.startswith(why), err
    assert "decks/sample.apkg" in out and "decks/more.apkg: 1 note, 1 card (written;" in out
    assert stamps.read(sample / "decks") is not None


def test_reordering_cards_makes_check_and_build_agree(project: Path) -> None:
    # The order of new cards (their `due`) is part of what Anki imports.
    head = 'id: net\ntitle: Net\ndeck: "Test::Net"\ncards:\n'
    one = "  - {id: c1, kind: term, term: NAT, meaning: 外への通信だけ}\n"
    two = "  - {id: c2, kind: term, term: Bridge, meaning: 同じネットワーク}\n"
    path = project / "cards" / "net.yaml"
    path.write_text(head + one + two, encoding="utf-8")
    assert run("build")[0] == 0
    path.write_text(head + two + one, encoding="utf-8")

    code, out, _ = run("build", "--check")
    assert (code, out) == (
        1,
        "decks/net.apkg: stale (cards changed since it was built); run 'ankigen build'\n",
    )
    assert "(written;" in run("build")[1]
    assert run("build", "--check")[0] == 0


def test_preview_with_no_usable_temp_folder(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(sample / "no-such-folder"))
    code, out, err = run("preview")
    assert (code, out) == (1, "")
    # The decks are made (in the temporary folder) before Anki's collection is.
    assert err == (
        "cannot make a temporary folder for a deck's database: No such file or directory; "
        "set TMPDIR to a folder you can write to\n"
    )


def _built_then_edited(sample: Path) -> dict[str, bytes]:
    """Build the sample, then edit a card: the decks as built."""
    assert run("build")[0] == 0
    path = sample / "cards" / "sample.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("meaning: ", "meaning: 改 ", 1), encoding="utf-8")
    return _decks(sample)


def _decks(project: Path) -> dict[str, bytes | str]:
    """What `decks/` holds: each file's bytes, each link's target (read, not followed)."""
    return {
        p.name: str(p.readlink()) if p.is_symlink() else p.read_bytes()
        for p in sorted((project / "decks").iterdir())
    }


def test_a_build_with_no_usable_temp_folder(sample: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A deck's database is made in a file in the temporary folder (see package._scratch_file).
    import tempfile

    before = _built_then_edited(sample)
    monkeypatch.setattr(tempfile, "tempdir", str(sample / "no-such-folder"))
    for args in (("build",), ("build", "--check")):
        code, out, err = run(*args)
        assert (code, out) == (1, "")
        assert err == (
            "cannot make a temporary folder for a deck's database: No such file or directory; "
            "set TMPDIR to a folder you can write to\n"
        )
    assert _decks(sample) == before


def test_a_build_leaves_nothing_in_the_temporary_folder(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A build keeps each deck's database and each new deck in the temporary folder until
    # it writes them (package._scratch_file, build._build's `keep`): all of it goes, when
    # the build succeeds and when a later file stops it after a deck was made.
    import tempfile

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert run("build")[0] == 0
    assert list(scratch.iterdir()) == []

    before = _built_then_edited(sample)
    (sample / "cards" / "zz-broken.yaml").write_text(
        "id: zz\ntitle: Z\ndeck: Test::Z\ncards:\n  - {id: z1, kind: term}\n", encoding="utf-8"
    )
    code, _, err = run("build")
    assert code == 1 and "zz-broken.yaml:5:" in err
    assert list(scratch.iterdir()) == []
    assert _decks(sample) == before


def test_a_full_temporary_disk_stops_the_build(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import re
    import sqlite3
    import tempfile

    import ankigen.package

    connect = sqlite3.connect

    def small_disk(path: Path) -> sqlite3.Connection:  # SQLite's own "disk is full"
        db = connect(path)
        if path != ":memory:":  # the previous decks are still read in memory
            db.execute("PRAGMA max_page_count = 3")
        return db

    before = _built_then_edited(sample)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    monkeypatch.setattr(ankigen.package.sqlite3, "connect", small_disk)
    code, out, err = run("build")
    assert (code, out) == (1, "")
    pattern = r"\S+ankigen-\w+: cannot write a deck's database: database or disk is full\n"
    assert re.fullmatch(pattern, err), err
    assert _decks(sample) == before
    assert list(scratch.iterdir()) == []  # the scratch file is gone


def test_a_note_with_a_field_separator_is_a_bug_caught_before_writing() -> None:
    from ankigen.cards import DeckHeader
    from ankigen.kinds import KINDS
    from ankigen.notes import Note
    from ankigen.package import IdAllocator, Memory, build_package

    note_type = KINDS["term"].note_type
    fields = tuple("x" for _ in note_type.fields)
    bad = [
        Note("g1", note_type, ("a\x1fb", *fields[1:]), (), ()),
        Note("g2", note_type, fields[1:], (), ()),
        Note("g4", note_type, fields, ("a", "b c"), ()),  # genanki's tag list refused it
    ]
    for note in bad:
        memory = Memory()
        with pytest.raises(RuntimeError, match="bug: note"):
            build_package([(DeckHeader("D", ""), [note])], memory, 1, IdAllocator(memory, 1))
    memory = Memory()
    build_package(
        [(DeckHeader("D", ""), [Note("g3", note_type, fields, (), ())])],
        memory,
        1,
        IdAllocator(memory, 1),
    )


def _ankigen(
    *args: str, cwd: Path, timeout: float | None = None, **env: str
) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", **env}
    return subprocess.run(
        [sys.executable, "-m", "ankigen", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        timeout=timeout,
    )


def test_a_latin1_stdout_shows_japanese_as_escapes(project: Path) -> None:
    text = (FIXTURES / "sample.yaml").read_text(encoding="utf-8")
    text = text.replace('deck: "Test::Sample"', 'deck: "テスト::見本"')
    assert "テスト" in text
    (project / "cards" / "日本語.yaml").write_text(text, encoding="utf-8")

    done = _ankigen("build", "--out", "デッキ", cwd=project, PYTHONIOENCODING="latin-1")
    assert (done.returncode, done.stderr) == (0, b"")
    sep = os.sep.encode()
    assert done.stdout.startswith(b"\\u30c7\\u30c3\\u30ad" + sep + b"sample.apkg: 8 notes")
    assert (project / "デッキ" / ".ankigen-build.json").exists()

    done = _ankigen("list", cwd=project, PYTHONIOENCODING="latin-1")
    assert (done.returncode, done.stderr) == (0, b"")
    assert b"\\u30c6\\u30b9\\u30c8::\\u898b\\u672c" in done.stdout

    (project / "cards" / "日本語.yaml").write_text("id: [", encoding="utf-8")
    done = _ankigen("check", cwd=project, PYTHONIOENCODING="latin-1")
    assert done.returncode == 1
    assert done.stderr.startswith(b"cards" + sep + b"\\u65e5\\u672c\\u8a9e.yaml:1:6: YAML syntax")


def test_a_build_that_fails_leaves_no_temp_file(sample: Path) -> None:
    assert run("build")[0] == 0
    (sample / "cards" / "bad.yaml").write_text("id: [", encoding="utf-8")
    before = _decks(sample)
    assert run("build")[0] == 1
    assert _decks(sample) == before
    assert not [p for p in (sample / "decks").iterdir() if p.name.endswith(".tmp")]


def test_source_date_epoch_below_zero_is_a_usage_error(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "-1")
    code, _, err = run("build")
    assert (code, err) == (
        2,
        "SOURCE_DATE_EPOCH must be between 0 and 253402300799 (1970-01-01 to 9999-12-31), "
        "got '-1'\n",
    )


def test_a_top_level_text_is_not_echoed(project: Path) -> None:
    # A card file that is a link to /etc/passwd must not print the file to the terminal.
    secret = "root:x:0:0:root:/root:/bin/bash " * 20
    (project / "cards" / "passwd.yaml").write_text(secret, encoding="utf-8")
    code, _, err = run("build")
    assert code == 1
    assert "root:x" not in err
    assert (
        err == "cards/passwd.yaml:1:1: expected a section (a mapping) at the top level, got text\n"
    )


@posix_only
def test_a_linked_card_file_is_never_quoted(project: Path) -> None:
    secret = project / "secret.txt"
    secret.write_text("token: s3cr3t: x\n", encoding="utf-8")
    (project / "cards" / "net.yaml").symlink_to(secret)
    code, _, err = run("build")
    assert code == 1
    assert "s3cr3t" not in err
    assert err == (
        "cards/net.yaml:1:14: YAML syntax error: mapping values are not allowed here\n"
        "  hint: a value holding ': ' must be quoted, e.g. meaning: \"a: b\"\n"
    )


@pytest.mark.parametrize("command", ["check", "list"])
def test_check_and_list_report_a_control_character(project: Path, command: str) -> None:
    (project / "cards" / "net.yaml").write_bytes(b"id: a\x1bb\n")
    code, out, err = run(command)
    assert (code, out) == (1, "")
    assert err == (
        "cards/net.yaml:1:6: character U+001B (control character ESC) is not allowed "
        "in a card file; remove it\n"
    )


def test_a_build_that_fails_at_its_second_deck_replaces_none(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    cards = project / "cards"
    for name in ("a", "b"):
        (cards / f"{name}.yaml").write_text(
            f'id: {name}\ntitle: {name}\ndeck: "Test::{name}"\ncards:\n'
            f"  - {{id: {name}1, kind: term, term: t, meaning: m}}\n",
            encoding="utf-8",
        )
    assert run("build")[0] == 0
    for name in ("a", "b"):
        path = cards / f"{name}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("m}", "m2}"), encoding="utf-8")
    before = _decks(project)
    kept = []

    def full_at_the_second(fd: int) -> None:  # the second file's bytes do not fit
        kept.append(fd)
        if len(kept) == 2:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full_at_the_second)
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == f"{Path('decks') / 'b.apkg'}: cannot write: {os.strerror(errno.ENOSPC)}\n"
    assert _decks(project) == before  # a.apkg too, and no temp file


@posix_only
@pytest.mark.parametrize("check", [False, True])
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("name", [".ankigen-build.json", ".ankigen-pending.json", "sample.apkg"])
def test_a_fifo_or_an_endless_file_in_decks_is_never_read(
    sample: Path, name: str, kind: str, check: bool
) -> None:
    # In a subprocess with a time limit: a read that waits (a FIFO) or never ends
    # (/dev/zero) is a failure here, not a test run that hangs.
    assert _ankigen("build", cwd=sample).returncode == 0
    path = sample / "decks" / name
    path.unlink(missing_ok=True)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = _ankigen("build", *(["--check"] if check else []), cwd=sample, timeout=60)
    err = done.stderr.decode()
    why = "not a regular file"
    if name == ".ankigen-pending.json":  # no report to repeat: a build reads everything
        assert (done.returncode, err) == (0, "")
    elif kind == "dev-zero" and not check:  # read as nothing, and never written through
        assert (done.returncode, done.stdout) == (1, b"")
        assert err == (
            f"decks/{name}: is a symbolic link to /dev/zero, outside the output folder decks; "
            "ankigen never writes through it: remove the link\n"
        )
    elif name == ".ankigen-build.json":
        assert err == f"decks/{name}: {why}; not used: every card file is read again\n"
        assert done.returncode == 0
    elif check:  # --check compares the deck on disk with what a build would write
        notice = f"decks/sample.apkg: cannot read the previous build ({why}); it will be replaced"
        assert done.returncode == 1
        assert notice in done.stdout.decode() + err
    else:  # a build never reads a deck back (the identity file says what it held)
        assert (done.returncode, err) == (0, "")
    if not check and done.returncode == 0:
        assert stamps.read(sample / "decks") is not None
        assert path.is_file() and not path.is_symlink() or name == ".ankigen-pending.json"


def _entry_point() -> str:
    """The `ankigen` command as pyproject.toml installs it: `module:function`."""
    import tomllib

    with (REPO / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["scripts"]["ankigen"])


# Runs the installed command's entry point, with a hook that sends this process a signal
# at a given moment: the signal comes from outside the code under test, as a user's would.
SIGNALLED = r"""
import importlib, os, signal, sys
entry, when, signame = sys.argv[1:4]
signum = getattr(signal, signame)
if when == "importing typer":  # the first tenth of a second: the command line loading

    class Finder:
        def find_spec(self, name, path=None, target=None):
            if name == "typer":
                os.kill(os.getpid(), signum)
            return None

    sys.meta_path.insert(0, Finder())
else:  # mid-build: once the first deck is made, and waits in a temporary folder
    import ankigen.output

    made = ankigen.output.scratch_folder

    def scratch_folder(what):
        folder = made(what)
        if what == "the decks being built":
            os.kill(os.getpid(), signum)
        return folder

    ankigen.output.scratch_folder = scratch_folder
module, function = entry.split(":")
sys.argv = ["ankigen", "build"]
getattr(importlib.import_module(module), function)()
"""


# On Windows os.kill ends a process outright (TerminateProcess), as no signal would: the
# handlers are installed there too (see ankigen/__main__.py), but cannot be tested so.
@posix_only
@pytest.mark.parametrize(
    ("when", "signame", "code", "message"),
    [
        ("importing typer", "SIGINT", 130, ""),
        ("mid-build", "SIGINT", 130, ""),
        ("importing typer", "SIGTERM", 143, "stopped by SIGTERM\n"),
        ("mid-build", "SIGTERM", 143, "stopped by SIGTERM\n"),
    ],
)
def test_a_stopped_build_ends_cleanly_and_leaves_nothing(
    sample: Path, tmp_path: Path, when: str, signame: str, code: int, message: str
) -> None:
    assert run("build")[0] == 0
    before = _built_then_edited(sample)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", SIGNALLED, _entry_point(), when, signame],
        cwd=sample,
        env={**os.environ, "TMPDIR": str(scratch), "SOURCE_DATE_EPOCH": "1700000100"},
        capture_output=True,
        timeout=120,
    )
    assert (done.returncode, done.stderr.decode()) == (code, message)
    assert list(scratch.iterdir()) == []  # README: the ankigen-* folders always go
    assert _decks(sample) == before


@posix_only  # Windows itself cannot hold these names
@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("con.yaml", "is a name Windows keeps for a device (CON): no file there can have it"),
        ("Com1.yml", "is a name Windows keeps for a device (COM1): no file there can have it"),
        ("net:2.yaml", "holds ':', which Windows does not allow in a file name"),
        (
            "net\u202elmay.yaml",
            "holds U+202E (RIGHT-TO-LEFT OVERRIDE), an invisible formatting character",
        ),
    ],
)
def test_a_card_file_name_a_clone_on_windows_cannot_hold_is_refused(
    project: Path, name: str, why: str
) -> None:
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / name)
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == f"cards/{name}:1:1: file name {name!r} {why}; rename it\n"
    assert not (project / "decks").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="Anki takes TEMP there, not TMPDIR")
def test_preview_when_anki_has_no_temporary_folder(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python falls back to /tmp when TMPDIR is missing; Anki's backend does not.
    missing = sample / "no-such-folder"
    monkeypatch.setenv("TMPDIR", str(missing))
    code, out, err = run("preview")
    assert (code, out) == (1, "")
    anki_says = f"Failed to create file in '{missing}'"
    assert err.startswith(f"Anki cannot write its temporary files: {anki_says}")
    assert err.endswith("; set TMPDIR to a folder you can write to\n")
    assert not (sample / "preview.html").exists()


@pytest.mark.parametrize(("seed", "combined"), [(1, False), (2, False), (3, True)])
def test_check_and_build_agree_after_any_reordering(
    project: Path, seed: int, combined: bool
) -> None:
    """`build --check` compares decks as Anki imports them, a build writes a deck whose bytes
    change: after shuffling a section's cards (every kind, so note types change places
    too) the two must say the same."""
    import random

    import yaml

    data = yaml.safe_load((FIXTURES / "sample.yaml").read_text(encoding="utf-8"))
    path = project / "cards" / "sample.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    mode = ["--combined"] if combined else []
    assert run("build", *mode)[0] == 0
    random.Random(seed).shuffle(data["cards"])
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    code, out, _ = run("build", "--check", *mode)
    written = "(written;" in run("build", *mode)[1]
    assert (code == 1, written) == (True, True), out
    assert run("build", "--check", *mode)[0] == 0


def test_renaming_a_card_file_changes_no_combined_deck(project: Path) -> None:
    # The sections' order in --combined came from their files' names, which Anki never
    # sees: --check said "up to date" and a build rewrote the deck.
    cards = project / "cards"
    for name, deck in (("a", "T::B"), ("b", "T::A")):
        (cards / f"{name}.yaml").write_text(
            f'id: {name}\ntitle: {name}\ndeck: "{deck}"\ncards:\n'
            f"  - {{id: {name}1, kind: term, term: t{name}, meaning: m{name}}}\n",
            encoding="utf-8",
        )
    assert run("build", "--combined")[0] == 0
    before = _decks(project)
    (cards / "a.yaml").rename(cards / "c.yaml")

    code, out, _ = run("build", "--combined", "--check")
    assert (code, out) == (0, "1 deck up to date\n")
    code, out, _ = run("build", "--combined")
    assert (code, "(unchanged;" in out) == (0, True)
    assert {k: v for k, v in _decks(project).items() if k.endswith(".apkg")} == {
        k: v for k, v in before.items() if k.endswith(".apkg")
    }


def test_a_card_moved_between_sections_of_a_combined_deck_is_stale(project: Path) -> None:
    # Its place in its new deck is the one it had in the old: only its deck changed, and a
    # learner importing the deck for the first time gets it where the deck file says.
    cards = project / "cards"
    head = 'title: {0}\ndeck: "T::{0}"\ncards:\n'
    a1 = "  - {id: a1, kind: term, term: x, meaning: y}\n"
    a2 = "  - {id: a2, kind: term, term: x2, meaning: y2}\n"
    b1 = "  - {id: b1, kind: term, term: x3, meaning: y3}\n"
    (cards / "a.yaml").write_text("id: a\n" + head.format("A") + a1 + a2, encoding="utf-8")
    (cards / "b.yaml").write_text("id: b\n" + head.format("B") + b1, encoding="utf-8")
    assert run("build", "--combined")[0] == 0
    (cards / "a.yaml").write_text("id: a\n" + head.format("A") + a1, encoding="utf-8")
    (cards / "b.yaml").write_text("id: b\n" + head.format("B") + b1 + a2, encoding="utf-8")

    code, out, _ = run("build", "--combined", "--check")
    assert (code, out) == (
        1,
        "cards/.ankigen-ids: not what a build writes (missing, or cards changed since); run "
        "'ankigen build --combined' and commit it with your cards\n"
        "decks/combined.apkg: stale (cards changed since it was built); "
        "run 'ankigen build --combined'\n",
    )
    assert "(written;" in run("build", "--combined")[1]
    assert run("build", "--combined", "--check")[0] == 0


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        (
            "UPDATE cards SET nid = 9223372036854775807 WHERE nid = (SELECT MIN(id) FROM notes);"
            "UPDATE notes SET id = 9223372036854775807 WHERE id = (SELECT MIN(id) FROM notes)",
            "(9223372036854775807, 1700000000)",
        ),
        ("UPDATE notes SET mod = 1956568780800", "1956568780800)"),  # in the year 63,970
        (
            "UPDATE cards SET id = 253402300800000 WHERE id = (SELECT MIN(id) FROM cards)",
            "(253402300800000, 0)",
        ),
    ],
)
def test_a_previous_deck_with_ids_out_of_range_is_replaced(
    sample: Path, tmp_path: Path, sql: str, shown: str
) -> None:
    import sqlite3

    assert run("build")[0] == 0
    (sample / "decks" / ".ankigen-build.json").unlink()
    # The decks are read back only by the first build after an upgrade (no identity file).
    (sample / "cards" / ".ankigen-ids").unlink()
    deck = sample / "decks" / "sample.apkg"
    with zipfile.ZipFile(deck) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    database = tmp_path / "collection.anki2"
    database.write_bytes(entries["collection.anki2"])
    db = sqlite3.connect(database)
    db.executescript(sql)
    db.commit()
    db.close()
    entries["collection.anki2"] = database.read_bytes()
    with zipfile.ZipFile(deck, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    with (sample / "cards" / "sample.yaml").open("a", encoding="utf-8") as f:
        f.write("  - {id: new-card, kind: term, term: t, meaning: m}\n")  # a new id is taken

    code, out, err = run("build")
    assert code == 0
    assert err.startswith("decks/sample.apkg: cannot read the previous build (not an ankigen")
    assert "an id or a time after the year 9999 (" in err and shown in err
    assert "(written;" in out


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("net.yaml", None),
        ("日本語.yaml", None),
        ("net.yaml.", "ends in a dot or a space, which Windows drops from a file name"),
        ("net.yaml ", "ends in a dot or a space, which Windows drops from a file name"),
        ("LPT¹.yaml", "is a name Windows keeps for a device (LPT¹): no file there can have it"),
        ("console.yaml", None),  # only the whole name before the first dot is a device's
        ("a?.yaml", "holds '?', which Windows does not allow in a file name"),
        (
            "a\u2066b.yaml",
            "holds U+2066 (LEFT-TO-RIGHT ISOLATE), an invisible formatting character",
        ),
        ("a\u3164.yaml", "holds U+3164 (HANGUL FILLER), an invisible formatting character"),
    ],
)
def test_file_names_every_system_can_hold(name: str, why: str | None) -> None:
    from ankigen.names import file_name_problem

    assert file_name_problem(name) == why
