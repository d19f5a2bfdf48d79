"""Run by an older release of the official `anki` package (its own virtual environment, see
tests/test_old_anki.py): import packages into a collection as that Anki does, optionally
review every card once, and print what the collection then holds, as JSON.

    python probe.py COLLECTION review|keep PACKAGE...
"""

import json
import sys

import anki.lang
from anki.collection import Collection  # first: anki.importing imports it circularly
from anki.importing.apkg import AnkiPackageImporter  # 2.1.66 and older: no ImportAnkiPackageRequest

anki.lang.set_lang("en")
col = Collection(sys.argv[1])
logs = []
for package in sys.argv[3:]:
    importer = AnkiPackageImporter(col, package)
    importer.run()
    logs.append({"added": importer.added, "updated": importer.updated, "dupes": importer.dupes})
if sys.argv[2] == "review":
    for card_id in col.find_cards(""):
        card = col.get_card(card_id)
        card.start_timer()
        col.sched.answerCard(card, 3)
rows = col.db.all("select n.guid, c.ord, c.reps from cards c join notes n on n.id = c.nid")
print(
    json.dumps(
        {
            "imports": logs,
            "reps": sorted([guid, ordinal, reps] for guid, ordinal, reps in rows),
            "fields": dict(col.db.all("select guid, flds from notes")),
            "note_types": sorted(col.db.list("select name from notetypes")),
        }
    )
)
col.close()
