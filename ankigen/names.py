"""Names that survive every system a learner uses, and fool no eye.

A section id names files (its deck, its card file), and a card file's name must be one a
clone of the repository on Windows can hold. Deck names, ids and file names must not hold
a character no one can see: two names that differ by one look the same.
"""

from __future__ import annotations

import re
import unicodedata

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# A section id names its deck's file (`<id>.apkg`), and `ankigen new` its card file.
MAX_SECTION_ID = 100
# Names Windows keeps for devices, with any extension (`con.yaml` too): git cannot check
# such a file out there. The superscript digits are on Microsoft's list as well.
_WINDOWS_DEVICE = re.compile(r"(?i)(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(?:\..*)?")
_NOT_ON_WINDOWS = re.compile(r'[<>:"|?*\\]')
# Letters that show nothing: Unicode's format characters (category Cf: the zero-width
# space and joiners, the bidi controls such as RIGHT-TO-LEFT OVERRIDE, the byte order mark,
# the soft hyphen) and the Hangul fillers, blank letters. Two names that differ only by
# one look the same, and a bidi control shows the rest of a name reversed.
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0"
INVISIBLE = "an invisible formatting character"


def unseen(char: str) -> bool:
    return char in _BLANK_LETTERS or unicodedata.category(char) == "Cf"


def invisible(text: str) -> str | None:
    """The first character of `text` that no one can see, named as a message says it."""
    for char in text:
        if unseen(char):
            return f"U+{ord(char):04X} ({unicodedata.name(char, 'a format character')})"
    return None


def file_name_problem(name: str) -> str | None:
    """Why a file cannot have this name on every system a learner uses, or None."""
    if char := invisible(name):
        return f"holds {char}, {INVISIBLE}"
    if _WINDOWS_DEVICE.fullmatch(name):
        device = name.split(".")[0].upper()
        return f"is a name Windows keeps for a device ({device}): no file there can have it"
    if name.endswith((".", " ")):
        return "ends in a dot or a space, which Windows drops from a file name"
    if found := _NOT_ON_WINDOWS.search(name):
        return f"holds '{found[0]}', which Windows does not allow in a file name"
    return None


def section_id_problem(section_id: str) -> str | None:
    """Why `section_id` cannot be a section's id (the name of its files), or None."""
    if not SLUG_RE.fullmatch(section_id):
        if char := invisible(section_id):
            return f"{section_id!r} is not a valid section id: it holds {char}, {INVISIBLE}"
        return (
            f"{section_id!r} is not a valid section id (use lowercase letters, digits and hyphens)"
        )
    if len(section_id) > MAX_SECTION_ID:
        return (
            f"section id '{section_id[:20]}…' is {len(section_id)} characters long; it names "
            f"the section's files, and may be at most {MAX_SECTION_ID}"
        )
    if problem := file_name_problem(section_id):
        return f"section id '{section_id}' {problem}; choose another id"
    return None


def seen(text: str) -> str:
    """`text` without the characters no one can see (see invisible)."""
    return "".join(c for c in text if not unseen(c))
