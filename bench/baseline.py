"""The floor for `ankigen build`: the same notes written straight with genanki.

    python bench/baseline.py SIZE OUT_DIR

No YAML, no validation, no previous build to compare with: the cards come from the
benchmark's generator in memory, and each section becomes one .apkg via
`Package.write_to_file`. The note types are ankigen's own, imported, so both sides make
the same notes and cards.
"""

from __future__ import annotations

import sys
from html import escape
from pathlib import Path

import genanki

from ankigen.kinds import KINDS
from ankigen.notes import NoteType
from bench import make_sections


def _model(note_type: NoteType) -> genanki.Model:
    return genanki.Model(
        note_type.id,
        note_type.name,
        fields=[{"name": name} for name in note_type.fields],
        templates=[{"name": t.name, "qfmt": t.front, "afmt": t.back} for t in note_type.templates],
        css=note_type.css,
        model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
    )


# ankigen's own note types (ids, fields, templates, CSS), so both sides make the same notes
# and cards however those change.
MODELS = {name: _model(kind.note_type) for name, kind in KINDS.items()}


def _note(kind: str, values: dict[str, str], tags: list[str], guid: str) -> genanki.Note:
    # Fields by name, in the note type's order; any field not given stays empty.
    model = MODELS[kind]
    fields = [values.get(field["name"], "") for field in model.fields]
    return genanki.Note(model, fields, tags=tags, guid=guid)


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
        values = {
            "Term": escape(card["term"]),
            "Meaning": escape(card["meaning"]),
            "Note": note,
            "Reverse": "y" if card.get("reverse") else "",
        }
        return [_note(kind, values, tags, guid)]
    if kind == "command":
        values = {"Command": escape(card["command"]), "Meaning": escape(card["meaning"])}
        return [_note(kind, {**values, "Note": note}, tags, guid)]
    if kind == "cloze":
        items = "".join(
            f"<li>{{{{c{n}::{escape(item)}}}}}</li>"
            for n, item in enumerate(card["items"], start=1)
        )
        text = f'<div class="prompt">{escape(card["prompt"])}</div><ul class="items">{items}</ul>'
        return [_note(kind, {"Text": text, "Note": note}, tags, guid)]
    return [
        _note(
            kind,
            {
                "Table": escape(card["title"]),
                "Row": escape(r["label"]),
                "Column": escape(c["label"]),
                "Value": escape(card["cells"][r["key"]][c["key"]]),
                "Grid": _grid(card, (r["key"], c["key"])),
                "Note": note,
            },
            tags,
            genanki.guid_for("ankigen", card["id"], r["key"], c["key"]),
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
