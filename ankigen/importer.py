"""`ankigen import`: card files from a package Anki exported, keeping every note's identity.

Each deck becomes one card file; each note a `kind: note` card with its guid, note type and
tags (or, with --as-kinds, a `term` or `gaps` card where that means the same); each note
type a file in `notetypes/`; each media file a file in `media/`. So the next build makes
decks that Anki imports as updates of the very notes it has: none new, none conflicting,
every review kept.

Everything is worked out and checked before the first file is written: bad input writes
nothing.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ankigen import adopt, output
from ankigen.characters import FORBIDDEN_IN_TEXT, character_name
from ankigen.errors import AnkigenError
from ankigen.exported import Export, ExportedNote, read_export
from ankigen.kinds.note import MEDIA_FOLDER
from ankigen.names import SLUG_RE
from ankigen.notetypes import FOLDER, LOADER, as_yaml, file_name, file_text, note_types
from ankigen.sections import is_card_file
from ankigen.validate import deck_key


@dataclass
class Imported:
    """What an import wrote, and what the learner must do in Anki."""

    files: list[Path] = field(default_factory=list)  # card files, then note types and media
    notes: dict[Path, int] = field(default_factory=dict)  # card file -> its notes
    # --as-kinds: (Anki's note type, ankigen's) -> the ids of the notes to change in Anki
    retyped: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    kept: int = 0  # --as-kinds: notes of a stock note type left as `kind: note`
    split: int = 0  # notes whose cards are in more than one deck


def import_package(path: Path, cards_dir: Path, as_kinds: bool = False) -> Imported:
    with read_export(path) as export:
        plan, imported = _plan(export, cards_dir, as_kinds, path.name)
        _refuse_existing(plan)
        media = _media_plan(export, cards_dir)
        # Every file or none: each is written to a temp file first, then all are renamed.
        with output.Writes(cards_dir) as writes:
            for target, data in [
                *((t, text.encode("utf-8")) for t, text in plan.items()),
                *((t, source.read_bytes()) for t, source in media.items()),
            ]:
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except OSError as e:
                    raise AnkigenError(
                        f"{target.parent}: cannot make the folder: {e.strerror}"
                    ) from None
                writes.add(target, data, within=cards_dir)
                imported.files.append(target)
            writes.commit()
        _remember(cards_dir, export)
    return imported


def _remember(cards_dir: Path, export: Export) -> None:
    """Give each imported note its line in the identity file, with the id and the
    modification time Anki has: the first build then leaves a note whose fields and tags it
    makes as Anki has them alone (Anki skips it as identical), and updates any other."""
    from ankigen import identity
    from ankigen.kinds import generate
    from ankigen.sections import load_sections
    from ankigen.snapshot import content_digest

    before = identity.read(cards_dir) or identity.EMPTY
    anki = {note.guid: note for note in export.notes}
    notes = dict(before.notes)
    for section in load_sections(cards_dir)[0]:
        for card in section.cards:
            for made in generate([card]):
                note = anki.get(made.guid)
                # A note --as-kinds moves to another note type is not Anki's note any more.
                if note is None or made.guid in before.notes:
                    continue
                if note.note_type_id != made.note_type.id:
                    continue
                notes[made.guid] = identity.Entry(
                    guid=made.guid,
                    card=made.key[0],
                    sub=tuple(made.key[2:]),
                    origin=made.key[1],
                    nid=note.id,
                    mod=note.mod,
                    note_type=note.note_type_id,
                    # What Anki holds: equal to what a build makes, or the build updates it.
                    content=content_digest(
                        note.note_type_id, "\x1f".join(note.fields), " ".join(note.tags)
                    ),
                    deck=section.deck,
                    cards=(),
                )
    text = identity.serialize(identity.Identity(notes, before.note_types))
    output.write_one(identity.path_in(cards_dir), text.encode("utf-8"), cards_dir)


def _plan(
    export: Export, cards_dir: Path, as_kinds: bool, source: str
) -> tuple[dict[Path, str], Imported]:
    """Every file to write, as text, by where it goes."""
    imported = Imported()
    _refuse_characters(export)
    existing = _Existing(cards_dir)
    by_deck: dict[str, list[ExportedNote]] = {}
    for note in export.notes:
        if note.decks:  # a note without cards: Anki's "Check Database" removes it
            by_deck.setdefault(note.decks[0], []).append(note)
            imported.split += len(set(note.decks)) > 1
    existing.refuse_decks(by_deck)
    plan = _note_type_files(export, cards_dir)
    ids = _CardIds(existing.ids)
    for deck in sorted(by_deck):
        section_id = _unique(_slug(deck) or "deck", existing.sections)
        cards = []
        for note in by_deck[deck]:
            note_type = export.note_types[note.note_type_id]
            card_id = ids.take(note)
            card = adopt.as_kind(note, note_type, card_id) if as_kinds else None
            if card is None:
                imported.kept += as_kinds and adopt.is_stock(note_type)
                card = adopt.as_note(note, note_type, card_id)
            else:
                key = (note_type.name, adopt.KIND_TYPES[card["kind"]])
                imported.retyped.setdefault(key, []).append(note.id)
            cards.append(card)
        target = cards_dir / f"{section_id}.yaml"
        plan[target] = _card_file(section_id, deck, cards, source)
        imported.notes[target] = len(cards)
    return plan, imported


def _note_type_files(export: Export, cards_dir: Path) -> dict[Path, str]:
    """A file for each note type the notes use, but one the folder already has (the same
    id and name: kept as the user may have edited it); one with only the id or only the
    name the same would make two note types of one, and is refused."""
    have, _ = note_types(cards_dir)
    by_id = {t.id: t for t in have.values()}
    folder = cards_dir / FOLDER
    taken = {p.name.lower() for p in folder.iterdir()} if folder.is_dir() else set()
    files, problems = {}, []
    for type_id in sorted({note.note_type_id for note in export.notes if note.decks}):
        note_type = export.note_types[type_id]
        same = by_id.get(type_id) or have.get(note_type.name)
        if same is None:
            files[folder / file_name(note_type, taken)] = file_text(note_type)
        elif (same.id, same.name) != (type_id, note_type.name):
            problems.append(
                f"{folder}: holds note type '{same.name}' (id {same.id}), and the "
                f"package's '{note_type.name}' (id {type_id}) has its id or its name; "
                "import into another folder"
            )
    if problems:
        raise AnkigenError("\n".join(problems))
    return files


def _refuse_characters(export: Export) -> None:
    """A card file cannot hold control characters (ankigen.load): say which notes have one."""
    problems = []
    for note in export.notes:
        names = export.note_types[note.note_type_id].fields
        for name, text in zip(names, note.fields, strict=False):
            found = FORBIDDEN_IN_TEXT.search(text)
            if found:
                problems.append(
                    f"note nid:{note.id} ({note.decks[0] if note.decks else 'no deck'}): field "
                    f"'{name}' holds {character_name(found.group())}, which a card file cannot; "
                    "remove it in Anki (search the browser for nid:"
                    f"{note.id}) and export again"
                )
    if problems:
        raise AnkigenError("\n".join(problems))


def _refuse_existing(plan: dict[Path, str]) -> None:
    """Nothing the user has is overwritten."""
    problems = [
        f"{target}: already exists (left as it is); import into another folder"
        for target in plan
        if target.exists()
    ]
    if problems:
        raise AnkigenError("\n".join(problems))


def _media_plan(export: Export, cards_dir: Path) -> dict[Path, Path]:
    """Where each media file goes (cards/media/<its name>), refusing names that would leave
    that folder or be one file with another on Windows or macOS."""
    problems = []
    seen: dict[str, str] = {}
    plan: dict[Path, Path] = {}
    for name, source in sorted(export.media.items()):
        why = _bad_name(name)
        if why:
            problems.append(f"media file {name!r}: {why}; nothing was written")
            continue
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen:
            problems.append(
                f"media files {seen[key]!r} and {name!r} would be one file on Windows and macOS "
                "(letter case or Unicode normalization); rename one in Anki and export again"
            )
            continue
        seen[key] = name
        target = cards_dir / MEDIA_FOLDER / name
        if target.exists():
            if target.read_bytes() != source.read_bytes():
                problems.append(f"{target}: already exists with other content (left as it is)")
            continue
        plan[target] = source
    if problems:
        raise AnkigenError("\n".join(problems))
    return plan


_DEVICES = {"con", "prn", "aux", "nul", *(f"{p}{n}" for p in ("com", "lpt") for n in range(1, 10))}


def _bad_name(name: str) -> str | None:
    if not name or name in (".", "..") or re.search(r"[/\\]", name) or ":" in name:
        return "its name would put it outside the cards folder's media/ folder"
    if re.search(r'[\x00-\x1f<>"|?*]', name) or name[-1] in ". ":
        return "its name cannot be a file name on Windows"
    if name.split(".")[0].lower() in _DEVICES:
        return "its name is a device on Windows"
    return None


class _CardIds:
    """Readable, unique card ids: the first field's ASCII words and a few characters of the
    guid (the same note gets the same id from the same package)."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken

    def take(self, note: ExportedNote) -> str:
        words = _slug(_plain(note.fields[0]))[:30].strip("-") or "note"
        digest = hashlib.sha256(note.guid.encode()).hexdigest()
        for length in range(4, len(digest)):
            card_id = f"{words}-{digest[:length]}"
            if card_id not in self.taken:
                self.taken.add(card_id)
                return card_id
        raise AssertionError("unreachable: a sha256 is unique among a package's guids")


