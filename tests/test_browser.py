"""Every card face, as Anki renders it, in a real browser: phone and desktop, light and night.

Runs headless Chromium (Debian's `chromium`, which .ci/run installs) over the page
`ankigen preview` writes, with Anki's own MathJax (from the aqt wheel) typesetting the cards
as Anki's reviewer does. A measuring script added here reports what a learner would hit:
sideways scrolling (of the page or of any box in a card), small text, low contrast, a table
cell that does not stand out or is off screen, diagram text too small to read, bright blocks
at night, and text that MathJax typeset or changed.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ankigen.kinds import KINDS
from tests.conftest import FIXTURES, REPO, run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "tests" / "artifacts"
CACHE = REPO / "tests" / ".cache"
AQT = "aqt==26.9.3"  # the Anki whose MathJax (and its config) the cards must survive

if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail("CI must run the browser tests: install Debian's chromium", pytrace=False)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")

SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
# The line every field of the MathJax fixture holds after its field's name (see the file).
MATHJAX_TEXT = (
    r"sed 's/\(foo\)\(bar\)/\2\1/' file.txt; grep '\[error\]' app.log; find . \( -name x \);"
    r" ^\d+\.\d+$ $x$ $$y$$ \begin{align}a\end{align} [latex]z[/latex] [$]w[/$] [$$]v[/$$]"
    " {{c1::q}} [sound:a.mp3] <b>b</b>"
)
# The fields each face of the fixture shows, by template and side.
MATHJAX_FIELDS = {
    ("Term → Meaning", "front"): {"term"},
    ("Term → Meaning", "back"): {"term", "meaning", "note"},
    ("Meaning → Term", "front"): {"meaning"},
    ("Meaning → Term", "back"): {"meaning", "term", "note"},
    ("Command → Meaning", "front"): {"command"},
    ("Command → Meaning", "back"): {"command", "meaning", "note"},
    ("Meaning → Command", "front"): {"meaning"},
    # The back shows the command as Anki's type-in comparison.
    ("Meaning → Command", "back"): {"meaning", "command", "note"},
    ("Cloze", "front"): {"prompt", "item"},
    ("Cloze", "back"): {"prompt", "item", "note"},
    ("Cell", "front"): {"title", "row", "column"},
    ("Cell", "back"): {"title", "row", "column", "value", "note"},
    ("Gap", "front"): {"text"},
    ("Gap", "back"): {"text", "note"},
}
# A face that is bright at night: an element or image larger than this (CSS px²) whose
# mean relative luminance is above BRIGHT (white is 1, the night card background 0.013).
LARGE_AREA = 20000
BRIGHT = 0.35

# Typeset by MathJax when it works at all: proof that "nothing typeset" means something.
CONTROL = r'<section class="face control"><div class="card">\(x^2\)</div></section>'

MEASURE = r"""
<script>
function rgb(text) {
  const m = text.match(/[\d.]+/g).map(Number);
  return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1};
}
function luminance(c) {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}
function contrast(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}
function background(el) {
  for (; el; el = el.parentElement) {
    const c = rgb(getComputedStyle(el).backgroundColor);
    if (c.a > 0) return c;
  }
  return {r: 255, g: 255, b: 255, a: 1};
}
function shown(el) {
  return el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
}
// The smallest text of an SVG diagram as displayed: its font size in SVG units, scaled
// by the image's displayed width over the SVG's own width (viewBox).
function smallestSvgText(img, svgText) {
  const holder = document.createElement("div");
  holder.style.cssText = "position:absolute;left:-99999px;top:0;width:1000px";
  holder.innerHTML = svgText;
  document.body.append(holder);
  const svg = holder.querySelector("svg");
  const box = svg.viewBox.baseVal;
  const width = box && box.width ? box.width : parseFloat(svg.getAttribute("width"));
  let smallest = Infinity;
  for (const t of svg.querySelectorAll("text, tspan")) {
    if (!t.textContent.trim()) continue;
    smallest = Math.min(smallest, parseFloat(getComputedStyle(t).fontSize));
  }
  holder.remove();
  return smallest * img.getBoundingClientRect().width / width;
}
function svgSource(img) {
  const src = img.getAttribute("src");
  const m = src.match(/^data:image\/svg\+xml;base64,(.*)$/);
  return m ? new TextDecoder().decode(Uint8Array.from(atob(m[1]), c => c.charCodeAt(0))) : null;
}
// Mean luminance of an image as drawn, with the CSS filter the card gives it.
function imageLuminance(img) {
  const rect = img.getBoundingClientRect();
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(rect.width));
  canvas.height = Math.max(1, Math.round(rect.height));
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = `rgb(${Object.values(background(img.parentElement)).slice(0, 3).join(",")})`;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const filter = getComputedStyle(img).filter;
  ctx.filter = filter === "none" ? "none" : filter;
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) {
    sum += luminance({r: data[i], g: data[i + 1], b: data[i + 2]});
  }
  return sum / (data.length / 4);
}
const before = new Map();
for (const card of document.querySelectorAll(".face > .card")) before.set(card, card.textContent);

