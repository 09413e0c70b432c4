"""Where the shipped configuration files (catalog, holiday overrides) are found.

In a source checkout they are in ``config/`` at the top of the repository; an
installed wheel carries the same files inside the package as ``_config/``.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def config_dir() -> Path:
    for candidate in (_PKG.parent / "config", _PKG / "_config"):
        if (candidate / "procedures.json").exists():
            return candidate
    raise FileNotFoundError("config/procedures.json not found next to the package")


def catalog_path() -> Path:
    return config_dir() / "procedures.json"


def holidays_path() -> Path:
    return config_dir() / "holidays.toml"


def code_schemes_path() -> Path:
    return config_dir() / "code-schemes.toml"


def boundary_list_path() -> Path:
    return config_dir() / "boundary-procedures.toml"
