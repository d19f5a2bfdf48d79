"""`ankigen pull`: review in Anki, edit there, export, pull; the card file takes the edit."""

from __future__ import annotations

import difflib
import os
import re
import time
from pathlib import Path

import pytest
import yaml
from anki.collection import Collection
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ankigen import yamledit
from ankigen.markup import text_html
from ankigen.notes import note_guid
from ankigen.unmarkup import text_of
from ankigen.yamledit import Edit
from tests.conftest import import_apkg, run
from tests.learner import export

DEMO = """\
# The demo section: one card of every kind.
id: demo
title: Demo
deck: "Demo"
tags: [demo]
cards:
  - id: d-image
    kind: term
    term: Docker イメージ
    meaning: "コンテナを作るための読み取り専用のテンプレート"  # fixed on a phone
    reverse: true
  - id: d-ps
    kind: command
    command: docker ps -a
    meaning: 'すべてのコンテナを一覧する'
    note: "`-a` は停止中も含む"
  - id: d-merits
    kind: cloze
    prompt: Docker のメリット
    items:
      - どこでも同じ環境
      - 配布しやすい
  - id: d-run
    kind: gaps
    prompt: バックグラウンドで起動
    text: docker run {{-d}} nginx
    code: true
  - id: d-net
    kind: table
    title: モード
    rows:
      - {key: nat, label: NAT}
    columns:
      - {key: in, label: 外から}
      - {key: out, label: 外へ}
    cells:
      nat: {in: "×", out: "○"}
"""


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


