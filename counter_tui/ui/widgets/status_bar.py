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


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $primary-background; color: $text; padding: 0 1; }
    """

    def render(self) -> Text:
        from counter_tui.ui.app import CounterApp  # the app module imports this widget

        if not isinstance(self.app, CounterApp):
            return Text("")
        parts, state = self.app.status_line()
        text = Text()
        for i, part in enumerate(parts):
            if i:
                text.append(" │ ")
            text.append(part, style=STATE_STYLE.get(state, "") if i == 1 else "")
        return text
