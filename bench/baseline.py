"""The floor for `ankigen build`: the same notes written straight with genanki.

    python bench/baseline.py SIZE OUT_DIR

No YAML, no validation, no previous build to compare with: the cards come from the
benchmark's generator in memory, and each section becomes one .apkg via
`Package.write_to_file`. Note types mirror ankigen's (same fields and card templates), so
both sides make the same notes and cards.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

import genanki

from bench import make_sections

_NOTE = '{{#Note}}<div class="note">{{Note}}</div>{{/Note}}'
_ANSWER = '{{FrontSide}}<hr id="answer"><div class="answer">{{%s}}</div>' + _NOTE


def _model(
    model_id: int,
    name: str,
    fields: list[str],
    templates: list[tuple[str, str, str]],
    cloze: bool = False,
) -> genanki.Model:
    return genanki.Model(
        model_id,
        name,
        fields=[{"name": f} for f in fields],
        templates=[{"name": n, "qfmt": q, "afmt": a} for n, q, a in templates],
        model_type=genanki.Model.CLOZE if cloze else genanki.Model.FRONT_BACK,
    )


TERM = _model(
    1627393836,
    "ankigen Term",
    ["Term", "Meaning", "Note", "Reverse"],
    [
        ("Term → Meaning", '<div class="prompt">{{Term}}</div>', _ANSWER % "Meaning"),
        (
            "Meaning → Term",
            '{{#Reverse}}<div class="prompt">{{Meaning}}</div>{{/Reverse}}',
            _ANSWER % "Term",
        ),
    ],
)
COMMAND = _model(
    1951678956,
    "ankigen Command",
    ["Command", "Meaning", "Note"],
    [
        ("Command → Meaning", '<div class="command">{{Command}}</div>', _ANSWER % "Meaning"),
        (
            "Meaning → Command",
            '<div class="prompt">{{Meaning}}</div>{{type:Command}}',
            '<div class="prompt">{{Meaning}}</div><hr id="answer">{{type:Command}}' + _NOTE,
        ),
    ],
)
CLOZE = _model(
    1286995044,
    "ankigen Cloze list",
    ["Text", "Note"],
    [
        ("Cloze", "{{cloze:Text}}", "{{cloze:Text}}" + _NOTE),
    ],
    cloze=True,
)
TABLE = _model(
    1225261836,
    "ankigen Table cell",
    ["Table", "Row", "Column", "Value", "Grid", "Note"],
    [
        (
            "Cell",
            '<div class="context">{{Table}}</div><div class="prompt">{{Row}} × {{Column}}</div>',
            _ANSWER % "Value" + '<div class="grid">{{Grid}}</div>',
        ),
    ],
)


def _grid(card: dict, asked: tuple[str, str]) -> str:
    head = "".join(f"<th>{escape(c['label'])}</th>" for c in card["columns"])
    body = []
    for r in card["rows"]:
        cells = []
        for c in card["columns"]:
            css = ' class="asked"' if (r["key"], c["key"]) == asked else ""
            cells.append(f"<td{css}>{escape(card['cells'][r['key']][c['key']])}</td>")
        body.append(f"<tr><th>{escape(r['label'])}</th>{''.join(cells)}</tr>")
    return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def notes_for(card: dict, tags: list[str]) -> list[genanki.Note]:
    note = escape(card.get("note", ""))
    guid = genanki.guid_for("ankigen", card["id"])
    kind = card["kind"]
    if kind == "term":
        fields = [
            escape(card["term"]),
            escape(card["meaning"]),
            note,
            "y" if card.get("reverse") else "",
        ]
        return [genanki.Note(TERM, fields, tags=tags, guid=guid)]
    if kind == "command":
        fields = [escape(card["command"]), escape(card["meaning"]), note]
        return [genanki.Note(COMMAND, fields, tags=tags, guid=guid)]
    if kind == "cloze":
        items = "".join(
            f"<li>{{{{c{n}::{escape(item)}}}}}</li>"
            for n, item in enumerate(card["items"], start=1)
        )
        text = f'<div class="prompt">{escape(card["prompt"])}</div><ul class="items">{items}</ul>'
        return [genanki.Note(CLOZE, [text, note], tags=tags, guid=guid)]
    return [
        genanki.Note(
            TABLE,
            [
                escape(card["title"]),
                escape(r["label"]),
                escape(c["label"]),
                escape(card["cells"][r["key"]][c["key"]]),
                _grid(card, (r["key"], c["key"])),
                note,
            ],
            tags=tags,
            guid=genanki.guid_for("ankigen", card["id"], r["key"], c["key"]),
        )
        for r in card["rows"]
        for c in card["columns"]
    ]


def main() -> None:
    size, out = int(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for number, section in enumerate(make_sections(size)):
        deck = genanki.Deck(1 << 30 | number, section["deck"])
        for card in section["cards"]:
            tags = [*section["tags"], f"kind::{card['kind']}", *card["tags"]]
            for note in notes_for(card, tags):
                deck.add_note(note)
        genanki.Package(deck).write_to_file(out / f"{section['id']}.apkg")
        # Same summary shape as `ankigen build`, so the benchmark can compare the counts.
        cards = sum(len(n.cards) for n in deck.notes)
        print(f"{out / section['id']}.apkg: {len(deck.notes)} notes, {cards} cards")


if __name__ == "__main__":
    main()
