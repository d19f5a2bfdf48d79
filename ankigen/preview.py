"""`ankigen preview`: every card face as Anki renders it, in one self-contained HTML page.

The faces come from Anki's own template engine (the official `anki` package), applied to
the decks a build would write, so the page shows what a learner will see, not our guess
of it. Media are inlined as data URLs, so the file works when mailed to a phone.
"""

from __future__ import annotations

import base64
import html
import mimetypes
import re
from pathlib import Path

from ankigen import output
from ankigen.build import Options, plan
from ankigen.cards import Section
from ankigen.errors import AnkigenError
from ankigen.mathjax import MathJax
from ankigen.sections import load_sections

_PAGE_CSS = """
body { margin: 0; background: #e9e9ee; }
body.night { background: #111; color: #eee; }
header { padding: 12px; font: 16px system-ui, sans-serif; }
h2 { font: 600 18px system-ui, sans-serif; padding: 0 12px; margin: 24px 0 8px; }
.face { margin: 12px 0; }
.face > .label { font: 16px system-ui, sans-serif; color: #444; padding: 0 12px; }
body.night .face > .label { color: #bbb; }
.face > .card { padding-top: 12px; padding-bottom: 12px; }
body.only .face:not(.shown), body.only h2 { display: none; }
"""

# Hash switches so a browser (or a test) can open the page in a given state:
# #night for night mode, #face-12 to show one face alone.
_PAGE_SCRIPT = """
function applyHash() {
  const hash = location.hash.slice(1).split(",");
  const night = hash.includes("night");
  document.body.classList.toggle("night", night);
  for (const card of document.querySelectorAll(".face > .card")) {
    card.classList.toggle("nightMode", night);
    card.classList.toggle("night_mode", night);
  }
  const only = hash.find(h => h.startsWith("face-"));
  document.body.classList.toggle("only", Boolean(only));
  for (const face of document.querySelectorAll(".face")) {
    face.classList.toggle("shown", face.id === only);
  }
}
window.addEventListener("hashchange", applyHash);
document.addEventListener("DOMContentLoaded", () => {
  applyHash();
  document.getElementById("night").addEventListener("click", () => {
    const hash = location.hash.slice(1).split(",").filter(Boolean);
    const i = hash.indexOf("night");
    if (i >= 0) hash.splice(i, 1); else hash.push("night");
    location.hash = hash.join(",");
  });
});
"""


# Anki's reviewer typesets each card this way once it is shown (aqt's reviewer.js);
# window.ankigenTypeset lets a test wait for it.
_TYPESET_SCRIPT = """
document.addEventListener("DOMContentLoaded", () => {
  window.ankigenTypeset = MathJax.startup.promise.then(() => {
    MathJax.typesetClear();
    return MathJax.typesetPromise([...document.querySelectorAll(".face > .card")]);
  });
});
"""


