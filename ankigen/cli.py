"""The command line: parse options, call the library, turn AnkigenError into a message.

Heavy modules (yaml, genanki, sqlite) are imported inside commands so `--help` is quick.
Output is plain text: results on stdout, problems and warnings on stderr.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from ankigen import __version__

if TYPE_CHECKING:
    from ankigen.build import Progress
    from ankigen.result import Deck, Result


class _Commands(TyperGroup):
    """The one error boundary: a user's mistake (AnkigenError, from any command) becomes its
    message on stderr and its exit code; anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: Any) -> Any:
        from ankigen.errors import AnkigenError

        try:
            return super().invoke(ctx)
        except AnkigenError as e:
            typer.echo(str(e), err=True)
            raise typer.Exit(e.exit_code) from None


app = typer.Typer(
    cls=_Commands,
    help="Turn flashcards written as YAML into Anki decks (.apkg), one per section.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    epilog="Exit codes: 0 success, 1 bad input or stale decks, 2 bad usage.",
    context_settings={"help_option_names": ["-h", "--help"]},
)

CardsOption = Annotated[Path, typer.Option("--cards", help="Folder of card files (*.yaml, *.yml).")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder the .apkg decks are written to.")]
StrictOption = Annotated[bool, typer.Option("--strict", help="Treat lint warnings as errors.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ankigen {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    pass


@app.command()
def build(
    cards: CardsOption = Path("cards"),
    out: OutOption = Path("decks"),
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Write nothing; exit 1 if the decks are not what a build would make."
        ),
    ] = False,
    strict: StrictOption = False,
    combined: Annotated[
        bool,
        typer.Option("--combined", help="Write one combined.apkg with every section as a subdeck."),
    ] = False,
    watch: Annotated[
        bool,
        typer.Option("--watch", help="Build again whenever a file in the cards folder changes."),
    ] = False,
) -> None:
    """Validate the card files and write one .apkg deck per section."""
    if check and watch:
        from ankigen.errors import UsageError

        raise UsageError("--check and --watch cannot be used together")
    if check:
        _check_decks(cards, out, strict, combined)
    elif watch:
        _watch(cards, out, strict, combined)
    else:
        _build_once(cards, out, strict, combined)


def _check_decks(cards: Path, out: Path, strict: bool, combined: bool) -> None:
    from ankigen.stale import check

    result, stale = check(cards, out, strict, combined)
    _print_warnings(result)
    for line in stale:
        typer.echo(line)
    if stale:
        typer.echo("decks are out of date", err=True)
        raise typer.Exit(1)
    typer.echo(f"{_count(len(result.decks), 'deck')} up to date{_warned(result.warnings)}")


def _build_once(cards: Path, out: Path, strict: bool, combined: bool) -> None:
    from ankigen import build as builder

    progress = _progress()
    try:
        result = builder.build(cards, out, strict, combined, progress=progress)
    finally:
        if progress:
            typer.echo("\r\033[K", err=True, nl=False)  # the progress line goes away
    _print_warnings(result)
    _print_report(result)
    if result.warnings:
        typer.echo(_count(len(result.warnings), "warning"), err=True)
    _print_unpulled(cards, out)
    builder.reported(out)


def _print_unpulled(cards: Path, out: Path) -> None:
    """Cards edited in Anki that the last pull could not bring back, and this build's
    import would overwrite (see `ankigen pull`)."""
    from ankigen.pull import overwritten

    for line in overwritten(cards, out):
        typer.echo(line, err=True)


def _watch(cards: Path, out: Path, strict: bool, combined: bool) -> None:
    from ankigen.errors import AnkigenError
    from ankigen.watch import watch

    def build_and_carry_on() -> None:
        try:
            _build_once(cards, out, strict, combined)
        except AnkigenError as e:  # reported, and the watch goes on: the next save may fix it
            typer.echo(str(e), err=True)
        except OSError as e:  # a file vanished or turned unreadable mid-build: try again later
            typer.echo(f"{e.filename or cards}: {e.strerror}", err=True)
        typer.echo(f"watching {cards} for changes (Ctrl-C to stop)", err=True)

    try:
        watch(cards, build_and_carry_on)
    except KeyboardInterrupt:
        typer.echo("stopped", err=True)


def _progress() -> Progress | None:
    # Only for a person at a terminal: pipes, logs and NO_COLOR get the plain report alone.
    if not sys.stderr.isatty() or "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return None

    def show(done: int, total: int, path: Path) -> None:
        typer.echo(f"\r\033[Kbuilding {done}/{total}: {path}", err=True, nl=False)

    return show


def _print_warnings(result: Result) -> None:
    # A thousand lines a write: a big tree can have a warning for every card, and an echo a
    # line is slow, while one echo of all of them holds the whole text at once.
    lines = result.warnings.lines()
    while chunk := list(itertools.islice(lines, 1000)):
        typer.echo("\n".join(chunk), err=True)
    if result.remarks or result.notices:
        typer.echo("\n".join([*result.remarks, *result.notices]), err=True)


def _print_report(result: Result) -> None:
    from ankigen.changes import report

    for deck in result.decks:
        typer.echo(_deck_line(deck))
    if result.restyled:
        typer.echo(
            f"CSS changed for {_count(len(result.restyled), 'note type')} "
            f"({', '.join(result.restyled)}): the next import updates them in Anki"
        )
    actions = report(result.findings)
    if actions:
        typer.echo("In Anki, after importing:")
        for action, search in actions:
            typer.echo(f"- {action}:\n    {search}")


def _deck_line(deck: Deck) -> str:
    notes, cards = deck.notes, deck.cards
    state = "written" if deck.written else "unchanged"
    return (
        f"{deck.path}: {_count(notes, 'note')}, {_count(cards, 'card')} ({state}; "
        f"{deck.added} added, {deck.changed} changed, {deck.unchanged} unchanged, "
        f"{deck.removed} removed)"
    )


def _count(number: int, thing: str) -> str:
    return f"{number} {thing}" if number == 1 else f"{number} {thing}s"


def _warned(warnings: Collection[object]) -> str:
    # Errors stop a command before its summary: only warnings are left to count.
    return f", {_count(len(warnings), 'warning')}" if warnings else ""


@app.command(name="check")
def check_command(cards: CardsOption = Path("cards"), strict: StrictOption = False) -> None:
    """Validate and lint every card file; write nothing."""
    from ankigen.sections import load_sections

    sections, warnings = load_sections(cards, strict)
    for warning in warnings:
        typer.echo(f"{warning} [warning]", err=True)
    count = sum(len(s.cards) for s in sections)
    typer.echo(
        f"{cards}: {_count(len(sections), 'section')}, {_count(count, 'card')}, "
        f"no errors{_warned(warnings)}"
    )


@app.command(name="list")
def list_command(
    cards: CardsOption = Path("cards"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the sections, their decks and how many cards of each kind they hold."""
    from ankigen.sections import load_sections
    from ankigen.summary import summarize, table

    sections, _ = load_sections(cards)
    rows = summarize(sections)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        typer.echo(table(rows))


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write it to this file.")
    ] = None,
) -> None:
    """Print the JSON Schema of a card file (for editors' YAML language servers)."""
    from ankigen.errors import AnkigenError
    from ankigen.scaffold import write_schema_file
    from ankigen.schema import card_file_schema_text

    if output is None:
        typer.echo(card_file_schema_text(), nl=False)
        return
    try:
        write_schema_file(output)
    except OSError as e:
        raise AnkigenError(f"{output}: cannot write: {e.strerror}") from None
    typer.echo(f"{output}: written")


@app.command()
def preview(
    cards: CardsOption = Path("cards"),
    out: OutOption = Path("decks"),
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "preview.html"
    ),
    mathjax: Annotated[
        Path | None,
        typer.Option(
            "--mathjax",
            exists=True,
            help="Anki's MathJax: the aqt wheel or a folder holding _aqt/data/web/js. "
            "Default: the installed aqt package, if any.",
        ),
    ] = None,
) -> None:
    """Write one HTML page with every card's front and back, as Anki renders them."""
    from ankigen.errors import AnkigenError
    from ankigen.mathjax import find_mathjax
    from ankigen.preview import render_preview

    page = render_preview(cards, out, find_mathjax(mathjax))
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as e:
        raise AnkigenError(f"{output}: cannot write: {e.strerror}") from None
    typer.echo(f"{output}: written; open it in a browser (add #night for night mode)")


@app.command()
def new(
    section: Annotated[str, typer.Argument(help="The new section's id, e.g. kubernetes.")],
    cards: CardsOption = Path("cards"),
) -> None:
    """Create cards/SECTION.yaml with one example card of every kind."""
    from ankigen.scaffold import new_section

    path, *others = new_section(cards, section)
    for written in others:
        if written.suffix == ".json":
            typer.echo(f"{written}: created; editors check card files against it")
    typer.echo(f"{path}: created; edit it, then run 'ankigen build'")
    for written in others:
        if written.name == ".gitignore":
            typer.echo(f"{written}: created; keeps build caches out of git, the identity file in")
        elif written.suffix != ".json":
            typer.echo(f"{written}: created; the note type of the example `note` card")


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A package Anki exported (.apkg, .colpkg) or a collection.anki2.")
    ],
    cards: CardsOption = Path("cards"),
    as_kinds: Annotated[
        bool,
        typer.Option(
            "--as-kinds",
            help="Basic and Cloze notes whose fields are plain text become term and gaps cards.",
        ),
    ] = False,
) -> None:
    """Write card files from a package Anki exported, keeping every note's identity."""
    from ankigen.importer import import_package, report

    for line in report(import_package(file, cards, as_kinds)):
        typer.echo(line)


@app.command()
def pull(
    file: Annotated[
        Path,
        typer.Argument(
            help="What Anki exported: an .apkg or .colpkg, or the collection file of a "
            "closed Anki (collection.anki2)."
        ),
    ],
    cards: CardsOption = Path("cards"),
    out: OutOption = Path("decks"),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the diff it would write; write nothing.")
    ] = False,
) -> None:
    """Bring the edits made in Anki back to the card files."""
    from ankigen.pull import pull as pull_edits

    result = pull_edits(file, cards, out, dry_run)
    for path, diff in result.diffs.items():
        typer.echo(diff if dry_run else f"{path}: written", nl=not dry_run)
    if result.foreign:
        typer.echo(f"{_count(len(result.foreign), 'note')} that no card makes, left alone:")
        typer.echo("\n".join(f"  {line}" for line in result.foreign))
    if result.problems:
        typer.echo("\n".join(result.problems), err=True)
    if not result.diffs:
        typer.echo("nothing to pull" if not result.problems else "nothing pulled", err=True)
    raise typer.Exit(result.exit_code)


def main() -> None:
    # A terminal or pipe that cannot show every character (PYTHONIOENCODING=latin-1, an
    # old Windows console) gets escapes for the rest, not a crash after the decks are
    # written. Non-UTF-8 file names (lone surrogates in Python) are escaped the same way.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    app()
