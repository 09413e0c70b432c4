"""What every counter screen shares: access to the app's services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from counter_tui.ui.services import Services


class CounterScreen(Screen[None]):
    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined]