class Learner:
    """A learner's Anki (the official package) that imports the decks, reviews and edits."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        self.folder = folder
        self.col = Collection(str(folder / "collection.anki2"))
        self.exports = 0

    def import_deck(self, project: Path):
        return import_apkg(self.col, project / "decks" / "demo.apkg")

    def review_all(self) -> None:
        for card_id in self.col.find_cards(""):
            card = self.col.get_card(card_id)
            card.start_timer()
            self.col.sched.answerCard(card, 3)

    def reviews(self) -> int:
        return self.col.db.scalar("select count() from revlog")

    def note(self, *ids: str):
        nid = self.col.db.scalar("select id from notes where guid=?", note_guid(*ids))
        return self.col.get_note(nid)

    def edit(self, ids: tuple[str, ...], field: str, value: str) -> None:
        note = self.note(*ids)
        note[field] = value
        self.col.update_note(note)

    def export(self) -> Path:
        self.exports += 1
        folder = self.folder / f"export-{self.exports}"
        folder.mkdir()
        return export(self.col, folder, "apkg")


@pytest.fixture
def learner(project: Path):
    (project / "cards" / "demo.yaml").write_text(DEMO, encoding="utf-8")
    assert run("build")[0] == 0
    anki = Learner(project / "anki")
    log = anki.import_deck(project)
    assert len(log.new) == 6
    anki.review_all()
    yield anki
    anki.col.close()


def test_an_edit_in_anki_comes_back_as_that_one_line(project, learner, monkeypatch):
    card_file = project / "cards" / "demo.yaml"
    reviews = learner.reviews()
    learner.edit(("d-image",), "Meaning", "コンテナを作る<b>読み取り専用</b>のテンプレート")
    exported = learner.export()

    code, out, err = run("pull", str(exported), "--dry-run")
    assert (code, err) == (0, "")
    assert card_file.read_text(encoding="utf-8") == DEMO  # a dry run writes nothing
    new_line = '    meaning: "コンテナを作る**読み取り専用**のテンプレート"  # fixed on a phone'
    lines = DEMO.splitlines(keepends=True)
    assert out == "".join(
        [
            "--- a/cards/demo.yaml\n+++ b/cards/demo.yaml\n@@ -7,7 +7,7 @@\n",
            *(f" {line}" for line in lines[6:9]),
            f"-{lines[9]}",
            f"+{new_line}\n",
            *(f" {line}" for line in lines[10:13]),
        ]
    )

    assert run("pull", str(exported)) == (0, "cards/demo.yaml: written\n", "")
    after = card_file.read_text(encoding="utf-8")
    assert _changed_lines(DEMO, after) == [
        '-    meaning: "コンテナを作るための読み取り専用のテンプレート"  # fixed on a phone',
        f"+{new_line}",
    ]
    # A second pull of the same export writes nothing.
    assert run("pull", str(exported)) == (0, "", "nothing to pull\n")
    assert card_file.read_text(encoding="utf-8") == after

    # The next build changes that note only; the import updates it in place.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) + 60))
    code, out, _ = run("build")
    assert code == 0 and "0 added, 1 changed, 5 unchanged" in out
    log = learner.import_deck(project)
    assert (len(log.new), len(log.conflicting), len(log.updated)) == (0, 0, 1)
    meaning = learner.note("d-image")["Meaning"]
    assert text_of(meaning) == "コンテナを作る**読み取り専用**のテンプレート"
    assert learner.reviews() == reviews
    # Pulling after that import, or the old export again, writes nothing.
    assert run("pull", str(learner.export()))[0:2] == (0, "")
    assert run("pull", str(exported))[0:2] == (0, "")
    assert card_file.read_text(encoding="utf-8") == after


def test_a_line_break_a_hint_added_a_note_emptied_and_a_tag(project, learner):
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-ps",), "Meaning", "すべてのコンテナ<div>停止中も</div>")
    learner.edit(("d-image",), "Hint", "読み取り専用")
    learner.edit(("d-ps",), "Note", "")
    note = learner.note("d-ps")
    note.tags.append("daily")
    learner.col.update_note(note)
    assert run("pull", str(learner.export()))[0] == 0
    assert _changed_lines(DEMO, card_file.read_text(encoding="utf-8")) == [
        "+    hint: 読み取り専用",
        "-    meaning: 'すべてのコンテナを一覧する'",
        '-    note: "`-a` は停止中も含む"',
        "+    meaning: |-",
        "+      すべてのコンテナ",
        "+      停止中も",
        "+    tags: [daily]",
    ]


def test_cloze_items_gaps_and_table_cells_come_back(project, learner):
    card_file = project / "cards" / "demo.yaml"
    cloze = learner.note("d-merits")
    cloze["Text"] = cloze["Text"].replace("配布しやすい", "配布が<b>簡単</b>")
    learner.col.update_note(cloze)
    gaps = learner.note("d-run")
    gaps["Text"] = gaps["Text"].replace("{{c1::-d}}", "{{c1::--detach}}")
    learner.col.update_note(gaps)
    learner.edit(("d-net", "nat", "out"), "Value", "○ (NAT)")
    assert run("pull", str(learner.export()))[0] == 0
    assert _changed_lines(DEMO, card_file.read_text(encoding="utf-8")) == [
        "-      - 配布しやすい",
        "+      - 配布が**簡単**",
        "-    text: docker run {{-d}} nginx",
        "+    text: docker run {{--detach}} nginx",
        '-      nat: {in: "×", out: "○"}',
        '+      nat: {in: "×", out: "○ (NAT)"}',  # its quotes kept
    ]


def test_an_edit_on_both_sides_is_a_conflict(project, learner, monkeypatch):
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-ps",), "Meaning", "全コンテナを表示する")
    learner.edit(("d-image",), "Meaning", "読み取り専用のテンプレート")  # Anki only
    edited = DEMO.replace("'すべてのコンテナを一覧する'", "'停止中も含めて一覧する'")
    card_file.write_text(edited, encoding="utf-8")
    code, out, err = run("pull", str(learner.export()))
    assert code == 1
    assert err == (
        "cards/demo.yaml:15:14: card 'd-ps' 'meaning': changed both in the file and in Anki "
        "since the last build\n"
        "  file: '停止中も含めて一覧する'\n"
        "  Anki: '全コンテナを表示する'\n"
    )
    # The other card's edit is written; the conflicting card keeps its text.
    assert _changed_lines(edited, card_file.read_text(encoding="utf-8")) == [
        '-    meaning: "コンテナを作るための読み取り専用のテンプレート"  # fixed on a phone',
        '+    meaning: "読み取り専用のテンプレート"  # fixed on a phone',
    ]
    # A build whose import keeps the edit left in Anki (older than it) says nothing...
    assert run("build")[::2] == (0, "")
    # ...one whose import would overwrite it says so.
    card_file.write_text(edited.replace("停止中も含めて", "停止中も"), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) + 60))
    code, _, err = run("build")
    assert code == 0
    assert err == (
        "cards/demo.yaml: card 'd-ps': edited in Anki and not pulled (a conflict, or an edit a "
        "card cannot say): importing this build replaces that edit; resolve it and pull again "
        "first\n"
    )


def test_a_row_label_comes_back_once_or_is_a_conflict(project, learner):
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-net", "nat", "in"), "Row", "NAT (既定)")  # one cell's note of the row
    exported = learner.export()
    learner.edit(("d-net", "nat", "out"), "Row", "NAT モード")  # and the other, otherwise
    code, _, err = run("pull", str(learner.export()))
    assert code == 1
    assert err.splitlines()[0] == (
        "cards/demo.yaml:32:27: card 'd-net' 'rows[1].label': edited differently in two of "
        "its notes in Anki: 'NAT (既定)' and 'NAT モード'"
    )
    assert card_file.read_text(encoding="utf-8") == DEMO
    assert run("pull", str(exported))[0] == 0
    assert _changed_lines(DEMO, card_file.read_text(encoding="utf-8")) == [
        "-      - {key: nat, label: NAT}",
        "+      - {key: nat, label: NAT (既定)}",
    ]


def test_tags_removed_in_anki(project, learner):
    card_file = project / "cards" / "demo.yaml"
    card_file.write_text(
        DEMO.replace("    reverse: true\n", "    reverse: true\n    tags: [a, b]\n")
    )
    assert run("build")[0] == 0
    learner.import_deck(project)
    note = learner.note("d-image")
    note.remove_tag("a")
    learner.col.update_note(note)
    assert run("pull", str(learner.export()))[0] == 0
    assert "    tags: [b]\n" in card_file.read_text(encoding="utf-8")
    assert run("build")[0] == 0
    learner.import_deck(project)
    note = learner.note("d-image")
    note.remove_tag("demo")  # the section's tag
    learner.col.update_note(note)
    code, _, err = run("pull", str(learner.export()))
    assert code == 1
    assert err.splitlines()[0] == (
        "cards/demo.yaml:12:11: card 'd-image' 'tags': tag 'demo' removed in Anki comes from "
        "the section or the kind: remove it there"
    )


def test_two_fields_of_one_note_each_changed_on_one_side(project, learner):
    """The last build's digest tells which side changed which field: no conflict."""
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-ps",), "Note", "停止中のコンテナも")
    edited = DEMO.replace("'すべてのコンテナを一覧する'", "'コンテナを一覧する'")
    card_file.write_text(edited, encoding="utf-8")
    assert run("pull", str(learner.export()))[0] == 0
    assert _changed_lines(edited, card_file.read_text(encoding="utf-8")) == [
        '-    note: "`-a` は停止中も含む"',
        '+    note: "停止中のコンテナも"',  # its quotes kept
    ]


