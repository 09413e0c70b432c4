"""The ``counter-tui`` command: wiring only, each subcommand calls into the layers."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from counter_tui.config_files import catalog_path


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
        print(f"Nơi ĐK khai sinh (tỉnh cũ): {parsed.province_code} {parsed.province_name}")
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
        logs.install_masking()
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        app = create_app(args.db)
        scheme = "https" if args.certfile else "http"
        print(f"central service on {scheme}://{args.host}:{args.port} (db {args.db})", flush=True)
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            access_log=args.access_log,
            ssl_certfile=args.certfile or None,
            ssl_keyfile=args.keyfile or None,
        )
        return 0
    db = _central_db(args)
    if action == "add-office":
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
        checked, problem = db.verify_audit()
        if problem:
            print(f"AUDIT CHAIN BROKEN after {checked} good entries: {problem}")
            return 1
        print(f"audit chain intact: {checked} entries; head {db.audit_head()}")
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


def _cmd_app(args: argparse.Namespace) -> int:
    from counter_tui.domain.messages import DomainError
    from counter_tui.store.engine import StoreError
    from counter_tui.store.lock import StoreLockedError

    settings = _settings(args)
    if settings is None:
        return 2
    if args.lang:
        settings.language = args.lang
    from counter_tui.ui.i18n import set_language

    set_language(settings.language)
    from counter_tui import logs
    from counter_tui.launch import make_services
    from counter_tui.store.paths import data_dir
    from counter_tui.ui.app import build_app

    logs.register_secret(settings.central_token)
    logs.configure(data_dir(settings.data_dir or None) / "logs" / "counter-tui.log")
    try:
        services = make_services(settings)
    except StoreLockedError as exc:
        print(exc.msg.text(settings.language), file=sys.stderr)
        return 3
    except (StoreError, DomainError) as exc:  # an encrypted cache without its key, say
        print(exc.msg.text(settings.language), file=sys.stderr)
        return 2
    try:
        build_app(services).run()
    finally:
        services.close()
    return 0


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
    finally:
        store.abandon()  # read-only check: no checkpoint
    if problem:
        print(f"AUDIT CHAIN BROKEN after {checked} good entries: {problem}")
        return 1
    print(f"audit chain intact: {checked} entries")
    return 0


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
    p_audit = sub.add_parser("audit", help="check the local audit log's hash chain")
    p_audit.add_argument("action", choices=["verify"])
    p_audit.add_argument("--data", help="data directory (default: the settings')")
    p_audit.set_defaults(func=_cmd_audit)
    p_ck = sub.add_parser("clerk", help="add a clerk account on this PC (standalone counters)")
    p_ck.add_argument("action", choices=["add"])
    p_ck.add_argument("username")
    p_ck.add_argument("--name", required=True)
    p_ck.add_argument("--data", help="data directory (default: the settings')")
    p_ck.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    p_ck.set_defaults(func=_cmd_clerk)
    p_id = sub.add_parser("id", help="decode a citizen ID or a card QR payload")
    p_id.add_argument("value", nargs="+")
    p_id.set_defaults(func=_cmd_id)
    p_cat = sub.add_parser("catalog", help="search the procedure catalog")
    p_cat.add_argument("query", nargs="*")
    p_cat.add_argument("--file")
    p_cat.add_argument("--limit", type=int, default=20)
    p_cat.set_defaults(func=_cmd_catalog)

    p_c = sub.add_parser("central", help="the reference central service and its operator commands")
    p_c.add_argument("--db", default="central.sqlite3", help="SQLite database file")
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
    p_aud = csub.add_parser("audit", help="verify the central audit log's hash chain")
    p_aud.add_argument("action", choices=["verify"])
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
