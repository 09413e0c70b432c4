"""The line that is always visible: office, counter, clerk, sync state (as words), the clock."""

from __future__ import annotations

from textual.widgets import Static

from counter_tui.ui.i18n import t


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $primary-background; color: $text; padding: 0 1; }
    StatusBar.-offline { background: $warning-darken-2; }
    StatusBar.-error { background: $error-darken-2; }
    """

    def show(
        self,
        *,
        office: str,
        counter: str,
        clerk: str,
        sync: str,
        pending: int | None,
        conflicts: int | None,
        clock: str,
        state: str,
    ) -> None:
        parts = [f"{office} · {t('counter')} {counter} · {clerk}", sync]
        if pending is not None:
            parts.append(f"{t('pending')}: {pending} · {t('conflicts')}: {conflicts}")
        parts.append(clock)
        self.update(" │ ".join(parts))
        self.set_class(state == "offline", "-offline")
        self.set_class(state == "error", "-error")
