"""Counter settings from a TOML file, checked strictly (every setting is in config/counter.example.toml)."""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from platformdirs import user_config_path

from counter_tui.domain.codes import AGENCY_RE, EXAMPLE_AGENCY
from counter_tui.domain.messages import DomainError, Msg

CONFIG_ENV = "COUNTER_TUI_CONFIG"


class SettingsError(DomainError):
    pass


Kind = type | tuple[type, ...]


def setting(section: str, key: str, default: Any, kind: Kind, *keys: str) -> Any:
    """A dataclass field that is also a TOML setting: ``[section] key`` of type ``kind``
    (``keys``: more names for the same field, e.g. one printer command per platform)."""
    meta = {"section": section, "keys": (key, *keys), "kind": kind}
    if isinstance(default, dict | list):
        factory = default.copy
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


UNCONFIGURED_NAME = "UBND xã (chưa cấu hình)"


@dataclass
class Settings:
    """Every setting, declared once: its TOML place, type and default are here."""

    office: str = setting("counter", "office", EXAMPLE_AGENCY, str)
    office_name: str = setting("counter", "office_name", UNCONFIGURED_NAME, str)
    counter: str = setting("counter", "name", "Q1", str)
    slot: int = setting("counter", "slot", 1, int)
    clerk: str = setting("counter", "clerk", "canbo", str)
    language: str = setting("counter", "language", "vi", str)
    data_dir: str = setting("counter", "data_dir", "", str)
    place: str = setting("counter", "place", "", str)
    book: str = setting("counter", "book", "1", str)
    central_url: str = setting("central", "url", "", str)
    central_token: str = setting("central", "token", "", str)
    verify_tls: bool = setting("central", "verify_tls", True, bool)
    allow_plain_http: bool = setting("central", "allow_plain_http", False, bool)
    sync_interval_s: float = setting("central", "sync_interval_s", 15.0, (int, float))
    ca_file: str = setting("central", "ca_file", "", str)
    clock_limit_minutes: float = setting("central", "clock_limit_minutes", 5.0, (int, float))
    # The two noqa below: setting() returns a dataclasses.field, as field() does.
    sessions: list[list[str]] | None = setting("office_hours", "sessions", None, list)  # noqa: RUF009
    print_folder: str = setting("printing", "folder", "", str)
    slip_templates: str = setting("printing", "templates", "", str)
    print_commands: dict[str, list[str]] = setting(  # noqa: RUF009
        "printing", "windows", {}, list, "linux", "macos"
    )
    sign_in: bool = setting("security", "sign_in", True, bool)
    idle_lock_minutes: float = setting("security", "idle_lock_minutes", 5.0, (int, float))
    max_pin_failures: int = setting("security", "max_pin_failures", 5, int)
    lockout_minutes: float = setting("security", "lockout_minutes", 5.0, (int, float))
    encrypt_cache: bool = setting("security", "encrypt_cache", False, bool)
    # Off unless the settings file says so: a counter without a scanner is not asked why.
    digitise: bool = setting("files", "digitise", False, bool)
    scanner_dir: str = setting("files", "scanner_dir", "", str)
    files_max_mb: float = setting("files", "max_mb", 20, (int, float))
    files_budget_mb: float = setting("files", "budget_mb", 2000, (int, float))
    keys: dict[str, str] = field(default_factory=dict)  # [keys]: binding id = key
    source: str = "(defaults)"

    @property
    def office_configured(self) -> bool:
        """Whether the office was set: without it codes would carry the example office
        and slips the placeholder name, so receiving is refused until it is."""
        return self.office_name != UNCONFIGURED_NAME

    @property
    def standalone(self) -> bool:
        return not self.central_url


def sections() -> dict[str, dict[str, tuple[str, Kind]]]:
    """``{section: {key: (field, kind)}}``, read off the declarations above."""
    out: dict[str, dict[str, tuple[str, Kind]]] = {}
    for f in fields(Settings):
        if "section" in f.metadata:
            for key in f.metadata["keys"]:
                out.setdefault(f.metadata["section"], {})[key] = (f.name, f.metadata["kind"])
    return out


_SECTIONS = sections()


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
                if not isinstance(v, list) or not v or not all(isinstance(a, str) for a in v):
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
    if not 0 < s.files_max_mb <= 1000 or s.files_budget_mb < s.files_max_mb:
        raise _fail(
            shown,
            "[files]",
            "max_mb từ 0 đến 1000, budget_mb không nhỏ hơn max_mb",
            "max_mb in (0, 1000], budget_mb at least max_mb",
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


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        # JSON's string escapes are TOML's; DEL is the one control JSON leaves raw.
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"no TOML form for {type(v).__name__}")


def toml_text(raw: dict[str, Any]) -> str:
    """``raw`` (sections of plain values, as :func:`settings_from_dict` takes) as TOML."""
    lines: list[str] = []
    for section, values in raw.items():
        if lines:
            lines.append("")
        lines.append(f"[{section}]")
        for key, v in values.items():
            lines.append(f"{json.dumps(key)} = {_toml_value(v)}")
    text = "\n".join(lines) + "\n"
    if tomllib.loads(text) != raw:  # a value this writer cannot say: never write it wrong
        raise ValueError("settings do not round-trip through TOML")
    return text


def write_settings_file(path: Path, raw: dict[str, Any]) -> None:
    """Replace the settings file with ``raw``, readable by its owner only (it holds the
    counter's token). Written beside it and renamed, so a crash leaves the old file whole.
    Comments in the old file are not kept: only the settings are."""
    text = toml_text(raw)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
