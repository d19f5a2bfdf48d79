"""`check`, `list`, `schema`, `new`, `build --combined` and `build --watch`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest
import yaml

from ankigen.kinds import KINDS
from ankigen.notes import note_guid
from ankigen.package import read_package
from tests.conftest import REPO, counted, import_apkg, run


def test_check_validates_and_writes_nothing(sample, sample_counts):
    sections = "1 section" if sample_counts.sections == 1 else f"{sample_counts.sections} sections"
    counts = f"{sections}, {sample_counts.cards} cards"
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
    for card_file in sorted((REPO / "cards").glob("[!.]*.yaml")):  # not .ankigen.yaml
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
    assert (code, out) == (
        0,
        "cards/card-file.schema.json: created; editors check card files against it\n"
        "cards/kubernetes.yaml: created; edit it, then run 'ankigen build'\n"
        "cards/notetypes/vocabulary.yaml: created; the note type of the example `note` card\n"
        ".gitignore: created; keeps build caches out of git, the identity file in\n",
    )
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
    counts = f"{counted(notes, 'note')}, {counted(cards, 'card')}"
    assert out.startswith(f"decks/kubernetes.apkg: {counts} (written;")


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
        f"decks/combined.apkg: {counted(notes, 'note')}, {counted(cards, 'card')} "
        # New to this deck file, though the section decks hold the same notes.
        f"(written; {notes} added, 0 changed, 0 unchanged, 0 removed)\n",
    )
    assert run("build", "--combined")[1].endswith(
        f"(unchanged; 0 added, 0 changed, {notes} unchanged, 0 removed)\n"
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
    more = sample / "cards" / "more.yaml"
    more.write_text(more.read_text(encoding="utf-8").replace("meaning: b", "meaning: c"))
    code, out, _ = run("build", "--check", "--combined")
    ids = (
        "cards/.ankigen-ids: not what a build writes (missing, or cards changed since); run "
        "'ankigen build --combined' and commit it with your cards\n"
    )
    assert (code, out) == (
        1,
        ids + "decks/combined.apkg: stale (cards changed since it was built); "
        "run 'ankigen build --combined'\n",
    )
    (sample / "decks" / "combined.apkg").unlink()
    out = run("build", "--check", "--combined")[1]
    assert out == ids + "decks/combined.apkg: missing; run 'ankigen build --combined'\n"


def test_watch_rebuilds_on_change_and_stops_cleanly_on_ctrl_c(sample, monkeypatch, sample_counts):
    import ankigen.watch

    card_file = sample / "cards" / "sample.yaml"
    text = card_file.read_text(encoding="utf-8")
    # What happens while the watcher sleeps, one step per wait; then Ctrl-C. In-process and
    # without signals, so the test runs the same in a background job (where SIGINT is
    # ignored) and on Windows, and cannot hang.
    # A clock of its own: each wait moves it on, and a step happens when its time comes.
    steps = [
        (1.0, lambda: card_file.write_text(text.replace("仮想マシン上で動作するOS", "VMの中のOS"))),
        (3.0, lambda: card_file.write_text(text.replace("meaning:", "meanin:", 1))),
        (5.0, lambda: None),  # nothing changed: nothing is built
    ]
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds
        if clock[0] > 7.0:
            raise KeyboardInterrupt  # what Ctrl-C raises in the waiting loop
        while steps and steps[0][0] <= clock[0]:
            steps.pop(0)[1]()

    fake_time = SimpleNamespace(sleep=sleep, monotonic=lambda: clock[0])
    monkeypatch.setattr(ankigen.watch, "time", fake_time)
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
    assert out.startswith("decks/demo.apkg: ")

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
    made = int(re.match(r"decks/demo\.apkg: (\d+) notes", out)[1])
    assert made == len(KINDS) + 3  # a table example has 4 cells
    assert (len(log.new), len(log.conflicting)) == (made, 0)
    for card_id in collection.find_cards(""):
        rendered = collection.get_card(card_id).render_output()
        assert rendered.question_text.strip() and rendered.answer_text.strip()
        assert "blank" not in rendered.question_text.lower()


def test_new_in_a_clone_points_at_the_committed_schema(project):
    (project / "schema").mkdir()
    (project / "schema" / "card-file.schema.json").write_text("{}", encoding="utf-8")
    (project / ".gitignore").write_text("preview.html\n", encoding="utf-8")  # left alone
    assert run("new", "demo")[1] == (
        "cards/demo.yaml: created; edit it, then run 'ankigen build'\n"
        "cards/notetypes/vocabulary.yaml: created; the note type of the example `note` card\n"
    )
    assert (project / ".gitignore").read_text(encoding="utf-8") == "preview.html\n"
    assert (
        _schema_line(project / "cards" / "demo.yaml").resolve()
        == (project / "schema" / "card-file.schema.json").resolve()
    )
    assert not (project / "cards" / "card-file.schema.json").exists()


def test_new_leaves_an_existing_schema_alone(project):
    (project / "cards" / "card-file.schema.json").write_text("{}", encoding="utf-8")
    (project / ".gitignore").write_text("preview.html\n", encoding="utf-8")  # left alone
    assert run("new", "demo")[1] == (
        "cards/demo.yaml: created; edit it, then run 'ankigen build'\n"
        "cards/notetypes/vocabulary.yaml: created; the note type of the example `note` card\n"
    )
    assert (project / ".gitignore").read_text(encoding="utf-8") == "preview.html\n"
    assert (project / "cards" / "card-file.schema.json").read_text(encoding="utf-8") == "{}"


def test_schema_output_writes_the_file(project):
    assert run("schema", "-o", "my.schema.json") == (0, "my.schema.json: written\n", "")
    assert (project / "my.schema.json").read_text(encoding="utf-8") == run("schema")[1]


def _hook(hook_id: str) -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = [h for h in hooks if h["id"] == hook_id]
    return hook


def test_pre_commit_hook_fails_when_the_committed_decks_are_stale(sample):
    hook = _hook("ankigen-build-check")
    program, *args = hook["entry"].split()
    assert program == "ankigen" and hook["pass_filenames"] is False
    # It runs when a card file, an image or style under cards/, or a deck is committed.
    for path in ("cards/docker.yaml", "cards/images/a.png", "cards/style.css", "decks/a.apkg"):
        assert re.search(hook["files"], path), path
    assert not re.search(hook["files"], "README.md")

    assert run(*args)[0] == 1  # no decks built yet
    assert run("build")[0] == 0
    assert run(*args)[0] == 0
    card_file = sample / "cards" / "sample.yaml"
    card_file.write_text(card_file.read_text(encoding="utf-8").replace("軽量", "とても軽量"))
    code, out, _ = run(*args)
    assert code == 1 and "decks/sample.apkg: stale" in out


def test_new_writes_a_gitignore_that_keeps_caches_out_and_the_identity_file_in(project):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert run("new", "demo")[0] == 0
    assert run("build")[0] == 0
    env = {"HOME": str(project), "PATH": os.environ.get("PATH", "")}
    # A global rule ignoring every dot file, as some users have: the identity file stays in.
    (project / "global-ignore").write_text(".*\n", encoding="utf-8")
    for args in (["init", "-q"], ["config", "core.excludesFile", str(project / "global-ignore")]):
        subprocess.run(["git", *args], cwd=project, env=env, check=True)
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project, env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "cards/.ankigen-ids" in status
    assert "decks/demo.apkg" in status
    assert ".ankigen-build.json" not in status
