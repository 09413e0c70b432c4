"""The reference central service's commands (``counter-tui central ...``): serve it, copy
it to another database, and the operator's registrations (offices, counters, clerks,
holidays) and audit checks. The centre has no use-case layer: these call its database
(``central/``), which keeps the office scoping and the audit chain."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counter_tui.cli.voice import refuse, say, tell, tr, warn

if TYPE_CHECKING:
    from counter_tui.central.db import CentralDB

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p_c = sub.add_parser("central", help="the reference central service and its operator commands")
    p_c.add_argument(
        "--db",
        default="central.sqlite3",
        help="a SQLite database file (the default) or a postgresql://user@host/db URL",
    )
    p_c.set_defaults(
        func=run,
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


def run(args: argparse.Namespace) -> int:
    """``central [ACTION]``: ``serve`` when no action is named."""
    action = args.central_action or "serve"
    if action == "serve":
        return serve(args)
    if action == "copy":
        return copy(args)
    from counter_tui.central.db import CentralDB

    db = CentralDB(args.db)
    try:
        return ON_DATABASE[action](args, db)
    finally:
        db.close()


def serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from counter_tui import logs
    from counter_tui.central.app import create_app
    from counter_tui.central.serving import log_config

    beyond_loopback = args.host not in LOOPBACK
    if beyond_loopback and not args.allow_remote:
        raise refuse(
            tr(
                "Không nghe ngoài máy này (loopback) khi chưa có --allow-remote.",
                "Refusing to listen beyond loopback without --allow-remote.",
            )
        )
    if bool(args.certfile) != bool(args.keyfile):
        raise refuse(
            tr("TLS cần cả --certfile và --keyfile.", "TLS needs both --certfile and --keyfile.")
        )
    if beyond_loopback and not args.certfile:
        warn(
            tr(
                "cảnh báo: phục vụ HTTP không mã hóa ra ngoài máy này; các quầy từ chối trừ khi "
                "cấu hình của quầy có allow_plain_http (dùng --certfile/--keyfile).",
                "warning: serving plain HTTP beyond loopback; counters refuse it unless their "
                "settings say allow_plain_http (use --certfile/--keyfile).",
            )
        )
    from counter_tui.central.engines import display, is_postgres
    from counter_tui.central.filestore import FilesFolderRequired, files_folder

    try:
        files = files_folder(args.db, args.files)
    except FilesFolderRequired as exc:
        raise refuse(str(exc)) from None
    if args.workers > 1 and not is_postgres(args.db):
        raise refuse(
            tr(
                "Nhiều tiến trình phục vụ cần PostgreSQL (--db postgresql://...): một tệp SQLite "
                "chỉ nhận một tiến trình ghi mỗi lúc, nên một tiến trình phục vụ nó là tốt nhất.",
                "Several workers need PostgreSQL (--db postgresql://...): a SQLite file takes "
                "one writer at a time, so one worker serves it best.",
            )
        )
    logs.install_masking()
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    scheme = "https" if args.certfile else "http"
    where = f"{scheme}://{args.host}:{args.port}"
    where_vi = f"{where} (csdl {display(args.db)}, tệp {files})"
    where_en = f"{where} (db {display(args.db)}, files {files})"
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
        n = args.workers
        tell(
            f"hệ thống trung tâm tại {where_vi}, {n} tiến trình",
            f"central service on {where_en}, {n} workers",
        )
        sys.stdout.flush()
        uvicorn.run("counter_tui.central.app:app_from_env", factory=True, workers=n, **common)
        return 0
    app = create_app(args.db, files_dir=files, files_max_mb=args.files_max_mb)
    tell(f"hệ thống trung tâm tại {where_vi}", f"central service on {where_en}")
    sys.stdout.flush()
    uvicorn.run(app, **common)
    return 0


def copy(args: argparse.Namespace) -> int:
    from counter_tui.central.copy import CopyRefused, copy_centre
    from counter_tui.central.db import CentralDB
    from counter_tui.central.engines import display

    source, target = CentralDB(args.source), CentralDB(args.to)
    try:
        got = copy_centre(source, target)
    except CopyRefused as exc:
        warn(tr(f"chưa sao chép: {exc}", f"not copied: {exc}"))
        return 1
    finally:
        source.close()
        target.close()
    frm, to = display(args.source), display(args.to)
    tell(f"đã sao chép {frm} sang {to}, đã kiểm tra:", f"copied {frm} to {to}, verified:")
    for key, value in got.items():
        print(f"  {key}: {value}")
    return 0


def migrate(args: argparse.Namespace, db: CentralDB) -> int:
    from counter_tui.central import migrate as revisions
    from counter_tui.central.engines import display

    at = revisions.current(db.engine)
    tell(
        f"{display(args.db)}: lược đồ ở phiên bản {at} (mới nhất)",
        f"{display(args.db)}: schema at revision {at} (current)",
    )
    return 0


def add_office(args: argparse.Namespace, db: CentralDB) -> int:
    db.offices.add(args.code, args.name)
    tell(f"cơ quan {args.code}: {args.name}", f"office {args.code}: {args.name}")
    return 0


def add_counter(args: argparse.Namespace, db: CentralDB) -> int:
    role = "backoffice" if args.backoffice else "counter"
    client, token = db.clients.add(args.office, args.name, role, args.days or None)
    if args.backoffice:
        kind = tr("người dùng bộ phận chuyên môn", "back office")
    else:
        kind = tr(f"quầy số {client.slot}", f"counter slot {client.slot}")
    tell(
        f"{kind} mã {client.id} '{client.name}' của {client.office}",
        f"{kind} id {client.id} '{client.name}' of {client.office}",
    )
    tell(
        f"token (chỉ hiện một lần, lưu vào cấu hình của quầy): {token}",
        f"token (shown once, store it in the counter's config): {token}",
    )
    return 0


def rotate(args: argparse.Namespace, db: CentralDB) -> int:
    token = db.clients.rotate_token(args.id, args.days or None)
    tell(
        f"token mới (token cũ thôi dùng được từ bây giờ): {token}",
        f"new token (the old one stops working now): {token}",
    )
    return 0


def revoke(args: argparse.Namespace, db: CentralDB) -> int:
    db.clients.revoke(args.id)
    tell(f"đã thu hồi client {args.id}", f"revoked client {args.id}")
    return 0


def list_clients(args: argparse.Namespace, db: CentralDB) -> int:
    import time

    for c in db.clients.all():
        state = tr("đã thu hồi", "revoked") if c["revoked"] else tr("đang dùng", "active")
        if not c["revoked"] and c["expires_at"] and c["expires_at"] < time.time():
            state = tr("hết hạn", "expired")
        until = (
            time.strftime("%Y-%m-%d", time.localtime(c["expires_at"]))
            if c["expires_at"]
            else tr("không bao giờ", "never")
        )
        expires = tr(f"(hết hạn {until})", f"(expires {until})")
        print(
            f"{c['id']:4} {c['office']:16} {c['role']:10} slot {c['slot']!s:4} "
            f"{c['name']:20} last_seq {c['last_seq']} {state} {expires}"
        )
    return 0


def add_clerk(args: argparse.Namespace, db: CentralDB) -> int:
    from counter_tui.cli.prompts import read_pin
    from counter_tui.usecases.auth import SignInError, hash_pin

    pin = read_pin(args.pin_stdin)
    username = args.username.strip().lower()
    try:
        db.clerks.set(args.office, username, args.name, hash_pin(pin))
    except SignInError as exc:
        raise refuse(exc) from None
    except KeyError:
        raise refuse(tr(f"không có cơ quan {args.office}", f"no office {args.office}")) from None
    tell(
        f"cán bộ {args.username} của {args.office}: đã đặt mã PIN (lưu dạng băm argon2)",
        f"clerk {args.username} of {args.office}: PIN set (stored as an argon2 hash)",
    )
    return 0


def disable_clerk(args: argparse.Namespace, db: CentralDB) -> int:
    try:
        db.clerks.disable(args.office, args.username.strip().lower())
    except KeyError:
        raise refuse(
            tr(
                f"không có cán bộ {args.username} ở {args.office}",
                f"no clerk {args.username} in {args.office}",
            )
        ) from None
    tell(
        f"đã khóa cán bộ {args.username} (các quầy bỏ tài khoản ở lần đồng bộ sau)",
        f"clerk {args.username} disabled (counters drop the account at their next sync)",
    )
    return 0


def holidays(args: argparse.Namespace, db: CentralDB) -> int:
    """``central holidays list [--year Y]``, ``add KIND DATE --source S [--reason R] [--last D]
    [--year Y]`` and ``remove KIND DATE|YEAR``: the decisions counters get with the catalog."""
    from datetime import date

    from counter_tui.central.holidays import entry_row
    from counter_tui.domain.messages import DomainError

    if args.holidays_action == "list":
        rows = db.holidays.rows(args.year)
        for r in rows:
            span = f"{r['day']}..{r['last']} (Tết {r['year']})" if r["kind"] == "tet" else r["day"]
            print(f"{r['kind']:4} {span:34} {r['reason']} [nguồn: {r['source']}]")
        if not rows:
            year = args.year
            tell(
                "không có quyết định nào" + (f" cho năm {year}" if year else ""),
                "no decisions" + (f" for {year}" if year else ""),
            )
        return 0
    if args.holidays_action == "remove":
        if not db.holidays.remove(args.kind, args.day):
            raise refuse(
                tr(
                    f"không có quyết định '{args.kind}' cho {args.day}",
                    f"no '{args.kind}' decision for {args.day}",
                )
            )
        tell(
            f"đã xóa {args.kind} {args.day}; các quầy nhận bảng mới ở lần đồng bộ sau",
            f"removed {args.kind} {args.day}; counters get the table at their next sync",
        )
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
        db.holidays.add(row)
    except DomainError as exc:
        raise refuse(exc) from None
    except ValueError as exc:
        raise refuse(str(exc)) from None
    tell(
        f"{args.kind} {row['day']}: đã thêm; các quầy nhận bảng mới ở lần đồng bộ sau",
        f"{args.kind} {row['day']}: added; counters get the table at their next sync",
    )
    return 0


def audit(args: argparse.Namespace, db: CentralDB) -> int:
    """``central audit verify [--against EXPORT]`` and ``central audit export --out FILE``."""
    import json

    from counter_tui.domain.audit_chain import against_export, break_words

    checked, problem = db.audit.verify()
    if problem:
        broken = break_words(problem)
        tell(
            f"CHUỖI NHẬT KÝ THAO TÁC BỊ PHÁ sau {checked} mục đúng: {broken.vi}",
            f"AUDIT CHAIN BROKEN after {checked} good entries: {broken.en}",
        )
        return 1
    head = db.audit.head()
    if args.action == "export":
        return _export(args, db, checked, head)
    tell(
        f"chuỗi nhật ký thao tác nguyên vẹn: {checked} mục; đầu chuỗi {head}",
        f"audit chain intact: {checked} entries; head {head}",
    )
    if args.against:
        kept = json.loads(Path(args.against).read_text(encoding="utf-8"))["centre"]
        differs = against_export(checked, kept, db.audit.entry_hash)
        if differs:
            print(say(differs))
            return 1
        n = int(kept["entries"])
        tell(f"nối tiếp đầu chuỗi đã xuất ({n} mục)", f"extends the exported head ({n} entries)")
    return 0


def _export(args: argparse.Namespace, db: CentralDB, checked: int, head: str) -> int:
    """The centre's head and each counter's latest anchor, to a file kept elsewhere (a
    later ``verify --against`` catches a chain cut short behind it)."""
    import json
    import os
    import time

    if not args.out:
        raise refuse(
            tr(
                "export cần --out TỆP (để xa máy chủ này)",
                "export needs --out FILE (keep it away from this server)",
            )
        )
    record = {
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "centre": {"entries": checked, "head": head},
        "counters": db.audit.latest_anchors(),
    }
    fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(record, f, ensure_ascii=False, indent=1)
    tell(
        f"đã xuất đầu chuỗi nhật ký ra {args.out}: trung tâm {checked} mục, đầu chuỗi {head}",
        f"audit heads exported to {args.out}: centre {checked} entries, head {head}",
    )
    return 0


# The operator's actions on an open centre database, by name (serve and copy open their own).
ON_DATABASE: dict[str, Callable[[argparse.Namespace, CentralDB], int]] = {
    "migrate": migrate,
    "add-office": add_office,
    "add-counter": add_counter,
    "rotate": rotate,
    "revoke": revoke,
    "list": list_clients,
    "add-clerk": add_clerk,
    "disable-clerk": disable_clerk,
    "audit": audit,
    "holidays": holidays,
}
