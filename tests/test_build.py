"""Built decks, as the official `anki` package imports and renders them."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

from anki.collection import Collection

from ankigen.build import load_sections
from ankigen.kinds import KINDS, generate
from ankigen.notes import note_guid
from ankigen.package import read_package
from tests.conftest import counted, import_apkg, run


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


def test_note_guids_are_genankis_guid_for_the_card_ids():
    import genanki

    for ids in [
        ("docker-ps-a",),
        ("vbox-network-modes", "nat", "host-to-guest"),
        ("x",),
        ("用語",),
    ]:
        assert note_guid(*ids) == genanki.guid_for("ankigen", *ids)


def test_making_decks_in_a_second_process_writes_the_same_bytes(sample, monkeypatch, sample_counts):
    import ankigen.build
    from ankigen.packer import Packer

    modes = []

    class Recording(Packer):
        def __init__(self, memory, clock, parallel):
            modes.append(parallel)
            super().__init__(memory, clock, parallel)

    monkeypatch.setattr(ankigen.build, "Packer", Recording)

    for name in ("more", "most"):
        (sample / "cards" / f"{name}.yaml").write_text(
            f'id: {name}\ntitle: {name}\ndeck: "Test::{name}"\ncards:\n'
            f"  - {{id: {name}-1, kind: term, term: a, meaning: b}}\n",
            encoding="utf-8",
        )

    def build_both() -> None:
        monkeypatch.setattr(ankigen.build, "PARALLEL_FROM_BYTES", 10**12)
        assert run("build", "--out", "alone")[0] == 0
        monkeypatch.setattr(ankigen.build, "PARALLEL_FROM_BYTES", 0)
        code, out, _ = run("build", "--out", "paired")
        assert code == 0
        assert f"{sample_counts.deck_line('paired/sample.apkg')} (written;" in out
        for apkg in (sample / "alone").glob("*.apkg"):
            assert apkg.read_bytes() == (sample / "paired" / apkg.name).read_bytes(), apkg.name

    build_both()
    card_file = sample / "cards" / "sample.yaml"
    card_file.write_text(card_file.read_text(encoding="utf-8").replace("ゲストOS", "ゲスト"))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    build_both()  # now with the memory of a previous build
    assert modes == [False, True, False, True]


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
