"""A card's `source:`: checked where it is written, shown on the back as a link to follow,
and required (AG110) where a section or `.ankigen.yaml` says so."""

from __future__ import annotations

import re
from pathlib import Path

from anki.collection import Collection

from tests.conftest import import_apkg, run

SECTION = """id: deck
title: Deck
deck: "Test::Deck"
cards:
  - id: with-note
    kind: command
    command: docker system df
    meaning: Docker が使うディスク容量を種類ごとに表示する
    note: イメージ、コンテナ、ボリューム、ビルドキャッシュ
    source: https://docs.docker.com/reference/cli/docker/system/df/
  - id: without-note
    kind: term
    term: Vagrant Box
    meaning: Vagrant が仮想マシンを作る元のイメージ
    reverse: true
    source:
      - https://developer.hashicorp.com/vagrant/docs/boxes
      - "https://www.example.org/a?b=1&c=\\"d\\""
  - id: no-source
    kind: term
    term: ゲストOS
    meaning: 仮想マシンの中で動く OS
"""


def _faces(col: Collection) -> dict[tuple[str, int], tuple[str, str]]:
    faces = {}
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        output = card.render_output()
        faces[card.note()["Meaning"][:12], card.ord] = (output.question_text, output.answer_text)
    return faces


def _links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<div class="source">出典: (?:<a href="([^"]*)">([^<]*)</a> ?)+</div>', html)


def test_sources_are_links_on_the_back_of_every_card_only(project: Path, collection: Collection):
    (project / "cards" / "deck.yaml").write_text(SECTION, encoding="utf-8")
    assert run("build", "--strict")[:3:2] == (0, "")
    import_apkg(collection, project / "decks" / "deck.apkg")

    for card_id in collection.find_cards(""):
        card = collection.get_card(card_id)
        output = card.render_output()
        front, back = output.question_text, output.answer_text
        note = card.note()
        assert 'class="source"' not in front
        if note.id == collection.find_notes("docker")[0]:
            # After the note, inside its block, named by the host.
            assert re.search(
                r'<div class="note">イメージ、コンテナ、ボリューム、ビルドキャッシュ'
                r'<div class="source">出典: <a href="https://docs\.docker\.com/reference/cli/'
                r'docker/system/df/">docs\.docker\.com</a></div></div>',
                back,
            ), back
        elif "Box" in note["Term"]:
            # No note of its own: the note block shows the sources alone; every URL is kept
            # whole in its attribute, and a host is named without "www.".
            assert re.search(
                r'<div class="note"><div class="source">出典: '
                r'<a href="https://developer\.hashicorp\.com/vagrant/docs/boxes">'
                r"developer\.hashicorp\.com</a> "
                r'<a href="https://www\.example\.org/a\?b=1&amp;c=&quot;d&quot;">example\.org</a>'
                r"</div></div>",
                back,
            ), back
        else:
            assert 'class="note"' not in back and 'class="source"' not in back


def test_a_project_requires_sources_in_ankigen_yaml(project: Path):
    (project / "cards" / "deck.yaml").write_text(SECTION, encoding="utf-8")
    settings = project / "cards" / ".ankigen.yaml"
    settings.write_text("lint: {require_source: true}\n", encoding="utf-8")
    code, out, err = run("check", "--strict")
    assert (code, out) == (1, "")
    assert err == (
        "cards/deck.yaml:19:5: AG110 card 'no-source' (term): 'source': no source; give "
        "`source:` with the URL of the page that states this card's fact (sources are "
        "required here)\n"
    )
    # Not required: no warning.
    settings.write_text("lint: {require_source: false}\n", encoding="utf-8")
    assert run("check", "--strict")[:3:2] == (0, "")


def test_require_source_must_be_true_or_false(project: Path):
    (project / "cards" / ".ankigen.yaml").write_text(
        "lint: {require_source: yes please}\n", encoding="utf-8"
    )
    (project / "cards" / "deck.yaml").write_text(SECTION, encoding="utf-8")
    code, _, err = run("check")
    assert (code, err) == (
        1,
        "cards/.ankigen.yaml:1:24: 'require_source': expected true or false, got the text "
        "'yes please'\n",
    )
