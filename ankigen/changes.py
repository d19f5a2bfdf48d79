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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen.cards import Card
from ankigen.errors import Problems
from ankigen.files import MAX_RECORD_BYTES, read_regular
from ankigen.identity import Entry, Identity
from ankigen.kinds import KINDS
from ankigen.notes import card_guid
from ankigen.package import Memory
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

    removed: dict[str, tuple[int, str]] = field(default_factory=dict)  # (nid, Anki deck)
    emptied: dict[str, tuple[int, list[int]]] = field(default_factory=dict)  # (nid, ords)
    moved: dict[str, tuple[int, str, str]] = field(default_factory=dict)  # (nid, old, new)
    retyped: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # (nid, old, new)
    # A removed note whose content a new card has: (nid, old card id, new card id, where)
    renamed: dict[str, tuple[int, str, str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.removed or self.emptied or self.moved or self.retyped or self.renamed)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=True, sort_keys=True).encode()

    @staticmethod
    def read(out_dir: Path) -> Findings:
        try:
            # The user's file: a FIFO, a link to /dev/zero or deep JSON is no report.
            value = json.loads(read_regular(out_dir / PENDING_NAME, MAX_RECORD_BYTES))
            return Findings(
                removed={g: (int(n), str(d)) for g, (n, d) in value["removed"].items()},
                emptied={
                    g: (int(n), [int(o) for o in os]) for g, (n, os) in value["emptied"].items()
                },
                moved={g: (int(n), str(a), str(b)) for g, (n, a, b) in value["moved"].items()},
                retyped={g: (int(n), int(a), int(b)) for g, (n, a, b) in value["retyped"].items()},
                renamed={
                    g: (int(n), str(a), str(b), str(w))
                    for g, (n, a, b, w) in value.get("renamed", {}).items()
                },
            )
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return Findings()


def find(
    before: Identity, after: Identity, pending: Findings, where: Mapping[str, str]
) -> Findings:
    """What this build leaves for the learner to do, comparing the identity before and after
    it (every note the card files make, read again or not), with what an unfinished build
    left. `where`: card id -> where it is written, for the cards this build read."""
    live = {guid: entry for guid, entry in after.notes.items() if not entry.removed}
    added: dict[bytes, Entry] = {}  # a new note's content -> the note
    for guid, entry in live.items():
        old = before.notes.get(guid)
        if old is None or old.removed:
            added.setdefault(entry.content, entry)

    found = Findings()
    for guid, old in before.notes.items():
        if old.removed:
            continue
        new = live.get(guid)
        if new is None:
            twin = added.get(old.content)
            if twin is not None and old.card and twin.card != old.card:
                found.renamed[guid] = (old.nid, old.card, twin.card, where.get(twin.card, ""))
            else:
                found.removed[guid] = (old.nid, old.deck)
            continue
        gone = sorted({o for o, _ in old.cards} - {o for o, _ in new.cards})
        if gone:
            found.emptied[guid] = (new.nid, gone)
        if old.deck and deck_key(old.deck) != deck_key(new.deck):
            found.moved[guid] = (new.nid, old.deck, new.deck)
        if old.note_type != new.note_type:
            found.retyped[guid] = (new.nid, old.note_type, new.note_type)
    _still_true(pending, live, found)
    return found


def _still_true(pending: Findings, live: Mapping[str, Entry], found: Findings) -> None:
    """What a build that did not finish found, as far as it is still true."""
    for guid, value in pending.removed.items():
        if guid not in live:
            found.removed.setdefault(guid, value)
    for guid, hint in pending.renamed.items():
        if guid not in live:
            found.renamed.setdefault(guid, hint)
    for guid, (nid, ords) in pending.emptied.items():
        entry = live.get(guid)
        if entry is not None:
            made = {o for o, _ in entry.cards}
            still = [o for o in ords if o not in made]
            if still:
                found.emptied.setdefault(guid, (nid, still))
    for guid, (nid, old_deck, _) in pending.moved.items():
        entry = live.get(guid)
        if entry is not None and deck_key(old_deck) != deck_key(entry.deck):
            found.moved.setdefault(guid, (nid, old_deck, entry.deck))
    for guid, (nid, old_type, _) in pending.retyped.items():
        entry = live.get(guid)
        if entry is not None and old_type != entry.note_type:
            found.retyped.setdefault(guid, (nid, old_type, entry.note_type))