window.addEventListener("load", async () => {
  await document.fonts.ready;
  const report = {width: innerWidth, height: innerHeight,
                  pageOverflow: document.documentElement.scrollWidth - innerWidth,
                  faces: 0, wideBoxes: [], smallText: [], lowContrast: [], cells: [],
                  askedOffScreen: [], unlabelled: [], tableBacks: 0, images: 0, brokenImages: [],
                  diagrams: [], brightBlocks: [], mathjax: "", typeset: [], changedText: [],
                  control: 0, text: {}, math: {}};
  try {
    await window.ankigenTypeset;
    report.mathjax = window.ankigenTypeset ? "typeset" : "absent";
  } catch (e) {
    report.mathjax = `error: ${e}`;
  }
  const night = document.body.classList.contains("night");
  for (const face of document.querySelectorAll(".face")) {
    const card = face.querySelector(".card");
    if (face.classList.contains("control")) {
      report.control = card.querySelectorAll("mjx-container").length;
      face.remove();
      continue;
    }
    report.faces++;
    const label = face.querySelector(".label").textContent;
    report.text[face.id] = [label, card.innerText];
    if (card.querySelector("mjx-container")) report.typeset.push(face.id);
    report.math[face.id] = [before.get(card), card.querySelectorAll("mjx-container").length];
    if (card.textContent !== before.get(card)) report.changedText.push(face.id);
    const cardRect = card.getBoundingClientRect();
    for (const el of [card, ...card.querySelectorAll("*")]) {
      if (!shown(el)) continue;
      const where = `${face.id} <${el.tagName.toLowerCase()} class="${el.className}">`;
      // A box that scrolls (or spills) sideways, whatever its overflow setting.
      if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
        report.wideBoxes.push(`${where} ${el.scrollWidth} > ${el.clientWidth}`);
      }
      const style = getComputedStyle(el);
      const rect = el.getBoundingClientRect();
      if (night && rect.width * rect.height > LARGE_AREA && el.tagName !== "IMG") {
        const bg = rgb(style.backgroundColor);
        if (bg.a > 0.5 && luminance(bg) > BRIGHT) {
          report.brightBlocks.push(`${where} ${luminance(bg).toFixed(2)}`);
        }
      }
      const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      if (!text) continue;
      const size = parseFloat(style.fontSize);
      if (size < 16) report.smallText.push(`${where} ${size}px`);
      const ratio = contrast(rgb(style.color), background(el));
      if (ratio < 4.5) report.lowContrast.push(`${where} ${ratio.toFixed(2)}`);
    }
    for (const img of card.querySelectorAll("img")) {
      report.images++;
      if (!img.complete || img.naturalWidth === 0) { report.brokenImages.push(face.id); continue; }
      const rect = img.getBoundingClientRect();
      const svg = svgSource(img);
      if (svg) report.diagrams.push({face: face.id, text: smallestSvgText(img, svg)});
      if (night && rect.width * rect.height > LARGE_AREA) {
        const mean = imageLuminance(img);
        if (mean > BRIGHT) report.brightBlocks.push(`${face.id} <img> ${mean.toFixed(2)}`);
      }
    }
    if (/ · Cell · back/.test(label)) {
      report.tableBacks++;
      // The asked cell a learner sees first: on screen without scrolling sideways, and
      // within the first screen of the card.
      const asked = [...card.querySelectorAll(".asked")].find(shown);
      const r = asked ? asked.getBoundingClientRect() : null;
      if (!r || r.left < 0 || r.right > innerWidth || r.bottom - cardRect.top > innerHeight) {
        report.askedOffScreen.push(face.id);
      }
    }
    // Every value shown in a table is shown with its column: in the table's head, or
    // (folded on a phone) in a label of its own.
    for (const table of card.querySelectorAll("table")) {
      if (!shown(table) || (table.tHead && shown(table.tHead))) continue;
      for (const td of table.querySelectorAll("td")) {
        const label = td.querySelector(".label");
        if (shown(td) && !(label && shown(label) && label.textContent.trim())) {
          report.unlabelled.push(face.id);
          break;
        }
      }
    }
    for (const cell of card.querySelectorAll(".asked")) {
      if (!shown(cell)) continue;
      const style = getComputedStyle(cell);
      report.cells.push({
        face: face.id,
        text: contrast(rgb(style.color), background(cell)),
        // No outline at all counts as none, whatever width Chromium reports for it.
        outline: style.outlineStyle === "none"
          ? 0 : contrast(rgb(style.outlineColor), background(cell.parentElement)),
        outlineWidth: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
      });
    }
  }
  parent.postMessage(JSON.stringify(report), "*");
});
</script>
""".replace("LARGE_AREA", str(LARGE_AREA)).replace("BRIGHT", str(BRIGHT))


def _chromium(page: Path, hash_: str, size: tuple[int, int], *extra: str) -> str:
    """Open `page#hash_` in a viewport of exactly `size` CSS px; returns the dumped DOM.

    Headless Chromium will not make a window narrower than 500 px, and its window size
    is not its viewport size: the page goes in an iframe of the size, which is the
    viewport its media queries and measurements see. The measuring script posts its
    report to this frame."""
    assert CHROMIUM is not None
    width, height = size
    frame = page.parent / f"frame-{page.stem}-{width}x{height}-{hash_ or 'plain'}.html"
    frame.write_text(
        '<!doctype html><html><body style="margin:0;background:#888">'
        f'<iframe src="{page.as_uri()}#{hash_}" width="{width}" height="{height}" '
        'style="border:0;display:block"></iframe><pre id="measurements"></pre><script>'
        'addEventListener("message", e => {'
        'document.getElementById("measurements").textContent = e.data; });'
        "</script></body></html>",
        encoding="utf-8",
    )
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        # Room for the frame: the window's own bars take some of its height.
        f"--window-size={max(width, 500)},{height + 200}",
        f"--user-data-dir={page.parent / 'profile'}",
        *extra,
        frame.as_uri(),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout


@pytest.fixture(scope="session")
def aqt_wheel() -> Path:
    """The aqt wheel, for Anki's MathJax and its config: fetched once into tests/.cache.
    Only the wheel, never aqt itself (its dependencies include Qt)."""
    name = "aqt-26.9.3-py3-none-any.whl"
    wheel = CACHE / name
    if not wheel.is_file():
        CACHE.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", AQT, "-d", str(CACHE)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not wheel.is_file():
            reason = f"cannot fetch {AQT} for Anki's MathJax: {done.stderr.strip()[-300:]}"
            if os.environ.get("CI"):
                pytest.fail(reason, pytrace=False)
            pytest.skip(reason)
    assert zipfile.is_zipfile(wheel)
    return wheel


def _preview(folder: Path, cards: Path, out: Path, wheel: Path) -> Path:
    """`ankigen preview` of these cards with Anki's MathJax, and the measuring script."""
    output = folder / "preview.html"
    args = ("--cards", str(cards), "--out", str(out), "-o", str(output), "--mathjax", str(wheel))
    code, _, err = run("preview", *args)
    # The fixture's text looks like HTML on purpose, and is warned about; the decks' is not.
    assert code == 0 and (err == "" or cards != REPO / "cards")
    text = output.read_text(encoding="utf-8")
    assert "MathJax: Anki's, from" in text
    measured = text.replace("</body>", f"{CONTROL}{MEASURE}</body>")
    (folder / "measured.html").write_text(measured, encoding="utf-8")
    return folder


