"""Wall-clock timing shared by every question: an epoch timer and medians of repeated calls.

Only relative timings on one machine mean anything; medians of repeats, with untimed warm-up
calls first (tracing, allocation), are what the notebooks report.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import keras

from dlhw.checks import positive_int


def seconds(run: Callable[[], object]) -> float:
    """Wall time of one call `run()`, in seconds."""
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def median_seconds(run: Callable[[], object], repeats: int, *, warmup: int = 0) -> float:
    """Median wall time of `repeats` calls `run()`, after `warmup` untimed calls."""
    positive_int(repeats, "repeats")
    for _ in range(int(warmup)):
        run()
    return float(statistics.median(seconds(run) for _ in range(int(repeats))))


def interleaved_seconds(
    runs: dict[str, Callable[[], object]], repeats: int, *, warmup_rounds: int = 1
) -> dict[str, list[float]]:
    """Seconds of each named call over `repeats` rounds that call every one in turn.

    Interleaving makes a disturbance by other processes hit all candidates alike; the first
    `warmup_rounds` rounds are run but not timed.
    """
    positive_int(repeats, "repeats")
    times: dict[str, list[float]] = {name: [] for name in runs}
    for round_ in range(int(warmup_rounds) + int(repeats)):
        for name, run in runs.items():
            took = seconds(run)
            if round_ >= warmup_rounds:
                times[name].append(took)
    return times


class EpochTimer(keras.callbacks.Callback):
    """Keeps the wall time of every epoch (validation included) in `seconds`.

    Subclasses report an epoch by overriding `epoch_done(epoch, logs, seconds)`, which runs
    after the epoch's time is recorded.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        self.epoch_done(epoch, logs or {}, self.seconds[-1])

    def epoch_done(self, epoch: int, logs: dict, seconds: float) -> None:
        """Called once per finished epoch; the base class only records the time."""
