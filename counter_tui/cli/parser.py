"""The command line: global options, the one list of command groups, and ``main``.

Each group module (``start``, ``counter``, ``lookups``, ``centre``) adds its own
subcommands in its ``register``; :data:`COMMANDS` is the one place a new group is
listed. A command returns its exit code, or raises :class:`~counter_tui.cli.voice.Exit`
after saying why not.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from counter_tui.cli import centre, counter, lookups, start
from counter_tui.cli.voice import Exit, choose
from counter_tui.command_edges import add_version_option, run_needing_extras, run_quietly

# The command groups, in the order ``--help`` lists them.
COMMANDS: tuple[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None], ...] = (
    start.register,
    counter.register,
    lookups.register,
    centre.register,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="counter-tui", description="Một cửa: quầy tiếp nhận")
    parser.add_argument(
        "--lang",
        choices=["vi", "en"],
        default=None,
        help="language of the screens and messages (default: settings, vi)",
    )
    parser.add_argument("--config", help="settings file (default: the platform config folder)")
    add_version_option(parser)
    parser.set_defaults(func=start.app)
    sub = parser.add_subparsers(dest="command")
    for register in COMMANDS:
        register(sub)
    return parser


def _lang_first(argv: list[str]) -> list[str]:
    """``--lang X`` may come anywhere (``counter-tui demo --lang en``): it is a global
    option, so it is moved before the command for the parser."""
    out: list[str] = []
    lang: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--lang" and i + 1 < len(argv):
            lang = ["--lang", argv[i + 1]]
            i += 2
        elif argv[i].startswith("--lang="):
            lang = [argv[i]]
            i += 1
        else:
            out.append(argv[i])
            i += 1
    return lang + out


def main(argv: list[str] | None = None) -> int:
    return run_quietly(lambda: _main(argv))


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(_lang_first(list(sys.argv[1:] if argv is None else argv)))
    choose(args.lang)
    try:
        return run_needing_extras(lambda: int(args.func(args)), args.lang)
    except Exit as stop:
        return stop.code
