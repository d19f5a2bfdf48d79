"""YAML syntax errors, explained: the message, the line with a caret under the column,
and a hint for the usual mistakes (an unquoted ': ', a value starting with a character
YAML reads as syntax, an over-indented key, an unclosed quote or bracket, a tab)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml

from ankigen.errors import Loc, Problems


def report_syntax_error(
    text: str, display: str, problems: Problems, first: yaml.MarkedYAMLError, show_source: bool
) -> None:
    # Parse again with the pure-Python loader: its messages are the same whether or not
    # libyaml is installed, so users and tests see one wording. Where it finds nothing
    # (it has no nesting limit, and reads "\ud800" as text) libyaml's error stands.
    loader = yaml.SafeLoader(text)
    error = first
    try:
        loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        error = e
    except (ValueError, RecursionError):
        pass
    finally:
        loader.dispose()
    mark = error.problem_mark or error.context_mark
    assert mark is not None
    problem = str(error.problem)
    if "'\\t'" in problem:
        message = "tab character; indent with spaces"
    elif "end of stream" in problem and "quoted scalar" in str(error.context):
        # The file ended inside quotes: the place to fix is where they open.
        mark = error.context_mark or mark
        message = "a quoted text that is never closed (the file ends inside it)"
    else:
        where = ""
        if error.context and error.context_mark and error.context_mark.line != mark.line:
            where = f" ({error.context} at line {error.context_mark.line + 1})"
        message = f"{problem}{where}"
    loc = Loc(display, mark.line + 1, mark.column + 1)
    hint = _hint(error, mark, text)
    excerpt = "\n" + source_excerpt(text, mark.line, mark.column) if show_source else ""
    problems.add(
        loc, f"YAML syntax error: {message}{excerpt}" + (f"\n  hint: {hint}" if hint else "")
    )


def _hint(error: yaml.MarkedYAMLError, mark: Any, text: str) -> str | None:
    problem = str(error.problem)
    context = str(error.context or "")
    line = line_of(text, mark.line)
    if "'\\t'" in problem:
        return None  # the message says it all
    if "escape" in problem:
        return "\\u and \\U escapes must name a character (not half of a UTF-16 pair)"
    if "could not find expected ':'" in problem:
        return "is a ':' missing after a key, or does a value go on over lines? quote it"
    if "mapping values are not allowed" in problem:
        return _over_indented(text, mark) or (
            "a value holding ': ' must be quoted, e.g. meaning: \"a: b\""
        )
    if "quoted scalar" in context:
        return (
            "close the quote with the same mark it opens with; "
            "a quote inside is doubled ('') or escaped (\\\")"
        )
    if "flow sequence" in context or "flow mapping" in context:
        number = error.context_mark.line + 1 if error.context_mark else mark.line + 1
        return f"a '[' or '{{' opened at line {number} is not closed, or a value in it needs quotes"
    if "exceeded maximum nesting depth" in problem:
        return "brackets nested this deep are not a card; check for a missing ']' or '}'"
    trap = quote_hint(line, mark.column)
    if trap:
        return trap
    if "block end" in problem or "block mapping" in context or "simple key" in context:
        return "check the indentation: the keys of one mapping start in the same column"
    return None


def line_of(text: str, number: int) -> str:
    """The 0-based line `number` of the text ("" past its end)."""
    lines = text.split("\n")
    return lines[number].rstrip("\r") if number < len(lines) else ""


# A value written after `key: ` or `- ` that starts with a character YAML reads as syntax.
_TRAP = re.compile(r"^(?P<lead>[ \t]*(?:- +)*(?:[^\s\"'#-][^#]*?: +)?)(?P<value>[`@*\[{].*?)\s*$")
_TRAPS = {
    "`": "a value cannot start with '`' in YAML",
    "@": "a value cannot start with '@' in YAML (it is reserved)",
    "*": "a value starting with '*' is read as an alias (a reference to an anchor)",
    "[": "a value starting with '[' is read as a list",
    "{": "a value starting with '{' is read as a mapping",
}


def quote_hint(line: str, column: int) -> str | None:
    """The hint for a value on this line that YAML reads as syntax (`[SYN] flag`, `*.log`,
    backticks), if the problem at `column` is in it: quote the whole value."""
    found = _TRAP.match(line)
    if not found or column < len(found["lead"]):
        return None
    value = found["value"]
    if '"' in value or "\\" in value:
        quoted = "'" + value.replace("'", "''") + "'"
    else:
        quoted = f'"{value}"'
    return f"{_TRAPS[value[0]]}; quote the whole value: {found['lead'].lstrip()}{quoted}"


# A line that is a key alone, as far as the colon: `      term: NAT`.
_KEY_ALONE = re.compile(r"^(?P<indent>[ ]*)(?:- +)?(?P<key>[A-Za-z_][\w-]*)[ ]*$")


def _over_indented(text: str, mark: Any) -> str | None:
    """A key indented more than the keys before it reads, to YAML, as more of the value
    above; its ': ' is then the problem. Said as what it is, not as a value to quote."""
    found = _KEY_ALONE.match(line_of(text, mark.line)[: mark.column])
    if not found:
        return None
    for number in range(mark.line - 1, -1, -1):
        above = line_of(text, number)
        key = re.match(r"^([ ]*)(?:- +)?([^\s:#][^:#]*?):(?: |$)", above)
        if key and len(key[1]) < len(found["indent"]):
            return (
                f"'{found['key']}' is indented more than '{key[2]}' on line {number + 1}: "
                "the keys of one mapping start in the same column"
            )
        if above.strip() and not above.lstrip().startswith("#"):
            break
    return None


_EXCERPT_WIDTH = 76


def source_excerpt(text: str, line: int, column: int) -> str:
    """The 0-based line with a caret under the 0-based column, as ruff and rustc show it."""
    lines = text.split("\n")
    source = lines[line].rstrip("\r") if line < len(lines) else ""
    source = source.replace("\t", " ")
    if len(source) > _EXCERPT_WIDTH:  # a long line: the part around the column
        start = max(0, min(column - _EXCERPT_WIDTH // 2, len(source) - _EXCERPT_WIDTH))
        source = ("…" if start else "") + source[start : start + _EXCERPT_WIDTH]
        column = column - start + (1 if start else 0)
    # Wide characters (CJK) take two cells in a terminal: the caret must move as far.
    pad = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in source[:column])
    number = str(line + 1)
    gutter = " " * len(number)
    return f" {number} | {source}\n {gutter} | {' ' * pad}^"
