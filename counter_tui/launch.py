"""Wiring: settings -> store, catalog, calendar, desk, sync engine -> the app's services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from counter_tui.settings import Settings
from counter_tui.usecases.services import Opening

if TYPE_CHECKING:  # imported in the opening thread, not before the first screen (issue 16.3)
    from counter_tui.domain.catalog import Catalog
    from counter_tui.store.local import LocalStore
    from counter_tui.usecases.services import Services


def local_now() -> datetime:
    from counter_tui.usecases.desk import local_now

    return local_now()


def load_catalog_cached(store: LocalStore) -> Catalog:
    """The catalog last pulled from the centre, else the one shipped in config/."""
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.catalog import catalog_from_dict, load_catalog

    procs, etag = store.catalog.cached()
    if procs and etag:
        try:
            return catalog_from_dict({"procedures": procs}, path="(cache)")
        except ValueError:
            pass
    return load_catalog(catalog_path())


def open_store(settings: Settings, path: Path, **options) -> LocalStore:
    """The cache at ``path``, decrypted with the keyring's key when the settings ask for it."""
    from counter_tui.store.local import LocalStore

    if settings.encrypt_cache:
        from counter_tui.keystore import cache_cipher

        options["cipher"] = cache_cipher(path)
    return LocalStore(path, **options)


def start_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = local_now,
    data: Path | None = None,
    start_sync: bool = True,
) -> Opening:
    """The services to open behind the first screen (the app starts the opening).

    A key map that names an unknown action stops the start here, as before."""
    if settings.keys:
        from counter_tui.ui.keys import check_keys

        check_keys(settings.keys, settings.source)
    return Opening(
        settings,
        lambda: make_services(settings, clock=clock, data=data, start_sync=start_sync),
    )


def make_services(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = local_now,
    data: Path | None = None,
    start_sync: bool = True,
) -> Services:
    from counter_tui.config_files import (
        boundary_list_path,
        code_schemes_path,
        holidays_path,
    )
    from counter_tui.domain.boundary import load_boundary_list
    from counter_tui.domain.calendar import load_calendar
    from counter_tui.domain.code_schemes import load_code_schemes
    from counter_tui.store.paths import data_dir
    from counter_tui.usecases.desk import Desk, Identity
    from counter_tui.usecases.services import Services

    if settings.keys:  # only then is the UI's list of bindings needed (and Textual imported)
        from counter_tui.ui.keys import check_keys

        check_keys(settings.keys, settings.source)
    # The phone and name indexes are built once the first screen is up (CounterApp.on_ready).
    store = open_store(settings, data or data_dir(settings.data_dir or None), build_indexes=False)
    try:
        catalog = load_catalog_cached(store)
        calendar = load_calendar(holidays_path(), settings.sessions)
        identity = Identity(
            settings.office,
            settings.office_name,
            settings.counter,
            settings.slot,
            settings.clerk,
            book=settings.book,
        )
        desk = Desk(
            store,
            catalog,
            calendar,
            identity,
            clock=clock,
            code_schemes=load_code_schemes(code_schemes_path()),
            boundary=load_boundary_list(boundary_list_path()),
        )
        # A province's slip templates are checked now, before a clerk needs one: a typo
        # stops the start with the file and the block named, not a receipt mid-queue.
        from counter_tui.slips import registry

        registry(settings.slip_templates)
        engine = None
        uploader = None
        if not settings.standalone:
            from counter_tui.sync.client import CentralClient, tls_context
            from counter_tui.sync.engine import SyncEngine

            client = CentralClient(
                settings.central_url,
                settings.central_token,
                verify=tls_context(settings.ca_file) if settings.verify_tls else False,
            )
            engine = SyncEngine(
                store,
                client,
                catalog=catalog,
                calendar=desk.calendar,
                interval=settings.sync_interval_s,
                on_holidays=desk.use_holiday_decisions,
            )
            desk.on_write = engine.notify_write
            # Scans go by their own uploader and client, so a 20 MB file never holds up
            # a push of operations; it is woken when a change adds files.
            from counter_tui.sync.files import FileUploader

            uploader = FileUploader(
                store.files,
                CentralClient(
                    settings.central_url,
                    settings.central_token,
                    verify=tls_context(settings.ca_file) if settings.verify_tls else False,
                ),
            )
            desk.on_files = uploader.notify
    except BaseException:
        store.close()
        raise
    signin = None
    if settings.sign_in:
        from counter_tui.usecases.auth import SignIn

        signin = SignIn(
            store,
            clock,
            max_failures=settings.max_pin_failures,
            lockout=timedelta(minutes=settings.lockout_minutes),
            counter=settings.counter,
        )
    return Services(
        desk=desk,
        settings=settings,
        store=store,
        sync=engine,
        uploader=uploader,
        clock=clock,
        start_sync=start_sync,
        signin=signin,
    )
