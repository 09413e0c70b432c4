"""The operator's commands on a counter PC: check the audit log, add or unlock a clerk,
repair an outbox gap. Each opens the cache through the wiring and calls a use case."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from counter_tui.cli.voice import Exit, refuse, tell, tr, warn
from counter_tui.cli.wiring import central_client, load_settings, operator_store

if TYPE_CHECKING:
    from counter_tui.settings import Settings


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p_audit = sub.add_parser("audit", help="check the local audit log's hash chain")
    p_audit.add_argument("action", choices=["verify"])
    p_audit.add_argument("--data", help="data directory (default: the settings')")
    p_audit.add_argument(
        "--offline", action="store_true", help="do not check against the central service"
    )
    p_audit.set_defaults(func=audit)
    p_ck = sub.add_parser(
        "clerk",
        help="add a clerk account on this PC (standalone), or unlock one after PIN failures",
    )
    p_ck.add_argument("action", choices=["add", "unlock"])
    p_ck.add_argument("username")
    p_ck.add_argument("--name", help="the clerk's full name (add)")
    p_ck.add_argument("--data", help="data directory (default: the settings')")
    p_ck.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    p_ck.set_defaults(func=clerk)
    p_sync = sub.add_parser("sync", help="operator repairs of this counter's sync")
    p_sync.add_argument("action", choices=["repair"])
    p_sync.add_argument("--data", help="data directory (default: the settings')")
    p_sync.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p_sync.set_defaults(func=sync)


def audit(args: argparse.Namespace) -> int:
    """``audit verify``: the chain on its own (1 if broken), then against the centre's
    heads of it (1 if they differ, 4 if the centre could not be asked)."""
    from counter_tui.usecases.audit_check import check_against_centre, check_local_chain

    settings = load_settings(args)
    with operator_store(args, settings, read_only=True) as store:
        chain = check_local_chain(store)
    if chain.problem:
        tell(
            f"CHUỖI NHẬT KÝ THAO TÁC BỊ PHÁ sau {chain.checked} mục đúng: {chain.problem.vi}",
            f"AUDIT CHAIN BROKEN after {chain.checked} good entries: {chain.problem.en}",
        )
        return 1
    tell(
        f"chuỗi nhật ký thao tác nguyên vẹn: {chain.checked} mục",
        f"audit chain intact: {chain.checked} entries",
    )
    if args.offline or not (settings.central_url and settings.central_token):
        tell(
            "chưa đối chiếu với hệ thống trung tâm (chưa cấu hình, hoặc có --offline)",
            "not checked against the central service (no service configured, or --offline)",
        )
        return 0
    with central_client(settings) as client:
        try:
            centre = check_against_centre(chain, client)
        except Exception as exc:  # whatever stopped the question, the operator is told
            tell(
                f"không đối chiếu được với hệ thống trung tâm: {type(exc).__name__}: {exc}",
                f"could not check against the central service: {type(exc).__name__}: {exc}",
            )
            return 4
    if centre.problem:
        tell(
            f"CHUỖI NHẬT KÝ KHÔNG KHỚP VỚI HỆ THỐNG TRUNG TÂM: {centre.problem.vi}",
            f"AUDIT CHAIN DOES NOT MATCH THE CENTRAL SERVICE: {centre.problem.en}",
        )
        return 1
    tell(
        f"khớp với {centre.heads} đầu chuỗi hệ thống trung tâm đã lưu",
        f"matches the {centre.heads} heads the central service kept",
    )
    return 0


def clerk(args: argparse.Namespace) -> int:
    """``clerk add``: an account on this PC only, for a standalone counter that never
    syncs; ``clerk unlock``: forget a clerk's failed PIN attempts (an operator's reset)."""
    from datetime import datetime

    from counter_tui.usecases.auth import SignIn, SignInError, hash_pin

    settings = load_settings(args)
    if args.action == "unlock":
        return _unlock(args, settings)
    if not args.name:
        raise refuse(tr("clerk add: cần --name (họ tên cán bộ)", "clerk add: --name is required"))
    from counter_tui.cli.prompts import read_pin

    pin = read_pin(args.pin_stdin)
    try:
        pin_hash = hash_pin(pin)  # a short PIN is refused before the cache is opened
    except SignInError as exc:
        raise refuse(exc) from None
    with operator_store(args, settings) as store:
        added = SignIn(store, datetime.now, counter=settings.counter).add_local_clerk(
            args.username, args.name, pin_hash
        )
    tell(
        f"cán bộ {added.username}: đã đặt mã PIN trên máy này (lưu dạng băm argon2)",
        f"clerk {added.username}: PIN set on this PC (argon2 hash)",
    )
    return 0


def _unlock(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import datetime

    from counter_tui.usecases.auth import SignIn

    with operator_store(args, settings) as store:
        done = SignIn(store, datetime.now, counter=settings.counter).unlock(args.username)
    if done:
        tell(f"cán bộ {args.username}: đã mở khóa", f"clerk {args.username}: unlocked")
    else:
        tell(
            f"cán bộ {args.username}: không có lần nhập sai nào được ghi",
            f"clerk {args.username}: no failed attempts recorded",
        )
    return 0


def sync(args: argparse.Namespace) -> int:
    """``sync repair``: close an outbox gap the centre cannot (the F5 state ``gap``)."""
    from counter_tui.cli.prompts import confirmed
    from counter_tui.domain.messages import DomainError
    from counter_tui.usecases.gap_repair import GapRepair, ranges

    settings = load_settings(args)
    if settings.standalone:
        raise refuse(
            tr(
                "quầy chạy độc lập: không đồng bộ gì, không có gì để sửa",
                "standalone counter: nothing is synced, nothing to repair",
            )
        )
    with operator_store(args, settings) as store, central_client(settings) as client:
        repair = GapRepair(store, client)
        try:
            plan = repair.plan()
        except DomainError as exc:
            warn(exc)
            raise Exit(2) from None
        c = plan.centre_last
        tell(
            f"trung tâm có các thao tác đến số {c}; quầy này đã đánh số đến {plan.local_last}, "
            f"còn giữ {plan.held} thao tác sau số {c}",
            f"centre has operations up to {c}; this counter numbered up to "
            f"{plan.local_last}, holds {plan.held} after {c}",
        )
        if plan.ahead:
            tell(
                "trung tâm có những số quầy này chưa từng cấp (máy bị sao chép, hay bản sao lưu "
                "cũ?): không phải khoảng trống, không thay đổi gì; xem docs/sync-protocol.md, "
                "seq_reused",
                "the centre has numbers this counter never gave (a cloned PC or an old "
                "backup?): not a gap, nothing changed; see docs/sync-protocol.md, seq_reused",
            )
            return 1
        if not plan.needed:
            tell("không có khoảng trống: không có gì để sửa", "no gap: nothing to repair")
            return 0
        lost = ranges(plan.missing)
        tell(
            f"MẤT (không có ở trung tâm, không có trên máy này): các thao tác {lost}",
            f"LOST (not at the centre, not on this PC): operations {lost}",
        )
        tell(
            f"{plan.held} thao tác đang giữ sẽ được đánh số từ {c + 1}",
            f"the {plan.held} operations held will be numbered from {c + 1}",
        )
        if not args.yes and not confirmed("REPAIR"):
            tell("không thay đổi gì", "nothing changed")
            return 1
        moved = repair.repair(plan)
        tell(
            f"đã sửa: đánh số lại {len(moved)} thao tác, ghi {len(plan.missing)} thao tác bị "
            "mất vào nhật ký thao tác; mở ứng dụng để gửi phần còn lại",
            f"repaired: {len(moved)} operations renumbered, {len(plan.missing)} recorded "
            "as lost in the audit log; start the app to send the rest",
        )
        return 0
