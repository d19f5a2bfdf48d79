"""Read card files into plain data that remembers where each value was written.

Card files are data, never code: only the YAML core types are accepted, explicit tags
such as `!!python/object` are refused without being constructed, and anchors/aliases
are refused so an alias bomb cannot expand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from ankigen.errors import Loc, Problems

try:  # libyaml parses several times faster; marks (line/column) are the same.
    _FastLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FastLoader = yaml.SafeLoader

MAX_FILE_BYTES = 32 * 1024 * 1024

_CORE = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_CORE + t for t in ("str", "int", "float", "bool", "null")}
# An unquoted date is almost always meant as text on a card.
_TEXT_TAGS = {_CORE + "str", _CORE + "timestamp"}


class _Broken:
    def __repr__(self) -> str:
        return "BROKEN"


# What a file that could not be read gives: its problems are reported and it is not
# checked further (a check would only repeat them in other words).
BROKEN: Any = _Broken()


class _AliasFound(Exception):
    pass


class Mapping(dict[str, Any]):
    """A YAML mapping with the location of itself, its keys and its values."""

    def __init__(self, loc: Loc) -> None:
        super().__init__()
        self.loc = loc
        self.key_locs: dict[str, Loc] = {}
        self.value_locs: dict[str, Loc] = {}


class Sequence(list[Any]):
    """A YAML sequence with the location of itself and of each item."""

    def __init__(self, loc: Loc) -> None:
        super().__init__()
        self.loc = loc
        self.item_locs: list[Loc] = []


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
    return parse(text, display, problems)


def parse(text: str, display: str, problems: Problems) -> Any:
    loader = _FastLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError:
        _report_syntax_error(text, display, problems)
        return BROKEN
    finally:
        loader.dispose()
    if node is None:
        return None
    converter = _Converter(display, problems)
    try:
        value = converter.convert(node)
    except _AliasFound:
        return BROKEN
    return BROKEN if converter.broken else value


def _report_syntax_error(text: str, display: str, problems: Problems) -> None:
    # Parse again with the pure-Python loader: its messages are the same whether or not
    # libyaml is installed, so users and tests see one wording.
    loader = yaml.SafeLoader(text)
    try:
        loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        assert mark is not None
        loc = Loc(display, mark.line + 1, mark.column + 1)
        if "'\\t'" in str(e.problem):
            problems.add(loc, "YAML syntax error: tab character; indent with spaces")
        else:
            where = ""
            if e.context and e.context_mark and e.context_mark.line != mark.line:
                where = f" ({e.context} at line {e.context_mark.line + 1})"
            problems.add(loc, f"YAML syntax error: {e.problem}{where}")
    else:  # pragma: no cover - the two parsers disagree; still never a traceback
        problems.add(Loc(display, 1, 1), "YAML syntax error")
    finally:
        loader.dispose()


class _Converter:
    def __init__(self, display: str, problems: Problems) -> None:
        self.display = display
        self.problems = problems
        self.seen: set[int] = set()
        self.broken = False
        self.constructor = yaml.SafeLoader("")

    def loc(self, node: yaml.Node) -> Loc:
        return Loc(self.display, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node) -> Any:
        if id(node) in self.seen:
            # The composer hands back the anchored node for every alias of it. Stop at the
            # first: expanding them is how an alias bomb eats memory.
            self.problems.add(
                self.loc(node),
                "YAML anchors and aliases are not supported; write the value out in full",
            )
            raise _AliasFound
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            return self._sequence(node)
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in _TEXT_TAGS:
            return node.value
        if node.tag in _SCALAR_TAGS:
            return self.constructor.construct_object(node)
        tag = node.tag.replace(_CORE, "!!")
        self.problems.add(
            self.loc(node), f"YAML tag '{tag}' is not allowed; card files hold plain text"
        )
        self.broken = True
        return None

    def _mapping(self, node: yaml.MappingNode) -> Mapping | None:
        if node.tag != _CORE + "map":
            return self._scalar(node)
        result = Mapping(self.loc(node))
        for key_node, value_node in node.value:
            key = self.convert(key_node)
            value = self.convert(value_node)
            key_loc = self.loc(key_node)
            if not isinstance(key, str):
                if key is not None:
                    self.problems.add(key_loc, f"key {key!r} must be text")
                continue
            if key in result.key_locs:
                first = result.key_locs[key]
                self.problems.add(
                    key_loc, f"duplicate key '{key}' (first defined at line {first.line})"
                )
                continue
            result[key] = value
            result.key_locs[key] = key_loc
            result.value_locs[key] = self.loc(value_node)
        return result

    def _sequence(self, node: yaml.SequenceNode) -> Sequence | None:
        if node.tag != _CORE + "seq":
            return self._scalar(node)
        result = Sequence(self.loc(node))
        for item in node.value:
            result.append(self.convert(item))
            result.item_locs.append(self.loc(item))
        return result