def report(found: Findings) -> list[tuple[str, str]]:
    """The findings for a person at Anki: what to do, and the browser search that finds
    exactly the notes or cards concerned."""
    return [
        *_removed(found),
        *_renamed(found),
        *_emptied(found),
        *_moved(found),
        *_retyped(found),
    ]


def _removed(found: Findings) -> list[tuple[str, str]]:
    by_deck: dict[str, list[int]] = {}
    for nid, deck in found.removed.values():
        by_deck.setdefault(deck, []).append(nid)
    return [
        (
            f"deck '{deck}': {_count(nids, 'note')} that no card makes any more "
            f"{_agree(nids, 'stays', 'stay')} in Anki (an import never deletes). To delete "
            f"{_agree(nids, 'it', 'them')}: search the browser for this, select all, "
            "Notes > Delete",
            _nids(nids),
        )
        for deck, nids in sorted(by_deck.items())
    ]


def _renamed(found: Findings) -> list[tuple[str, str]]:
    renames: dict[tuple[str, str, str], list[int]] = {}
    for nid, old_card, new_card, where in found.renamed.values():
        renames.setdefault((old_card, new_card, where), []).append(nid)
    lines = []
    for (old_card, new_card, where), nids in sorted(renames.items()):
        at = f" ({where})" if where else ""
        them = _agree(nids, "it", "them")
        lines.append(
            (
                f"card '{new_card}'{at} has the content of the removed card '{old_card}'. If it "
                f"is '{old_card}' renamed, add `was: {old_card}` to it and build again: it then "
                f"keeps the old {_count(nids, 'note')} and {_agree(nids, 'its', 'their')} "
                f"reviews, and this line goes. If not, delete {them}: search the browser for "
                "this, select all, "
                "Notes > Delete",
                _nids(nids),
            )
        )
    return lines


def _emptied(found: Findings) -> list[tuple[str, str]]:
    if not found.emptied:
        return []
    emptied = sorted(found.emptied.values())
    search = " OR ".join(f"(nid:{nid} card:{o + 1})" for nid, ords in emptied for o in ords)
    total = sum(len(ords) for _, ords in emptied)
    cards, them = range(total), _agree(range(total), "it", "them")
    return [
        (
            f"{_count(cards, 'card')} of kept notes {_agree(cards, 'is', 'are')} no longer "
            f"made (a reverse card turned off, or a cloze item removed); Anki keeps {them}, "
            f"blank or showing 'No cloze found'. Tools > Empty Cards removes {them}; this "
            f"search shows {them} first",
            search,
        )
    ]


def _moved(found: Findings) -> list[tuple[str, str]]:
    moves: dict[tuple[str, str], list[int]] = {}
    for nid, old, new in found.moved.values():
        moves.setdefault((old, new), []).append(nid)
    return [
        (
            f"{_count(nids, 'note')} moved to deck '{new}' {_agree(nids, 'stays', 'stay')} in "
            f"'{old}' in Anki (an import never moves cards). To move "
            f"{_agree(nids, 'it', 'them')}: search the browser for this, select all, "
            f"Cards > Change Deck > '{new}'",
            _nids(nids),
        )
        for (old, new), nids in sorted(moves.items())
    ]


def _retyped(found: Findings) -> list[tuple[str, str]]:
    types: dict[tuple[int, int], list[int]] = {}
    for nid, old_type, new_type in found.retyped.values():
        types.setdefault((old_type, new_type), []).append(nid)
    lines = []
    for (old_type, new_type), nids in sorted(types.items()):
        old, new = _TYPE_NAMES.get(old_type, str(old_type)), _TYPE_NAMES[new_type]
        lines.append(
            (
                f"{_count(nids, 'note')} now {_agree(nids, 'uses', 'use')} the note type '{new}' "
                f"(was '{old}'), and Anki "
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


def _agree(items: Any, one: str, many: str) -> str:
    """The word that goes with `_count(items, ...)`: "1 note stays", "2 notes stay"."""
    return one if len(items) == 1 else many


def _nids(nids: list[int]) -> str:
    return "nid:" + ",".join(str(n) for n in sorted(nids))
