"""What the operator reads: every line a command prints, in the language chosen once.

The command speaks the UI's language: ``--lang``, else the settings' ``[counter]
language`` once a command has read them, else Vietnamese. The words are the
domain's :class:`Msg` (a Vietnamese text with its English), written where they
are used as in the screens (``tr``), or a domain rejection's own (``say``); the
CLI cannot import ``ui/i18n.py`` (the layers keep it to the app), so this is its
copy of the three lines that choose.
"""

from __future__ import annotations

import sys

from counter_tui.domain.messages import DomainError, Msg

_LANG: dict[str, str | None] = {"given": None, "value": "vi"}


class Exit(Exception):
    """End the command with this exit code; what went wrong has been said already."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def choose(lang: str | None) -> None:
    """The ``--lang`` given on the command line (None: not given), chosen at the start."""
    _LANG["given"] = lang
    _LANG["value"] = "en" if lang == "en" else "vi"


def settings_language(lang: str) -> None:
    """The settings' language, once a command has read them: ``--lang`` still wins."""
    if _LANG["given"] is None:
        _LANG["value"] = "en" if lang == "en" else "vi"


def language() -> str:
    return _LANG["value"] or "vi"


def say(msg: Msg | DomainError) -> str:
    """A bilingual message (or a domain rejection) in the chosen language."""
    if isinstance(msg, DomainError):
        msg = msg.msg
    return msg.text(language())


def tr(vi: str, en: str) -> str:
    """The Vietnamese text, or its English when English is chosen."""
    return say(Msg(vi, en))


def tell(vi: str, en: str) -> None:
    """A line of the command's answer (stdout)."""
    print(tr(vi, en))


def warn(msg: Msg | DomainError | str) -> None:
    """Why the command could not do it (stderr); a ``str`` is a text from elsewhere that has
    one language only (a library's error, say), printed as it is."""
    print(msg if isinstance(msg, str) else say(msg), file=sys.stderr)


def refuse(msg: Msg | DomainError | str, code: int = 2) -> Exit:
    """Say why not, and the :class:`Exit` to raise: ``raise refuse(...)``."""
    warn(msg)
    return Exit(code)
