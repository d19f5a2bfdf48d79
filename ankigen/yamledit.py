"""Change one value of a card file in place: only that value's text changes.

Comments, key order, quoting and every other line stay byte for byte. The value is found
by its path (`("cards", 3, "meaning")`) in the nodes PyYAML composes, whose marks say where
it starts and ends; the new text takes the value's own style when that style can hold it
(plain, quoted, a `|` block), else double quotes, or a `|-` block for several lines. Each
result is loaded back and must hold exactly the new value and everything else as before;
`EditError` says when no way of writing it does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]
# A value: text, a list of texts (tags), or None to remove the key.
Value = str | list[str] | None
# libyaml where there is one (the marks are the same): each edit reads the file twice.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class EditError(ValueError):
    """The value cannot be written there (a path that is not in the file, say)."""


@dataclass(frozen=True)
class Edit:
    path: Path
    value: Value


def apply(text: str, edits: Sequence[Edit]) -> str:
    """The file's text with each edit made, one after the other."""
    for edit in edits:
        text = _apply(text, edit)
    return text


def _apply(text: str, edit: Edit) -> str:
    root = yaml.compose(text, Loader=_Loader)
    before = yaml.load(text, Loader=_Loader)
    *parents, last = _walk(root, edit.path)
    expected = _replaced(before, edit.path, edit.value)
    owner = parents[-1] if parents else None
    for candidate in _candidates(text, owner, last, edit):
        try:
            if yaml.load(candidate, Loader=_Loader) == expected:
                return candidate
        except yaml.YAMLError:
            continue
    raise EditError(f"cannot write {edit.value!r} at {_shown(edit.path)}")


def _shown(path: Path) -> str:
    return "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


def _walk(root: Any, path: Path) -> list[Any]:
    """The nodes along the path; the last is None where the last key is not there."""
    nodes = [root]
    for i, step in enumerate(path):
        node = nodes[-1]
        if isinstance(step, int) and isinstance(node, yaml.SequenceNode) and step < len(node.value):
            nodes.append(node.value[step])
            continue
        if isinstance(step, str) and isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if k.value == step]
            if found:
                nodes.append(found[0])
                continue
            if i == len(path) - 1:
                nodes.append(None)
                continue
        raise EditError(f"{_shown(path)} is not in the file")
    return nodes


def _replaced(data: Any, path: Path, value: Value) -> Any:
    """The loaded file's data with the value at `path` replaced (or its key removed)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, list):
        items = list(data)
        items[int(head)] = _replaced(items[int(head)], rest, value)
        return items
    mapping = dict(data)
    if not rest and value is None:
        mapping.pop(head, None)
    else:
        mapping[head] = _replaced(mapping.get(head), rest, value)
    return mapping


def _candidates(text: str, owner: Any, node: Any, edit: Edit) -> Iterator[str]:
    key = edit.path[-1]
    if edit.value is None:
        if node is not None:
            yield _removed(text, owner, key)
        else:
            yield text
        return
    if node is None:
        yield from _inserted(text, owner, str(key), edit.value)
        return
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(edit.value, list):
        for written in _lists(edit.value, node, text):
            yield text[:start] + written + text[end:]
        return
    flow = owner is not None and owner.flow_style
    for written in _scalars(edit.value, node, text, flow):
        yield text[:start] + written + text[end:]


def _indent_of(text: str, index: int) -> int:
    """How far the line holding `index` is indented."""
    line_start = text.rfind("\n", 0, index) + 1
    line = text[line_start:index]
    return len(line) - len(line.lstrip(" "))


def _scalars(value: str, node: Any, text: str, flow: bool) -> Iterator[str]:
    # (libyaml says "" for a plain scalar, PyYAML None)
    style = (node.style or None) if isinstance(node, yaml.ScalarNode) else None
    multiline = "\n" in value
    if style in ("|", ">") and not flow:
        yield _block(value, node, text)
    # Never a tab in a plain scalar: libyaml reads one in a flow mapping, PyYAML's own
    # scanner (and so other tools) refuses it.
    if style is None and not multiline and "\t" not in value:
        yield value
    if style == "'" and not multiline:
        yield "'" + value.replace("'", "''") + "'"
    if multiline and not flow:
        yield _block(value, node, text)
    yield _double_quoted(value)


def _double_quoted(value: str) -> str:
    dumped = yaml.dump(value, default_style='"', allow_unicode=True, width=1 << 30)
    return dumped.removesuffix("\n")


def _block(value: str, node: Any, text: str) -> str:
    """A `|-` block (so it loads back without a final line break), indented as the value's
    own block was, or two spaces more than its key's line."""
    start, end = node.start_mark.index, node.end_mark.index
    indent = _indent_of(text, start) + 2
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        body = text[start:end].split("\n")[1:]
        lines = [line for line in body if line.strip()]
        if lines:
            indent = min(len(line) - len(line.lstrip(" ")) for line in lines)
    pad = " " * indent
    lines = [pad + line if line else "" for line in value.split("\n")]
    return "|-\n" + "\n".join(lines) + _tail(text[start:end])


