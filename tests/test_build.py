"""Built decks, as the official `anki` package imports and renders them."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.kinds import KINDS, generate
from ankigen.notes import note_guid
from ankigen.package import read_package
from ankigen.sections import load_sections
from tests.conftest import REPO, counted, disk_full_at, import_apkg, run


def _cards_by_template(col: Collection, *of: str) -> dict[tuple[str, str], list]:
    """The Anki cards by kind and template; only those the sample's cards `of` make,
    so a card added to the fixture changes nothing here."""
    sections, _ = load_sections(Path("cards"))
    guids = {note.guid for card in sections[0].cards if card.id in of for note in generate([card])}
    kinds = {kind.note_type.id: name for name, kind in KINDS.items()}
    found: dict[tuple[str, str], list] = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        if card.note().guid in guids:
            key = (kinds[card.note_type()["id"]], card.template()["name"])
            found.setdefault(key, []).append(card)
    return found


def _as_written(html: str) -> str:
    """A face as Anki renders it: every template is kept out of MathJax's reach."""
    return f'<div class="mathjax_ignore">{html}</div>'


def test_sample_deck_imports_cleanly(sample: Path, collection: Collection) -> None:
    code, out, err = run("build")
    assert (code, err) == (0, "")

    log = import_apkg(collection, sample / "decks" / "sample.apkg")

    notes = collection.note_count()
    assert (len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting)) == (
        notes,
        0,
        0,
        0,
    )
    # One note per card of each kind but the table's, which makes one per cell.
    sections, _ = load_sections(sample / "cards")
    cells = sum(len(c["cells"]) for c in sections[0].cards if c.kind == "table")
    tables = sum(c.kind == "table" for c in sections[0].cards)
    assert notes == len(sections[0].cards) - tables + cells
    assert "Test::Sample" in [d.name for d in collection.decks.all_names_and_ids()]
    assert out == (
        f"decks/sample.apkg: {counted(notes, 'note')}, {counted(collection.card_count(), 'card')} "
        f"(written; {notes} added, 0 changed, 0 unchanged, 0 removed)\n"
    )


def test_command_placeholder_is_shown_not_swallowed(sample, collection) -> None:
    run("build")
    import_apkg(collection, sample / "decks" / "sample.apkg")
    cards = _cards_by_template(collection, "s-vagrant-init")

    (forward,) = cards["command", "Command → Meaning"]
    rendered = forward.render_output()
    assert '<div class="command">vagrant init &lt;box&gt;</div>' in rendered.question_text
    assert "<code>Vagrantfile</code> を作成する" in rendered.answer_text
    assert "&lt;box&gt; は Box 名" in rendered.answer_text

    (typed,) = cards["command", "Meaning → Command"]
    assert "[[type:Typed]]" in typed.render_output().question_text
    # The learner types what `type:` says; the command as written is shown on the back.
    comparison = collection.compare_answer(typed.note()["Typed"], "vagrant init")
    assert comparison == "<code id=typeans><span class=typeGood>vagrant init</span></code>"
    assert (
        '<div class="command">vagrant init &lt;box&gt;</div>' in typed.render_output().answer_text
    )


def test_term_cards_are_asked_in_reverse_only_when_asked_for(sample, collection) -> None:
    run("build")
    import_apkg(collection, sample / "decks" / "sample.apkg")
    cards = _cards_by_template(collection, "s-hypervisor", "s-guest")
    fronts = sorted(c.render_output().question_text for c in cards["term", "Term → Meaning"])
    backs = [c.render_output().question_text for c in cards["term", "Meaning → Term"]]
    assert fronts == [
        _as_written('<div class="prompt">ゲストOS</div>'),
        _as_written('<div class="prompt">ハイパーバイザ</div>'),
    ]
    assert backs == [
        _as_written('<div class="prompt">仮想マシンを作成・実行するソフトウェア</div>')
    ]


