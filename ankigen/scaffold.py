"""`ankigen new`: a valid section file with one example of every kind."""

from __future__ import annotations

import os
from pathlib import Path

from ankigen.errors import AnkigenError, UsageError
from ankigen.kinds import KINDS
from ankigen.names import section_id_problem

SCHEMA_NAME = "card-file.schema.json"


def new_section(cards_dir: Path, section_id: str) -> list[Path]:
    """Write the section file, and a schema for editors if none is at hand; return both."""
    if problem := section_id_problem(section_id):  # the rule a card file's id follows
        raise UsageError(problem)
    path = cards_dir / f"{section_id}.yaml"
    if path.exists():
        raise AnkigenError(f"{path}: already exists (left as it is)")
    schema, write_schema = _schema_for(cards_dir)
    reference = Path(os.path.relpath(schema, cards_dir)).as_posix()
    header = (
        f"# yaml-language-server: $schema={reference}\n"
        f"id: {section_id}\n"
        f"title: {section_id}\n"
        "# description: shown under the title on the deck's overview screen in Anki\n"
        f'deck: "{section_id}"\n'
        "tags: []\n"
        "cards:\n"
    )
    body = "\n".join(kind.example.format(section=section_id) for kind in KINDS.values())
    written = []
    try:
        cards_dir.mkdir(parents=True, exist_ok=True)
        if write_schema:
            write_schema_file(schema)
            written.append(schema)
        with path.open("x", encoding="utf-8") as f:
            f.write(header + body)
        written += _example_files(cards_dir)
        written += _gitignore(cards_dir.parent)
    except OSError as e:
        raise AnkigenError(f"{e.filename}: cannot write: {e.strerror}") from None
    return [path, *written]


def _example_files(cards_dir: Path) -> list[Path]:
    """The files the examples need (the note kind's note type), where none is yet."""
    written = []
    for kind in KINDS.values():
        for name, text in kind.example_files.items():
            path = cards_dir / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8", newline="\n")
                written.append(path)
    return written


GITIGNORE = """\
# Written by `ankigen new`. Commit your card files with .ankigen-ids, the identity file
# beside them: it keeps each note's identity, and so your reviews, on any machine. What a
# build keeps beside the decks is a cache: it stays out of git.
.ankigen-build.json
.ankigen-pending.json
.ankigen-unpulled.json
!.ankigen-ids
"""


def _gitignore(folder: Path) -> list[Path]:
    """A .gitignore in the folder that holds the cards folder, unless it has one."""
    path = folder / ".gitignore"
    if path.exists():
        return []
    path.write_text(GITIGNORE, encoding="utf-8", newline="\n")
    return [path]


def _schema_for(cards_dir: Path) -> tuple[Path, bool]:
    """The schema the new file names, and whether it must be written first."""
    # A clone of ankigen keeps the schema in schema/, next to cards/.
    beside = cards_dir.parent / "schema" / SCHEMA_NAME
    if beside.is_file():
        return beside, False
    inside = cards_dir / SCHEMA_NAME
    # A link that leads nowhere is there too: writing it would make a file wherever it leads.
    return inside, not (inside.exists() or inside.is_symlink())


def write_schema_file(path: Path) -> None:
    from ankigen.schema import card_file_schema_text

    path.write_text(card_file_schema_text(), encoding="utf-8", newline="\n")
