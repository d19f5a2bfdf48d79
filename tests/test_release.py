"""The shipped decks against the published decks of each release (0.1.0, and 0.2.0 before
issue 27 rewrote the cards), as a learner who studied them gets them: every card still made
keeps its reviews, and every change an import cannot make is in the build's report (and so
in CHANGELOG)."""

from __future__ import annotations

import itertools
import re
import shutil

import pytest
from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

from ankigen.kinds import KINDS
from ankigen.notes import note_guid
from tests.conftest import FIXTURES, REPO, import_apkg, run

RELEASES = ["v0.1.0", "v0.2.0"]
ALWAYS = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS


@pytest.mark.parametrize("release", RELEASES)
def test_a_learner_keeps_every_review_of_every_card_still_asked(tmp_path, collection, release):
    published = FIXTURES / release / "decks"
    decks = sorted(published.glob("*.apkg"))
    for apkg in decks:
        import_apkg(collection, apkg)
    history = {}
    for n, cid in enumerate(collection.find_cards("")):
        card = collection.get_card(cid)
        for _ in range(1 + n % 3):  # one, two or three reviews: every card its own history
            card = collection.get_card(cid)
            card.start_timer()
            collection.sched.answerCard(card, 3)
        history[card.note().guid, card.ord] = (cid, collection.get_card(cid).reps)

    # The build a learner would run: today's cards over the published decks, the first build
    # since that release (which kept no identity file: the decks say what they held).
    shutil.copytree(published, tmp_path / "decks")
    shutil.copytree(
        REPO / "cards", tmp_path / "cards", ignore=shutil.ignore_patterns(".ankigen-ids")
    )
    code, out, err = run(
        "build", "--cards", str(tmp_path / "cards"), "--out", str(tmp_path / "decks")
    )
    assert code == 0, err
    searches = [line.strip() for line in out.splitlines() if line.startswith("    ")]

    # The learner imports them, as always: the new note types arrive, the old notes conflict.
    for apkg in sorted((tmp_path / "decks").glob("*.apkg")):
        import_apkg(collection, apkg)
    # Then as the report says: change the note types once, and import again with "Always".
    for kind in KINDS.values():
        for old in kind.retired:
            nids = collection.find_notes(f'"note:{old.name}"')
            if not nids:
                continue
            assert f'"note:{old.name}"' in searches
            request = collection.models.change_notetype_info(
                old_notetype_id=old.id, new_notetype_id=kind.note_type.id
            ).input
            request.note_ids.extend(nids)
            collection.models.change_notetype_of_notes(request)
    for apkg in sorted((tmp_path / "decks").glob("*.apkg")):
        request = ImportAnkiPackageRequest(
            package_path=str(apkg), options=ImportAnkiPackageOptions(update_notes=ALWAYS)
        )
        assert not collection.import_anki_package(request).log.conflicting
    collection.models._clear_cache()

    # Every card of a note the decks still make, that the decks still make, kept its history.
    from ankigen.package import read_package

    made = set()
    for apkg in (tmp_path / "decks").glob("*.apkg"):
        made |= set(read_package(apkg.read_bytes()).cards)
    kept = {key: value for key, value in history.items() if key in made}
    assert kept
    for cid, reps in kept.values():
        assert collection.get_card(cid).reps == reps

    # The others are exactly what the report names: removed notes, and cards no longer made.
    reported_nids = {int(n) for s in searches if s.startswith("nid:") for n in s[4:].split(",")}
    reported_cards = {
        (int(nid), int(k) - 1)
        for s in searches
        for nid, k in re.findall(r"\(nid:(\d+) card:(\d+)\)", s)
    }
    gone = {key: cid for key, (cid, _) in history.items() if key not in made}
    for (guid, ordinal), cid in gone.items():
        card = collection.get_card(cid)
        assert card.nid in reported_nids or (card.nid, ordinal) in reported_cards, (guid, ordinal)
    if release == "v0.2.0":
        # And CHANGELOG names every note the rewrite dropped: nothing lost its history
        # unannounced (a kept id whose guid changed would be a dropped note too).
        listed = _changelog_ids()
        dropped = {guid for guid, _ in gone if guid not in {g for g, _ in made}}
        assert dropped
        assert dropped <= listed, sorted(dropped - listed)


def _changelog_ids() -> set[str]:
    """The guids of every id (and table cell: id, row key, column key) that CHANGELOG's
    section on issue 27 names in backticks."""
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    section = text.split("### Cards removed or re-asked since 0.2.0", 1)[1].split("\n## ", 1)[0]
    words = set(re.findall(r"`([a-z0-9-]+)`", section))
    return {note_guid(w) for w in words} | {
        note_guid(*cell) for cell in itertools.permutations(words, 3)
    }
