"""The receive form's side table: the dossiers of the citizen whose ID is on the form
(newest first, at most 50), so the clerk sees at once what this person already has open."""

from __future__ import annotations

from textual.widgets import DataTable

from counter_tui.domain.dossier import Dossier
from counter_tui.ui.i18n import language, tr
from counter_tui.ui.screens.base import add_plain_row


class CitizenHistory(DataTable[object]):
    """One row a dossier: code, procedure, status in words, due day."""

    def on_mount(self) -> None:
        self.add_columns(
            tr("Mã hồ sơ", "Code"),
            tr("Thủ tục", "Procedure"),
            tr("Trạng thái", "Status"),
            tr("Hẹn trả", "Due"),
        )

    def show(self, dossiers: list[Dossier]) -> None:
        self.clear()
        for d in dossiers[:50]:
            add_plain_row(
                self,
                d.code,
                d.procedure_name[:28],
                d.state.label(language()) if d.state else "",
                f"{d.due:%d/%m}" if d.due else "",
            )
