"""A counter's first run: check the office's settings as typed, ask the centre whether the
address and token work, and write them to the settings file (owner-only).

The setup screen calls only this module: the HTTP client stays behind it, and the
rules a typed value must follow are the settings loader's own (``settings_from_dict``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from counter_tui.domain.codes import AGENCY_RE, EXAMPLE_AGENCY
from counter_tui.domain.messages import Msg

# The settings' values, their error and their file, re-exported for the screens (which
# import nothing below the use cases): tests/ui/test_layers.py.
from counter_tui.settings import UNCONFIGURED_NAME as UNCONFIGURED_NAME
from counter_tui.settings import Settings as Settings
from counter_tui.settings import SettingsError as SettingsError
from counter_tui.settings import default_path as default_path
from counter_tui.settings import settings_from_dict, write_settings_file

# Where the loader's complaints go on the form (``[section] key`` -> field).
_PLACES = {
    "[counter] office": "office",
    "[counter] slot": "slot",
    "[central] url": "central_url",
    "[central] token": "central_token",
}


@dataclass(frozen=True)
class SetupForm:
    """The setup screen's fields, as typed."""

    office: str
    office_name: str
    counter: str
    slot: str
    central_url: str = ""
    central_token: str = ""


def needs_setup(settings: Settings) -> bool:
    """Whether the office is still the example one (codes and slips would carry it)."""
    return settings.office == EXAMPLE_AGENCY or not settings.office_configured


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


def merged(form: SetupForm, path: Path) -> tuple[dict[str, Any], Settings] | dict[str, Msg]:
    """The settings file's content with the form's values put in (every other setting kept)
    and the settings it gives, or a message per field at fault."""
    errors: dict[str, Msg] = {}
    office = form.office.strip().upper()
    if not AGENCY_RE.match(office):
        errors["office"] = Msg(
            "Mã định danh điện tử của cơ quan sai dạng (vd 000.00.00.H56).",
            "The office's electronic agency code has the wrong shape (e.g. 000.00.00.H56).",
        )
    elif office == EXAMPLE_AGENCY:
        errors["office"] = Msg(
            f"{EXAMPLE_AGENCY} là mã mẫu: nhập mã của xã/phường (vd 000.00.00.H56).",
            f"{EXAMPLE_AGENCY} is the example code: type the office's own code.",
        )
    name = " ".join(form.office_name.split())
    if not name or name == UNCONFIGURED_NAME:
        errors["office_name"] = Msg(
            "Nhập tên cơ quan in trên giấy tiếp nhận (vd UBND xã Quảng Phú).",
            "Type the office's name printed on slips (e.g. UBND xã Quảng Phú).",
        )
    counter = form.counter.strip()
    if not counter:
        errors["counter"] = Msg("Nhập tên quầy (vd Q1).", "Type the counter's name (e.g. Q1).")
    slot = int(form.slot) if form.slot.strip().isdigit() else 0
    if not 1 <= slot <= 99:
        errors["slot"] = Msg("Số quầy từ 1 đến 99.", "The slot is a number from 1 to 99.")
    url, token = form.central_url.strip(), form.central_token.strip()
    if url and not url.startswith(("https://", "http://")):
        errors["central_url"] = Msg(
            "Địa chỉ trung tâm bắt đầu bằng https:// (để trống nếu quầy chạy độc lập).",
            "The centre's address starts with https:// (empty for a standalone counter).",
        )
    if token and not url:
        errors["central_url"] = Msg(
            "Có khóa truy cập thì cần địa chỉ trung tâm.", "A token needs the centre's address."
        )
    if errors:
        return errors
    try:
        raw = _read(path)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return {"": Msg(f"Không đọc được {path}: {exc}", f"Cannot read {path}: {exc}")}
    section = dict(raw.get("counter", {}))
    section.update(office=office, office_name=name, name=counter, slot=slot)
    raw["counter"] = section
    central = dict(raw.get("central", {}))
    central.pop("url", None)
    central.pop("token", None)
    if url:  # standalone: no address, no token
        central.update(url=url, token=token)
    if central:
        raw["central"] = central
    else:
        raw.pop("central", None)
    try:
        return raw, settings_from_dict(raw, str(path))
    except SettingsError as exc:
        return {_PLACES.get(exc.field or "", ""): exc.msg}


