"""Settings: each declared once (its TOML place read off the dataclass), and a [keys] entry
that names no binding is refused before anything opens, with the ids that exist."""

from __future__ import annotations

import tomllib
from dataclasses import fields

import pytest

from counter_tui.config_files import config_dir
from counter_tui.launch import make_services
from counter_tui.settings import Settings, SettingsError, sections, settings_from_dict
from tests.ui.conftest import settings


def test_a_misspelt_binding_id_is_refused_with_the_valid_ones(tmp_path, clock):
    with pytest.raises(SettingsError) as exc:
        make_services(
            settings(keys={"recieve": "f7", "save": "ctrl+s"}),
            clock=clock,
            data=tmp_path / "c",
            start_sync=False,
        )
    text = exc.value.msg.vi
    assert "[keys] recieve: không có mã phím này" in text
    valid = text.split("các mã hợp lệ: ")[1].split(", ")
    assert {"receive", "lookup", "save", "print_slip", "filter_today"} <= set(valid)
    assert "recieve" not in valid
    assert not (tmp_path / "c").exists()  # refused before the cache was opened


def test_every_setting_in_the_example_file_is_declared_once_and_read():
    example = tomllib.loads((config_dir() / "counter.example.toml").read_text("utf-8"))
    declared = sections()
    in_file = {(sec, key) for sec, values in example.items() if sec != "keys" for key in values}
    in_code = {(sec, key) for sec, keys in declared.items() for key in keys}
    platforms = {("printing", p) for p in ("windows", "linux", "macos")}  # commented out there
    assert in_file == in_code - platforms
    s = settings_from_dict(example)
    assert (s.counter, s.place, s.sync_interval_s, s.sessions[0]) == (
        "Q1",
        "Quảng Phú",
        15,
        ["07:00", "11:30"],
    )
    # Each field has one declaration: its place in the file (or none: keys, source).
    placed = {name for keys in declared.values() for name, _ in keys.values()}
    assert placed | {"keys", "source"} == {f.name for f in fields(Settings)}


def test_a_setting_of_the_wrong_type_or_an_unknown_one_is_refused():
    with pytest.raises(SettingsError, match=r"\[counter\] slot"):
        settings_from_dict({"counter": {"slot": "1"}})
    with pytest.raises(SettingsError, match=r"\[security\] sign_in"):
        settings_from_dict({"security": {"sign_in": 1}})
    with pytest.raises(SettingsError, match=r"\[central\] colour"):
        settings_from_dict({"central": {"colour": "blue"}})
    s = settings_from_dict({"printing": {"linux": ["lp", "{file}"]}})
    assert s.print_commands == {"linux": ["lp", "{file}"]}
