"""Edit, rebuild, re-import: the learner's notes are updated in place and keep their reviews."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.kinds import KINDS
from ankigen.notes import note_guid
from tests.conftest import import_apkg, run

DECK = Path("decks") / "sample.apkg"


def _edit(project: Path, old: str, new: str) -> None:
    card_file = project / "cards" / "sample.yaml"
    text = card_file.read_text(encoding="utf-8")
    assert old in text
    card_file.write_text(text.replace(old, new), encoding="utf-8")


def _note_id(col: Collection, card_id: str) -> int:
    return col.db.scalar("select id from notes where guid = ?", note_guid(card_id))


def test_edited_card_updates_in_place_and_keeps_its_reviews(
    sample, collection, monkeypatch, sample_counts
):
    assert run("build")[0] == 0
    import_apkg(collection, sample / DECK)
    note_id = _note_id(collection, "s-guest")
    (card_id,) = collection.find_cards(f"nid:{note_id}")
    card = collection.get_card(card_id)
    card.start_timer()  # as the reviewer does when it shows the card
    collection.sched.answerCard(card, 3)
    reviews = collection.db.scalar("select count() from revlog where cid = ?", card_id)
    untouched_mod = collection.db.scalar(
        "select mod from notes where guid = ?", note_guid("s-hypervisor")
    )

    _edit(sample, "仮想マシン上で動作するOS", "仮想マシンの中で動くOS")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    code, out, _ = run("build")
    log = import_apkg(collection, sample / DECK)

    assert code == 0
    notes = sample_counts.notes
    assert f"(written; 0 added, 1 changed, {notes - 1} unchanged, 0 removed)" in out
    # Anki logs a note it skipped because it already has it, unchanged, as a "duplicate".
    assert (len(log.new), len(log.updated), len(log.duplicate), len(log.conflicting)) == (
        0,
        1,
        notes - 1,
        0,
    )
    assert _note_id(collection, "s-guest") == note_id
    assert collection.get_note(note_id)["Meaning"] == "仮想マシンの中で動くOS"
    assert collection.find_cards(f"nid:{note_id}") == [card_id]
    card = collection.get_card(card_id)
    assert card.reps == 1 and card.type != 0  # still reviewed, not reset to new
    assert collection.db.scalar("select count() from revlog where cid = ?", card_id) == reviews == 1
    assert collection.note_count() == notes
    assert (
        collection.db.scalar("select mod from notes where guid = ?", note_guid("s-hypervisor"))
        == untouched_mod
    )


def test_edit_made_with_an_older_clock_still_reaches_anki(sample, collection, monkeypatch):
    run("build")
    import_apkg(collection, sample / DECK)
    _edit(sample, "仮想マシン上で動作するOS", "VMの中のOS")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")  # a clock behind the last build
    run("build")
    log = import_apkg(collection, sample / DECK)
    assert len(log.updated) == 1


def test_rebuild_without_changes_leaves_the_deck_untouched(sample, sample_counts):
    run("build")
    before = (sample / DECK).read_bytes()
    os.utime(sample / DECK, (1, 1))

    code, out, _ = run("build")

    assert code == 0
    assert out == (
        f"{sample_counts.deck_line('decks/sample.apkg')} "
        f"(unchanged; 0 added, 0 changed, {sample_counts.notes} unchanged, 0 removed)\n"
    )
    assert (sample / DECK).read_bytes() == before
    assert (sample / DECK).stat().st_mtime == 1  # not even rewritten


def test_rebuild_from_scratch_with_the_same_clock_is_byte_identical(sample, monkeypatch):
    run("build", "--out", "a")
    run("build", "--out", "b")
    assert (sample / "a" / "sample.apkg").read_bytes() == (
        sample / "b" / "sample.apkg"
    ).read_bytes()


def test_removed_card_is_reported_with_a_search_that_finds_it(sample, collection, sample_counts):
    run("build")
    import_apkg(collection, sample / DECK)
    card = "  - id: s-guest\n    kind: term\n    term: ゲストOS\n"
    card += "    meaning: 仮想マシン上で動作するOS\n"
    _edit(sample, card, "")

    code, out, _ = run("build")

    assert code == 0
    unchanged = sample_counts.notes - 1
    assert f"(written; 0 added, 0 changed, {unchanged} unchanged, 1 removed)" in out
    search = out.splitlines()[-1].strip()
    assert [collection.get_note(n)["Term"] for n in collection.find_notes(search)] == ["ゲストOS"]


def test_check_passes_on_a_fresh_build(sample):
    run("build")
    assert run("build", "--check") == (0, "1 deck up to date\n", "")


def test_check_lists_stale_and_missing_decks_and_writes_nothing(sample):
    run("build")
    before = (sample / DECK).read_bytes()
    _edit(sample, "仮想マシン上で動作するOS", "VMの中のOS")
    (sample / "cards" / "more.yaml").write_text(
        'id: more\ntitle: More\ndeck: "Test::More"\ncards:\n'
        "  - {id: m1, kind: term, term: a, meaning: b}\n",
        encoding="utf-8",
    )

    code, out, err = run("build", "--check")

    assert code == 1
    assert out == (
        "cards/.ankigen-ids: not what a build writes (missing, or cards changed since); run "
        "'ankigen build' and commit it with your cards\n"
        "decks/more.apkg: missing; run 'ankigen build'\n"
        "decks/sample.apkg: stale (cards changed since it was built); run 'ankigen build'\n"
    )
    assert err == "decks are out of date\n"
    assert sorted(p.name for p in (sample / "decks").iterdir()) == [
        ".ankigen-build.json",
        "sample.apkg",
    ]
    assert (sample / DECK).read_bytes() == before


def test_check_ignores_byte_differences_anki_does_not_see(sample):
    """Another zlib or SQLite makes other bytes; --check compares what Anki imports."""
    import zipfile

    run("build")
    with zipfile.ZipFile(sample / DECK) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(sample / DECK, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    assert run("build", "--check")[0] == 0


@pytest.mark.parametrize("changed", ["css", "template text"])
def test_note_type_style_change_updates_the_note_type_not_the_notes(
    sample, collection, monkeypatch, changed, sample_counts
):
    from dataclasses import replace

    from ankigen.kinds import term

    run("build")
    import_apkg(collection, sample / DECK)
    old_mod = collection.models.get(term.NOTE_TYPE.id)["mod"]

    if changed == "css":
        new_type = replace(term.NOTE_TYPE, css=term.NOTE_TYPE.css + "\n.prompt { color: red; }")
    else:
        first, second = term.NOTE_TYPE.templates
        new_type = replace(
            term.NOTE_TYPE, templates=(replace(first, front=first.front + "<br>"), second)
        )
    monkeypatch.setattr(term, "NOTE_TYPE", new_type)
    monkeypatch.setitem(KINDS, "term", replace(KINDS["term"], note_type=new_type))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    # Term notes now carry the new note type's definition; their content is unchanged.
    code, out, _ = run("build")
    log = import_apkg(collection, sample / DECK)

    assert code == 0
    assert f"0 changed, {sample_counts.notes} unchanged" in out
    assert collection.models.get(term.NOTE_TYPE.id)["mod"] > old_mod
    assert (len(log.updated), len(log.conflicting)) == (0, 0)
    assert [m["name"] for m in collection.models.all()].count(term.NOTE_TYPE.name) == 1


def test_rebuild_with_nothing_changed_reads_no_card_file(sample, monkeypatch, sample_counts):
    import ankigen.sections

    run("build")

    def no_reading(*_):
        raise AssertionError("a card file was read")

    monkeypatch.setattr(ankigen.sections, "load_file", no_reading)
    code, out, _ = run("build")
    assert (code, out) == (
        0,
        f"{sample_counts.deck_line('decks/sample.apkg')} "
        f"(unchanged; 0 added, 0 changed, {sample_counts.notes} unchanged, 0 removed)\n",
    )
    assert run("build", "--check") == (0, "1 deck up to date\n", "")


def test_any_change_under_cards_or_to_a_deck_means_a_full_build(sample, monkeypatch, sample_counts):
    run("build")
    deck = sample / DECK
    good = deck.read_bytes()

    deck.write_bytes(good[:-10])  # a deck damaged or edited by hand is built again
    code, out, err = run("build")
    assert f"{sample_counts.deck_line('decks/sample.apkg')} (written;" in out
    assert err == ""
    assert deck.read_bytes() == good  # the same clock, and nothing else to go by

    (sample / "cards" / "new-image.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    import ankigen.sections

    calls = []
    real = ankigen.sections.load_file
    monkeypatch.setattr(ankigen.sections, "load_file", lambda *a: calls.append(a) or real(*a))
    run("build")
    assert len(calls) == 1  # an unrelated new file under cards/ still makes a full build


def test_strict_fails_on_warnings_remembered_from_the_last_build(project):
    (project / "cards" / "lint.yaml").write_text(
        'id: lint\ntitle: Lint\ndeck: "T::L"\ncards:\n'
        "  - {id: l1, kind: command, command: 'docker run –name web', meaning: 名前}\n",
        encoding="utf-8",
    )
    assert run("build")[0] == 0
    code, out, err = run("build", "--strict")
    assert (code, out) == (1, "")
    assert "contains an en dash" in err


# Appended to a copy of kinds/term.py: the term generator now adds "!" to each term.
EDITED_GENERATOR = """

