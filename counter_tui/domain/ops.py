"""Operations: what a counter sends the central service, and how one is applied to a dossier.

An operation states an intent (receive this dossier; hand over that one), not
a diff, so the central service can check it against its own state machine.
The same :func:`apply_op` runs at the centre (to decide) and at the counter
(to re-apply still-pending operations on top of pulled server state).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import Catalog
from counter_tui.domain.dossier import Context, Dossier, apply
from counter_tui.domain.files import FileRefused, check_entry
from counter_tui.domain.messages import DomainError, Msg
from counter_tui.domain.status import Action

RECEIVE = "dossier.receive"
ACTION = "dossier.action"
OP_TYPES = (RECEIVE, ACTION)
SYNC_KEY = "_sync"


class OpError(DomainError):
    """An operation is malformed or cannot be applied; the message says why."""


def new_op_id() -> str:
    return uuid.uuid4().hex


def receive_op(doc: dict[str, Any], *, at: datetime, actor: str, counter: str) -> dict[str, Any]:
    return {
        "op_id": new_op_id(),
        "type": RECEIVE,
        "uid": doc["uid"],
        "at": at.isoformat(),
        "actor": actor,
        "counter": counter,
        "doc": strip_sync(doc),
    }


def action_op(
    uid: str,
    action: Action,
    *,
    at: datetime,
    actor: str,
    counter: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    base_version: int = 0,
) -> dict[str, Any]:
    return {
        "op_id": new_op_id(),
        "type": ACTION,
        "uid": uid,
        "at": at.isoformat(),
        "actor": actor,
        "counter": counter,
        "action": action.value,
        "note": note,
        "data": data or {},
        "base_version": base_version,
    }


def strip_sync(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != SYNC_KEY}


def _fail(code: str, vi: str, en: str) -> OpError:
    return OpError(code, Msg(vi, en))


def parse_dossier(raw: Any) -> Dossier:
    """A dossier from its JSON form, or :class:`OpError` saying what is malformed."""
    if not isinstance(raw, dict):
        raise _fail("op.doc", "Thiếu nội dung hồ sơ.", "The dossier is missing.")
    try:
        d = Dossier.from_dict(raw)  # leaves ``_sync`` and any unknown key out
    except (TypeError, KeyError, ValueError) as exc:
        raise _fail("op.doc", f"Hồ sơ không hợp lệ: {exc}", f"Malformed dossier: {exc}") from exc
    if not isinstance(d.uid, str) or not d.uid or not isinstance(d.code, str):
        raise _fail("op.doc", "Hồ sơ thiếu mã.", "The dossier has no uid or code.")
    _check_files(d)
    return d


def _check_files(d: Dossier) -> None:
    """The scans a dossier carries (issue 14), checked as an attach action's are."""
    try:
        for item in d.documents:
            if not isinstance(item.files, list) or not (
                item.digitisation is None or isinstance(item.digitisation, dict)
            ):
                raise _fail("op.doc", "Danh sách tệp không hợp lệ.", "Malformed files.")
            item.files = [check_entry(f) for f in item.files]
        if not isinstance(d.result_files, list):
            raise _fail("op.doc", "Danh sách tệp không hợp lệ.", "Malformed files.")
        d.result_files = [check_entry(f) for f in d.result_files]
    except FileRefused as exc:
        raise OpError(exc.code, exc.msg) from exc


def apply_op(
    doc: dict[str, Any] | None,
    op: dict[str, Any],
    *,
    catalog: Catalog,
    calendar: WorkCalendar,
) -> dict[str, Any]:
    """The dossier after ``op`` (a new dict); raises a DomainError if it cannot apply."""
    kind = op.get("type")
    if kind == RECEIVE:
        if doc is not None:
            raise _fail("op.exists", "Hồ sơ này đã có.", "This dossier exists already.")
        return parse_dossier(op.get("doc")).to_dict()
    if kind != ACTION:
        raise _fail("op.type", f"Loại thao tác lạ: {kind!r}.", f"Unknown operation type {kind!r}.")
    if doc is None:
        raise _fail("op.unknown_dossier", "Không tìm thấy hồ sơ.", "No such dossier.")
    try:
        action = Action(str(op.get("action")))
    except ValueError as exc:
        raise _fail("op.action", "Thao tác không hợp lệ.", "Unknown action.") from exc
    try:
        at = datetime.fromisoformat(str(op.get("at")))
    except ValueError as exc:
        raise _fail("op.at", "Thời điểm không hợp lệ.", "Invalid time.") from exc
    data = op.get("data") or {}
    if not isinstance(data, dict):
        raise _fail("op.data", "Dữ liệu thao tác không hợp lệ.", "Invalid data.")
    dossier = parse_dossier(doc)
    procedure = catalog.version(dossier.procedure_version) or catalog.get(
        dossier.procedure_code, at.date()
    )
    ctx = Context(
        at=at,
        actor=str(op.get("actor", "")),
        counter=str(op.get("counter", "")),
        note=str(op.get("note", "")),
        calendar=calendar,
        procedure=procedure,
        data=data,
    )
    return apply(dossier, action, ctx).to_dict()