def save_setup(form: SetupForm, path: Path) -> Settings | dict[str, Msg]:
    """Write the form into the settings file at ``path`` (other settings kept, mode 0600)
    and return the settings it now holds; or the messages per field, nothing written."""
    out = merged(form, path)
    if isinstance(out, dict):
        return out
    raw, settings = out
    try:
        write_settings_file(path, raw)
    except OSError as exc:
        return {"": Msg(f"Không ghi được {path}: {exc}", f"Cannot write {path}: {exc}")}
    return settings


class Reach(Enum):
    REACHED = "reached"
    REFUSED = "refused"  # the token
    UNREACHABLE = "unreachable"
    CERTIFICATE = "certificate"
    OTHER_OFFICE = "other_office"
    NOT_ASKED = "not_asked"  # nothing to ask: standalone, or the address is wrong


@dataclass(frozen=True)
class ConnectionCheck:
    reach: Reach
    msg: Msg
    office: str = ""  # the office the centre knows the token by


def check_connection(form: SetupForm, base: Settings) -> ConnectionCheck:
    """Ask the centre's ``/v1/health`` then ``/v1/me`` with the typed token (slow: run it off
    the UI thread). ``base`` gives the TLS settings (``ca_file``, ``verify_tls``)."""
    url, token = form.central_url.strip(), form.central_token.strip()
    if not url or not token:
        return ConnectionCheck(
            Reach.NOT_ASKED,
            Msg(
                "Nhập địa chỉ trung tâm và khóa truy cập của quầy để thử kết nối.",
                "Type the centre's address and the counter's token to test the connection.",
            ),
        )
    if not url.startswith(("https://", "http://")):
        return ConnectionCheck(
            Reach.NOT_ASKED,
            Msg("Địa chỉ trung tâm bắt đầu bằng https://.", "The address starts with https://."),
        )
    from counter_tui.sync.client import (
        AuthRefused,
        CentralClient,
        CertificateRefused,
        tls_context,
    )

    try:
        verify = tls_context(base.ca_file) if base.verify_tls else False
        client = CentralClient(url, token, verify=verify)
    except (OSError, ValueError) as exc:
        return ConnectionCheck(
            Reach.NOT_ASKED, Msg(f"Không tạo được kết nối: {exc}", f"Cannot connect: {exc}")
        )
    try:
        client.health(timeout=5.0)
        me = client.me()
    except AuthRefused as exc:
        return ConnectionCheck(
            Reach.REFUSED,
            Msg(
                f"Trung tâm từ chối khóa truy cập ({exc.reason}): kiểm tra khóa hoặc xin khóa mới.",
                f"The centre refused the token ({exc.reason}): check it or ask for a new one.",
            ),
        )
    except CertificateRefused:
        return ConnectionCheck(
            Reach.CERTIFICATE,
            Msg(
                "Chứng chỉ của trung tâm không được tin cậy: đặt [central] ca_file.",
                "The centre's certificate is not trusted: set [central] ca_file.",
            ),
        )
    except Exception as exc:  # SyncError, or a URL httpx rejects: never crash the form
        return ConnectionCheck(
            Reach.UNREACHABLE,
            Msg(
                f"Không kết nối được trung tâm (mạng, địa chỉ hoặc trung tâm đang tắt): {exc}",
                f"The centre was not reached (network, address, or it is down): {exc}",
            ),
        )
    finally:
        client.close()
    theirs = str(me.get("office", ""))
    typed = form.office.strip().upper()
    if theirs != typed:
        return ConnectionCheck(
            Reach.OTHER_OFFICE,
            Msg(
                f"Kết nối được, nhưng khóa này thuộc cơ quan {theirs}, không phải {typed}.",
                f"Reached, but this token belongs to office {theirs}, not {typed}.",
            ),
            theirs,
        )
    name = str(me.get("office_name", ""))
    return ConnectionCheck(
        Reach.REACHED,
        Msg(
            f"Kết nối được trung tâm: quầy {me.get('name', '')} của {name or theirs}.",
            f"Reached the centre: counter {me.get('name', '')} of {name or theirs}.",
        ),
        theirs,
    )