def _plain(field_html: str) -> str:
    """The words a field shows, roughly: without tags, and a cloze's deletions as their text."""
    text = re.sub(r"\{\{c\d+::(.*?)(?:::[^}]*)?\}\}", r"\1", field_html, flags=re.S)
    return html.unescape(re.sub(r"<[^>]*>", " ", text))


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def _unique(slug: str, taken: set[str]) -> str:
    found, n = slug, 2
    while found in taken:
        found, n = f"{slug}-{n}", n + 1
    taken.add(found)
    assert SLUG_RE.fullmatch(found)
    return found


class _Existing:
    """What the folder's card files already claim: card ids, section ids and decks."""

    def __init__(self, cards_dir: Path) -> None:
        self.ids: set[str] = set()
        self.sections: set[str] = set()
        self.decks: dict[str, Path] = {}  # as Anki compares deck names -> the file
        for path in sorted(cards_dir.iterdir()) if cards_dir.is_dir() else []:
            if not is_card_file(path):
                continue
            try:
                data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
                self.sections.add(str(data["id"]))
                self.decks[deck_key(str(data["deck"]))] = path
                self.ids.update(str(card["id"]) for card in data["cards"])
            except (OSError, yaml.YAMLError, TypeError, KeyError, UnicodeDecodeError):
                continue  # the build reports a broken file; here it only means fewer claims

    def refuse_decks(self, decks: Iterable[str]) -> None:
        problems = [
            f"{self.decks[deck_key(deck)]}: already makes the deck '{deck}' of the package; "
            "import into another folder"
            for deck in sorted(decks)
            if deck_key(deck) in self.decks
        ]
        if problems:
            raise AnkigenError("\n".join(problems))


