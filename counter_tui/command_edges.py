"""The edges of the ``counter-tui`` process: its version, a missing extra, a closed pipe.

Kept out of the CLI's commands so that each command stays wiring: the CLI's
``main`` hands its work to :func:`run_quietly` and :func:`run_needing_extras`,
and its parser gets ``--version`` from :func:`add_version_option`. What these
print is for an operator at a terminal, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Callable

from counter_tui import __version__
from counter_tui.domain.messages import Msg

# The top-level modules that only the [central] extra installs (its requirements and
# what they bring that the centre imports). tests/test_command_edges.py checks the list
# against the extra declared in pyproject.toml.
CENTRAL_MODULES = frozenset(
    {"fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "pydantic"}
)


def version_text() -> str:
    return f"counter-tui {__version__}"


def add_version_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=version_text())


def missing_extra(exc: ModuleNotFoundError) -> Msg | None:
    """What to tell the operator when ``exc`` means the [central] extra is not installed."""
    top = (exc.name or "").partition(".")[0]
    # A submodule missing from an installed package is a broken install, not this.
    if top not in CENTRAL_MODULES or importlib.util.find_spec(top) is not None:
        return None
    return Msg(
        f"Lệnh này cần phần cài thêm [central] (thiếu mô-đun {top!r}). Cài đặt: "
        'pip install "counter-tui[central]" (từ thư mục mã nguồn: pip install -e ".[central]").',
        f"This command needs the [central] extra (the module {top!r} is missing). Install "
        'it: pip install "counter-tui[central]" (from a source folder: pip install -e ".[central]").',
    )


def run_needing_extras(command: Callable[[], int], lang: str | None) -> int:
    """Run ``command``; a module of a missing extra ends it with a message, exit code 1."""
    try:
        return command()
    except ModuleNotFoundError as exc:
        msg = missing_extra(exc)
        if msg is None:
            raise
        print(msg.text(lang or "vi"), file=sys.stderr)
        return 1


def run_quietly(main: Callable[[], int]) -> int:
    """Run ``main``; if the reader of its output went away (``| head``), exit quietly.

    Python's own advice (the ``signal`` module's notes on SIGPIPE): point stdout at
    the null device so the flush at exit cannot fail again, and exit with 1. (The
    network layers wrap a socket's broken pipe in their own errors, so one that
    reaches here is the output's.)
    """
    try:
        code = main()
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
