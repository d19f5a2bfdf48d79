"""`python -m build` makes an sdist and a wheel that install and build decks in a fresh venv.

A fresh environment is the point: a dependency missing from pyproject.toml, or a file the
package reads (card.css) missing from an archive, passes every other test and fails here.
It installs from the package index (or pip's cache), so it takes a while.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, REPO, import_apkg

PACKAGE_DATA = ["ankigen/card.css"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    # Built from a copy, so the build leaves nothing (build/, *.egg-info) in the clone.
    source = tmp_path_factory.mktemp("source")
    for name in ["pyproject.toml", "README.md"]:
        shutil.copy(REPO / name, source / name)
    shutil.copytree(
        REPO / "ankigen", source / "ankigen", ignore=shutil.ignore_patterns("__pycache__")
    )
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)])
    return out


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{command}:\n{result.stdout}\n{result.stderr}"
    return result


def test_both_archives_hold_the_package_data(dist):
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    wheel_names = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as archive:
        sdist_names = [name.split("/", 1)[1] for name in archive.getnames() if "/" in name]
    for name in PACKAGE_DATA:
        assert name in wheel_names
        assert name in sdist_names


@pytest.mark.parametrize("pattern", ["*.whl", "*.tar.gz"])
def test_archive_installs_in_a_fresh_venv_and_builds_a_deck_anki_imports(
    dist, pattern, tmp_path, collection
):
    (archive,) = dist.glob(pattern)
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    scripts = venv / ("Scripts" if os.name == "nt" else "bin")
    _run([str(scripts / "python"), "-m", "pip", "install", "-q", str(archive)])

    project = tmp_path / "project"
    (project / "cards").mkdir(parents=True)
    shutil.copy(FIXTURES / "sample.yaml", project / "cards" / "sample.yaml")
    result = _run([str(scripts / "ankigen"), "build"], cwd=project)
    assert result.stdout.startswith(f"decks{os.sep}sample.apkg: 8 notes, 12 cards (written;")

    log = import_apkg(collection, project / "decks" / "sample.apkg")
    assert len(log.new) == 8
