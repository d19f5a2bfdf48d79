"""`ankigen pull`: what the learner changed in Anki comes back to the card files.

A note is matched to its card by guid. Its fields and tags are compared three ways: as Anki
exported them, as the card files make them now, and as the last build made them (a digest
and a time, `last_built`). A note the learner changed in Anki is newer than the last
build's and holds other content; a value that changed only there is written back into the
card file at its place (yamledit.py), through the kind's way back (Kind.way_back) and the
card syntax (unmarkup.py). A value changed in the file too is a conflict: both texts are
shown and nothing is written for that card. Pull never writes to Anki, so it never
touches scheduling, and a second pull of the same export finds nothing to write.
"""

from __future__ import annotations

import difflib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ankigen import identity, output, yamledit
from ankigen.cards import Card, Section
from ankigen.errors import AnkigenError, Problems
from ankigen.exported import ExportedNote, read_export
from ankigen.files import MAX_DECK_BYTES, read_regular
from ankigen.kinds import KINDS, Back, Derived, generate
from ankigen.load import parse
from ankigen.notes import Note
from ankigen.package import Memory, NoteRow, content_digest, read_package
from ankigen.sections import load_sections
from ankigen.unmarkup import Unsayable, text_of
from ankigen.validate import Validator

# A note changed on both sides is worked out field by field by trying which of its
# differing fields the last build had; more fields than this differing is a conflict.
_MAX_TRIED = 10


def last_built(cards_dir: Path, out_dir: Path) -> Memory:
    """What the last build made of each note, by guid: its `mod` and `content` digest (and
    the cloze numbers it gave, `slots`). From the identity file kept with the cards; from
    the previous decks in `out_dir` only for cards from before ankigen kept one."""
    known = identity.read(cards_dir)
    if known is not None:
        return Memory.of(known)
    memory = Memory()
    for path in sorted(out_dir.glob("*.apkg")) if out_dir.is_dir() else []:
        try:
            memory.remember(read_package(read_regular(path, MAX_DECK_BYTES)))
        except (OSError, ValueError):
            continue  # not a deck ankigen wrote: it says nothing about the last build
    return memory


@dataclass
class Result:
    diffs: dict[Path, str] = field(default_factory=dict)  # each changed file's diff
    written: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # conflicts, what cannot come back
    foreign: list[str] = field(default_factory=list)  # notes no card makes

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


@dataclass
class _CardPull:
    """What comes back to one card: its edits by path, or why nothing does."""

    section: Section
    card: Card
    edits: dict[yamledit.Path, Any] = field(default_factory=dict)
    problems: list[tuple[yamledit.Path, str]] = field(default_factory=list)
    # Its notes changed in Anki since the last build: guid -> (mod, content digest there).
    edited: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)  # tags added in Anki
    removed: list[str] = field(default_factory=list)


def pull(export: Path, cards_dir: Path, out_dir: Path, dry_run: bool = False) -> Result:
    """Bring the edits made in Anki, as `export` holds them, back to the card files in
    `cards_dir` (nothing written with `dry_run`); `out_dir` holds the last build."""
    sections, _ = load_sections(cards_dir)
    memory = last_built(cards_dir, out_dir)
    made: dict[str, tuple[Section, Card, Note]] = {}
    for section in sections:
        for card in section.cards:
            for note in generate([card], memory.slots):
                made[note.guid] = (section, card, note)
    result = Result()
    cards: dict[str, _CardPull] = {}
    with read_export(export) as exported:
        for anki in exported.notes:
            if anki.guid not in made:
                name = exported.note_types[anki.note_type_id].name
                result.foreign.append(f"nid:{anki.id} ({name}): {_shown(anki.fields[0])}")
                continue
            section, card, note = made[anki.guid]
            into = cards.setdefault(card.id, _CardPull(section, card))
            _compare(anki, note, memory.notes.get(anki.guid), into)
    by_file: dict[str, list[_CardPull]] = {}
    for card_pull in cards.values():
        by_file.setdefault(card_pull.section.path, []).append(card_pull)
    for path, pulls in sorted(by_file.items()):
        _file(Path(path), pulls, result, dry_run)
    if not dry_run:
        _record([c for c in cards.values() if c.problems], out_dir)
    return result


# The notes whose edits in Anki the last pull could not bring back (a conflict, or what a
# card cannot say): a build that would overwrite one when imported says so (`overwritten`).
UNPULLED_NAME = ".ankigen-unpulled.json"


