"""Q3 windows: cutting a series into samples, chronological splits, hold-outs, and the
measures of how much a training set overlaps a test set (leaked fraction, purged blocks).

A window's inputs are rows `start..end` and its target is row `end + horizon`, so a window
never sees its own target. Arrays are `x: (N, T, F)` and `y: (N,)`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from dlhw.checks import positive_int
from dlhw.timeseries.frames import SeriesError, validate_frame

SPLIT_NAMES = ("train", "val", "test")


@dataclass(frozen=True)
class Windows:
    """Samples cut from one series: x (N, T, F), y (N,), and where each one sits in time.

    `start`, `end`: (N,) first and last input row; `target_row`: (N,) row of the target
    (end + horizon); `dates`: (N,) the target dates.
    """

    x: np.ndarray
    y: np.ndarray
    start: np.ndarray
    end: np.ndarray
    target_row: np.ndarray
    dates: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, index) -> Windows:
        """The windows at `index` (a boolean mask or integer positions)."""
        return Windows(*(getattr(self, f)[index] for f in Windows.__dataclass_fields__))


@dataclass(frozen=True)
class WindowGenerator:
    """Cuts a frame into windows of `lookback` rows of `feature_columns`, target
    `target_column` `horizon` rows after the window's last row (TensorFlow's idea, NumPy-only).
    """

    lookback: int
    feature_columns: tuple[str, ...]
    target_column: str
    horizon: int = 1
    date_column: str = "Date"

    def __post_init__(self) -> None:
        positive_int(self.lookback, "lookback", SeriesError)
        positive_int(self.horizon, "horizon", SeriesError)
        if isinstance(self.feature_columns, str) or not len(self.feature_columns):
            raise SeriesError(
                f"feature_columns must be a non-empty sequence of column names, "
                f"got {self.feature_columns!r}."
            )
        object.__setattr__(self, "feature_columns", tuple(self.feature_columns))

    def make(self, frame) -> Windows:
        """All windows of `frame`: x (N, lookback, F) float32, N = rows - lookback - horizon + 1."""
        columns = list(dict.fromkeys([*self.feature_columns, self.target_column]))
        validate_frame(frame, columns, date_column=self.date_column)
        n_rows = len(frame)
        n = n_rows - self.lookback - self.horizon + 1
        if n < 1:
            raise SeriesError(
                f"lookback ({self.lookback}) + horizon ({self.horizon}) = "
                f"{self.lookback + self.horizon} exceeds the series length ({n_rows} rows); "
                f"need lookback + horizon <= {n_rows}."
            )
        values = frame[list(self.feature_columns)].to_numpy(dtype="float32")
        views = np.lib.stride_tricks.sliding_window_view(values, self.lookback, axis=0)
        start = np.arange(n)
        end = start + self.lookback - 1
        target = end + self.horizon
        return Windows(
            x=np.ascontiguousarray(views[:n].transpose(0, 2, 1)),
            y=frame[self.target_column].to_numpy(dtype="float64")[target],
            start=start,
            end=end,
            target_row=target,
            dates=frame[self.date_column].to_numpy()[target],
        )


# --------------------------------------------------------------------------- splits
@dataclass(frozen=True)
class Split:
    """Chronological row ranges: train [0, train_end), val [train_end, val_end),
    test [val_end, n_rows)."""

    train_end: int
    val_end: int
    n_rows: int


def chronological_split(n_rows: int, *, train: float = 0.7, val: float = 0.1) -> Split:
    """Split `n_rows` rows in time order into train / validation / test (the rest)."""
    n_rows = positive_int(n_rows, "n_rows", SeriesError)
    for name, value in (("train", train), ("val", val)):
        if not 0 < value < 1:
            raise SeriesError(f"{name} must be a fraction in (0, 1), got {value!r}.")
    if train + val >= 1:
        raise SeriesError(f"train + val must be < 1 to leave a test period, got {train + val}.")
    train_end = int(round(n_rows * train))
    val_end = int(round(n_rows * (train + val)))
    sizes = dict(zip(SPLIT_NAMES, (train_end, val_end - train_end, n_rows - val_end), strict=True))
    empty = [name for name, size in sizes.items() if size < 1]
    if empty:
        raise SeriesError(
            f"split {empty} would be empty with {n_rows} rows, train={train}, val={val}; "
            "use a longer series or larger fractions."
        )
    return Split(train_end, val_end, n_rows)


def split_windows(windows: Windows, split: Split) -> dict[str, Windows]:
    """Assign each window to the period of its target row. A training window's inputs and
    target all lie before `split.train_end`; validation and test windows may look back into
    earlier periods (the past is known), never forward. With a horizon h > 1 the first h - 1
    windows of a period are dropped (a purge gap): their forecast origin (last input row)
    would lie before targets the previous period trained on."""
    parts = {
        "train": windows.target_row < split.train_end,
        "val": (windows.end >= split.train_end - 1) & (windows.target_row < split.val_end),
        "test": windows.end >= split.val_end - 1,
    }
    out = {}
    for name, mask in parts.items():
        if not mask.any():
            raise SeriesError(
                f"split {name!r} has no windows (train_end={split.train_end}, "
                f"val_end={split.val_end}, {len(windows)} windows); shorten the lookback or "
                "enlarge that period."
            )
        out[name] = windows.take(mask)
    return out


def holdout_indices(
    n: int, test_fraction: float, *, shuffle: bool, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train / test positions of `n` samples: the last `test_fraction` (chronological), or a
    random `test_fraction` (shuffled, as the written answer proposed). The shuffled order is
    `np.random.default_rng(seed).permutation(n)` and `train_test_split` cuts it unshuffled,
    so a seed always picks the same windows."""
    n = positive_int(n, "n", SeriesError)
    if not 0 < test_fraction < 1:
        raise SeriesError(f"test_fraction must be in (0, 1), got {test_fraction!r}.")
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n_test >= n:
        raise SeriesError(f"test_fraction={test_fraction} of {n} samples leaves an empty split.")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    train, test = train_test_split(order, test_size=n_test, shuffle=False)
    return np.sort(train), np.sort(test)


