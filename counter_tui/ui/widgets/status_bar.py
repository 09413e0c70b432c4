"""The line that is always visible: office, counter, clerk, sync state (as words), the clock.

It renders from the app's current state whenever it is drawn, so a newly
shown screen never shows an empty or stale bar.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

STATE_STYLE = {
    "offline": "bold black on yellow",
    "error": "bold white on red",
    "syncing": "bold",
    "online": "bold",
}


def fit(parts: list[str], width: int) -> list[str]:
    """The parts that fit ``width``: the office name goes first, then the date, then a
    warning's words; the sync state and the pending count always stay (80 columns)."""

    def size(ps: list[str]) -> int:
        return sum(len(p) for p in ps) + 3 * (len(ps) - 1)

    parts = list(parts)
    if size(parts) > width and " · " in parts[0]:
        parts[0] = parts[0].split(" · ", 1)[1]  # "Quầy Q1 · canbo01"
    if size(parts) > width:
        parts = [p[:5] if len(p) == 16 and p[2] == ":" else p for p in parts]  # HH:MM only
    if size(parts) > width and parts[-1].startswith("⚠"):
        room = width - size(parts[:-1]) - 3
        parts[-1] = parts[-1][: max(1, room - 1)] + "…" if room > 2 else "⚠"
    return parts


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $primary-background; color: $text; padding: 0 1; }
    """

    def render(self) -> Text:
        from counter_tui.ui.app import CounterApp  # the app module imports this widget

        if not isinstance(self.app, CounterApp):
            return Text("")
        parts, state = self.app.status_line()
        parts = fit(parts, self.content_size.width or 200)
        text = Text()
        for i, part in enumerate(parts):
            if i:
                text.append(" │ ")
            text.append(part, style=STATE_STYLE.get(state, "") if i == 1 else "")
        return text
