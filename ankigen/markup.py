"""Card text is plain text; these turn it into the HTML Anki shows.

Everything a user wrote is escaped, including the characters Anki itself gives meaning
to inside a field: braces (cloze deletions), and square brackets ([sound:...],
[latex]). The only markup in a field is the markup made here.
"""

from __future__ import annotations

import html
import re

_ANKI_SYNTAX = str.maketrans({"{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;"})
# `code` in prose; the lint looks inside the same spans.
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# Most card text has none of these and is its own HTML: skip the work for it.
_SPECIAL = re.compile(r"[<>&{}\[\]`\r\n]")


def escape(text: str) -> str:
    return html.escape(text, quote=False).translate(_ANKI_SYNTAX)


def _lines(escaped: str) -> str:
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def text_html(text: str) -> str:
    """Prose: escaped, with `backticks` shown as inline code and newlines as line breaks."""
    if not _SPECIAL.search(text):
        return text
    return _lines(INLINE_CODE.sub(r"<code>\1</code>", escape(text)))


def code_html(text: str) -> str:
    """A command, exactly as typed: escaped, nothing interpreted."""
    if not _SPECIAL.search(text):
        return text
    return _lines(escape(text))
