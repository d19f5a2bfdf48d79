"""A comparison table asked one cell at a time: one note per cell."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ankigen import notes
from ankigen.cards import Card, Piece
from ankigen.errors import Loc, Where
from ankigen.kinds.kind import Back, Derived, Kind
from ankigen.load import Mapping, Sequence
from ankigen.markup import math_html, text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.slots import History
from ankigen.unmarkup import text_of
from ankigen.values import (
    Context,
    Field,
    MappingCheck,
    Slug,
    Text,
    describe,
    mapping_schema,
)

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1595527345,
    name="ankigen Table cell v2",
    fields=("Table", "Row", "Column", "Value", "Grid", "Hint", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Cell",
            # Row and column on two lines of their own: a separator such as "×" could be
            # read as a value. Each may carry the table's name for its axis.
            '<div class="context">{{Table}}</div><div class="prompt axes">'
            '<div class="row">{{Row}}</div><div class="column">{{Column}}</div></div>'
            + notes.HINT
            + notes.FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Value}}</div>'
            '<div class="grid">{{Grid}}</div>' + notes.BACK_IMAGE + notes.NOTE_BLOCK,
        ),
    ),
)

# Published in 0.1.0, without a Hint field (see CHANGELOG.md).
RETIRED = (
    NoteType(
        id=1225261836,
        name="ankigen Table cell",
        fields=("Table", "Row", "Column", "Value", "Grid", "Note", *notes.IMAGE_FIELDS),
        templates=(Template("Cell", "", ""),),
    ),
)


# Every cell is a note that shows the whole table, so a deck grows with the square of the
# cells (an 80 x 80 table made a 98 MB deck). 200 cells, e.g. 20 rows x 10 columns, is
# also more cards than one table should teach; a bigger table is better split.
MAX_CELLS = 200


@dataclass(frozen=True, slots=True)
class Header:
    key: str
    label: str
    loc: Loc


_HEADER_FIELDS: dict[str, Field] = {"key": Slug(), "label": Text()}
_HEADER_CHECK = MappingCheck(_HEADER_FIELDS)


class Headers(Field):
    """Table rows or columns: a list of {key, label} with unique keys."""

    def json_schema(self) -> dict[str, Any]:
        return {"type": "array", "minItems": 1, "items": mapping_schema(_HEADER_FIELDS)}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> list[Header] | None:
        if not isinstance(value, Sequence) or not value:
            ctx.error(loc, key, f"expected a list of {{key, label}}, got {describe(value)}")
            return None
        headers: list[Header] = []
        keys: set[str] = set()
        ok = True
        for i, (item, item_loc) in enumerate(zip(value, value.item_locs, strict=True)):
            sub = Context(ctx.problems, f"{ctx.prefix}'{key}[{i + 1}]': ")
            checked = _HEADER_CHECK(item, item_loc, sub)
            if checked is None:
                ok = False
                continue
            header_key, label = checked["key"], checked["label"]
            if header_key in keys:
                where = f"{key}[{i + 1}]"
                ctx.error(item.value_locs["key"], where, f"duplicate key '{header_key}'")
                ok = False
                continue
            keys.add(header_key)
            headers.append(Header(header_key, label, item_loc))
        return headers if ok else None


class TableCells(Field):
    """row key -> column key -> text. The table kind checks the shape against its headers."""

    def json_schema(self) -> dict[str, Any]:
        row = {"type": "object", "additionalProperties": Text().json_schema()}
        return {"type": "object", "additionalProperties": row}

    def check(self, value: Any, loc: Where, key: str, ctx: Context) -> Any:
        if not isinstance(value, Mapping):
            ctx.error(loc, key, f"expected a mapping of rows, got {describe(value)}")
            return None
        return value


def finish(values: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """Every row has every column, and nothing else; and the table is not too big."""
    if values["guid"] is not None:
        ctx.error(
            ctx.locs.get("guid", ctx.loc),
            "guid",
            "a table makes one note per cell, so it has no one guid; drop it",
        )
        return None
    rows: list[Header] = values["rows"]
    columns: list[Header] = values["columns"]
    cells: Mapping = values["cells"]
    if len(rows) * len(columns) > MAX_CELLS:
        ctx.problems.add(
            cells.loc,
            f"{ctx.prefix}a table of {len(rows)} rows x {len(columns)} columns has "
            f"{len(rows) * len(columns):,} cells; the limit is {MAX_CELLS} (each cell is a "
            "note that shows the whole table): split it into smaller tables",
        )
        return None
    row_keys = [r.key for r in rows]
    ok = True
    for row_key in cells:
        if row_key not in row_keys:
            ctx.problems.add(
                cells.key_locs[row_key],
                f"{ctx.prefix}'cells': unknown row '{row_key}' (rows are: {', '.join(row_keys)})",
            )
            ok = False
    grid: dict[tuple[str, str], str] = {}
    for row in rows:
        line = _row_cells(cells, row, columns, ctx)
        if line is None:
            ok = False
        else:
            grid.update(((row.key, column), value) for column, value in line.items())
    if not ok:
        return None
    return {**values, "cells": grid}


def _row_cells(
    cells: Mapping, row: Header, columns: list[Header], ctx: Context
) -> dict[str, str] | None:
    """One row's text by column key, checked against the columns."""
    if row.key not in cells:
        ctx.problems.add(cells.loc, f"{ctx.prefix}'cells': row '{row.key}' is missing")
        return None
    line = cells[row.key]
    where = f"cells.{row.key}"
    if not isinstance(line, Mapping):
        ctx.error(cells.value_locs[row.key], where, f"expected a mapping, got {describe(line)}")
        return None
    column_keys = [c.key for c in columns]
    ok = True
    for column_key in line:
        if column_key not in column_keys:
            ctx.error(
                line.key_locs[column_key],
                where,
                f"unknown column '{column_key}' (columns are: {', '.join(column_keys)})",
            )
            ok = False
    texts: dict[str, str] = {}
    for column in columns:
        if column.key not in line:
            ctx.error(line.loc, where, f"column '{column.key}' is missing")
            ok = False
            continue
        at = line.value_locs[column.key]
        value = Text().check(line[column.key], at, f"{where}.{column.key}", ctx)
        if value is None:
            ok = False
        else:
            texts[column.key] = value
    return texts if ok else None


