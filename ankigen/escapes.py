"""A text as one field of one line of a record file (the build record's warnings, a deck
name in the identity file): backslashes, tabs and line breaks escaped, so the fields around
it stay apart and the line stays one line."""

from __future__ import annotations

import re

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t"}
_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}
_ESCAPED = re.compile(r"\\(.)")


def escape(text: str) -> str:
    if "\\" in text or "\n" in text or "\t" in text:
        for raw, escaped in _ESCAPES.items():
            text = text.replace(raw, escaped)
    return text


def unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return _ESCAPED.sub(lambda m: _UNESCAPES.get(m[1], m[0]), text)
