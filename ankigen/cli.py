"""The command line: parse options, call the library, turn AnkigenError into a message.

Heavy modules (yaml, genanki, sqlite) are imported inside commands so `--help` is quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ankigen import __version__

if TYPE_CHECKING:
    from ankigen.build import Deck

app = typer.Typer(
    help="Turn flashcards written as YAML into Anki decks (.apkg), one per section.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

CardsOption = Annotated[
    Path, typer.Option("--cards", help="Folder of card files (*.yaml).", show_default=True)
]
OutOption = Annotated[
    Path, typer.Option("--out", help="Folder the .apkg decks are written to.", show_default=True)
]
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
) -> None:
    """Validate the card files and write one .apkg deck per section."""
    from ankigen import build as builder
    from ankigen.errors import AnkigenError

    try:
        if check:
            result, stale = builder.check(cards, out, strict)
        else:
            result = builder.build(cards, out, strict)
    except AnkigenError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(e.exit_code) from None
    for warning in result.warnings:
        typer.echo(f"{warning} [warning]", err=True)
    if check:
        for line in stale:
            typer.echo(line)
        if stale:
            typer.echo("decks are out of date: run 'ankigen build'", err=True)
            raise typer.Exit(1)
        typer.echo(f"{len(result.decks)} decks up to date")
        return
    for notice in result.notices:
        typer.echo(notice, err=True)
    for deck in result.decks:
        typer.echo(_deck_line(deck))
        if deck.removed:
            ids = ",".join(str(i) for i in deck.removed)
            typer.echo(
                f"  {len(deck.removed)} removed notes stay in Anki (it never deletes on import); "
                f"to find them, search the browser for: nid:{ids}"
            )


def _deck_line(deck: Deck) -> str:
    notes = len(deck.snapshot.notes)
    cards = len(deck.snapshot.cards)
    state = "written" if deck.written else "unchanged"
    return (
        f"{deck.path}: {notes} notes, {cards} cards ({state}; {deck.added} added, "
        f"{deck.changed} changed, {deck.unchanged} unchanged, {len(deck.removed)} removed)"
    )


def main() -> None:
    app()
