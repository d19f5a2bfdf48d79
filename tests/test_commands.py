"""`check`, `list`, `schema`, `new`, `build --combined` and `build --watch`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import yaml

from ankigen.kinds import KINDS
from ankigen.notes import note_guid
from ankigen.package import read_package
from tests.conftest import REPO, import_apkg, run


def test_check_validates_and_writes_nothing(sample):
    assert run("check") == (0, "cards: 1 section, 5 cards, no errors\n", "")
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


def test_list_table(sample):
    code, out, _ = run("list")
    assert code == 0
    assert out.splitlines() == [
        "section  deck          term  command  table  cloze  notes  anki cards",
        "sample   Test::Sample  2     1        1      1      8      12",
        "total                  2     1        1      1      8      12",
    ]


def test_list_json(sample):
    code, out, _ = run("list", "--json")
    assert code == 0
    assert json.loads(out) == [
        {
            "section": "sample",
            "file": "cards/sample.yaml",
            "deck": "Test::Sample",
            "kinds": {"term": 2, "command": 1, "table": 1, "cloze": 1},
            "notes": 8,
            "anki_cards": 12,
        }
    ]


def test_committed_schema_is_current():
    code, out, _ = run("schema")
    assert code == 0
    assert json.loads(out) == json.loads(
        (REPO / "schema" / "card-file.schema.json").read_text(encoding="utf-8")
    )


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


def test_new_scaffolds_a_section_that_builds_cleanly(project):
    code, out, _ = run("new", "kubernetes")
    assert (code, out) == (
        0,
        "cards/card-file.schema.json: created; editors check card files against it\n"
        "cards/kubernetes.yaml: created; edit it, then run 'ankigen build'\n",
    )
    code, out, err = run("build", "--strict")
    assert (code, err) == (0, "")
    assert out.startswith("decks/kubernetes.apkg: 7 notes, 11 cards")
    kinds = [
        c["kind"]
        for c in yaml.safe_load((project / "cards" / "kubernetes.yaml").read_text())["cards"]
    ]
    assert sorted(kinds) == ["cloze", "command", "table", "term"]


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


def test_combined_deck_holds_every_section_as_a_subdeck(sample, collection):
    (sample / "cards" / "more.yaml").write_text(
        'id: more\ntitle: More\ndeck: "Test::More"\ncards:\n'
        "  - {id: m1, kind: term, term: a, meaning: b}\n",
        encoding="utf-8",
    )
    run("build")
    code, out, _ = run("build", "--combined")
    assert (code, out) == (
        0,
        "decks/combined.apkg: 9 notes, 13 cards "
        "(written; 0 added, 0 changed, 9 unchanged, 0 removed)\n",
    )
    combined = read_package((sample / "decks" / "combined.apkg").read_bytes())
    assert combined.decks == ["Test::More", "Test::Sample"]

    log = import_apkg(collection, sample / "decks" / "combined.apkg")
    assert len(log.new) == 9
    names = {d.name for d in collection.decks.all_names_and_ids()}
    assert {"Test", "Test::More", "Test::Sample"} <= names
    # The same notes as the section decks: importing one after the other adds nothing.
    log = import_apkg(collection, sample / "decks" / "sample.apkg")
    assert (len(log.new), len(log.updated)) == (0, 0)
    assert collection.db.scalar("select count() from notes where guid = ?", note_guid("m1")) == 1
    assert run("build", "--check")[0] == 0  # combined.apkg is ours, not a stale leftover


def test_watch_rebuilds_on_change_and_stops_cleanly_on_ctrl_c(sample):
    watcher = subprocess.Popen(
        [sys.executable, "-m", "ankigen", "build", "--watch"],
        cwd=sample,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "8 added" in watcher.stdout.readline()
        card_file = sample / "cards" / "sample.yaml"
        text = card_file.read_text(encoding="utf-8")
        card_file.write_text(
            text.replace("仮想マシン上で動作するOS", "VMの中のOS"), encoding="utf-8"
        )
        assert "1 changed" in watcher.stdout.readline()
        card_file.write_text(text.replace("meaning:", "meanin:", 1), encoding="utf-8")
        time.sleep(1.5)  # the watcher reports the error and keeps going
        watcher.send_signal(signal.SIGINT)
        out, err = watcher.communicate(timeout=10)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.communicate()
    assert watcher.returncode == 0
    assert out == ""
    assert "unknown key 'meanin' (did you mean 'meaning'?)" in err
    assert err.endswith("stopped\n")
    assert "Traceback" not in err


def test_console_script_end_to_end(sample):
    script = Path(sys.executable).parent / "ankigen"
    result = subprocess.run([str(script), "build"], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("decks/sample.apkg: 8 notes, 12 cards")


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


def _schema_line(card_file: Path) -> Path:
    first = card_file.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    return card_file.parent / first.split("$schema=", 1)[1]


def test_new_in_an_empty_folder_makes_a_deck_anki_renders_and_a_schema_beside_it(
    tmp_path, monkeypatch, collection
):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    monkeypatch.chdir(folder)
    assert run("new", "demo")[0] == 0
    code, out, err = run("build", "--strict")
    assert (code, err) == (0, "")
    assert out.startswith("decks/demo.apkg: 7 notes, 11 cards (written;")

    # The schema the file names exists, is the current one, and accepts the file.
    card_file = folder / "cards" / "demo.yaml"
    schema_path = _schema_line(card_file)
    assert schema_path == folder / "cards" / "card-file.schema.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    assert schema_path.read_text(encoding="utf-8") == run("schema")[1]
    data = yaml.safe_load(card_file.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert sorted({c["kind"] for c in data["cards"]}) == sorted(KINDS)

    # Neutral examples: nothing left from this repository's own subject.
    text = card_file.read_text(encoding="utf-8").lower()
    assert not any(w in text for w in ["vagrant", "docker", "hypervisor", "ハイパーバイザ"])

    log = import_apkg(collection, folder / "decks" / "demo.apkg")
    assert (len(log.new), len(log.conflicting)) == (7, 0)
    for card_id in collection.find_cards(""):
        rendered = collection.get_card(card_id).render_output()
        assert rendered.question_text.strip() and rendered.answer_text.strip()
        assert "blank" not in rendered.question_text.lower()


def test_new_in_a_clone_points_at_the_committed_schema(project):
    (project / "schema").mkdir()
    (project / "schema" / "card-file.schema.json").write_text("{}", encoding="utf-8")
    assert run("new", "demo")[1] == "cards/demo.yaml: created; edit it, then run 'ankigen build'\n"
    assert (
        _schema_line(project / "cards" / "demo.yaml").resolve()
        == (project / "schema" / "card-file.schema.json").resolve()
    )
    assert not (project / "cards" / "card-file.schema.json").exists()


def test_new_leaves_an_existing_schema_alone(project):
    (project / "cards" / "card-file.schema.json").write_text("{}", encoding="utf-8")
    assert run("new", "demo")[1] == "cards/demo.yaml: created; edit it, then run 'ankigen build'\n"
    assert (project / "cards" / "card-file.schema.json").read_text(encoding="utf-8") == "{}"


def test_schema_output_writes_the_file(project):
    assert run("schema", "-o", "my.schema.json") == (0, "my.schema.json: written\n", "")
    assert (project / "my.schema.json").read_text(encoding="utf-8") == run("schema")[1]
