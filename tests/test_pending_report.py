"""A report the learner has not seen yet (decks/.ankigen-pending.json) is never lost: while
it waits, no section counts as current, so the next build compares everything and says it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ankigen import build, changes

from .conftest import run


def _section(cards: Path, n: int, extra: str = "") -> None:
    (cards / f"s{n}.yaml").write_text(
        f'id: s{n}\ntitle: S{n}\ndeck: "Test::S{n}"\ncards:\n'
        f"  - {{id: s{n}-kept, kind: term, term: t{n}, meaning: m{n}}}\n" + extra,
        encoding="utf-8",
    )


@pytest.mark.parametrize("edit_other", [False, True])
def test_a_pending_report_beside_a_current_section_is_said_again(
    project: Path, edit_other: bool
) -> None:
    cards, decks = project / "cards", project / "decks"
    _section(cards, 0, "  - {id: s0-gone, kind: term, term: g, meaning: g}\n")
    _section(cards, 1)
    assert run("build")[0] == 0
    _section(cards, 0)  # s0-gone removed: the report must tell the learner to delete it
    # A build whose report never reached the learner (the run was stopped before it
    # printed): the report waits beside a stamp that calls s0 current.
    build.build(cards, decks)
    assert (decks / changes.PENDING_NAME).exists()
    if edit_other:  # one section to read again, the other current by the stamp
        _section(cards, 1, "  - {id: s1-new, kind: term, term: n, meaning: n}\n")
    code, out, err = run("build")
    assert code == 0, err
    # The deck's line and the report agree: the note is counted against its deck.
    assert (
        "decks/s0.apkg: 1 note, 1 card (unchanged; 0 added, 0 changed, 1 unchanged, 1 removed)"
        in out
    )
    assert "deck 'Test::S0': 1 note that no card makes any more" in out
    assert not (decks / changes.PENDING_NAME).exists()  # said: not said a third time
    assert "no card makes" not in run("build")[1]
