"""Use cases for paper: slips of a dossier, the tracking book, the period report, exports.

The UI calls these and nothing below them. Rendering a PDF and reading a
period's dossiers take a noticeable fraction of a second, so the screens call
them from worker threads.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from platformdirs import user_documents_path

from counter_tui.domain.digitisation import DigitisationRow, digitisation_rates
from counter_tui.domain.dossier import Dossier
from counter_tui.domain.forms import FEE_METHOD_VI
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.report import Counts, Report, build_report
from counter_tui.exports import Cell, Table, write_csv, write_xlsx
from counter_tui.settings import Settings
from counter_tui.slips import (
    Office,
    basis_of,
    book_slip,
    dossier_slip,
    form_names,
    forms_for,
    registry,
)
from counter_tui.slips import Slip as Slip  # the screens show it: they import no slips/
from counter_tui.slips.output import Delivered as Delivered
from counter_tui.slips.output import deliver, platform_key
from counter_tui.slips.render_pdf import render_pdf
from counter_tui.usecases.desk import Desk

CHANNEL_VI = {"direct": "Trực tiếp", "online": "Trực tuyến", "post": "Bưu chính công ích"}


def output_folder(settings: Settings) -> Path:
    if settings.print_folder:
        return Path(settings.print_folder).expanduser()
    return user_documents_path() / "counter-tui"


class Paperwork:
    def __init__(self, desk: Desk, settings: Settings) -> None:
        self.desk = desk
        self.settings = settings

    @property
    def office(self) -> Office:
        s = self.settings
        ident = self.desk.identity
        return Office(s.office_name, s.office, s.place, s.counter, ident.clerk_name or ident.clerk)

    # --- slips ------------------------------------------------------------------------------

    def _dossier(self, uid: str) -> Dossier:
        d = self.desk.dossier(uid)
        if d is None:
            raise DomainError("dossier.unknown", Msg("Không tìm thấy hồ sơ.", "No such dossier."))
        return d

    def forms(self, uid: str) -> list[str]:
        return forms_for(self._dossier(uid), self.settings.slip_templates)

    def form_names(self, uid: str) -> list[tuple[str, str]]:
        """The dossier's forms with their names in its form set (TT 01/2018 or TT 03/2025)."""
        return form_names(self._dossier(uid), self.settings.slip_templates)

    def stop_notice(self, uid: str) -> Slip | None:
        """The stop notice (TT 03/2025 form 05) of a stopped dossier; None when its form set
        has no such form (a dossier received under TT 01/2018)."""
        d = self._dossier(uid)
        basis = basis_of(d, self.settings.slip_templates)
        form = registry(self.settings.slip_templates).form_for(basis, "stop")
        return self.slip(form, uid) if form else None

    def slip(self, form: str, uid: str) -> Slip:
        d = self._dossier(uid)
        now = self.desk.clock()
        p = self.desk.procedure_of(d.procedure_version, d.procedure_code, now.date())
        return dossier_slip(
            form,
            d,
            self.office,
            now,
            processing=p.processing.describe() if p else "",
            templates=self.settings.slip_templates,
        )

    def deliver(self, slip: Slip) -> Delivered:
        """Render the PDF, save it, and print it if a printer command is set for this platform."""
        command = self.settings.print_commands.get(platform_key())
        return deliver(
            render_pdf(slip), output_folder(self.settings) / "phieu", slip.file_stem, command
        )

    # --- the period's dossiers --------------------------------------------------------------

    def report(
        self, start: date, end: date, office: str | None, dossiers: list[Dossier] | None = None
    ) -> Report:
        dossiers = self.desk.received_by(end) if dossiers is None else dossiers
        return build_report(dossiers, start, end, self.desk.clock(), office)

    def book(self, start: date, end: date, dossiers: list[Dossier] | None = None) -> Slip:
        dossiers = self.desk.received_by(end) if dossiers is None else dossiers
        ours = [d for d in dossiers if d.office == self.settings.office]
        return book_slip(
            ours, self.office, self.desk.clock(), start, end, templates=self.settings.slip_templates
        )

    def digitisation(
        self, start: date, end: date, office: str | None, dossiers: list[Dossier] | None = None
    ) -> tuple[list[DigitisationRow], DigitisationRow]:
        """The digitisation rates per procedure (issue 14): counted at the receiving office,
        which scans at receipt and at hand-over."""
        dossiers = self.desk.received_by(end) if dossiers is None else dossiers
        ours = [d for d in dossiers if not office or d.office == office]
        return digitisation_rates(ours, start, end)

    # --- exports ----------------------------------------------------------------------------

    def export(self, start: date, end: date, office: str | None) -> list[Path]:
        """The report and the tracking book as CSV files and one XLSX workbook."""
        dossiers = self.desk.received_by(end)  # read once for both
        report = self.report(start, end, office, dossiers)
        tables = [
            *report_tables(report),
            digitisation_table(*self.digitisation(start, end, office, dossiers)),
            book_table(self.book(start, end, dossiers)),
        ]
        folder = output_folder(self.settings) / "bao-cao"
        stem = f"{start:%Y%m%d}-{end:%Y%m%d}"
        paths = [write_csv(folder / f"{t.name}-{stem}.csv", t) for t in tables]
        paths.append(write_xlsx(folder / f"bao-cao-{stem}.xlsx", tables))
        return paths


