"""Bilingual messages: every rejection the domain makes speaks Vietnamese and English."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Msg:
    """A message in Vietnamese (shown by default) with its English equivalent."""

    vi: str
    en: str

    def text(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi

    def __str__(self) -> str:
        return self.vi


class DomainError(ValueError):
    """A rule was broken. ``code`` is stable for programs, ``msg`` is for people.

    ``field`` names the input at fault (for forms to put the message beside it).
    """

    def __init__(self, code: str, msg: Msg, field: str | None = None) -> None:
        super().__init__(msg.vi)
        self.code = code
        self.msg = msg
        self.field = field

    def text(self, lang: str = "vi") -> str:
        return self.msg.text(lang)
