"""Starting the app: ``counter-tui`` itself (the counter, after the setup screen on a first
run) and ``counter-tui demo``. This is wiring: it builds the services and the Textual app,
so it is the one CLI module that imports the screens (``tests/cli/test_layers.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from counter_tui.cli.voice import settings_language, tr, warn
from counter_tui.cli.wiring import load_settings
from counter_tui.web.command import add_serve_command

if TYPE_CHECKING:
    from counter_tui.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p_demo = sub.add_parser(
        "demo", help="bundled central service with demo data, app as counter Q1"
    )
    p_demo.add_argument("--keep", metavar="DIR", help="keep the demo data in DIR")
    p_demo.add_argument("--dossiers", type=int, default=300)
    p_demo.set_defaults(func=demo)
    add_serve_command(sub)


def _first_run(args: argparse.Namespace, settings: Settings) -> Settings | None:
    """With the office still the example one, the setup screen first: it writes the settings
    file (``--config`` or the platform's) and the counter then starts from what it wrote.
    None: the operator left without saving."""
    from counter_tui.settings import default_path
    from counter_tui.usecases.setup import needs_setup

    if not needs_setup(settings):
        return settings
    from counter_tui.ui.screens.setup import SetupApp

    path = Path(args.config) if args.config else default_path()
    written = SetupApp(settings, path).run()
    if written is None:
        warn(
            tr(
                "chưa cấu hình cơ quan, không lưu gì",
                "office not configured, nothing saved",
            )
        )
        return None
    if args.lang:
        written.language = args.lang
    return written


def app(args: argparse.Namespace) -> int:
    """The counter app (the command with no subcommand): 2 if it cannot start (settings,
    slip templates, key map, a cache it cannot open), 3 if another app has the cache."""
    from counter_tui.domain.messages import DomainError

    settings = load_settings(args)
    if args.lang:
        settings.language = args.lang
    from counter_tui.ui.i18n import set_language

    set_language(settings.language)
    # A province's broken slip template stops the start before the setup screen asks
    # anything (the same check runs again when the services are built).
    from counter_tui.slips import registry

    try:
        registry(settings.slip_templates)
    except DomainError as exc:
        warn(exc)
        return 2
    first = _first_run(args, settings)
    if first is None:
        return 1
    settings = first
    settings_language(settings.language)  # the setup screen may have chosen it
    from counter_tui import logs
    from counter_tui.launch import start_services
    from counter_tui.store.paths import data_dir
    from counter_tui.ui.app import build_app

    logs.register_secret(settings.central_token)
    logs.configure(data_dir(settings.data_dir or None) / "logs" / "counter-tui.log")
    # The store opens behind the first screen; a store that cannot be opened is said
    # on it (the clerk quits with Ctrl+Q), and again here with the exit code.
    try:
        opening = start_services(settings)
    except DomainError as exc:  # a [keys] entry that names no action
        warn(exc)
        return 2
    try:
        build_app(opening).run()
    finally:
        opening.close()
    failure = opening.failure
    if failure is None:
        return 0
    if opening.error is not None:
        warn(opening.error)
    from counter_tui.store.engine.core import StoreError
    from counter_tui.store.engine.lock import StoreLockedError

    if isinstance(failure, StoreLockedError):
        return 3
    return 2 if isinstance(failure, StoreError | DomainError) else 1


def demo(args: argparse.Namespace) -> int:
    from counter_tui.demo import run_demo

    if args.lang:
        from counter_tui.ui.i18n import set_language

        set_language(args.lang)
    return run_demo(keep=args.keep, n=args.dossiers, language=args.lang or "vi")
