"""Showing strangers' text safely: in a terminal, a mail, a page. Storage stays byte-exact.

`display_text` drops NUL, turns the other C0/C1 control characters (ESC sequences that would
drive the reader's terminal, but not newline and tab) and lone surrogates (which no mail or
terminal can encode) into U+FFFD, and replaces bidi embeddings, overrides and isolates
(U+202A-202E, U+2066-2069) the same way, so a reply can never reorder the text around it.
Markup is not touched here: HTML views escape it (Jinja autoescape, Datasette).
"""

import re

REPLACEMENT = "\ufffd"
UNSAFE = re.compile("[\x01-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def display_text(text):
    """`text` fit to show; None stays None."""
    if text is None:
        return None
    return UNSAFE.sub(REPLACEMENT, str(text).replace("\x00", ""))
