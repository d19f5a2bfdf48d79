"""No edit moves, loses or blocks a learner's reviews (issue 12).

Each test builds, imports into a real collection with the official `anki` package, reviews,
edits the card file, rebuilds, re-imports, and then looks at which card holds which history.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

from ankigen.kinds import KINDS
from ankigen.notes import note_guid
from tests.conftest import FIXTURES, counted, disk_full_at, import_apkg, run

CLOZE = """id: s
title: S
deck: "Test::S"
cards:
  - id: c
    kind: cloze
    prompt: Greek
    items: [{items}]
"""


def _write(project: Path, text: str, name: str = "s.yaml") -> None:
    (project / "cards" / name).write_text(text, encoding="utf-8")


def _rebuild(monkeypatch, epoch: int) -> str:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(epoch))
    code, out, err = run("build")
    assert code == 0, err
    return out


def _review(col: Collection, card_id: int, times: int) -> None:
    """Answer a card `times` times ("good"), so each card gets a history of its own."""
    for _ in range(times):
        card = col.get_card(card_id)
        card.start_timer()
        col.sched.answerCard(card, 3)


def _history_by_item(col: Collection, card_id: str) -> dict[str, tuple[int, int]]:
    """Item text -> (reps, revlog entries) of the card that asks it, as Anki has them."""
    nid = col.db.scalar("select id from notes where guid = ?", note_guid(card_id))
    text = col.get_note(nid)["Text"]
    items = {int(n): item for n, item in re.findall(r"\{\{c(\d+)::(.*?)\}\}", text)}
    history = {}
    for cid in col.find_cards(f"nid:{nid}"):
        card = col.get_card(cid)
        item = items.get(card.ord + 1, f"(no cloze {card.ord + 1})")
        reviews = col.db.scalar("select count() from revlog where cid = ?", cid)
        history[item] = (card.reps, reviews)
    return history


def _start_cloze(project: Path, col: Collection, items: list[str]) -> None:
    _write(project, CLOZE.format(items=", ".join(items)))
    assert run("build")[0] == 0
    import_apkg(col, project / "decks" / "s.apkg")
    nid = col.db.scalar("select id from notes where guid = ?", note_guid("c"))
    for cid in col.find_cards(f"nid:{nid}"):
        card = col.get_card(cid)
        _review(col, cid, card.ord + 1)  # alpha once, beta twice, gamma three times


GREEK = ["alpha", "beta", "gamma"]
REVIEWED = {"alpha": (1, 1), "beta": (2, 2), "gamma": (3, 3)}


@pytest.mark.parametrize(
    ("edited", "expected"),
    [
        pytest.param(
            ["beta", "gamma"],
            {"beta": (2, 2), "gamma": (3, 3), "(no cloze 1)": (1, 1)},
            id="remove-first",
        ),
        pytest.param(
            ["alpha", "gamma"],
            {"alpha": (1, 1), "gamma": (3, 3), "(no cloze 2)": (2, 2)},
            id="remove-middle",
        ),
        pytest.param(["zero", *GREEK], {**REVIEWED, "zero": (0, 0)}, id="insert-first"),
        pytest.param(["gamma", "alpha", "beta"], REVIEWED, id="reorder"),
        pytest.param(
            ["alpha", "beta (edited)", "gamma"],
            {"alpha": (1, 1), "beta (edited)": (2, 2), "gamma": (3, 3)},
            id="edit-one",
        ),
        pytest.param(
            ["gamma", "beta", "delta"],
            {"gamma": (3, 3), "beta": (2, 2), "delta": (0, 0), "(no cloze 1)": (1, 1)},
            id="remove-reorder-add",
        ),
    ],
)
def test_cloze_items_keep_their_own_history(project, collection, monkeypatch, edited, expected):
    _start_cloze(project, collection, GREEK)
    assert _history_by_item(collection, "c") == REVIEWED

    _write(project, CLOZE.format(items=", ".join(edited)))
    out = _rebuild(monkeypatch, 1700000100)
    log = import_apkg(collection, project / "decks" / "s.apkg")

    assert len(log.updated) == 1
    assert _history_by_item(collection, "c") == expected
    if any(key.startswith("(no cloze") for key in expected):
        # The card of a removed item is reported, with how Anki removes it.
        assert "Tools > Empty Cards removes it" in out
        search = out.splitlines()[-1].strip()
        (left,) = collection.find_cards(search)
        assert "(no cloze" in _history_by_item(collection, "c").keys().__repr__()
        empty = collection.get_empty_cards()
        assert [left] == [cid for note in empty.notes for cid in note.card_ids]
    else:
        assert "Empty Cards" not in out


def test_a_removed_cloze_number_is_never_given_to_a_new_item(project, collection, monkeypatch):
    _start_cloze(project, collection, GREEK)
    _write(project, CLOZE.format(items="alpha, beta"))
    _rebuild(monkeypatch, 1700000100)
    _write(project, CLOZE.format(items="alpha, beta, delta"))
    _rebuild(monkeypatch, 1700000200)
    import_apkg(collection, project / "decks" / "s.apkg")
    history = _history_by_item(collection, "c")
    assert history["delta"] == (0, 0)  # not gamma's three reviews
    assert history["(no cloze 3)"] == (3, 3)


def test_a_cloze_list_built_before_numbers_were_kept_keeps_them(project, collection, monkeypatch):
    """Decks of 0.1.0 numbered items by position and kept no record: the numbers are read
    back from the note's text."""
    shutil.copy(FIXTURES / "v0.1.0" / "sample.yaml", project / "cards" / "sample.yaml")
    (project / "decks").mkdir()
    shutil.copy(FIXTURES / "v0.1.0" / "sample.apkg", project / "decks" / "sample.apkg")
    text = (project / "cards" / "sample.yaml").read_text(encoding="utf-8")
    text = text.replace("      - 軽量\n", "").replace(
        "    command: vagrant init <box>\n", "    command: vagrant init <box>\n    typed: false\n"
    )
    (project / "cards" / "sample.yaml").write_text(text, encoding="utf-8")
    run("build")
    from ankigen.package import read_package

    snapshot = read_package((project / "decks" / "sample.apkg").read_bytes())
    slots = snapshot.slots[note_guid("s-merits")]
    assert slots.numbers == {2: "起動が速い", 3: "a::b {{c1::x}}"} and slots.next == 4


