"""Check loaded card files against the kinds in the registry; report every problem at once."""

from __future__ import annotations

import dataclasses
import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.cards import Card, Section
from ankigen.errors import Loc, Problems, Where
from ankigen.identity import EMPTY, Identity
from ankigen.kinds import KINDS, Kind
from ankigen.load import BROKEN, Mapping, Sequence
from ankigen.names import file_name_problem
from ankigen.schema import CARD_FIELDS, SECTION_FIELDS
from ankigen.values import Context, Images, MappingCheck, describe, unknown_key_message

COMBINED = "combined"  # the file name of `build --combined`


def deck_key(name: str) -> str:
    """A deck name as Anki compares it: NFC, case folded, no spaces around '::'."""
    parts = unicodedata.normalize("NFC", name).split("::")
    return "::".join(part.strip() for part in parts).casefold()


class Validator:
    """Checks card files one at a time, remembering what must be unique across them."""

    def __init__(self, problems: Problems, identity: Identity = EMPTY) -> None:
        self.problems = problems
        self.identity = identity  # where a renamed card's notes come from
        self.card_ids: dict[str, Where] = {}
        self.images: Images = {}
        self.section_ids: dict[str, Loc] = {}
        self.decks: dict[str, tuple[Loc, str]] = {}  # deck_key -> where, as written
        # A `was:` id -> where it is written and the card that says it.
        self.was: dict[str, tuple[Loc, str]] = {}

    def check(self, display: str, data: Any) -> tuple[Section | None, bool]:
        """The section with the cards that passed, and whether all of the file did (only
        then is it built; the cards that passed are still linted)."""
        name = Path(display).name
        if problem := file_name_problem(name):  # a clone on Windows could not hold the file
            self.problems.add(Loc(display, 1, 1), f"file name {name!r} {problem}; rename it")
        header, section, whole = _section(
            display, data, self.problems, self.card_ids, self.images, self.identity
        )
        if header is not None:
            # Even when a card is wrong: every problem is reported in one run.
            locs = data.value_locs
            self.claim(
                header["id"],
                locs.get("id", Loc(display, 1, 1)),
                header["deck"],
                locs.get("deck", Loc(display, 1, 1)),
            )
        for card in section.cards if section is not None else ():
            for old in card.was:
                self.claim_was(old, card.value_locs.get("was", card.loc), card.id)
        return section, whole

    def claim_was(self, old: str, loc: Loc, card_id: str) -> None:
        if old in self.was:
            where, other = self.was[old]
            self.problems.add(
                loc,
                f"card '{card_id}': 'was': '{old}' is also claimed by card '{other}' at "
                f"{where}; a note's reviews can go to one card only",
            )
        else:
            self.was[old] = (loc, card_id)

    def check_renames(self) -> None:
        """Once every file is read: a `was:` id must not be a card that still exists."""
        for old, (loc, card_id) in self.was.items():
            if old in self.card_ids:
                live = self.card_ids[old]
                self.problems.add(
                    loc,
                    f"card '{card_id}': 'was': '{old}' is a card that still exists (at {live}); "
                    "`was:` names the id a card had before it was renamed",
                )

    def recall(
        self,
        card_ids: list[tuple[str, Loc]],
        section_id: str,
        id_loc: Loc,
        deck: str,
        deck_loc: Loc,
    ) -> None:
        """A file not read again (an incremental build): what the last build recorded of it
        claims its ids and deck name, in file order, as reading it would have."""
        for card_id, loc in card_ids:
            if card_id in self.card_ids:
                first = self.card_ids[card_id]
                self.problems.add(
                    loc, f"card '{card_id}': duplicate card id (first used at {first})"
                )
            else:
                self.card_ids[card_id] = loc
        self.claim(section_id, id_loc, deck, deck_loc)

    def claim(self, section_id: str, id_loc: Loc, deck: str, deck_loc: Loc) -> None:
        if section_id in self.section_ids:
            other = self.section_ids[section_id]
            self.problems.add(id_loc, f"section id '{section_id}' is also used at {other}")
        key = deck_key(deck)
        if key in self.decks:
            other_loc, other_name = self.decks[key]
            same = (
                ""
                if other_name == deck
                else (
                    f" ('{other_name}' there: Anki ignores letter case, Unicode normalization "
                    "and spaces around '::' in deck names)"
                )
            )
            self.problems.add(
                deck_loc,
                f"deck '{deck}' is the same Anki deck as at {other_loc}{same}; give "
                "each section its own deck",
            )
        self.section_ids.setdefault(section_id, id_loc)
        self.decks.setdefault(key, (deck_loc, deck))


