"""Which SVG files may go on a card: an allow-list, checked with a real XML parser.

Anki shows media in a webview, on every device a learner syncs to: an image must not run
script, fetch anything or change itself. A deny-list loses to the next trick (`@IMPORT`,
CSS escapes, `image-set()`, SMIL `<set href>`), so only what ordinary diagrams need is
accepted: the elements and attributes below, CSS from a safe subset, and references to
`#id`s of the same file. The parser is expat with no DTD: a DOCTYPE, an entity or a
processing instruction (`<?xml-stylesheet?>`) is refused when it is met, in any encoding.
"""

from __future__ import annotations

import functools
import re
import xml.parsers.expat
from typing import Any

ELEMENTS = frozenset(
    """svg g defs title desc metadata rect circle ellipse line polyline polygon path text
    tspan textPath marker linearGradient radialGradient stop clipPath mask pattern symbol
    use style""".split()
)

# Presentation attributes: also the CSS properties a style may set.
PRESENTATION = frozenset(
    """fill fill-opacity fill-rule stroke stroke-width stroke-linecap stroke-linejoin
    stroke-miterlimit stroke-dasharray stroke-dashoffset stroke-opacity opacity color
    font font-family font-size font-size-adjust font-weight font-style font-variant
    font-stretch text-anchor dominant-baseline alignment-baseline baseline-shift
    letter-spacing word-spacing text-decoration text-transform line-height writing-mode
    direction unicode-bidi visibility display overflow clip-path clip-rule mask
    marker marker-start marker-mid marker-end stop-color stop-opacity shape-rendering
    text-rendering color-rendering image-rendering vector-effect paint-order
    transform-origin transform-box white-space color-interpolation isolation
    mix-blend-mode pointer-events cursor""".split()
)

ATTRIBUTES = PRESENTATION | frozenset(
    """id class style transform viewBox width height x y x1 x2 y1 y2 cx cy r rx ry fx fy
    fr d points pathLength dx dy rotate textLength lengthAdjust startOffset method spacing
    side preserveAspectRatio version baseProfile role lang tabindex focusable
    gradientUnits gradientTransform spreadMethod offset markerWidth markerHeight refX refY
    orient markerUnits clipPathUnits maskUnits maskContentUnits patternUnits
    patternContentUnits patternTransform type media href xlink:href xml:space xml:lang xmlns
    xmlns:xlink""".split()
)
_NAMESPACES = {
    "xmlns": "http://www.w3.org/2000/svg",
    "xmlns:xlink": "http://www.w3.org/1999/xlink",
}

_LOCAL_REF = re.compile(r"#[\w.:-]+")
# A CSS value: words, numbers, colours, strings, lists; functions are checked apart.
_CSS_VALUE = re.compile(r"[\w\s.,%#'\"!/+*()-]*")
_CSS_FUNCTION = re.compile(r"([\w-]*)\s*\(")
# "" is a bare parenthesis, as in calc((1px + 2px) * 2).
_CSS_FUNCTIONS = frozenset(
    "rgb rgba hsl hsla url calc var translate translatex translatey rotate scale matrix "
    "skewx skewy".split()
    + [""]
)
_CSS_LOCAL_URL = re.compile(r"url\(\s*(['\"]?)#[\w.:-]+\1\s*\)", re.IGNORECASE)
_CSS_SELECTOR = re.compile(r"[\w\s.#,>+~*:()\[\]=\"'-]+")
_CSS_MEDIA = re.compile(r"@media\s+[\w\s():,-]+", re.IGNORECASE)


class Refused(Exception):
    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"line {line}: {what}")


@functools.lru_cache(maxsize=64)  # an image is often shown by many cards
def svg_problem(data: bytes) -> str | None:
    """Why this SVG may not be shown in a learner's Anki, or None."""
    parser = xml.parsers.expat.ParserCreate()
    checker = _Checker(parser)
    try:
        return _parse(parser, checker, data)
    finally:
        # The parser's handlers hold the checker, which holds the parser: a cycle, which a
        # build (the cyclic collector off) would otherwise keep for every image it checks.
        checker.parser = None


def _parse(parser: Any, checker: _Checker, data: bytes) -> str | None:
    try:
        parser.Parse(data, True)
    except Refused as e:
        return f"is an SVG that is not allowed ({e})"
    except (ValueError, LookupError) as e:  # an encoding expat does not read ("utf-16-be")
        return f"is an SVG in an encoding that cannot be read ({e}); save it as UTF-8"
    except xml.parsers.expat.ExpatError as e:
        return (
            f"is not a well-formed SVG (line {e.lineno}: {xml.parsers.expat.ErrorString(e.code)})"
        )
    if not checker.seen_root:
        return "is not an SVG image"
    return None


