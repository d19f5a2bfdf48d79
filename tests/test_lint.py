"""Warnings for text that was probably damaged on its way from a web page."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run

CARD = """id: lint
title: Lint
deck: "Test::Lint"
cards:
  - id: l1
    kind: command
    command: {command}
    meaning: {meaning}
    typed: false
"""


def _write(project: Path, command: str, meaning: str = "コンテナに名前をつける") -> None:
    (project / "cards" / "lint.yaml").write_text(
        CARD.format(command=command, meaning=meaning), encoding="utf-8"
    )


def test_en_dash_in_a_command_is_a_warning_and_the_deck_is_still_built(project):
    _write(project, "docker run –name web nginx")
    code, out, err = run("build")
    assert code == 0
    assert err == (
        "cards/lint.yaml:7:14: AG201 card 'l1' (command): 'command': command "
        "'docker run –name web nginx' contains an en dash (–); options take '-' or '--' [warning]\n"
        "1 warning\n"
    )
    assert out.startswith("decks/lint.apkg: 1 note, 2 cards (written;")


def test_strict_makes_warnings_errors_and_writes_nothing(project):
    _write(project, "docker ps –filter “status=exited”")
    code, out, err = run("build", "--strict")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "cards/lint.yaml:7:14: AG201 card 'l1' (command): 'command': command "
        "'docker ps –filter “status=exited”' contains an en dash (–); options take '-' or '--'",
        "cards/lint.yaml:7:14: AG201 card 'l1' (command): 'command': command "
        "'docker ps –filter “status=exited”' contains a curly quote (“); use a straight quote (\")",
        "cards/lint.yaml:7:14: AG201 card 'l1' (command): 'command': command "
        "'docker ps –filter “status=exited”' contains a curly quote (”); use a straight quote (\")",
    ]
    assert not (project / "decks").exists()


def test_full_width_space_and_em_dash_in_inline_code(project):
    _write(project, "docker\u3000ps", meaning='"`ps —all` と同じ"')
    _, _, err = run("build")
    assert err.splitlines() == [
        "cards/lint.yaml:7:14: AG201 card 'l1' (command): 'command': command "
        "'docker\u3000ps' contains a full-width space; use an ASCII space [warning]",
        "cards/lint.yaml:8:14: AG201 card 'l1' (command): 'meaning': command "
        "'ps —all' contains an em dash (—); options take '-' or '--' [warning]",
        "2 warnings",
    ]


def test_text_that_looks_like_html_is_a_warning_but_placeholders_are_not(project):
    _write(project, "vagrant init <box>", meaning="Vagrantfile を<b>作る</b>")
    _, _, err = run("build")
    assert err == (
        "cards/lint.yaml:8:14: AG202 card 'l1' (command): 'meaning': looks like HTML; "
        "card text is plain text and is shown as written [warning]\n"
        "1 warning\n"
    )


def test_html_check_says_what_the_tag_pattern_says():
    """`looks_like_html` is `</?name\\b[^>]*>` without the rescans: the same answer on every
    short string of the characters that matter."""
    import itertools
    import re

    from ankigen.lint import _TAG_START, looks_like_html

    tag = re.compile(_TAG_START.pattern + r"[^>]*>", re.IGNORECASE)
    alphabet = "<</bBr> x"
    for length in range(7):
        for chars in itertools.product(alphabet, repeat=length):
            text = "".join(chars)
            assert looks_like_html(text) == bool(tag.search(text)), text


def test_html_check_is_linear_on_text_full_of_tag_starts(project):
    # No clock here: 2 MB of '<b' took a pattern that rescans the rest of the text from
    # every '<b' (`[^>]*>`) about half an hour, and takes this check milliseconds, so a
    # quadratic check shows as a suite that never finishes rather than a test that passes.
    many = "<b" * 1_000_000
    _write(project, "docker ps", meaning=f'"{many}"')
    assert "looks like HTML" not in run("check")[2]
    _write(project, "docker ps", meaning=f'"{many}>"')
    assert "looks like HTML" in run("check")[2]


def test_summaries_count_warnings_and_say_one_in_the_singular(project):
    _write(project, "docker run –name web nginx")
    assert run("check") == (
        0,
        "cards: 1 section, 1 card, no errors, 1 warning\n",
        "cards/lint.yaml:7:14: AG201 card 'l1' (command): 'command': command "
        "'docker run –name web nginx' contains an en dash (–); options take '-' or '--' "
        "[warning]\n",
    )
    run("build")
    code, out, _ = run("build", "--check")
    assert (code, out) == (0, "1 deck up to date, 1 warning\n")

    second = CARD.replace("lint", "two").replace("Lint", "Two").replace("l1", "t1")
    (project / "cards" / "two.yaml").write_text(
        second.format(command="ls", meaning="list"), encoding="utf-8"
    )
    code, out, err = run("check")
    assert (code, out) == (0, "cards: 2 sections, 2 cards, no errors, 1 warning\n")
    run("build")
    assert run("build", "--check")[1] == "2 decks up to date, 1 warning\n"


def test_a_comment_after_plain_text_is_a_warning(project):
    (project / "cards" / "c.yaml").write_text(
        'id: c\ntitle: C\ndeck: "Test::C"\ncards:\n'
        "  - id: c1\n    kind: term\n    term: NAT # ネットワーク\n    meaning: '# kept'\n"
        "    reverse: true  # a comment after a yes/no value is fine\n",
        encoding="utf-8",
    )
    code, out, err = run("check")
    assert code == 0
    assert err == (
        "cards/c.yaml:7:11: text 'NAT' is followed by '# ネットワーク', which YAML reads as a "
        "comment and drops; quote the whole value to keep it [warning]\n"
    )
    assert run("check", "--strict")[0] == 1


# The card-design rules: one folder per rule in tests/lint/, named after its code, with the
# card files (and any .ankigen.yaml) that break it and, in expected.txt, exactly what
# `ankigen check --strict` prints. Each case also holds cards that must not fire.
LINT_CASES = sorted(p for p in (Path(__file__).parent / "lint").iterdir() if p.is_dir())


def _copy_case(case: Path, project: Path, silence: str | None = None) -> None:
    for source in case.iterdir():
        if source.name == "expected.txt":
            continue
        text = source.read_text(encoding="utf-8")
        if silence and not source.name.startswith("."):
            # At the section's top level: every card of the file is silenced.
            text = text.replace("\ncards:\n", f"\nlint: {{ignore: {{{silence}}}}}\ncards:\n", 1)
        (project / "cards" / source.name).write_text(text, encoding="utf-8")


@pytest.mark.parametrize("case", LINT_CASES, ids=[c.name for c in LINT_CASES])
def test_each_rule_fires_where_it_is_broken(project: Path, case: Path) -> None:
    _copy_case(case, project)
    code, out, err = run("check", "--strict")
    assert err == (case / "expected.txt").read_text(encoding="utf-8")
    assert (code, out) == (1, "")
    # Without --strict the same findings are warnings, and the check passes.
    code, out, err = run("check")
    assert code == 0
    assert out.endswith(f"no errors, {_warnings(err)}\n")


def _warnings(err: str) -> str:
    n = len(err.splitlines())
    return "1 warning" if n == 1 else f"{n} warnings"


@pytest.mark.parametrize("case", LINT_CASES, ids=[c.name for c in LINT_CASES])
def test_a_section_silences_a_rule_with_a_reason(project: Path, case: Path) -> None:
    rule = case.name.split("-")[0].upper()
    _copy_case(case, project, silence=f'{rule}: "a reason"')
    assert run("check", "--strict")[:3:2] == (0, "")


def test_a_card_silences_one_rule_for_itself_only(project: Path) -> None:
    (project / "cards" / "deck.yaml").write_text(
        """id: deck
