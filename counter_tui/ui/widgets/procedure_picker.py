"""The receive form's procedure field: type a code or words of a name (no accents needed),
the catalog's matches show below it, up and down move through them, Enter picks one.

A :class:`FormField` keyed ``procedure``, so the form parser's error for it lands on its
message line like any other field's; the screen hears of the pick through ``Chosen``.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from counter_tui.domain.catalog import Procedure
from counter_tui.domain.forms import fee_words
from counter_tui.ui.i18n import language, tr, uncertain_words
from counter_tui.ui.screens.base import counter_app_of
from counter_tui.ui.widgets.form_field import INFO, FormField


def processing_words(p: Procedure) -> str:
    """How long the procedure takes, in the UI language (the catalog says it in Vietnamese)."""
    proc = p.processing
    if language() != "en":
        return proc.describe()
    if proc.unit.name == "SAME_WORKING_DAY":
        cut = proc.cutoff.strftime("%H:%M") if proc.cutoff else "15:00"
        return f"Same day (received after {cut}: next working day)"
    n = int(proc.value) if float(proc.value).is_integer() else proc.value
    unit = {"WORKING_DAYS": "working days", "WORKING_HOURS": "working hours"}
    return f"{n} {unit.get(proc.unit.name, 'days')}"


def fee_text(amount: int | None) -> str:
    if language() != "en":
        return fee_words(amount)
    if amount == 0:
        return "Free"
    return f"{amount:,} VND" if amount else "as regulated"


class PickerInput(Input):
    """The procedure search field: up and down move through the results below it."""

    BINDINGS = [
        Binding("down", "pick_next", "next_procedure", show=False, id="picker_down"),
        Binding("up", "pick_prev", "prev_procedure", show=False, id="picker_up"),
    ]

    def _results(self) -> OptionList:
        return self.query_ancestor(ProcedurePicker).results

    def action_pick_next(self) -> None:
        self._results().action_cursor_down()

    def action_pick_prev(self) -> None:
        self._results().action_cursor_up()


class ProcedurePicker(FormField):
    """The procedure search, its matches (``#proc_list``) and its line (``#proc_info``)."""

    class Chosen(Message):
        """A procedure was picked: by Enter in the search field (``typed``) or in the list."""

        def __init__(self, code: str, typed: bool) -> None:
            super().__init__()
            self.code, self.typed = code, typed

    def __init__(self) -> None:
        super().__init__(
            "procedure",
            tr("Thủ tục", "Procedure"),
            PickerInput(
                placeholder=tr(
                    "gõ mã hoặc tên, không cần dấu; Enter chọn",
                    "type a code or words of the name; Enter picks",
                ),
                id="proc",
                max_length=100,
            ),
            message_id="proc_info",
            tone=INFO,
        )
        self.results = OptionList(id="proc_list", markup=False)

    def between(self) -> Iterator[Widget]:
        yield self.results

    def show_chosen(self, p: Procedure) -> None:
        """The chosen procedure on the field's line: code, name, area, time, fee, and what
        the catalog still has to confirm with the province."""
        warn = (
            tr(" · ⚠ cần xác nhận với tỉnh: ", " · ⚠ to confirm with the province: ")
            + uncertain_words(list(p.uncertain))
            if p.uncertain
            else ""
        )
        self.say(
            f"✓ {p.code} {p.name} · {p.field} · {processing_words(p)} · "
            f"{tr('Phí', 'Fee')}: {fee_text(p.fee_amount)}{warn}",
            INFO,
        )

    def show_matches(self, query: str) -> None:
        """The catalog's procedures in force today that match ``query`` (all when empty)."""
        services = counter_app_of(self).services
        hits = services.desk.catalog.search(query, services.clock().date(), limit=30)
        self.results.clear_options()
        self.results.add_options(
            [Option(f"{h.procedure.code}  {h.procedure.name}", id=h.procedure.code) for h in hits]
        )
        if hits:
            self.results.highlighted = 0

    @on(Input.Changed, "#proc")
    def _typed(self, event: Input.Changed) -> None:
        self.show_matches(event.value)

    @on(Input.Submitted, "#proc")
    def _submitted(self, event: Input.Submitted) -> None:
        ol = self.results
        if ol.highlighted is not None and ol.option_count:
            self.post_message(self.Chosen(ol.get_option_at_index(ol.highlighted).id or "", True))

    @on(OptionList.OptionSelected, "#proc_list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.post_message(self.Chosen(event.option.id or "", False))
