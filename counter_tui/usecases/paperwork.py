"""Use cases for paper: slips of a dossier, the tracking book, the period report, exports.

The UI calls these and nothing below them. Rendering a PDF and reading a
period's dossiers take a noticeable fraction of a second, so the screens call
them from worker threads.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from platformdirs import user_documents_path

from counter_tui.domain.dossier import Dossier
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.report import Counts, Report, build_report
from counter_tui.exports import Cell, Table, write_csv, write_xlsx
from counter_tui.settings import Settings
from counter_tui.slips import Office, Slip, book_slip, dossier_slip, forms_for
from counter_tui.slips.output import Delivered, deliver, platform_key
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
        return Office(s.office_name, s.office, s.place, s.counter, self.desk.identity.clerk)

    # --- slips ------------------------------------------------------------------------------

    def _dossier(self, uid: str) -> Dossier:
        d = self.desk.dossier(uid)
        if d is None:
            raise DomainError("dossier.unknown", Msg("Không tìm thấy hồ sơ.", "No such dossier."))
        return d

    def forms(self, uid: str) -> list[str]:
        return forms_for(self._dossier(uid))

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

    # --- exports ----------------------------------------------------------------------------

    def export(self, start: date, end: date, office: str | None) -> list[Path]:
        """The report and the tracking book as CSV files and one XLSX workbook."""
        dossiers = self.desk.received_by(end)  # read once for both
        report = self.report(start, end, office, dossiers)
        tables = [*report_tables(report), book_table(self.book(start, end, dossiers))]
        folder = output_folder(self.settings) / "bao-cao"
        stem = f"{start:%Y%m%d}-{end:%Y%m%d}"
        paths = [write_csv(folder / f"{t.name}-{stem}.csv", t) for t in tables]
        paths.append(write_xlsx(folder / f"bao-cao-{stem}.xlsx", tables))
        return paths


def _rate(c: Counts) -> float | None:
    return None if c.on_time_rate is None else round(c.on_time_rate, 2)


def report_tables(r: Report) -> list[Table]:
    t = r.total
    channels: list[list[Cell]] = [
        [f"  trong đó: {CHANNEL_VI.get(k, k)}", v] for k, v in sorted(r.by_channel.items())
    ]
    summary: list[list[Cell]] = [
        ["Tồn kỳ trước chuyển sang", r.carried_over],
        ["Tiếp nhận trong kỳ", t.received],
        *channels,
        ["Đã giải quyết", t.resolved],
        ["  Trước hạn", t.early],
        ["  Đúng hạn", t.on_time],
        ["  Trễ hạn", t.late],
        ["Tỷ lệ đúng hạn (%)", _rate(t)],
        ["Đang giải quyết: trong hạn", t.within],
        ["Đang giải quyết: quá hạn", t.overdue],
        ["Chờ bổ sung", t.awaiting_supplement],
        ["Công dân rút hồ sơ", t.withdrawn],
        ["Từ chối", t.refused],
        ["Đã xin lỗi, hẹn lại", t.rescheduled],
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
            ],
            per,
        ),
        Table(
            "qua-han",
            ["Mã hồ sơ", "Chủ hồ sơ", "Mã thủ tục", "Hạn trả", "Số ngày quá hạn"],
            overdue,
        ),
    ]


def book_table(slip: Slip) -> Table:
    """The tracking book with the same columns as its printed form."""
    block = next(b for b in slip.template.blocks if b.kind == "table")
    headers = [slip.fill(c.title) for c in block.columns]
    rows: list[list[Any]] = [
        [slip.fill(c.value, row) for c in block.columns] for row in slip.rows.get(block.rows, [])
    ]
    return Table("so-theo-doi", headers, rows)
