"""What an import cannot do for the learner, found by comparing a build with the last one.

Anki's importer only adds notes and updates notes it already has, of the same note type.
It never deletes a note or a card, never moves a card to another deck, and never changes
a note's type. So after some edits the learner has to act once, by hand; each finding
here says what to do, with an Anki search that finds exactly the notes or cards concerned.

A finding is kept in `<out>/.ankigen-pending.json` from the moment the first deck of a
build is written until the build's report has been printed, so a build that fails half
way (disk full, Ctrl-C, a crash) never loses it: the next build reports it again, as long
as it is still true.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen.cards import Card
from ankigen.errors import Problems
from ankigen.kinds import KINDS
from ankigen.notes import card_guid
from ankigen.package import Memory, Snapshot
from ankigen.validate import deck_key

PENDING_NAME = ".ankigen-pending.json"

_TYPE_NAMES = {t.id: t.name for k in KINDS.values() for t in (k.note_type, *k.retired)}
_KIND_OF_TYPE = {t.id: k.name for k in KINDS.values() for t in (k.note_type, *k.retired)}


def check_kinds(cards: Iterable[Card], memory: Memory, problems: Problems) -> None:
    """Refuse a card whose kind changed under the same id: Anki would keep the old note
    and log the import as a conflict, so the edit would never reach the learner."""
    for card in cards:
        before = memory.notes.get(card_guid(card))
        if before is None:
            continue
        kind = KINDS[card.kind]
        own = kind.note_type_of(card) if kind.note_type_of else kind.note_type
        if before.note_type_id in {own.id, *(t.id for t in kind.retired)}:
            continue
        old = _KIND_OF_TYPE.get(before.note_type_id, "another note type")
        problems.add(
            card.value_locs.get("kind", card.loc),
            f"card '{card.id}' ({card.kind}): was a {old} card in the last build, and Anki "
            "never changes the note type of a note it has, so this edit would not reach your "
            "collection. Give the card a new id (the build then lists the old note as "
            "removed, with a search to delete it), or keep its kind",
        )


@dataclass
class Findings:
    """guid -> what the learner must do about that note, and the note's id in Anki."""

    removed: dict[str, tuple[int, str]] = field(default_factory=dict)  # (nid, deck file)
    emptied: dict[str, tuple[int, list[int]]] = field(default_factory=dict)  # (nid, ords)
    moved: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # (nid, old, new)
    retyped: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # (nid, old, new)

    def __bool__(self) -> bool:
        return bool(self.removed or self.emptied or self.moved or self.retyped)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=True, sort_keys=True).encode()

    @staticmethod
    def read(out_dir: Path) -> Findings:
        try:
            value = json.loads((out_dir / PENDING_NAME).read_bytes())
            return Findings(
                removed={g: (int(n), str(d)) for g, (n, d) in value["removed"].items()},
                emptied={
                    g: (int(n), [int(o) for o in os]) for g, (n, os) in value["emptied"].items()
                },
                moved={g: (int(n), str(a), str(b)) for g, (n, a, b) in value["moved"].items()},
                retyped={g: (int(n), int(a), int(b)) for g, (n, a, b) in value["retyped"].items()},
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return Findings()


def find(
    built: dict[Path, Snapshot], previous: dict[Path, Snapshot], memory: Memory, out_dir: Path
) -> Findings:
    """What this build leaves for the learner to do, with what an unfinished build left."""
    # Each built note's snapshot: its row, cards and deck are looked up there. No set of
    # card numbers per note: after an upgrade every deck is read back, and at 100k cards
    # those sets (for the notes before and after) were 70 MB of a build's peak.
    where = {guid: snapshot for snapshot in built.values() for guid in snapshot.notes}
    pending = Findings.read(out_dir)

    def deck_of(guid: str) -> str:
        return where[guid].note_decks[guid]

    def has_card(guid: str, ordinal: int) -> bool:
        return (guid, ordinal) in where[guid].cards

    gone: dict[str, list[int]] = {}  # a built note's cards an earlier build made, not this one
    for guid, ordinal in memory.cards:
        if guid in where and not has_card(guid, ordinal):
            gone.setdefault(guid, []).append(ordinal)

    found = Findings()
    for path, snapshot in previous.items():
        for guid, row in snapshot.notes.items():
            if guid not in where:
                found.removed[guid] = (row.id, str(path))
    for guid, snapshot in where.items():
        before = memory.notes.get(guid)
        if before is None:
            continue
        row = snapshot.notes[guid]
        if guid in gone:
            found.emptied[guid] = (row.id, sorted(gone[guid]))
        old_deck = memory.note_decks.get(guid)
        if old_deck is not None and deck_key(old_deck) != deck_key(deck_of(guid)):
            found.moved[guid] = (row.id, old_deck, deck_of(guid))
        if before.note_type_id != row.note_type_id:
            found.retyped[guid] = (row.id, before.note_type_id, row.note_type_id)

    # What a build that did not finish found, as far as it is still true.
    for guid, value in pending.removed.items():
        if guid not in where:
            found.removed.setdefault(guid, value)
    for guid, (nid, ords) in pending.emptied.items():
        still = [o for o in ords if guid in where and not has_card(guid, o)]
        if still:
            found.emptied.setdefault(guid, (nid, still))
    for guid, (nid, old_deck, _) in pending.moved.items():
        if guid in where and deck_key(old_deck) != deck_key(deck_of(guid)):
            found.moved.setdefault(guid, (nid, old_deck, deck_of(guid)))
    for guid, (nid, old_type, _) in pending.retyped.items():
        if guid in where and old_type != where[guid].notes[guid].note_type_id:
            found.retyped.setdefault(guid, (nid, old_type, where[guid].notes[guid].note_type_id))
    return found


def report(found: Findings) -> list[tuple[str, str]]:
    """The findings for a person at Anki: what to do, and the browser search that finds
    exactly the notes or cards concerned."""
    lines = []
    by_deck: dict[str, list[int]] = {}
    for nid, deck in found.removed.values():
        by_deck.setdefault(deck, []).append(nid)
    for deck, nids in sorted(by_deck.items()):
        lines.append(
            (
                f"{deck}: {_count(nids, 'note')} that no card makes any more stay in Anki (an "
                "import never deletes). To delete them: search the browser for this, select all, "
                "Notes > Delete",
                _nids(nids),
            )
        )
    if found.emptied:
        emptied = sorted(found.emptied.values())
        search = " OR ".join(f"(nid:{nid} card:{o + 1})" for nid, ords in emptied for o in ords)
        total = sum(len(ords) for _, ords in emptied)
        lines.append(
            (
                f"{_count(range(total), 'card')} of kept notes are no longer made (a reverse card "
                "turned off, or a cloze item removed); Anki keeps them, blank or showing 'No cloze "
                "found'. Tools > Empty Cards removes them; this search shows them first",
                search,
            )
        )
    moves: dict[tuple[str, str], list[int]] = {}
    for nid, old, new in found.moved.values():
        moves.setdefault((old, new), []).append(nid)
    for (old, new), nids in sorted(moves.items()):
        lines.append(
            (
                f"{_count(nids, 'note')} moved to deck '{new}' stay in '{old}' in Anki (an import "
                f"never moves cards). To move them: search the browser for this, select all, "
                f"Cards > Change Deck > '{new}'",
                _nids(nids),
            )
        )
    types: dict[tuple[int, int], list[int]] = {}
    for nid, old_type, new_type in found.retyped.values():
        types.setdefault((old_type, new_type), []).append(nid)
    for (old_type, new_type), nids in sorted(types.items()):
        old, new = _TYPE_NAMES.get(old_type, str(old_type)), _TYPE_NAMES[new_type]
        lines.append(
            (
                f"{_count(nids, 'note')} now use the note type '{new}' (was '{old}'), and Anki "
                "never changes a note's type on import. Once, keeping every review: search the "
                f"browser for this, select all, Notes > Change Note Type > '{new}'; then import "
                "the deck again with 'Update notes: Always'",
                f'"note:{old}"',
            )
        )
    return lines


def _count(items: Any, noun: str) -> str:
    n = len(items)
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _nids(nids: list[int]) -> str:
    return "nid:" + ",".join(str(n) for n in sorted(nids))
