"""The ``serve`` command of ``counter-tui``: its arguments, its checks, and the server's start.

Kept apart from the CLI's parser module so that the parser only names it; textual-serve
and aiohttp are imported when the command runs, never by the terminal app.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_PORT = 8470


def add_serve_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``counter-tui serve``: register the command on the CLI's subparsers."""
    p = sub.add_parser(
        "serve", help="run the app in this PC's browser (on 127.0.0.1, one tab per counter)"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="port on 127.0.0.1")
    p.add_argument(
        "--no-browser", action="store_true", help="do not open the browser (open the URL shown)"
    )
    p.set_defaults(func=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    from counter_tui.settings import SettingsError, load_settings
    from counter_tui.ui.i18n import set_language, tr
    from counter_tui.usecases.setup import needs_setup

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(exc.text(args.lang or "vi"), file=sys.stderr)
        return 2
    set_language(args.lang or settings.language)
    if needs_setup(settings):
        # The setup screen writes the settings file and then starts the counter in the same
        # process: two apps in turn, which one browser tab's session cannot carry.
        print(
            tr(
                "Chưa cấu hình cơ quan: chạy `counter-tui` một lần trong cửa sổ lệnh để cấu hình, "
                "rồi chạy lại `counter-tui serve`.",
                "The office is not set up yet: run `counter-tui` once in a terminal to set it "
                "up, then `counter-tui serve` again.",
            ),
            file=sys.stderr,
        )
        return 2
    from counter_tui.web.server import CounterServer, config_path, port_in_use_text

    server = CounterServer(
        port=args.port,
        lang=args.lang,
        config=config_path(args.config),
        title=f"counter-tui · {settings.office_name} · {settings.counter}",
        open_browser=not args.no_browser,
    )
    try:
        server.serve()
    except OSError as exc:  # the port is taken: aiohttp fails to bind
        print(port_in_use_text(args.port), f"({exc})", file=sys.stderr)
        return 2
    return 0
