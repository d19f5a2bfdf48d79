"""The value types a card file may hold (text, ids, tags, flags, choices), and the check of a
mapping of them. Each checks a loaded value and says what is wrong.

The kinds in `ankigen.kinds` describe their keys with these types (and with those of
`ankigen.references`: images, sounds, links), so the validator, the error messages and the
documentation all come from one definition.
"""

from __future__ import annotations

import dataclasses
import re
from collections import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ankigen.errors import Loc, Problems, Where
from ankigen.load import Mapping, Sequence
from ankigen.media import Media
from ankigen.names import INVISIBLE, MAX_SECTION_ID, SLUG_RE, invisible, section_id_problem, seen

_SPACE = re.compile(r"\s")

# A media file (card folder, path as written, "image" or "sound") as Image.check or
# Audio.check found it: a Media or why not.
Images = dict[tuple[Path, str, str], Media | str]


@dataclass
class Context:
    """Where a check happens, so a message can name the card and the key."""

    problems: Problems
    prefix: str  # e.g. "card 'docker-ps' (command): "
    card_dir: Path | None = None  # the card file's folder: image paths are relative to it
    # For a card: its section's checked keys, where its own values are, and where it is.
    section: dict[str, Any] = dataclasses.field(default_factory=dict)
    locs: abc.Mapping[str, Where] = dataclasses.field(default_factory=dict)
    loc: Loc = Loc("", 0, 0)
    # Images read so far in this run (see Image.check).
    images: Images = dataclasses.field(default_factory=dict)

    def error(self, loc: Where, key: str, message: str) -> None:
        self.problems.add(loc, f"{self.prefix}'{key}': {message}")


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value; quote it to keep it as text)"
    if isinstance(value, int | float):
        return f"the number {value} (quote it to keep it as text)"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:60] + "…"  # never a whole file
        return f"the text '{shown}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Field:
    required = True
    default: Any = None

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> Any:
        raise NotImplementedError

    def json_schema(self) -> dict[str, Any]:
        """The same rule for editors (JSON Schema), as far as JSON Schema can say it."""
        raise NotImplementedError


class Text(Field):
    """Plain text, never empty."""

    def __init__(self, required: bool = True) -> None:
        self.required = required

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": r"\S"}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        if not isinstance(value, str):
            # `meaning: [SYN]`: YAML's list (or `{x}`, a mapping), where text was meant.
            bracket = "[" if isinstance(value, list) else "{" if isinstance(value, dict) else ""
            quote = f" (to write text that starts with '{bracket}', quote it)" if bracket else ""
            ctx.error(loc, key, f"expected text, got {describe(value)}{quote}")
            return None
        stripped = value.strip()
        if not stripped:
            ctx.error(loc, key, "must not be empty")
            return None
        return stripped


class Slug(Text):
    """A stable identifier: lowercase letters, digits and single hyphens."""

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": SLUG_RE.pattern}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        text = super().check(value, loc, key, ctx)
        if text is not None and not SLUG_RE.fullmatch(text):
            if char := invisible(text):  # the id looks right: say what is in it
                ctx.error(loc, key, f"{text!r} holds {char}, {INVISIBLE}")
                return None
            ctx.error(
                loc, key, f"'{text}' is not a valid id (use lowercase letters, digits and hyphens)"
            )
            return None
        return text


class Slugs(Field):
    """One id or a list of them (a card's `was:`)."""

    required = False
    default = ()

    def json_schema(self) -> dict[str, Any]:
        one = {"type": "string", "pattern": SLUG_RE.pattern}
        return {"oneOf": [one, {"type": "array", "items": one, "minItems": 1}]}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> tuple[str, ...] | None:
        if isinstance(value, str):
            one = Slug().check(value, loc, key, ctx)
            return None if one is None else (one,)
        if not isinstance(value, Sequence) or not value:
            ctx.error(loc, key, f"expected an id or a list of ids, got {describe(value)}")
            return None
        ids = [Slug().check(item, value.item_locs[i], key, ctx) for i, item in enumerate(value)]
        return None if None in ids else tuple(i for i in ids if i is not None)