@dataclass(frozen=True)
class _Run:
    """What checking a card needs beyond the card: where to report, what other cards have
    claimed so far, and its section."""

    problems: Problems
    card_ids: dict[str, Where]  # card ids, and `guid <guid>` for guids, claimed so far
    images: Images
    card_dir: Path  # the card file's folder: media paths are relative to it
    section: dict[str, Any]  # the section's checked keys ({} when they are wrong)
    # The section's tags as one tuple for all its cards (each card's come after them).
    section_tags: tuple[str, ...]


def _section(
    display: str,
    data: Any,
    problems: Problems,
    card_ids: dict[str, Where],
    images: Images,
    identity: Identity,
) -> tuple[dict[str, Any] | None, Section | None, bool]:
    """The section's checked header (None if it is wrong), the section with the cards
    that passed, and whether everything in the file did."""
    if not _is_section(display, data, problems):
        return None, None, False
    header = _SECTION_CHECK(data, data.loc, Context(problems, ""))
    raw_cards = data.get("cards")
    if not isinstance(raw_cards, Sequence):
        return header, None, False
    section_tags = tuple(header["tags"]) if header is not None else ()
    run = _Run(problems, card_ids, images, Path(display).parent, header or {}, section_tags)
    cards = [
        _card(item, loc, index, run)
        for index, (item, loc) in enumerate(zip(raw_cards, raw_cards.item_locs, strict=True), 1)
    ]
    cards = [_renamed(card, identity) if card is not None else None for card in cards]
    if header is not None and header["id"] == COMBINED:
        problems.add(
            data.value_locs["id"], f"section id '{COMBINED}' is reserved for build --combined"
        )
        return None, None, False
    if header is None:
        return header, None, False
    section = Section(
        id=header["id"],
        title=header["title"],
        deck=header["deck"],
        cards=tuple(card for card in cards if card is not None),
        path=display,
        value_locs=data.value_locs,
        description=header["description"],
        silences=header["lint"],
        lang=header["lang"],
        require_source=header["require_source"],
    )
    return header, section, None not in cards


def _is_section(display: str, data: Any, problems: Problems) -> bool:
    """Whether the file holds a mapping at the top, as a section is; if not, says why
    (a file YAML could not read has said so already)."""
    here = Loc(display, 1, 1)
    if data is None:
        problems.add(
            here, "file is empty; expected a section with 'id', 'title', 'deck' and 'cards'"
        )
    elif data is not BROKEN and not isinstance(data, Mapping):
        # Not the text itself: the file may be a link to one that is not the user's to show.
        got = "text" if isinstance(data, str) else describe(data)
        problems.add(here, f"expected a section (a mapping) at the top level, got {got}")
    return isinstance(data, Mapping)


def _renamed(card: Card, identity: Identity) -> Card:
    """The card with the id its guids are made from, where that is not its own."""
    origin = identity.origin(card.id, card.was)
    return card if origin == card.id else dataclasses.replace(card, origin=origin)


@functools.lru_cache(maxsize=1024)
def _tags(section: tuple[str, ...], kind: str, own: tuple[str, ...]) -> tuple[str, ...]:
    # Cached: most cards of a section share their tags, and so share one tuple.
    return tuple(dict.fromkeys([*section, *([f"kind::{kind}"] if kind else []), *own]))


_SECTION_CHECK = MappingCheck(SECTION_FIELDS)
# Each kind's keys with the keys every card has, merged and worked out once, not per card.
_KIND_CHECKS = {name: MappingCheck({**CARD_FIELDS, **kind.fields}) for name, kind in KINDS.items()}