def _axis(name: str | None, math: bool) -> str:
    return f'<span class="axis">{math_html(text_html(name), math)}</span> ' if name else ""


class Grid:
    """What the Grid field shows: two views of the same cells, and card.css shows the one
    that fits the screen. On a phone, the asked row comes first as a list (column label
    over value) so the asked cell is on screen, and the whole table follows, one block per
    row. Each cell carries its column label, shown only when the table is folded.

    Every cell's note marks its own cell: only the asked row is rendered again per note,
    the other rows once per table (a table of 200 cells would make 40,000 otherwise)."""

    def __init__(self, rows: list[tuple[str, list[str]]], columns: list[str]) -> None:
        self.rows, self.columns = rows, columns  # each row's label and values; column labels
        self.head = "".join(f"<th>{column}</th>" for column in columns)
        self.plain = [self._table_row(i, None) for i in range(len(rows))]

    def asked(self, i: int, j: int) -> str:
        """The field of the cell in row i, column j."""
        label, values = self.rows[i]
        items = "".join(
            f"<div{_mark(k == j)}><dt>{column}</dt><dd>{value}</dd></div>"
            for k, (column, value) in enumerate(zip(self.columns, values, strict=True))
        )
        body = "".join((*self.plain[:i], self._table_row(i, j), *self.plain[i + 1 :]))
        return (
            f'<div class="row-list"><div class="row-label">{label}</div><dl>{items}</dl></div>'
            f"<table><thead><tr><th></th>{self.head}</tr></thead><tbody>{body}</tbody></table>"
        )

    def _table_row(self, i: int, asked: int | None) -> str:
        label, values = self.rows[i]
        cells = "".join(
            f'<td{_mark(k == asked)}><span class="label">{column}</span>{value}</td>'
            for k, (column, value) in enumerate(zip(self.columns, values, strict=True))
        )
        return f"<tr><th>{label}</th>{cells}</tr>"