class SectionId(Slug):
    """A slug that names the section's files: a deck file and a card file on any system."""

    def json_schema(self) -> dict[str, Any]:
        not_a_device = r"(?!(?:con|prn|aux|nul|com[0-9]|lpt[0-9])$)"
        pattern = "^" + not_a_device + SLUG_RE.pattern[1:]
        return {"type": "string", "pattern": pattern, "maxLength": MAX_SECTION_ID}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        text = super().check(value, loc, key, ctx)
        if text is not None and (problem := section_id_problem(text)):
            ctx.error(loc, key, problem)
            return None
        return text


# The characters of Anki's own guids (base 91: printable ASCII but space, quotes, backslash).
GUID_RE = re.compile(r"^[A-Za-z0-9!#$%&()*+,\-./:;<=>?@\[\]^_`{|}~]{1,100}$")


class Guid(Field):
    """An Anki note's guid as the note has it (a note made elsewhere keeps its own)."""

    required = False

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": GUID_RE.pattern}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        if not isinstance(value, str) or not GUID_RE.fullmatch(value):
            got = describe(value)
            ctx.error(
                loc,
                key,
                f"expected an Anki guid (1 to 100 letters, digits and ASCII punctuation other "
                f"than quotes and backslash), got {got}",
            )
            return None
        return value


class DeckName(Text):
    def json_schema(self) -> dict[str, Any]:
        # No empty part between "::" separators, as check() says.
        return {"type": "string", "pattern": r"^(?!\s*::)(?!.*::\s*::)(?!.*::\s*$).*\S"}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        text = super().check(value, loc, key, ctx)
        if text is None:
            return None
        if any(not seen(part).strip() for part in text.split("::")):
            ctx.error(loc, key, f"{text!r} has an empty part between '::' separators")
            return None
        if char := invisible(text):
            ctx.error(
                loc,
                key,
                f"{text!r} holds {char}, {INVISIBLE}: Anki would show a deck that looks "
                "like another; remove it",
            )
            return None
        if _WIDE_SEPARATOR.search(text):
            ctx.problems.warn(
                loc,
                f"{ctx.prefix}'{key}': '{text}' holds full-width colons (：), which Anki does "
                "not read as a subdeck separator: this is one deck of that name. For a "
                "subdeck, write '::'",
            )
        return text


_WIDE_SEPARATOR = re.compile("：[:：]|:：")


class Language(Text):
    """A BCP 47 language tag, as HTML's lang attribute takes it: ja, en, de, zh-Hant."""

    required = False
    _TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")

    def __init__(self) -> None:
        pass

    def json_schema(self) -> dict[str, Any]:
        return {"type": "string", "pattern": self._TAG.pattern}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        text = super().check(value, loc, key, ctx)
        if text is not None and not self._TAG.fullmatch(text):
            ctx.error(loc, key, f"'{text}' is not a language tag (such as ja, en or de)")
            return None
        return text


class Flag(Field):
    def __init__(self, default: bool | None = False) -> None:
        self.required = False
        self.default = default

    def json_schema(self) -> dict[str, Any]:
        return {"type": "boolean", "default": self.default}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> bool | None:
        if not isinstance(value, bool):
            ctx.error(loc, key, f"expected true or false, got {describe(value)}")
            return None
        return value


class Choice(Field):
    def __init__(self, *options: str) -> None:
        self.required = False
        self.options = options
        self.default = options[0]

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> str | None:
        if value not in self.options:
            choices = " or ".join(self.options)
            ctx.error(loc, key, f"expected {choices}, got {describe(value)}")
            return None
        return str(value)

    def json_schema(self) -> dict[str, Any]:
        return {"enum": list(self.options), "default": self.default}


