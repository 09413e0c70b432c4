"""Counter settings from a TOML file, checked strictly (every setting is in config/counter.example.toml)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from platformdirs import user_config_path

from counter_tui.domain.codes import AGENCY_RE
from counter_tui.domain.messages import DomainError, Msg

CONFIG_ENV = "COUNTER_TUI_CONFIG"


class SettingsError(DomainError):
    pass


@dataclass
class Settings:
    office: str = "000.00.00.H56"
    office_name: str = "UBND xã (chưa cấu hình)"
    counter: str = "Q1"
    slot: int = 1
    clerk: str = "canbo"
    language: str = "vi"
    data_dir: str = ""
    central_url: str = ""
    central_token: str = ""
    verify_tls: bool = True
    allow_plain_http: bool = False
    sync_interval_s: float = 15.0
    sessions: list[list[str]] | None = None
    keys: dict[str, str] = field(default_factory=dict)
    place: str = ""
    print_folder: str = ""
    slip_templates: str = ""
    print_commands: dict[str, list[str]] = field(default_factory=dict)
    ca_file: str = ""
    sign_in: bool = True
    idle_lock_minutes: float = 5.0
    max_pin_failures: int = 5
    lockout_minutes: float = 5.0
    encrypt_cache: bool = False
    source: str = "(defaults)"

    @property
    def standalone(self) -> bool:
        return not self.central_url


_SECTIONS: dict[str, dict[str, tuple[str, type | tuple[type, ...]]]] = {
    "counter": {
        "office": ("office", str),
        "office_name": ("office_name", str),
        "name": ("counter", str),
        "slot": ("slot", int),
        "clerk": ("clerk", str),
        "language": ("language", str),
        "data_dir": ("data_dir", str),
        "place": ("place", str),
    },
    "printing": {
        "folder": ("print_folder", str),
        "templates": ("slip_templates", str),
        "windows": ("print_commands", list),
        "linux": ("print_commands", list),
        "macos": ("print_commands", list),
    },
    "central": {
        "url": ("central_url", str),
        "token": ("central_token", str),
        "verify_tls": ("verify_tls", bool),
        "allow_plain_http": ("allow_plain_http", bool),
        "sync_interval_s": ("sync_interval_s", (int, float)),
        "ca_file": ("ca_file", str),
    },
    "security": {
        "sign_in": ("sign_in", bool),
        "idle_lock_minutes": ("idle_lock_minutes", (int, float)),
        "max_pin_failures": ("max_pin_failures", int),
        "lockout_minutes": ("lockout_minutes", (int, float)),
        "encrypt_cache": ("encrypt_cache", bool),
    },
    "office_hours": {"sessions": ("sessions", list)},
}


def default_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return user_config_path("counter-tui", appauthor=False) / "counter.toml"


def _fail(path: str, where: str, vi: str, en: str) -> SettingsError:
    return SettingsError("settings", Msg(f"{path}: {where}: {vi}", f"{path}: {where}: {en}"), where)


def load_settings(path: str | Path | None = None) -> Settings:
    """Settings from ``path`` (or the default file if it exists, else built-in defaults)."""
    p = Path(path) if path else default_path()
    if not p.exists():
        if path:
            raise _fail(str(p), "(file)", "không tìm thấy tệp cấu hình", "settings file not found")
        return Settings()
    shown = str(p)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise _fail(shown, "(file)", f"TOML sai: {exc}", f"invalid TOML: {exc}") from exc
    return settings_from_dict(raw, shown)


def settings_from_dict(raw: dict[str, Any], shown: str = "(settings)") -> Settings:
    s = Settings(source=shown)
    for section, value in raw.items():
        if section == "keys":
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise _fail(shown, "[keys]", 'mỗi dòng: mã phím = "phím"', 'id = "key" pairs')
            s.keys = dict(value)
            continue
        fields = _SECTIONS.get(section)
        if fields is None or not isinstance(value, dict):
            raise _fail(shown, f"[{section}]", "mục không có", "unknown section")
        for key, v in value.items():
            if key not in fields:
                raise _fail(shown, f"[{section}] {key}", "tùy chọn không có", "unknown setting")
            attr, kind = fields[key]
            if (isinstance(v, bool) and kind is not bool) or not isinstance(v, kind):
                raise _fail(
                    shown,
                    f"[{section}] {key}",
                    f"sai kiểu ({type(v).__name__})",
                    f"wrong type ({type(v).__name__})",
                )
            if attr == "print_commands":
                if not v or not all(isinstance(a, str) for a in v):
                    raise _fail(
                        shown,
                        f"[{section}] {key}",
                        'cần danh sách lệnh, vd ["lp", "{file}"]',
                        'a command list, e.g. ["lp", "{file}"]',
                    )
                s.print_commands[key] = list(v)
                continue
            setattr(s, attr, v)
    if not AGENCY_RE.match(s.office):
        raise _fail(
            shown,
            "[counter] office",
            "mã cơ quan sai dạng (vd 000.00.00.H56)",
            "agency code shape, e.g. 000.00.00.H56",
        )
    if not 1 <= s.slot <= 99:
        raise _fail(shown, "[counter] slot", "số quầy từ 1 đến 99", "slot must be 1-99")
    if s.language not in ("vi", "en"):
        raise _fail(shown, "[counter] language", "chỉ 'vi' hoặc 'en'", "'vi' or 'en'")
    if s.idle_lock_minutes < 0 or s.max_pin_failures < 1 or s.lockout_minutes < 0:
        raise _fail(
            shown,
            "[security]",
            "thời gian không âm, số lần sai ít nhất 1",
            "times must be non-negative, failures at least 1",
        )
    if s.ca_file and not Path(s.ca_file).expanduser().is_file():
        raise _fail(shown, "[central] ca_file", "không có tệp chứng chỉ này", "no such file")
    if s.central_url:
        loopback = any(h in s.central_url for h in ("://127.0.0.1", "://localhost", "://[::1]"))
        if s.central_url.startswith("http://") and not loopback and not s.allow_plain_http:
            raise _fail(
                shown,
                "[central] url",
                "chỉ dùng https (http chỉ cho máy cục bộ)",
                "https only (plain http only to loopback) unless allow_plain_http",
            )
        if not s.verify_tls and not loopback:
            raise _fail(
                shown,
                "[central] verify_tls",
                "không tắt kiểm tra chứng chỉ; hãy đặt ca_file cho chứng chỉ riêng",
                "certificate checks stay on; set ca_file for a private certificate",
            )
        if not s.central_token:
            raise _fail(shown, "[central] token", "thiếu khóa truy cập của quầy", "token missing")
    return s
