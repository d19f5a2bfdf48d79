"""Every card face, as Anki renders it, in a real browser: phone and desktop, light and night.

Runs headless Chromium (Debian's `chromium`, which .ci/run installs). The page is the one
`ankigen preview` writes; a measuring script added here reports what a learner would hit:
sideways scrolling, small text, low contrast, a table cell that does not stand out.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import REPO, run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = REPO / "tests" / "artifacts"

if CHROMIUM is None and os.environ.get("CI"):
    pytest.fail("CI must run the browser tests: install Debian's chromium", pytrace=False)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium package")

SIZES = {"phone": (360, 740), "desktop": (1280, 800)}

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
window.addEventListener("load", () => {
  const report = {pageOverflow: document.documentElement.scrollWidth - innerWidth,
                  faces: 0, wideFaces: [], smallText: [], lowContrast: [], cells: [],
                  images: 0, brokenImages: []};
  for (const face of document.querySelectorAll(".face")) {
    report.faces++;
    const card = face.querySelector(".card");
    if (card.scrollWidth > card.clientWidth + 1) report.wideFaces.push(face.id);
    for (const el of card.querySelectorAll("*")) {
      const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      if (!text) continue;
      const style = getComputedStyle(el);
      if (style.display === "none" || style.visibility === "hidden") continue;
      const where = `${face.id} <${el.tagName.toLowerCase()} class="${el.className}">`;
      const size = parseFloat(style.fontSize);
      if (size < 16) report.smallText.push(`${where} ${size}px`);
      const ratio = contrast(rgb(style.color), background(el));
      if (ratio < 4.5) report.lowContrast.push(`${where} ${ratio.toFixed(2)}`);
    }
    for (const img of card.querySelectorAll("img")) {
      report.images++;
      if (!img.complete || img.naturalWidth === 0) report.brokenImages.push(face.id);
    }
    for (const cell of card.querySelectorAll("td.asked")) {
      const style = getComputedStyle(cell);
      report.cells.push({
        face: face.id,
        text: contrast(rgb(style.color), background(cell)),
        outline: contrast(rgb(style.outlineColor), background(cell.closest(".card"))),
        outlineWidth: parseFloat(style.outlineWidth),
      });
    }
  }
  document.getElementById("measurements").textContent = JSON.stringify(report);
});
</script>
"""


def _chromium(url: str, size: tuple[int, int], profile: Path, *extra: str) -> str:
    assert CHROMIUM is not None
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
        f"--window-size={size[0]},{size[1]}",
        f"--user-data-dir={profile}",
        *extra,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    """The preview of the repository's own decks, with the measuring script added."""
    folder = tmp_path_factory.mktemp("preview")
    output = folder / "preview.html"
    code, _, err = run(
        "preview", "--cards", str(REPO / "cards"), "--out", str(REPO / "decks"), "-o", str(output)
    )
    assert (code, err) == (0, "")
    text = output.read_text(encoding="utf-8")
    measured = text.replace("</body>", f'<pre id="measurements"></pre>{MEASURE}</body>')
    (folder / "measured.html").write_text(measured, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)
    return folder


@pytest.mark.parametrize("mode", ["light", "night"])
@pytest.mark.parametrize("device", list(SIZES))
def test_every_card_face_reads_well(page, device, mode):
    url = (page / "measured.html").as_uri() + ("#night" if mode == "night" else "")
    dom = _chromium(
        url, SIZES[device], page / "profile", "--virtual-time-budget=10000", "--dump-dom"
    )
    (report_json,) = re.findall(r'<pre id="measurements">(.*?)</pre>', dom, re.S)
    report = json.loads(report_json.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))

    assert report["faces"] > 600  # every face of the three decks was there to measure
    assert report["pageOverflow"] <= 0
    assert report["wideFaces"] == []
    assert report["smallText"] == []
    assert report["lowContrast"] == []
    assert report["cells"]  # the table faces' highlighted cells were found
    assert report["images"] > 0 and report["brokenImages"] == []
    for cell in report["cells"]:
        assert cell["text"] >= 4.5, cell
        assert cell["outline"] >= 3 and cell["outlineWidth"] >= 2, cell


def test_screenshots_for_a_person_to_look_at(page):
    """Saved to tests/artifacts/: a table cell, a typed command, a cloze, the diagrams."""
    text = (page / "preview.html").read_text(encoding="utf-8")

    def first(label: str) -> str:
        return re.search(rf'id="(face-\d+)"><div class="label">{label}', text)[1]

    faces = {
        "table-back": first("ankigen Table cell · Cell · back"),
        "command-typed-back": first("ankigen Command · Meaning → Command · back"),
        "cloze-front": first("ankigen Cloze list · Cloze · front"),
        "network-diagram": next(
            re.match(r'<section class="face" id="(face-\d+)"', "<section" + part)[1]
            for part in text.split("<section")[1:]
            if "Table cell · Cell · back" in part and "<img" in part
        ),
    }
    for name, face in faces.items():
        for device, size in SIZES.items():
            for mode in ("light", "night"):
                shot = ARTIFACTS / f"{name}-{device}-{mode}.png"
                hash_ = f"{face},night" if mode == "night" else face
                url = (page / "preview.html").as_uri() + "#" + hash_
                _chromium(url, size, page / "profile", f"--screenshot={shot}")
                assert shot.stat().st_size > 5000, shot