def _card(raw: Any, loc: Loc, index: int, run: _Run) -> Card | None:
    """The card, checked; None after reporting what is wrong with it."""
    if not isinstance(raw, Mapping):
        run.problems.add(loc, f"card {index}: expected a mapping, got {describe(raw)}")
        return None
    card_id = raw.get("id")
    # The card's id as the card is named in messages, if it has a usable one.
    given_id = card_id.strip() or None if isinstance(card_id, str) else None
    name = f"card '{card_id}'" if given_id is not None else f"card {index}"
    kind = _kind(raw, loc, name, run.problems)
    if kind is None:
        return None
    locs = raw.value_locs
    prefix = f"{name} ({kind.name}): "
    ctx = Context(run.problems, prefix, run.card_dir, run.section, locs, loc, run.images)
    values = _values(raw, loc, kind, ctx)
    if given_id is not None and (first := _first_claim(given_id, "id", locs, run)) is not None:
        run.problems.add(locs["id"], f"{name}: duplicate card id (first used at {first})")
        return None
    if values is None:
        return None
    guid = values["guid"]
    if guid is not None and (first := _first_claim(f"guid {guid}", "guid", locs, run)) is not None:
        run.problems.add(locs["guid"], f"{prefix}'guid': another card has it (at {first})")
        return None
    return _made(values, kind, loc, locs, run)


def _kind(raw: Mapping, loc: Loc, name: str, problems: Problems) -> Kind | None:
    """The card's kind; None after saying why it has none (its other keys cannot be
    checked without one: one message says so)."""
    kind_name = raw.get("kind")
    if not isinstance(kind_name, str) or not kind_name.strip():
        kinds = ", ".join(KINDS)
        if "kind" in raw:
            got = describe(kind_name)
            problems.add(
                raw.value_locs["kind"], f"{name}: 'kind': expected one of: {kinds}; got {got}"
            )
        else:
            problems.add(loc, f"{name}: missing required key 'kind' (one of: {kinds})")
        return None
    kind = KINDS.get(kind_name.strip())
    if kind is None:
        message = unknown_key_message(kind_name, list(KINDS)).replace("unknown key", "unknown kind")
        problems.add(raw.value_locs["kind"], f"{name}: {message}")
    return kind


def _values(raw: Mapping, loc: Loc, kind: Kind, ctx: Context) -> dict[str, Any] | None:
    """The card's keys checked, each on its own, then across keys; None if any is wrong."""
    if kind.mistaken is not None and kind.mistaken(raw, ctx):
        return None  # written in another tool's syntax: one message said so
    values = _KIND_CHECKS[kind.name](raw, loc, ctx)
    if values is None or not _placed(raw, ctx):
        return None
    return values if kind.finish is None else kind.finish(values, ctx)


def _first_claim(claim: str, key: str, locs: Any, run: _Run) -> Where | None:
    """Where another card claimed this id or guid first, or None after claiming it for this
    card. Guids are claimed beside the ids as `guid <guid>`: no id can be that (ids have no
    spaces)."""
    first = run.card_ids.get(claim)
    if first is None:
        run.card_ids[claim] = locs.lazy(key)
    return first


def _made(values: dict[str, Any], kind: Kind, loc: Loc, locs: Any, run: _Run) -> Card:
    """The Card of checked values: the keys every card has as its attributes, the kind's
    own keys as its values."""
    own = {key: value for key, value in values.items() if key not in CARD_FIELDS}
    tags = _tags(run.section_tags, kind.name if kind.tagged else "", tuple(values["tags"]))
    math = values["math"]
    return Card(
        id=values["id"],
        kind=kind.name,
        note=values["note"],
        hint=values["hint"],
        image=values["image"],
        image_side=values["image_side"],
        silences=values["lint"],
        was=values["was"],
        source=values["source"],
        tags=tags,
        values=own,
        loc=loc,
        value_locs=locs,
        audio=values["audio"],
        audio_side=values["audio_side"],
        math=run.section.get("math", False) if math is None else math,
        guid=values["guid"],
    )


_SIDES = (("image_side", "image", "an image"), ("audio_side", "audio", "a sound file"))


def _placed(raw: Mapping, ctx: Context) -> bool:
    """A side given for an image or a sound the card does not have is a mistake: the
    learner would never see the picture the author thought was placed."""
    ok = True
    for side, media, what in _SIDES:
        if side in raw and media not in raw:
            ctx.error(
                raw.value_locs[side],
                side,
                f"the card has no '{media}' to place; add {what} or remove '{side}'",
            )
            ok = False
    return ok
