"""A learner's collection made with the official anki package: what `ankigen import` adopts.

Every stock note type, a custom one with two templates and its own CSS, subdecks, tags, an
image and reviews, exported in each format Anki writes.
"""

from __future__ import annotations

from pathlib import Path

from anki.collection import Collection, ExportAnkiPackageOptions

IMAGE = b"\x89PNG\r\n\x1a\n" + bytes(range(64))  # bytes that must arrive unchanged
CUSTOM_CSS = ".card { font-family: serif; color: #123456; }\n.reading { font-size: 80%; }"


def _custom_note_type(col: Collection) -> dict:
    models = col.models
    m = models.new("Japanese word")
    for name in ("Word", "Reading", "Meaning"):
        models.add_field(m, models.new_field(name))
    recognise = models.new_template("Recognise")
    recognise["qfmt"] = "{{Word}}"
    recognise["afmt"] = (
        '{{FrontSide}}<hr id=answer><div class="reading">{{Reading}}</div>{{Meaning}}'
    )
    recall = models.new_template("Recall")
    recall["qfmt"] = "{{Meaning}}"
    recall["afmt"] = "{{FrontSide}}<hr id=answer>{{Word}} ({{Reading}})"
    models.add_template(m, recognise)
    models.add_template(m, recall)
    m["css"] = CUSTOM_CSS
    models.add(m)
    return models.by_name("Japanese word")


# (note type, deck, fields, tags): one note of each stock note type and the custom one.
NOTES = [
    (
        "Basic",
        "Virtualization",
        ["ハイパーバイザ", "<b>VM</b> を動かすソフト"],
        ["os", "vm::type1"],
    ),
    (
        "Basic (and reversed card)",
        "Virtualization::Containers",
        ["namespace", 'プロセスの見える範囲 <img src="ns.png">'],
        ["linux"],
    ),
    ("Basic (optional reversed card)", "Virtualization", ["cgroup", "資源の制限", "y"], []),
    ("Basic (optional reversed card)", "Virtualization", ["chroot", "root の変更", ""], ["old"]),
    ("Basic (type in the answer)", "Virtualization::Containers", ["docker ps -a", "全部"], []),
    (
        "Cloze",
        "Virtualization::Containers",
        ["{{c1::Docker}} は {{c2::コンテナ}} を動かす", "<i>extra</i>"],
        ["docker"],
    ),
    ("Japanese word", "Japanese", ["仮想", "かそう", "virtual &amp; <u>not real</u>"], ["n3"]),
]


def make_collection(folder: Path) -> Collection:
    """The learner's collection (open), with every note reviewed once; `folder` is created."""
    folder.mkdir(parents=True, exist_ok=True)
    col = Collection(str(folder / "collection.anki2"))
    _custom_note_type(col)
    (Path(col.media.dir()) / "ns.png").write_bytes(IMAGE)
    for type_name, deck, fields, tags in NOTES:
        note = col.new_note(col.models.by_name(type_name))
        for i, value in enumerate(fields):
            note.fields[i] = value
        note.tags = list(tags)
        col.add_note(note, col.decks.id(deck))
    for cid in col.find_cards(""):  # every card reviewed, the first of each note twice
        card = col.get_card(cid)
        for _ in range(2 if card.ord == 0 else 1):
            card.start_timer()
            col.sched.answerCard(card, 3)
            card.load()
    return col


def export(col: Collection, folder: Path, fmt: str) -> Path:
    """`col` exported as Anki does into `folder`: "apkg" (current, zstd), "legacy" (.apkg)
    or "colpkg"."""
    if fmt == "colpkg":
        path = folder / "learner.colpkg"
        col.export_collection_package(str(path), include_media=True, legacy=False)
        col.reopen()
        return path
    path = folder / f"learner-{fmt}.apkg"
    options = ExportAnkiPackageOptions(
        with_scheduling=True, with_deck_configs=False, with_media=True, legacy=fmt == "legacy"
    )
    col.export_anki_package(out_path=str(path), options=options, limit=None)
    return path