def test_cloze_list_hides_one_item_per_card(sample, collection) -> None:
    run("build")
    import_apkg(collection, sample / "decks" / "sample.apkg")
    cards = sorted(
        _cards_by_template(collection, "s-merits")["cloze", "Cloze"],
        key=lambda c: c.ord,
    )
    questions = [c.render_output().question_text for c in cards]
    for hidden, question in zip(["軽量", "起動が速い", "a::b"], questions, strict=True):
        assert question.count("[...]") == 1
        assert f">{hidden}<" not in question
    # Cloze syntax typed by the user is text, not a deletion of its own.
    answer = cards[2].render_output().answer_text
    (shown,) = re.findall(r'<span class="cloze" data-ordinal="3">(.*?)</span>', answer)
    assert html.unescape(shown) == "a::b {{c1::x}}"


def test_table_cell_names_row_and_column_and_highlights_the_cell(sample, collection) -> None:
    run("build")
    import_apkg(collection, sample / "decks" / "sample.apkg")
    cards = _cards_by_template(collection, "s-net")["table", "Cell"]
    assert len(cards) == 4  # two rows, two columns
    by_question = {c.render_output().question_text: c for c in cards}
    # Row and column on labelled lines: no separator that could be read as a value.
    card = by_question[
        _as_written(
            '<div class="context">ネットワークモード</div><div class="prompt axes">'
            '<div class="row">NAT</div><div class="column">ホストOS → ゲストOS</div></div>'
        )
    ]
    answer = card.render_output().answer_text
    assert '<div class="answer">ポートフォワーディング設定時のみ</div>' in answer
    # The asked row as a list (for phones), then the whole table; both mark the cell.
    row_list = re.search(r'<div class="row-list">.*?</dl></div>', answer)[0]
    assert row_list == (
        '<div class="row-list"><div class="row-label">NAT</div><dl>'
        "<div><dt>ゲストOS → ホストOS</dt><dd>○</dd></div>"
        '<div class="asked"><dt>ホストOS → ゲストOS</dt><dd>ポートフォワーディング設定時のみ</dd>'
        "</div></dl></div>"
    )
    assert (
        '<td class="asked"><span class="label">ホストOS → ゲストOS</span>'
        "ポートフォワーディング設定時のみ</td>"
    ) in answer
    assert answer.count('class="asked"') == 2
    assert answer.count("<td") == 4


def test_tags_are_the_sections_the_kinds_and_the_cards(sample, collection) -> None:
    run("build")
    import_apkg(collection, sample / "decks" / "sample.apkg")
    (note_id,) = collection.find_notes("Term:ハイパーバイザ")
    assert collection.get_note(note_id).tags == ["basics", "kind::term", "sample"]


def test_guids_come_from_card_ids_and_survive_text_edits(sample: Path) -> None:
    run("build", "--out", "first")
    card_file = sample / "cards" / "sample.yaml"
    card_file.write_text(
        card_file.read_text(encoding="utf-8").replace("仮想マシン上で動作するOS", "VMの中のOS"),
        encoding="utf-8",
    )
    run("build", "--out", "second")
    first = read_package((sample / "first" / "sample.apkg").read_bytes())
    second = read_package((sample / "second" / "sample.apkg").read_bytes())

    assert set(first.notes) == set(second.notes)
    assert note_guid("s-guest") in second.notes
    assert note_guid("s-net", "nat", "host-to-guest") in second.notes
    sections, _ = load_sections(sample / "cards")
    assert (
        first.note_types.keys()
        == second.note_types.keys()
        == {KINDS[card.kind].note_type.id for card in sections[0].cards}
    )


def test_no_temp_files_are_left_behind(sample: Path, tmp_path: Path, monkeypatch) -> None:
    import tempfile

    # A temp folder of its own: the shared one changes under other programs' feet.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    assert run("build")[0] == 0
    assert sorted(p.name for p in (sample / "decks").iterdir()) == [
        ".ankigen-build.json",
        "sample.apkg",
    ]
    assert list(private_tmp.iterdir()) == []


