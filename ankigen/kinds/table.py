"""A comparison table asked one cell at a time: one note per cell."""

from __future__ import annotations

from typing import Any

from ankigen import notes
from ankigen.cards import Card
from ankigen.kinds import Kind
from ankigen.load import Mapping
from ankigen.markup import text_html
from ankigen.notes import Note, NoteType, Template
from ankigen.schema import Context, Header, Headers, TableCells, Text, describe
from ankigen.slots import History

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1595527345,
    name="ankigen Table cell v2",
    fields=("Table", "Row", "Column", "Value", "Grid", "Hint", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Cell",
            '<div class="context">{{Table}}</div><div class="prompt">{{Row}} × {{Column}}</div>'
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


def finish(values: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """Every row has every column, and nothing else; and the table is not too big."""
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
    column_keys = [c.key for c in columns]
    grid: dict[tuple[str, str], str] = {}
    ok = True
    for row_key in cells:
        if row_key not in row_keys:
            ctx.problems.add(
                cells.key_locs[row_key],
                f"{ctx.prefix}'cells': unknown row '{row_key}' (rows are: {', '.join(row_keys)})",
            )
            ok = False
    for row in rows:
        if row.key not in cells:
            ctx.problems.add(cells.loc, f"{ctx.prefix}'cells': row '{row.key}' is missing")
            ok = False
            continue
        line = cells[row.key]
        where = f"cells.{row.key}"
        if not isinstance(line, Mapping):
            ctx.error(cells.value_locs[row.key], where, f"expected a mapping, got {describe(line)}")
            ok = False
            continue
        for column_key in line:
            if column_key not in column_keys:
                ctx.error(
                    line.key_locs[column_key],
                    where,
                    f"unknown column '{column_key}' (columns are: {', '.join(column_keys)})",
                )
                ok = False
        for column in columns:
            if column.key not in line:
                ctx.error(line.loc, where, f"column '{column.key}' is missing")
                ok = False
                continue
            value = Text().check(
                line[column.key], line.value_locs[column.key], f"{where}.{column.key}", ctx
            )
            if value is None:
                ok = False
            else:
                grid[row.key, column.key] = value
    if not ok:
        return None
    return {**values, "cells": grid}


def generate(card: Card, _history: History) -> list[Note]:
    rows: list[Header] = card["rows"]
    columns: list[Header] = card["columns"]
    # Escape every label and value once; each cell's note only moves the highlight.
    values = {key: text_html(value) for key, value in card["cells"].items()}
    row_labels = [text_html(r.label) for r in rows]
    column_labels = [text_html(c.label) for c in columns]
    head = "".join(f"<th>{label}</th>" for label in column_labels)
    title = text_html(card["title"])

    def grid(asked: tuple[str, str]) -> str:
        body = []
        for row, row_label in zip(rows, row_labels, strict=True):
            cells = "".join(
                f'<td class="asked">{values[row.key, c.key]}</td>'
                if (row.key, c.key) == asked
                else f"<td>{values[row.key, c.key]}</td>"
                for c in columns
            )
            body.append(f"<tr><th>{row_label}</th>{cells}</tr>")
        return (
            f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )

    cell_notes = []
    for row, row_label in zip(rows, row_labels, strict=True):
        for column, column_label in zip(columns, column_labels, strict=True):
            asked = (row.key, column.key)
            fields = {
                "Table": title,
                "Row": row_label,
                "Column": column_label,
                "Value": values[asked],
                "Grid": grid(asked),
            }
            cell_notes.append(notes.note_of(card, NOTE_TYPE, fields, row.key, column.key))
    return cell_notes


EXAMPLE = """\
  - id: {section}-network-modes
    kind: table
    title: ネットワークモードと通信可否
    rows:
      - {{key: nat, label: NAT}}
      - {{key: bridged, label: ブリッジアダプター}}
    columns:
      - {{key: host-to-guest, label: ホストOS → ゲストOS}}
    cells:
      nat: {{host-to-guest: ポートフォワーディング設定時のみ}}
      bridged: {{host-to-guest: "○"}}
"""

KIND = Kind(
    name="table",
    fields={"title": Text(), "rows": Headers(), "columns": Headers(), "cells": TableCells()},
    note_type=NOTE_TYPE,
    generate=generate,
    example=EXAMPLE,
    finish=finish,
    retired=RETIRED,
)
