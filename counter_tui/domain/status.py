"""Dossier statuses (the national 1-10 list, DOMAIN.md section 4.1) and their transitions."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Status(IntEnum):
    SUBMITTED_ONLINE = 1  # Mới đăng ký
    RECEIVED = 2  # Được tiếp nhận
    REFUSED = 3  # Không được tiếp nhận
    PROCESSING = 4  # Đang xử lý
    AWAITING_SUPPLEMENT = 5  # Yêu cầu bổ sung giấy tờ
    AWAITING_PAYMENT = 6  # Yêu cầu thực hiện nghĩa vụ tài chính
    WITHDRAWN = 7  # Công dân yêu cầu rút hồ sơ
    STOPPED = 8  # Dừng xử lý
    READY = 9  # Đã xử lý xong
    RETURNED = 10  # Đã trả kết quả

    @property
    def vi(self) -> str:
        return _VI[self]

    @property
    def en(self) -> str:
        return _EN[self]

    @property
    def dvcqg(self) -> str:
        return _DVCQG[self]

    def label(self, lang: str = "vi") -> str:
        return self.en if lang == "en" else self.vi


_VI = {
    Status.SUBMITTED_ONLINE: "Mới đăng ký",
    Status.RECEIVED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.AWAITING_SUPPLEMENT: "Yêu cầu bổ sung",
    Status.AWAITING_PAYMENT: "Chờ nghĩa vụ tài chính",
    Status.WITHDRAWN: "Công dân rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.READY: "Đã xử lý xong",
    Status.RETURNED: "Đã trả kết quả",
}
_EN = {
    Status.SUBMITTED_ONLINE: "Submitted online",
    Status.RECEIVED: "Received",
    Status.REFUSED: "Refused",
    Status.PROCESSING: "Processing",
    Status.AWAITING_SUPPLEMENT: "Awaiting supplement",
    Status.AWAITING_PAYMENT: "Awaiting payment",
    Status.WITHDRAWN: "Withdrawn",
    Status.STOPPED: "Stopped",
    Status.READY: "Result ready",
    Status.RETURNED: "Returned",
}
_DVCQG = {
    Status.SUBMITTED_ONLINE: "receiving",
    Status.RECEIVED: "new",
    Status.REFUSED: "denied",
    Status.PROCESSING: "processing",
    Status.AWAITING_SUPPLEMENT: "waiting",
    Status.AWAITING_PAYMENT: "paying",
    Status.WITHDRAWN: "cancelled",
    Status.STOPPED: "unresolved",
    Status.READY: "releasing",
    Status.RETURNED: "done",
}

TERMINAL = frozenset({Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED})
OPEN = frozenset(s for s in Status if s not in TERMINAL)
# Statuses in which the legal clock runs (the supplement wait does not count).
CLOCK_RUNNING = frozenset({Status.RECEIVED, Status.PROCESSING, Status.AWAITING_PAYMENT})


class Action(StrEnum):
    """What can happen to a dossier; each is recorded as an event."""

    RECEIVE = "receive"  # tiếp nhận (complete dossier)
    REQUEST_SUPPLEMENT = "request_supplement"  # yêu cầu bổ sung (at receipt or in appraisal)
    SUPPLEMENT_RECEIVED = "supplement_received"  # nhận bổ sung; the clock resumes
    REFUSE = "refuse"  # từ chối tiếp nhận / giải quyết
    START_PROCESSING = "start_processing"
    REQUEST_PAYMENT = "request_payment"
    PAYMENT_RECEIVED = "payment_received"
    RESULT_READY = "result_ready"
    HAND_OVER = "hand_over"  # trả kết quả
    WITHDRAW = "withdraw"  # rút hồ sơ
    STOP = "stop"  # dừng xử lý
    RESCHEDULE = "reschedule"  # xin lỗi và hẹn lại (once)
    TRANSFER = "transfer"  # chuyển hồ sơ to the processing unit (form 05 row)
    RESULT_BACK = "result_back"  # the processing unit returns the result (form 05 row)
    EDIT_CONTACT = "edit_contact"  # counter-owned applicant contact details
    ATTACH = "attach"  # scans added to the dossier (issue 14); never changes the status

    @property
    def vi(self) -> str:
        return _ACTION_VI[self]


_ACTION_VI = {
    Action.RECEIVE: "Tiếp nhận",
    Action.REQUEST_SUPPLEMENT: "Yêu cầu bổ sung",
    Action.SUPPLEMENT_RECEIVED: "Nhận bổ sung",
    Action.REFUSE: "Từ chối",
    Action.START_PROCESSING: "Bắt đầu xử lý",
    Action.REQUEST_PAYMENT: "Yêu cầu nộp phí",
    Action.PAYMENT_RECEIVED: "Đã nộp phí",
    Action.RESULT_READY: "Có kết quả",
    Action.HAND_OVER: "Trả kết quả",
    Action.WITHDRAW: "Rút hồ sơ",
    Action.STOP: "Dừng xử lý",
    Action.RESCHEDULE: "Xin lỗi, hẹn lại",
    Action.TRANSFER: "Chuyển xử lý",
    Action.RESULT_BACK: "Nhận kết quả từ nơi xử lý",
    Action.EDIT_CONTACT: "Sửa liên hệ",
    Action.ATTACH: "Đính kèm bản số hóa",
}

# (action, from status) -> to status. ``None`` as from-status means a new dossier.
# Actions whose target is ``None`` keep the status (they only add an event).
TRANSITIONS: dict[Action, dict[Status | None, Status | None]] = {
    Action.RECEIVE: {None: Status.RECEIVED, Status.SUBMITTED_ONLINE: Status.RECEIVED},
    Action.REQUEST_SUPPLEMENT: {
        None: Status.AWAITING_SUPPLEMENT,
        Status.SUBMITTED_ONLINE: Status.AWAITING_SUPPLEMENT,
        Status.RECEIVED: Status.AWAITING_SUPPLEMENT,
        Status.PROCESSING: Status.AWAITING_SUPPLEMENT,
        # The back office may reopen a result found wanting before it is handed over.
        Status.READY: Status.AWAITING_SUPPLEMENT,
    },
    Action.SUPPLEMENT_RECEIVED: {Status.AWAITING_SUPPLEMENT: None},  # back to where it paused
    Action.REFUSE: {
        None: Status.REFUSED,
        Status.SUBMITTED_ONLINE: Status.REFUSED,
        Status.RECEIVED: Status.REFUSED,
        Status.PROCESSING: Status.REFUSED,
        Status.AWAITING_SUPPLEMENT: Status.REFUSED,
    },
    Action.START_PROCESSING: {Status.RECEIVED: Status.PROCESSING},
    Action.REQUEST_PAYMENT: {Status.PROCESSING: Status.AWAITING_PAYMENT},
    Action.PAYMENT_RECEIVED: {Status.AWAITING_PAYMENT: Status.PROCESSING},
    Action.RESULT_READY: {
        Status.RECEIVED: Status.READY,
        Status.PROCESSING: Status.READY,
        Status.AWAITING_PAYMENT: Status.READY,
    },
    Action.HAND_OVER: {Status.READY: Status.RETURNED},
    Action.WITHDRAW: {
        s: Status.WITHDRAWN
        for s in (
            Status.SUBMITTED_ONLINE,
            Status.RECEIVED,
            Status.PROCESSING,
            Status.AWAITING_SUPPLEMENT,
            Status.AWAITING_PAYMENT,
        )
    },
    Action.STOP: {
        s: Status.STOPPED
        for s in (
            Status.RECEIVED,
            Status.PROCESSING,
            Status.AWAITING_SUPPLEMENT,
            Status.AWAITING_PAYMENT,
        )
    },
    Action.RESCHEDULE: {
        s: None
        for s in (
            Status.RECEIVED,
            Status.PROCESSING,
            Status.AWAITING_PAYMENT,
            Status.AWAITING_SUPPLEMENT,
        )
    },
    Action.TRANSFER: {Status.RECEIVED: Status.PROCESSING, Status.PROCESSING: None},
    Action.RESULT_BACK: {
        Status.PROCESSING: Status.READY,
        Status.AWAITING_PAYMENT: Status.READY,
    },
    Action.EDIT_CONTACT: {s: None for s in Status if s not in TERMINAL},
    # A scan may be added whatever the status (a result is scanned at hand-over, after it).
    Action.ATTACH: {s: None for s in Status},
}

# Who may send each action to the central service (field ownership, SYNC_AND_STORAGE.md 2).
COUNTER_ACTIONS = frozenset(
    {
        Action.RECEIVE,
        Action.REQUEST_SUPPLEMENT,
        Action.SUPPLEMENT_RECEIVED,
        Action.REFUSE,
        Action.HAND_OVER,
        Action.WITHDRAW,
        Action.TRANSFER,
        Action.RESULT_BACK,
        Action.EDIT_CONTACT,
        Action.RESULT_READY,
        # The processing unit writes the apology; the counter records it and hands the slip over.
        Action.RESCHEDULE,
        Action.ATTACH,
    }
)
BACK_OFFICE_ACTIONS = frozenset(
    {
        Action.START_PROCESSING,
        Action.REQUEST_SUPPLEMENT,
        Action.SUPPLEMENT_RECEIVED,
        Action.REQUEST_PAYMENT,
        Action.PAYMENT_RECEIVED,
        Action.RESULT_READY,
        Action.REFUSE,
        Action.STOP,
        Action.RESCHEDULE,
        Action.TRANSFER,
        Action.RESULT_BACK,
    }
)


def allowed_actions(status: Status | None) -> list[Action]:
    return [a for a, table in TRANSITIONS.items() if status in table]
