"""Images on cards: packed once under content names, delivered to Anki's media folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from anki.collection import Collection

from ankigen.package import read_package
from tests.conftest import import_apkg, run

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    '<rect width="{w}" height="10"/></svg>\n'
)

CARDS = """id: pics
title: Pics
deck: "Test::Pics"
cards:
  - id: p-term
    kind: term
    term: ハイパーバイザ型
    meaning: ホストOSなしで動く
    image: images/Layers.svg
  - id: p-command
    kind: command
    command: docker ps
    meaning: 稼働中のコンテナを表示
    image: images/Layers.svg
  - id: p-quiz
    kind: term
    term: この図の方式は?
    meaning: ホスト型
    image: images/layers.svg
    image_side: front
"""


def _project(project: Path) -> None:
    images = project / "cards" / "images"
    images.mkdir()
    (images / "Layers.svg").write_text(SVG.format(w=10), encoding="utf-8")
    # Differs from the first only in letter case: on a phone these must not collide.
    (images / "layers.svg").write_text(SVG.format(w=5), encoding="utf-8")
    (project / "cards" / "pics.yaml").write_text(CARDS, encoding="utf-8")


def _render(col: Collection, term: str) -> tuple[str, str]:
    (note_id,) = col.find_notes(f'"Term:{term}"')
    output = col.get_note(note_id).cards()[0].render_output()
    return output.question_text, output.answer_text


def test_images_arrive_in_the_media_folder_and_cards_show_them(project, collection):
    _project(project)
    code, _, err = run("build")
    assert (code, err) == (0, "")

    snapshot = read_package((project / "decks" / "pics.apkg").read_bytes())
    assert len(snapshot.media) == 2  # two distinct files; the one used twice is packed once
    assert all(name.startswith("ankigen-") and name.endswith(".svg") for name in snapshot.media)

    import_apkg(collection, project / "decks" / "pics.apkg")
    media_dir = Path(collection.media.dir())
    assert sorted(p.name for p in media_dir.iterdir()) == sorted(snapshot.media)

    question, answer = _render(collection, "ハイパーバイザ型")
    (shown,) = [n for n in snapshot.media if f'<img src="{n}"' in answer]
    assert shown not in question
    assert (media_dir / shown).read_bytes() == (project / "cards/images/Layers.svg").read_bytes()

    question, _ = _render(collection, "この図の方式は?")
    (asked,) = [n for n in snapshot.media if f'<img src="{n}"' in question]
    assert (media_dir / asked).read_bytes() == (project / "cards/images/layers.svg").read_bytes()


def test_changing_an_image_updates_the_notes_that_show_it(project, monkeypatch):
    _project(project)
    run("build")
    (project / "cards" / "images" / "Layers.svg").write_text(SVG.format(w=7), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000100")
    code, out, _ = run("build")
    assert code == 0
    assert "(written; 0 added, 2 changed, 1 unchanged, 0 removed)" in out
    assert len(read_package((project / "decks" / "pics.apkg").read_bytes()).media) == 2


def test_same_images_give_the_same_bytes(project):
    _project(project)
    run("build", "--out", "a")
    run("build", "--out", "b")
    assert (project / "a/pics.apkg").read_bytes() == (project / "b/pics.apkg").read_bytes()


def test_an_oversized_image_is_refused(project):
    _project(project)
    big = project / "cards" / "images" / "photo.png"
    with big.open("wb") as f:
        f.truncate(3 * 1024 * 1024)
    cards = project / "cards" / "pics.yaml"
    cards.write_text(
        cards.read_text(encoding="utf-8").replace("images/layers.svg", "images/photo.png")
    )
    code, _, err = run("build")
    assert code == 1
    assert err == (
        "cards/pics.yaml:19:12: card 'p-quiz' (term): 'image': 'images/photo.png' "
        "is too large (3,145,728 bytes; the limit is 2,097,152)\n"
    )


_NS = 'xmlns="http://www.w3.org/2000/svg"'
REFUSED_SVGS = {
    "style-import": f'<svg {_NS}><style>@import "https://example.com/x.css";</style></svg>',
    "style-url": f"<svg {_NS}><style>rect {{fill: url(https://example.com/x)}}</style></svg>",
    "foreign-object": f"<svg {_NS}><foreignObject><p>hi</p></foreignObject></svg>",
    # Not XML at all, so no element or attribute of it can be looked at.
    "not-well-formed": f"<svg {_NS}><script>alert(1)</script>",
    "not-svg": "<note>hello</note>",
}


def _one_image_card(project: Path, svg: str) -> None:
    (project / "cards" / "x.svg").write_text(svg, encoding="utf-8")
    (project / "cards" / "pics.yaml").write_text(
        'id: pics\ntitle: Pics\ndeck: "Test::Pics"\ncards:\n'
        "  - {id: p, kind: term, term: a, meaning: b, image: x.svg}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize("case", REFUSED_SVGS)
def test_svg_that_could_load_or_run_something_is_refused(project, case):
    _one_image_card(project, REFUSED_SVGS[case])
    code, out, err = run("build")
    assert (code, out) == (1, "")
    prefix = "cards/pics.yaml:5:53: card 'p' (term): 'image': 'x.svg' is "
    if case.startswith("not-"):
        assert err.startswith(prefix), err
    else:
        assert err.startswith(prefix + "an SVG"), err
    assert err.count("\n") == 1
    assert not (project / "decks").exists()


def test_svg_with_local_references_is_accepted(project):
    _one_image_card(
        project,
        f'<svg {_NS}><defs><linearGradient id="g"/></defs><rect fill="url(#g)"/></svg>',
    )
    assert run("build")[:2] == (
        0,
        "decks/pics.apkg: 1 note, 1 card (written; 1 added, 0 changed, 0 unchanged, 0 removed)\n",
    )
