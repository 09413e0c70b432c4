"""A dossier in full: applicant, procedure, checklist, dates, history, and what can be done now."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Label, Static

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.messages import DomainError
from counter_tui.domain.ops import SYNC_KEY, strip_sync
from counter_tui.domain.status import TRANSITIONS, Action, Status
from counter_tui.ui.i18n import t, tr
from counter_tui.ui.screens.base import CounterScreen, add_plain_row
from counter_tui.ui.screens.dialogs import ReasonDialog
from counter_tui.ui.widgets.status_bar import StatusBar

COUNTER_KEYS = {
    Action.HAND_OVER: ("ctrl+g", "go_hand_over"),
    Action.SUPPLEMENT_RECEIVED: ("ctrl+b", "supplement_received"),
    Action.WITHDRAW: ("ctrl+w", "withdraw"),
}


def when(iso: str | None) -> str:
    return datetime.fromisoformat(iso).strftime("%H:%M %d/%m/%Y") if iso else "—"


class DossierScreen(CounterScreen):
    TITLE = "Chi tiết hồ sơ"
    BINDINGS = [
        Binding("ctrl+g", "hand_over", t("go_hand_over"), id="go_hand_over"),
        Binding("ctrl+b", "supplement", t("supplement_received"), id="supplement_received"),
        Binding("ctrl+w", "withdraw", t("withdraw"), id="withdraw"),
        Binding("escape", "back", t("back"), id="back"),
    ]
    DEFAULT_CSS = """
    DossierScreen #events { height: auto; max-height: 12; }
    DossierScreen #actions { color: $text-muted; }
    DossierScreen #action_msg { color: $error; }
    """

    def __init__(self, uid: str) -> None:
        super().__init__()
        self.uid = uid

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(can_focus=False):
            yield Static("", id="summary")
            yield Static("", id="actions")
            yield Static("", id="action_msg", markup=False)
            yield Label(tr("[b]Lịch sử[/b]", "[b]History[/b]"))
            yield DataTable(id="events", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#events", DataTable).add_columns(
            "Thời điểm", "Việc", "Người làm", "Quầy", "Ghi chú"
        )
        self.reload()

    def reload(self) -> None:
        doc = self.services.desk.dossier(self.uid)
        if doc is None:
            self.query_one("#summary", Static).update(
                tr("Không tìm thấy hồ sơ.", "Dossier not found.")
            )
            return
        self.doc = doc
        d = Dossier.from_dict(strip_sync(doc))
        sync = doc.get(SYNC_KEY) or {}
        where = (
            f"Đã xác nhận với trung tâm (phiên bản {sync.get('version')})"
            if sync.get("confirmed")
            else "Mới có ở quầy này — chưa xác nhận với trung tâm"
        )
        timely = d.timeliness(self.services.clock())
        docs = "\n".join(
            f"   {'✓' if i.received else '✗'} {i.name} ({i.copies} bản)" for i in d.documents
        )
        a = d.applicant
        lines = [
            f"{d.code}  ·  {Status(d.status).label(self.app.lang)}  ·  {where}",
            f"Thủ tục: {d.procedure_code} {d.procedure_name}",
            f"Chủ hồ sơ: {a.full_name}  ·  CCCD: {a.citizen_id or a.legacy_id or '—'}  ·  "
            f"ĐT: {a.phone or '—'}",
            f"Địa chỉ: {a.address or '—'}",
            f"Nhận: {when(d.received_at)}  ·  Hẹn trả: {when(d.due_at)}"
            + (f" (hẹn ban đầu {when(d.original_due_at)})" if d.original_due_at != d.due_at else "")
            + (f"  ·  {tr(timely.vi, timely.value.replace('_', ' '))}" if timely else ""),
            "Giấy tờ:\n" + docs if docs else "",
        ]
        if d.reason:
            lines.append(f"Lý do: {d.reason}")
        if d.missing:
            lines.append("Cần bổ sung: " + "; ".join(d.missing))
        summary = Text("\n".join(x for x in lines if x))  # Text: a name is never markup
        summary.stylize("bold", 0, len(d.code))
        self.query_one("#summary", Static).update(summary)
        status = d.state
        acts = []
        for action, (key, word) in COUNTER_KEYS.items():
            ok = status in TRANSITIONS[action]
            acts.append(
                f"{key.upper()} {t(word)}" + ("" if ok else tr(" (không áp dụng)", " (not now)"))
            )
        self.query_one("#actions", Static).update(
            tr("Việc có thể làm: ", "Actions: ") + "   ".join(acts)
        )
        table = self.query_one("#events", DataTable)
        table.clear()
        for e in d.events:
            add_plain_row(
                table,
                when(e.at),
                Action(e.action).vi
                if e.action in Action._value2member_map_
                else tr("⚠ Xung đột", "⚠ Conflict"),
                e.actor,
                e.counter,
                e.note[:60],
            )
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        doc = getattr(self, "doc", None)
        if doc is None:
            return True
        status = Status(doc["status"]) if doc.get("status") else None
        needs = {
            "hand_over": Action.HAND_OVER,
            "supplement": Action.SUPPLEMENT_RECEIVED,
            "withdraw": Action.WITHDRAW,
        }.get(action)
        if needs is None:
            return True
        return True if status in TRANSITIONS[needs] else None  # None: shown disabled

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_hand_over(self) -> None:
        self.app.open_hand_over(self.doc["code"])  # type: ignore[attr-defined]

    def _act(self, action: Action, note: str = "") -> None:
        try:
            self.services.desk.act(self.uid, action, note=note)
        except DomainError as exc:
            self.query_one("#action_msg", Static).update(exc.text(self.app.lang))
            return
        self.query_one("#action_msg", Static).update("")
        self.reload()

    def action_supplement(self) -> None:
        self._act(Action.SUPPLEMENT_RECEIVED)

    def action_withdraw(self) -> None:
        def done(reason: str | None) -> None:
            if reason:
                self._act(Action.WITHDRAW, reason)

        self.app.push_screen(
            ReasonDialog(
                tr("Công dân rút hồ sơ: lý do", "Withdrawal at the citizen's request: reason")
            ),
            done,
        )
