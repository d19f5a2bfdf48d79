"""What a card file may hold: the section's keys, the keys every card has (each kind adds
its own), and the JSON Schema for editors made from those very definitions."""

from __future__ import annotations

import json
from typing import Any

from ankigen.errors import Where
from ankigen.kinds import KINDS
from ankigen.load import Mapping, Sequence
from ankigen.references import Audio, Image, Sources
from ankigen.rules import RULES
from ankigen.values import (
    Choice,
    Context,
    DeckName,
    Field,
    Flag,
    Guid,
    Language,
    SectionId,
    Slug,
    Slugs,
    Tags,
    Text,
    describe,
    mapping_schema,
    unknown_key_message,
)


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
