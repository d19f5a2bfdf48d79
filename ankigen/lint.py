"""Warnings for text that is probably damaged: valid, but likely not what was meant.

Notes copied from web pages lose their ASCII: `--name` becomes `–name`, quotes curl,
and a full-width space sneaks into a command. None of these can be typed back in a
type-in answer, so we point at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from operator import attrgetter
from pathlib import Path

from ankigen.cards import Card, Piece, Question, Section
from ankigen.errors import Problem
from ankigen.kinds import KINDS
from ankigen.markup import INLINE_CODE, blocks
from ankigen.project import LintConfig, lint_config
from ankigen.rules import (
    Duplicates,
    Finding,
    Speller,
    lengths,
    pieces,
    reverse_gives_away,
    typed_placeholder,
    unsourced,
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
_UNTYPABLE = re.compile("[" + "".join(_TYPOGRAPHY) + "]")
# Nothing to look at without one: AG201 needs a character above, AG202 a '<'.
_SUSPECT = re.compile("[" + "".join(_TYPOGRAPHY) + "<]")
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
        rules = _rules(lint_config(Path(section.path).parent))
        need_source = section.require_source or rules.config.require_source
        silenced = {code for code, _ in section.silences}
        found: list[Problem] = []
        repeats: list[Problem] = []  # AG104, after the others (for a tie in the sort)
        asked = Duplicates()
        for card in section.cards:
            questions = tuple(KINDS[card.kind].questions(card))
            if findings := rules.design(card, questions):
                found += _problems(card, findings, silenced)
            if need_source and not card.source:
                found += _problems(card, list(unsourced(card)), silenced)
            if findings := asked.check(card, questions):
                repeats += _problems(card, findings, silenced)
        found += repeats
        # By location alone (a stable sort keeps the order found for a tie), with the key
        # in C: one call per warning.
        found.sort(key=_WHERE)
        problems += found
    return problems


_WHERE = attrgetter("loc")


def _problems(card: Card, findings: list[Finding], silenced: set[str]) -> list[Problem]:
    return [
        Problem(
            finding.loc,
            f"{finding.code} card '{card.id}' ({card.kind}): '{finding.label}': {finding.message}",
        )
        for finding in findings
        if finding.code not in silenced
        and not (card.silences and finding.code in dict(card.silences))
    ]


class _Rules:
    """The card rules under one project's settings."""

    def __init__(self, config: LintConfig) -> None:
        self.config = config
        self.speller = Speller(config)  # the terms list compiled into one pattern
        # No text of at most this many characters is too long: nothing counts more than 1.
        self.shortest = min(config.answer_max, config.note_max, config.cloze_max)

    def design(self, card: Card, questions: tuple[Question, ...]) -> list[Finding]:
        texts = pieces(card)
        # Each rule that looks for something in a text looks in all of the card's text
        # first, once: most cards have nothing any rule looks for.
        joined = "\n".join([piece.text for piece in texts])
        found: list[Finding] = []
        if len(joined) > self.shortest:
            found += lengths(card, texts, self.config)
        for question in questions:
            if question.answer is not None:
                found += reverse_gives_away(card, questions)
                found += typed_placeholder(card, questions)
                break  # each rule looks at every question
        if not self.speller.idle:
            found += self.speller.check(card, texts, joined)
        if _SUSPECT.search(joined):
            found += _damaged(card, texts)
        return found


_rules_cache: list[_Rules] = []


def _rules(config: LintConfig) -> _Rules:
    # One compiled pattern per terms list, not one per section.
    if not _rules_cache or _rules_cache[0].config is not config:
        _rules_cache[:] = [_Rules(config)]
    return _rules_cache[0]


def _damaged(card: Card, texts: list[Piece]) -> Iterator[Finding]:
    for piece in texts:
        text = piece.text
        if piece.gap:  # a gap is looked at in its text
            continue
        untypable = _UNTYPABLE.search(text) is not None
        if not untypable and "<" not in text:
            continue
        code: list[str]
        if piece.code:
            code, prose = [text], ""
        else:
            parts = blocks(text) if "```" in text else [(None, text)]
            prose = "\n".join(part for language, part in parts if language is None)
            code = []
            if untypable:  # code without such a character is fine
                code = [part for language, part in parts if language is not None]
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
