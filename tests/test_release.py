"""The shipped decks against the published 0.1.0 decks, as a learner who studied 0.1.0 gets
them: every card still made keeps its reviews, and every change an import cannot make is
in the build's report (and so in CHANGELOG)."""

from __future__ import annotations

import re
import shutil

from anki.collection import ImportAnkiPackageOptions, ImportAnkiPackageRequest
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition

from ankigen.kinds import KINDS
from tests.conftest import FIXTURES, REPO, import_apkg, run

PUBLISHED = FIXTURES / "v0.1.0" / "decks"
ALWAYS = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_ALWAYS


def test_a_learner_of_0_1_0_keeps_every_review_of_every_card_still_asked(tmp_path, collection):
    decks = sorted(PUBLISHED.glob("*.apkg"))
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

    # The build a learner would run: today's cards over the published decks, the first
    # build since 0.1.0 (which kept no identity file: the decks say what they held).
    shutil.copytree(PUBLISHED, tmp_path / "decks")
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
