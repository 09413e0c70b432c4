"""The one place the counter's operator commands open what the use cases work on.

The settings (``--config``), the counter's cache for an operator (``--data``, with
the three ways it can fail to open said once) and the HTTP client to the central
service are built here and handed to the use cases; no other module of the CLI
imports the store or the client (``tests/cli/test_layers.py``).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from counter_tui.cli.voice import Exit, refuse, settings_language, warn

if TYPE_CHECKING:
    from counter_tui.settings import Settings
    from counter_tui.store.local import LocalStore
    from counter_tui.sync.client import CentralClient

# The exit codes an operator's script can tell apart.
LOCKED = 3  # the app (or another command) has the cache open: close it first
UNUSABLE = 2  # the cache cannot be opened (a missing key, damage the store refuses)


def load_settings(args: argparse.Namespace) -> Settings:
    """The settings named by ``--config`` (or the default file), their language chosen for
    what follows; :class:`Exit` (2) after saying why they cannot be read."""
    from counter_tui.settings import SettingsError
    from counter_tui.settings import load_settings as load

    try:
        settings = load(args.config)
    except SettingsError as exc:
        raise refuse(exc) from None
    settings_language(settings.language)
    return settings


def data_path(args: argparse.Namespace, settings: Settings) -> Path:
    """``--data``, else the settings' data folder, else the platform's."""
    from counter_tui.store.paths import data_dir

    return Path(args.data) if args.data else data_dir(settings.data_dir or None)


@contextmanager
def operator_store(
    args: argparse.Namespace, settings: Settings, *, read_only: bool = False
) -> Iterator[LocalStore]:
    """The counter's cache for an operator command, closed afterwards; ``read_only``: no
    background work and no checkpoint at the end (a check that writes nothing).

    :class:`Exit` after saying why it cannot be opened: 3 while the app has it open,
    2 when it cannot be opened at all (a missing key, say)."""
    from counter_tui.domain.messages import DomainError
    from counter_tui.launch import open_store
    from counter_tui.store.engine.core import StoreError
    from counter_tui.store.engine.lock import StoreLockedError

    options = {"background": False} if read_only else {}
    try:
        store = open_store(settings, data_path(args, settings), build_indexes=False, **options)
    except StoreLockedError as exc:  # the app is running: close it first
        warn(exc.msg)
        raise Exit(LOCKED) from None
    except (StoreError, DomainError) as exc:
        warn(exc.msg)
        raise Exit(UNUSABLE) from None
    try:
        yield store
    finally:
        if read_only:
            store.abandon()
        else:
            store.close()


@contextmanager
def central_client(settings: Settings) -> Iterator[CentralClient]:
    """The HTTP client to the settings' central service (their TLS rules), closed after."""
    from counter_tui.sync.client import CentralClient, tls_context

    verify = tls_context(settings.ca_file) if settings.verify_tls else False
    client = CentralClient(settings.central_url, settings.central_token, verify=verify)
    try:
        yield client
    finally:
        client.close()
