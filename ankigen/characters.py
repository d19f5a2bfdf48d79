"""The characters no card may hold, and how a message names one."""

from __future__ import annotations

import re
import unicodedata

from ankigen.errors import Loc, Problems

# Characters no card may hold: C0 and C1 controls (tab, line feed and carriage return
# are how text is laid out), DEL, the non-characters U+FFFE/U+FFFF and lone surrogates.
# U+001F is Anki's field separator: one in a field and Anki refuses the whole package.
FORBIDDEN_IN_FILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# Escapes in double-quoted text ("\x1f", "\u001f") may make any of them, and \r too.
FORBIDDEN_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_MAX_REPORTED = 10  # a binary file would otherwise give a message per byte


_C0_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI "
    "DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def character_name(char: str) -> str:
    """U+001B (control character ESC): how a message names a character it refuses."""
    code = ord(char)
    if code < 0x20:
        name = f"control character {_C0_NAMES[code]}"
    elif code == 0x7F:
        name = "control character DEL"
    elif 0x80 <= code <= 0x9F:
        name = "C1 control character"
    elif 0xD800 <= code <= 0xDFFF:
        name = "lone surrogate"
    else:
        name = unicodedata.name(char, "non-character")
    return f"U+{code:04X} ({name})"


def report_forbidden(text: str, display: str, problems: Problems) -> bool:
    """Record a problem for each forbidden character of a file's text (up to a limit);
    whether there was any."""
    found = False
    for count, match in enumerate(FORBIDDEN_IN_FILE.finditer(text)):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        col = start - (text.rfind("\n", 0, start) + 1) + 1
        if count == _MAX_REPORTED:
            problems.add(Loc(display, line, col), "more characters that are not allowed from here")
            break
        problems.add(
            Loc(display, line, col),
            f"character {character_name(match.group())} is not allowed in a card file; remove it",
        )
        found = True
    return found
