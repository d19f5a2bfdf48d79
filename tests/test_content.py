"""The repository's own cards and decks: complete, clean, and what README says."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from ankigen.kinds import KINDS
from ankigen.package import read_package
from ankigen.sections import card_files, load_sections
from tests.conftest import run

REPO = Path(__file__).resolve().parent.parent


def test_cards_have_no_lint_warnings():
    sections, warnings = load_sections(REPO / "cards", strict=True)
    assert [s.id for s in sections] == ["docker", "virtualbox-vagrant", "virtualization"]
    assert warnings == []


def test_network_mode_table_asks_only_the_cells_that_tell_modes_apart():
    sections, _ = load_sections(REPO / "cards")
    (table,) = [c for s in sections for c in s.cards if c.id == "vbox-network-modes"]
    modes = [r.label for r in table["rows"]]
    directions = [c.label for c in table["columns"]]
    # Only the modes and directions whose cells tell the modes apart (issue 27): bridged is
    # ○ everywhere, and guest -> host or external -> guest repeat another column's answer.
    assert modes == ["NAT", "NAT ネットワーク", "内部ネットワーク", "ホストオンリーアダプター"]
    assert directions == ["ホストOS → ゲストOS", "ゲストOS → 外部", "ゲストOS同士"]
    cells = table["cells"]
    assert len(cells) == 12
    # Every column holds at least two different answers: no cell is asked for nothing.
    for column in table["columns"]:
        assert len({cells[row.key, column.key] for row in table["rows"]}) > 1, column.key


def test_committed_decks_are_current():
    code, out, _ = run(
        "build", "--check", "--cards", str(REPO / "cards"), "--out", str(REPO / "decks")
    )
    sections = len(card_files(REPO / "cards"))
    assert (code, out) == (0, f"{sections} decks up to date\n")


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


def _kind_table() -> str:
    lines = ["| kind | note type | fields | cards |", "|---|---|---|---|"]
    for kind in KINDS.values():
        fields = ", ".join(kind.note_type.fields)
        name = kind.note_type.name
        if kind.note_type_of is not None:  # the card names its note type
            name, fields = f"the card's `notetype` (example: {name})", "the note type's own"
        lines.append(f"| `{kind.name}` | {name} | {fields} | {kind.asks} |")
    return "\n".join(lines) + "\n"


def test_readme_kind_table_is_the_registry():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^\| kind \| note type \| fields \| cards \|\n(?:\|.*\n)*", readme, re.M)
    assert found, "README.md has lost its table of kinds ('| kind | note type | fields | cards |')"
    table = _kind_table()
    assert found[0] == table, (
        f"README.md's table of kinds is not what ankigen.kinds.KINDS holds; paste this:\n\n{table}"
    )


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


def _docker_cards():
    sections, _ = load_sections(REPO / "cards")
    (docker,) = [s for s in sections if s.id == "docker"]
    return {c.id: c for c in docker.cards}


def test_every_deck_asks_answers_recalled_in_seconds():
    """Issue 15's measure, over every section: what the learner must produce for each Anki
    card (as each kind tells the card rules: a term's meaning and, reversed, the term; a
    command's meaning and the command typed or shown; each cloze item, gap and table cell),
    counted in characters. Notes: at most 120 characters of prose."""
    from ankigen.rules import pieces

    sections, _ = load_sections(REPO / "cards")
    cards = [card for section in sections for card in section.cards]
    lengths = sorted(
        len(piece.text.replace("`", ""))
        for card in cards
        for piece in pieces(card)
        if piece.answer or piece.cloze
    )
    median, p90 = statistics.median(lengths), lengths[-(-len(lengths) * 9 // 10) - 1]
    assert median <= 25 and p90 <= 40 and lengths[-1] <= 60, (median, p90, lengths[-1])
    assert [c.id for c in cards if not _short_note(c.note)] == []


_FENCED = re.compile(r"^```[^\n]*\n(.*?)^```$", re.S | re.M)


def _short_note(note: str | None) -> bool:
    """At most 120 characters of prose; a code block shown as context stays small (<= 6 lines)."""
    note = note or ""
    blocks = _FENCED.findall(note)
    return len(_FENCED.sub("", note)) <= 120 and all(b.count("\n") <= 6 for b in blocks)


def test_docker_confusable_pairs_are_asked_side_by_side():
    cards = _docker_cards()
    rows = {
        table: [r.label for r in cards[table]["rows"]]
        for table in (
            "docker-stop-vs-kill",
            "docker-run-create-start",
            "compose-volume-vs-bind",
            "docker-image-vs-container",
        )
    }
    assert rows == {
        "docker-stop-vs-kill": ["docker stop", "docker kill"],
        "docker-run-create-start": ["docker run", "docker create", "docker start"],
        "compose-volume-vs-bind": ["ボリューム（名前付きボリューム）", "バインドマウント"],
        "docker-image-vs-container": ["イメージ", "コンテナ"],
    }
    assert cards["docker-stop-vs-kill"]["cells"]["stop", "signal"] == "SIGTERM"
    assert cards["docker-stop-vs-kill"]["cells"]["kill", "signal"] == "SIGKILL"


def test_docker_rmi_force_is_not_said_to_remove_an_image_in_use():
    # moby daemon/images/image_delete.go: a running container is a hard conflict,
    # "cannot be forced". An earlier note said -f removed it.
    cards = _docker_cards()
    assert cards["docker-rmi-running"]["meaning"].startswith("消せない")
    assert not any("-f なし" in (c.note or "") for c in cards.values())


def test_readme_card_file_example_is_a_valid_card_file(tmp_path):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```yaml\n(id: docker\n.*?)```", readme, re.S)
    (tmp_path / "cards").mkdir()
    (tmp_path / "cards" / "docker.yaml").write_text(example, encoding="utf-8")
    code, out, err = run("check", "--cards", str(tmp_path / "cards"))
    assert (code, err) == (0, ""), err


def _virtualbox_vagrant():
    sections, _ = load_sections(REPO / "cards")
    (section,) = [s for s in sections if s.id == "virtualbox-vagrant"]
    return section


def test_virtualbox_vagrant_version_sensitive_cards_name_their_version():
    tagged = [c for c in _virtualbox_vagrant().cards if "version-sensitive" in c.tags]
    assert {"vbox-nat-localhost", "vbox-nat-localhostreachable-option"} <= {c.id for c in tagged}
    for card in tagged:
        text = " ".join(v for v in card.values.values() if isinstance(v, str))
        assert re.search(r"VirtualBox \d+\.\d+|\d{4}年", f"{text} {card.note or ''}"), card.id


def test_virtualbox_vagrant_asks_the_confusable_pairs_side_by_side():
    tables = {c.id: c for c in _virtualbox_vagrant().cards if c.kind == "table"}
    pairs = {
        "vagrant-halt-suspend-destroy": ["halt", "suspend", "destroy"],
        "vbox-nat-vs-nat-network": ["nat", "nat-network"],
    }
    assert {t: [r.key for r in tables[t]["rows"]] for t in pairs} == pairs
