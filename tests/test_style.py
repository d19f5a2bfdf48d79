"""`css:` in .ankigen.yaml: the project's own style, added to every note type's CSS, reaches
Anki on the next import (the note types update in place) and the build says so."""

from __future__ import annotations

import shutil

from tests.conftest import FIXTURES, import_apkg, run

STYLE = ".card { font-family: serif; }\n.night_mode .card { color: #d8c8ff; }\n"


def _note_types(col) -> dict[str, str]:
    return {m["name"]: m["css"] for m in col.models.all() if m["name"].startswith("ankigen")}


def test_own_css_reaches_every_note_type_and_a_change_updates_them_in_place(
    sample, collection, monkeypatch
):
    (sample / "cards" / ".ankigen.yaml").write_text("css: style.css\n", encoding="utf-8")
    (sample / "cards" / "style.css").write_text(STYLE, encoding="utf-8")
    assert run("build")[0] == 0
    import_apkg(collection, sample / "decks" / "sample.apkg")
    first = _note_types(collection)
    assert len(first) == 4  # the sample's kinds' note types
    for name, css in first.items():
        # After ankigen's own rules (night mode among them), so the project's win.
        assert css.endswith("\n" + STYLE), name
        assert ".night_mode" in css.removesuffix(STYLE), name

    (sample / "cards" / "style.css").write_text(".card { font-family: monospace; }\n")
    assert run("build", "--check")[0] == 1  # the decks no longer hold this style
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    code, out, _ = run("build")
    assert code == 0
    assert out.splitlines()[1] == (
        "CSS changed for 4 note types (ankigen Cloze v2, ankigen Command v2, "
        "ankigen Table cell v2, ankigen Term v2): the next import updates them in Anki"
    )
    import_apkg(collection, sample / "decks" / "sample.apkg")
    # The same note types, updated in place: no "+" copies, every note still on them.
    now = _note_types(collection)
    assert sorted(now) == sorted(first)
    assert all(css.endswith("\n.card { font-family: monospace; }\n") for css in now.values())
    assert all(STYLE not in css for css in now.values())


def test_without_css_the_note_types_have_ankigens_style_alone(project, collection):
    shutil.copy(FIXTURES / "sample.yaml", project / "cards")
    assert run("build")[0] == 0
    with_style = project / "styled"
    shutil.copytree(project / "cards", with_style / "cards")
    (with_style / "cards" / ".ankigen.yaml").write_text("css: s.css\n", encoding="utf-8")
    (with_style / "cards" / "s.css").write_text(STYLE, encoding="utf-8")
    assert run("build", "--cards", str(with_style / "cards"), "--out", "styled-decks")[0] == 0
    import_apkg(collection, project / "decks" / "sample.apkg")
    plain = _note_types(collection)
    assert all(STYLE not in css for css in plain.values())
    # An unchanged build of the same cards says nothing about style.
    code, out, _ = run("build")
    assert code == 0 and "CSS changed" not in out
