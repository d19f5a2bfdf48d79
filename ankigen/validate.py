"""Check loaded card files against the kinds in the registry; report every problem at once."""

from __future__ import annotations

import dataclasses
import functools
import json
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ankigen.cards import Card, Section
from ankigen.errors import Loc, Problems, Where
from ankigen.identity import EMPTY, Identity
from ankigen.kinds import KINDS
from ankigen.load import BROKEN, Mapping, Sequence
from ankigen.names import file_name_problem
from ankigen.rules import RULES
from ankigen.schema import (
    Audio,
    Choice,
    Context,
    DeckName,
    Field,
    Flag,
    Guid,
    Image,
    Images,
    Language,
    MappingCheck,
    SectionId,
    Slug,
    Slugs,
    Sources,
    Tags,
    Text,
    describe,
    mapping_schema,
    unknown_key_message,
)

COMBINED = "combined"  # the file name of `build --combined`


def deck_key(name: str) -> str:
    """A deck name as Anki compares it: NFC, case folded, no spaces around '::'."""
    parts = unicodedata.normalize("NFC", name).split("::")
    return "::".join(part.strip() for part in parts).casefold()


class LintSettings(Field):
    """`lint: {ignore: {AG101: why}}`: rules silenced, each with the reason it does not apply."""

    required = False
    default = ()

    def json_schema(self) -> dict[str, Any]:
        reasons = {
            "type": "object",
            "propertyNames": {"enum": list(RULES)},
            "additionalProperties": {"type": "string", "pattern": r"\S"},
        }
        return {
            "type": "object",
            "properties": {"ignore": reasons},
            "additionalProperties": False,
        }

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> Any:
        if not isinstance(value, Mapping):
            ctx.error(
                loc,
                key,
                f"expected a mapping such as {{ignore: {{AG101: why}}}}, got {describe(value)}",
            )
            return None
        ok = True
        for other in value:
            if other != "ignore":
                ctx.error(value.key_locs[other], key, unknown_key_message(other, ["ignore"]))
                ok = False
        ignore = value.get("ignore")
        if ignore is None or not isinstance(ignore, Mapping):
            where = value.value_locs.get("ignore", value.loc)
            ctx.error(
                where,
                key,
                f"'ignore': expected a mapping of rule codes to reasons, got {describe(ignore)}",
            )
            return None
        silences = {}
        for code, reason in ignore.items():
            if code not in RULES:
                ctx.error(
                    ignore.key_locs[code],
                    key,
                    "'ignore': "
                    + unknown_key_message(code, list(RULES)).replace("unknown key", "unknown rule"),
                )
                ok = False
            elif not isinstance(reason, str) or not reason.strip():
                ctx.error(
                    ignore.value_locs.get(code, ignore.key_locs[code]),
                    key,
                    f"'ignore': {code} is silenced without a reason; say why the rule "
                    f"({RULES[code]}) does not apply here",
                )
                ok = False
            else:
                silences[code] = reason.strip()
        return tuple(silences.items()) if ok else None


class CardList(Field):
    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"oneOf": [_card_schema(kind) for kind in KINDS]}}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> Sequence | None:
        if not isinstance(value, Sequence):
            ctx.error(loc, key, f"expected a list of cards, got {describe(value)}")
            return None
        return value


SECTION_FIELDS: dict[str, Field] = {
    "id": SectionId(),
    "title": Text(),
    # Shown under the title on the deck's overview screen in Anki.
    "description": Text(required=False),
    "deck": DeckName(),
    "tags": Tags(),
    # Whether command cards are typed in unless a card says otherwise.
    "typed": Flag(default=True),
    # Lint rules silenced for every card of the section, each with its reason.
    "lint": LintSettings(),
    # Whether Anki's MathJax typesets \(...\) and \[...\] in the cards' text.
    "math": Flag(default=False),
    # The cards' language (a BCP 47 tag such as ja, en, de): the preview's typed answers.
    "lang": Language(),
    # Whether every card of the section must cite its source (AG110).
    "require_source": Flag(default=False),
    "cards": CardList(),
}

# Keys every card has, whatever its kind.
CARD_FIELDS: dict[str, Field] = {
    "id": Slug(),
    "kind": Text(),
    "note": Text(required=False),
    "hint": Text(required=False),
    "tags": Tags(),
    "image": Image(),
    # The answer side by default; the front where the card asks about the picture.
    "image_side": Choice("back", "front"),
    # Sound files played with Anki's [sound:...], on the answer side unless said otherwise.
    "audio": Audio(),
    "audio_side": Choice("back", "front"),
    # Unless the card says, as its section says (text stays text by default).
    "math": Flag(default=None),
    "lint": LintSettings(),
    # The ids this card had before: it keeps their notes, and so their reviews.
    "was": Slugs(),
    # The note's own guid, for a note made elsewhere (`ankigen import`); else from the id.
    "guid": Guid(),
    # Where the card's fact is stated: shown on the back as a link.
    "source": Sources(),
}


