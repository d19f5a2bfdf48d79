"""The way back from a field's HTML to card text: the inverse of markup.py.

A field holds either what a build made (markup.text_html or code_html) or what Anki's
editor wrote when the learner changed it: `<b>` and `<strong>`, `<br>`, lines as
`<div>…</div>`, `&nbsp;` for spaces the editor must keep, `<code>`, entities. Both are read
into runs of text, each plain, bold, inline code or a code block, and the runs written in
the card's own syntax. What that syntax cannot say (italics, underline, colours, links,
images, lists, bold inside code, literal `**` around a word, ...) raises `Unsayable`,
never dropped in silence: the text written back must make the very runs the field shows.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

from ankigen.markup import code_html, scan, text_html


class Unsayable(ValueError):
    """The field holds something the card syntax cannot say; the message says what."""


PLAIN, BOLD, CODE, BLOCK = "plain", "bold", "code", "block"
Run = tuple[str, str]  # (style, text); a new line is "\n" in a plain run

# What a learner can add in Anki that a card cannot hold, by the tag Anki's editor writes.
_NAMES = {
    "i": "italics",
    "em": "italics",
    "u": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "sub": "subscript",
    "sup": "superscript",
    "a": "a link",
    "img": "an image",
    "font": "a font or colour",
    "span": "a font, colour or size",
    "ul": "a list",
    "ol": "a list",
    "li": "a list",
    "table": "a table",
    "hr": "a horizontal line",
    "mark": "highlighting",
}
_LINES = {"div", "p"}  # Anki's editor writes each new line as <div>…</div>
_BOLD = {"b", "strong"}


class _Reader(HTMLParser):
    """The field's text, piece by piece, each with its style and the element it is in:
    two bold elements side by side are two runs (`**a****b**`), not one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.pieces: list[tuple[str, int, str]] = []  # (style, element, text)
        self.open: list[tuple[str, int]] = []  # the formatting elements open, innermost last
        self.elements = 0

    def style(self) -> tuple[str, int]:
        styles = {style for style, _ in self.open}
        if len(styles) > 1:
            raise Unsayable("bold, code and code blocks inside one another")
        return self.open[0] if self.open else (PLAIN, 0)

    def text(self, text: str) -> None:
        style, element = self.style()
        if style != BLOCK:
            # Outside a code block, a raw line break in HTML is a space to Anki.
            text = text.replace("\r", "").replace("\n", " ")
        self.pieces.append((style, element, text))

    def newline(self) -> None:
        style, element = self.style()
        self.pieces.append((style, element, "\n") if style == BLOCK else (PLAIN, 0, "\n"))

    def enter(self, style: str) -> None:
        self.elements += 1
        self.open.append((style, self.elements))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.newline()
        elif tag in _LINES:
            # A new line starts here, unless the field does or one just did.
            if any(text for _, _, text in self.pieces) and not self.pieces[-1][2].endswith("\n"):
                self.newline()
        elif tag in _BOLD:
            self.enter(BOLD)
        elif tag == "code":
            self.enter(CODE)
        elif tag == "pre":
            self.enter(BLOCK)
            self.text("")  # an empty block is a block too
        elif tag == "span" and (not attrs or any(s == BLOCK for s, _ in self.open)):
            pass  # an empty span, or Pygments' colours in a code block (made at build time)
        else:
            what = _NAMES.get(tag, f"the HTML element <{tag}>")
            raise Unsayable(f"{what} (<{tag}>) cannot be written in a card file")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        style = {"b": BOLD, "strong": BOLD, "code": CODE, "pre": BLOCK}.get(tag)
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == style:
                del self.open[i]
                break

    def handle_data(self, data: str) -> None:
        self.text(data)

    def handle_entityref(self, name: str) -> None:
        # The editor writes &nbsp; to keep a space it would otherwise collapse: a space.
        self.text(" " if name == "nbsp" else html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        char = html.unescape(f"&#{name};")
        self.text(" " if char == "\xa0" else char)

    def handle_comment(self, data: str) -> None:
        raise Unsayable("an HTML comment cannot be written in a card file")


def read(field_html: str, strip: bool = True) -> list[Run]:
    """The runs a field shows: the text of each element as one run (a bold run's edge
    spaces and line breaks moved out of it), the whole stripped unless told."""
    reader = _Reader()
    reader.feed(field_html)
    reader.close()
    merged: list[tuple[str, int, str]] = []
    for style, element, text in reader.pieces:
        if merged and merged[-1][:2] == (style, element):
            merged[-1] = (style, element, merged[-1][2] + text)
        elif text or style == BLOCK:
            merged.append((style, element, text))
    runs: list[Run] = []
    for style, _, text in merged:
        if style != BOLD:
            _add(runs, style, text)
            continue
        for i, line in enumerate(text.split("\n")):
            if i:
                _add(runs, PLAIN, "\n")
            core = line.strip(" \t")
            start = line.index(core) if core else len(line)
            _add(runs, PLAIN, line[:start])
            if core:
                runs.append((BOLD, core))
            _add(runs, PLAIN, line[start + len(core) :])
    return _stripped(runs) if strip else runs


def _add(runs: list[Run], style: str, text: str) -> None:
    """Plain text joins the plain text before it; any other run stands on its own."""
    if style == PLAIN and runs and runs[-1][0] == PLAIN:
        runs[-1] = (PLAIN, runs[-1][1] + text)
    elif text or style == BLOCK:
        runs.append((style, text))


def _stripped(runs: list[Run]) -> list[Run]:
    # Card text is stripped when it is read (schema.Text): so is what comes back.
    while runs and runs[0][0] == PLAIN and not runs[0][1].strip():
        runs.pop(0)
    while runs and runs[-1][0] == PLAIN and not runs[-1][1].strip():
        runs.pop()
    if runs and runs[0][0] == PLAIN:
        runs[0] = (PLAIN, runs[0][1].lstrip())
    if runs and runs[-1][0] == PLAIN:
        runs[-1] = (PLAIN, runs[-1][1].rstrip())
    return runs


def _written(runs: list[Run], was: str, strip: bool = True) -> str:
    """The runs in card syntax. A code block's fence lines (its language) are not in the
    HTML: the k-th block takes those of the k-th block of `was`, the text it replaces."""
    entries = scan(was)
    fences = [fence for language, _, fence in entries if language is not None]
    # One blank line between two blocks shows nothing (text_html makes no <br> of it):
    # kept where `was` has it.
    blank = {
        sum(language is not None for language, _, _ in entries[:i])
        for i in range(2, len(entries))
        if entries[i][0] is not None
        and entries[i - 1][:2] == (None, "")
        and entries[i - 2][0] is not None
    }
    out: list[str] = []
    blocks = 0
    after_block = False
    for at, (style, text) in enumerate(runs, 1):
        after_block, was_block = style == BLOCK, after_block
        if style == PLAIN:
            out.append(text)
        elif style == BOLD:
            out.append(f"**{text}**")
        elif style == CODE:
            out.append(f"`{text}`")
        else:  # a code block
            opened, closed = fences[blocks] if blocks < len(fences) else ("```", "```")
            # Its opening fence starts a line of its own; one that follows a block's
            # closing fence is already on its own line.
            before = "\n" if out and (not was_block or blocks in blank) else ""
            # A fence left open in `was` stays open only where nothing follows it.
            after = "" if closed is None and at == len(runs) else f"\n{closed or '```'}"
            out.append(f"{before}{opened}\n{text}{after}\n")
            blocks += 1
    text = "".join(out)
    return text.strip() if strip else text


def text_of(field_html: str, was: str = "", strip: bool = True) -> str:
    """The card text whose text_html shows what `field_html` shows. `was` is the text it
    replaces (for the fence lines of its code blocks); `strip=False` keeps the spaces at
    its ends (a piece of text between two gaps). Raises Unsayable."""
    runs = read(field_html, strip)
    text = _written(runs, was, strip)
    if read(text_html(text), strip) != runs:
        raise Unsayable(
            "the text would read differently in a card file (a `, ** or ``` written as "
            "text, bold around code, or bold or code across lines)"
        )
    return text


def command_of(field_html: str, strip: bool = True) -> str:
    """The command whose code_html is `field_html`: a command is shown exactly as typed,
    so any formatting in it cannot be said. Raises Unsayable."""
    runs = read(field_html, strip)
    if any(style != PLAIN for style, _ in runs):
        raise Unsayable("a command is shown exactly as typed: it cannot hold bold or code")
    text = "".join(text for _, text in runs)
    assert read(code_html(text), strip) == runs
    return text
