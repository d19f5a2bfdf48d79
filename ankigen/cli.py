"""The command line: parse options, call the library, turn AnkigenError into a message.

Heavy modules (yaml, genanki, sqlite) are imported inside commands so `--help` is quick.
Output is plain text: results on stdout, problems and warnings on stderr.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ankigen import __version__

if TYPE_CHECKING:
    from ankigen.build import Deck, Progress, Result

app = typer.Typer(
    help="Turn flashcards written as YAML into Anki decks (.apkg), one per section.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    epilog="Exit codes: 0 success, 1 bad input or stale decks, 2 bad usage.",
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
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    pass


def _fail(error: Exception) -> typer.Exit:
    from ankigen.errors import AnkigenError

    assert isinstance(error, AnkigenError)
    typer.echo(str(error), err=True)
    return typer.Exit(error.exit_code)


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
        bool, typer.Option("--watch", help="Build again whenever a card file changes.")
    ] = False,
) -> None:
    """Validate the card files and write one .apkg deck per section."""
    from ankigen import build as builder
    from ankigen.errors import AnkigenError

    if check and watch:
        typer.echo("--check and --watch cannot be used together", err=True)
        raise typer.Exit(2)
    if check:
        try:
            result, stale = builder.check(cards, out, strict, combined)
        except AnkigenError as e:
            raise _fail(e) from None
        _print_warnings(result)
        for line in stale:
            typer.echo(line)
        if stale:
            typer.echo("decks are out of date: run 'ankigen build'", err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(result.decks)} decks up to date")
        return

    def build_once() -> None:
        progress = _progress()
        try:
            result = builder.build(cards, out, strict, combined, progress=progress)
        finally:
            if progress:
                typer.echo("\r\033[K", err=True, nl=False)  # the progress line goes away
        _print_warnings(result)
        _print_report(result)
        builder.reported(out)

    if not watch:
        try:
            build_once()
        except AnkigenError as e:
            raise _fail(e) from None
        return

    from ankigen.watch import watch as watch_loop

    def build_and_carry_on() -> None:
        try:
            build_once()
        except AnkigenError as e:
            typer.echo(str(e), err=True)
        except OSError as e:  # a file vanished or turned unreadable mid-build: try again later
            typer.echo(f"{e.filename or cards}: {e.strerror}", err=True)
        typer.echo(f"watching {cards} for changes (Ctrl-C to stop)", err=True)

    try:
        watch_loop(cards, build_and_carry_on)
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
    for warning in result.warnings:
        typer.echo(f"{warning} [warning]", err=True)
    for notice in result.notices:
        typer.echo(notice, err=True)


def _print_report(result: Result) -> None:
    from ankigen.changes import report

    for deck in result.decks:
        typer.echo(_deck_line(deck))
    actions = report(result.findings)
    if actions:
        typer.echo("In Anki, after importing:")
        for action, search in actions:
            typer.echo(f"- {action}:\n    {search}")


def _deck_line(deck: Deck) -> str:
    notes, cards = deck.notes, deck.cards
    state = "written" if deck.written else "unchanged"
    return (
        f"{deck.path}: {notes} notes, {cards} cards ({state}; {deck.added} added, "
        f"{deck.changed} changed, {deck.unchanged} unchanged, {deck.removed} removed)"
    )


@app.command(name="check")
def check_command(cards: CardsOption = Path("cards"), strict: StrictOption = False) -> None:
    """Validate and lint every card file; write nothing."""
    from ankigen.build import load_sections
    from ankigen.errors import AnkigenError

    try:
        sections, warnings = load_sections(cards, strict)
    except AnkigenError as e:
        raise _fail(e) from None
    for warning in warnings:
        typer.echo(f"{warning} [warning]", err=True)
    count = sum(len(s.cards) for s in sections)
    typer.echo(f"{cards}: {len(sections)} sections, {count} cards, no errors")


@app.command(name="list")
def list_command(
    cards: CardsOption = Path("cards"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the sections, their decks and how many cards of each kind they hold."""
    from ankigen.build import load_sections
    from ankigen.errors import AnkigenError
    from ankigen.summary import summarize, table

    try:
        sections, _ = load_sections(cards)
    except AnkigenError as e:
        raise _fail(e) from None
    rows = summarize(sections)
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        typer.echo(table(rows))


@app.command()
def schema() -> None:
    """Print the JSON Schema of a card file (for editors' YAML language servers)."""
    from ankigen.validate import card_file_schema

    typer.echo(json.dumps(card_file_schema(), ensure_ascii=False, indent=2))


@app.command()
def preview(
    cards: CardsOption = Path("cards"),
    out: OutOption = Path("decks"),
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "preview.html"
    ),
) -> None:
    """Write one HTML page with every card's front and back, as Anki renders them."""
    from ankigen.errors import AnkigenError
    from ankigen.preview import render_preview

    try:
        page = render_preview(cards, out)
        output.write_text(page, encoding="utf-8")
    except AnkigenError as e:
        raise _fail(e) from None
    except OSError as e:
        typer.echo(f"{output}: cannot write: {e.strerror}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{output}: written; open it in a browser (add #night for night mode)")


@app.command()
def new(
    section: Annotated[str, typer.Argument(help="The new section's id, e.g. kubernetes.")],
    cards: CardsOption = Path("cards"),
) -> None:
    """Create cards/SECTION.yaml with one example card of every kind."""
    from ankigen.errors import AnkigenError
    from ankigen.scaffold import new_section

    try:
        path = new_section(cards, section)
    except AnkigenError as e:
        raise _fail(e) from None
    typer.echo(f"{path}: created; edit it, then run 'ankigen build'")


def main() -> None:
    # A terminal or pipe that cannot show every character (PYTHONIOENCODING=latin-1, an
    # old Windows console) gets escapes for the rest, not a crash after the decks are
    # written. Non-UTF-8 file names (lone surrogates in Python) are escaped the same way.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    app()
