"""The background loop both engines run in: it steps when due or woken, lives through a
failing step, gathers a burst of wakes, and stops when told (real threads)."""

from __future__ import annotations

import threading

from counter_tui.sync.loop import BackgroundLoop

WAIT_S = 10.0  # a bound for a thread to get there, never a measure


class Steps:
    """A step that records each call and lets the test wait for the n-th."""

    def __init__(self, delay: float = 3600.0, fail_first: int = 0) -> None:
        self.delay = delay
        self.fail_first = fail_first
        self.calls: list[bool] = []
        self.more = threading.Condition()

    def __call__(self, woke: bool) -> float:
        with self.more:
            self.calls.append(woke)
            self.more.notify_all()
        if len(self.calls) <= self.fail_first:
            raise RuntimeError("a bug in the step")
        return self.delay

    def wait_for(self, n: int) -> bool:
        with self.more:
            return self.more.wait_for(lambda: len(self.calls) >= n, WAIT_S)


def test_a_wake_runs_the_next_step_at_once_and_says_it_woke():
    steps = Steps(delay=3600.0)  # left alone it would not step again for an hour
    loop = BackgroundLoop("t", steps, retry_after=lambda: 3600.0)
    loop.start()
    try:
        assert steps.wait_for(1)
        loop.wake()
        assert steps.wait_for(2)
        assert steps.calls == [False, True]
    finally:
        loop.stop()
    assert not loop.running


def test_a_wake_before_start_is_not_lost():
    steps = Steps()
    loop = BackgroundLoop("t", steps, retry_after=lambda: 3600.0)
    loop.wake()  # a write before the engine started: the first wait ends at once
    loop.start()
    try:
        assert steps.wait_for(2)
    finally:
        loop.stop()


def test_a_step_that_raises_never_ends_the_thread():
    steps = Steps(fail_first=2)
    loop = BackgroundLoop("t", steps, retry_after=lambda: 0.0)
    loop.start()
    try:
        assert steps.wait_for(3)  # two failures, then a step that works
    finally:
        loop.stop()


def test_stop_ends_the_wait_and_no_step_runs_after_it():
    steps = Steps(delay=3600.0)
    loop = BackgroundLoop("t", steps, retry_after=lambda: 3600.0, debounce=lambda: 3600.0)
    loop.start()
    assert steps.wait_for(1)
    loop.wake()  # now in the hour-long debounce: stop must cut it short too
    stopper = threading.Thread(target=loop.stop)
    stopper.start()
    stopper.join(WAIT_S)
    assert not stopper.is_alive() and loop.stopping and not loop.running
    assert steps.calls == [False]


def test_after_a_wake_the_step_waits_for_the_debounce():
    order: list[str] = []
    steps = Steps(delay=3600.0)

    def step(woke: bool) -> float:
        order.append("step")
        return steps(woke)

    def debounce() -> float:
        order.append("debounce")  # read when woken, before the step it delays
        return 0.01

    loop = BackgroundLoop("t", step, retry_after=lambda: 3600.0, debounce=debounce)
    loop.start()
    try:
        assert steps.wait_for(1)
        loop.wake()
        assert steps.wait_for(2)
    finally:
        loop.stop()
    assert order[:3] == ["step", "debounce", "step"]
