"""Card-design rules: what SuperMemo's "20 rules of formulating knowledge" say a card
should be, checked on every card (the codes are README's table of rules).

Lengths are counted as Japanese editors count them (全角換算): a full-width character
counts 1, any other ½, so `docker ps -a` (12 characters) counts 6 and a line of
Japanese counts its characters. Markup (`, **, fences) is not counted, and a run of
spaces or line breaks counts as one space.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from ankigen.cards import Card, Piece, Question
from ankigen.errors import Loc
from ankigen.kinds import KINDS
from ankigen.markup import INLINE_CODE, blocks
from ankigen.project import LintConfig

# Every rule a card or a section may silence, with what it says in a word.
RULES = {
    "AG101": "answer too long",
    "AG102": "note too long",
    "AG103": "reverse prompt contains its answer",
    "AG104": "duplicate or near-duplicate prompt",
    "AG105": "typed answer holds a placeholder",
    "AG106": "cloze item or gap too long",
    "AG107": "spelling differs from the terms list",
    "AG108": "half-width parentheses in Japanese text",
    "AG109": "text ends in 。",
    "AG110": "card without a source",
    "AG201": "a character nobody can type in a command",
    "AG202": "text looks like HTML",
}


# A tuple, not a frozen dataclass: a frozen dataclass's __init__ sets each field through
# object.__setattr__, 3x the cost, and a 20k-card deck has 8k findings of AG104 alone.
class Finding(NamedTuple):
    code: str
    loc: Loc
    label: str
    message: str


def pieces(card: Card) -> list[Piece]:
    """Every text a card shows: its kind's own (the kind knows which are answers), then the
    keys every card has."""
    # A list, not a generator yielding from the kind's: a lint of 20k cards passes 100k
    # texts on, and every rule looks at them more than once.
    texts = [*KINDS[card.kind].texts_of(card)]
    if card.hint:
        texts.append(Piece("hint", "hint", card.hint))
    if card.note:
        texts.append(Piece("note", "note", card.note))
    return texts


# --- length ------------------------------------------------------------------------

_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6"
    "\U0001f300-\U0001f64f\U0001f900-\U0001f9ff\U00020000-\U0003fffd]"
)
_MARKUP = re.compile(r"^ {0,3}```.*$|`|\*\*", re.M)
_SPACES = re.compile(r"\s+")


def length(text: str, code: bool = False) -> float:
    """Full-width equivalents: a full-width character 1, any other ½."""
    if not code:
        text = _MARKUP.sub("", text)
    text = _SPACES.sub(" ", text.strip())
    if text.isascii():
        return len(text) / 2
    wide = len(text) - len(_WIDE.sub("", text))
    return wide + (len(text) - wide) / 2


def _size(n: float) -> str:
    return f"{n:,.1f}".removesuffix(".0")


def lengths(card: Card, texts: list[Piece], config: LintConfig) -> Iterator[Finding]:
    for piece in texts:
        if piece.cloze:
            code, limit, key = "AG106", config.cloze_max, "cloze_max"
            what = f"gap {piece.gap}" if piece.gap else "cloze item"
        elif piece.answer:
            code, limit, what, key = "AG101", config.answer_max, "answer", "answer_max"
        elif piece.label == "note":
            code, limit, what, key = "AG102", config.note_max, "note", "note_max"
        else:
            continue
        if len(piece.text) <= limit:  # nothing counts more than 1: no need to count
            continue
        n = length(piece.text, piece.code)
        if n > limit:
            yield Finding(
                code,
                piece.loc(card),
                piece.label,
                f"{what} is {_size(n)} characters long, more than {key} {_size(limit)} "
                f"(half-width characters count ½); {_ADVICE[code]}",
            )


_ADVICE = {
    "AG101": "ask for one short fact, or split the card",
    "AG102": "keep one short why or mnemonic; give another fact a card of its own",
    "AG106": "hide a word or a phrase, not a sentence",
}


# --- reverse prompt holding its answer ---------------------------------------------


def normal(text: str) -> str:
    """Text as a reader compares it: NFKC (full-width ASCII is ASCII), case folded,
    spaces collapsed."""
    # str.split() and \s agree on what a space is (both Py_UNICODE_ISSPACE): spaces
    # collapsed and stripped at half the cost of a sub() and a strip().
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _contains(haystack: str, needle: str) -> bool:
    """Whether `needle` occurs in `haystack` as a whole: an ASCII word or number is not
    matched inside a longer one ('vm' is not in 'kvm')."""
    if not needle:
        return False
    at = haystack.find(needle)
    while at != -1:
        before = haystack[at - 1] if at else " "
        after = haystack[at + len(needle) : at + len(needle) + 1] or " "
        if not (
            (needle[0].isascii() and needle[0].isalnum() and before.isascii() and before.isalnum())
            or (
                needle[-1].isascii()
                and needle[-1].isalnum()
                and after.isascii()
                and after.isalnum()
            )
        ):
            return True
        at = haystack.find(needle, at + 1)
    return False


def reverse_gives_away(card: Card, questions: Sequence[Question]) -> Iterator[Finding]:
    for question in questions:
        answer = question.answer
        if answer is None or not _contains(normal(question.text), normal(answer)):
            continue
        label = "command" if question.answer_key == "type" else question.answer_key
        yield Finding(
            "AG103",
            card.value_locs.get(question.key, card.loc),
            question.key,
            f"the reverse card asks for the {label} '{answer}', and this text, its prompt, "
            f"holds it; say it without the {label}{question.remedy}",
        )


# --- typed answers ------------------------------------------------------------------

# What ankigen.kinds.command refuses is an error; these are the placeholders it cannot be
# sure of: full-width brackets, an upper-case word (IMAGE; not an option's value or a
# variable being set: `-X POST`, `TZ=UTC`), and Japanese words (コンテナ名), which no
# command holds. Braces are left alone: `{{.Names}}` is a Go template a learner types.
_PLACEHOLDER_LIKE = re.compile(
    r"[＜〈《【][^＞〉》】]*[＞〉》】]"
    r"|(?<![-\w$=/.])[A-Z][A-Z_]{2,}(?![\w=])"
    r"|[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+"
)
_OPTION_BEFORE = re.compile(r"(?:^|\s)-{1,2}[\w-]+[ =]$")


def typed_placeholder(card: Card, questions: Sequence[Question]) -> Iterator[Finding]:
    for question in questions:
        if question.typed and question.answer:
            yield from _typed_placeholder(card, question.answer, question.answer_key)


def _typed_placeholder(card: Card, typed: str, key: str) -> Iterator[Finding]:
    found = next(
        (
            match
            for match in _PLACEHOLDER_LIKE.finditer(typed)
            # An upper-case word after an option is its value: `-X POST`.
            if not _OPTION_BEFORE.search(typed[: match.start()])
        ),
        None,
    )
    if found:
        yield Finding(
            "AG105",
            card.value_locs.get(key, card.loc),
            key,
            f"the typed answer holds '{found[0]}', which looks like a placeholder: nobody "
            "types it. Give `type:` with exactly what a learner types, or `typed: false`",
        )


# --- spelling ------------------------------------------------------------------------

_JAPANESE = re.compile("[\u3041-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")


def prose_of(text: str) -> str:
    """The text without its code: no inline code, no fenced blocks (each left as a space,
    so words on either side do not join)."""
    if "```" in text:
        text = "\n".join(part for language, part in blocks(text) if language is None)
    return INLINE_CODE.sub(" ", text) if "`" in text else text


class Speller:
    """The project's terms list as one pattern: one pass over a text finds every variant."""

    def __init__(self, config: LintConfig) -> None:
        self.config = config
        variants = sorted(config.terms, key=len, reverse=True)
        self.pattern = re.compile("|".join(map(re.escape, variants))) if variants else None
        # Taking code out of a text leaves a space or a line break where it was, so a
        # variant with a space can match the prose and not the text as written.
        self.spaced = any(char.isspace() for variant in variants for char in variant)
        self.idle = not (variants or config.fullwidth_parens or config.no_final_period)

    def check(self, card: Card, texts: list[Piece], joined: str) -> Iterator[Finding]:
        """`joined` is every text of the card, one search of it rules out a rule for all
        of them: what a rule looks for in a text's prose is in the text, so in `joined`."""
        if self.idle:
            return
        config = self.config
        pattern = self.pattern
        if pattern is not None and not self.spaced and not pattern.search(joined):
            pattern = None
        parens = config.fullwidth_parens and ("(" in joined or ")" in joined)
        period = config.no_final_period and "。" in joined
        if pattern is None and not parens and not period:
            return
        for piece in texts:
            if piece.code or piece.gap:  # a gap is checked within its text
                continue
            # The same again for each text, before its prose is worked out.
            raw = piece.text
            terms = pattern is not None and (self.spaced or pattern.search(raw) is not None)
            if parens and ("(" in raw or ")" in raw) and _JAPANESE.search(raw) or terms:
                text = prose_of(raw)
                if terms:
                    yield from self._terms(card, piece, text)
                if parens and ("(" in text or ")" in text) and _JAPANESE.search(text):
                    yield Finding(
                        "AG108",
                        piece.loc(card),
                        piece.label,
                        "half-width parentheses in Japanese text; use full-width （ and ）",
                    )
            if period and raw.rstrip().endswith("。"):
                yield Finding(
                    "AG109",
                    piece.loc(card),
                    piece.label,
                    "ends in 。; no field ends in a full stop",
                )

    def _terms(self, card: Card, piece: Piece, text: str) -> Iterator[Finding]:
        assert self.pattern is not None
        seen = set()
        for match in self.pattern.finditer(text):
            variant = match[0]
            preferred, where = self.config.terms[variant]
            if text.startswith(preferred, match.start()) or not _whole(text, match):
                continue  # サーバ inside サーバー; 'vm' inside 'kvm'
            if variant in seen:
                continue
            seen.add(variant)
            yield Finding(
                "AG107",
                piece.loc(card),
                piece.label,
                f"'{variant}' is written '{preferred}' in this project (terms list, {where})",
            )


