"""Read card files into plain data that remembers where each value was written.

Card files are data, never code: only the YAML core types are accepted, explicit tags
such as `!!python/object` are refused without being constructed, and anchors/aliases
are refused so an alias bomb cannot expand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from ankigen.characters import (
    FORBIDDEN_IN_FILE,
    FORBIDDEN_IN_TEXT,
    character_name,
    report_forbidden,
)
from ankigen.errors import Loc, Problems
from ankigen.located import Mapping, Sequence, loc_of
from ankigen.syntax import line_of, quote_hint, report_syntax_error

try:  # libyaml parses several times faster; marks (line/column) are the same.
    _FastLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = yaml.SafeLoader

MAX_FILE_BYTES = 32 * 1024 * 1024

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null")}
# An unquoted date is almost always meant as text on a card, and '=' or '<<' (YAML's
# obscure 'value' and merge keys, which we do not support) can only be text.
_TEXT_TAGS = {_CORE + t for t in ("str", "timestamp", "value", "merge")}


class _Broken:
    def __repr__(self) -> str:
        return "BROKEN"


# What a file that could not be read gives: its problems are reported and it is not
# checked further (a check would only repeat them in other words).
BROKEN: Any = _Broken()


def load_file(path: Path, display: str, problems: Problems) -> Any:
    """Return the file's top-level value (None if empty), or BROKEN after recording why."""
    here = Loc(display, 1, 1)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            problems.add(
                here, f"file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})"
            )
            return BROKEN
        raw = path.read_bytes()
    except OSError as e:
        problems.add(here, f"cannot read file: {e.strerror}")
        return BROKEN
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        problems.add(
            Loc(display, line, col),
            f"file is not UTF-8 text (byte 0x{raw[e.start]:02x}); save it as UTF-8",
        )
        return BROKEN
    # A linked file may be one that is not the user's to show (a link to /etc/passwd):
    # its lines are never quoted in a message.
    return parse(text, display, problems, show_source=not path.is_symlink())


def parse(text: str, display: str, problems: Problems, show_source: bool = True) -> Any:
    if FORBIDDEN_IN_FILE.search(text) and report_forbidden(text, display, problems):
        return BROKEN
    loader = _FastLoader(text)
    try:
        return _Builder(loader, display, problems, text).document()
    except yaml.MarkedYAMLError as e:
        report_syntax_error(text, display, problems, e, show_source)
        return BROKEN
    except _Refused:
        return BROKEN
    except (ValueError, RecursionError) as e:  # pragma: no cover - PyYAML without libyaml
        problems.add(Loc(display, 1, 1), f"YAML syntax error: {e}")
        return BROKEN
    finally:
        loader.dispose()


def _impossible(tag: str, value: str, event: Any) -> str:
    name = tag.replace(_CORE, "")
    if name == "int" and event.tag is None and value.lstrip("+-").isdigit():
        return (
            f"a number of {len(value.lstrip('+-')):,} digits is too long; "
            "quote it to keep it as text"
        )
    shown = value if len(value) <= 30 else value[:30] + "…"
    return f"'{shown}' is not a valid !!{name} value; remove the tag or quote the text"


def _key_message(key: Any, event: Any) -> str:
    written = getattr(event, "value", None)
    if key is None and isinstance(event, yaml.ScalarEvent):
        if written == "":
            return "a key is missing before ':'"
        return (
            f"key '{written}' is read as null (nothing); quote it to use it as text: \"{written}\""
        )
    if isinstance(key, bool):
        return (
            f"key '{written}' is read as a yes/no value (a YAML 1.1 rule); "
            f'quote it to use it as text: "{written}"'
        )
    if isinstance(key, int | float) and written is not None:
        return f'key {written} is read as a number; quote it to use it as text: "{written}"'
    return "a key must be text, not a list or a mapping"


class _Refused(Exception):
    """The file uses YAML we do not read (the problem is already recorded)."""


