"""The project's settings: `.ankigen.yaml` in the cards folder, next to the card files.

A dot file, so it is never read as a card file. It is optional; without it the limits
below hold, no spelling is enforced and the cards have ankigen's own style:

    css: style.css          # added to every note type's CSS, after ankigen's own
    lint:
      answer_max: 60        # AG101
      note_max: 120         # AG102
      cloze_max: 40         # AG106
      terms:                # AG107: the preferred form, then the variants it replaces
        サーバー: [サーバ]
      fullwidth_parens: true    # AG108
      no_final_period: true     # AG109
      require_source: true      # AG110: every card of every section cites its source
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ankigen.errors import AnkigenError, Loc, Problem, Problems
from ankigen.load import BROKEN, Mapping, Sequence, load_file
from ankigen.values import describe, unknown_key_message

CONFIG_NAME = ".ankigen.yaml"
# A style sheet is a few kilobytes; this is far more than any needs.
MAX_CSS_BYTES = 256 * 1024


@dataclass(frozen=True)
class LintConfig:
    answer_max: float = 60
    note_max: float = 120
    cloze_max: float = 40
    # variant -> (preferred form, where the pair is written)
    terms: dict[str, tuple[str, Loc]] = field(default_factory=dict)
    fullwidth_parens: bool = False
    no_final_period: bool = False
    require_source: bool = False


@dataclass(frozen=True)
class Settings:
    lint: LintConfig
    css: tuple[str, Loc] | None = None  # the style sheet's path as written, and where


DEFAULT = LintConfig()
_LIMITS = ("answer_max", "note_max", "cloze_max")
_FLAGS = ("fullwidth_parens", "no_final_period", "require_source")
_KEYS = [*_LIMITS, "terms", *_FLAGS]

# Read once per file version: a build lints one section at a time, and `--watch`
# rebuilds in one process, so a changed file must be read again.
_cache: dict[tuple[Path, int, int], Settings] = {}


def lint_config(cards_dir: Path) -> LintConfig:
    """The lint settings of the cards folder; raises AnkigenError for a file that is wrong."""
    return _settings(cards_dir).lint


def project_css(cards_dir: Path) -> str:
    """The project's own style sheet ("" without one), read anew each time: it may change
    while `.ankigen.yaml` does not. Raises AnkigenError where `css:` names a bad file."""
    css = _settings(cards_dir).css
    if css is None:
        return ""
    written, loc = css
    problem, text = _read_css(cards_dir / written, cards_dir)
    if problem:
        raise AnkigenError([Problem(loc, f"'css': '{written}' {problem}")])
    return text


def _settings(cards_dir: Path) -> Settings:
    path = cards_dir / CONFIG_NAME
    try:
        status = path.stat()
    except OSError:
        return Settings(DEFAULT)
    key = (path, status.st_mtime_ns, status.st_size)
    if key not in _cache:
        _cache.clear()
        _cache[key] = _read(path)
    return _cache[key]


def _read_css(path: Path, root: Path) -> tuple[str, str]:
    """(why the file cannot be the cards' style, "") or ("", its text)."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return "is outside the cards folder", ""
    except (OSError, RuntimeError):
        return "cannot be read", ""
    if path.suffix.lower() != ".css":
        return "is not a .css file", ""
    try:
        if not path.is_file():
            return ("does not exist" if not path.exists() else "is not a regular file"), ""
        if path.stat().st_size > MAX_CSS_BYTES:
            return f"is too large (the limit is {MAX_CSS_BYTES:,} bytes)", ""
        return "", path.read_bytes().decode("utf-8-sig")
    except OSError as e:
        return f"cannot be read: {e.strerror}", ""
    except UnicodeDecodeError:
        return "is not UTF-8 text; save it as UTF-8", ""


def _read(path: Path) -> Settings:
    problems = Problems()
    display = str(path)
    data = load_file(path, display, problems)
    problems.raise_if_any()
    if data is None or data is BROKEN:
        return Settings(DEFAULT)
    here = Loc(display, 1, 1)
    if not isinstance(data, Mapping):
        raise AnkigenError([Problem(here, f"expected a mapping, got {describe(data)}")])
    for key in data:
        if key not in ("lint", "css"):
            problems.add(data.key_locs[key], unknown_key_message(key, ["css", "lint"]))
    css = _css_setting(data, problems)
    return Settings(_lint(data, problems), css)


def _css_setting(data: Mapping, problems: Problems) -> tuple[str, Loc] | None:
    value = data.get("css")
    if "css" not in data:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(data.value_locs["css"], f"'css': expected a file name, got {describe(value)}")
        return None
    return value.strip(), data.value_locs["css"]


def _lint(data: Mapping, problems: Problems) -> LintConfig:
    settings = data.get("lint")
    if settings is None:
        problems.raise_if_any()
        return DEFAULT
    if not isinstance(settings, Mapping):
        problems.add(
            data.value_locs["lint"], f"'lint': expected a mapping, got {describe(settings)}"
        )
        problems.raise_if_any()
    values: dict[str, Any] = {}
    for key, value in settings.items():
        loc = settings.value_locs[key]
        if key in _LIMITS:
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                got = value if isinstance(value, int | float) else describe(value)
                problems.add(loc, f"'{key}': expected a positive number, got {got}")
            values[key] = value
        elif key in _FLAGS:
            if not isinstance(value, bool):
                problems.add(loc, f"'{key}': expected true or false, got {describe(value)}")
            values[key] = value
        elif key == "terms":
            values[key] = _terms(value, loc, problems)
        else:
            problems.add(settings.key_locs[key], f"'lint': {unknown_key_message(key, _KEYS)}")
    problems.raise_if_any()
    return LintConfig(**values)


def _terms(value: Any, loc: Loc, problems: Problems) -> dict[str, tuple[str, Loc]]:
    if not isinstance(value, Mapping):
        problems.add(loc, f"'terms': expected a mapping, got {describe(value)}")
        return {}
    terms: dict[str, tuple[str, Loc]] = {}
    for preferred, variants in value.items():
        where = value.value_locs[preferred]
        if not isinstance(variants, Sequence) or not variants:
            problems.add(
                where,
                f"'terms': '{preferred}': expected a list of variants, got {describe(variants)}",
            )
            continue
        for variant, item_loc in zip(variants, variants.item_locs, strict=True):
            if not isinstance(variant, str) or not variant.strip():
                problems.add(
                    item_loc, f"'terms': '{preferred}': expected a variant, got {describe(variant)}"
                )
            elif variant in terms:
                problems.add(
                    item_loc,
                    f"'terms': '{variant}' is already a variant of '{terms[variant][0]}' "
                    f"at {terms[variant][1]}",
                )
            else:
                terms[variant] = (preferred, item_loc)
    return terms
