"""The one way the UI translates: Vietnamese (the default) or English, chosen once at start.

Every text on screen goes through :func:`say` (a domain :class:`Msg`), :func:`tr`
(a Vietnamese text and its English, written where it is used) or :func:`t`
(a word of :data:`WORDS`, shared by bindings and labels); all three read the
one language set by :func:`set_language` when the app starts. Binding
descriptions name a word of :data:`WORDS` and are put into words when they
are shown (:func:`describe`), so importing a screen fixes no language.
"""

from __future__ import annotations

from counter_tui.domain.messages import DomainError, Msg

_LANG = {"value": "vi"}

WORDS: dict[str, Msg] = {
    key: Msg(vi, en)
    for key, (vi, en) in {
        "help": ("Giúp", "Help"),
        "receive": ("Tiếp nhận", "Receive"),
        "lookup": ("Tra cứu", "Look up"),
        "hand_over": ("Trả kết quả", "Hand over"),
        "sync": ("Đồng bộ", "Sync"),
        "quit": ("Thoát", "Quit"),
        "setup_save": ("Lưu cấu hình", "Save settings"),
        "setup_test": ("Thử kết nối", "Test connection"),
        "setup_quit": ("Thoát, không lưu", "Quit, not saved"),
        "back": ("Quay lại", "Back"),
        "close": ("Đóng", "Close"),
        "save": ("Lưu, in giấy tiếp nhận", "Save and print receipt"),
        "refuse": ("Từ chối tiếp nhận", "Refuse"),
        "new_form": ("Hồ sơ mới", "New dossier"),
        "toggle_doc": ("Đánh dấu đã nhận", "Tick received"),
        "more_copies": ("Thêm bản", "More copies"),
        "fewer_copies": ("Bớt bản", "Fewer copies"),
        "tick_all_docs": ("Đủ tất cả giấy tờ", "Tick all documents"),
        "attach_scan": ("Đính kèm bản quét", "Attach a scan"),
        "doc_shown": ("Xuất trình, không quét", "Shown only, no scan"),
        "refresh_scanner": ("Làm mới thư mục quét", "Refresh the scanner folder"),
        "attach_result": ("Quét kết quả", "Scan the result"),
        "next_procedure": ("Thủ tục sau", "Next procedure"),
        "prev_procedure": ("Thủ tục trước", "Previous procedure"),
        "filter_all": ("Tất cả", "All"),
        "filter_today": ("Hạn hôm nay", "Due today"),
        "filter_overdue": ("Quá hạn", "Overdue"),
        "filter_ready": ("Chờ trả", "Ready"),
        "filter_supplement": ("Chờ bổ sung", "Awaiting supplement"),
        "next_page": ("Trang sau", "Next page"),
        "prev_page": ("Trang trước", "Previous page"),
        "scroll_page_up": ("Cuộn lên một trang", "Scroll up a page"),
        "scroll_page_down": ("Cuộn xuống một trang", "Scroll down a page"),
        "scroll_top": ("Về đầu báo cáo", "Top of the report"),
        "scroll_bottom": ("Xuống cuối báo cáo", "Bottom of the report"),
        "open": ("Mở hồ sơ", "Open"),
        "go_hand_over": ("Trả kết quả hồ sơ này", "Hand this over"),
        "supplement_received": ("Nhận bổ sung", "Supplement received"),
        "withdraw": ("Rút hồ sơ", "Withdraw"),
        "reschedule": ("Xin lỗi, hẹn lại", "Apologise, new date"),
        "stop_dossier": ("Dừng giải quyết", "Stop handling"),
        "transfer": ("Chuyển xử lý", "Transfer"),
        "result_back": ("Nhận kết quả về", "Result back"),
        "print_slip": ("In phiếu", "Print a slip"),
        "report": ("Báo cáo", "Report"),
        "run_report": ("Lập báo cáo", "Run report"),
        "export": ("Xuất CSV, XLSX", "Export CSV, XLSX"),
        "print_book": ("In sổ theo dõi", "Print tracking book"),
        "lock": ("Khóa", "Lock"),
        "confirm_hand_over": ("Xác nhận trả kết quả", "Confirm hand-over"),
        "sync_now": ("Đồng bộ ngay", "Sync now"),
        "mark_handled": ("Đánh dấu đã xử lý", "Mark handled"),
        "standalone": ("Chạy độc lập (không đồng bộ)", "Standalone (no sync)"),
        "pending": ("Chờ gửi", "Pending"),
        "conflicts": ("Xung đột", "Conflicts"),
        "counter": ("Quầy", "Counter"),
        "ok": ("Đồng ý", "OK"),
        "cancel": ("Hủy", "Cancel"),
        "print": ("In / lưu PDF", "Print / save PDF"),
        "next_field": ("Ô sau", "Next field"),
        # Screen titles (a screen's TITLE names one; F1 help shows it).
        "title_receive": ("Tiếp nhận hồ sơ", "Receive a dossier"),
        "title_lookup": ("Tra cứu hồ sơ", "Look up dossiers"),
        "title_hand_over": ("Trả kết quả", "Hand over a result"),
        "title_sync": ("Đồng bộ", "Sync"),
        "title_report": ("Báo cáo", "Report"),
        "title_dossier": ("Chi tiết hồ sơ", "Dossier"),
    }.items()
}


