"""Every way the central service can refuse or fail a counter, as a ``Problem``.

One table: the exception the client raised (or the push answer's error code) becomes a
stable code, whether the counter gets past it alone, and a bilingual message saying what is
wrong and what to do. docs/sync-protocol.md ("Refusals, backoff and repair") has the
operator's repair path for each code; keep the two in step.
"""

from __future__ import annotations

from counter_tui.domain.messages import DomainError, Msg
from counter_tui.sync.client import (
    AuthRefused,
    CertificateRefused,
    Refused,
    ResyncRequired,
    SyncError,
    TooLarge,
    Unreachable,
)
from counter_tui.sync.state import Problem

_KEEP_WORKING = (
    "vẫn làm việc bình thường, dữ liệu sẽ tự gửi khi trung tâm trả lời.",
    "keep working, data is sent when the centre answers.",
)


class OutboxGap(SyncError):
    """The centre waits for operation ``expected``; this counter no longer has it."""

    def __init__(self, expected: int, first_held: int | None) -> None:
        missing_to = (first_held - 1) if first_held else expected
        super().__init__(f"gap: centre expects {expected}, counter holds from {first_held}")
        self.expected = expected
        self.missing_to = max(expected, missing_to)


class SeqReused(SyncError):
    """The centre has a different operation under this counter's number (a cloned PC)."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"seq_reused at {seq}")
        self.seq = seq


def _transient(code: str, vi: str, en: str) -> Problem:
    return Problem(code, True, Msg(f"{vi}; {_KEEP_WORKING[0]}", f"{en}; {_KEEP_WORKING[1]}"))


def _refused(code: str, vi: str, en: str) -> Problem:
    return Problem(code, False, Msg(vi, en))


AUTH = {
    "expired": _refused(
        "auth.expired",
        "Khóa truy cập của quầy đã hết hạn. Quản trị viên: cấp khóa mới (counter-tui central "
        "rotate) và ghi vào [central] token của quầy.",
        "This counter's token has expired. Operator: issue a new one (counter-tui central "
        "rotate) and put it in the counter's [central] token.",
    ),
    "revoked": _refused(
        "auth.revoked",
        "Khóa truy cập của quầy đã bị thu hồi. Quản trị viên: đăng ký lại quầy hoặc cấp khóa "
        "mới (central rotate).",
        "This counter's token was revoked. Operator: register the counter again or issue a "
        "new token (central rotate).",
    ),
    "forbidden": _refused(
        "auth.forbidden",
        "Khóa đang dùng không phải khóa của quầy (có thể là khóa bộ phận xử lý). Quản trị viên: "
        "ghi đúng khóa quầy vào [central] token.",
        "The token in use is not a counter token (a back-office one?). Operator: put the "
        "counter's own token in [central] token.",
    ),
    "unknown": _refused(
        "auth.unknown",
        "Máy chủ không nhận khóa truy cập của quầy. Quản trị viên: kiểm tra [central] token và "
        "url (đúng máy chủ?), hoặc đăng ký quầy (central add-counter).",
        "The central service does not know this counter's token. Operator: check [central] "
        "token and url (the right service?), or register the counter (central add-counter).",
    ),
}


def classify(exc: BaseException) -> Problem:
    """The problem an exception from a sync cycle stands for."""
    if isinstance(exc, Unreachable):
        if exc.kind == "timeout":
            return _transient(
                "timeout",
                "Trung tâm không trả lời kịp (quá thời gian chờ)",
                "The central service did not answer in time",
            )
        if exc.kind in ("server", "busy"):
            return _transient(
                exc.kind,
                f"Hệ thống trung tâm đang lỗi hoặc quá tải ({exc})",
                f"The central service is failing or overloaded ({exc})",
            )
        return _transient(
            "offline",
            "Không kết nối được hệ thống trung tâm",
            f"Central service unreachable ({exc})",
        )
    if isinstance(exc, AuthRefused):
        return AUTH.get(exc.reason, AUTH["unknown"])
    if isinstance(exc, CertificateRefused):
        return _refused(
            "tls",
            "Chứng chỉ bảo mật (TLS) của máy chủ trung tâm không được tin cậy; không gửi dữ "
            "liệu. Quản trị viên: kiểm tra [central] ca_file và url.",
            "The central service's TLS certificate is not trusted; nothing was sent. "
            "Operator: check [central] ca_file and url.",
        )
    if isinstance(exc, OutboxGap):
        span = (
            f"{exc.expected}"
            if exc.missing_to == exc.expected
            else f"{exc.expected}–{exc.missing_to}"
        )
        return _refused(
            "gap",
            f"Máy quầy thiếu thao tác số {span} mà trung tâm đang chờ; các thao tác sau đó chưa "
            "gửi được. Quản trị viên: chạy counter-tui sync repair (xem tài liệu đồng bộ).",
            f"This counter lacks operation(s) {span} the centre waits for; later ones cannot "
            "be sent. Operator: run counter-tui sync repair (see the sync guide).",
        )
    if isinstance(exc, SeqReused):
        return _refused(
            "seq_reused",
            f"Trung tâm đã có thao tác khác mang số {exc.seq} của quầy này: máy có thể bị sao "
            "chép hoặc khôi phục từ bản sao lưu cũ. Ngừng dùng máy này; báo quản trị viên.",
            f"The centre holds a different operation numbered {exc.seq} from this counter: "
            "the PC may be a clone or restored from an old backup. Stop using it; call the "
            "operator.",
        )
    if isinstance(exc, TooLarge):
        return _refused(
            "too_large",
            "Một thao tác quá lớn, trung tâm không nhận (413). Báo quản trị viên/nhà phát triển.",
            "One operation is larger than the centre accepts (413). Call the operator.",
        )
    if isinstance(exc, Refused):
        code = {422: "invalid", 409: "conflict", 404: "not_found"}.get(exc.status, "refused")
        return _refused(
            code,
            f"Trung tâm từ chối yêu cầu (HTTP {exc.status}); báo quản trị viên: {exc.body!s:.120}",
            f"The centre refused a request (HTTP {exc.status}); call the operator: "
            f"{exc.body!s:.120}",
        )
    if isinstance(exc, ResyncRequired):
        return _refused("resync", "Trung tâm yêu cầu đồng bộ lại.", "The centre asks for a resync.")
    if isinstance(exc, DomainError):
        return Problem("data", False, exc.msg)
    if isinstance(exc, SyncError):
        return _refused("refused", f"Lỗi đồng bộ: {exc}", f"Sync error: {exc}")
    # Anything else is a fault in this program: retried (it may pass), shown as an error.
    return Problem(
        "internal",
        True,
        Msg(
            f"Lỗi trong phần mềm khi đồng bộ ({type(exc).__name__}); sẽ tự thử lại. Nếu lỗi "
            "lặp lại, gửi tệp nhật ký (logs/counter-tui.log) cho quản trị viên.",
            f"A fault in the program while syncing ({type(exc).__name__}); it retries by "
            "itself. If it repeats, send the log file (logs/counter-tui.log) to the operator.",
        ),
        fault_here=True,
    )