def test_a_build_not_yet_imported_is_not_undone(project, learner):
    """Anki's older note (the learner has not imported the last build) is not an edit."""
    card_file = project / "cards" / "demo.yaml"
    edited = DEMO.replace("'すべてのコンテナを一覧する'", "'コンテナを一覧する'")
    card_file.write_text(edited, encoding="utf-8")
    assert run("build")[0] == 0
    assert run("pull", str(learner.export())) == (0, "", "nothing to pull\n")
    assert card_file.read_text(encoding="utf-8") == edited


def test_what_a_card_cannot_say_is_reported_and_not_written(project, learner):
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-ps",), "Meaning", "すべての<i>コンテナ</i>")
    learner.edit(("d-net", "nat", "in"), "Grid", "<table></table>")
    code, _, err = run("pull", str(learner.export()))
    assert code == 1
    assert err.splitlines() == [
        "cards/demo.yaml:12:5: card 'd-ps': 'Meaning' as edited in Anki: italics (<i>) cannot "
        "be written in a card file",
        "cards/demo.yaml:28:5: card 'd-net': 'Grid' as edited in Anki: Grid is made from the "
        "table's cells; change them in the file",
        "nothing pulled",
    ]
    assert card_file.read_text(encoding="utf-8") == DEMO


def test_notes_ankigen_did_not_make_are_listed(project, learner):
    note = learner.col.new_note(learner.col.models.by_name("Basic"))
    note["Front"] = "my own card"
    learner.col.add_note(note, learner.col.decks.id("Mine"))
    code, out, err = run("pull", str(learner.export()))
    assert (code, err) == (0, "nothing to pull\n")
    assert out == f"1 note that no card makes, left alone:\n  nid:{note.id} (Basic): my own card\n"


