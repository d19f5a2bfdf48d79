"""`ankigen list`: what each section holds, counted per kind."""

from __future__ import annotations

from typing import Any

from ankigen.cards import Section
from ankigen.kinds import KINDS, generate
from ankigen.package import card_count


def summarize(sections: list[Section]) -> list[dict[str, Any]]:
    rows = []
    for section in sections:
        notes = list(generate(section.cards))
        kinds = {name: sum(c.kind == name for c in section.cards) for name in KINDS}
        rows.append(
            {
                "section": section.id,
                "file": section.path,
                "deck": section.deck,
                "kinds": kinds,
                "notes": len(notes),
                "anki_cards": card_count(notes),
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    header = ["section", "deck", *KINDS, "notes", "anki cards"]
    lines = [
        [
            r["section"],
            r["deck"],
            *(str(r["kinds"][k]) for k in KINDS),
            str(r["notes"]),
            str(r["anki_cards"]),
        ]
        for r in rows
    ]
    total = [
        "total",
        "",
        *(str(sum(r["kinds"][k] for r in rows)) for k in KINDS),
        str(sum(r["notes"] for r in rows)),
        str(sum(r["anki_cards"] for r in rows)),
    ]
    cells = [header, *lines, total]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in cells
    )


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
