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

NOTE_TYPE = NoteType(
    # Published: this id and the field and template names must never change (see NoteType).
    id=1225261836,
    name="ankigen Table cell",
    fields=("Table", "Row", "Column", "Value", "Grid", "Note", *notes.IMAGE_FIELDS),
    templates=(
        Template(
            "Cell",
            # Row and column on two labelled lines: a separator such as "×" could be a value.
            '<div class="context">{{Table}}</div><div class="prompt axes">'
            '<div><span class="axis">行</span> {{Row}}</div>'
            '<div><span class="axis">列</span> {{Column}}</div></div>' + notes.FRONT_IMAGE,
            '{{FrontSide}}<hr id="answer"><div class="answer">{{Value}}</div>'
            '<div class="grid">{{Grid}}</div>' + notes.BACK_IMAGE + notes.NOTE_BLOCK,
        ),
    ),
)


def finish(values: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """Every row has every column, and nothing else."""
    rows: list[Header] = values["rows"]
    columns: list[Header] = values["columns"]
    cells: Mapping = values["cells"]
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


def generate(card: Card) -> list[Note]:
    rows: list[Header] = card["rows"]
    columns: list[Header] = card["columns"]
    # Escape every label and value once; each cell's note only moves the highlight.
    values = {key: text_html(value) for key, value in card["cells"].items()}
    row_labels = [text_html(r.label) for r in rows]
    column_labels = [text_html(c.label) for c in columns]
    head = "".join(f"<th>{label}</th>" for label in column_labels)
    title, note = text_html(card["title"]), text_html(card.note or "")

    def grid(asked: tuple[str, str]) -> str:
        # Two views of the same cells; card.css shows the one that fits the screen. On a
        # phone, the asked row comes first as a list (column label over value) so the
        # asked cell is on screen, and the whole table follows, one block per row. Each
        # cell carries its column label, shown only when the table is folded.
        asked_row = ""
        body = []
        for row, row_label in zip(rows, row_labels, strict=True):
            cells = []
            items = []
            for column, column_label in zip(columns, column_labels, strict=True):
                mark = ' class="asked"' if (row.key, column.key) == asked else ""
                value = values[row.key, column.key]
                cells.append(f'<td{mark}><span class="label">{column_label}</span>{value}</td>')
                items.append(f"<div{mark}><dt>{column_label}</dt><dd>{value}</dd></div>")
            body.append(f"<tr><th>{row_label}</th>{''.join(cells)}</tr>")
            if row.key == asked[0]:
                asked_row = (
                    f'<div class="row-list"><div class="row-label">{row_label}</div>'
                    f"<dl>{''.join(items)}</dl></div>"
                )
        return (
            f"{asked_row}<table><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    cell_notes = []
    for row, row_label in zip(rows, row_labels, strict=True):
        for column, column_label in zip(columns, column_labels, strict=True):
            asked = (row.key, column.key)
            fields = (title, row_label, column_label, values[asked], grid(asked), note)
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
)