# The values the property below edits, one per note, so each edit is its own note's: the
# note's field in Anki, and the value's path in the card file.
TARGETS = {
    "term": (("d-image",), "Meaning", ("cards", 0, "meaning")),
    "command": (("d-ps",), "Meaning", ("cards", 1, "meaning")),
    "cloze": (("d-merits",), "Text", ("cards", 2, "items", 1)),
    "table": (("d-net", "nat", "out"), "Value", ("cards", 4, "cells", "nat", "out")),
}
_TEXT = (
    st.lists(st.sampled_from(list("ab日本 `<&") + ["**x**", "`c`"]), min_size=1, max_size=6)
    .map("".join)
    .map(str.strip)
    .filter(bool)
)
_STEP = st.one_of(
    st.tuples(st.just("anki"), st.sampled_from(sorted(TARGETS)), _TEXT),
    st.tuples(st.just("file"), st.sampled_from(sorted(TARGETS)), _TEXT),
    st.tuples(st.just("pull")),
    st.tuples(st.just("build")),
)


def _anki_text(learner: Learner, target: str) -> str:
    ids, field, _ = TARGETS[target]
    html = learner.note(*ids)[field]
    if target == "cloze":
        html = re.search(r"\{\{c2::(.*?)\}\}", html, re.S)[1]
    return text_of(html)


def _set_in_anki(learner: Learner, target: str, text: str, when: int) -> None:
    ids, field, _ = TARGETS[target]
    html = text_html(text).replace("<strong>", "<b>").replace("</strong>", "</b>")
    if target == "cloze":
        whole = learner.note(*ids)[field]
        html = re.sub(r"\{\{c2::.*?\}\}", lambda _: f"{{{{c2::{html}}}}}", whole, flags=re.S)
    learner.edit(ids, field, html)
    # Edited at `when`, after the last build (whose clock the test sets).
    learner.col.db.execute("update notes set mod = ? where guid = ?", when, note_guid(*ids))


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(_STEP, min_size=1, max_size=7))
def test_any_sequence_of_edits_pulls_and_builds_as_the_model_says(tmp_path_factory, steps):
    """Edits in Anki and in the file, pulls, builds and imports, in any order: a pull takes
    exactly the values changed only in Anki since the last build and reports those changed
    on both sides; a second pull writes nothing; an import adds nothing, keeps the reviews
    and brings the changed values to Anki."""
    folder = tmp_path_factory.mktemp("sequence")
    cards, decks = folder / "cards", folder / "decks"
    cards.mkdir()
    card_file = cards / "demo.yaml"
    card_file.write_text(DEMO, encoding="utf-8")
    clock = 1_700_000_000  # each build's clock: after every edit made before it
    os.environ["SOURCE_DATE_EPOCH"] = str(clock)
    assert run("build", "--cards", str(cards), "--out", str(decks))[0] == 0
    anki = Learner(folder / "anki")
    anki.import_deck(folder)
    anki.review_all()
    reviews = anki.reviews()
    built = {t: _file_value(card_file, t) for t in TARGETS}  # as the last build made them
    in_file, in_anki = dict(built), dict(built)
    try:
        for step in steps:
            if step[0] == "anki":
                _set_in_anki(anki, step[1], step[2], clock + len(in_anki))
                in_anki[step[1]] = step[2]
            elif step[0] == "file":
                path = TARGETS[step[1]][2]
                text = yamledit.apply(card_file.read_text(encoding="utf-8"), [Edit(path, step[2])])
                card_file.write_text(text, encoding="utf-8")
                in_file[step[1]] = step[2]
            elif step[0] == "pull":
                exported = anki.export()
                both = {t for t in TARGETS if built[t] != in_anki[t] != in_file[t] != built[t]}
                pulled = {t for t in TARGETS if in_anki[t] != built[t]} - both
                event(f"a pull with {len(pulled)} values to write, {len(both)} conflicts")
                code, _, err = run(
                    "pull", str(exported), "--cards", str(cards), "--out", str(decks)
                )
                assert code == (1 if both else 0), err
                for t in pulled:
                    in_file[t] = in_anki[t]
                assert {t: _file_value(card_file, t) for t in TARGETS} == in_file
                again = run("pull", str(exported), "--cards", str(cards), "--out", str(decks))
                assert again[0] == code and again[1] == ""  # nothing more to write
            else:
                clock += 100
                os.environ["SOURCE_DATE_EPOCH"] = str(clock)
                assert run("build", "--cards", str(cards), "--out", str(decks))[0] == 0
                log = anki.import_deck(folder)
                assert (len(log.new), len(log.conflicting)) == (0, 0)
                for t in TARGETS:
                    if in_file[t] != built[t]:  # a newer note: the import updates it
                        in_anki[t] = in_file[t]
                built = dict(in_file)
                assert {t: _anki_text(anki, t) for t in TARGETS} == in_anki
                assert anki.reviews() == reviews
    finally:
        anki.col.close()
        del os.environ["SOURCE_DATE_EPOCH"]


