"""The real app on a real store in a temp dir, with a fixed clock (never today's date)."""

from __future__ import annotations

from datetime import datetime

import pytest

from counter_tui.domain.dossier import Applicant
from counter_tui.domain.status import Action
from counter_tui.launch import make_services
from counter_tui.settings import Settings
from counter_tui.ui.app import build_app

NOW = datetime(2026, 11, 25, 9, 30)


class FixedClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def settings(**kw) -> Settings:
    base = dict(
        office="000.00.00.H56",
        office_name="UBND xã Quảng Phú",
        counter="Q1",
        slot=1,
        clerk="canbo01",
        # Sign-in has its own tests (test_security.py); these drive the flows behind it.
        sign_in=False,
    )
    base.update(kw)
    return Settings(**base)


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def services(tmp_path, clock):
    # Slips and exports go to the temp dir, never to the Documents folder of whoever runs this.
    s = make_services(
        settings(print_folder=str(tmp_path / "out")),
        clock=clock,
        data=tmp_path / "cache",
        start_sync=False,
    )
    yield s
    s.close()


@pytest.fixture
def svc(tmp_path, clock):
    """A counter that digitises, its scanner writing into ``tmp_path / "scan"``."""
    s = make_services(
        settings(
            print_folder=str(tmp_path / "out"), digitise=True, scanner_dir=str(tmp_path / "scan")
        ),
        clock=clock,
        data=tmp_path / "cache",
        start_sync=False,
    )
    yield s
    s.close()


@pytest.fixture
def app(services):
    return build_app(services)


def seed(desk, clock, rows):
    """Receive dossiers at given moments: rows of (name, cid, phone, procedure, at, status)."""
    out = []
    for name, cid, phone, proc, at, status in rows:
        clock.now = at
        d = desk.draft(proc, Applicant(name, citizen_id=cid, phone=phone, address="Thôn Đông"))
        for item in d.documents:
            item.received = True
        d = desk.receive(d)
        if status >= 4:
            d = desk.act(d.uid, Action.TRANSFER, data={"unit": "Tư pháp"})
        if status == 9:
            d = desk.act(d.uid, Action.RESULT_BACK, data={"unit": "Tư pháp"})
        out.append(d)
    clock.now = NOW
    return out