def _tail(span: str) -> str:
    """The line breaks (and blank lines) a block value's span ends with: they belong to
    the lines after it, and stay as they were."""
    rest = span[len(span.rstrip()) :]
    return rest[rest.find("\n") :] if "\n" in rest else ""


def _lists(value: list[str], node: Any, text: str) -> Iterator[str]:
    items = [_plain_or_quoted(item) for item in value]
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and value:
        pad = " " * node.start_mark.column
        written = f"\n{pad}".join(f"- {item}" for item in items)
        yield written + _tail(text[node.start_mark.index : node.end_mark.index])
    yield "[" + ", ".join(items) + "]"
    yield "[" + ", ".join(_double_quoted(item) for item in value) + "]"


def _plain_or_quoted(item: str) -> str:
    try:
        if "\t" not in item and yaml.load(f"[{item}]", Loader=_Loader) == [item]:
            return item
    except yaml.YAMLError:
        pass
    return _double_quoted(item)


def _key_of(owner: Any, key: str | int) -> tuple[Any, Any]:
    for k, v in owner.value:
        if k.value == key:
            return k, v
    raise EditError(f"no key {key}")


def _removed(text: str, owner: Any, key: str | int) -> str:
    """The file without the key's lines (a block mapping's key and its value)."""
    k, v = _key_of(owner, key)
    start = text.rfind("\n", 0, k.start_mark.index) + 1
    end = v.end_mark.index
    if not text[start : k.start_mark.index].strip() and end and text[end - 1] != "\n":
        newline = text.find("\n", end)
        end = len(text) if newline == -1 else newline + 1
    return text[:start] + text[end:]


def _inserted(text: str, owner: Any, key: str, value: str | list[str]) -> Iterator[str]:
    """The key and its value on a line of their own, after the mapping's last line."""
    if owner is None or owner.flow_style or not owner.value:
        return
    first_key = owner.value[0][0]
    pad = " " * first_key.start_mark.column
    end = owner.value[-1][1].end_mark.index
    if text[end - 1 : end] != "\n":
        newline = text.find("\n", end)
        end = len(text) if newline == -1 else newline + 1
        if newline == -1:
            text += "\n"
            end = len(text)
    if isinstance(value, list):
        values = ["[" + ", ".join(_plain_or_quoted(item) for item in value) + "]"]
    elif "\n" in value:
        lines = [f"{pad}  {line}" if line else "" for line in value.split("\n")]
        values = ["|-\n" + "\n".join(lines), _double_quoted(value)]
    else:
        values = [value, _double_quoted(value)]
    for written in values:
        yield f"{text[:end]}{pad}{key}: {written}\n{text[end:]}"


def locate(text: str, path: Path) -> tuple[int, int]:
    """Where the value at `path` is written (line and column from 1), or its mapping when
    the key is not there."""
    nodes = _walk(yaml.compose(text, Loader=_Loader), path)
    node = nodes[-1] if nodes[-1] is not None else nodes[-2]
    return node.start_mark.line + 1, node.start_mark.column + 1