def _file_value(card_file: Path, target: str) -> str:
    value = yaml.safe_load(card_file.read_text(encoding="utf-8"))
    for step in TARGETS[target][2]:
        value = value[step]
    return value.strip()


@pytest.mark.parametrize("fmt", ["legacy", "colpkg", "collection"])
def test_every_format_anki_writes(project, learner, fmt):
    learner.edit(("d-image",), "Meaning", "読み取り専用のテンプレート")
    if fmt == "collection":  # the collection file of a closed Anki
        path = learner.folder / "collection.anki2"
        learner.col.close()
        code, out, err = run("pull", str(path), "--dry-run")
        learner.col = Collection(str(path))
    else:
        folder = learner.folder / fmt
        folder.mkdir()
        code, out, err = run("pull", str(export(learner.col, folder, fmt)), "--dry-run")
    assert (code, err) == (0, "")
    assert '+    meaning: "読み取り専用のテンプレート"  # fixed on a phone\n' in out


def test_bad_input_is_one_message_and_nothing_written(project, learner):
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-image",), "Meaning", "読み取り専用のテンプレート")
    exported = learner.export()
    assert run("pull", "missing.apkg") == (1, "", "missing.apkg: no such file\n")
    (project / "notes.txt").write_text("not a package")
    code, _, err = run("pull", "notes.txt")
    assert code == 1 and err.startswith("notes.txt: not an Anki package")
    # A card file that does not pass `ankigen check` stops the pull: nothing is written.
    broken = DEMO.replace("    kind: gaps\n", "    kind: gap\n")
    card_file.write_text(broken, encoding="utf-8")
    code, out, err = run("pull", str(exported))
    assert (code, out) == (1, "")
    assert err.startswith("cards/demo.yaml:24:11: card 'd-run': unknown kind 'gap'")
    assert card_file.read_text(encoding="utf-8") == broken


def test_a_windows_file_keeps_its_line_endings_and_bom(project, learner):
    card_file = project / "cards" / "demo.yaml"
    windows = b"\xef\xbb\xbf" + DEMO.replace("\n", "\r\n").encode("utf-8")
    card_file.write_bytes(windows)
    learner.edit(("d-ps",), "Meaning", "すべての<br>コンテナ")
    assert run("pull", str(learner.export()))[0] == 0
    after = card_file.read_bytes()
    assert after == windows.replace(
        "    meaning: 'すべてのコンテナを一覧する'\r\n".encode(),
        "    meaning: |-\r\n      すべての\r\n      コンテナ\r\n".encode(),
    )


def test_a_note_of_your_own_note_type_comes_back_as_anki_html(project, monkeypatch):
    # `kind: note` (what `ankigen import` writes): its fields are Anki's HTML, kept as is,
    # whatever their names (a field named Note is the note type's own, not the card's note).
    assert run("new", "vocab")[0] == 0
    assert run("build")[0] == 0
    anki = Learner(project / "anki-own")
    try:
        import_apkg(anki.col, project / "decks" / "vocab.apkg")
        anki.review_all()
        reviews = anki.reviews()
        anki.edit(("vocab-chlorophyll",), "Meaning", "植物の<i>葉</i>で光を吸収する色素")
        code, out, err = run("pull", str(anki.export()))
        assert (code, out, err) == (0, "cards/vocab.yaml: written\n", "")
        text = (project / "cards" / "vocab.yaml").read_text(encoding="utf-8")
        assert "      Meaning: 植物の<i>葉</i>で光を吸収する色素\n" in text
        monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(time.time()) + 60))
        assert run("build")[0] == 0
        log = import_apkg(anki.col, project / "decks" / "vocab.apkg")
        assert (len(log.new), len(log.conflicting)) == (0, 0)
        assert anki.note("vocab-chlorophyll")["Meaning"] == "植物の<i>葉</i>で光を吸収する色素"
        assert anki.reviews() == reviews
        assert run("pull", str(anki.export()))[0:2] == (0, "")
    finally:
        anki.col.close()