class Tags(Field):
    """Anki tags: a list of words without spaces."""

    required = False

    def __init__(self) -> None:
        self.default: list[str] = []

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "items": {"type": "string", "pattern": r"^\s*\S+\s*$"}}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> list[str] | None:
        if not isinstance(value, Sequence):
            ctx.error(loc, key, f"expected a list of tags, got {describe(value)}")
            return None
        tags = []
        # An item's location is made only for a message about it.
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                ctx.error(value.item_locs[i], key, f"expected a tag, got {describe(item)}")
            elif _SPACE.search(item.strip()):  # \s is what str.isspace() says is a space
                message = f"tag '{item}' contains a space; Anki tags are one word"
                ctx.error(value.item_locs[i], key, message)
            else:
                tags.append(item.strip())
        return tags


class TextList(Field):
    def __init__(self, min_items: int = 1) -> None:
        self.min_items = min_items

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "minItems": self.min_items, "items": Text().json_schema()}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> list[str] | None:
        if not isinstance(value, Sequence):
            ctx.error(loc, key, f"expected a list, got {describe(value)}")
            return None
        if len(value) < self.min_items:
            ctx.error(loc, key, f"needs at least {self.min_items} items, got {len(value)}")
            return None
        items = [
            _TEXT.check(item, value.item_locs[i], f"{key}[{i + 1}]", ctx)
            for i, item in enumerate(value)
        ]
        return None if None in items else [item for item in items if item is not None]


_TEXT = Text()


def _close_matches(key: str, allowed: list[str]) -> list[str]:
    import difflib

    return difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)


def unknown_key_message(key: str, allowed: list[str]) -> str:
    close = _close_matches(key, allowed)
    hint = (
        f" (did you mean '{close[0]}'?)" if close else f" (expected one of: {', '.join(allowed)})"
    )
    return f"unknown key '{key}'{hint}"


class MappingCheck:
    """Checks a mapping against its fields; None if anything is wrong (all of it reported).
    Made once for fields checked often (every card of a kind)."""

    __slots__ = ("fields", "allowed", "required", "defaults")

    def __init__(self, fields: dict[str, Field]) -> None:
        self.fields = fields
        self.allowed = list(fields)
        self.required = [key for key, field in fields.items() if field.required]
        # The result's first draft: every key in order, with its default if it has one
        # (a required key is always overwritten, or the mapping is wrong).
        self.defaults = {
            key: None if field.required else field.default for key, field in fields.items()
        }

    def __call__(self, value: Any, loc: Loc, ctx: Context) -> dict[str, Any] | None:
        if not isinstance(value, Mapping):
            ctx.problems.add(loc, f"{ctx.prefix}expected a mapping, got {describe(value)}")
            return None
        misspelled = self._report_unknown_keys(value, ctx)
        ok = value.keys() <= self.fields.keys()
        result = self.defaults.copy()
        where = value.value_locs.lazy  # made a Loc only if a message needs one
        fields = self.fields
        for key, raw in value.items():  # only the keys written: the others keep defaults
            if (field := fields.get(key)) is not None:
                checked = result[key] = field.check(raw, where(key), key, ctx)
                ok = ok and checked is not None
        for key in self.required:
            # A misspelled key was reported as "did you mean".
            if key not in value and key not in misspelled:
                ctx.problems.add(value.loc, f"{ctx.prefix}missing required key '{key}'")
                ok = False
        return result if ok else None

    def _report_unknown_keys(self, value: Mapping, ctx: Context) -> set[str]:
        """Reports each key the fields do not know; returns the known keys they may be
        misspellings of."""
        misspelled: set[str] = set()
        for key in value:
            if key not in self.fields:
                message = unknown_key_message(key, self.allowed)
                ctx.problems.add(value.key_locs[key], ctx.prefix + message)
                misspelled.update(_close_matches(key, self.allowed))
        return misspelled


def mapping_schema(fields: dict[str, Field]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {key: field.json_schema() for key, field in fields.items()},
        "required": [key for key, field in fields.items() if field.required],
        "additionalProperties": False,
    }