import dataclasses as _dataclasses

_generate_before_the_edit = generate


def generate(card, history):
    return [
        _dataclasses.replace(note, fields=(note.fields[0] + "!", *note.fields[1:]))
        for note in _generate_before_the_edit(card, history)
    ]


KIND = _dataclasses.replace(KIND, generate=generate)
"""


def test_editing_ankigens_own_code_makes_the_next_build_a_full_one(sample, tmp_path, sample_counts):
    import shutil
    import subprocess
    import sys

    import ankigen

    engine = tmp_path / "engine"
    shutil.copytree(
        Path(ankigen.__file__).parent,
        engine / "ankigen",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    path = os.pathsep.join(p for p in (str(engine), os.environ.get("PYTHONPATH")) if p)

    def build(epoch: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "ankigen", "build"],
            cwd=sample,
            env={**os.environ, "PYTHONPATH": path, "SOURCE_DATE_EPOCH": epoch},
            capture_output=True,
            text=True,
            check=False,
        )
        assert (result.returncode, result.stderr) == (0, ""), result.stderr
        return result.stdout

    assert "(written;" in build("1700000000")
    assert "(unchanged;" in build("1700000000")
    with (engine / "ankigen" / "kinds" / "term.py").open("a", encoding="utf-8") as f:
        f.write(EDITED_GENERATOR)
    terms = sample_counts.kinds["term"]
    assert f"(written; 0 added, {terms} changed," in build("1700000100")


def test_section_title_and_description_are_the_decks_description(sample, collection, sample_counts):
    run("build")
    import_apkg(collection, sample / DECK)
    assert collection.decks.by_name("Test::Sample")["desc"] == "<b>Sample</b>"

    # A new description is a change Anki imports: --check sees it, a build writes it, and
    # Anki's import replaces the description of the deck the learner already has.
    _edit(sample, "title: Sample\n", "title: Sample <1>\ndescription: For **tests**\n")
    code, out, _ = run("build", "--check")
    assert (code, out) == (
        1,
        "decks/sample.apkg: stale (cards changed since it was built); run 'ankigen build'\n",
    )
    code, out, _ = run("build")
    assert code == 0 and f"(written; 0 added, 0 changed, {sample_counts.notes} unchanged" in out
    import_apkg(collection, sample / DECK)
    assert collection.decks.by_name("Test::Sample")["desc"] == (
        "<b>Sample &lt;1&gt;</b><br>For <strong>tests</strong>"
    )
    assert run("build", "--check")[0] == 0
