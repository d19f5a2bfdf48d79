"""The event-based reader gives the values PyYAML's safe loader gives, with locations."""

from __future__ import annotations

import datetime

import pytest
import yaml

from ankigen.errors import Loc, Problems
from ankigen.load import parse

PLAIN_SCALARS = [
    "yes", "No", "TRUE", "off", "ON", "null", "Null", "~", "", "y", "n", "term", "tags",
    "Yesterday", "oN", "nULL", "noway", "1", "1.5", "-2", "+1", "0x1F", "0o17", "1_000",
    ".inf", "-.INF", ".NaN", "1e3", "2024-01-01", "○", "ポート", "docker ps -a",
]  # fmt: skip


@pytest.mark.parametrize("text", PLAIN_SCALARS)
def test_plain_scalars_read_as_pyyaml_reads_them(text):
    expected = yaml.safe_load(f"k: {text}\n")["k"]
    if isinstance(expected, datetime.date):
        expected = text  # an unquoted date on a card is text
    got = parse(f"k: {text}\n", "t.yaml", Problems())["k"]
    assert type(got) is type(expected)
    assert got == expected or (got != got and expected != expected)  # NaN


@pytest.mark.parametrize("text", ["=", "<<", "2024-01-01"])
def test_scalars_yaml_gives_odd_types_are_text(text):
    assert parse(f"k: {text}\n", "t.yaml", Problems())["k"] == text


def test_locations_are_one_based_lines_and_columns():
    data = parse("id: x\ncards:\n  - term: 用語\n    meaning: 意味\n", "c.yaml", Problems())
    card = data["cards"][0]
    assert data.loc == Loc("c.yaml", 1, 1)
    assert data.value_locs["cards"] == Loc("c.yaml", 3, 3)
    assert data["cards"].item_locs[0] == Loc("c.yaml", 3, 5)
    assert card.key_locs["meaning"] == Loc("c.yaml", 4, 5)
    assert card.value_locs["meaning"] == Loc("c.yaml", 4, 14)
    assert list(data["cards"].item_locs) == [Loc("c.yaml", 3, 5)]
