"""The README's first command runs ``counter-tui demo``: its seeded world must hold up.

The embedded central service runs in a thread on 127.0.0.1, as in the demo.
"""

from __future__ import annotations

from datetime import date, datetime

from counter_tui.demo import DEMO_CLERKS, OFFICE, EmbeddedCentral, seed
from counter_tui.launch import make_services
from counter_tui.settings import Settings


def test_the_demo_world_signs_in_with_the_printed_pins_and_reports_sensibly(tmp_path):
    central = EmbeddedCentral(tmp_path / "central.sqlite3").start()
    try:
        creds = seed(central, tmp_path, n=60)
        q1, token = creds["q1"]
        s = Settings(
            office=OFFICE,
            counter="Q1",
            slot=q1.slot,
            central_url=central.url,
            central_token=token,
            print_folder=str(tmp_path / "out"),
        )
        services = make_services(s, data=tmp_path / "q1", start_sync=False)
        try:
            assert services.sync is not None and services.sync.sync_once() is True
            user, name, pin = DEMO_CLERKS[0]
            assert services.signin is not None
            assert services.signin.sign_in(user, pin).name == name
            assert services.store.dossiers.count() == 60
            today = datetime.now().date()
            report = services.paperwork.report(date(2000, 1, 1), today, OFFICE)
            t = report.total
            assert t.received > 40 and t.resolved > 10
            assert t.on_time_rate is not None and t.on_time_rate > 60  # mostly on time
            assert services.store.outbox.rejected() == []
        finally:
            services.close()
    finally:
        central.stop()
