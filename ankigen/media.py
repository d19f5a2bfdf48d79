"""Images on cards: checked like any other value, packed under content-derived names.

A packed file is named after its content (`ankigen-<sha256>.svg`), so two different
files never share a name (not even names that differ only in letter case, which a
phone's file system may fold), one file used by many cards is packed once, and a
changed image gets a new name, which changes the notes that show it.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Media:
    name: str  # the name in the package and in the learner's media folder
    data: bytes


def media_for(data: bytes, suffix: str) -> Media:
    digest = hashlib.sha256(data).hexdigest()[:32]
    return Media(f"ankigen-{digest}{suffix.lower().replace('.jpeg', '.jpg')}", data)


def read_image(path: Path, root: Path) -> Media | str:
    """The image at `path`, or why it cannot go on a card."""
    try:
        resolved = path.resolve()
        resolved.relative_to(root.resolve())
    except ValueError:
        return "is outside the cards folder"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    suffix = path.suffix.lower()
    if suffix not in IMAGE_TYPES:
        return f"is not a supported image type (use one of: {', '.join(sorted(IMAGE_TYPES))})"
    try:
        size = resolved.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return f"is too large ({size:,} bytes; the limit is {MAX_IMAGE_BYTES:,})"
        data = resolved.read_bytes()
    except FileNotFoundError:
        return "does not exist"
    except OSError as e:
        return f"cannot be read: {e.strerror}"
    if suffix == ".svg":
        problem = svg_problem(data)
        if problem:
            return problem
    return media_for(data, suffix)


_LOCAL_URL = re.compile(r"url\(\s*(['\"]?)#[\w.-]+\1\s*\)")
_ANY_URL = re.compile(r"url\s*\(", re.IGNORECASE)


def svg_problem(data: bytes) -> str | None:
    """Why this SVG may not be shown in a learner's Anki, or None.

    Anki shows media in a webview: an SVG must not run script or fetch anything.
    """
    text = data.decode("utf-8", errors="replace")
    if re.search(r"<!DOCTYPE|<!ENTITY", text, re.IGNORECASE):
        return "is an SVG with a DOCTYPE or entities (not allowed)"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as e:
        return f"is not a well-formed SVG ({e})"
    if _local_name(root.tag) != "svg":
        return "is not an SVG image"
    for element in root.iter():
        name = _local_name(element.tag)
        if name in {"script", "foreignObject", "iframe", "embed", "object"}:
            return f"is an SVG with a <{name}> element (not allowed)"
        for attribute, value in element.attrib.items():
            attribute = _local_name(attribute)
            if attribute.lower().startswith("on"):
                return f"is an SVG with an event handler ({attribute}=...) (not allowed)"
            if attribute == "href" and not value.startswith("#"):
                return f"is an SVG with an external reference ({value}) (not allowed)"
            if _external_url(value):
                return "is an SVG with an external url(...) (not allowed)"
        if (
            name == "style"
            and (element.text or "")
            and (_external_url(element.text or "") or "@import" in (element.text or ""))
        ):
            return "is an SVG whose style loads something external (not allowed)"
    return None


def _external_url(text: str) -> bool:
    return len(_ANY_URL.findall(text)) > len(_LOCAL_URL.findall(text))


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
