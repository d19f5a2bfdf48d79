"""ankigen: study notes written as YAML cards -> validated Anki decks (.apkg)."""

__version__ = "0.2.0"