def card_file_schema() -> dict[str, Any]:
    """JSON Schema of a card file, for editors; made from the definitions the validator uses."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "ankigen card file (one section)",
        **mapping_schema(SECTION_FIELDS),
    }


def card_file_schema_text() -> str:
    """The schema as `ankigen schema` prints it and the committed copy holds it."""
    return json.dumps(card_file_schema(), ensure_ascii=False, indent=2) + "\n"


def _card_schema(kind_name: str) -> dict[str, Any]:
    schema = mapping_schema({**CARD_FIELDS, **KINDS[kind_name].fields})
    schema["properties"]["kind"] = {"const": kind_name}
    return {"title": kind_name, **schema}


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

    def section(self, display: str, data: Any) -> Section | None:
        section, whole = self.check(display, data)
        return section if whole else None

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


def validate(files: Iterable[tuple[str, Any]], problems: Problems) -> list[Section]:
    validator = Validator(problems)
    checked = (validator.section(display, data) for display, data in files)
    return [section for section in checked if section is not None]


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
    here = Loc(display, 1, 1)
    if data is BROKEN:
        return None, None, False
    if data is None:
        problems.add(
            here, "file is empty; expected a section with 'id', 'title', 'deck' and 'cards'"
        )
        return None, None, False
    if not isinstance(data, Mapping):
        # Not the text itself: the file may be a link to one that is not the user's to show.
        got = "text" if isinstance(data, str) else describe(data)
        problems.add(here, f"expected a section (a mapping) at the top level, got {got}")
        return None, None, False
    header = _SECTION_CHECK(data, data.loc, Context(problems, ""))
    raw_cards = data.get("cards")
    if not isinstance(raw_cards, Sequence):
        return header, None, False
    card_dir = Path(display).parent
    # The section's tags as one tuple for all its cards (each card's come after them).
    section_tags = tuple(header["tags"]) if header is not None else ()
    cards = [
        _card(item, loc, index, header or {}, section_tags, problems, card_ids, card_dir, images)
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
    return (
        header,
        Section(
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
        ),
        None not in cards,
    )


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


def _card(
    raw: Any,
    loc: Loc,
    index: int,
    section: dict[str, Any],
    section_tags: tuple[str, ...],
    problems: Problems,
    card_ids: dict[str, Where],
    card_dir: Path,
    images: Images,
) -> Card | None:
    if not isinstance(raw, Mapping):
        problems.add(loc, f"card {index}: expected a mapping, got {describe(raw)}")
        return None
    card_id = raw.get("id")
    # Stripped once; None when the card has no usable id.
    stripped_id = card_id.strip() or None if isinstance(card_id, str) else None
    name = f"card '{card_id}'" if stripped_id is not None else f"card {index}"
    kind_name = raw.get("kind")
    # A kind written as its name exactly is found at once; else as below.
    kind = KINDS.get(kind_name) if type(kind_name) is str else None
    if kind is None:
        if not isinstance(kind_name, str) or not kind_name.strip():
            # Without a kind, the card's other keys cannot be checked: one message says why.
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
            message = unknown_key_message(kind_name, list(KINDS)).replace(
                "unknown key", "unknown kind"
            )
            problems.add(raw.value_locs["kind"], f"{name}: {message}")
            return None
    locs = raw.value_locs
    ctx = Context(problems, f"{name} ({kind.name}): ", card_dir, section, locs, loc, images)
    if kind.mistaken is not None and kind.mistaken(raw, ctx):
        values = None  # written in another tool's syntax: one message said so
    else:
        values = _KIND_CHECKS[kind.name](raw, loc, ctx)
    if values is not None and not _placed(raw, ctx):
        values = None
    if values is not None and kind.finish is not None:
        values = kind.finish(values, ctx)
    if stripped_id is not None:
        if stripped_id in card_ids:
            first = card_ids[stripped_id]
            problems.add(locs["id"], f"{name}: duplicate card id (first used at {first})")
            return None
        card_ids[stripped_id] = locs.lazy("id")
    if values is not None and values["guid"] is not None:
        # Claimed beside the card ids, under a key no id can be (ids have no spaces).
        guid_key = f"guid {values['guid']}"
        if guid_key in card_ids:
            first = card_ids[guid_key]
            problems.add(
                locs["guid"], f"{name} ({kind.name}): 'guid': another card has it (at {first})"
            )
            return None
        card_ids[guid_key] = locs.lazy("guid")
    if values is None:
        return None
    pop = values.pop
    tags = _tags(section_tags, kind.name if kind.tagged else "", tuple(pop("tags")))
    card_id, note, hint, image = pop("id"), pop("note"), pop("hint"), pop("image")
    image_side, silences, was = pop("image_side"), pop("lint"), pop("was")
    audio, audio_side, math = pop("audio"), pop("audio_side"), pop("math")
    guid = pop("guid")
    source = pop("source")
    values.pop("kind", None)  # this card's own dict: what is left is the kind's keys
    return Card(
        id=card_id,
        kind=kind.name,
        note=note,
        hint=hint,
        image=image,
        image_side=image_side,
        silences=silences,
        was=was,
        source=source,
        tags=tags,
        values=values,
        loc=loc,
        value_locs=locs,
        audio=audio,
        audio_side=audio_side,
        math=section.get("math", False) if math is None else math,
        guid=guid,
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