def test_a_write_that_fails_leaves_no_temp_file_and_the_old_deck(sample: Path, monkeypatch):
    import errno
    import os

    assert run("build")[0] == 0
    deck = sample / "decks" / "sample.apkg"
    old = deck.read_bytes()
    card_file = sample / "cards" / "sample.yaml"
    card_file.write_text(card_file.read_text(encoding="utf-8").replace("ゲストOS", "ゲスト"))

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)  # the deck's bytes are written, not yet kept
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == f"{Path('decks') / 'sample.apkg'}: cannot write: {os.strerror(errno.ENOSPC)}\n"
    assert deck.read_bytes() == old
    assert sorted(p.name for p in (sample / "decks").iterdir()) == [
        ".ankigen-build.json",
        "sample.apkg",
    ]


def test_repository_cards_build_and_import_without_warnings(tmp_path, collection) -> None:
    repo = Path(__file__).resolve().parent.parent
    shutil.copytree(repo / "cards", tmp_path / "cards")
    code, out, err = run(
        "build", "--cards", str(tmp_path / "cards"), "--out", str(tmp_path / "decks")
    )
    assert (code, err) == (0, "")
    decks = sorted((tmp_path / "decks").glob("*.apkg"))
    assert len(decks) == len(list((repo / "cards").glob("[!.]*.yaml")))
    for apkg in decks:
        log = import_apkg(collection, apkg)
        assert (len(log.duplicate), len(log.conflicting), len(log.updated)) == (0, 0, 0)
    names = [d.name for d in collection.decks.all_names_and_ids()]
    assert all(n == "Default" or n.startswith("OS仮想化技術基礎") for n in names)


def test_packages_hold_the_rows_genanki_writes_for_the_same_notes():
    # build_package writes the notes' and cards' rows itself, not through genanki's note
    # objects: the database must hold what genanki's own Package.write_to_db writes for the
    # same notes, decks, ids and time, for every kind of note the repository's cards make,
    # in a package of several decks (as `build --combined` writes).
    import io
    import itertools
    import json
    import sqlite3
    import zipfile

    import genanki

    from ankigen.package import IdAllocator, Memory, _model, build_package, deck_id

    sections, _ = load_sections(REPO / "cards")
    decks = [(s.deck_header(), list(generate(s.cards))) for s in sections]
    notes = [n for _, deck_notes in decks for n in deck_notes]
    assert {n.note_type.cloze for n in notes} == {True, False}
    assert any(n.tags for n in notes) and any(n.media for n in notes)
    assert any(n.data for n in notes) and len(decks) > 1
    clock = 1_700_000_000
    data, _ = build_package(decks, Memory(), clock, IdAllocator(Memory(), clock))
    ours = sqlite3.connect(":memory:")
    ours.deserialize(zipfile.ZipFile(io.BytesIO(data)).read("collection.anki2"))

    theirs = sqlite3.connect(":memory:")
    models = {n.note_type.id: _model(n.note_type) for n in notes}
    package = genanki.Package([])
    for (name, description), deck_notes in decks:
        deck = genanki.Deck(deck_id(name), name, description=description)
        for position, n in enumerate(deck_notes):
            deck.add_note(
                genanki.Note(
                    models[n.note_type.id], list(n.fields), tags=list(n.tags), guid=n.guid,
                    due=position,
                )
            )  # fmt: skip
        package.decks.append(deck)
    package.write_to_db(theirs.cursor(), clock, itertools.count(clock * 1000))
    # genanki has no place for what a note remembers (see slots.py): ours is in `data`.
    theirs.executemany(
        "UPDATE notes SET data = ? WHERE guid = ?", [(n.data, n.guid) for n in notes]
    )

    for table in ("notes", "cards", "revlog", "graves"):
        rows = f"SELECT * FROM {table} ORDER BY 1"
        assert ours.execute(rows).fetchall() == theirs.execute(rows).fetchall(), table
    (ours_col,), (theirs_col,) = (
        db.execute("SELECT * FROM col").fetchall() for db in (ours, theirs)
    )
    assert [json.loads(v) if isinstance(v, str) else v for v in ours_col] == [
        json.loads(v) if isinstance(v, str) else v for v in theirs_col
    ]
    schema = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
    assert ours.execute(schema).fetchall() == theirs.execute(schema).fetchall()
    assert ours.execute("SELECT count() FROM cards").fetchone()[0] > len(notes)


