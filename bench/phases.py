"""Where a full build's CPU time goes, phase by phase, for one card folder.

    python bench/phases.py CARDS_DIR

Builds CARDS_DIR into a temporary folder in this process, timing (CPU seconds) the
functions each phase runs through, and first times libyaml's event stream alone over the
same files: the floor any reader of them pays. README's "Speed" quotes it for the 20k
trees (`bench.py --keep` leaves its trees in the folder it prints).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

import ankigen.build
import ankigen.identity
import ankigen.sections
import ankigen.stamp
import ankigen.validate
from ankigen.sections import card_files

SPENT: Counter[str] = Counter()


def timed(owner: Any, name: str, phase: str) -> None:
    real = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            SPENT[phase] += time.process_time() - start

    setattr(owner, name, wrapper)


def main() -> None:
    cards = Path(sys.argv[1])
    start = time.process_time()
    for path in card_files(cards):
        for _ in yaml.parse(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader):
            pass
    print(f"libyaml's events alone: {time.process_time() - start:.3f} s")

    timed(ankigen.sections, "load_file", "read (YAML, with locations)")
    timed(ankigen.validate.Validator, "check", "check")
    timed(ankigen.sections, "lint", "lint")
    timed(ankigen.identity, "read", "read the identity file")
    timed(ankigen.identity, "entries_of", "the identity of each new deck's notes")
    timed(ankigen.identity, "serialize", "write the identity file's text")
    timed(ankigen.build.changes, "find", "compare the identities (the report)")
    timed(ankigen.build, "build_package", "make the notes and write the decks' bytes")
    timed(ankigen.build.output.Writes, "add", "write the files")
    timed(ankigen.build.output.Writes, "commit", "write the files")
    timed(ankigen.stamp, "serialize", "record the build")
    with tempfile.TemporaryDirectory() as out:
        start = time.process_time()
        result = ankigen.build.build(cards, Path(out) / "decks")
        total = time.process_time() - start
    for phase, seconds in SPENT.items():
        print(f"{phase}: {seconds:.3f} s")
    print(f"the whole build (after imports): {total:.3f} s, {len(result.warnings)} warnings")


if __name__ == "__main__":
    main()
