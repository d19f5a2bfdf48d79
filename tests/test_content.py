"""The repository's own cards and decks: complete, clean, and what README says."""

from __future__ import annotations

import re
from pathlib import Path

from ankigen.build import load_sections
from ankigen.package import read_package
from tests.conftest import run

REPO = Path(__file__).resolve().parent.parent


def test_cards_have_no_lint_warnings():
    sections, warnings = load_sections(REPO / "cards", strict=True)
    assert [s.id for s in sections] == ["docker", "virtualbox-vagrant", "virtualization"]
    assert warnings == []


def test_network_mode_table_has_every_mode_and_direction():
    sections, _ = load_sections(REPO / "cards")
    (table,) = [c for s in sections for c in s.cards if c.id == "vbox-network-modes"]
    modes = [r.label for r in table["rows"]]
    directions = [c.label for c in table["columns"]]
    assert sorted(modes) == sorted(
        [
            "NAT",
            "NATネットワーク",
            "ブリッジアダプター",
            "内部ネットワーク",
            "ホストオンリーアダプター",
        ]
    )
    assert sorted(directions) == sorted(
        [
            "ゲストOS → ホストOS",
            "ホストOS → ゲストOS",
            "ゲストOS → 外部",
            "外部 → ゲストOS",
            "ゲストOS同士",
        ]
    )
    assert len(table["cells"]) == 25


def test_committed_decks_are_current():
    code, out, _ = run(
        "build", "--check", "--cards", str(REPO / "cards"), "--out", str(REPO / "decks")
    )
    assert (code, out) == (0, "3 decks up to date\n")


def test_readme_lists_every_deck_with_its_counts():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = {
        m[0]: (m[1], int(m[2]), int(m[3]))
        for m in re.findall(
            r"^\| `(decks/[\w-]+\.apkg)` \| (.+?) \| (\d+) \| (\d+) \|$", readme, re.M
        )
    }
    actual = {}
    for apkg in sorted((REPO / "decks").glob("*.apkg")):
        snapshot = read_package(apkg.read_bytes())
        actual[f"decks/{apkg.name}"] = (
            snapshot.decks[-1],
            len(snapshot.notes),
            len(snapshot.cards),
        )
    assert listed == actual


def test_the_redrawn_diagrams_are_on_their_cards():
    sections, _ = load_sections(REPO / "cards")
    with_images = sorted(c.id for s in sections for c in s.cards if c.image)
    assert with_images == [
        "docker-vs-vm",
        "vbox-network-modes",
        "virt-container-type",
        "virt-hosted-type",
        "virt-hypervisor-type",
    ]
    media = {}
    for apkg in (REPO / "decks").glob("*.apkg"):
        media.update(read_package(apkg.read_bytes()).media)
    assert len(media) == 5


def _answers(section):
    """What a learner must produce, one entry per Anki card (issue 15's measure)."""
    for card in section.cards:
        if card.kind == "term":
            yield card["meaning"]
            if card["reverse"]:
                yield card["term"]
        elif card.kind == "command":
            yield card["meaning"]
            yield card["command"]
        elif card.kind == "cloze":
            yield from card["items"]
        elif card.kind == "table":
            yield from card["cells"].values()


def test_virtualization_answers_are_recalled_not_reread():
    sections, _ = load_sections(REPO / "cards")
    (section,) = [s for s in sections if s.id == "virtualization"]
    lengths = sorted(len(a.replace("`", "")) for a in _answers(section))
    assert lengths[(len(lengths) - 1) // 2] <= 25
    assert lengths[int(0.9 * (len(lengths) - 1))] <= 40
    assert lengths[-1] <= 60
