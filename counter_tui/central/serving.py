"""How ``counter-tui central serve`` runs uvicorn: its logging, and one or several workers.

Every log record is masked where it is made (:mod:`counter_tui.logs`), which leaves a record
its finished text and no arguments. uvicorn's own access formatter unpacks the arguments, so
the access log gets a plain formatter over the masked text instead, and goes to stderr with
the rest of the service's log (one stream for an operator to keep).
"""

from __future__ import annotations

from typing import Any

LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_config(level: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn: masked text, one line per record."""
    handler = {"formatter": "plain", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"()": "logging.Formatter", "fmt": LINE}},
        "handlers": {"default": handler},
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
        },
    }
