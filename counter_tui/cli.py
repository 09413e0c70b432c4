"""The ``counter-tui`` command: wiring only, each subcommand calls into the layers."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from counter_tui.config_files import catalog_path


def _cmd_id(args: argparse.Namespace) -> int:
    from counter_tui.domain.citizen_id import (
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
                print(f"Kiểm tra:  {problem.text(args.lang)}")
            return 0
        parsed = parse_any_id(text, today=today)
    except IdError as exc:
        print(exc.text(args.lang), file=sys.stderr)
        return 2
    if hasattr(parsed, "province_name"):
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
        print(exc.text(args.lang), file=sys.stderr)
        return 2
    on = date.today()
    for hit in catalog.search(" ".join(args.query), on, limit=args.limit):
        p = hit.procedure
        print(f"{p.code:10} {p.name}  [{p.field}; {p.processing.describe()}]")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="counter-tui", description="Một cửa: quầy tiếp nhận")
    parser.add_argument("--lang", choices=["vi", "en"], default="vi")
    sub = parser.add_subparsers(dest="command")
    p_id = sub.add_parser("id", help="decode a citizen ID or a card QR payload")
    p_id.add_argument("value", nargs="+")
    p_id.set_defaults(func=_cmd_id)
    p_cat = sub.add_parser("catalog", help="search the procedure catalog")
    p_cat.add_argument("query", nargs="*")
    p_cat.add_argument("--file")
    p_cat.add_argument("--limit", type=int, default=20)
    p_cat.set_defaults(func=_cmd_catalog)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
