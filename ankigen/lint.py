"""Warnings for text that is probably damaged: valid, but likely not what was meant.

Notes copied from web pages lose their ASCII: `--name` becomes `–name`, quotes curl,
and a full-width space sneaks into a command. None of these can be typed back in a
type-in answer, so we point at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ankigen.cards import Card, Section
from ankigen.errors import Problem
from ankigen.kinds import KINDS
from ankigen.markup import INLINE_CODE, blocks
from ankigen.project import LintConfig, lint_config
from ankigen.rules import (
    Finding,
    Piece,
    Speller,
    duplicates,
    lengths,
    pieces,
    reverse_gives_away,
    typed_placeholder,
)

_TYPOGRAPHY = {
    "\u2013": "an en dash (–); options take '-' or '--'",
    "\u2014": "an em dash (—); options take '-' or '--'",
    "\u2018": "a curly quote (‘); use a straight quote (')",
    "\u2019": "a curly quote (’); use a straight quote (')",
    "\u201c": 'a curly quote (“); use a straight quote (")',
    "\u201d": 'a curly quote (”); use a straight quote (")',
    "\u3000": "a full-width space; use an ASCII space",
}
_SUSPECT = re.compile("[" + "".join(_TYPOGRAPHY) + "<`]")  # nothing to look at without one
# Only real tag names: `<box>` in `vagrant init <box>` is a placeholder, not HTML. The
# pattern stops after the name (a bounded match), and the closing '>' is a plain search:
# `[^>]*>` in the pattern would rescan the rest of the text from every '<b', which made
# 320 KB of '<b' take most of a minute.
_TAG_START = re.compile(
    r"</?(?:a|b|i|u|p|br|hr|em|strong|span|div|img|script|style|iframe|table|tr|td|th|ul|ol|li"
    r"|code|pre|font|sub|sup|h[1-6])\b",
    re.IGNORECASE,
)


def looks_like_html(text: str) -> bool:
    """A tag name after '<' and a '>' later on: what `</?name\\b[^>]*>` matches, in one pass.

    The first tag start ends before any other (a later one starts with a '<' the first
    cannot hold), so it is the only one whose '>' needs looking for."""
    start = _TAG_START.search(text)
    return start is not None and text.find(">", start.end()) != -1


def lint(sections: list[Section]) -> list[Problem]:
    """Warnings for every section: card design (ankigen.rules) and damaged text, each
    with its rule code, less the rules a card or its section silences."""
    problems: list[Problem] = []
    for section in sections:
        config = lint_config(Path(section.path).parent)
        speller = _speller(config)
        silenced = {code for code, _ in section.silences}
        findings: list[tuple[Card, Finding]] = []
        for card in section.cards:
            for finding in _design(card, config, speller):
                findings.append((card, finding))
        findings += duplicates(section.cards)
        findings.sort(key=lambda found: found[1].loc)
        for card, finding in findings:
            if finding.code in silenced or (card.silences and finding.code in dict(card.silences)):
                continue
            problems.append(
                Problem(
                    finding.loc,
                    f"{finding.code} card '{card.id}' ({card.kind}): '{finding.label}': "
                    f"{finding.message}",
                )
            )
    return problems


_speller_cache: list[tuple[LintConfig, Speller]] = []


def _speller(config: LintConfig) -> Speller:
    # One compiled pattern per terms list, not one per section.
    if not _speller_cache or _speller_cache[0][0] is not config:
        _speller_cache[:] = [(config, Speller(config))]
    return _speller_cache[0][1]


def _design(card: Card, config: LintConfig, speller: Speller) -> Iterator[Finding]:
    texts = list(pieces(card))
    questions = list(KINDS[card.kind].questions(card))
    yield from lengths(card, texts, config)
    yield from reverse_gives_away(card, questions)
    yield from typed_placeholder(card, questions)
    yield from speller.check(card, texts)
    # One search over all of a card's text finds the (rare) card worth a closer look.
    if _SUSPECT.search("\n".join(piece.text for piece in texts)):
        yield from _damaged(card, texts)


def _damaged(card: Card, texts: list[Piece]) -> Iterator[Finding]:
    for piece in texts:
        text = piece.text
        if piece.gap or not _SUSPECT.search(text):  # a gap is looked at in its text
            continue
        if piece.code:
            code, prose = [text], ""
        else:
            parts = blocks(text) if "```" in text else [(None, text)]
            code = [part for language, part in parts if language is not None]
            prose = "\n".join(part for language, part in parts if language is None)
            code += INLINE_CODE.findall(prose)
        for snippet in code:
            for char, what in _TYPOGRAPHY.items():
                if char in snippet:
                    yield Finding(
                        "AG201",
                        piece.loc(card),
                        piece.label,
                        f"command '{snippet}' contains {what}",
                    )
        # A code block shows `<b>` as written, as it shows everything else.
        if looks_like_html(prose):
            yield Finding(
                "AG202",
                piece.loc(card),
                piece.label,
                "looks like HTML; card text is plain text and is shown as written",
            )
