"""Values that point outside the card file: images and sounds beside it, and links to
where a card's fact is stated."""

from __future__ import annotations

import re
from typing import Any

from ankigen.errors import Where
from ankigen.load import Sequence
from ankigen.media import AUDIO_TYPES, IMAGE_TYPES, Media, read_audio, read_image
from ankigen.names import INVISIBLE, invisible
from ankigen.values import Context, Field, Text, describe


class Image(Field):
    """An image file, relative to the card file, that must stay inside the cards folder."""

    required = False
    what, types, read = "image", IMAGE_TYPES, staticmethod(read_image)

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> Any:
        return self.one(value, loc, key, ctx)

    def one(self, value: Any, loc: Where, key: str, ctx: Context) -> Media | None:
        path = Text().check(value, loc, key, ctx)
        if path is None:
            return None
        if char := invisible(path):  # `x\u202egnp.svg` shows as `xsvg.png`
            ctx.error(loc, key, f"{path!r} holds {char}, {INVISIBLE}")
            return None
        assert ctx.card_dir is not None
        # Many cards show the same picture: each file is read and checked once per run.
        found = ctx.images.get((ctx.card_dir, path, self.what))
        if found is None:
            found = self.read(ctx.card_dir / path, ctx.card_dir)
            ctx.images[ctx.card_dir, path, self.what] = found
        if isinstance(found, str):
            ctx.error(loc, key, f"'{path}' {found}")
            return None
        return found

    def json_schema(self) -> dict[str, Any]:
        suffixes = "|".join(t[1:] + "|" + t[1:].upper() for t in sorted(self.types))
        return {"type": "string", "pattern": rf"\.({suffixes})$"}


class Audio(Image):
    """Sound files (one, or a list), played with Anki's [sound:...]: checked as images are."""

    what, types, read = "sound", AUDIO_TYPES, staticmethod(read_audio)
    default: tuple[Media, ...] = ()

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> Any:
        if not isinstance(value, Sequence):
            one = self.one(value, loc, key, ctx)
            return None if one is None else (one,)
        if not value:
            ctx.error(loc, key, "expected a sound file or a list of them, got an empty list")
            return None
        found = [self.one(item, value.item_locs[i], key, ctx) for i, item in enumerate(value)]
        return None if None in found else tuple(m for m in found if m is not None)

    def json_schema(self) -> dict[str, Any]:
        one = super().json_schema()
        return {"oneOf": [one, {"type": "array", "minItems": 1, "items": one}]}


class Sources(Field):
    """Where a card's fact is stated: an http or https URL, or a list of them."""

    required = False
    default: tuple[str, ...] = ()

    def json_schema(self) -> dict[str, Any]:
        url = {"type": "string", "pattern": _URL_PATTERN}
        return {"oneOf": [url, {"type": "array", "minItems": 1, "items": url}]}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> tuple[str, ...] | None:
        if isinstance(value, str):
            url = _url(value, loc, key, ctx)
            return None if url is None else (url,)
        if not isinstance(value, Sequence) or not value:
            got = "an empty list" if isinstance(value, Sequence) else describe(value)
            ctx.error(loc, key, f"expected a URL or a list of URLs, got {got}")
            return None
        urls = [
            _url(item, value.item_locs[i], f"{key}[{i + 1}]", ctx) for i, item in enumerate(value)
        ]
        return None if None in urls else tuple(url for url in urls if url is not None)


_URL_PATTERN = r"^\s*https?://[^\s/?#@]+[^\s]*\s*$"
_URL = re.compile(r"https?://[^\s/?#@]+\S*")


def _url(value: Any, loc: Where, key: str, ctx: Context) -> str | None:
    """A link a learner can follow from the card: only http and https, with a host."""
    text = value.strip() if isinstance(value, str) else None
    if text is None or not _URL.fullmatch(text):
        ctx.error(loc, key, f"expected an http or https URL, got {describe(value)}")
        return None
    return text
