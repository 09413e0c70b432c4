"""UI words in Vietnamese (the default) and English."""

from __future__ import annotations

_LANG = {"value": "vi"}

WORDS: dict[str, tuple[str, str]] = {
    "help": ("Trợ giúp", "Help"),
    "receive": ("Tiếp nhận", "Receive"),
    "lookup": ("Tra cứu", "Look up"),
    "hand_over": ("Trả kết quả", "Hand over"),
    "sync": ("Đồng bộ", "Sync"),
    "quit": ("Thoát", "Quit"),
    "back": ("Quay lại", "Back"),
    "save": ("Lưu, in giấy tiếp nhận", "Save and print receipt"),
    "refuse": ("Từ chối tiếp nhận", "Refuse"),
    "new_form": ("Hồ sơ mới", "New dossier"),
    "toggle_doc": ("Đánh dấu đã nhận", "Tick received"),
    "more_copies": ("Thêm bản", "More copies"),
    "fewer_copies": ("Bớt bản", "Fewer copies"),
    "filter_all": ("Tất cả", "All"),
    "filter_today": ("Hạn hôm nay", "Due today"),
    "filter_overdue": ("Quá hạn", "Overdue"),
    "filter_ready": ("Chờ trả", "Ready"),
    "filter_supplement": ("Chờ bổ sung", "Awaiting supplement"),
    "next_page": ("Trang sau", "Next page"),
    "prev_page": ("Trang trước", "Previous page"),
    "open": ("Mở hồ sơ", "Open"),
    "go_hand_over": ("Trả kết quả hồ sơ này", "Hand this over"),
    "supplement_received": ("Nhận bổ sung", "Supplement received"),
    "withdraw": ("Rút hồ sơ", "Withdraw"),
    "reschedule": ("Xin lỗi, hẹn lại", "Apologise, new date"),
    "transfer": ("Chuyển xử lý", "Transfer"),
    "result_back": ("Nhận kết quả về", "Result back"),
    "print_slip": ("In phiếu", "Print a slip"),
    "report": ("Báo cáo", "Report"),
    "run_report": ("Lập báo cáo", "Run report"),
    "export": ("Xuất CSV, XLSX", "Export CSV, XLSX"),
    "print_book": ("In sổ theo dõi", "Print tracking book"),
    "lock": ("Khóa màn hình", "Lock screen"),
    "confirm_hand_over": ("Xác nhận trả kết quả", "Confirm hand-over"),
    "sync_now": ("Đồng bộ ngay", "Sync now"),
    "mark_handled": ("Đánh dấu đã xử lý", "Mark handled"),
    "standalone": ("Chạy độc lập (không đồng bộ)", "Standalone (no sync)"),
    "pending": ("Chờ gửi", "Pending"),
    "conflicts": ("Xung đột", "Conflicts"),
    "counter": ("Quầy", "Counter"),
}


def set_language(lang: str) -> None:
    _LANG["value"] = "en" if lang == "en" else "vi"


def language() -> str:
    return _LANG["value"]


def t(key: str) -> str:
    vi, en = WORDS[key]
    return en if _LANG["value"] == "en" else vi


def tr(vi: str, en: str) -> str:
    """The Vietnamese text, or its English equivalent when English is selected."""
    return en if _LANG["value"] == "en" else vi