def _mark(asked: bool) -> str:
    return ' class="asked"' if asked else ""


def generate(card: Card, _history: History) -> list[Note]:
    rows: list[Header] = card["rows"]
    columns: list[Header] = card["columns"]
    # Escape every label and value once; each cell's note only moves the highlight.
    math = card.math
    values = {key: math_html(text_html(value), math) for key, value in card["cells"].items()}
    row_labels = [math_html(text_html(r.label), math) for r in rows]
    column_labels = [math_html(text_html(c.label), math) for c in columns]
    title = math_html(text_html(card["title"]), math)
    row_fields = [_axis(card["row_name"], math) + label for label in row_labels]
    column_fields = [_axis(card["column_name"], math) + label for label in column_labels]
    cells = [[values[row.key, column.key] for column in columns] for row in rows]
    grid = Grid(list(zip(row_labels, cells, strict=True)), column_labels)
    make = notes.CardNotes(card, NOTE_TYPE)
    cell_notes = []
    for i, row in enumerate(rows):
        for j, column in enumerate(columns):
            fields = {
                "Table": title,
                "Row": row_fields[i],
                "Column": column_fields[j],
                "Value": values[row.key, column.key],
                "Grid": grid.asked(i, j),
            }
            cell_notes.append(make.note(fields, row.key, column.key))
    return cell_notes


_AXIS = re.compile(r'<span class="axis">(.*?)</span> ?(.*)', re.S)


def back(card: Card, made: Note, field: str, field_html: str) -> list[Back]:
    rows: list[Header] = card["rows"]
    columns: list[Header] = card["columns"]
    # Which cell: generate makes them row by row (whatever its guids are made from).
    place = [note.guid for note in generate(card, {})].index(made.guid)
    i, j = divmod(place, len(columns))
    if field == "Table":
        return [Back(("title",), text_of(field_html, card["title"]), card["title"])]
    if field == "Value":
        at = ("cells", rows[i].key, columns[j].key)
        was = card["cells"][rows[i].key, columns[j].key]
        return [Back(at, text_of(field_html, was), was)]
    if field in ("Row", "Column"):
        key, header = ("rows", rows[i]) if field == "Row" else ("columns", columns[j])
        name_key = f"{key[:-1]}_name"
        axis = _AXIS.fullmatch(field_html)
        name, label = axis.groups() if axis else ("", field_html)
        return [
            Back((name_key,), text_of(name) or None, card[name_key]),
            Back((key, (i if key == "rows" else j), "label"), text_of(label), header.label),
        ]
    raise Derived(f"{field} is made from the table's cells; change them in the file")


def texts(card: Card) -> Iterator[Piece]:
    for key in ("title", "row_name", "column_name"):
        if card[key]:
            yield Piece(key, key, card[key])
    for key in ("rows", "columns"):
        for i, header in enumerate(card[key], 1):
            yield Piece(f"{key}[{i}]", key, header.label, at=header.loc)
    for (row, column), value in card["cells"].items():
        yield Piece(f"cells.{row}.{column}", "cells", value, answer=True)


EXAMPLE = """\
  # table: one card per cell; keep the keys when you rename a label.
  - id: {section}-states-of-water
    kind: table
    title: Water at sea level
    rows:
      - {{key: ice, label: Ice}}
      - {{key: steam, label: Steam}}
    columns:
      - {{key: state, label: State}}
      - {{key: temperature, label: Temperature}}
    cells:
      ice: {{state: solid, temperature: below 0 °C}}
      steam: {{state: gas, temperature: above 100 °C}}
"""

KIND = Kind(
    name="table",
    fields={
        "title": Text(),
        # What the rows and the columns are (e.g. "mode", "direction"), shown on the question.
        "row_name": Text(required=False),
        "column_name": Text(required=False),
        "rows": Headers(),
        "columns": Headers(),
        "cells": TableCells(),
    },
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
    texts=texts,
    asks="one per cell",
    finish=finish,
    retired=RETIRED,
    back=back,
)
