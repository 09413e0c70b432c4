"""Logging that cannot leak: every record is masked where it is made, before any handler.

Citizen IDs, old CMND numbers and phone numbers (runs of 9-12 digits) keep
their first and last three digits (``001******345``): enough for an operator
to match a complaint, not enough to be personal data in a log file. Bearer
tokens, and any secret registered with :func:`register_secret` (the counter's
own token), are replaced by ``***``. Masking at record creation (a record
factory, not a handler filter) covers every handler, including ones a library
or a test adds later.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import threading
from pathlib import Path

DIGITS = re.compile(r"(?<!\d)(\d{3})(\d{3,6})(\d{3})(?!\d)")
BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
TOKEN_PARAM = re.compile(r"(?i)(token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]{8,}")

_secrets: set[str] = set()
_lock = threading.Lock()
_installed = False


def register_secret(value: str) -> None:
    """Never let ``value`` reach a log (a token, a key)."""
    if value and len(value) >= 8:
        with _lock:
            _secrets.add(value)


def mask(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, "***")
    text = BEARER.sub(r"\1***", text)
    text = TOKEN_PARAM.sub(r"\1***", text)
    return DIGITS.sub(lambda m: m.group(1) + "*" * len(m.group(2)) + m.group(3), text)


def install_masking() -> None:
    """Mask every log record from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    base = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = base(*args, **kwargs)
        # Format once with the raw arguments, then mask the finished text: a digit run
        # split between the message and an argument is still caught.
        try:
            text = record.getMessage()
        except (TypeError, ValueError):
            text = str(record.msg)
        record.msg, record.args = mask(text), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return record

    logging.setLogRecordFactory(factory)


def configure(log_file: Path | None = None, level: int = logging.INFO) -> None:
    """Masking on; records of counter_tui go to ``log_file`` (rotated, owner-only) if given."""
    install_masking()
    logger = logging.getLogger("counter_tui")
    logger.setLevel(level)
    if log_file is not None and not any(
        isinstance(h, logging.handlers.RotatingFileHandler) for h in logger.handlers
    ):
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        with contextlib.suppress(OSError):
            log_file.chmod(0o600)
