"""A note of a note type of the learner's own (cards/notetypes/), filled field by field.

Its field text is Anki's HTML, kept as it is: this is how `ankigen import` writes the notes
it adopts, and how a user writes cards for a note type of their own. The files its fields
show (`<img src="x.png">`, `[sound:x.mp3]`) are taken from `cards/media/` into the deck.
"""

from __future__ import annotations

import dataclasses
import html
import re
from typing import Any

from ankigen import notes
from ankigen.cards import Card
from ankigen.kinds.kind import Back, Kind
from ankigen.load import Mapping
from ankigen.media import Media
from ankigen.notes import Note, NoteType, Template
from ankigen.notetypes import note_types
from ankigen.slots import History
from ankigen.values import Context, Field, Text, describe

MEDIA_FOLDER = "media"

# The example's note type: `ankigen new` writes its file (EXAMPLE_FILES); kept equal by
# tests/test_kinds.py, which builds the example and finds this note type in Anki.
NOTE_TYPE = NoteType(
    # Published with the example: never reuse this id for another note type.
    id=1541739262,
    name="Vocabulary",
    fields=("Word", "Meaning"),
    templates=(Template("Word → Meaning", "{{Word}}", "{{FrontSide}}<hr id=answer>{{Meaning}}"),),
    css=".card { font-family: sans-serif; font-size: 24px; text-align: center; }\n",
)

EXAMPLE_FILES = {
    "notetypes/vocabulary.yaml": """\
# A note type of your own: `kind: note` cards name it. Never change its id or the names
# of its fields and templates once your decks are out (templates and CSS may change).
id: 1541739262
name: Vocabulary
fields:
  - name: Word
  - name: Meaning
templates:
  - name: Word → Meaning
    front: "{{Word}}"
    back: "{{FrontSide}}<hr id=answer>{{Meaning}}"
css: |
  .card { font-family: sans-serif; font-size: 24px; text-align: center; }
"""
}


class NoteTypeName(Field):
    """The name of a note type in the cards folder's notetypes/ files."""

    def json_schema(self) -> dict[str, Any]:
        return Text().json_schema()

    def check(self, value: Any, loc: Any, key: str, ctx: Context) -> NoteType | None:
        name = Text().check(value, loc, key, ctx)
        if name is None:
            return None
        assert ctx.card_dir is not None
        found, problems = note_types(ctx.card_dir)
        for problem in problems:  # reported once a run, for the first card that needs them
            if problem not in ctx.problems.items:
                ctx.problems.items.append(problem)
        if name in found:
            return found[name]
        if not problems:
            known = ", ".join(sorted(found)) or "none"
            ctx.error(
                loc,
                key,
                f"no note type '{name}' in {ctx.card_dir / 'notetypes'} (there: {known})",
            )
        return None


class NoteFields(Field):
    """The note's fields by name, each Anki's HTML as it is (may be empty)."""

    def json_schema(self) -> dict[str, Any]:
        return {"type": "object", "additionalProperties": {"type": ["string", "null"]}}

    def check(self, value: Any, loc: Any, key: str, ctx: Context) -> dict[str, str] | None:
        if not isinstance(value, Mapping):
            ctx.error(loc, key, f"expected a mapping of field names to HTML, got {describe(value)}")
            return None
        fields = {}
        for name, text in value.items():
            if text is not None and not isinstance(text, str):
                ctx.error(
                    value.value_locs[name], key, f"{name}: expected HTML, got {describe(text)}"
                )
            elif text is not None and "\x1f" in text:
                # Anki joins fields with it: a note holding one would have a field too many.
                ctx.error(value.value_locs[name], key, f"{name}: holds U+001F, which Anki cannot")
            else:
                fields[str(name)] = text or ""
        return fields if len(fields) == len(value) else None


def finish(values: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    note_type: NoteType = values["notetype"]
    fields: dict[str, str] = values["fields"]
    unknown = [name for name in fields if name not in note_type.fields]
    for name in unknown:
        ctx.error(
            ctx.locs.get("fields", ctx.loc),
            "fields",
            f"note type '{note_type.name}' has no field '{name}' "
            f"(its fields: {', '.join(note_type.fields)})",
        )
    if unknown:
        return None
    return {**values, "media": _media(fields, ctx)}


# The files a field shows, as Anki finds them (rslib's media references): a tag's src or
# data, and [sound:...].
_REFERENCE = re.compile(
    r"""<(?:img|audio|video|source|object)\b[^>]*?\b(?:src|data)\s*=\s*(?:"([^"]+)"|'([^']+)'|([^\s>]+))"""
    r"|\[sound:([^\]]+)\]",
    re.IGNORECASE,
)


def references(text: str) -> list[str]:
    """The media file names a field's HTML shows (not URLs, not paths)."""
    names = []
    for match in _REFERENCE.finditer(text):
        name = html.unescape(next(g for g in match.groups() if g))
        if "://" not in name and not name.startswith("data:") and "/" not in name:
            names.append(name)
    return names


def _media(fields: dict[str, str], ctx: Context) -> tuple[Media, ...]:
    assert ctx.card_dir is not None
    found: dict[str, Media] = {}
    for text in fields.values():
        for name in references(text):
            key = (ctx.card_dir, f"{MEDIA_FOLDER}/{name}", "media")
            media = ctx.images.get(key)
            if media is None:
                path = ctx.card_dir / MEDIA_FOLDER / name
                try:
                    media = Media(name, path.read_bytes()) if path.is_file() else "missing"
                except OSError as e:
                    media = f"cannot be read: {e.strerror}"
                ctx.images[key] = media
            if isinstance(media, Media):
                found[name] = media
            else:
                ctx.problems.warn(
                    ctx.locs.get("fields", ctx.loc),
                    f"{ctx.prefix}'fields': shows '{name}', which is {media} in "
                    f"{ctx.card_dir / MEDIA_FOLDER} (Anki shows it only where it has the file)",
                )
    return tuple(found.values())


def generate(card: Card, _history: History) -> list[Note]:
    note = notes.note_of(card, card["notetype"], card["fields"])
    return [dataclasses.replace(note, media=note.media + card["media"])]


def back(card: Card, _made: Note, field: str, field_html: str) -> list[Back]:
    """A field comes back as Anki's HTML, as it was written (`ankigen pull`)."""
    was = card["fields"].get(field)
    return [Back(("fields", field), field_html if field_html or was is not None else None, was)]


EXAMPLE = """\
  # note: a note of a note type of your own (cards/notetypes/), its fields as HTML.
  - id: {section}-chlorophyll
    kind: note
    notetype: Vocabulary
    fields:
      Word: 葉緑素
      Meaning: 植物の葉で光を吸収する<b>緑色</b>の色素
"""

KIND = Kind(
    name="note",
    fields={"notetype": NoteTypeName(), "fields": NoteFields()},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
    asks="the cards of its note type",
    finish=finish,
    texts=lambda card: (),  # Anki's HTML, not card text: the card-design rules do not apply
    tagged=False,
    example_files=EXAMPLE_FILES,
    note_type_of=lambda card: card["notetype"],
    back=back,
)
