"""`ankigen pull`: review in Anki, edit there, export, pull; the card file takes the edit."""

from __future__ import annotations

import difflib
import time
from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.notes import note_guid
from ankigen.unmarkup import text_of
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
    meaning: コンテナを作るための読み取り専用のテンプレート  # fixed on a phone
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
    new_line = "    meaning: コンテナを作る**読み取り専用**のテンプレート  # fixed on a phone"
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
        "-    meaning: コンテナを作るための読み取り専用のテンプレート  # fixed on a phone",
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


def test_a_line_break_and_a_note_added_in_anki(project, learner):
    card_file = project / "cards" / "demo.yaml"
    learner.edit(("d-ps",), "Meaning", "すべてのコンテナ<div>停止中も</div>")
    learner.edit(("d-image",), "Hint", "読み取り専用")
    note = learner.note("d-ps")
    note.tags.append("daily")
    learner.col.update_note(note)
    assert run("pull", str(learner.export()))[0] == 0
    assert _changed_lines(DEMO, card_file.read_text(encoding="utf-8")) == [
        "+    hint: 読み取り専用",
        "-    meaning: 'すべてのコンテナを一覧する'",
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


def test_an_edit_on_both_sides_is_a_conflict(project, learner):
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
        "-    meaning: コンテナを作るための読み取り専用のテンプレート  # fixed on a phone",
        "+    meaning: 読み取り専用のテンプレート  # fixed on a phone",
    ]


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
    assert out == f"1 note not made by ankigen, left alone:\n  nid:{note.id} (Basic): my own card\n"