def test_changing_a_cards_kind_is_refused_with_where_and_what_to_do(project, monkeypatch):
    _write(project, CLOZE.format(items="alpha, beta"))
    run("build")
    before = (project / "decks" / "s.apkg").read_bytes()
    _write(
        project,
        'id: s\ntitle: S\ndeck: "Test::S"\ncards:\n  - id: c\n    kind: term\n'
        "    term: alpha\n    meaning: beta\n",
    )
    code, out, err = run("build")
    assert (code, out) == (1, "")
    assert err == (
        "cards/s.yaml:6:11: card 'c' (term): was a cloze card in the last build, and Anki never "
        "changes the note type of a note it has, so this edit would not reach your collection. "
        "Give the card a new id (the build then lists the old note as removed, with a search to "
        "delete it), or keep its kind\n"
    )
    assert (project / "decks" / "s.apkg").read_bytes() == before


TERM = """id: s
title: S
deck: "{deck}"
cards:
  - id: t
    kind: term
    term: ハイパーバイザ
    meaning: 仮想マシンを動かすソフトウェア
    reverse: {reverse}
"""


def test_turning_reverse_off_reports_the_blank_card_and_how_to_remove_it(
    project, collection, monkeypatch
):
    _write(project, TERM.format(deck="Test::S", reverse="true"))
    run("build")
    import_apkg(collection, project / "decks" / "s.apkg")
    nid = collection.db.scalar("select id from notes where guid = ?", note_guid("t"))
    forward, backward = sorted(collection.find_cards(f"nid:{nid}"))
    _review(collection, forward, 1)
    _review(collection, backward, 2)

    _write(project, TERM.format(deck="Test::S", reverse="false"))
    out = _rebuild(monkeypatch, 1700000100)
    import_apkg(collection, project / "decks" / "s.apkg")

    assert "1 card of kept notes is no longer made" in out
    search = out.splitlines()[-1].strip()
    assert search == f"(nid:{nid} card:2)"
    assert collection.find_cards(search) == [backward]
    assert collection.get_card(forward).reps == 1  # the forward card keeps its history
    empty = collection.get_empty_cards()
    assert [cid for note in empty.notes for cid in note.card_ids] == [backward]


