"""Read card files into plain data that remembers where each value was written.

Card files are data, never code: only the YAML core types are accepted, explicit tags
such as `!!python/object` are refused without being constructed, and anchors/aliases
are refused so an alias bomb cannot expand.
"""

from __future__ import annotations

import re
import unicodedata
from collections import abc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from ankigen.errors import LazyLoc, Loc, Problems
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


def _loc(path: str, mark: Any, _new: Any = tuple.__new__) -> Loc:
    # tuple.__new__ directly: a NamedTuple's own __new__ is a Python-level wrapper.
    return _new(Loc, (path, mark.line + 1, mark.column + 1))


# The parser's marks are kept and turned into a Loc only when a message needs one: a
# card file has a location for every value, and almost none is ever printed.
# (Slots, and no super().__init__() that has nothing to do: a card file makes three of
# these objects for every mapping it holds, 120k at 20k cards.)
class _MarkLocs(abc.Mapping[str, Loc]):
    __slots__ = ("path", "marks")

    def __init__(self, path: str) -> None:
        self.path = path
        self.marks: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Loc:
        return _loc(self.path, self.marks[key])

    def get(self, key: str, default: Any = None) -> Any:
        mark = self.marks.get(key)
        return default if mark is None else _loc(self.path, mark)

    def lazy(self, key: str) -> LazyLoc:
        return LazyLoc(self.path, self.marks[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self.marks)

    def __len__(self) -> int:
        return len(self.marks)


class _MarkLocList(abc.Sequence[Loc]):
    __slots__ = ("path", "marks")

    def __init__(self, path: str) -> None:
        self.path = path
        self.marks: list[Any] = []

    def __getitem__(self, index: int) -> Loc:  # type: ignore[override]
        return _loc(self.path, self.marks[index])

    def __iter__(self) -> Iterator[Loc]:
        path = self.path
        return (_loc(path, mark) for mark in self.marks)

    def __len__(self) -> int:
        return len(self.marks)


class Mapping(dict[str, Any]):
    """A YAML mapping with the location of itself, its keys and its values."""

    __slots__ = ("_mark", "key_locs", "value_locs")

    def __init__(self, path: str, mark: Any) -> None:
        self._mark = mark
        self.key_locs = _MarkLocs(path)
        self.value_locs = _MarkLocs(path)

    @property
    def loc(self) -> Loc:
        return _loc(self.key_locs.path, self._mark)


class Sequence(list[Any]):
    """A YAML sequence with the location of itself and of each item."""

    __slots__ = ("_mark", "item_locs")

    def __init__(self, path: str, mark: Any) -> None:
        self._mark = mark
        self.item_locs = _MarkLocList(path)

    @property
    def loc(self) -> Loc:
        return _loc(self.item_locs.path, self._mark)


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


# Characters no card may hold: C0 and C1 controls (tab, line feed and carriage return
# are how text is laid out), DEL, the non-characters U+FFFE/U+FFFF and lone surrogates.
# U+001F is Anki's field separator: one in a field and Anki refuses the whole package.
_FORBIDDEN_IN_FILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# Escapes in double-quoted text ("\x1f", "\u001f") may make any of them, and \r too.
_FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_MAX_REPORTED = 10  # a binary file would otherwise give a message per byte


_C0_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def character_name(char: str) -> str:
    """U+001B (control character ESC): how a message names a character it refuses."""
    code = ord(char)
    if code < 0x20:
        name = f"control character {_C0_NAMES[code]}"
    elif code == 0x7F:
        name = "control character DEL"
    elif 0x80 <= code <= 0x9F:
        name = "C1 control character"
    elif 0xD800 <= code <= 0xDFFF:
        name = "lone surrogate"
    else:
        name = unicodedata.name(char, "non-character")
    return f"U+{code:04X} ({name})"


def _forbidden_characters(text: str, display: str, problems: Problems) -> bool:
    found = False
    for count, match in enumerate(_FORBIDDEN_IN_FILE.finditer(text)):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        col = start - (text.rfind("\n", 0, start) + 1) + 1
        if count == _MAX_REPORTED:
            problems.add(Loc(display, line, col), "more characters that are not allowed from here")
            break
        problems.add(
            Loc(display, line, col),
            f"character {character_name(match.group())} is not allowed in a card file; remove it",
        )
        found = True
    return found


def parse(text: str, display: str, problems: Problems, show_source: bool = True) -> Any:
    if _FORBIDDEN_IN_FILE.search(text) and _forbidden_characters(text, display, problems):
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
        return _loc(self.display, mark)

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
        if event.style == '"' and _FORBIDDEN_IN_TEXT.search(value):
            # Only a double-quoted scalar has escapes; a raw character was refused earlier.
            char = _FORBIDDEN_IN_TEXT.search(value).group()  # type: ignore[union-attr]
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

    # mapping() and sequence() take a scalar that is text no check has anything to say
    # about without calling value() and scalar() (and comment_after()): that is nearly
    # every one of the 330k scalars of 20k cards, and those calls were a quarter of the
    # time spent reading. scalar_value() sends to scalar() one with a tag, one quoted
    # with " (its escapes may make a forbidden character), and a plain one that is empty,
    # may be read as other than text, or is followed by a comment; the rest, quoted with
    # ' or a block (| or >) or plain, is its own text. (Where a scalar ends is not asked
    # in a file without '#': a mark makes a new int for it every time.)

    def scalar_value(self, event: Any) -> Any:
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
