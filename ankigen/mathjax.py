"""Anki's own MathJax, found on this machine, so `ankigen preview` typesets as Anki does.

Anki (desktop, AnkiDroid, AnkiMobile) runs MathJax 3 over every card with the config in
its `aqt` package (`_aqt/data/web/js/mathjax.js`) and the MathJax it vendors next to it.
We never download it: it comes from an installed `aqt`, or from the aqt wheel or a folder
the user names. Installing aqt pulls in Qt, so a wheel (`pip download --no-deps aqt`) is
the light way to get it.
"""

from __future__ import annotations

import importlib.util
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ankigen.errors import UsageError

# Inside the aqt wheel, and so inside an installed aqt's site-packages.
_WEB_JS = "_aqt/data/web/js"
_CONFIG = "mathjax.js"
_SCRIPT = "vendor/mathjax/tex-chtml-full.js"


@dataclass(frozen=True)
class MathJax:
    source: str  # where it came from, for the page's header
    config: str  # Anki's `window.MathJax = {...}`
    # MathJax with every TeX package Anki's config asks for, so the page needs no file
    # beside it (only the math fonts are missing: typeset math shows in fallback fonts).
    script: str


def find_mathjax(path: Path | None) -> MathJax | None:
    """The MathJax in `path` (an aqt wheel, or a folder of Anki's web files), or, without
    a path, in the installed aqt package; None when no aqt is installed."""
    if path is None:
        folder = _installed_web_js()
        return _from_folder(folder, str(folder)) if folder else None
    if path.is_file() and zipfile.is_zipfile(path):
        return _from_wheel(path)
    if path.is_dir():
        for folder in (path / _WEB_JS, path / "data/web/js", path / "web/js", path / "js", path):
            if (folder / _CONFIG).is_file() and (folder / _SCRIPT).is_file():
                return _from_folder(folder, str(path))
        # The vendored MathJax folder itself: the config sits two levels up.
        if (path / "tex-chtml-full.js").is_file():
            return _from_folder(path.parent.parent, str(path))
    raise UsageError(
        f"{path}: no Anki MathJax here; pass the aqt wheel "
        f"(pip download --no-deps aqt) or a folder holding {_WEB_JS}"
    )


def _installed_web_js() -> Path | None:
    # find_spec finds aqt's data package without importing aqt (and with it Qt).
    try:
        spec = importlib.util.find_spec("_aqt")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        folder = Path(location) / "data/web/js"
        if (folder / _CONFIG).is_file() and (folder / _SCRIPT).is_file():
            return folder
    return None


def _from_folder(folder: Path, source: str) -> MathJax:
    def read(name: str) -> str:
        return (folder / name).read_text(encoding="utf-8")

    try:
        return MathJax(source, read(_CONFIG), read(_SCRIPT))
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{source}: cannot read Anki's MathJax: {e}") from None


def _from_wheel(wheel: Path) -> MathJax:
    try:
        with zipfile.ZipFile(wheel) as z:

            def read(name: str) -> str:
                return z.read(f"{_WEB_JS}/{name}").decode("utf-8")

            return MathJax(str(wheel), read(_CONFIG), read(_SCRIPT))
    except (KeyError, OSError, UnicodeDecodeError, zipfile.BadZipFile):
        raise UsageError(
            f"{wheel}: not an aqt wheel with Anki's MathJax (no {_WEB_JS}/{_CONFIG})"
        ) from None
