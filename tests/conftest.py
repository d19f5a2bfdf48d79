from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest
from typer.testing import CliRunner

from ankigen.cli import app

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project folder as the working directory, so paths print as `cards/x.yaml`."""
    (tmp_path / "cards").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return tmp_path


@pytest.fixture
def sample(project: Path) -> Path:
    """The project with the sample card file (every kind, and text that must stay text)."""
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    return project


@dataclass(frozen=True)
class Counts:
    sections: int
    cards: int  # as written in the card files
    kinds: dict[str, int]
    notes: int  # as Anki imports them
    anki_cards: int

    def deck_line(self, path: str) -> str:
        return f"{path}: {counted(self.notes, 'note')}, {counted(self.anki_cards, 'card')}"


@pytest.fixture(scope="session")
def sample_counts(tmp_path_factory: pytest.TempPathFactory) -> Counts:
    """What the sample fixture holds: its cards counted in the YAML, its notes and Anki cards
    counted by Anki after importing its deck. Tests take their counts from here, so a card
    added to the fixture changes no test; what each kind makes is tested kind by kind."""
    from ankigen.build import build

    data = yaml.safe_load((FIXTURES / "sample.yaml").read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("sample-counts")
    shutil.copy(FIXTURES / "sample.yaml", folder / "sample.yaml")
    build(folder, folder / "decks")
    (folder / "anki").mkdir()
    col = Collection(str(folder / "anki" / "collection.anki2"))
    try:
        import_apkg(col, folder / "decks" / "sample.apkg")
        return Counts(
            sections=1,
            cards=len(data["cards"]),
            kinds=dict(Counter(card["kind"] for card in data["cards"])),
            notes=col.note_count(),
            anki_cards=col.card_count(),
        )
    finally:
        col.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def collection(tmp_path: Path) -> Iterator[Collection]:
    """A fresh, empty Anki collection (the learner's profile)."""
    folder = tmp_path / "anki"
    folder.mkdir()
    col = Collection(str(folder / "collection.anki2"))
    yield col
    col.close()


def import_apkg(col: Collection, apkg: Path):
    """Import as a learner would, with Anki's default options; returns the import log."""
    request = ImportAnkiPackageRequest(package_path=str(apkg), options=ImportAnkiPackageOptions())
    log = col.import_anki_package(request).log
    col.models._clear_cache()  # the Python-side note type cache goes stale after an import
    return log


def counted(n: int, noun: str) -> str:
    """As the CLI says it: "1 note", "2 notes"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def disk_full_at(monkeypatch: pytest.MonkeyPatch, deck_name: str) -> Callable[[], None]:
    """Putting the deck `deck_name` in place fails as on a full disk, after the files before
    it (the pending report, the decks before it) were put in place: a build that stopped
    half way through its renames. The function returned makes writing work again."""
    import errno
    import os

    import ankigen.output

    real = ankigen.output.put_in_place

    def put(tmp: Path, target: Path) -> None:
        if target.name == deck_name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(tmp, target)

    monkeypatch.setattr(ankigen.output, "put_in_place", put)
    return lambda: monkeypatch.setattr(ankigen.output, "put_in_place", real)