class _Checker:
    def __init__(self, parser: Any) -> None:
        self.parser = parser
        self.seen_root = False
        self.in_style = 0
        self.style_text: list[str] = []
        parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.entity
        parser.ProcessingInstructionHandler = self.instruction
        parser.ExternalEntityRefHandler = self.entity
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.text

    def refuse(self, what: str) -> None:
        raise Refused(self.parser.CurrentLineNumber, what)

    def doctype(self, *_: Any) -> None:
        self.refuse("a DOCTYPE")

    def entity(self, *_: Any) -> None:
        self.refuse("an entity")

    def instruction(self, target: str, _data: str) -> None:
        self.refuse(f"a <?{target}?> instruction")

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if not self.seen_root and name != "svg":
            self.refuse(f"the root element is <{name}>, not <svg>")
        self.seen_root = True
        if name not in ELEMENTS:
            self.refuse(f"element <{name}>")
        if self.in_style:
            self.refuse(f"element <{name}> inside <style>")
        for attribute, value in attributes.items():
            self.attribute(name, attribute, value)
        if name == "style":
            self.in_style += 1
            self.style_text = []

    def end(self, name: str) -> None:
        if name == "style":
            self.in_style -= 1
            problem = css_problem("".join(self.style_text), block=True)
            if problem:
                self.refuse(f"<style>: {problem}")

    def text(self, data: str) -> None:
        if self.in_style:
            self.style_text.append(data)

    def attribute(self, element: str, name: str, value: str) -> None:
        allowed = name in ATTRIBUTES or name.startswith(("aria-", "data-"))
        if not allowed:
            self.refuse(f"attribute {name} on <{element}>")
        if name in _NAMESPACES:
            if value != _NAMESPACES[name]:
                self.refuse(f'{name}="{value}"')
        elif name in ("href", "xlink:href"):
            if not _LOCAL_REF.fullmatch(value.strip()):
                self.refuse(f"<{element}> {name} to something other than an #id of this file")
        elif name == "style":
            problem = css_problem(value, block=False)
            if problem:
                self.refuse(f"style on <{element}>: {problem}")
        elif name in PRESENTATION:
            problem = _value_problem(value)
            if problem:
                self.refuse(f"{name} on <{element}>: {problem}")


def css_problem(css: str, block: bool) -> str | None:
    """What in this CSS is outside the safe subset: a style sheet (block) or declarations."""
    if "\\" in css:
        return "CSS escapes (\\) are not allowed"
    css = re.sub(r"/\*.*?\*/", " ", css, flags=re.DOTALL)
    if "/*" in css or "<" in css:
        return "an unclosed comment or a '<'"
    if not block:
        return _declarations_problem(css)
    return _rules_problem(css)


def _rules_problem(css: str) -> str | None:
    position = 0
    while True:
        opening = css.find("{", position)
        if opening < 0:
            rest = css[position:].strip().lstrip("}").strip()
            if rest.startswith("@"):
                return f"the at-rule '{rest.split()[0]}' is not allowed (only @media)"
            return f"'{rest[:40]}' is not a rule" if rest else None
        prelude = css[position:opening].strip().lstrip("}").strip()
        closing = _matching_brace(css, opening)
        if closing < 0:
            return "a '{' is never closed"
        inner = css[opening + 1 : closing]
        if prelude.startswith("@"):
            if not _CSS_MEDIA.fullmatch(prelude):
                return f"the at-rule '{prelude.split()[0]}' is not allowed (only @media)"
            problem = _rules_problem(inner)
        elif not _CSS_SELECTOR.fullmatch(prelude):
            problem = f"the selector '{prelude[:40]}' is not allowed"
        else:
            problem = _declarations_problem(inner)
        if problem:
            return problem
        position = closing + 1


def _matching_brace(css: str, opening: int) -> int:
    depth = 0
    for index in range(opening, len(css)):
        if css[index] == "{":
            depth += 1
        elif css[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _declarations_problem(css: str) -> str | None:
    if "{" in css or "}" in css or "@" in css:
        return "'{', '}' or an at-rule in a declaration list"
    for declaration in css.split(";"):
        if not declaration.strip():
            continue
        name, colon, value = declaration.partition(":")
        name = name.strip().lower()
        # Custom properties (--fg) carry colours for night mode; their values are checked
        # like any other, so var() can only bring in what passed here.
        custom = re.fullmatch(r"--[\w-]+", name) is not None
        if not colon or not (name in PRESENTATION or custom):
            return f"the property '{name[:40]}' is not allowed"
        problem = _value_problem(value)
        if problem:
            return f"{name}: {problem}"
    return None


def _value_problem(value: str) -> str | None:
    if "\\" in value:
        return "CSS escapes (\\) are not allowed"
    if not _CSS_VALUE.fullmatch(value):
        return f"the value '{value.strip()[:40]}' is not allowed"
    for match in _CSS_FUNCTION.finditer(value):
        function = match.group(1).lower()
        if function not in _CSS_FUNCTIONS:
            return f"the function {function}() is not allowed"
        if function == "url" and not _CSS_LOCAL_URL.match(value, match.start()):
            return "url() to something other than an #id of this file"
    return None