def test_a_section_moved_to_another_deck_says_how_to_move_the_cards(
    project, collection, monkeypatch
):
    _write(project, TERM.format(deck="Test::S", reverse="false"))
    run("build")
    import_apkg(collection, project / "decks" / "s.apkg")
    nid = collection.db.scalar("select id from notes where guid = ?", note_guid("t"))
    (card_id,) = collection.find_cards(f"nid:{nid}")
    _review(collection, card_id, 2)

    _write(project, TERM.format(deck="Test::Moved", reverse="false"))
    out = _rebuild(monkeypatch, 1700000100)
    import_apkg(collection, project / "decks" / "s.apkg")

    assert "1 note moved to deck 'Test::Moved' stays in 'Test::S' in Anki" in out
    search = out.splitlines()[-1].strip()
    assert search == f"nid:{nid}"
    # What the report says is true: the card stayed, and the search finds it.
    assert collection.decks.name(collection.get_card(card_id).did) == "Test::S"
    assert collection.find_cards(search) == [card_id]
    collection.set_deck([card_id], collection.decks.id("Test::Moved"))
    assert collection.get_card(card_id).reps == 2


def test_a_card_moved_to_another_section_is_reported_not_removed(project, monkeypatch):
    _write(project, TERM.format(deck="Test::S", reverse="false"))
    _write(
        project,
        'id: o\ntitle: O\ndeck: "Test::O"\ncards:\n  - {id: o1, kind: term, term: a, meaning: b}\n',
        "o.yaml",
    )
    run("build")
    moved = (project / "cards" / "s.yaml").read_text(encoding="utf-8").split("cards:\n")[1]
    _write(
        project,
        'id: s\ntitle: S\ndeck: "Test::S"\ncards:\n  - {id: s2, kind: term, term: c, meaning: d}\n',
    )
    _write(
        project,
        'id: o\ntitle: O\ndeck: "Test::O"\ncards:\n'
        "  - {id: o1, kind: term, term: a, meaning: b}\n" + moved,
        "o.yaml",
    )
    out = _rebuild(monkeypatch, 1700000100)
    assert "0 removed" in out.splitlines()[1] and "0 removed" in out.splitlines()[0]
    assert "1 note moved to deck 'Test::O' stays in 'Test::S' in Anki" in out


def test_a_removal_is_reported_until_a_build_completes(project, monkeypatch):
    """A build that dies after writing the first deck must not lose the removed note."""
    _write(
        project,
        'id: a\ntitle: A\ndeck: "Test::A"\ncards:\n'
        "  - {id: a1, kind: term, term: a, meaning: b}\n"
        "  - {id: a2, kind: term, term: c, meaning: d}\n",
        "a.yaml",
    )
    _write(
        project,
        'id: b\ntitle: B\ndeck: "Test::B"\ncards:\n  - {id: b1, kind: term, term: a, meaning: b}\n',
        "b.yaml",
    )
    run("build")
    _write(
        project,
        'id: a\ntitle: A\ndeck: "Test::A"\ncards:\n  - {id: a1, kind: term, term: a, meaning: b}\n',
        "a.yaml",
    )
    _write(
        project,
        'id: b\ntitle: B\ndeck: "Test::B"\ncards:\n  - {id: b1, kind: term, term: a, meaning: B}\n',
        "b.yaml",
    )

    writing_works = disk_full_at(monkeypatch, "b.apkg")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    code, _, err = run("build")
    assert code == 1 and "No space left" in err
    writing_works()

    out = _rebuild(monkeypatch, 1700000200)  # a.apkg no longer holds a2, and yet:
    assert "deck 'Test::A': 1 note that no card makes any more stays in Anki" in out
    out = _rebuild(monkeypatch, 1700000200)  # reported, it is not repeated
    assert "no card makes" not in out