def _card_file(section_id: str, deck: str, cards: list[dict[str, Any]], source: str) -> str:
    data = {"id": section_id, "title": deck, "deck": deck, "cards": cards}
    return (
        f"# Imported from {source} by `ankigen import`. Each card keeps its note's guid,\n"
        "# so a build updates the very notes the learner has (with all their reviews).\n"
        + as_yaml(data)
    )


def report(imported: Imported) -> list[str]:
    """What was written, and what the learner does in Anki before the next import."""
    lines = [f"{path}: {_n(n, 'note')}" for path, n in imported.notes.items()]
    others = len(imported.files) - len(imported.notes)
    lines.append(f"{_n(others, 'note type or media file')} written; now run 'ankigen build'")
    if imported.split:
        lines.append(
            f"{_n(imported.split, 'note')} with cards in more than one deck: each is in the "
            "card file of its first card's deck (Anki leaves the cards it has where they are)"
        )
    for (old, new), nids in sorted(imported.retyped.items()):
        lines.append(
            f"{_n(len(nids), 'note')} of '{old}' became {new} cards, and Anki never changes a "
            "note's type on import. Once, keeping every review: search the browser for "
            f"nid:{','.join(map(str, sorted(nids)))}, select all, Notes > Change Note Type > "
            f"'{new}'; then import the built deck with 'Update notes: Always'"
        )
    if imported.kept:
        lines.append(
            f"{_n(imported.kept, 'note')} of stock note types stay `kind: note` (HTML or markup "
            "that ankigen's kinds would show differently)"
        )
    return lines


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