def _sections(cards: Path, count: int) -> None:
    """Card files with a little of everything an edit can do to a section."""
    for n in range(count):
        (cards / f"s{n}.yaml").write_text(
            f'id: s{n}\ntitle: S{n}\ndeck: "Test::S{n}"\ncards:\n'
            f"  - {{id: s{n}-term, kind: term, term: t{n}, meaning: m{n}}}\n"
            f"  - {{id: s{n}-gone, kind: term, term: g{n}, meaning: g{n}}}\n"
            f"  - {{id: s{n}-list, kind: cloze, prompt: p{n}, items: [a, b, c]}}\n"
            + ("  - {id: s0-command, kind: command, command: ls, meaning: m}\n" if n == 0 else ""),
            encoding="utf-8",
        )


def _edit(cards: Path) -> None:
    """One card edited, one removed, one cloze item removed and one added, one card moved
    from s2 to s1, a new one added and a section removed: everything the identity rules
    and the report care about."""
    (cards / "s3.yaml").unlink()
    s1 = cards / "s1.yaml"
    text = s1.read_text(encoding="utf-8")
    text = text.replace("meaning: m1}", "meaning: m1 edited}")
    text = text.replace("  - {id: s1-gone, kind: term, term: g1, meaning: g1}\n", "")
    text = text.replace("items: [a, b, c]", "items: [a, c, d]")
    text += "  - {id: s2-term, kind: term, term: t2, meaning: m2}\n"
    text += "  - {id: s1-new, kind: term, term: n, meaning: n}\n"
    text += "  - {id: s1-command, kind: command, command: ls -a, meaning: m}\n"
    s1.write_text(text, encoding="utf-8")
    s2 = cards / "s2.yaml"
    s2.write_text(
        s2.read_text(encoding="utf-8").replace(
            "  - {id: s2-term, kind: term, term: t2, meaning: m2}\n", ""
        ),
        encoding="utf-8",
    )


# The same clock: new ids must come after those of the decks not read back. A later one:
# a note type only those decks hold keeps its mod.
@pytest.mark.parametrize("epoch", ["1700000000", "1700000100"])
def test_a_rebuild_reads_only_what_changed_and_writes_what_a_full_build_writes(
    project: Path, monkeypatch, epoch: str
) -> None:
    import ankigen.compare
    import ankigen.package
    import ankigen.sections

    cards = project / "cards"
    _sections(cards, 4)
    assert run("build")[0] == 0
    before = {p.name: p.read_bytes() for p in (project / "decks").iterdir()}
    ids_before = (cards / ".ankigen-ids").read_bytes()

    _edit(cards)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
    loaded, read = [], []
    load_file, read_package = ankigen.sections.load_file, ankigen.compare.read_package

    def loading(path, *args):
        loaded.append(path.name)
        return load_file(path, *args)

    def reading(data):
        read.append(read_package(data).decks)
        return read_package(data)

    monkeypatch.setattr(ankigen.sections, "load_file", loading)
    monkeypatch.setattr(ankigen.compare, "read_package", reading)
    code, out, err = run("build")
    assert code == 0
    assert sorted(loaded) == ["s1.yaml", "s2.yaml"]
    assert read == []  # what earlier builds gave each note is in the identity file
    assert "decks/s0.apkg: 4 notes" in out and "(unchanged; 0 added" in out
    assert "cards/s1.yaml" not in out  # no problem
    assert "1 note moved to deck 'Test::S1'" in out
    incremental = {p.name: p.read_bytes() for p in (project / "decks").iterdir()}
    assert incremental["s1.apkg"] != before["s1.apkg"]

    ids_after = (cards / ".ankigen-ids").read_bytes()

    # The same edit built from the same identity file and decks, without the build record
    # (every file read): the same report, the same bytes (stamp too), the same identity file.
    (cards / ".ankigen-ids").write_bytes(ids_before)
    full = project / "full"
    full.mkdir()
    for name, data in before.items():
        if name.endswith(".apkg"):
            (full / name).write_bytes(data)
    loaded.clear()
    assert run("build", "--out", "full") == (
        0,
        out.replace("decks/", "full/"),
        err.replace("decks/", "full/"),
    )
    assert len(loaded) == 3
    assert {p.name: p.read_bytes() for p in full.iterdir()} == incremental
    assert (cards / ".ankigen-ids").read_bytes() == ids_after