@pytest.mark.parametrize("retired_twice", [False, True])
def test_notes_of_a_retired_note_type_are_moved_once_and_keep_their_reviews(
    project, collection, monkeypatch, retired_twice
):
    """0.1.0's note types had no Hint field; the learner changes the note type once, as the
    build says, and every later import updates the notes in place. A kind may retire more
    than one note type: only those that hold the learner's notes are reported."""
    if retired_twice:  # a note type between 0.1.0's and today's, that no deck here used
        term = KINDS["term"]
        between = dataclasses.replace(term.retired[0], id=1700000001, name="ankigen Term v1.5")
        monkeypatch.setitem(
            KINDS, "term", dataclasses.replace(term, retired=(*term.retired, between))
        )
    (project / "decks").mkdir()
    shutil.copy(FIXTURES / "v0.1.0" / "sample.apkg", project / "decks" / "sample.apkg")
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    import_apkg(collection, project / "decks" / "sample.apkg")
    reviewed = {}
    for cid in collection.find_cards(""):
        _review(collection, cid, 1 + len(reviewed) % 3)
        reviewed[cid] = collection.get_card(cid).reps

    out = _rebuild(monkeypatch, 1700000100)
    log = import_apkg(collection, project / "decks" / "sample.apkg")
    assert len(log.conflicting) == len(collection.find_notes(""))  # what Anki does by itself

    searches = [line.strip() for line in out.splitlines() if line.startswith("    ")]
    moved = 0
    for kind, old in ((k, old) for k in KINDS.values() for old in k.retired):
        notes = len(collection.find_notes(f'"note:{old.name}"'))
        if not notes:  # no deck the learner imported used it: nothing to move
            assert f"(was '{old.name}')" not in out and f'"note:{old.name}"' not in searches
            continue
        moved += 1
        uses = "uses" if notes == 1 else "use"
        assert (
            f"{counted(notes, 'note')} now {uses} the note type '{kind.note_type.name}' "
            f"(was '{old.name}')" in out
        )
        assert f'"note:{old.name}"' in searches
        # As the report says: Browse, search, select all, Notes > Change Note Type.
        nids = collection.find_notes(f'"note:{old.name}"')
        info = collection.models.change_notetype_info(
            old_notetype_id=old.id, new_notetype_id=kind.note_type.id
        )
        request = info.input
        request.note_ids.extend(nids)
        collection.models.change_notetype_of_notes(request)
    assert moved == len(searches)  # every note type the report names was moved
    options = ImportAnkiPackageOptions(
        update_notes=ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS
    )
    request = ImportAnkiPackageRequest(
        package_path=str(project / "decks" / "sample.apkg"), options=options
    )
    log = collection.import_anki_package(request).log
    collection.models._clear_cache()

    assert len(log.conflicting) == 0
    assert {cid: collection.get_card(cid).reps for cid in reviewed} == reviewed
    (typed,) = collection.find_notes('"note:ankigen Command v2"')
    assert collection.get_note(typed)["Typed"] == "vagrant init"
    # From now on the default import updates them in place.
    text = (project / "cards" / "sample.yaml").read_text(encoding="utf-8")
    (project / "cards" / "sample.yaml").write_text(text.replace("ゲストOS", "ゲスト"), "utf-8")
    out = _rebuild(monkeypatch, 1700000200)
    assert "note type" not in out
    log = import_apkg(collection, project / "decks" / "sample.apkg")
    assert len(log.conflicting) == 0 and len(log.updated) > 0
    assert {cid: collection.get_card(cid).reps for cid in reviewed} == reviewed


GAPS = """id: s
title: S
deck: "Test::S"
cards:
  - id: c
    kind: gaps
    code: true
    text: "{text}"
"""


def test_gaps_keep_their_own_history_through_edits(project, collection, monkeypatch):
    _write(project, GAPS.format(text="docker run {{-d}} --name {{web}} {{-p 8080:80}} nginx"))
    assert run("build")[0] == 0
    import_apkg(collection, project / "decks" / "s.apkg")
    nid = collection.db.scalar("select id from notes where guid = ?", note_guid("c"))
    for cid in collection.find_cards(f"nid:{nid}"):
        _review(collection, cid, collection.get_card(cid).ord + 1)
    assert _history_by_item(collection, "c") == {"-d": (1, 1), "web": (2, 2), "-p 8080:80": (3, 3)}

    # A gap added in front, one removed, one edited.
    _write(project, GAPS.format(text="{{docker}} run {{-d}} --name web {{-p 8080:8080}} nginx"))
    out = _rebuild(monkeypatch, 1700000100)
    import_apkg(collection, project / "decks" / "s.apkg")

    assert _history_by_item(collection, "c") == {
        "docker": (0, 0),
        "-d": (1, 1),
        "-p 8080:8080": (3, 3),
        "(no cloze 2)": (2, 2),
    }
    assert "Tools > Empty Cards removes it" in out