def _record(unpulled: list[_CardPull], out_dir: Path) -> None:
    notes = {
        guid: {"mod": mod, "content": digest.hex(), "card": c.card.id, "file": c.section.path}
        for c in unpulled
        for guid, (mod, digest) in c.edited.items()
    }
    path = out_dir / UNPULLED_NAME
    if notes and out_dir.is_dir():
        output.write_one(path, json.dumps(notes, indent=1, sort_keys=True).encode(), out_dir)
    elif not notes:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass  # a read-only folder: the next build may name a card it need not, no more


def overwritten(cards_dir: Path, out_dir: Path) -> list[str]:
    """After a build: the cards whose edit in Anki, not pulled, importing the build would
    replace (its note is newer than the learner's version there, with other content)."""
    try:
        unpulled = json.loads((out_dir / UNPULLED_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # the usual case: nothing is left in Anki, and no deck is read
    found: dict[tuple[str, str], None] = {}
    for guid, row in last_built(cards_dir, out_dir).notes.items():
        anki = unpulled.get(guid)
        if anki and row.mod > anki["mod"] and row.content.hex() != anki["content"]:
            found[anki["file"], anki["card"]] = None
    return [
        f"{file}: card '{card}': edited in Anki and not pulled (a conflict, or an edit "
        "a card cannot say): importing this build replaces that edit; resolve it and pull "
        "again first"
        for file, card in found
    ]


def _shown(field_html: str, width: int = 40) -> str:
    text = " ".join(_as_text(field_html).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _as_text(field_html: str) -> str:
    """A field as text for a message: the card syntax when it can say it, else the HTML."""
    try:
        return text_of(field_html)
    except Unsayable:
        return field_html


def _digest(note_type_id: int, fields: tuple[str, ...] | list[str], tags: Any) -> bytes:
    return content_digest(note_type_id, "\x1f".join(fields), " ".join(tags))


def _last(anki: ExportedNote, note: Note, last: NoteRow) -> tuple[list[str], tuple[str, ...]]:
    """The fields and tags the last build gave the note, where its digest tells: each field
    as Anki has it or as the file makes it now. No fields if it cannot tell."""
    differ = [i for i, (a, m) in enumerate(zip(anki.fields, note.fields, strict=True)) if a != m]
    if len(differ) > _MAX_TRIED:
        return [], ()
    for tags in dict.fromkeys((note.tags, anki.tags)):
        for choice in itertools.product((False, True), repeat=len(differ)):
            fields = list(note.fields)
            for i, from_anki in zip(differ, choice, strict=True):
                if from_anki:
                    fields[i] = anki.fields[i]
            if _digest(note.note_type.id, fields, tags) == last.content:
                return fields, tags
    return [], ()


_UNKNOWN = object()  # what the last build had, where it cannot be told


def _compare(anki: ExportedNote, note: Note, last: NoteRow | None, into: _CardPull) -> None:
    """What the learner changed in this note since the last build, into its card's pull."""
    if anki.note_type_id != note.note_type.id:
        into.problems.append(((), "its note in Anki has another note type; move it first"))
        return
    if last is None:
        if anki.fields != note.fields:
            message = "the last build did not make this note: build and import, then pull"
            into.problems.append(((), message))
        return
    anki_digest = _digest(anki.note_type_id, anki.fields, anki.tags)
    if anki.mod <= last.mod or anki_digest == last.content:
        return  # not changed in Anki since the last build
    into.edited[anki.guid] = (anki.mod, anki_digest)
    if _digest(note.note_type.id, note.fields, note.tags) == last.content:
        before, before_tags = list(note.fields), note.tags  # the file did not change
    else:
        before, before_tags = _last(anki, note, last)
    for i, name in enumerate(note.note_type.fields):
        if anki.fields[i] == note.fields[i] or (before and anki.fields[i] == before[i]):
            continue  # the same on both sides, or changed only in the file
        _compare_field(name, anki.fields[i], note, before[i] if before else None, into)
    _tags(anki.tags, note.tags, before_tags if before else None, into)


def _compare_field(
    name: str, in_anki: str, note: Note, before: str | None, into: _CardPull
) -> None:
    """One field the learner changed in Anki: its values back into the card's pull. `before`
    is what the last build made of it, where that is known."""
    kind = KINDS[into.card.kind]
    made = note.fields[note.note_type.fields.index(name)]
    try:
        backs = kind.way_back(into.card, note, name, in_anki)
        # The field changed in the file too: value by value, what the last build had.
        was: dict[yamledit.Path, Any] = {}
        if before is not None and made != before:
            was = {b.path: b.text for b in kind.way_back(into.card, note, name, before)}
    except Derived as e:
        # Where the last build is not known, a field the build makes differs because
        # the values it is made from do (written back, or changed on both sides).
        if before is not None:
            into.problems.append(((), f"'{name}' as edited in Anki: {e}"))
        return
    except Unsayable as e:
        into.problems.append(((), f"'{name}' as edited in Anki: {e}"))
        return
    for back in backs:
        base = back.was if before is not None and made == before else _UNKNOWN
        _take(back, was.get(back.path, base), into)


def _take(back: Back, base: Any, into: _CardPull) -> None:
    """A value as Anki has it, `base` as the last build had it: an edit, or a conflict."""
    if back.text in (back.was, base):
        return  # the file says it already, or Anki did not change it
    if back.was != base:
        into.problems.append(
            (
                back.path,
                "changed both in the file and in Anki since the last build\n"
                f"  file: {back.was!r}\n  Anki: {back.text!r}",
            )
        )
    elif into.edits.get(back.path, back.text) != back.text:
        first = into.edits[back.path]
        message = f"edited differently in two of its notes in Anki: {first!r} and {back.text!r}"
        into.problems.append((back.path, message))
    else:
        into.edits[back.path] = back.text


def _tags(
    anki: tuple[str, ...], made: tuple[str, ...], before: tuple[str, ...] | None, into: _CardPull
) -> None:
    """Tags added or removed in Anki (Anki compares tags without letter case)."""
    if before is None:  # changed on both sides: only a difference in tags is a conflict
        if {t.casefold() for t in anki} != {t.casefold() for t in made}:
            message = f"tags changed both in the file and in Anki: {' '.join(anki)}"
            into.problems.append((("tags",), message))
        return
    had = {t.casefold() for t in before}
    has = {t.casefold() for t in anki}
    into.added += [t for t in anki if t.casefold() not in had and t not in into.added]
    into.removed += [t for t in before if t.casefold() not in has and t not in into.removed]


def _file(path: Path, pulls: list[_CardPull], result: Result, dry_run: bool) -> None:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise AnkigenError(f"{path}: cannot read: {e.strerror}") from None
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    text = text.replace("\r\n", "\n") if crlf else text
    data = yaml.safe_load(text)
    index = {card.get("id"): i for i, card in enumerate(data["cards"])}
    edits: list[yamledit.Edit] = []
    for card_pull in pulls:
        at = ("cards", index[card_pull.card.id])
        own = list(data["cards"][at[1]].get("tags") or [])
        _own_tags(card_pull, own)
        if card_pull.problems:
            for where, message in card_pull.problems:
                line, col = yamledit.locate(text, (*at, *where))
                key = f" '{_key_name(where)}'" if where else ""
                result.problems.append(
                    f"{path}:{line}:{col}: card '{card_pull.card.id}'{key}: {message}"
                )
            continue
        edits += [yamledit.Edit((*at, *where), value) for where, value in card_pull.edits.items()]
    if not edits:
        return
    new = yamledit.apply(text, edits)
    problems = Problems()
    Validator(problems).check(str(path), parse(new, str(path), problems))
    if problems.items:
        result.problems += [f"{p} (as pulled from Anki; nothing written)" for p in problems.items]
        return
    # git's a/ and b/ for a path in the project; an absolute one as it is.
    old_name, new_name = (
        (str(path), str(path)) if path.is_absolute() else (f"a/{path}", f"b/{path}")
    )
    diff = difflib.unified_diff(
        text.splitlines(keepends=True), new.splitlines(keepends=True), old_name, new_name
    )
    result.diffs[path] = "".join(diff)
    if not dry_run:
        new = new.replace("\n", "\r\n") if crlf else new
        data = (b"\xef\xbb\xbf" if bom else b"") + new.encode("utf-8")
        output.write_one(path, data, path.parent)
        result.written.append(path)


def _own_tags(card_pull: _CardPull, own: list[str]) -> None:
    """The card's own `tags` with Anki's additions and removals, as an edit."""
    if not card_pull.added and not card_pull.removed:
        return
    removed = {t.casefold() for t in card_pull.removed}
    inherited = [t for t in card_pull.removed if t.casefold() not in {o.casefold() for o in own}]
    for tag in inherited:
        message = f"tag '{tag}' removed in Anki comes from the section or the kind: remove it there"
        card_pull.problems.append((("tags",), message))
    kept = [t for t in own if t.casefold() not in removed]
    tags = kept + [t for t in card_pull.added if t.casefold() not in {k.casefold() for k in kept}]
    if tags != own:
        card_pull.edits[("tags",)] = tags or None


def _key_name(where: yamledit.Path) -> str:
    return "".join(f"[{p + 1}]" if isinstance(p, int) else f".{p}" for p in where).lstrip(".")
