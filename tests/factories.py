"""Realistic test data: Vietnamese names, addresses, dossiers (deterministic by seed)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any

from counter_tui.demo_data import COMMUNES, FAMILY, GIVEN, MIDDLE, STREETS

PROVINCES = ["001", "038", "079", "031", "048", "026", "036", "040"]
PROCS = ["1.001193", "1.000894", "1.004873", "2.000815", "2.000884", "1.004222", "1.004194"]
DOC_NAMES = [
    "Tờ khai theo mẫu",
    "Giấy chứng sinh",
    "Bản sao giấy tờ tùy thân",
    "Giấy xác nhận nơi cư trú",
    "Văn bản ủy quyền",
]


def citizen_id(rng: random.Random) -> str:
    year = rng.randint(1945, 2008)
    digit = (year // 100 - 19) * 2 + rng.randint(0, 1)
    return f"{rng.choice(PROVINCES)}{digit}{year % 100:02d}{rng.randint(0, 999_999):06d}"


def name(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def dossier(
    rng: random.Random,
    i: int,
    *,
    cid: str | None = None,
    status: int | None = None,
    base: datetime | None = None,
) -> dict[str, Any]:
    base = base or datetime(2026, 1, 5, 8, 0)
    received = base + timedelta(minutes=37 * i)
    due = received + timedelta(days=rng.choice([0, 1, 3, 5, 7]))
    st = status if status is not None else rng.choice([2, 4, 5, 9, 10, 10, 10, 10, 10, 3, 7])
    n_docs = rng.randint(2, 4)
    return {
        "uid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "code": f"000.00.00.H56-{received:%y%m%d}-{1 + i % 9}{(i // 9) % 9999 + 1:04d}",
        "office": "000.00.00.H56",
        "counter": "Q1",
        "procedure_code": rng.choice(PROCS),
        "procedure_version": "1.001193@2025-07-01",
        "procedure_name": "Đăng ký khai sinh",
        "status": st,
        "channel": "direct",
        "return_method": "counter",
        "applicant": {
            "full_name": name(rng),
            "citizen_id": cid or citizen_id(rng),
            "legacy_id": None,
            "birth_date": None,
            "gender": None,
            "address": f"Số {rng.randint(1, 300)} {rng.choice(STREETS)}, {rng.choice(COMMUNES)}",
            "phone": f"09{rng.randint(10_000_000, 99_999_999)}",
            "email": "",
        },
        "submitter": None,
        "documents": [
            {
                "name": rng.choice(DOC_NAMES),
                "copy": "copy",
                "required": True,
                "copies": 1,
                "received": True,
            }
            for _ in range(n_docs)
        ],
        "received_at": received.isoformat(),
        "due_at": due.replace(hour=17, minute=0).isoformat(),
        "events": [
            {
                "action": "receive",
                "at": received.isoformat(),
                "actor": "canbo01",
                "counter": "Q1",
                "from_status": None,
                "to_status": 2,
                "note": "",
                "data": {},
            }
        ],
    }
