"""Look-ups that need no cache and no centre: decode a citizen ID or a card's QR payload,
search the procedure catalog. Pure domain calls, for an operator at a shell."""

from __future__ import annotations

import argparse
from datetime import date

from counter_tui.cli.voice import language, refuse, tell, tr


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p_id = sub.add_parser("id", help="decode a citizen ID or a card QR payload")
    p_id.add_argument("value", nargs="+")
    p_id.set_defaults(func=citizen_id)
    p_cat = sub.add_parser("catalog", help="search the procedure catalog")
    p_cat.add_argument("query", nargs="*")
    p_cat.add_argument("--file")
    p_cat.add_argument("--limit", type=int, default=20)
    p_cat.set_defaults(func=catalog)


def citizen_id(args: argparse.Namespace) -> int:
    from counter_tui.domain.citizen_id import (
        CitizenId,
        Gender,
        IdError,
        looks_like_card_qr,
        parse_any_id,
        parse_card_qr,
    )

    def gender(g: Gender) -> str:
        return tr(g.vi, "male" if g is Gender.MALE else "female")

    today = date.today()
    text = " ".join(args.value)
    try:
        if looks_like_card_qr(text):
            rec = parse_card_qr(text, today=today)
            tell(f"Số CCCD:   {rec.citizen_id.number}", f"ID number: {rec.citizen_id.number}")
            tell(f"Họ tên:    {rec.full_name}", f"Name:      {rec.full_name}")
            born, sex = f"{rec.birth_date:%d/%m/%Y}", gender(rec.gender)
            tell(f"Ngày sinh: {born}  Giới tính: {sex}", f"Born:      {born}  Sex: {sex}")
            tell(f"Địa chỉ:   {rec.address}", f"Address:   {rec.address}")
            for problem in rec.check.values():
                tell(f"Kiểm tra:  {problem.vi}", f"Check:     {problem.en}")
            return 0
        parsed = parse_any_id(text, today=today)
    except IdError as exc:
        raise refuse(exc) from None
    if isinstance(parsed, CitizenId):
        tell(f"Số CCCD:      {parsed.number}", f"ID number:    {parsed.number}")
        print(parsed.birth_registration.text(language()))
        sex = gender(parsed.gender)
        tell(f"Giới tính:    {sex}", f"Sex:          {sex}")
        tell(f"Năm sinh:     {parsed.birth_year}", f"Born in:      {parsed.birth_year}")
    else:
        tell(
            f"Số CMND cũ (9 số): {parsed.number}",
            f"Old ID card number (CMND, 9 digits): {parsed.number}",
        )
    return 0


def catalog(args: argparse.Namespace) -> int:
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.catalog import CatalogError, load_catalog

    try:
        found = load_catalog(args.file or catalog_path())
    except CatalogError as exc:
        raise refuse(exc) from None
    on = date.today()
    for hit in found.search(" ".join(args.query), on, limit=args.limit):
        p = hit.procedure
        print(f"{p.code:10} {p.name}  [{p.field}; {p.processing.describe()}]")
    return 0