def test_a_renamed_section_leaves_a_deck_check_names_with_the_one_fix(project, monkeypatch):
    _write(project, TERM.format(deck="Test::S", reverse="false"))
    run("build")
    text = (project / "cards" / "s.yaml").read_text(encoding="utf-8")
    _write(project, text.replace("id: s\n", "id: renamed\n", 1))
    assert run("build")[0] == 0

    code, out, err = run("build", "--check")
    assert code == 1
    assert out == (
        "decks/s.apkg: no card file makes this deck (a renamed section, or a deck ankigen did "
        "not make); delete the file: Anki keeps the notes you imported from it\n"
    )
    (project / "decks" / "s.apkg").unlink()  # the one action it names
    assert run("build", "--check")[0] == 0


def test_combined_build_does_not_call_the_section_decks_orphans(project):
    _write(project, TERM.format(deck="Test::S", reverse="false"))
    run("build")
    for _ in range(2):  # a full build, then one the stamp says is current
        code, _, err = run("build", "--combined")
        assert (code, err) == (0, "")
    assert run("build", "--check", "--combined")[0] == 0


def test_a_card_without_a_kind_gets_one_message(project):
    _write(
        project,
        'id: s\ntitle: S\ndeck: "Test::S"\ncards:\n  - id: c\n    term: a\n    meaning: b\n',
    )
    code, _, err = run("check")
    assert (code, err) == (
        1,
        f"cards/s.yaml:5:5: card 'c': missing required key 'kind' (one of: {', '.join(KINDS)})\n",
    )


def test_deck_names_anki_takes_for_one_are_refused_because_anki_merges_them(project, collection):
    """The premise of the rule, checked in Anki: such names land in one deck."""
    _write(project, TERM.format(deck="Test::Docker", reverse="false"))
    run("build")
    import_apkg(collection, project / "decks" / "s.apkg")
    (project / "cards" / "s.yaml").unlink()
    _write(
        project, TERM.format(deck="test :: docker", reverse="false").replace("id: t\n", "id: u\n")
    )
    run("build")
    import_apkg(collection, project / "decks" / "s.apkg")
    names = [d.name for d in collection.decks.all_names_and_ids() if d.name != "Default"]
    assert [n.casefold() for n in names if "::" in n] == ["test::docker"]

    _write(project, TERM.format(deck="Test::Docker", reverse="false"), "other.yaml")
    text = (project / "cards" / "other.yaml").read_text(encoding="utf-8")
    _write(project, text.replace("id: s\n", "id: other\n"), "other.yaml")
    code, _, err = run("check")
    assert code == 1 and "is the same Anki deck as at cards/other.yaml:3:7" in err


def test_the_report_says_one_note_is_and_two_notes_are():
    from ankigen.changes import Findings, report
    from ankigen.kinds import KINDS

    term = KINDS["term"]
    old, new = term.retired[0].id, term.note_type.id

    def said(n: int) -> str:
        guids = [f"g{i}" for i in range(n)]
        found = Findings(
            removed={g: (i, "decks/a.apkg") for i, g in enumerate(guids)},
            emptied={g: (i, [0]) for i, g in enumerate(guids)},
            moved={g: (i, "A", "B") for i, g in enumerate(guids)},
            retyped={g: (i, old, new) for i, g in enumerate(guids)},
        )
        return "\n".join(action for action, _ in report(found))

    one, two = said(1), said(2)
    for singular, plural in [
        (
            "1 note that no card makes any more stays in Anki",
            "2 notes that no card makes any more stay in Anki",
        ),
        ("To delete it:", "To delete them:"),
        ("1 card of kept notes is no longer made", "2 cards of kept notes are no longer made"),
        ("Anki keeps it, blank", "Anki keeps them, blank"),
        ("1 note moved to deck 'B' stays in 'A'", "2 notes moved to deck 'B' stay in 'A'"),
        ("To move it:", "To move them:"),
        ("1 note now uses the note type", "2 notes now use the note type"),
    ]:
        assert singular in one and plural not in one
        assert plural in two and singular not in two
