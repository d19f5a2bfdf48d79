"""The SVG allow-list: what ordinary diagrams use passes, every trick is refused."""

from __future__ import annotations

import pytest

from ankigen.svg import svg_problem
from tests.conftest import REPO

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'viewBox="0 0 10 10" role="img" aria-label="diagram">{}</svg>'
)

ORDINARY = {
    "style sheet with night mode": "<style type='text/css'><![CDATA[ text { font-size: 16px; "
    "fill: currentColor } .bg { fill: #fff } @media (prefers-color-scheme: dark) { .bg { "
    "fill: #1e1e1e } text { fill: #eee !important } } ]]></style><rect class='bg'/>",
    "custom properties": "<style>:root { --fg: #000 } @media (prefers-color-scheme: dark) "
    "{ :root { --fg: #fff } } text { fill: var(--fg) }</style>",
    "markers, gradients, use": "<defs><marker id='arrow' markerWidth='10' markerHeight='7' "
    "refX='10' refY='3.5' orient='auto'><polygon points='0 0, 10 3.5, 0 7'/></marker>"
    "<linearGradient id='g'><stop offset='0' stop-color='#fff'/></linearGradient></defs>"
    "<line x1='0' y1='0' x2='5' y2='5' stroke='#000' marker-end='url(#arrow)' "
    "style='stroke-dasharray: 4 3'/><rect fill='url(#g)' transform='translate(1,2) "
    "rotate(45)'/><use xlink:href='#arrow'/><use href='#arrow'/>",
    "text": "<title>t</title><desc>d</desc><text xml:space='preserve' "
    "dominant-baseline='middle' font-family=\"'Noto Sans CJK JP',sans-serif\">"
    "<tspan dx='1'>日本語 &amp; text</tspan></text>",
    "functions": "<g opacity='.5'><circle cx='1' cy='1' r='1' "
    "style='fill:rgb(1,2,3);stroke-width:calc((1px + 2px) * 2)'/></g>",
}

TRICKS = {
    "@import in upper case": ("<style>@IMPORT 'http://x/a.css';</style>", "the at-rule '@IMPORT'"),
    "@font-face": ("<style>@font-face { src: url(#x) }</style>", "the at-rule '@font-face'"),
    "CSS escape": ("<rect style='fill: \\75 rl(http://x/a)'/>", "CSS escapes"),
    "image-set": ("<style>rect { fill: image-set('a.png' 1x) }</style>", "image-set()"),
    "expression": ("<rect style='fill: expression(alert(1))'/>", "expression()"),
    "external url": ("<rect fill='url(#a) url(http://x)'/>", "the value 'url(#a) url(http:"),
    "relative url": ("<rect style='fill: url(track.png)'/>", "url() to something other"),
    "external url in a custom property": ("<style>a { --x: url(http://e/x) }</style>", "--x"),
    "unknown property": ("<rect style='behavior: url(#x)'/>", "the property 'behavior'"),
    "SMIL set": (
        "<use href='#a'><set attributeName='href' to='javascript:alert(1)'/></use>",
        "element <set>",
    ),
    "SMIL animate": (
        "<rect><animate attributeName='fill' values='red'/></rect>",
        "element <animate>",
    ),
    "script": ("<script>alert(1)</script>", "element <script>"),
    "event handler": ("<rect onclick='alert(1)'/>", "attribute onclick on <rect>"),
    "foreignObject": ("<foreignObject/>", "element <foreignObject>"),
    "link": ("<a href='#x'/>", "element <a>"),
    "external use": ("<use href='other.svg#a'/>", "<use> href to something other"),
    "javascript href": ("<use xlink:href='javascript:alert(1)'/>", "<use> xlink:href"),
    "prefixed element": ("<foo:bar xmlns:foo='x'/>", "element <foo:bar>"),
    "other namespace": ("<rect xmlns='http://example.com/'/>", 'xmlns="http://example.com/"'),
    "xml-stylesheet": ("<?xml-stylesheet href='a.css'?>", "<?xml-stylesheet?>"),
}


@pytest.mark.parametrize("body", ORDINARY.values(), ids=ORDINARY.keys())
def test_ordinary_svg_passes(body: str) -> None:
    assert svg_problem(SVG.format(body).encode()) is None


@pytest.mark.parametrize("body, named", TRICKS.values(), ids=TRICKS.keys())
def test_trick_is_refused_with_what_and_where(body: str, named: str) -> None:
    problem = svg_problem(SVG.format(body).encode())
    assert problem is not None
    assert problem.startswith("is an SVG that is not allowed (line 1: ")
    assert named in problem


def test_the_shipped_images_pass() -> None:
    images = sorted((REPO / "cards" / "images").glob("*.svg"))
    assert images
    for image in images:
        assert svg_problem(image.read_bytes()) is None, image.name


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_a_doctype_is_refused_in_any_encoding(encoding: str) -> None:
    text = f'<?xml version="1.0" encoding="{encoding.replace("-sig", "")}"?>\n'
    text += '<!DOCTYPE svg [<!ENTITY a "b">]>\n' + SVG.format("<text>&a;</text>")
    data = text.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    assert svg_problem(data) in (
        "is an SVG that is not allowed (line 2: a DOCTYPE)",
        "is an SVG in an encoding that cannot be read (multi-byte encodings are not "
        "supported); save it as UTF-8",
    )


def test_a_root_that_is_not_svg() -> None:
    assert svg_problem(b"<html/>") == (
        "is an SVG that is not allowed (line 1: the root element is <html>, not <svg>)"
    )


@pytest.mark.parametrize("encoding", ["x-unknown", "utf-32"])
def test_an_unreadable_encoding_is_refused(encoding: str) -> None:
    data = f'<?xml version="1.0" encoding="{encoding}"?>'.encode() + SVG.format("").encode()
    assert svg_problem(data) is not None
