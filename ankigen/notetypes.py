"""Note types of the learner's own: one YAML file each in `cards/notetypes/`.

`ankigen import` writes one for every note type a package's notes use (Anki's stock ones
too: their ids are the collection's own), and a user may write one by hand. A `kind: note`
card names one by its `name`. The build writes it into the deck as Anki had it: its id,
field and template ids, every key of Anki's JSON (under `anki:`), and its recorded `mod`,
so importing the deck leaves the learner's note type as it is; only a later edit of the
file gives it a newer mtime (package.py), which Anki then takes.

    id: 1796542909110          # Anki's id: never change it
    name: Basic
    cloze: false
    mod: 1796542909            # Anki's mtime when exported
    fields:
      - {name: Front, id: 5789170774520024498}
    templates:
      - name: Card 1
        id: -3302356156074849036
        front: '{{Front}}'
        back: '{{FrontSide}}<hr id=answer>{{Back}}'
    css: '.card { ... }'
    anki: {sortf: 0, ...}     # the rest of Anki's JSON, kept as it is
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import genanki
import yaml

from ankigen.errors import Loc, Problem, Problems
from ankigen.exported import ExportedNoteType
from ankigen.load import BROKEN, Mapping, Sequence, load_file
from ankigen.notes import NoteType, Template
from ankigen.values import describe, unknown_key_message

FOLDER = "notetypes"
# Keys the file spells out; the rest of Anki's JSON goes under `anki:` as it is. Not kept:
# `usn` and `did` (the learner's sync counter and last deck), which a build writes itself.
_TYPE_KEYS = ("id", "name", "type", "mod", "css", "flds", "tmpls", "usn", "did")
_FIELD_KEYS = ("name", "id", "ord")
_TEMPLATE_KEYS = ("name", "id", "ord", "qfmt", "afmt")
_TOP = ("id", "name", "cloze", "mod", "fields", "templates", "css", "anki")


class VerbatimModel(genanki.Model):
    """The note type as the build writes it (package.py): genanki's JSON with every key of
    Anki's over it, field and template ids included, and no guard against MathJax around
    the templates (Anki's own never had one). What a build sets itself stays its own."""

    def __init__(self, note_type: NoteType) -> None:
        self.anki = json.loads(note_type.anki)
        self.recorded_mod = note_type.mod
        super().__init__(
            model_id=note_type.id,
            name=note_type.name,
            fields=[{"name": name} for name in note_type.fields],
            templates=[
                {"name": t.name, "qfmt": t.front, "afmt": t.back} for t in note_type.templates
            ],
            css=note_type.css,
            model_type=genanki.Model.CLOZE if note_type.cloze else genanki.Model.FRONT_BACK,
            sort_field_index=self.anki.get("sortf", 0),
        )

    def to_json(self, timestamp: float, deck_id: int | None) -> dict[str, Any]:
        made = super().to_json(timestamp, deck_id)
        own = dict(self.anki)
        fields = [{**a, **b} for a, b in zip(made["flds"], own.pop("flds"), strict=True)]
        templates = [{**a, **b} for a, b in zip(made["tmpls"], own.pop("tmpls"), strict=True)]
        builds = {key: made[key] for key in ("mod", "did", "usn")}
        return {**made, **own, "flds": fields, "tmpls": templates, **builds}


def file_name(note_type: ExportedNoteType, taken: set[str]) -> str:
    """`basic-and-reversed-card.yaml` for "Basic (and reversed card)": its ASCII words, or
    its id when it has none; a number added when another note type has the name."""
    stem = "-".join(re.findall(r"[a-z0-9]+", note_type.name.lower())) or f"type-{note_type.id}"
    name, n = f"{stem}.yaml", 2
    while name.lower() in taken:  # lower: one file on Windows and macOS
        name, n = f"{stem}-{n}.yaml", n + 1
    taken.add(name.lower())
    return name


def file_text(note_type: ExportedNoteType) -> str:
    raw = note_type.raw
    data = {
        "id": note_type.id,
        "name": note_type.name,
        "cloze": note_type.cloze,
        "mod": note_type.mod,
        "fields": [
            _part(f, {"name": f["name"], "id": f.get("id")}, _FIELD_KEYS) for f in raw["flds"]
        ],
        "templates": [
            _part(
                t,
                {"name": t["name"], "id": t.get("id"), "front": t["qfmt"], "back": t["afmt"]},
                _TEMPLATE_KEYS,
            )
            for t in raw["tmpls"]
        ],
        "css": note_type.css,
        "anki": {k: v for k, v in raw.items() if k not in _TYPE_KEYS},
    }
    return (
        f"# Anki note type '{note_type.name}', as `ankigen import` found it. Never change its\n"
        "# id, or the names of its fields and templates: Anki matches note types by id and\n"
        "# forks one whose names differ. Templates and CSS may be edited.\n" + as_yaml(data)
    )


def _part(raw: dict[str, Any], spelled: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    rest = {k: v for k, v in raw.items() if k not in keys}
    return {**spelled, "anki": rest} if rest else spelled


# libyaml where PyYAML has it: an import of 5,000 notes took 6 s with the Python one.
_BaseDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Dumper(_BaseDumper):
    """Text with line breaks (templates, CSS, fields) as blocks (`|`), as a person writes it."""


def _text(dumper: Any, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def as_yaml(data: dict[str, Any]) -> str:
    """`data` as a file `ankigen import` writes (a note type or a card file)."""
    text: str = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    # The file is what Anki gave: it must read back as exactly that.
    assert yaml.load(text, Loader=LOADER) == data, "an imported file does not read back"
    return text


# Read once per version of the folder: every `kind: note` card asks for it.
_cache: dict[tuple[tuple[str, int, int], ...], tuple[dict[str, NoteType], list[Problem]]] = {}


def note_types(cards_dir: Path) -> tuple[dict[str, NoteType], list[Problem]]:
    """The note types of `cards_dir/notetypes/*.yaml` by name, and what is wrong in them."""
    folder = cards_dir / FOLDER
    try:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml"))
        key = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    except OSError:
        return {}, []
    if key not in _cache:
        _cache.clear()
        _cache[key] = _read_all(files)
    return _cache[key]


def _read_all(files: list[Path]) -> tuple[dict[str, NoteType], list[Problem]]:
    problems = Problems()
    found: dict[str, NoteType] = {}
    where: dict[object, Loc] = {}
    for path in files:
        data = load_file(path, str(path), problems)
        if data is BROKEN:
            continue
        note_type = _note_type(data, Loc(str(path), 1, 1), problems)
        if note_type is None:
            continue
        for claim, what in ((note_type.name, "name"), (note_type.id, "id")):
            if claim in where:
                problems.add(
                    data.value_locs[what],
                    f"another note type has the {what} {claim!r} (at {where[claim]})",
                )
                note_type = None
                break
            where[claim] = data.value_locs[what]
        if note_type is not None:
            found[note_type.name] = note_type
    return found, problems.items


def _note_type(data: Any, here: Loc, problems: Problems) -> NoteType | None:
    if not isinstance(data, Mapping):
        problems.add(here, f"expected a note type (a mapping), got {describe(data)}")
        return None
    count = len(problems.items)
    for key in data:
        if key not in _TOP:
            problems.add(data.key_locs[key], unknown_key_message(key, list(_TOP)))
    want = _Want(data, problems)
    type_id, name, mod = want.int("id"), want.text("name"), want.int("mod", _ABSENT)
    cloze, css, anki = want.flag("cloze"), want.text("css", ""), want.mapping("anki")
    fields = [want.part(f, ("name", "id", "anki")) for f in want.items("fields")]
    templates = [
        want.part(t, ("name", "id", "front", "back", "anki")) for t in want.items("templates")
    ]
    if len(problems.items) > count:
        return None
    names = [f["name"] for f in fields]
    if len(set(names)) < len(names):
        problems.add(data.value_locs["fields"], "two fields have one name")
        return None
    as_anki = {
        **anki,
        "id": type_id,
        "name": name,
        "type": 1 if cloze else 0,
        "css": css,
        "flds": [_anki_part(f, {}) for f in fields],
        "tmpls": [_anki_part(t, {"qfmt": t["front"], "afmt": t["back"]}) for t in templates],
    }
    return NoteType(
        id=type_id,
        name=name,
        fields=tuple(names),
        templates=tuple(Template(t["name"], t["front"], t["back"]) for t in templates),
        cloze=cloze,
        css=css,
        anki=json.dumps(as_anki, ensure_ascii=False, sort_keys=True),
        mod=None if mod is _ABSENT else mod,
    )


def _anki_part(part: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    spelled = {"name": part["name"], **more}
    if part.get("id") is not None:
        spelled["id"] = part["id"]
    return {**part.get("anki", {}), **spelled}


class _Want:
    """Takes the values of one mapping, recording each that is missing or of a wrong type."""

    def __init__(self, data: Mapping, problems: Problems) -> None:
        self.data = data
        self.problems = problems

    def _get(self, key: str, default: Any, ok: Any, expected: str) -> Any:
        if key not in self.data:
            if default is _REQUIRED:
                self.problems.add(self.data.loc, f"missing required key '{key}'")
            return default
        value = self.data[key]
        if not ok(value):
            self.problems.add(
                self.data.value_locs[key], f"'{key}': expected {expected}, got {describe(value)}"
            )
        return value

    def int(self, key: str, default: Any = None) -> Any:
        ok = lambda v: isinstance(v, int) and not isinstance(v, bool)  # noqa: E731
        return self._get(key, _REQUIRED if default is None else default, ok, "a whole number")

    def text(self, key: str, default: Any = None) -> Any:
        ok = lambda v: isinstance(v, str) and (default is not None or v.strip())  # noqa: E731
        return self._get(key, _REQUIRED if default is None else default, ok, "a text")

    def flag(self, key: str) -> Any:
        return self._get(key, False, lambda v: isinstance(v, bool), "true or false")

    def mapping(self, key: str) -> Any:
        return self._get(key, {}, lambda v: isinstance(v, dict), "a mapping")

    def items(self, key: str) -> list[Any]:
        value = self._get(key, _REQUIRED, lambda v: isinstance(v, Sequence) and v, "a list")
        return list(value) if isinstance(value, Sequence) else []

    def part(self, item: Any, keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(item, Mapping):
            self.problems.add(self.data.loc, f"expected a mapping in a list, got {describe(item)}")
            return {}
        for key in item:
            if key not in keys:
                self.problems.add(item.key_locs[key], unknown_key_message(key, list(keys)))
        want = _Want(item, self.problems)
        found = {"name": want.text("name"), "anki": want.mapping("anki")}
        if item.get("id") is not None:
            found["id"] = want.int("id")
        for key in ("front", "back"):
            if key in keys:
                found[key] = want.text(key)
        return found


_REQUIRED = object()
_ABSENT = object()