def _continues(a: str, b: str) -> bool:
    """Whether b, right after a, makes them one word: ASCII letters and digits, or a
    katakana word and its long-vowel mark."""
    if a.isascii() and b.isascii():
        return a.isalnum() and b.isalnum()
    return b == "ー" and "\u30a0" <= a <= "\u30ff"


def _whole(text: str, match: re.Match[str]) -> bool:
    start, end = match.span()
    if start and _continues(text[start - 1], text[start]):
        return False
    return not (end < len(text) and _continues(text[end - 1], text[end]))


# --- sources -------------------------------------------------------------------------


def unsourced(card: Card) -> Iterator[Finding]:
    """Where sources are required (a section's `require_source`, or `.ankigen.yaml`'s), a
    card without one: nobody can check its fact, and the learner has nowhere to read on."""
    if not card.source:
        yield Finding(
            "AG110",
            card.loc,
            "source",
            "no source; give `source:` with the URL of the page that states this card's fact "
            "(sources are required here)",
        )


# --- duplicate prompts -------------------------------------------------------------

_PLACEHOLDER = re.compile(r"<[^<>\n]*>")
_NOT_WORD = re.compile(r"[\W_]+")
# A question's ending asks nothing of its own: "Docker とは？" asks what "Docker" asks.
_QUESTION = re.compile(r"(?:とは(?:何か?|なに)?|は(?:何|なに)(?:か|ですか)?|what ?is|って何)$")


