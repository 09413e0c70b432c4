"""Folding Vietnamese text for search: case, diacritics and spacing never matter.

"Nguyễn Văn An", "nguyen van an" and "NGUYEN  VAN AN" all fold to the same
string, so every search in the app goes through :func:`fold`.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# đ/Đ are letters of their own, not d plus a mark, so NFD leaves them alone.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


def fold(text: str) -> str:
    """Lower-case, strip diacritics, map đ to d, keep letters and digits, one space between."""
    if not text:
        return ""
    # NFKD before and after casefold: each can expose what the other changes (𝓐 -> A -> a).
    # casefold() maps a few scripts to upper case (Cherokee ꭰ -> Ꭰ): lower() settles them.
    s = unicodedata.normalize("NFKD", text.translate(_SPECIAL)).casefold().lower()
    s = unicodedata.normalize("NFKD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch))
    s = s.translate(_SPECIAL)
    s = _NON_WORD.sub(" ", s)
    return " ".join(s.split())


def tokens(text: str) -> list[str]:
    """The folded words of ``text``, in order."""
    return fold(text).split()


def matches_words(query_tokens: list[str], target_tokens: list[str]) -> bool:
    """True when every query word is a word of the target; the last may be a prefix.

    The last word counts as a prefix because the user is still typing it.
    """
    if not query_tokens:
        return False
    *whole, last = query_tokens
    targets = set(target_tokens)
    if any(t not in targets for t in whole):
        return False
    return any(t.startswith(last) for t in target_tokens)


# Terminal escape sequences (colour codes from a copied terminal line: "\x1b[31m"), then
# any control or line/paragraph separator: pasted text never carries them into a field.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def one_line(text: str) -> str:
    """Pasted text as one field's value: escape sequences dropped, line breaks, tabs and
    other control characters turned into spaces (never gluing words), one space between."""
    text = _ESCAPES.sub("", text)
    text = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    return " ".join(text.split())


def unprintable(text: str) -> str:
    """The characters of ``text`` a slip cannot print (emoji and other symbols, private or
    unassigned code points): refused, so what is printed is what is stored."""
    return "".join(
        dict.fromkeys(
            ch
            for ch in text
            if unicodedata.category(ch) in ("So", "Cs", "Co", "Cn") or ord(ch) > 0xFFFF
        )
    )
