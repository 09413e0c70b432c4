"""Connection states the UI shows (kept apart from the engine so the UI need not import httpx)."""

from __future__ import annotations

from enum import StrEnum


class Connection(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    SYNCING = "syncing"
    ERROR = "error"

    @property
    def vi(self) -> str:
        return {
            "online": "Trực tuyến",
            "offline": "Mất kết nối",
            "syncing": "Đang đồng bộ",
            "error": "Lỗi đồng bộ",
        }[self.value]

    def label(self, lang: str = "vi") -> str:
        return self.value.capitalize() if lang == "en" else self.vi
