"""`ankigen new`: a valid section file with one example of every kind."""

from __future__ import annotations

from pathlib import Path

from ankigen.errors import AnkigenError, UsageError
from ankigen.kinds import KINDS
from ankigen.schema import SLUG_RE


def new_section(cards_dir: Path, section_id: str) -> Path:
    # fullmatch: `$` also matches before a final newline, and a file name must not end in one.
    if not SLUG_RE.fullmatch(section_id):
        raise UsageError(
            f"{section_id!r} is not a valid section id (use lowercase letters, digits and hyphens)"
        )
    path = cards_dir / f"{section_id}.yaml"
    if path.exists():
        raise AnkigenError(f"{path}: already exists (left as it is)")
    header = (
        "# yaml-language-server: $schema=../schema/card-file.schema.json\n"
        f"id: {section_id}\n"
        f"title: {section_id}\n"
        f'deck: "{section_id}"\n'
        "tags: []\n"
        "cards:\n"
    )
    body = "\n".join(kind.example.format(section=section_id) for kind in KINDS.values())
    try:
        cards_dir.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:
            f.write(header + body)
    except OSError as e:
        raise AnkigenError(f"{path}: cannot write: {e.strerror}") from None
    return path
