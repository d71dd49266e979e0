"""What counts as text (SPEC §9 "Text is text"), for the API's checks and the use cases'.

NUL is refused everywhere (PostgreSQL cannot store it), and so are the other control
characters: C0 (tab and line feed only in multi-line fields such as ``instructions``), DEL,
C1 (U+0080–U+009F) and the Unicode line and paragraph separators U+2028/U+2029 — a line
break that a naive reader of an e-mail or an invite would see where none was typed.
"""

from __future__ import annotations

#: the only control characters a multi-line field may hold
MULTI_LINE = "\t\n"

_LINE_AND_PARAGRAPH_SEPARATORS = "\u2028\u2029"


def is_control(char: str) -> bool:
    code = ord(char)
    return code < 32 or 127 <= code < 160 or char in _LINE_AND_PARAGRAPH_SEPARATORS


def has_control_characters(value: str, *, allowed: str = "") -> bool:
    """Whether ``value`` holds a control character other than those in ``allowed``."""
    return any(is_control(char) and char not in allowed for char in value)


SINGLE_LINE_MESSAGE = (
    "must not contain control characters (NUL, tabs, line breaks, U+0080–U+009F, U+2028/U+2029)"
)
MULTI_LINE_MESSAGE = (
    "must not contain control characters other than tabs and line feeds "
    "(no NUL, carriage returns, U+0080–U+009F or U+2028/U+2029)"
)
