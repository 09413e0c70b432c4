"""The ``counter-tui`` command: wiring only, each subcommand calls into the layers."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counter_tui.config_files import catalog_path
from counter_tui.web.command import add_serve_command

if TYPE_CHECKING:  # imported lazily at run time: each command loads only what it needs
    from counter_tui.settings import Settings
    from counter_tui.store.local import LocalStore


def _cmd_id(args: argparse.Namespace) -> int:
    from counter_tui.domain.citizen_id import (
        CitizenId,
        IdError,
        looks_like_card_qr,
        parse_any_id,
        parse_card_qr,
    )

    today = date.today()
    text = " ".join(args.value)
    try:
        if looks_like_card_qr(text):
            rec = parse_card_qr(text, today=today)
            print(f"Số CCCD:   {rec.citizen_id.number}")
            print(f"Họ tên:    {rec.full_name}")
            print(f"Ngày sinh: {rec.birth_date:%d/%m/%Y}  Giới tính: {rec.gender.vi}")
            print(f"Địa chỉ:   {rec.address}")
            for problem in rec.check.values():
                print(f"Kiểm tra:  {problem.text(args.lang or 'vi')}")
            return 0
        parsed = parse_any_id(text, today=today)
    except IdError as exc:
        print(exc.text(args.lang or "vi"), file=sys.stderr)
        return 2
    if isinstance(parsed, CitizenId):
        print(f"Số CCCD:      {parsed.number}")
        print(parsed.birth_registration.text(args.lang or "vi"))
        print(f"Giới tính:    {parsed.gender.vi}")
        print(f"Năm sinh:     {parsed.birth_year}")
    else:
        print(f"Số CMND cũ (9 số): {parsed.number}")
    return 0


def _cmd_catalog(args: argparse.Namespace) -> int:
    from counter_tui.domain.catalog import CatalogError, load_catalog

    try:
        catalog = load_catalog(args.file or catalog_path())
    except CatalogError as exc:
        print(exc.text(args.lang or "vi"), file=sys.stderr)
        return 2
    on = date.today()
    for hit in catalog.search(" ".join(args.query), on, limit=args.limit):
        p = hit.procedure
        print(f"{p.code:10} {p.name}  [{p.field}; {p.processing.describe()}]")
    return 0


def _central_db(args: argparse.Namespace):
    from counter_tui.central.db import CentralDB

    return CentralDB(args.db)


def _cmd_central(args: argparse.Namespace) -> int:
    action = args.central_action or "serve"
    if action == "serve":
        import logging

        import uvicorn

        from counter_tui import logs
        from counter_tui.central.app import create_app
        from counter_tui.central.serving import log_config

        if args.host not in ("127.0.0.1", "localhost", "::1") and not args.allow_remote:
            print("Refusing to listen beyond loopback without --allow-remote.", file=sys.stderr)
            return 2
        if bool(args.certfile) != bool(args.keyfile):
            print("TLS needs both --certfile and --keyfile.", file=sys.stderr)
            return 2
        if args.host not in ("127.0.0.1", "localhost", "::1") and not args.certfile:
            print(
                "warning: serving plain HTTP beyond loopback; counters refuse it unless their "
                "settings say allow_plain_http (use --certfile/--keyfile).",
                file=sys.stderr,
            )
        from counter_tui.central.engines import display, is_postgres
        from counter_tui.central.filestore import FilesFolderRequired, files_folder

        try:
            files = files_folder(args.db, args.files)
        except FilesFolderRequired as exc:
            print(str(exc), file=sys.stderr)
            return 2
        if args.workers > 1 and not is_postgres(args.db):
            print(
                "Several workers need PostgreSQL (--db postgresql://...): a SQLite file takes "
                "one writer at a time, so one worker serves it best.",
                file=sys.stderr,
            )
            return 2
        logs.install_masking()
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        scheme = "https" if args.certfile else "http"
        where = f"{scheme}://{args.host}:{args.port} (db {display(args.db)}, files {files})"
        common: dict[str, Any] = {
            "host": args.host,
            "port": args.port,
            "log_level": args.log_level,
            "access_log": args.access_log,
            "log_config": log_config(args.log_level),
            "ssl_certfile": args.certfile or None,
            "ssl_keyfile": args.keyfile or None,
        }
        if args.workers > 1:
            import os

            from counter_tui.central.app import DB_ENV, FILES_ENV, FILES_MAX_ENV
            from counter_tui.central.db import CentralDB

            CentralDB(args.db).close()  # migrated once, here, before the workers start
            os.environ[DB_ENV] = args.db
            os.environ[FILES_ENV] = str(files)
            os.environ[FILES_MAX_ENV] = str(args.files_max_mb)
            print(f"central service on {where}, {args.workers} workers", flush=True)
            uvicorn.run(
                "counter_tui.central.app:app_from_env",
                factory=True,
                workers=args.workers,
                **common,
            )
            return 0
        app = create_app(args.db, files_dir=files, files_max_mb=args.files_max_mb)
        print(f"central service on {where}", flush=True)
        uvicorn.run(app, **common)
        return 0
    if action == "copy":
        from counter_tui.central.copy import CopyRefused, copy_centre
        from counter_tui.central.db import CentralDB
        from counter_tui.central.engines import display

        source, target = CentralDB(args.source), CentralDB(args.to)
        try:
            got = copy_centre(source, target)
        except CopyRefused as exc:
            print(f"not copied: {exc}", file=sys.stderr)
            return 1
        finally:
            source.close()
            target.close()
        print(f"copied {display(args.source)} to {display(args.to)}, verified:")
        for key, value in got.items():
            print(f"  {key}: {value}")
        return 0
    db = _central_db(args)
    if action == "migrate":
        from counter_tui.central import migrate
        from counter_tui.central.engines import display

        print(f"{display(args.db)}: schema at revision {migrate.current(db.engine)} (current)")
    elif action == "add-office":
        db.add_office(args.code, args.name)
        print(f"office {args.code}: {args.name}")
    elif action == "add-counter":
        client, token = db.add_client(
            args.office,
            args.name,
            "backoffice" if args.backoffice else "counter",
            args.days or None,
        )
        kind = "back office" if args.backoffice else f"counter slot {client.slot}"
        print(f"{kind} id {client.id} '{client.name}' of {client.office}")
        print(f"token (shown once, store it in the counter's config): {token}")
    elif action == "rotate":
        print(
            f"new token (the old one stops working now): {db.rotate_token(args.id, args.days or None)}"
        )
    elif action == "revoke":
        db.revoke(args.id)
        print(f"revoked client {args.id}")
    elif action == "list":
        import time as _time

        for c in db.clients():
            state = "revoked" if c["revoked"] else "active"
            if not c["revoked"] and c["expires_at"] and c["expires_at"] < _time.time():
                state = "expired"
            until = (
                _time.strftime("%Y-%m-%d", _time.localtime(c["expires_at"]))
                if c["expires_at"]
                else "never"
            )
            print(
                f"{c['id']:4} {c['office']:16} {c['role']:10} slot {c['slot']!s:4} "
                f"{c['name']:20} last_seq {c['last_seq']} {state} (expires {until})"
            )
    elif action == "add-clerk":
        from counter_tui.usecases.auth import SignInError, hash_pin

        pin = _read_pin(args.pin_stdin)
        try:
            db.set_clerk(args.office, args.username.strip().lower(), args.name, hash_pin(pin))
        except SignInError as exc:
            print(exc.text("vi"), file=sys.stderr)
            return 2
        except KeyError:
            print(f"no office {args.office}", file=sys.stderr)
            return 2
        print(f"clerk {args.username} of {args.office}: PIN set (stored as an argon2 hash)")
    elif action == "disable-clerk":
        try:
            db.disable_clerk(args.office, args.username.strip().lower())
        except KeyError:
            print(f"no clerk {args.username} in {args.office}", file=sys.stderr)
            return 2
        print(f"clerk {args.username} disabled (counters drop the account at their next sync)")
    elif action == "audit":
        return _central_audit(args, db)
    elif action == "holidays":
        return _central_holidays(args, db)
    return 0


def _central_holidays(args: argparse.Namespace, db: Any) -> int:
    """``central holidays list [--year Y]``, ``add KIND DATE --source S [--reason R] [--last D]
    [--year Y]`` and ``remove KIND DATE|YEAR``: the decisions counters get with the catalog."""
    from datetime import date

    from counter_tui.central.holidays import entry_row
    from counter_tui.domain.messages import DomainError

    if args.holidays_action == "list":
        rows = db.holiday_rows(args.year)
        for r in rows:
            span = f"{r['day']}..{r['last']} (Tết {r['year']})" if r["kind"] == "tet" else r["day"]
            print(f"{r['kind']:4} {span:34} {r['reason']} [nguồn: {r['source']}]")
        if not rows:
            print("no decisions" + (f" for {args.year}" if args.year else ""))
        return 0
    if args.holidays_action == "remove":
        gone = db.remove_holiday(args.kind, args.day)
        if not gone:
            print(f"no '{args.kind}' decision for {args.day}", file=sys.stderr)
            return 2
        print(f"removed {args.kind} {args.day}; counters get the table at their next sync")
        return 0
    try:
        row = entry_row(
            args.kind,
            date.fromisoformat(args.day),
            last=date.fromisoformat(args.last) if args.last else None,
            year=args.year,
            reason=args.reason,
            source=args.source,
        )
        db.add_holiday(row)
    except DomainError as exc:
        print(exc.msg.vi, file=sys.stderr)
        return 2
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"{args.kind} {row['day']}: added; counters get the table at their next sync")
    return 0


def _central_audit(args: argparse.Namespace, db: Any) -> int:
    """``central audit verify [--against EXPORT]`` and ``central audit export --out FILE``."""
    import json
    import os
    import time as _time

    checked, problem = db.verify_audit()
    if problem:
        print(f"AUDIT CHAIN BROKEN after {checked} good entries: {problem}")
        return 1
    head = db.audit_head()
    if args.action == "export":
        if not args.out:
            print("export needs --out FILE (keep it away from this server)", file=sys.stderr)
            return 2
        record = {
            "exported_at": _time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "centre": {"entries": checked, "head": head},
            "counters": db.latest_anchors(),
        }
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        print(f"audit heads exported to {args.out}: centre {checked} entries, head {head}")
        return 0
    print(f"audit chain intact: {checked} entries; head {head}")
    if args.against:
        kept = json.loads(Path(args.against).read_text(encoding="utf-8"))["centre"]
        n, was = int(kept["entries"]), str(kept["head"])
        if n > checked:
            print(f"AUDIT CHAIN SHORTER THAN EXPORTED: {n} entries then, {checked} now")
            return 1
        if n and db.audit_entry_hash(n) != was:
            print(f"AUDIT CHAIN REWRITTEN: entry {n} differs from the exported head")
            return 1
        print(f"extends the exported head ({n} entries)")
    return 0


def _read_pin(from_stdin: bool) -> str:
    """A PIN typed twice without echo, or one line on stdin (for scripts: --pin-stdin, or
    any stdin that is not a terminal, where there is nobody to ask twice)."""
    if from_stdin or not sys.stdin.isatty():
        pin = sys.stdin.readline().rstrip("\r\n")
        if not pin:
            print("no PIN on stdin (one line expected)", file=sys.stderr)
            raise SystemExit(2)
        return pin
    import getpass

    try:
        first = getpass.getpass("PIN: ")
        again = getpass.getpass("PIN again: ")
    except (EOFError, KeyboardInterrupt):
        print("\nno PIN given", file=sys.stderr)
        raise SystemExit(2) from None
    if again != first:
        print("the two PINs differ", file=sys.stderr)
        raise SystemExit(2)
    return first


def _settings(args: argparse.Namespace):
    """The settings named by --config (or the default file), or None after saying why not."""
    from counter_tui.settings import SettingsError, load_settings

    try:
        return load_settings(args.config)
    except SettingsError as exc:
        print(exc.text(args.lang or "vi"), file=sys.stderr)
        return None


def _first_run(args: argparse.Namespace, settings):
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
        print(
            "chưa cấu hình cơ quan, không lưu gì / office not configured, nothing saved",
            file=sys.stderr,
        )
        return None
    if args.lang:
        written.language = args.lang
    return written


def _cmd_app(args: argparse.Namespace) -> int:
    from counter_tui.domain.messages import DomainError

    settings = _settings(args)
    if settings is None:
        return 2
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
        print(exc.msg.text(settings.language), file=sys.stderr)
        return 2
    settings = _first_run(args, settings)
    if settings is None:
        return 1
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
        print(exc.msg.text(settings.language), file=sys.stderr)
        return 2
    try:
        build_app(opening).run()
    finally:
        opening.close()
    failure = opening.failure
    if failure is None:
        return 0
    if opening.error is not None:
        print(opening.error.text(settings.language), file=sys.stderr)
    from counter_tui.store.engine import StoreError
    from counter_tui.store.lock import StoreLockedError

    if isinstance(failure, StoreLockedError):
        return 3
    return 2 if isinstance(failure, StoreError | DomainError) else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from counter_tui.demo import run_demo

    if args.lang:
        from counter_tui.ui.i18n import set_language

        set_language(args.lang)
    return run_demo(keep=args.keep, n=args.dossiers, language=args.lang or "vi")


def _cmd_audit(args: argparse.Namespace) -> int:
    from counter_tui.domain.messages import DomainError
    from counter_tui.launch import open_store
    from counter_tui.store.engine import StoreError
    from counter_tui.store.lock import StoreLockedError
    from counter_tui.store.paths import data_dir

    settings = _settings(args)
    if settings is None:
        return 2
    path = Path(args.data) if args.data else data_dir(settings.data_dir or None)
    try:
        store = open_store(settings, path, background=False, build_indexes=False)
    except StoreLockedError as exc:
        print(exc.msg.text(args.lang or "vi"), file=sys.stderr)
        return 3
    except (StoreError, DomainError) as exc:
        print(exc.msg.text(args.lang or "vi"), file=sys.stderr)
        return 2
    try:
        checked, problem = store.verify_audit()
        entries = store.audit_entries()
    finally:
        store.abandon()  # read-only check: no checkpoint
    if problem:
        print(f"AUDIT CHAIN BROKEN after {checked} good entries: {problem}")
        return 1
    print(f"audit chain intact: {checked} entries")
    if args.offline or not (settings.central_url and settings.central_token):
        print("not checked against the central service (no service configured, or --offline)")
        return 0
    from counter_tui.sync.client import CentralClient, tls_context

    client = CentralClient(
        settings.central_url,
        settings.central_token,
        verify=tls_context(settings.ca_file) if settings.verify_tls else False,
    )
    try:
        anchors = client.audit_anchors()
    except Exception as exc:
        print(f"could not check against the central service: {type(exc).__name__}: {exc}")
        return 4
    finally:
        client.close()
    problem = against_anchors(entries, anchors)
    if problem:
        print(f"AUDIT CHAIN DOES NOT MATCH THE CENTRAL SERVICE: {problem}")
        return 1
    print(f"matches the {len(anchors)} heads the central service kept")
    return 0


def against_anchors(entries: list[dict[str, Any]], anchors: list[dict[str, Any]]) -> str | None:
    """Compare the counter's chain with the heads the centre kept from its pushes: a chain
    cut short (its stored head rewritten to match) or rewritten shows here."""
    for a in anchors:
        seq, head = int(a["seq"]), str(a["head"])
        if seq > len(entries):
            return (
                f"the central service saw {seq} entries (head {head[:12]}…), "
                f"this PC has {len(entries)}: entries were removed"
            )
        if entries[seq - 1].get("hash") != head:
            return f"entry {seq} is not the one the central service saw: the log was rewritten"
    return None


def _cmd_clerk(args: argparse.Namespace) -> int:
    """A clerk account on this PC only: for a standalone counter that never syncs."""
    from counter_tui.domain.messages import DomainError
    from counter_tui.launch import open_store
    from counter_tui.store.engine import StoreError
    from counter_tui.store.lock import StoreLockedError
    from counter_tui.store.paths import data_dir
    from counter_tui.usecases.auth import SignInError, hash_pin

    settings = _settings(args)
    if settings is None:
        return 2
    if args.action == "unlock":
        return _clerk_unlock(args, settings)
    if not args.name:
        print("clerk add: --name is required", file=sys.stderr)
        return 2
    pin = _read_pin(args.pin_stdin)
    path = Path(args.data) if args.data else data_dir(settings.data_dir or None)
    try:
        pin_hash = hash_pin(pin)
        store = open_store(settings, path, build_indexes=False)
    except SignInError as exc:
        print(exc.text(args.lang or "vi"), file=sys.stderr)
        return 2
    except (StoreError, DomainError) as exc:
        print(exc.msg.text(args.lang or "vi"), file=sys.stderr)
        return 2
    except StoreLockedError as exc:
        print(exc.msg.text(args.lang or "vi"), file=sys.stderr)
        return 3
    try:
        username = args.username.strip().lower()
        store.set_local_clerk(
            {"username": username, "name": args.name, "pin_hash": pin_hash, "active": 1}
        )
        store.audit({"actor": "operator", "action": "clerk.set_local", "target": username})
    finally:
        store.close()
    print(f"clerk {username}: PIN set on this PC (argon2 hash)")
    return 0


def _clerk_unlock(args: argparse.Namespace, settings) -> int:
    """Forget a clerk's failed PIN attempts and lockout on this PC (an operator's reset)."""
    from datetime import datetime

    from counter_tui.usecases.auth import SignIn

    store = _open_cli_store(args, settings)
    if isinstance(store, int):
        return store
    try:
        done = SignIn(store, datetime.now, counter=settings.counter).unlock(args.username)
    finally:
        store.close()
    print(f"clerk {args.username}: " + ("unlocked" if done else "no failed attempts recorded"))
    return 0


def _open_cli_store(args: argparse.Namespace, settings: Settings) -> LocalStore | int:
    """The counter's cache for an operator command, or the exit code after saying why not
    (3: the app has it open; 2: it cannot be opened, a missing key say)."""
    from counter_tui.domain.messages import DomainError
    from counter_tui.launch import open_store
    from counter_tui.store.engine import StoreError
    from counter_tui.store.lock import StoreLockedError
    from counter_tui.store.paths import data_dir

    path = Path(args.data) if args.data else data_dir(settings.data_dir or None)
    try:
        return open_store(settings, path, build_indexes=False)
    except StoreLockedError as exc:  # the app is running: close it first
        print(exc.msg.text(args.lang or "vi"), file=sys.stderr)
        return 3
    except (StoreError, DomainError) as exc:
        print(exc.msg.text(args.lang or "vi"), file=sys.stderr)
        return 2


def _cmd_sync(args: argparse.Namespace) -> int:
    """``sync repair``: close an outbox gap the centre cannot (the F5 state ``gap``)."""
    from counter_tui.sync.client import CentralClient, SyncError, tls_context
    from counter_tui.sync.repair import plan_gap_repair, ranges, repair_gap

    settings = _settings(args)
    if settings is None:
        return 2
    if settings.standalone:
        print("standalone counter: nothing is synced, nothing to repair", file=sys.stderr)
        return 2
    store = _open_cli_store(args, settings)
    if isinstance(store, int):
        return store
    verify = tls_context(settings.ca_file) if settings.verify_tls else False
    client = CentralClient(settings.central_url, settings.central_token, verify=verify)
    try:
        plan = plan_gap_repair(store, client)
        print(
            f"centre has operations up to {plan.centre_last}; this counter numbered up to "
            f"{plan.local_last}, holds {plan.held} after {plan.centre_last}"
        )
        if plan.ahead:
            print(
                "the centre has numbers this counter never gave (a cloned PC or an old "
                "backup?): not a gap, nothing changed; see docs/sync-protocol.md, seq_reused"
            )
            return 1
        if not plan.needed:
            print("no gap: nothing to repair")
            return 0
        print(f"LOST (not at the centre, not on this PC): operations {ranges(plan.missing)}")
        print(f"the {plan.held} operations held will be numbered from {plan.centre_last + 1}")
        if not args.yes and input("type REPAIR to go ahead: ").strip() != "REPAIR":
            print("nothing changed")
            return 1
        moved = repair_gap(store, plan)
        print(
            f"repaired: {len(moved)} operations renumbered, {len(plan.missing)} recorded "
            "as lost in the audit log; start the app to send the rest"
        )
        return 0
    except SyncError as exc:
        print(f"cannot ask the centre: {exc}", file=sys.stderr)
        return 2
    finally:
        client.close()
        store.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="counter-tui", description="Một cửa: quầy tiếp nhận")
    parser.add_argument(
        "--lang",
        choices=["vi", "en"],
        default=None,
        help="language of the screens and messages (default: settings, vi)",
    )
    parser.add_argument("--config", help="settings file (default: the platform config folder)")
    parser.set_defaults(func=_cmd_app)
    sub = parser.add_subparsers(dest="command")
    p_demo = sub.add_parser(
        "demo", help="bundled central service with demo data, app as counter Q1"
    )
    p_demo.add_argument("--keep", metavar="DIR", help="keep the demo data in DIR")
    p_demo.add_argument("--dossiers", type=int, default=300)
    p_demo.set_defaults(func=_cmd_demo)
    add_serve_command(sub)
    p_audit = sub.add_parser("audit", help="check the local audit log's hash chain")
    p_audit.add_argument("action", choices=["verify"])
    p_audit.add_argument("--data", help="data directory (default: the settings')")
    p_audit.add_argument(
        "--offline", action="store_true", help="do not check against the central service"
    )
    p_audit.set_defaults(func=_cmd_audit)
    p_ck = sub.add_parser(
        "clerk",
        help="add a clerk account on this PC (standalone), or unlock one after PIN failures",
    )
    p_ck.add_argument("action", choices=["add", "unlock"])
    p_ck.add_argument("username")
    p_ck.add_argument("--name", help="the clerk's full name (add)")
    p_ck.add_argument("--data", help="data directory (default: the settings')")
    p_ck.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    p_ck.set_defaults(func=_cmd_clerk)
    p_sync = sub.add_parser("sync", help="operator repairs of this counter's sync")
    p_sync.add_argument("action", choices=["repair"])
    p_sync.add_argument("--data", help="data directory (default: the settings')")
    p_sync.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p_sync.set_defaults(func=_cmd_sync)
    p_id = sub.add_parser("id", help="decode a citizen ID or a card QR payload")
    p_id.add_argument("value", nargs="+")
    p_id.set_defaults(func=_cmd_id)
    p_cat = sub.add_parser("catalog", help="search the procedure catalog")
    p_cat.add_argument("query", nargs="*")
    p_cat.add_argument("--file")
    p_cat.add_argument("--limit", type=int, default=20)
    p_cat.set_defaults(func=_cmd_catalog)

    p_c = sub.add_parser("central", help="the reference central service and its operator commands")
    p_c.add_argument(
        "--db",
        default="central.sqlite3",
        help="a SQLite database file (the default) or a postgresql://user@host/db URL",
    )
    p_c.set_defaults(
        func=_cmd_central,
        central_action=None,
        host="127.0.0.1",
        port=8765,
        allow_remote=False,
        log_level="warning",
        access_log=False,
        certfile="",
        keyfile="",
        workers=1,
        files=None,
        files_max_mb=20.0,
    )
    csub = p_c.add_subparsers(dest="central_action")
    p_serve = csub.add_parser("serve", help="run the service (the default)")
    for p in (p_c, p_serve):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8765)
        p.add_argument("--allow-remote", action="store_true")
        p.add_argument("--log-level", default="warning")
        p.add_argument("--access-log", action="store_true", help="log each request (IDs masked)")
        p.add_argument("--certfile", default="", help="serve TLS with this certificate (PEM)")
        p.add_argument("--keyfile", default="", help="the certificate's private key (PEM)")
        p.add_argument(
            "--workers", type=int, default=1, help="worker processes (PostgreSQL only, >1)"
        )
        # SUPPRESS: ``central --files D serve`` keeps D (a subcommand's default would win).
        p.add_argument(
            "--files",
            default=argparse.SUPPRESS,
            help="folder for scanned files (default: beside the SQLite file, NAME-files; "
            "required with PostgreSQL)",
        )
        p.add_argument(
            "--files-max-mb",
            type=float,
            default=argparse.SUPPRESS,
            help="largest file accepted, in MiB (default 20)",
        )
    csub.add_parser("migrate", help="bring the database to the current schema (safe to repeat)")
    p_copy = csub.add_parser("copy", help="copy a centre into a new database, then verify it")
    p_copy.add_argument("--from", dest="source", required=True, help="file path or URL")
    p_copy.add_argument("--to", required=True, help="a new database: postgresql://... or a file")
    p_off = csub.add_parser("add-office", help="register an office by its agency code")
    p_off.add_argument("code")
    p_off.add_argument("name")
    p_cnt = csub.add_parser("add-counter", help="register a counter and print its token")
    p_cnt.add_argument("office")
    p_cnt.add_argument("name")
    p_cnt.add_argument("--backoffice", action="store_true", help="a back-office user instead")
    p_rot = csub.add_parser("rotate", help="issue a new token for a client")
    p_rot.add_argument("id", type=int)
    for p in (p_cnt, p_rot):
        p.add_argument("--days", type=float, default=365, help="token lifetime (0: no expiry)")
    p_rev = csub.add_parser("revoke", help="revoke a client's token")
    p_rev.add_argument("id", type=int)
    csub.add_parser("list", help="list counters and back-office users")
    p_clerk = csub.add_parser("add-clerk", help="add a clerk or set their PIN (asked twice)")
    p_clerk.add_argument("office")
    p_clerk.add_argument("username")
    p_clerk.add_argument("--name", required=True, help="full name shown at the counter")
    p_clerk.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    p_dis = csub.add_parser("disable-clerk", help="stop a clerk signing in anywhere")
    p_dis.add_argument("office")
    p_dis.add_argument("username")
    p_hol = csub.add_parser(
        "holidays", help="decided days off / make-up working days (sent to counters)"
    )
    hsub = p_hol.add_subparsers(dest="holidays_action", required=True)
    p_hl = hsub.add_parser("list", help="the table, by date")
    p_hl.add_argument("--year", type=int)
    p_ha = hsub.add_parser("add", help="add (or replace) a decision, with its source")
    p_ha.add_argument("kind", choices=["off", "work", "tet"])
    p_ha.add_argument("day", help="the date (YYYY-MM-DD); for tet the break's first day")
    p_ha.add_argument("--source", required=True, help="the decision: document number, body")
    p_ha.add_argument("--reason", default="", help="what the day is (shown to clerks)")
    p_ha.add_argument("--last", help="tet only: the break's last day")
    p_ha.add_argument("--year", type=int, help="tet only: the lunar year (default: the date's)")
    p_hr = hsub.add_parser("remove", help="remove a decision")
    p_hr.add_argument("kind", choices=["off", "work", "tet"])
    p_hr.add_argument("day", help="the date; for tet the year or the first day")
    p_aud = csub.add_parser("audit", help="verify the central audit log's hash chain")
    p_aud.add_argument("action", choices=["verify", "export"])
    p_aud.add_argument("--against", help="an earlier export: the chain must extend its head")
    p_aud.add_argument("--out", help="where export writes the heads (keep it elsewhere)")
    return parser


def _lang_first(argv: list[str]) -> list[str]:
    """``--lang X`` may come anywhere (``counter-tui demo --lang en``): it is a global
    option, so it is moved before the command for the parser."""
    out, lang, i = [], [], 0
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
    parser = build_parser()
    args = parser.parse_args(_lang_first(list(sys.argv[1:] if argv is None else argv)))
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