def set_language(lang: str) -> None:
    """Choose the language once, when the app starts (from the settings)."""
    _LANG["value"] = "en" if lang == "en" else "vi"


def language() -> str:
    return _LANG["value"]


def say(msg: Msg | DomainError) -> str:
    """A bilingual message (or a domain rejection) in the chosen language: the one place
    that chooses."""
    if isinstance(msg, DomainError):
        msg = msg.msg
    return msg.text(_LANG["value"])


def tr(vi: str, en: str) -> str:
    """The Vietnamese text, or its English equivalent when English is selected."""
    return say(Msg(vi, en))


def t(key: str) -> str:
    """A word of :data:`WORDS` in the chosen language."""
    return say(WORDS[key])


def describe(description: str) -> str:
    """A binding's description put into words: it names a word of :data:`WORDS`."""
    word = WORDS.get(description)
    return say(word) if word is not None else description


# A cycle step's name (history, F5's lists): never the identifier ("result_back").
_ACTION_EN = {
    "receive": "Received",
    "request_supplement": "Supplement requested",
    "supplement_received": "Supplement received",
    "refuse": "Refused",
    "start_processing": "Processing started",
    "request_payment": "Payment requested",
    "payment_received": "Payment received",
    "result_ready": "Result ready",
    "hand_over": "Handed over",
    "withdraw": "Withdrawn",
    "stop": "Stopped",
    "reschedule": "Apology, new date",
    "transfer": "Transferred for processing",
    "result_back": "Result back",
    "edit_contact": "Contact edited",
    "attach": "Scans attached",
}
_TIMELINESS_EN = {
    "early": "Early",
    "on_time": "On time",
    "late": "Late",
    "within": "Within time",
    "overdue": "Overdue",
}
# What a catalog entry marks as still to confirm with the province (its field names).
_UNCERTAIN = {
    "required_documents": ("giấy tờ phải nộp", "required documents"),
    "documents": ("giấy tờ", "documents"),
    "processing_days": ("số ngày giải quyết", "processing days"),
    "processing": ("thời hạn giải quyết", "processing time"),
    "processing_note": ("ghi chú thời hạn", "processing note"),
    "fee_vnd": ("phí, lệ phí", "fee"),
    "all details": ("mọi chi tiết", "all details"),
    "details": ("chi tiết", "details"),
    "all except code/name": ("mọi chi tiết trừ mã và tên", "all but the code and name"),
    "name_vi (exact wording)": ("tên thủ tục (đúng chữ)", "the exact name"),
}


def action_words(action: str) -> str:
    """A cycle step (an :class:`Action` value) in words; unknown values are a conflict."""
    from counter_tui.domain.status import Action

    if action not in Action._value2member_map_:
        return tr("⚠ Xung đột", "⚠ Conflict")
    return tr(Action(action).vi, _ACTION_EN.get(action, action.replace("_", " ").capitalize()))


def timeliness_words(value: object) -> str:
    """Early / on time / late / within time / overdue, in words."""
    vi = getattr(value, "vi", str(value))
    return tr(vi, _TIMELINESS_EN.get(str(getattr(value, "value", value)), str(vi)))


def uncertain_words(fields: list[str]) -> str:
    """A catalog entry's fields still to confirm, in words (never the field names)."""
    return ", ".join(tr(*_UNCERTAIN[f]) if f in _UNCERTAIN else f.replace("_", " ") for f in fields)
