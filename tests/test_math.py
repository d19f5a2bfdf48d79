"""`math: true`: Anki's MathJax may typeset that card's text (its typesetting is checked in
Chromium by tests/test_browser.py); here, what Anki's own renderer gives it to typeset."""

from __future__ import annotations

import shutil

from ankigen.notes import note_guid
from tests.conftest import FIXTURES, import_apkg, run

PROCESS = '<span class="mathjax_process">'


def _faces(col, *ids: str) -> list[str]:
    note_id = col.db.scalar("select id from notes where guid=?", note_guid(*ids))
    faces = []
    for card in col.get_note(note_id).cards():
        output = card.render_output()
        faces += [output.question_text, output.answer_text]
    return faces


def test_math_cards_reach_anki_marked_for_mathjax_and_the_rest_stays_ignored(project, collection):
    shutil.copy(FIXTURES / "math" / "math.yaml", project / "cards")
    assert run("build")[0] == 0
    import_apkg(collection, project / "decks" / "math.apkg")

    front, back, *_ = _faces(collection, "m-term")
    # Every face is inside MathJax's ignored class; the card's text is processed again.
    assert front == (
        f'<div class="mathjax_ignore"><div class="prompt">{PROCESS}one: \\(E = mc^2\\)</span>'
        "</div></div>"
    )
    # Escaped as all text is (MathJax reads the text the browser decodes): Anki's own markup
    # ([sound:], {{c1::}}) cannot be made from card text, math or not.
    formula = "\\&#91;\\frac&#123;a&#125;&#123;b&#125;\\&#93; and \\(x_1 &lt; y\\)"
    assert f"{PROCESS}two: {formula}" in back
    assert "<code>\\(not math\\)</code>" in back  # MathJax skips code elements
    # The section's math: true holds for every kind; a command stays exactly as typed.
    for ids in (("m-cloze",), ("m-gaps",), ("m-table", "a", "b")):
        assert all(PROCESS in face for face in _faces(collection, *ids)), ids
    command_front, command_back, *_ = _faces(collection, "m-command")
    assert PROCESS not in command_front
    assert "<div class=\"command\">echo '\\(shown as typed\\)'</div>" in command_front
    assert f"{PROCESS}one: prints \\(x\\) as text</span>" in command_back
    # Anki hides a gap inside a formula as plain text, so MathJax typesets it with the rest.
    front, back = _faces(collection, "m-gap-in-formula")
    assert f"{PROCESS}one: \\(x = [...]\\), a gap in a formula</span>" in front
    assert f"{PROCESS}one: \\(x = 2\\), a gap in a formula</span>" in back
    # A card's math: false turns it off again.
    assert not any(PROCESS in face for face in _faces(collection, "m-off"))