title: Deck
deck: "Test::Deck"
cards:
  - id: silenced
    kind: term
    term: Docker
    meaning: コンテナを作る docker の仕組み
    reverse: true
    lint: {ignore: {AG103: "the product is named in its own definition"}}
  - id: not-silenced
    kind: term
    term: Vagrant
    meaning: Vagrant で仮想マシンを作る
    reverse: true
    lint: {ignore: {AG101: "another rule"}}
""",
        encoding="utf-8",
    )
    code, _, err = run("check", "--strict")
    assert (code, err) == (
        1,
        "cards/deck.yaml:14:14: AG103 card 'not-silenced' (term): 'meaning': the reverse card "
        "asks for the term 'Vagrant', and this text, its prompt, holds it; say it without the "
        "term, or drop 'reverse'\n",
    )


def test_changed_settings_are_read_again(project: Path) -> None:
    # `build --watch` lints in one process: an edited .ankigen.yaml must not be cached.
    _write(project, "docker ps", meaning="稼働中のコンテナを一覧する")
    settings = project / "cards" / ".ankigen.yaml"
    settings.write_text("lint: {answer_max: 4}\n", encoding="utf-8")
    assert "more than answer_max 4 " in run("check")[2]
    settings.write_text("lint: {answer_max: 40}\n", encoding="utf-8")
    assert run("check")[2] == ""


def test_a_rebuild_with_changed_settings_lints_again(project: Path) -> None:
    # A rebuild with nothing changed reuses the last build's warnings (stamp.py): the
    # settings file is one of the inputs that say whether anything changed.
    _write(project, "docker ps", meaning="稼働中のコンテナを一覧する")
    assert run("build")[2] == ""
    (project / "cards" / ".ankigen.yaml").write_text("lint: {answer_max: 4}\n", encoding="utf-8")
    assert "AG101" in run("build")[2]