def _measure(folder: Path, device: str, mode: str) -> dict:
    dom = _chromium(
        folder / "measured.html",
        "night" if mode == "night" else "",
        SIZES[device],
        "--virtual-time-budget=30000",
        "--dump-dom",
    )
    (report_json,) = re.findall(r'<pre id="measurements">(.*?)</pre>', dom, re.S)
    report = json.loads(html.unescape(report_json))
    # The page was measured in a viewport of the size asked for.
    assert [report["width"], report["height"]] == list(SIZES[device])
    # Anki's MathJax ran over the page, and typeset the control: it works here.
    assert report["mathjax"] == "typeset"
    assert report["control"] == 1
    return report


@pytest.fixture(scope="module")
def page(tmp_path_factory, aqt_wheel) -> Path:
    """The preview of the repository's own decks."""
    folder = tmp_path_factory.mktemp("preview")
    ARTIFACTS.mkdir(exist_ok=True)
    return _preview(folder, REPO / "cards", REPO / "decks", aqt_wheel)


@pytest.fixture(scope="module")
def mathjax_page(tmp_path_factory, aqt_wheel) -> Path:
    """The preview of the fixture whose every field holds text MathJax would typeset."""
    folder = tmp_path_factory.mktemp("mathjax")
    return _preview(folder, FIXTURES / "mathjax", folder / "decks", aqt_wheel)


