"""One value of a card file changed in place: the rest of the file byte for byte."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ankigen.yamledit import Edit, EditError, apply

FILE = """\
# yaml-language-server: $schema=../schema/card-file.schema.json
id: demo
title: "Demo"   # the title
deck: Demo
cards:
  # a term
  - id: t1
    kind: term
    term: 'コンテナ'
    meaning: {meaning}
    note: keep me   # a comment that stays

  - id: tab
    kind: table
    title: T
    rows:
      - {{key: a, label: A}}
    columns:
      - {{key: b, label: B}}
    cells:
      a: {{b: {cell}}}
    tags:
      - one
      - two
"""

_TEXT = st.lists(
    st.sampled_from(
        list("ab 日本:#'\"-?&*!|>{}[],%@`\\") + ["\n", ": ", " #", "- ", "yes", "1.5", "~", "\t"]
    ),
    min_size=1,
    max_size=12,
).map(lambda parts: "".join(parts).strip() or "x")
_STYLES = st.sampled_from([None, "'", '"', "|", ">"])


def _written(text: str, style: str | None, indent: int) -> str:
    dumped = yaml.dump(text, default_style=style, allow_unicode=True, width=1 << 30)
    dumped = dumped.removesuffix("\n...\n").removesuffix("\n")
    return dumped.replace("\n", "\n" + " " * indent)


def _span(text: str, path: tuple[str | int, ...]) -> tuple[int, int]:
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    for step in path:
        if isinstance(step, int):
            node = node.value[step]
        else:
            node = next(v for k, v in node.value if k.value == step)
    return node.start_mark.index, node.end_mark.index


def _check(before: str, path: tuple[str | int, ...], new: str) -> str:
    after = apply(before, [Edit(path, new)])
    data = yaml.safe_load(after)
    expected = yaml.safe_load(before)
    holder, value = expected, data
    for step in path[:-1]:
        holder, value = holder[step], value[step]
    holder[path[-1]] = new
    assert data == expected  # the new value, and every other value as it was
    start, end = _span(before, path)
    assert after[:start] == before[:start]  # every byte before the value...
    assert after.endswith(before[end:])  # ...and after it
    return after


@settings(max_examples=300, deadline=None)
@given(old=_TEXT, old_style=_STYLES, new=_TEXT)
def test_a_block_value_takes_any_text(old: str, old_style: str | None, new: str) -> None:
    before = FILE.format(meaning=_written(old, old_style, 6), cell="x")
    _check(before, ("cards", 0, "meaning"), new)


@settings(max_examples=200, deadline=None)
@given(old=_TEXT, old_style=st.sampled_from([None, "'", '"']), new=_TEXT)
def test_a_value_in_a_flow_mapping_takes_any_text(
    old: str, old_style: str | None, new: str
) -> None:
    before = FILE.format(meaning="m", cell=_written(old, old_style, 0).replace("\n", " "))
    try:  # written for a block, the old text may not be one a flow mapping can hold
        assume(yaml.safe_load(before)["cards"][1]["cells"]["a"]["b"] == old)
    except yaml.YAMLError:
        assume(False)
    _check(before, ("cards", 1, "cells", "a", "b"), new)


def test_the_style_is_kept_when_it_can_hold_the_text() -> None:
    before = FILE.format(meaning="old words", cell="'x'")
    after = apply(before, [Edit(("cards", 0, "meaning"), "new words")])
    assert after == before.replace("meaning: old words", "meaning: new words")
    after = apply(before, [Edit(("cards", 1, "cells", "a", "b"), "it's")])
    assert after == before.replace("{b: 'x'}", "{b: 'it''s'}")
    block = FILE.format(meaning="|-\n      line one\n      line two", cell="x")
    after = apply(block, [Edit(("cards", 0, "meaning"), "line one\nline 2")])
    assert after == block.replace("line two", "line 2")


def test_a_plain_value_that_would_read_differently_is_quoted() -> None:
    before = FILE.format(meaning="old", cell="x")
    for new, written in [
        ("a: b", '"a: b"'),
        ("x # y", '"x # y"'),
        ("yes", '"yes"'),
        ("- item", '"- item"'),
    ]:
        after = apply(before, [Edit(("cards", 0, "meaning"), new)])
        assert after == before.replace("meaning: old", f"meaning: {written}")


def test_several_lines_become_a_block() -> None:
    before = FILE.format(meaning="old", cell="x")
    after = apply(before, [Edit(("cards", 0, "meaning"), "one\n\ntwo")])
    assert after == before.replace("meaning: old", "meaning: |-\n      one\n\n      two")
    # In a flow mapping a block cannot be: double quotes.
    after = apply(before, [Edit(("cards", 1, "cells", "a", "b"), "one\ntwo")])
    assert after == before.replace("{b: x}", '{b: "one\\ntwo"}')


def test_keys_are_added_and_removed_on_lines_of_their_own() -> None:
    before = FILE.format(meaning="m", cell="x")
    after = apply(before, [Edit(("cards", 0, "hint"), "a hint")])
    assert after == before.replace(
        "    note: keep me   # a comment that stays\n",
        "    note: keep me   # a comment that stays\n    hint: a hint\n",
    )
    after = apply(before, [Edit(("cards", 0, "note"), None)])
    assert after == before.replace("    note: keep me   # a comment that stays\n", "")


def test_tags_keep_their_list_style() -> None:
    before = FILE.format(meaning="m", cell="x")
    after = apply(before, [Edit(("cards", 1, "tags"), ["one", "three: x"])])
    assert after == before.replace("      - two\n", '      - "three: x"\n')
    after = apply(before, [Edit(("cards", 0, "tags"), ["new"])])
    assert "    hint" not in after and "    tags: [new]\n\n  - id: tab" in after


def test_a_path_not_in_the_file_is_an_error() -> None:
    with pytest.raises(EditError, match=r"cards\[5\]\.meaning is not in the file"):
        apply(FILE.format(meaning="m", cell="x"), [Edit(("cards", 4, "meaning"), "x")])
