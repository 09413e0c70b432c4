"""The centre's table of holiday decisions, as rows and as the counters' value.

One row per decided day off (``off``), make-up working day (``work``) or Tết break (``tet``),
each with its source. The table is seeded from ``config/holidays.toml`` when the migration
creates it, edited by an operator (``counter-tui central holidays add|list|remove``), and sent
to the counters inside the catalog document (see docs/sync-protocol.md).
"""

from __future__ import annotations

import time
import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from counter_tui.config_files import holidays_path
from counter_tui.domain.calendar import HolidayDecisions

KINDS = ("off", "work", "tet")


def rows_of(decisions: HolidayDecisions, at: float | None = None) -> list[dict[str, Any]]:
    """The table's rows for a value (``added_at``: now unless given)."""
    stamp = time.time() if at is None else at
    rows: list[dict[str, Any]] = []
    for kind, items in (("off", decisions.off), ("work", decisions.work)):
        for o in items.values():
            rows.append(
                {
                    "kind": kind,
                    "day": o.day.isoformat(),
                    "last": None,
                    "year": o.day.year,
                    "reason": o.reason,
                    "source": o.source,
                    "added_at": stamp,
                }
            )
    for t in decisions.tet.values():
        rows.append(
            {
                "kind": "tet",
                "day": t.first.isoformat(),
                "last": t.last.isoformat(),
                "year": t.year,
                "reason": "",
                "source": t.source,
                "added_at": stamp,
            }
        )
    return rows


def decisions_of(rows: Iterable[Mapping[str, Any]], shown: str = "(trung tâm)") -> HolidayDecisions:
    """The value of the table's rows (checked as the file is: a date and a source each)."""
    raw: dict[str, list[dict[str, Any]]] = {"off": [], "work": [], "tet": []}
    for r in rows:
        if r["kind"] == "tet":
            raw["tet"].append(
                {
                    "year": int(r["year"]),
                    "first": r["day"],
                    "last": r["last"],
                    "source": r["source"],
                }
            )
        else:
            raw[str(r["kind"])].append(
                {"date": r["day"], "reason": r["reason"], "source": r["source"]}
            )
    return HolidayDecisions.from_dict(dict(raw), shown)


def seed_rows() -> list[dict[str, Any]]:
    """The rows of the seeded ``config/holidays.toml`` (none if the file is absent)."""
    path = holidays_path()
    if not path.exists():
        return []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return rows_of(HolidayDecisions.from_dict(raw, str(path)))


def entry_row(
    kind: str, day: date, *, last: date | None, year: int | None, reason: str, source: str
) -> dict[str, Any]:
    """One new row, checked like an entry of the file; ``ValueError`` says what is wrong."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not source.strip():
        raise ValueError("every decision needs its source (--source)")
    if kind == "tet":
        if last is None or last < day:
            raise ValueError("a Tết break needs --last, on or after its first day")
    elif last is not None:
        raise ValueError("--last is for a Tết break only")
    row = {
        "kind": kind,
        "day": day.isoformat(),
        "last": last.isoformat() if last else None,
        "year": year or day.year,
        "reason": reason.strip(),
        "source": source.strip(),
        "added_at": time.time(),
    }
    decisions_of([row])  # the same checks a counter makes when it receives the table
    return row
