"""`check`, `list`, `schema`, `new`, `build --combined` and `build --watch`."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import yaml

from ankigen.kinds import KINDS
from ankigen.notes import note_guid
from ankigen.package import read_package
from tests.conftest import REPO, import_apkg, run


def test_check_validates_and_writes_nothing(sample, sample_counts):
    counts = f"{sample_counts.sections} sections, {sample_counts.cards} cards"
    assert run("check") == (0, f"cards: {counts}, no errors\n", "")
    assert not (sample / "decks").exists()


def test_check_reports_errors_like_build(sample):
    card_file = sample / "cards" / "sample.yaml"
    card_file.write_text(
        card_file.read_text(encoding="utf-8").replace("meaning:", "meanin:", 1), encoding="utf-8"
    )
    code, out, err = run("check")
    assert (code, out) == (1, "")
    assert err == (
        "cards/sample.yaml:10:5: card 's-hypervisor' (term): "
        "unknown key 'meanin' (did you mean 'meaning'?)\n"
    )


def test_list_table(sample, sample_counts):
    code, out, _ = run("list")
    assert code == 0
    header, row, total = out.splitlines()
    kinds = [str(sample_counts.kinds.get(kind, 0)) for kind in KINDS]
    counts = [str(sample_counts.notes), str(sample_counts.anki_cards)]
    assert header.split() == ["section", "deck", *KINDS, "notes", "anki", "cards"]
    assert row.split() == ["sample", "Test::Sample", *kinds, *counts]
    assert total.split() == ["total", *kinds, *counts]
    # Columns line up: each value starts where its heading does.
    starts = [m.start() for m in re.finditer(r"\S+", header)][:-1]
    assert [m.start() for m in re.finditer(r"\S+", row)] == starts
    assert [m.start() for m in re.finditer(r"\S+", total)] == [0, *starts[2:]]


def test_list_json(sample, sample_counts):
    code, out, _ = run("list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "section": "sample",
            "file": "cards/sample.yaml",
            "deck": "Test::Sample",
            "kinds": {kind: sample_counts.kinds.get(kind, 0) for kind in KINDS},
            "notes": sample_counts.notes,
            "anki_cards": sample_counts.anki_cards,
        }
    ]


def test_committed_schema_is_current():
    code, out, _ = run("schema")
    assert code == 0
    assert json.loads(out) == json.loads(
        (REPO / "schema" / "card-file.schema.json").read_text(encoding="utf-8")
    ), "the committed schema is stale: run 'ankigen schema > schema/card-file.schema.json'"


def test_every_card_file_validates_against_the_schema():
    schema = json.loads((REPO / "schema" / "card-file.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for card_file in sorted((REPO / "cards").glob("*.yaml")):
        data = yaml.safe_load(card_file.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(data)


def test_schema_rejects_what_the_validator_rejects():
    schema = json.loads((REPO / "schema" / "card-file.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    section = {"id": "s", "title": "t", "deck": "D", "cards": []}
    assert validator.is_valid(section)
    bad_card = {"id": "c", "kind": "term", "term": "t", "meanig": "m"}
    assert not validator.is_valid({**section, "cards": [bad_card]})
    assert not validator.is_valid({**section, "deck": "A::::B"})
    assert not validator.is_valid({**section, "id": "Not A Slug"})


def test_new_scaffolds_a_section_that_builds_cleanly(project, collection):
    code, out, _ = run("new", "kubernetes")
    assert (code, out) == (0, "cards/kubernetes.yaml: created; edit it, then run 'ankigen build'\n")
    code, out, err = run("build", "--strict")
    assert (code, err) == (0, "")
    kinds = [
        c["kind"]
        for c in yaml.safe_load((project / "cards" / "kubernetes.yaml").read_text())["cards"]
    ]
    assert kinds == list(KINDS)  # one example of every kind (tests/test_kinds.py checks each)
    log = import_apkg(collection, project / "decks" / "kubernetes.apkg")
    notes, cards = collection.note_count(), collection.card_count()
    assert len(log.new) == notes
    assert out.startswith(f"decks/kubernetes.apkg: {notes} notes, {cards} cards (written;")


def test_new_never_overwrites(sample):
    before = (sample / "cards" / "sample.yaml").read_bytes()
    assert run("new", "sample") == (1, "", "cards/sample.yaml: already exists (left as it is)\n")
    assert (sample / "cards" / "sample.yaml").read_bytes() == before


def test_new_rejects_a_bad_id(project):
    assert run("new", "My Deck") == (
        2,
        "",
        "'My Deck' is not a valid section id (use lowercase letters, digits and hyphens)\n",
    )


def test_combined_deck_holds_every_section_as_a_subdeck(sample, collection, sample_counts):
    (sample / "cards" / "more.yaml").write_text(
        'id: more\ntitle: More\ndeck: "Test::More"\ncards:\n'
        "  - {id: m1, kind: term, term: a, meaning: b}\n",
        encoding="utf-8",
    )
    run("build")
    code, out, _ = run("build", "--combined")
    notes, cards = sample_counts.notes + 1, sample_counts.anki_cards + 1  # and more.yaml's
    assert (code, out) == (
        0,
        f"decks/combined.apkg: {notes} notes, {cards} cards "
        f"(written; 0 added, 0 changed, {notes} unchanged, 0 removed)\n",
    )
    combined = read_package((sample / "decks" / "combined.apkg").read_bytes())
    assert combined.decks == ["Test::More", "Test::Sample"]

    log = import_apkg(collection, sample / "decks" / "combined.apkg")
    assert len(log.new) == notes
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert {"Test", "Test::More", "Test::Sample"} <= names
    # The same notes as the section decks: importing one after the other adds nothing.
    log = import_apkg(collection, sample / "decks" / "sample.apkg")
    assert (len(log.new), len(log.updated)) == (0, 0)
    assert collection.db.scalar("select count() from notes where guid = ?", note_guid("m1")) == 1
    assert run("build", "--check")[0] == 0  # combined.apkg is ours, not a stale leftover


def test_watch_rebuilds_on_change_and_stops_cleanly_on_ctrl_c(sample, monkeypatch, sample_counts):
    import ankigen.watch

    card_file = sample / "cards" / "sample.yaml"
    text = card_file.read_text(encoding="utf-8")
    # What happens while the watcher sleeps, one step per wait; then Ctrl-C. In-process and
    # without signals, so the test runs the same in a background job (where SIGINT is
    # ignored) and on Windows, and cannot hang.
    steps = [
        lambda: card_file.write_text(text.replace("仮想マシン上で動作するOS", "VMの中のOS")),
        lambda: card_file.write_text(text.replace("meaning:", "meanin:", 1)),
        lambda: None,  # nothing changed: nothing is built
    ]

    def sleep(seconds: float) -> None:
        if not steps:
            raise KeyboardInterrupt  # what Ctrl-C raises in the waiting loop
        steps.pop(0)()

    monkeypatch.setattr(ankigen.watch, "time", SimpleNamespace(sleep=sleep))
    code, out, err = run("build", "--watch")

    assert code == 0
    first, second = out.splitlines()
    assert f"(written; {sample_counts.notes} added, " in first
    assert "(written; 0 added, 1 changed, " in second
    assert "cards/sample.yaml:10:5: card 's-hypervisor' (term): unknown key 'meanin'" in err
    assert err.count("watching cards for changes (Ctrl-C to stop)\n") == 3
    assert err.endswith("stopped\n")


def test_console_script_end_to_end(sample, sample_counts):
    script = Path(sys.executable).parent / "ankigen"
    result = subprocess.run([str(script), "build"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith(sample_counts.deck_line("decks/sample.apkg") + " (written;")


def test_progress_is_reported_per_card_file(sample):
    from ankigen.build import build

    (sample / "cards" / "more.yaml").write_text(
        'id: more\ntitle: More\ndeck: "Test::More"\ncards:\n'
        "  - {id: m1, kind: term, term: a, meaning: b}\n",
        encoding="utf-8",
    )
    seen = []
    build(Path("cards"), Path("decks"), progress=lambda *step: seen.append(step))
    assert seen == [(1, 2, Path("cards/more.yaml")), (2, 2, Path("cards/sample.yaml"))]


def test_output_is_plain_text_when_not_a_terminal(sample, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, err = run("build")
    assert code == 0
    assert "\x1b" not in out + err