def test_watch_rebuilds_through_the_same_incremental_path(project: Path, monkeypatch) -> None:
    import time

    import ankigen.sections

    cards = project / "cards"
    _sections(cards, 3)
    loaded: list[str] = []
    load_file = ankigen.sections.load_file

    def loading(path, *args):
        loaded.append(path.name)
        return load_file(path, *args)

    looks = {"n": 0, "now": 0.0}

    def sleep(_: float) -> None:
        looks["n"] += 1
        looks["now"] += 1.0
        if looks["n"] == 1:  # a save after the first build
            s1 = cards / "s1.yaml"
            s1.write_text(s1.read_text(encoding="utf-8").replace("m1}", "m1 edited}"))
        if looks["n"] == 5:
            raise KeyboardInterrupt

    monkeypatch.setattr(ankigen.sections, "load_file", loading)
    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(time, "monotonic", lambda: looks["now"])
    code, out, _ = run("build", "--watch")
    assert code == 0
    assert loaded == ["s0.yaml", "s1.yaml", "s2.yaml", "s1.yaml"]
    assert out.count("decks/s1.apkg: 3 notes, 5 cards (written; 0 added, 1 changed") == 1


def test_a_removal_left_by_an_unfinished_build_is_dropped_once_the_card_is_back(
    project: Path, monkeypatch
) -> None:
    """The build keeps only the notes a report can concern (see build._deck): those of an
    unfinished build's report must be among them, or a note added back stays 'removed'."""

    cards = project / "cards"
    _sections(cards, 2)
    assert run("build")[0] == 0
    s0 = cards / "s0.yaml"
    full = s0.read_text(encoding="utf-8")
    s0.write_text(full.replace("  - {id: s0-gone, kind: term, term: g0, meaning: g0}\n", ""))
    s1 = cards / "s1.yaml"
    s1.write_text(s1.read_text(encoding="utf-8").replace("m1}", "m1 edited}"))
    writing_works = disk_full_at(monkeypatch, "s1.apkg")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    assert run("build")[0] == 1  # s0.apkg written without s0-gone; the report is pending
    writing_works()
    s0.write_text(full)  # the card is back
    code, out, _ = run("build")
    assert code == 0
    assert "no card makes" not in out


def test_a_rebuild_still_sees_what_other_files_claimed(project: Path) -> None:
    cards = project / "cards"
    _sections(cards, 3)
    assert run("build")[0] == 0
    before = {p.name: p.read_bytes() for p in (project / "decks").iterdir()}
    s2 = cards / "s2.yaml"
    s2.write_text(
        s2.read_text(encoding="utf-8")
        .replace("id: s2\n", "id: s0\n")
        .replace('"Test::S2"', '"test::s1"')
        .replace("s2-gone", "s1-gone"),
        encoding="utf-8",
    )
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == (
        "cards/s2.yaml:1:5: section id 's0' is also used at cards/s0.yaml:1:5\n"
        "cards/s2.yaml:3:7: deck 'test::s1' is the same Anki deck as at cards/s1.yaml:3:7 "
        "('Test::S1' there: Anki ignores letter case, Unicode normalization and spaces "
        "around '::' in deck names); give each section its own deck\n"
        "cards/s2.yaml:6:10: card 's1-gone': duplicate card id (first used at "
        "cards/s1.yaml:6:10)\n"
    )
    assert {p.name: p.read_bytes() for p in (project / "decks").iterdir()} == before


