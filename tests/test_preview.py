"""`ankigen preview` finds Anki's MathJax where a learner's machine has it, or says it did not.

These tests only check where the files are looked for and that the page says which it
used; test_browser.py runs the real MathJax from the aqt wheel over the page.
"""

from __future__ import annotations

import base64
import re
import zipfile
from pathlib import Path

import pytest

from tests.conftest import run

CONFIG = "window.MathJax = {startup: {typeset: false}};"
SCRIPT = "/* MathJax */"


def _web_js(root: Path) -> Path:
    """Anki's web files as the aqt wheel lays them out, under `root`."""
    js = root / "_aqt" / "data" / "web" / "js"
    (js / "vendor" / "mathjax").mkdir(parents=True)
    (js / "mathjax.js").write_text(CONFIG, encoding="utf-8")
    (js / "vendor" / "mathjax" / "tex-chtml-full.js").write_text(SCRIPT, encoding="utf-8")
    return js


def _preview(*args: str) -> tuple[int, str, str]:
    return run("preview", "-o", "preview.html", *args)


def _header(project: Path) -> str:
    page = (project / "preview.html").read_text(encoding="utf-8")
    return page[page.index("<header>") : page.index("</header>")]


def test_without_anki_mathjax_the_page_says_so(sample, monkeypatch):
    monkeypatch.setattr("ankigen.mathjax._installed_web_js", lambda: None)
    assert _preview()[0] == 0
    assert (
        "Anki's MathJax was not found: text that Anki would typeset as math is shown as plain "
        "text here. Install aqt, or pass --mathjax with the aqt wheel "
        "(pip download --no-deps aqt)."
    ) in _header(sample)
    assert "data:text/javascript" not in (sample / "preview.html").read_text(encoding="utf-8")


def test_an_installed_aqt_is_found_without_importing_it(sample, tmp_path, monkeypatch):
    site = tmp_path / "site"
    js = _web_js(site)
    monkeypatch.syspath_prepend(str(site))
    assert _preview()[0] == 0
    assert f"MathJax: Anki's, from {js}." in _header(sample)


@pytest.mark.parametrize("where", ["root", "_aqt", "js", "vendor"])
def test_mathjax_option_takes_a_folder(sample, tmp_path, where):
    js = _web_js(tmp_path / "aqt")
    folder = {
        "root": tmp_path / "aqt",
        "_aqt": tmp_path / "aqt" / "_aqt",
        "js": js,
        "vendor": js / "vendor" / "mathjax",
    }[where]
    assert _preview("--mathjax", str(folder)) == (
        0,
        "preview.html: written; open it in a browser (add #night for night mode)\n",
        "",
    )
    assert f"MathJax: Anki's, from {folder}." in _header(sample)
    page = (sample / "preview.html").read_text(encoding="utf-8")
    assert page.count('<script src="data:text/javascript;base64,') == 3  # config, MathJax, typeset


def test_mathjax_option_takes_the_aqt_wheel(sample, tmp_path):
    js = _web_js(tmp_path / "files")
    wheel = tmp_path / "aqt-26.9.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        for path in js.rglob("*.js"):
            z.write(path, path.relative_to(tmp_path / "files").as_posix())
    assert _preview("--mathjax", str(wheel))[0] == 0
    assert f"MathJax: Anki's, from {wheel}." in _header(sample)


def test_mathjax_option_refuses_what_holds_no_mathjax(sample, tmp_path):
    other = tmp_path / "other.whl"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("other/__init__.py", "")
    assert _preview("--mathjax", str(other)) == (
        2,
        "",
        f"{other}: not an aqt wheel with Anki's MathJax (no _aqt/data/web/js/mathjax.js)\n",
    )
    assert _preview("--mathjax", str(tmp_path)) == (
        2,
        "",
        f"{tmp_path}: no Anki MathJax here; pass the aqt wheel (pip download --no-deps aqt) "
        "or a folder holding _aqt/data/web/js\n",
    )
    assert not (sample / "preview.html").exists()


def test_the_type_in_box_speaks_the_language_of_its_deck(sample, monkeypatch):
    monkeypatch.setattr("ankigen.mathjax._installed_web_js", lambda: None)
    cards = sample / "cards"
    (cards / "en.yaml").write_text(
        'id: en\ntitle: En\ndeck: "Test::En"\ncards:\n'
        "  - {id: e1, kind: command, command: git log --oneline, meaning: show history}\n",
        encoding="utf-8",
    )
    (cards / "de.yaml").write_text(
        'id: de\ntitle: De\ndeck: "Test::De"\nlang: de\ncards:\n'
        "  - {id: d1, kind: command, command: ls -l, meaning: Dateien ausführlich auflisten}\n",
        encoding="utf-8",
    )
    assert _preview()[0] == 0
    page = (sample / "preview.html").read_text(encoding="utf-8")
    boxes = {}
    for part in page.split("<h2>")[1:]:
        deck = part[: part.index("</h2>")]
        boxes[deck] = set(re.findall(r'<input type="text" id="typeans" ([^>]*)>', part))
        langs = set(re.findall(r'<div class="card card\d" lang="([^"]+)">', part))
        assert len(langs) == 1, deck  # every face of a deck in its language
    assert boxes == {
        "Test::De": {'lang="de" placeholder="Befehl eingeben"'},  # as its section says
        "Test::En": {'lang="en" placeholder="Type the command"'},  # guessed: Latin letters
        "Test::Sample": {'lang="ja" placeholder="コマンドを入力"'},  # guessed: kana
    }


def test_a_sound_is_a_player_of_its_file_where_anki_shows_a_play_button(project, monkeypatch):
    monkeypatch.setattr("ankigen.mathjax._installed_web_js", lambda: None)
    sound = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(40)
    (project / "cards" / "hund.mp3").write_bytes(sound)
    (project / "cards" / "de.yaml").write_text(
        'id: de\ntitle: De\ndeck: "Test::De"\ncards:\n'
        "  - {id: d1, kind: term, term: Hund, meaning: dog, audio: hund.mp3}\n",
        encoding="utf-8",
    )
    assert _preview()[0] == 0
    page = (project / "preview.html").read_text(encoding="utf-8")
    front, back = page.split('<section class="face"')[1:]
    player = '<audio controls preload="none" src="data:audio/mpeg;base64,{}"></audio>'
    assert "<audio" not in front
    assert player.format(base64.b64encode(sound).decode()) in back
    assert "[anki:play" not in page
