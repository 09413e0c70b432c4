"""What every counter screen shares: access to the app's services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.screen import Screen
from textual.widgets import DataTable

if TYPE_CHECKING:
    from counter_tui.ui.services import Services


class CounterScreen(Screen[None]):
    @property
    def services(self) -> Services:
        return self.app.services  # type: ignore[attr-defined]


def add_plain_row(table: DataTable, *cells: object, key: str | None = None) -> None:
    """Add a row whose cells are shown as typed: a name like "[b]" is text, not markup."""
    table.add_row(*(Text(str(c)) for c in cells), key=key)