@pytest.mark.parametrize("mode", ["light", "night"])
@pytest.mark.parametrize("device", list(SIZES))
def test_every_card_face_reads_well(page, device, mode):
    report = _measure(page, device, mode)

    assert report["faces"] > 600  # every face of the three decks was there to measure
    assert report["pageOverflow"] <= 0
    assert report["wideBoxes"] == []
    assert report["smallText"] == []
    assert report["lowContrast"] == []
    assert report["typeset"] == [] and report["changedText"] == []
    assert report["tableBacks"] > 0 and report["askedOffScreen"] == []
    assert report["unlabelled"] == []
    assert report["cells"]  # the table faces' highlighted cells were found
    for cell in report["cells"]:
        assert cell["text"] >= 4.5, cell
        assert cell["outline"] >= 3 and cell["outlineWidth"] >= 2, cell
    assert report["images"] > 0 and report["brokenImages"] == []
    assert len({d["face"] for d in report["diagrams"]}) >= 5
    small = [d for d in report["diagrams"] if not (d["text"] or 0) >= 14]  # NaN is null
    assert small == []
    assert report["brightBlocks"] == []


@pytest.mark.parametrize("device", list(SIZES))
def test_anki_mathjax_leaves_every_field_as_written(mathjax_page, device):
    report = _measure(mathjax_page, device, "light")

    assert report["typeset"] == []
    assert report["changedText"] == []
    assert report["wideBoxes"] == []
    seen = set()
    for face, (label, text) in report["text"].items():
        template, side = label.split(" · ")[1:3]
        seen.add((template, side))
        for field in MATHJAX_FIELDS[template, side]:
            assert f"{field}: {MATHJAX_TEXT}" in text, (face, label, field)
    assert seen == set(MATHJAX_FIELDS)  # every template's both sides were checked


@pytest.fixture(scope="module")
def math_page(tmp_path_factory, aqt_wheel) -> Path:
    """The preview of the fixture whose section says `math: true`."""
    folder = tmp_path_factory.mktemp("math")
    return _preview(folder, FIXTURES / "math", folder / "decks", aqt_wheel)


# What the math fixture writes to stay text: `code`, a command, and a card with math: false.
AS_TEXT = [r"\(not math\)", r"\(shown as typed\)", r"\(q\)", r"\[y\]"]
FORMULA = re.compile(r"\\\(.*?\\\)|\\\[.*?\\\]")


def test_math_true_lets_anki_mathjax_typeset_that_text_and_nothing_else(math_page):
    report = _measure(math_page, "phone", "light")

    assert len(report["math"]) == 20  # every face of the fixture (a term both ways, ...)
    for face, (before, typeset) in report["math"].items():
        formulas = FORMULA.findall(before)
        meant = [f for f in formulas if f not in AS_TEXT]
        label, shown = report["text"][face]
        # Each formula of a math card became one typeset formula, wherever it is shown...
        assert typeset == len(meant), (label, before)
        # ...and what is meant to stay text is shown as written.
        assert FORMULA.findall(shown) == [f for f in formulas if f in AS_TEXT], (label, shown)
    assert sum(typeset for _, typeset in report["math"].values()) > 18


@pytest.mark.screenshots
def test_screenshots_for_a_person_to_look_at(page):
    """Saved to tests/artifacts/: a table cell, a typed command, a cloze, the diagrams."""
    text = (page / "preview.html").read_text(encoding="utf-8")

    def first(label: str) -> str:
        return re.search(rf'id="(face-\d+)"><div class="label">{label}', text)[1]

    faces = {
        "table-back": first(f"{KINDS['table'].note_type.name} · Cell · back"),
        "command-typed-back": first(
            f"{KINDS['command'].note_type.name} · Meaning → Command · back"
        ),
        "cloze-front": first(f"{KINDS['cloze'].note_type.name} · Cloze · front"),
    }
    # The widest table, asked about its last column: the hard case on a phone.
    faces["table-widest-back"] = next(
        re.match(r' class="face" id="(face-\d+)"', part)[1]
        for part in text.split("<section")[1:]
        if "· Cell · back" in part and '<td class="asked"><span class="label">ゲストOS同士' in part
    )
    diagrams: dict[str, str] = {}
    for part in text.split("<section")[1:]:
        image = re.search(r'<img src="([^"]+)"', part)
        if image and "· back" in part:
            diagrams.setdefault(image[1], re.match(r' class="face" id="(face-\d+)"', part)[1])
    for i, face in enumerate(diagrams.values()):
        faces[f"diagram-{i + 1}"] = face
    for name, face in faces.items():
        for device, (width, height) in SIZES.items():
            # A diagram sits below its card's text: a taller screen shows all of it.
            size = (width, 3000 if name.startswith("diagram") else height)
            for mode in ("light", "night"):
                shot = ARTIFACTS / f"{name}-{device}-{mode}.png"
                hash_ = f"{face},night" if mode == "night" else face
                _chromium(page / "preview.html", hash_, size, f"--screenshot={shot}")
                assert shot.stat().st_size > 5000, shot