def leaked_fraction(train: Windows, test: Windows) -> float:
    """Share of test windows whose target row the training windows saw, as an input or a
    target. 0 for an honest chronological split; close to 1 when overlapping windows are
    shuffled across the split."""
    seen = np.zeros(int(max(train.target_row.max(), test.target_row.max())) + 1, bool)
    seen[train.target_row] = True
    covered = np.zeros(len(seen) + 1, int)
    np.add.at(covered, train.start, 1)
    np.add.at(covered, train.end + 1, -1)
    seen |= np.cumsum(covered)[:-1] > 0
    return float(seen[test.target_row].mean())


# --------------------------------------------------------------------------- leak measure
@dataclass(frozen=True)
class BlockSplit:
    """Window positions for measuring a leak on identical test windows.

    `test`: the windows of `blocks` (first, last) contiguous position ranges; `leaky`: every
    other window; `purged`: the others minus each window whose span (first input row to
    target row) overlaps a test window's span or the `embargo` rows after it."""

    test: np.ndarray
    leaky: np.ndarray
    purged: np.ndarray
    blocks: tuple[tuple[int, int], ...]
    embargo: int


def block_split(
    windows: Windows,
    *,
    n_blocks: int,
    block_fraction: float,
    embargo: int | None = None,
    seed: int = 0,
) -> BlockSplit:
    """Draw `n_blocks` non-overlapping contiguous test blocks of `block_fraction` of the
    windows each, at random positions (`seed`), and the leaky and purged training positions
    around them (see `BlockSplit`). `embargo` defaults to the lookback. Random single windows
    cannot be purged (no training window would survive); blocks can."""
    n_blocks = positive_int(n_blocks, "n_blocks", SeriesError)
    if not 0 < block_fraction * n_blocks < 1:
        raise SeriesError(
            f"n_blocks * block_fraction must be in (0, 1), got {n_blocks} * {block_fraction}."
        )
    lookback = int(windows.end[0] - windows.start[0]) + 1
    embargo = lookback if embargo is None else int(embargo)
    if embargo < 0:
        raise SeriesError(f"embargo must be >= 0 rows, got {embargo}.")
    size = int(round(len(windows) * block_fraction))
    if size < 1:
        raise SeriesError(
            f"block_fraction={block_fraction} of {len(windows)} windows is an empty block."
        )
    free = len(windows) - n_blocks * size
    gaps = np.sort(np.random.default_rng(seed).integers(0, free + 1, n_blocks))
    starts = gaps + np.arange(n_blocks) * size
    blocks = tuple((int(a), int(a + size - 1)) for a in starts)
    in_test = np.zeros(len(windows), bool)
    for first, last in blocks:
        in_test[first : last + 1] = True
    test, leaky = np.flatnonzero(in_test), np.flatnonzero(~in_test)
    purged = leaky[~overlapping(windows, test, leaky, embargo=embargo)]
    if not len(purged):
        raise SeriesError(
            f"no training window survives the purge ({n_blocks} blocks of {size} windows, "
            f"embargo {embargo}); use fewer or longer blocks."
        )
    return BlockSplit(test, leaky, purged, blocks, embargo)


def overlapping(windows: Windows, test, candidates, *, embargo: int = 0) -> np.ndarray:
    """Boolean mask over `candidates` (positions): does the candidate's span, rows
    [start, target_row], overlap the span of a window at positions `test`, extended by
    `embargo` rows after its target, [start, target_row + embargo]?"""
    test, candidates = np.asarray(test, int), np.asarray(candidates, int)
    if not len(test):
        return np.zeros(len(candidates), bool)
    n_rows = int(windows.target_row.max()) + embargo + 2
    marks = np.zeros(n_rows + 1, int)
    np.add.at(marks, windows.start[test], 1)
    np.add.at(marks, windows.target_row[test] + embargo + 1, -1)
    forbidden = np.cumsum(marks)[:-1] > 0
    count = np.concatenate([[0], np.cumsum(forbidden)])
    first, last = windows.start[candidates], windows.target_row[candidates]
    return count[last + 1] - count[first] > 0
