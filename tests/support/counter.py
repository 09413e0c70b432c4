"""A counter for tests: real store in a temp dir, the desk, a client and a sync engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from counter_tui.config_files import catalog_path
from counter_tui.domain.calendar import WorkCalendar
from counter_tui.domain.catalog import load_catalog
from counter_tui.domain.dossier import Applicant
from counter_tui.store.local import LocalStore
from counter_tui.sync.client import CentralClient
from counter_tui.sync.engine import SyncEngine
from counter_tui.usecases.desk import Desk, Identity

CATALOG = load_catalog(catalog_path())
CALENDAR = WorkCalendar()


class Clock:
    """A settable clock for the desk (tests never read today's date)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=30)
        return self.now


@dataclass
class Counter:
    store: LocalStore
    desk: Desk
    client: CentralClient
    engine: SyncEngine
    clock: Clock

    def close(self) -> None:
        self.engine.stop()
        self.client.close()
        self.store.close()

    def receive(self, name: str, cid: str, procedure: str = "1.004873", complete: bool = True):
        d = self.desk.draft(procedure, Applicant(name, citizen_id=cid, phone="0912345678"))
        for item in d.documents:
            item.received = complete or not item.required
        return self.desk.receive(d)


def make_counter(
    path: Path,
    url: str,
    token: str,
    slot: int,
    *,
    name: str = "Q1",
    start: datetime = datetime(2026, 11, 25, 8, 0),
    timeout=None,
) -> Counter:
    store = LocalStore(path, background=False)
    clock = Clock(start)
    identity = Identity("000.00.00.H56", "UBND xã Quảng Phú", name, slot, f"canbo-{name}")
    desk = Desk(store, CATALOG, CALENDAR, identity, clock=clock)
    kwargs = {"timeout": timeout} if timeout else {}
    client = CentralClient(url, token, **kwargs)
    engine = SyncEngine(
        store, client, catalog=CATALOG, calendar=CALENDAR, batch=50, debounce=0.05, interval=0.2
    )
    desk.on_write = engine.notify_write
    engine.on_holidays = desk.use_holiday_decisions
    return Counter(store, desk, client, engine, clock)
