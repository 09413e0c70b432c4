"""Printable slips: the forms of TT 01/2018/TT-VPCP and TT 03/2025/TT-VPCP, the return receipt.

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
    control_rows,
    document_rows,
    dossier_fields,
    missing_rows,
    transfer_rows,
)
from counter_tui.slips.render_text import Slip
from counter_tui.slips.templates import Registry, load_registry

BASIS = "TT 01/2018/TT-VPCP"
BASIS_2025 = "TT 03/2025/TT-VPCP"
# The TT 01/2018 names, kept for callers that know only them; names_of() reads the set.
FORM_NAMES = {
    "01": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    "02": "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    "03": "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    "04": "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    "05": "Phiếu kiểm soát quá trình giải quyết hồ sơ",
    "BN": "Giấy biên nhận trả kết quả",
}

__all__ = [
    "BASIS",
    "BASIS_2025",
    "FORM_NAMES",
    "Office",
    "Slip",
    "basis_of",
    "book_slip",
    "dossier_slip",
    "form_names",
    "forms_for",
]


@lru_cache(maxsize=4)
def registry(local_folder: str = "") -> Registry:
    """The shipped templates, overridden by a province's folder when one is set."""
    return load_registry(config_dir() / "slips", Path(local_folder) if local_folder else None)


def received_on(d: Dossier) -> date | None:
    """The day the dossier came to the counter (a refusal or a supplement request too)."""
    if d.received_at:
        return datetime.fromisoformat(d.received_at).date()
    return datetime.fromisoformat(d.events[0].at).date() if d.events else None


def basis_of(d: Dossier, templates: str = "") -> str:
    """The form set a dossier prints with: the one in force on the day it was received,
    so a dossier received before a new set's ``valid_from`` keeps its old forms."""
    day = received_on(d)
    reg = registry(templates)
    return reg.basis_for(day) if day else BASIS


def forms_for(d: Dossier, templates: str = "") -> list[str]:
    """The forms that fit this dossier's history, in the order a clerk would want them."""
    reg = registry(templates)
    basis = basis_of(d, templates)
    actions = {e.action for e in d.events}
    wanted = []
    if d.received_at:
        wanted.append("receipt")
    if "request_supplement" in actions:
        wanted.append("supplement")
    if "refuse" in actions:
        wanted.append("refusal")
    if "reschedule" in actions:
        wanted.append("apology")
    if "stop" in actions:
        wanted.append("stop")
    if d.received_at:
        wanted.append("control")
    if d.handover:
        wanted.append("handback")
    forms = (reg.form_for(basis, p) for p in wanted)
    return [f for f in forms if f is not None]


def form_names(d: Dossier, templates: str = "") -> list[tuple[str, str]]:
    """``forms_for`` with each form's name in the dossier's set."""
    reg = registry(templates)
    basis = basis_of(d, templates)
    return [(f, reg.get(basis, f).name) for f in forms_for(d, templates)]


def dossier_slip(
    form: str,
    d: Dossier,
    office: Office,
    now: datetime,
    *,
    processing: str = "",
    templates: str = "",
    basis: str | None = None,
) -> Slip:
    basis = basis or basis_of(d, templates)
    template = registry(templates).get(basis, form)
    fields = dossier_fields(d, office, now, processing)
    fields["basis"] = basis
    return Slip(
        template,
        fields,
        {
            "documents": document_rows(d),
            "missing": missing_rows(d),
            "transfers": transfer_rows(d, office),
            "control": control_rows(d, office),
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
    basis: str | None = None,
) -> Slip:
    """The tracking book for the dossiers received in ``start``..``end`` (refused or sent back
    for supplement at the counter are not received, so they are not in the book), in the
    form set in force on ``end``."""
    reg = registry(templates)
    basis = basis or reg.basis_for(end)
    first, last = start.isoformat(), (end + timedelta(days=1)).isoformat()
    rows = book_rows(d for d in dossiers if first <= (d.received_at or "") < last)
    fields = dossier_fields(None, office, now)
    fields.update(
        period_from=start.strftime("%d/%m/%Y"),
        period_to=end.strftime("%d/%m/%Y"),
        row_count=str(len(rows)),
        code=f"so-theo-doi-{start:%Y%m%d}-{end:%Y%m%d}",
        basis=basis,
    )
    form = reg.form_for(basis, "book") or "06"
    return Slip(reg.get(basis, form), fields, {"book": rows})
