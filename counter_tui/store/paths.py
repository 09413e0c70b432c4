"""Where the counter keeps its cache: env var, then config, then the platform's data dir."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

ENV_VAR = "COUNTER_TUI_DATA_DIR"


def data_dir(configured: str | None = None) -> Path:
    """``$COUNTER_TUI_DATA_DIR``, else the configured path, else the platform default."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    if configured:
        return Path(configured).expanduser()
    return user_data_path("counter-tui", appauthor=False) / "cache"