# Which plain scalars the YAML resolver could read as something other than text: its
# numbers, timestamps and merge keys start with one of these characters...
_MAYBE_NOT_TEXT = set("~-+.0123456789<=")
# ...and its booleans and nulls that start with a letter are exactly these words.
_BOOL_OR_NULL = {
    *"yes Yes YES no No NO true True TRUE false False FALSE".split(),
    *"on On ON off Off OFF null Null NULL".split(),
}
# Quoted and block scalars are text as written (a double-quoted one is not: its escapes
# may make a forbidden character).
_AS_WRITTEN = frozenset(("'", "|", ">"))
_ScalarEvent = yaml.ScalarEvent
_MappingStartEvent = yaml.MappingStartEvent
_MappingEndEvent = yaml.MappingEndEvent
_SequenceStartEvent = yaml.SequenceStartEvent
_SequenceEndEvent = yaml.SequenceEndEvent
_MAX_DEPTH = 64
_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])&[^\s]")
_COMMENT_AFTER = re.compile(r"[ \t]+(#[^\n]*)")


class _Builder:
    """Python values with locations, straight from the parser's events.

    Working from events rather than composed nodes skips the composer and the resolver
    for all but a few scalars, and sees an alias where it is written, before anything
    could expand it.
    """

    def __init__(
        self, loader: yaml.SafeLoader, display: str, problems: Problems, text: str = ""
    ) -> None:
        self.text = text
        self.loader = loader
        self.get_event: Callable[[], Any] = loader.get_event
        self.display = display
        self.problems = problems
        self.broken = False
        self.comment_starts = _comment_starts(text)

    def document(self) -> Any:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        value = self.value(loader.get_event(), 0)
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            event = loader.get_event()
            self.refuse(event.start_mark, "a card file holds one YAML document (found '---')")
        return BROKEN if self.broken else value

    def loc(self, mark: Any) -> Loc:
        return loc_of(self.display, mark)

    def refuse(self, mark: Any, message: str) -> None:
        self.problems.add(self.loc(mark), message)
        raise _Refused

    def value(self, event: Any, depth: int) -> Any:
        kind = type(event)
        if kind is _ScalarEvent:
            return self.scalar(event)
        if depth > _MAX_DEPTH:
            self.refuse(event.start_mark, f"nested more than {_MAX_DEPTH} levels deep")
        if kind is _MappingStartEvent:
            if event.tag is not None:  # (rare: not worth a call for every mapping)
                self.check_tag(event, "map")
            return self.mapping(event, depth + 1)
        if kind is _SequenceStartEvent:
            if event.tag is not None:
                self.check_tag(event, "seq")
            return self.sequence(event, depth + 1)
        # An alias: refused where it is written, before anything could expand it. In a
        # file without anchors, `*` was meant as text (`*.log`, `*note*`).
        mark = event.start_mark
        hint = (
            None
            if _ANCHOR.search(self.text)
            else quote_hint(line_of(self.text, mark.line), mark.column)
        )
        self.refuse(
            mark,
            "YAML anchors and aliases are not supported; write the value out in full"
            + (f"\n  hint: {hint}" if hint else ""),
        )

    def check_tag(self, event: Any, kind: str) -> None:
        if event.tag is not None and event.tag not in ("!", _CORE + kind):
            self.bad_tag(event)

    def bad_tag(self, event: Any) -> None:
        tag = event.tag.replace(_CORE, "!!")
        self.problems.add(
            self.loc(event.start_mark),
            f"YAML tag '{tag}' is not allowed; card files hold plain text",
        )
        self.broken = True

    def comment_after(self, event: yaml.ScalarEvent) -> None:
        """`meaning: x # y` is the text "x": YAML drops the rest as a comment. Say so."""
        if event.end_mark is None:
            return
        end = event.end_mark.index
        if end not in self.comment_starts:
            return  # the common case: the line (or the flow item) ends here
        comment = _COMMENT_AFTER.match(self.text, end)
        if comment:
            self.problems.warn(
                self.loc(event.start_mark),
                f"text '{event.value}' is followed by '{comment[1][:40]}', which YAML reads "
                "as a comment and drops; quote the whole value to keep it",
            )

    def scalar(self, event: yaml.ScalarEvent) -> Any:
        value = event.value
        tag = event.tag
        if event.style == '"' and FORBIDDEN_IN_TEXT.search(value):
            # Only a double-quoted scalar has escapes; a raw character was refused earlier.
            char = FORBIDDEN_IN_TEXT.search(value).group()  # type: ignore[union-attr]
            self.problems.add(
                self.loc(event.start_mark),
                f"text holds character {character_name(char)} (written as an escape); "
                "it is not allowed on a card: remove it",
            )
            self.broken = True
            return BROKEN
        if tag is None or tag == "!":
            plain = event.implicit[0]
            if not plain or (
                value and value[0] not in _MAYBE_NOT_TEXT and value not in _BOOL_OR_NULL
            ):
                if not event.style:  # plain: libyaml says "", PyYAML None
                    self.comment_after(event)
                return value
            tag = self.loader.resolve(yaml.ScalarNode, value, event.implicit)
            if ":" in value and tag in (_CORE + "int", _CORE + "float"):
                self.problems.add(
                    self.loc(event.start_mark),
                    f"{value} is read as a base-60 number (a YAML 1.1 rule); "
                    f'quote it to keep it as text: "{value}"',
                )
                self.broken = True
                return BROKEN
        if tag in _TEXT_TAGS:
            return value
        if tag in _SCALAR_TAGS:
            node = yaml.ScalarNode(tag, value)
            try:
                return self.loader.construct_object(node)
            except (ValueError, KeyError, IndexError, OverflowError, yaml.YAMLError):
                self.problems.add(self.loc(event.start_mark), _impossible(tag, value, event))
                self.broken = True
                return BROKEN
        self.bad_tag(event)
        return None

    def scalar_value(self, event: Any) -> Any:
        """A scalar no check has anything to say about is its own text; scalar() gets one
        with a tag, one quoted with " (its escapes may make a forbidden character), and a
        plain one that is empty, may be read as other than text, or is followed by a
        comment. Nearly every scalar of a card file is the first kind."""
        value = event.value
        style = event.style
        if event.tag is not None or (
            style not in _AS_WRITTEN
            if style
            else not value
            or value[0] in _MAYBE_NOT_TEXT
            or value in _BOOL_OR_NULL
            or (self.comment_starts and event.end_mark.index in self.comment_starts)
        ):
            return self.scalar(event)
        return value

    def mapping(self, start: Any, depth: int) -> Mapping:
        get_event = self.get_event
        result = Mapping(self.display, start.start_mark)
        key_marks = result.key_locs.marks
        value_marks = result.value_locs.marks
        while True:
            key_event = get_event()
            kind = type(key_event)
            if kind is _ScalarEvent:
                key = self.scalar_value(key_event)
            elif kind is _MappingEndEvent:
                return result
            else:
                key = self.value(key_event, depth)
            value_event = get_event()
            kind = type(value_event)
            if kind is _ScalarEvent:
                value = self.scalar_value(value_event)
            else:
                value = self.value(value_event, depth)
            if type(key) is not str:
                if key is not BROKEN:  # its problem is already reported
                    self.problems.add(self.loc(key_event.start_mark), _key_message(key, key_event))
                continue
            if key in key_marks:
                first = key_marks[key].line + 1
                self.problems.add(
                    self.loc(key_event.start_mark),
                    f"duplicate key '{key}' (first defined at line {first})",
                )
                continue
            result[key] = value
            key_marks[key] = key_event.start_mark
            value_marks[key] = value_event.start_mark

    def sequence(self, start: Any, depth: int) -> Sequence:
        get_event = self.get_event
        result = Sequence(self.display, start.start_mark)
        append = result.append
        append_mark = result.item_locs.marks.append
        while True:
            event = get_event()
            kind = type(event)
            if kind is _ScalarEvent:
                append_mark(event.start_mark)
                append(self.scalar_value(event))
            elif kind is _SequenceEndEvent:
                return result
            else:
                append_mark(event.start_mark)
                append(self.value(event, depth))


def _comment_starts(text: str) -> set[int]:
    """Every index from which spaces or tabs run on to a '#': where a plain scalar that
    ends there is followed by a comment.

    One search for '#' per file (most have none) rather than a look at the text after
    each of its plain scalars.
    """
    starts = set()
    find = text.find
    at = find("#")
    while at != -1:
        before = at
        while before and text[before - 1] in " \t":
            before -= 1
            starts.add(before)
        at = find("#", at + 1)
    return starts