def _rate(c: Counts) -> float | None:
    return None if c.on_time_rate is None else round(c.on_time_rate, 2)


def _row(label: str, value: int) -> list[Cell]:
    return [label, value]


def report_tables(r: Report) -> list[Table]:
    t = r.total
    channels: list[list[Cell]] = [
        [f"  trong đó: {CHANNEL_VI.get(k, k)}", v] for k, v in sorted(r.by_channel.items())
    ]
    summary: list[list[Cell]] = [
        ["Tồn kỳ trước chuyển sang", r.carried_over],
        ["Tiếp nhận trong kỳ", t.received],
        *channels,
        ["  trong đó: cơ quan khác giải quyết", r.received_for_others],
        ["Cơ quan khác tiếp nhận, ở đây giải quyết", r.routed_in],
        ["Đã giải quyết", t.resolved],
        ["  Trước hạn", t.early],
        ["  Đúng hạn", t.on_time],
        ["  Trễ hạn", t.late],
        ["Tỷ lệ đúng hạn (%)", _rate(t)],
        ["Đang giải quyết", t.in_progress],
        ["  Trong hạn", t.within],
        ["  Quá hạn", t.overdue],
        ["  Chờ bổ sung", t.awaiting_supplement],
        ["Công dân rút hồ sơ", t.withdrawn],
        ["Từ chối", t.refused],
        ["Đã xin lỗi, hẹn lại", t.rescheduled],
        ["Yêu cầu bổ sung tại quầy (chưa tiếp nhận)", t.supplement_at_counter],
        ["Số hồ sơ thu phí, lệ phí khi tiếp nhận", r.fees_at_receipt],
        ["Phí, lệ phí thu khi tiếp nhận (đồng)", r.fees_at_receipt_total],
        *[
            _row(f"  trong đó: {FEE_METHOD_VI.get(k, k).lower()} (đồng)", v)
            for k, v in sorted(r.fees_by_method.items())
        ],
        ["Phí, lệ phí thu khi trả kết quả (đồng)", r.fees_at_hand_over_total],
    ]
    per: list[list[Cell]] = [
        [
            code,
            r.procedure_names.get(code, ""),
            c.received,
            c.early,
            c.on_time,
            c.late,
            _rate(c),
            c.within,
            c.overdue,
            c.awaiting_supplement,
            c.withdrawn,
            c.refused,
            c.supplement_at_counter,
        ]
        for code, c in sorted(r.per_procedure.items())
    ]
    overdue: list[list[Cell]] = [
        [o.code, o.name, o.procedure_code, o.due.strftime("%d/%m/%Y"), o.days_late]
        for o in r.overdue
    ]
    return [
        Table("tong-hop", ["Chỉ tiêu", "Số lượng"], summary),
        Table(
            "theo-thu-tuc",
            [
                "Mã thủ tục",
                "Tên thủ tục",
                "Tiếp nhận",
                "Trước hạn",
                "Đúng hạn",
                "Trễ hạn",
                "Tỷ lệ đúng hạn (%)",
                "Đang giải quyết trong hạn",
                "Đang giải quyết quá hạn",
                "Chờ bổ sung",
                "Rút hồ sơ",
                "Từ chối",
                "Yêu cầu bổ sung tại quầy",
            ],
            per,
        ),
        Table(
            "qua-han",
            ["Mã hồ sơ", "Chủ hồ sơ", "Mã thủ tục", "Hạn trả", "Số ngày quá hạn"],
            overdue,
        ),
    ]


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def digitisation_table(rows: list[DigitisationRow], total: DigitisationRow) -> Table:
    """Both rates per procedure, the exemptions apart, and the total last."""

    def line(r: DigitisationRow, code: str, name: str) -> list[Cell]:
        return [
            code,
            name,
            r.received,
            r.digitised,
            _pct(r.rate),
            r.exempt,
            r.handed_over,
            r.results_digitised,
            _pct(r.result_rate),
        ]

    body = [line(r, r.procedure_code, r.procedure_name) for r in rows]
    body.append(line(total, "", "Tổng cộng"))
    return Table(
        "so-hoa",
        [
            "Mã thủ tục",
            "Tên thủ tục",
            "Tiếp nhận cần số hóa",
            "Đã số hóa đủ",
            "Tỷ lệ số hóa hồ sơ (%)",
            "Miễn số hóa (TT 03/2025 Đ5 k2)",
            "Đã trả kết quả",
            "Kết quả đã số hóa",
            "Tỷ lệ số hóa kết quả (%)",
        ],
        body,
    )


def book_table(slip: Slip) -> Table:
    """The tracking book with the same columns as its printed form."""
    block = next(b for b in slip.template.blocks if b.kind == "table")
    headers = [slip.fill(c.title) for c in block.columns]
    rows: list[list[Cell]] = [
        [slip.fill(c.value, row) for c in block.columns] for row in slip.rows.get(block.rows, [])
    ]
    return Table("so-theo-doi", headers, rows)