def render_preview(cards_dir: Path, out_dir: Path, mathjax: MathJax | None = None) -> str:
    try:
        from anki.collection import (
            Collection,
            ImportAnkiPackageOptions,
            ImportAnkiPackageRequest,
        )
    except ImportError:
        raise AnkigenError(
            "ankigen preview renders cards with the official anki package: "
            "pip install anki==26.9.3 (or, in your clone of ankigen: pip install '.[preview]')"
        ) from None

    from anki.errors import BackendIOError

    result = plan(cards_dir, out_dir, Options(use_stamp=False))
    languages = {s.deck: s.lang or guess_language(s) for s in load_sections(cards_dir)[0]}
    try:
        workspace = output.scratch_folder("Anki's collection")
    except AnkigenError:
        result.close()
        raise
    with workspace as tmp:
        col = Collection(str(Path(tmp) / "collection.anki2"))
        try:
            for deck in result.decks:
                request = ImportAnkiPackageRequest(
                    package_path=str(deck.file), options=ImportAnkiPackageOptions()
                )
                col.import_anki_package(request)
            col.models._clear_cache()
            media = _data_urls(Path(col.media.dir()))
            body, styles = _faces(col, media, languages)
        except BackendIOError as e:
            # Anki takes its temporary folder from TMPDIR as it is; Python falls back to
            # /tmp when that is missing, so the decks were made and Anki's import fails.
            raise AnkigenError(
                f"Anki cannot write its temporary files: {e}; "
                "set TMPDIR to a folder you can write to"
            ) from None
        finally:
            col.close()
            result.close()
    faces = sum(part.startswith("<section") for part in body)
    return (
        # The page's own words are English; each face says the language of its deck.
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>ankigen preview</title>"
        f"<style>{''.join(styles)}{_PAGE_CSS}</style><script>{_PAGE_SCRIPT}</script>"
        f"{_mathjax_scripts(mathjax)}"
        '</head><body><header><button id="night" type="button">night mode</button> '
        f"{faces} card faces, rendered by Anki. {_mathjax_note(mathjax)}</header>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def _mathjax_scripts(mathjax: MathJax | None) -> str:
    if mathjax is None:
        return ""
    # As data URLs, so nothing in MathJax's source can end the script element early.
    return "".join(
        f'<script src="data:text/javascript;base64,{base64.b64encode(js.encode()).decode()}">'
        "</script>"
        for js in (mathjax.config, mathjax.script, _TYPESET_SCRIPT)
    )


def _mathjax_note(mathjax: MathJax | None) -> str:
    if mathjax is None:
        return (
            '<strong id="mathjax">Anki\'s MathJax was not found: text that Anki would typeset '
            "as math is shown as plain text here. Install aqt, or pass --mathjax with the aqt "
            "wheel (pip download --no-deps aqt).</strong>"
        )
    return f'<span id="mathjax">MathJax: Anki\'s, from {html.escape(mathjax.source)}.</span>'


def _data_urls(media_dir: Path) -> dict[str, str]:
    urls = {}
    for path in media_dir.iterdir():
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        urls[path.name] = f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"
    return urls


# A script only one language of those a learner is likely to use is written in, by the
# first such character found: kana, hangul, then Han (Chinese), Cyrillic, Greek.
_SCRIPTS = (
    ("ja", re.compile("[\u3040-\u30ff]")),
    ("ko", re.compile("[\uac00-\ud7af]")),
    ("zh", re.compile("[\u4e00-\u9fff]")),
    ("ru", re.compile("[\u0400-\u04ff]")),
    ("el", re.compile("[\u0370-\u03ff]")),
)


def guess_language(section: Section) -> str:
    """The language a section without `lang:` is written in, from its script; Latin
    letters (and anything else) are taken as English."""
    text = "\n".join(
        value
        for card in section.cards
        for value in (*card.values.values(), card.note or "", card.hint or "")
        if isinstance(value, str)
    )
    return next((lang for lang, script in _SCRIPTS if script.search(text)), "en")


# What the type-in box asks for, in the deck's language (its primary subtag).
_TYPE_PROMPTS = {
    "en": "Type the command",
    "ja": "コマンドを入力",
    "zh": "输入命令",
    "ko": "명령을 입력하세요",
    "de": "Befehl eingeben",
    "fr": "Saisissez la commande",
    "es": "Escribe el comando",
    "ru": "Введите команду",
}


def _faces(col, media: dict[str, str], languages: dict[str, str]) -> tuple[list[str], list[str]]:
    body: list[str] = []
    styles: dict[int, str] = {}
    for deck in sorted(col.decks.all_names_and_ids(), key=lambda d: d.name):
        cards = [col.get_card(cid) for cid in col.find_cards(f"did:{deck.id}")]
        if not cards:
            continue
        body.append(f"<h2>{html.escape(deck.name)}</h2>")
        lang = languages.get(deck.name, "en")
        for card in sorted(cards, key=lambda c: (c.due, c.nid, c.ord)):
            note_type = card.note_type()
            styles[note_type["id"]] = note_type["css"]
            rendered = card.render_output()
            expected = _type_answer_field(card, note_type)
            for side, text in (("front", rendered.question_text), ("back", rendered.answer_text)):
                text = _type_answer(col, text, expected, side, lang)
                text = _players(text, rendered, media)
                text = re.sub(r'src="([^"]+)"', lambda m: f'src="{media.get(m[1], m[1])}"', text)
                label = f"{note_type['name']} · {card.template()['name']} · {side}"
                face_id = f"face-{len(body)}"
                body.append(
                    f'<section class="face" id="{face_id}"><div class="label">'
                    f"{html.escape(label)} · #{face_id}</div>"
                    f'<div class="card card{card.ord + 1}" lang="{html.escape(lang)}">'
                    f"{text}</div></section>"
                )
    return body, list(styles.values())


def _players(text: str, rendered, media: dict[str, str]) -> str:
    """Anki's reviewer shows a play button where its renderer left `[anki:play:q:0]`
    (the question's first sound): here, a player of that file."""
    tags = {"q": rendered.question_av_tags, "a": rendered.answer_av_tags}

    def player(found: re.Match[str]) -> str:
        name = getattr(tags[found[1]][int(found[2])], "filename", "")
        return f'<audio controls preload="none" src="{media.get(name, name)}"></audio>'

    return re.sub(r"\[anki:play:([qa]):(\d+)\]", player, text)


def _type_answer_field(card, note_type) -> str | None:
    match = re.search(r"\{\{type:(.+?)\}\}", card.template()["qfmt"])
    return card.note()[match[1]] if match else None


def _type_answer(col, text: str, expected: str | None, side: str, lang: str) -> str:
    # Anki's reviewer, not its template engine, fills in the type-in box: do as it does,
    # with the correct answer typed on the back.
    if expected is None:
        return text
    if side == "front":
        prompt = _TYPE_PROMPTS.get(lang.split("-")[0].lower(), _TYPE_PROMPTS["en"])
        box = f'<input type="text" id="typeans" lang="{html.escape(lang)}" placeholder="{prompt}">'
        return re.sub(r"\[\[type:.+?\]\]", box, text)
    typed = html.unescape(re.sub(r"<[^>]+>", " ", expected))
    comparison = col.compare_answer(expected, typed)
    return re.sub(r"\[\[type:.+?\]\]", lambda _: comparison, text)
