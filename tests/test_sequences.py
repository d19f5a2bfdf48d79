"""Reports are true under any sequence of edits and builds (issue 24), as a property.

A learner keeps one Anki collection (the official `anki` package) while random sequences of
builds (section decks, `--combined`, `--out` elsewhere, `--check`), deletions of `decks/`,
and edits of the card files (editing, adding, removing, renaming with and without `was:`,
moving cards between files, removing a section) run. After every build the learner imports
what it wrote and follows every instruction it printed, then reviews every card once.
Then, always:

- every note the report says to delete is one no card makes;
- the collection holds exactly the notes the cards make, none conflicting;
- every card Anki still has keeps every review it had.

500 sequences of up to 8 steps by default (CI runs them all); `ANKIGEN_SEQUENCES=50` runs
fewer for a quick local run.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import zipfile
from pathlib import Path

import yaml
from anki.collection import Collection
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from tests.conftest import import_apkg, run

IDS = [f"c{i}" for i in range(10)]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon"]
SECTIONS = {"a": "T::A", "b": "T::B"}


def _guids(apkg: Path) -> set[str]:
    with zipfile.ZipFile(apkg) as archive:
        data = archive.read("collection.anki2")
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(data)
        return {guid for (guid,) in db.execute("select guid from notes")}
    finally:
        db.close()


class Learner(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="ankigen-sequences-"))
        self.cards_dir = self.root / "cards"
        self.cards_dir.mkdir()
        # section -> its cards, in file order: {id, kind, text, was?}
        self.files: dict[str, list[dict]] = {"a": [], "b": []}
        self.col = Collection(str(self.root / "collection.anki2"))
        self.clock = 1700000000
        self.epoch = os.environ.get("SOURCE_DATE_EPOCH")
        self.reps: dict[tuple[str, int], int] = {}  # (guid, ord) -> reviews, after each study
        self.made: set[str] | None = None  # the guids the cards make, after each build
        self.built_since_edit = False
        # Every id a card has had: an id is never given to another card (README), so a new
        # or renamed card takes a fresh one.
        self.used: set[str] = set()

    def teardown(self) -> None:
        self.col.close()
        shutil.rmtree(self.root, ignore_errors=True)
        if self.epoch is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = self.epoch

    @initialize(
        kinds=st.lists(st.sampled_from(["term", "cloze"]), min_size=2, max_size=4),
        mode=st.sampled_from(["sections", "combined"]),
    )
    def start(self, kinds: list[str], mode: str) -> None:
        """A learner who has built and imported both sections once."""
        for i, kind in enumerate(kinds):
            section = "a" if i % 2 == 0 else "b"
            self.files[section].append({"id": IDS[i], "kind": kind, "text": WORDS[i : i + 2]})
            self.used.add(IDS[i])
        self._write()
        self.build(mode)

    # The card files

    def _write(self) -> None:
        for section, cards in self.files.items():
            path = self.cards_dir / f"{section}.yaml"
            if not cards:
                path.unlink(missing_ok=True)
                continue
            data = {"id": section, "title": section, "deck": SECTIONS[section], "cards": []}
            for card in cards:
                entry = {"id": card["id"], "kind": card["kind"]}
                if card["kind"] == "term":
                    entry |= {"term": f"term {card['id']}", "meaning": card["text"][0]}
                else:
                    entry |= {"prompt": f"list {card['id']}", "items": list(card["text"])}
                if card.get("was"):
                    entry["was"] = card["was"]
                data["cards"].append(entry)
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        self.built_since_edit = False

    def _all(self) -> list[tuple[str, int]]:
        return [(s, i) for s, cards in self.files.items() for i in range(len(cards))]

    def _ids(self) -> set[str]:
        return {card["id"] for cards in self.files.values() for card in cards}

    @rule(
        section=st.sampled_from(sorted(SECTIONS)),
        card_id=st.sampled_from(IDS),
        kind=st.sampled_from(["term", "cloze"]),
        words=st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True),
    )
    def add(self, section: str, card_id: str, kind: str, words: list[str]) -> None:
        if card_id in self.used:
            return
        self.used.add(card_id)
        self.files[section].append({"id": card_id, "kind": kind, "text": words})
        self._write()

    @precondition(lambda self: self._all())
    @rule(
        data=st.data(), words=st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True)
    )
    def edit(self, data: st.DataObject, words: list[str]) -> None:
        section, i = data.draw(st.sampled_from(self._all()))
        self.files[section][i]["text"] = words
        self._write()

    @precondition(lambda self: self._all())
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        section, i = data.draw(st.sampled_from(self._all()))
        del self.files[section][i]
        self._write()

    @precondition(lambda self: self._all())
    @rule(data=st.data())
    def move(self, data: st.DataObject) -> None:
        section, i = data.draw(st.sampled_from(self._all()))
        other = "b" if section == "a" else "a"
        self.files[other].append(self.files[section].pop(i))
        self._write()

    @precondition(lambda self: self._all())
    @rule(data=st.data(), new_id=st.sampled_from(IDS), keep=st.booleans())
    def rename(self, data: st.DataObject, new_id: str, keep: bool) -> None:
        section, i = data.draw(st.sampled_from(self._all()))
        card = self.files[section][i]
        claimed = {w for cards in self.files.values() for c in cards for w in c.get("was", [])}
        if new_id in self.used:
            return
        self.used.add(new_id)
        old = card["id"]
        card["id"] = new_id
        if keep and old not in claimed:
            card["was"] = [*card.get("was", []), old]
        self._write()

    @rule(section=st.sampled_from(sorted(SECTIONS)))
    def remove_section(self, section: str) -> None:
        self.files[section] = []
        self._write()

    @rule()
    def delete_decks(self) -> None:
        shutil.rmtree(self.root / "decks", ignore_errors=True)
        self.built_since_edit = False

    # Builds, and the learner at Anki

    # Builds are the steps that say anything: three rules, so a sequence has more of them.
    @precondition(lambda self: any(self.files.values()))
    @rule()
    def build_sections(self) -> None:
        self.build("sections")

    @precondition(lambda self: any(self.files.values()))
    @rule()
    def build_again(self) -> None:
        self.build("sections")

    @precondition(lambda self: any(self.files.values()))
    @rule(mode=st.sampled_from(["combined", "elsewhere"]))
    def build_otherwise(self, mode: str) -> None:
        self.build(mode)

    def build(self, mode: str) -> None:
        self.clock += 100
        os.environ["SOURCE_DATE_EPOCH"] = str(self.clock)
        out = self.root / ("elsewhere" if mode == "elsewhere" else "decks")
        if mode == "elsewhere":
            shutil.rmtree(out, ignore_errors=True)
        args = ["build", "--cards", str(self.cards_dir), "--out", str(out)]
        if mode == "combined":
            args.append("--combined")
        code, report, err = run(*args)
        assert code == 0, err
        for line in err.splitlines():  # "<deck>: no card file makes this deck ...; delete the file"
            if ": no card file makes this deck" in line:
                Path(line.split(": no card file makes this deck")[0]).unlink()
        live = [s for s, cards in self.files.items() if cards]
        names = ["combined.apkg"] if mode == "combined" else [f"{s}.apkg" for s in live]
        decks = [out / name for name in names]
        self.made = set().union(*(_guids(deck) for deck in decks))
        for deck in decks:
            log = import_apkg(self.col, deck)
            assert not log.conflicting
        self._follow(report)
        self._study()
        self.out, self.mode = out, mode
        self.built_since_edit = True

    @precondition(lambda self: self.built_since_edit)
    @rule()
    def check(self) -> None:
        args = ["build", "--check", "--cards", str(self.cards_dir), "--out", str(self.out)]
        if self.mode == "combined":
            args.append("--combined")
        code, out, err = run(*args)
        assert code == 0, out + err

    def _follow(self, report: str) -> None:
        """Every instruction of the report, as a learner carries it out in Anki."""
        lines = report.splitlines()
        for action, search in zip(lines, lines[1:], strict=False):
            if not action.startswith("- ") or not search.startswith("    "):
                continue
            search = search.strip()
            if "Notes > Delete" in action:
                nids = [int(n) for n in re.findall(r"\d+", search)]
                present = [
                    n for n in nids if self.col.db.scalar("select 1 from notes where id=?", n)
                ]
                guids = {self.col.get_note(n).guid for n in present}
                assert not guids & self.made, f"told to delete live notes: {action}"
                self.col.remove_notes(present)
            elif "Empty Cards" in action:
                empty = self.col.get_empty_cards()
                card_ids = [cid for note in empty.notes for cid in note.card_ids]
                self.col.remove_cards_and_orphaned_notes(card_ids)
            elif "Change Deck" in action:
                name = re.search(r"Change Deck > '(.*)'$", action.rstrip(":"))
                assert name is not None, action
                self.col.set_deck(self.col.find_cards(search), self.col.decks.id(name[1]))
            else:
                raise AssertionError(f"an instruction this learner cannot follow: {action}")

    def _study(self) -> None:
        before = self.reps
        rows = self.col.db.all(
            "select n.guid, c.ord, c.id, c.reps from cards c join notes n on n.id = c.nid"
        )
        for guid, ordinal, _, reps in rows:
            if (guid, ordinal) in before:
                assert reps == before[guid, ordinal], f"card {guid}/{ordinal} lost its reviews"
        for _, _, cid, _ in rows:
            card = self.col.get_card(cid)
            card.start_timer()
            self.col.sched.answerCard(card, 3)
        self.reps = {
            (guid, ordinal): reps
            for guid, ordinal, reps in self.col.db.all(
                "select n.guid, c.ord, c.reps from cards c join notes n on n.id = c.nid"
            )
        }

    @invariant()
    def anki_holds_exactly_what_the_cards_make(self) -> None:
        if self.made is not None:
            assert set(self.col.db.list("select guid from notes")) == self.made


Learner.TestCase.settings = settings(
    max_examples=int(os.environ.get("ANKIGEN_SEQUENCES", "500")),
    stateful_step_count=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_any_sequence_keeps_reports_true_and_reviews_kept = Learner.TestCase