def test_a_rebuild_with_a_changed_image_or_a_touched_deck_makes_them_again(
    project: Path,
) -> None:
    cards = project / "cards"
    _sections(cards, 2)
    assert run("build")[0] == 0
    (project / "decks" / "s0.apkg").write_bytes(b"not a deck")
    code, out, err = run("build")
    assert code == 0
    assert "decks/s0.apkg: 4 notes, 7 cards (written;" in out
    assert "decks/s1.apkg: 3 notes, 5 cards (unchanged;" in out
    assert err == ""  # a deck is output: the identity file says what it held
    (cards / "pic.png").write_bytes(b"x")  # any other file: every section is read again
    code, out, _ = run("build", "--check")
    assert code == 0


def test_table_rows_and_columns_keep_the_written_order(project, collection):
    # Neither order is alphabetical, by key or by label, so no sort can pass for it.
    rows = [("zeta", "Z行"), ("alpha", "A行"), ("mid", "M行")]
    columns = [("yy", "列3"), ("bb", "列1"), ("mm", "列2")]
    (project / "cards" / "order.yaml").write_text(
        'id: order\ntitle: Order\ndeck: "Test::Order"\ncards:\n'
        "  - id: t\n    kind: table\n    title: 順序\n    rows:\n"
        + "".join(f"      - {{key: {k}, label: {v}}}\n" for k, v in rows)
        + "    columns:\n"
        + "".join(f"      - {{key: {k}, label: {v}}}\n" for k, v in columns)
        + "    cells:\n"
        + "".join(
            f"      {r}: {{{', '.join(f'{c}: {r}-{c}' for c, _ in columns)}}}\n" for r, _ in rows
        ),
        encoding="utf-8",
    )
    assert run("build")[0] == 0
    import_apkg(collection, project / "decks" / "order.apkg")

    # New cards come up in their due order: row by row, each row column by column.
    cards = sorted((collection.get_card(c) for c in collection.find_cards("")), key=lambda c: c.due)
    asked = [(card.note()["Row"], card.note()["Column"]) for card in cards]
    assert asked == [(r, c) for _, r in rows for _, c in columns]
    grid = cards[0].note()["Grid"]
    assert re.findall(r"<th>([^<]+)</th>", grid) == [c for _, c in columns] + [r for _, r in rows]
    cells = re.findall(r"<td[^>]*>(?:<span class=\"label\">[^<]*</span>)?([^<]+)</td>", grid)
    assert cells == [f"{r}-{c}" for r, _ in rows for c, _ in columns]


def test_text_is_taken_without_the_spaces_around_it(tmp_path):
    (tmp_path / "s.yaml").write_text(
        'id: s\ntitle: " S "\ndeck: D\ntags: [" x "]\ncards:\n'
        '  - {id: t, kind: term, term: "  t  ", meaning: " m ", tags: ["y  "]}\n'
        '  - {id: c, kind: cloze, prompt: p, items: [" a ", "b  "]}\n',
        encoding="utf-8",
    )
    sections, _ = load_sections(tmp_path)
    assert sections[0].title == "S"
    term, cloze = sections[0].cards
    assert (term["term"], term["meaning"]) == ("t", "m")
    assert "x" in term.tags and "y" in term.tags
    assert cloze["items"] == ["a", "b"]


def test_warnings_of_a_file_not_read_again_are_shown_as_when_it_was_read(
    project: Path, monkeypatch
) -> None:
    # The stamp keeps each file's warnings as text (stamp.escape): a warning holding a
    # backslash, a tab or what looks like an escape comes back as it was shown.
    import ankigen.sections

    (project / "cards" / "w.yaml").write_text(
        'id: w\ntitle: W\ndeck: "Test::W"\ncards:\n'
        "  - id: w1\n    kind: term\n    term: B\n    meaning: C:\\\\dir # a\\\\b\tc \\\\n\\\\t\n",
        encoding="utf-8",
    )
    first = run("build")
    assert first[0] == 0 and "# a\\\\b\tc \\\\n\\\\t'" in first[2]
    loaded = []
    load_file = ankigen.sections.load_file
    monkeypatch.setattr(
        ankigen.sections, "load_file", lambda path, *a: loaded.append(path) or load_file(path, *a)
    )
    again = run("build")
    assert loaded == []  # the record was used
    assert again[2] == first[2]