def prompt_key(text: str, code: bool) -> str:
    """A prompt as compared: case, width, spaces, punctuation, symbols, placeholders and a
    question's ending set aside."""
    key = text if text.isascii() else unicodedata.normalize("NFKC", text)
    key = _PLACEHOLDER.sub("<>", key.casefold()) if "<" in key else key.casefold()
    if code:
        return " ".join(key.split())  # as _SPACES.sub(" ", key).strip(): see normal()
    # `, ** and the fences' backticks go with every other symbol; only a fence's language
    # name needs _MARKUP.
    if "```" in key:
        key = _MARKUP.sub("", key)
    key = _NOT_WORD.sub("", key)
    # Every ending _QUESTION takes off ends in one of these: most keys need no search.
    return _QUESTION.sub("", key) if key[-1:] in _QUESTION_LAST else key


_QUESTION_LAST = frozenset("は何かにs")


class Duplicates:
    """Two cards of a deck that ask the same question, or nearly: the same `prompt_key`
    (case, width, spaces, punctuation, symbols, placeholders and a question's ending
    (とは, は何か) set aside). One dictionary, so a deck of 100,000 cards costs one
    look-up a prompt. Nothing fuzzier: prompts a word apart are usually different
    questions (NAT / NATネットワーク, start / stop). Given each card of a deck in turn."""

    def __init__(self) -> None:
        # key -> the first card asking it, the key its prompt is written under, the prompt
        self.first: dict[str, tuple[Card, str, str]] = {}
        # key -> what a message says of that first card: worked out once, however many
        # cards ask the same (a location is made from the parser's mark each time)
        self.earlier: dict[str, str] = {}

    def check(self, card: Card, questions: Sequence[Question]) -> list[Finding]:
        found: list[Finding] = []
        first = self.first
        for question in questions:
            label, text = question.key, question.text
            key = prompt_key(text, question.code)
            if not key:
                continue
            earlier = first.get(key)
            if earlier is None:
                first[key] = (card, label, text)
                continue
            earlier_card, earlier_label, earlier_text = earlier
            if earlier_card is card:
                continue
            same = "the same" if earlier_text.strip() == text.strip() else "nearly the same"
            told = self.earlier.get(key)
            if told is None:
                earlier_loc = earlier_card.value_locs.get(earlier_label, earlier_card.loc)
                told = f"card '{earlier_card.id}' ('{earlier_label}' at {earlier_loc})"
                self.earlier[key] = told
            found.append(
                Finding(
                    "AG104",
                    card.value_locs.get(label, card.loc),
                    label,
                    f"asks {same} as {told}; two cards with one question interfere: merge "
                    "them, or say in each what sets it apart",
                )
            )
        return found
