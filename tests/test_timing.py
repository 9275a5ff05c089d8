"""dlhw.timing: what is timed, in which order, and which calls are warm-ups (a fake clock)."""

from __future__ import annotations

import itertools

import pytest

from dlhw import timing


@pytest.fixture
def clock(monkeypatch):
    """time.perf_counter as 0, 1, 3, 6, 10, ...: the n-th interval lasts n seconds."""
    ticks = itertools.accumulate(itertools.count())
    monkeypatch.setattr(timing.time, "perf_counter", lambda: float(next(ticks)))


def test_seconds_times_one_call(clock):
    calls = []
    assert timing.seconds(lambda: calls.append(1)) == 1.0
    assert calls == [1]


def test_median_seconds_skips_the_warmup_calls_and_takes_the_median(clock):
    calls = []
    # warm-up calls do not read the clock; then intervals of 1, 3, 5 s (the 2nd, 4th ... are
    # the gaps between timings)
    assert timing.median_seconds(lambda: calls.append(1), 3, warmup=2) == 3.0
    assert len(calls) == 5


def test_median_seconds_needs_a_positive_repeat_count():
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        timing.median_seconds(lambda: None, 0)


def test_interleaved_seconds_calls_in_turn_and_drops_the_warmup_round(clock):
    order = []
    runs = {"a": lambda: order.append("a"), "b": lambda: order.append("b")}
    times = timing.interleaved_seconds(runs, 2, warmup_rounds=1)
    assert order == ["a", "b"] * 3
    # intervals 1, 3 (warm-up round), then 5, 7, 9, 11
    assert times == {"a": [5.0, 9.0], "b": [7.0, 11.0]}


def test_epoch_timer_records_each_epoch_and_calls_its_hook(clock):
    seen = []

    class Hooked(timing.EpochTimer):
        def epoch_done(self, epoch, logs, seconds):
            seen.append((epoch, logs, seconds))

    timer = Hooked()  # reads the clock once (0)
    for epoch in range(2):
        timer.on_epoch_begin(epoch)
        timer.on_epoch_end(epoch, {"loss": 1.0} if epoch else None)
    assert timer.seconds == [2.0, 4.0]  # 1..3, then 6..10
    assert seen == [(0, {}, 2.0), (1, {"loss": 1.0}, 4.0)]
