"""Printable slips: forms 01-06 of TT 01/2018/TT-VPCP and the return receipt.

Templates are data (``config/slips/``, see :mod:`.templates`); :func:`dossier_slip`
and :func:`book_slip` fill one; a :class:`Slip` renders as text (``.text()``)
or PDF (:func:`render_pdf.render_pdf`); :mod:`.output` saves or prints it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from counter_tui.config_files import config_dir
from counter_tui.domain.dossier import Dossier
from counter_tui.slips.fields import (
    Office,
    book_rows,
    document_rows,
    dossier_fields,
    missing_rows,
    transfer_rows,
)
from counter_tui.slips.render_text import Slip
from counter_tui.slips.templates import Registry, load_registry

BASIS = "TT 01/2018/TT-VPCP"
FORM_NAMES = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "BN": "Giấy biên nhận trả kết quả",
}

__all__ = ["BASIS", "FORM_NAMES", "Office", "Slip", "book_slip", "dossier_slip", "forms_for"]


@lru_cache(maxsize=4)
def registry(local_folder: str = "") -> Registry:
    """The shipped templates, overridden by a province's folder when one is set."""
    return load_registry(config_dir() / "slips", Path(local_folder) if local_folder else None)


def forms_for(d: Dossier) -> list[str]:
    """The forms that fit this dossier's history, in the order a clerk would want them."""
    actions = {e.action for e in d.events}
    out = []
    if d.received_at:
        out.append("01")
    if "request_supplement" in actions:
        out.append("02")
    if "refuse" in actions:
        out.append("03")
    if "reschedule" in actions:
        out.append("04")
    if d.received_at:
        out.append("05")
    if d.handover:
        out.append("BN")
    return out


def dossier_slip(
    form: str,
    d: Dossier,
    office: Office,
    now: datetime,
    *,
    processing: str = "",
    templates: str = "",
    basis: str = BASIS,
) -> Slip:
    template = registry(templates).get(basis, form)
    return Slip(
        template,
        dossier_fields(d, office, now, processing),
        {
            "documents": document_rows(d),
            "missing": missing_rows(d),
            "transfers": transfer_rows(d, office),
        },
        qr_data=d.code,
    )


def book_slip(
    dossiers: Iterable[Dossier],
    office: Office,
    now: datetime,
    start: date,
    end: date,
    *,
    templates: str = "",
    basis: str = BASIS,
) -> Slip:
    """Form 06 for the dossiers received in ``start``..``end`` (refused or sent back for
    supplement at the counter are not received, so they are not in the book)."""
    first, last = start.isoformat(), (end + timedelta(days=1)).isoformat()
    rows = book_rows(d for d in dossiers if first <= (d.received_at or "") < last)
    fields = dossier_fields(None, office, now)
    fields.update(
        period_from=start.strftime("%d/%m/%Y"),
        period_to=end.strftime("%d/%m/%Y"),
        row_count=str(len(rows)),
        code=f"so-theo-doi-{start:%Y%m%d}-{end:%Y%m%d}",
    )
    return Slip(registry(templates).get(basis, "06"), fields, {"book": rows})
