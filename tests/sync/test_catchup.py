"""After an outage a counter is back within one normal cycle (issue 11, item 5).

The issue's case: the centre down 2 min 41 s; counters then showed "Mất kết nối" for 2-3
more minutes, because the push backoff had grown while the centre was away. Here the
fault proxy plays the outage against a real central service and a real counter store;
the engine's scheduler runs on a virtual clock (waiting is the only thing replaced), with
the production settings (a 15 s cycle, 5 s probes, backoff to 5 min), so the test takes
seconds and never reads the wall clock.
"""

from __future__ import annotations

import pytest

from counter_tui.sync.state import Connection
from tests.support.central import OFFICE
from tests.support.counter import make_counter
from tests.sync.faults import CountingProxy, VirtualClock, run_loop

CYCLE_S = 15.0
OUTAGE_S = 161.0  # 2 min 41 s


@pytest.fixture
def counting_proxy(central):
    p = CountingProxy(central.port)
    yield p
    p.close()


def production_counter(tmp_path, proxy, tokens, clock):
    q1, token = tokens["q1"]
    c = make_counter(tmp_path / "q1", proxy.url, token, q1.slot)
    c.engine.interval = CYCLE_S  # the helper's 0.2 s is for other tests; this one is the app's
    c.engine.debounce = 1.0
    c.engine.clock = clock
    return c


def until_online(c, clock: VirtualClock, limit_s: float) -> float:
    """Virtual seconds the loop takes to show ONLINE again (``inf`` if not within limit)."""
    start = clock.t
    while clock.t - start <= limit_s:
        if c.engine.status().state is Connection.ONLINE:
            return clock.t - start
        clock.t += max(0.01, c.engine.step())
    return float("inf")


@pytest.mark.parametrize("outage", ["refuse", "error503"], ids=["centre-down", "centre-503"])
def test_counter_is_back_within_one_cycle_after_a_long_outage(
    tmp_path, central, tokens, counting_proxy, outage
):
    clock = VirtualClock()
    proxy = counting_proxy
    c = production_counter(tmp_path, proxy, tokens, clock)
    run_loop(c, clock, 1.0)
    assert c.engine.status().state is Connection.ONLINE
    # The centre goes away; the clerk keeps working.
    proxy.set(outage)
    proxy.reset()
    received = []
    for i in range(4):
        run_loop(c, clock, OUTAGE_S / 4)
        received.append(c.receive(f"Nguyễn Văn Số {i}", f"00120300000{i}"))
        c.engine.notify_write()
    st = c.engine.status()
    assert st.state is Connection.OFFLINE
    assert st.problem.code == ("offline" if outage == "refuse" else "server")
    # Not hammering a dead server: one cheap probe every few seconds, no pushes after the
    # first failure (about 161 / 5 = 32 probes; a push loop without backoff made thousands).
    assert proxy.count <= OUTAGE_S / 4 + 2
    # The centre is back: the counter notices and sends everything within one cycle.
    proxy.set("pass")
    took = until_online(c, clock, 10 * CYCLE_S)
    assert took <= CYCLE_S, f"back online after {took:.1f} s of loop"
    assert c.engine.status().pending == 0
    for d in received:
        assert central.db.dossiers.by_code(OFFICE, d.code) is not None
    c.close()


def test_failing_pushes_still_back_off_while_the_centre_answers(tmp_path, central, tokens):
    """Backoff is kept for what it is for: a centre that answers its health check but
    fails every push (503 on pushes only) is not retried faster because probes pass."""
    clock = VirtualClock()
    proxy = CountingProxy(central.port)
    try:
        q1, token = tokens["q1"]
        c = make_counter(tmp_path / "q1", proxy.url, token, q1.slot)
        c.engine.interval, c.engine.clock = CYCLE_S, clock
        c.receive("Trần Thị Bình", "079185000001")
        proxy.set("push503")
        run_loop(c, clock, 60.0)
        pushes = proxy.paths.count("/v1/sync/push")
        # 1 s doubling, jittered x0.5-1: waits of at least 1+2+4+8+16 s and at most
        # 2+4+8+16+32 s come between the first six pushes
        assert 4 <= pushes <= 6, proxy.paths
        assert proxy.paths.count("/v1/health") >= 5  # the probes ran and passed
        st = c.engine.status()
        assert st.problem.code == "server" and st.pending == 1
        assert central.db.dossiers.count() == 0
        c.close()
    finally:
        proxy.close()
