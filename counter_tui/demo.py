"""``counter-tui demo``: the bundled central service on 127.0.0.1 with a demo office, two counters,
a few hundred realistic dossiers in several states, and the app opened as counter Q1."""

from __future__ import annotations

import random
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from counter_tui.demo_data import COMMUNES, FAMILY, GIVEN, MIDDLE, STREETS

OFFICE = "000.00.00.H56"
OFFICE_NAME = "UBND xã Quảng Phú (demo)"
PROCEDURES = [
    "1.001193",
    "1.004873",
    "2.000815",
    "2.000884",
    "1.004222",
    "1.004194",
    "2.000635",
    "1.000656",
    "1.004837",
    "1.010041",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmbeddedCentral:
    """The central service in a thread of this process, on loopback."""

    def __init__(self, db_path: Path) -> None:
        import uvicorn

        from counter_tui.central.app import create_app

        self.port = _free_port()
        self.app = create_app(db_path)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=self.port, log_level="error", access_log=False
            )
        )
        self.thread = threading.Thread(target=self.server.run, name="central", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> EmbeddedCentral:
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started and time.time() < deadline:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def _citizen(rng: random.Random) -> tuple[str, str, str]:
    year = rng.randint(1950, 2007)
    digit = (year // 100 - 19) * 2 + rng.randint(0, 1)
    cid = f"{rng.choice(['038', '001', '040', '036'])}{digit}{year % 100:02d}{rng.randint(0, 999999):06d}"
    name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    phone = f"09{rng.randint(10_000_000, 99_999_999)}"
    return cid, name, phone


# Demo accounts only (printed when the demo starts); real PINs are set with
# `counter-tui central add-clerk`, which asks for them and stores only the hash.
DEMO_CLERKS = [("canbo01", "Nguyễn Thị Lan", "123456"), ("canbo02", "Trần Văn Minh", "654321")]


def fixed(at: datetime) -> Callable[[], datetime]:
    """A clock stopped at ``at``: each seeded step is recorded at its own moment."""
    return lambda: at


def seed(central: EmbeddedCentral, work: Path, n: int = 300, seed_value: int = 2026) -> dict:
    """Register the office and counters, receive ``n`` dossiers at Q2, play the back office."""
    from counter_tui.config_files import catalog_path
    from counter_tui.domain.calendar import WorkCalendar
    from counter_tui.domain.catalog import load_catalog
    from counter_tui.domain.dossier import Applicant
    from counter_tui.domain.status import Action
    from counter_tui.store.local import LocalStore
    from counter_tui.sync.client import CentralClient
    from counter_tui.sync.engine import SyncEngine
    from counter_tui.usecases.desk import Desk, Identity

    db = central.app.state.db
    db.offices.add(OFFICE, OFFICE_NAME)
    q1, t1 = db.clients.add(OFFICE, "Q1")
    q2, t2 = db.clients.add(OFFICE, "Q2")
    _bo, tb = db.clients.add(OFFICE, "Tư pháp - Hộ tịch", role="backoffice")
    from counter_tui.usecases.auth import hash_pin

    for username, name, pin in DEMO_CLERKS:
        db.clerks.set(OFFICE, username, name, hash_pin(pin))
    rng = random.Random(seed_value)
    catalog = load_catalog(catalog_path())
    calendar = WorkCalendar()
    now = datetime.now().replace(second=0, microsecond=0)
    moments = sorted(now - timedelta(minutes=rng.randint(30, 60 * 24 * 21)) for _ in range(n))
    store = LocalStore(work / "q2", background=False)
    desk = Desk(store, catalog, calendar, Identity(OFFICE, OFFICE_NAME, "Q2", q2.slot, "canbo02"))
    received = []
    for moment in moments:
        desk.clock = fixed(moment)
        cid, name, phone = _citizen(rng)
        address = f"Số {rng.randint(1, 200)} {rng.choice(STREETS)}, {rng.choice(COMMUNES)}"
        d = desk.draft(
            rng.choice(PROCEDURES), Applicant(name, citizen_id=cid, phone=phone, address=address)
        )
        complete = rng.random() > 0.08
        for item in d.documents:
            item.received = complete or not item.required
        outcome = Action.RECEIVE if complete else Action.REQUEST_SUPPLEMENT
        received.append(desk.receive(d, outcome=outcome))
    client = CentralClient(central.url, t2)
    engine = SyncEngine(store, client, catalog=catalog, calendar=calendar)
    engine.sync_once()
    bo = CentralClient(central.url, tb)
    unit = "Công chức Tư pháp - Hộ tịch"
    # Most results come back before their due date, some after it: a believable on-time
    # rate on the F6 report. Each step is recorded at its own moment, not at "now".
    for d in received:
        if d.status != 2 or d.due_at is None:
            continue
        r = rng.random()
        got = datetime.fromisoformat(d.received_at or d.due_at)
        due = datetime.fromisoformat(d.due_at)
        desk.clock = fixed(got + timedelta(minutes=40))
        desk.act(d.uid, Action.TRANSFER, data={"unit": unit, "person": "Đỗ Văn Bảy"})
        if r < 0.12:
            engine.sync_once()
            bo.back_office(d.code, "request_supplement", note="Cần bản sao giấy tờ chứng minh")
            continue
        back = due - timedelta(hours=rng.randint(1, 40)) if r < 0.93 else due + timedelta(days=1)
        back = max(back, got + timedelta(hours=1))
        if back >= now:
            continue  # still being processed
        desk.clock = fixed(back)
        desk.act(d.uid, Action.RESULT_BACK, data={"unit": unit, "person": "Đỗ Văn Bảy"})
        if rng.random() < 0.6 and back + timedelta(hours=3) < now:
            desk.clock = fixed(back + timedelta(hours=3))
            desk.act(
                d.uid, Action.HAND_OVER, data={"receiver_name": d.applicant.full_name, "fee": 0}
            )
    engine.sync_once()
    client.close()
    bo.close()
    store.close()
    return {"q1": (q1, t1), "q2": (q2, t2), "backoffice": tb}


def run_demo(keep: str | None = None, n: int = 300, language: str = "vi") -> int:
    from counter_tui.launch import make_services
    from counter_tui.settings import Settings
    from counter_tui.ui.app import build_app

    work = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="counter-tui-demo-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"counter-tui demo: dữ liệu tạm ở {work}", flush=True)
    central = EmbeddedCentral(work / "central.sqlite3").start()
    try:
        print(f"hệ thống trung tâm: {central.url}; đang tạo {n} hồ sơ mẫu…", flush=True)
        creds = seed(central, work, n)
        q1, token = creds["q1"]
        scanner = work / "scanner"
        scanner.mkdir(exist_ok=True)
        print(f"thư mục máy quét của quầy Q1: {scanner}", flush=True)
        settings = Settings(
            office=OFFICE,
            office_name=OFFICE_NAME,
            place="Quảng Phú",  # "Quảng Phú, ngày …" on the slips
            counter="Q1",
            slot=q1.slot,
            clerk="canbo01",
            central_url=central.url,
            central_token=token,
            sync_interval_s=10,
            language=language,
            # The demo shows the 2025 duty to digitise at receipt: scans are asked for on F2,
            # and a file saved into this folder (as a scanner would) is offered to attach.
            digitise=True,
            scanner_dir=str(scanner),
            # Slips stay in the demo's folder, removed with it (not in the user's Documents).
            print_folder=str(work / "phieu"),
            source="(demo)",
        )
        from counter_tui import logs

        logs.register_secret(token)
        logs.configure(work / "q1-logs" / "counter-tui.log")
        services = make_services(settings, data=work / "q1")
        print("đăng nhập thử: canbo01 / mã PIN 123456 (hoặc canbo02 / 654321)", flush=True)
        if services.sync is not None:
            services.sync.sync_once()
        try:
            build_app(services).run()
        finally:
            services.close()
    finally:
        central.stop()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0
