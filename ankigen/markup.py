"""Card text is plain text; these turn it into the HTML Anki shows.

Everything a user wrote is escaped, including the characters Anki itself gives meaning
to inside a field: braces (cloze deletions), and square brackets ([sound:...],
[latex]). The only markup in a field is the markup made here:

- prose: `code` is inline code, **text** is emphasis, a new line is a line break;
- a fenced block (a line ```yaml, the code, a line ```) is a code block, highlighted
  at build time by Pygments when it knows the language.

Emphasis is `**` only: a single `*` or `_` is too common in shell globs and
identifiers to mean anything but itself.
"""

from __future__ import annotations

import functools
import re
from typing import Any

_ANKI_SYNTAX = str.maketrans({"{": "&#123;", "}": "&#125;", "[": "&#91;", "]": "&#93;"})
# `code` in prose; the lint looks inside the same spans.
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# Bold text starts and ends with a non-space, as in Markdown, so `a ** b` stays as written.
_EMPHASIS = re.compile(r"\*\*(?=\S)([^\n]*?\S)\*\*")
# Most card text has none of these and is its own HTML: skip the work for it.
_SPECIAL = re.compile(r"[<>&{}\[\]`*\r\n]")
# A fence is a line of its own: three backticks and an optional language name.
_FENCE_OPEN = re.compile(r"^ {0,3}```[ \t]*([\w+#.-]*)[ \t]*$")
_FENCE_CLOSE = re.compile(r"^ {0,3}```[ \t]*$")


def escape(text: str) -> str:
    # One str.replace per character: html.escape and str.translate go a character at a
    # time through a table, several times slower on Japanese text (150k texts at 20k cards).
    # "&" comes first, so the entities made here are never escaped again.
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("{", "&#123;")
        .replace("}", "&#125;")
        .replace("[", "&#91;")
        .replace("]", "&#93;")
    )


def _lines(escaped: str) -> str:
    return escaped.replace("\n", "<br>")


def _prose(text: str) -> str:
    escaped = escape(text)
    # Inline code is taken out first: `**` inside it is shown as written. Each regex runs
    # only where its marker is: most texts have neither.
    parts = INLINE_CODE.split(escaped) if "`" in escaped else [escaped]
    for i in range(0, len(parts), 2):
        if "**" in parts[i]:
            parts[i] = _EMPHASIS.sub(r"<strong>\1</strong>", parts[i])
    for i in range(1, len(parts), 2):
        parts[i] = f"<code>{parts[i]}</code>"
    return _lines("".join(parts))


def blocks(text: str) -> list[tuple[str | None, str]]:
    """The text cut into prose (None, text) and fenced code (language, code), in order.

    A fence left open runs to the end of the text, as in CommonMark.
    """
    return [(language, part) for language, part, _ in scan(text)]


def scan(text: str) -> list[tuple[str | None, str, tuple[str, str | None]]]:
    """As `blocks`, each code block with its fence lines as written (the closing one None
    when the fence is left open): the HTML does not keep them, and `ankigen pull` puts
    them back as they were."""
    out: list[tuple[str | None, str, tuple[str, str | None]]] = []
    prose: list[str] = []
    code: list[str] = []
    language: str | None = None
    opened = ""
    for line in text.split("\n"):
        if language is None:
            opening = _FENCE_OPEN.match(line)
            if opening:
                if prose:
                    out.append((None, "\n".join(prose), ("", None)))
                prose = []
                language, opened = opening.group(1), line
            else:
                prose.append(line)
        elif _FENCE_CLOSE.match(line):
            out.append((language, "\n".join(code), (opened, line)))
            code, language = [], None
        else:
            code.append(line)
    if language is not None:
        out.append((language, "\n".join(code), (opened, None)))
    elif prose:
        out.append((None, "\n".join(prose), ("", None)))
    return out


# Highlighting a block takes 20-150 us, a hundred times escaping a text: a block shown on
# several cards (a section's shared note) is highlighted once per run.
@functools.lru_cache(maxsize=256)
def code_block_html(language: str, code: str) -> str:
    """A fenced block: highlighted by Pygments if it knows the language, else plain."""
    lexer = _lexer(language) if language else None
    if lexer is None:
        body = escape(code)
    else:
        from pygments import highlight

        # Pygments escapes HTML, not Anki's own syntax; its tags hold no braces or brackets.
        body = highlight(code, lexer, _formatter()).translate(_ANKI_SYNTAX)
        if not code.endswith("\n"):
            body = body.removesuffix("\n")  # some lexers end every text with a new line
    return f'<pre class="code">{body}</pre>'


# One lexer per language and one formatter, not one per block: making a formatter builds
# its whole style sheet, and finding a lexer by name searches every lexer's aliases.
# Both hold only their options, so one can highlight any number of blocks.
@functools.cache
def _lexer(language: str) -> Any:
    # Imported here: most builds have no code block, and `--help` should stay quick.
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@functools.cache
def _formatter() -> Any:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def text_html(text: str) -> str:
    """Prose: escaped, with inline code, emphasis, line breaks and fenced code blocks."""
    if not _SPECIAL.search(text):
        return text
    text = text.replace("\r\n", "\n")
    if "```" not in text:
        return _prose(text)
    return "".join(
        _prose(part) if language is None else code_block_html(language, part)
        for language, part in blocks(text)
    )


def code_html(text: str) -> str:
    """A command, exactly as typed: escaped, nothing interpreted."""
    if not _SPECIAL.search(text):
        return text
    return _lines(escape(text.replace("\r\n", "\n")))
