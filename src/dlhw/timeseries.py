"""Q3 time-series helpers: validated windows, chronological splits, train-only scaling,
scale-free targets, baselines and metrics.

The pieces follow TensorFlow's time-series tutorial: a `WindowGenerator` owns the lookback,
the horizon and the columns; statistics come from the training period only; every model
(baselines first) is scored into one table. Arrays are `x: (N, T, F)` (samples, time steps,
features) and `y: (N,)`; a window's inputs are rows `start..end` and its target is row
`end + horizon`, so a window never sees its own target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from dlhw.checks import positive_int
from dlhw.errors import DlhwError

PRICE_COLUMNS = ("Open", "High", "Low", "Close")
NAIVE_FEATURES = ("DateOrdinal", "Open", "High", "Low", "Volume")
ANSWER_FEATURES = ("DateOrdinal", "Open", "High", "Low", "Close", "Volume")
RETURN_FEATURES = ("log_return", "log_high_low", "log_close_open", "log_volume_change")
SPLIT_NAMES = ("train", "val", "test")

#: fit(x_train (N, T, F), y_train (N,)) -> forecast(x (M, T, F)) -> (M,). Experiments take a
#: fitter so that unit tests can inject a cheap deterministic model instead of an LSTM.
Fitter = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


class SeriesError(DlhwError, ValueError):
    """Bad input to a time-series helper (bad column, bad window size, empty split, ...)."""


# --------------------------------------------------------------------------- validation
def validate_frame(frame, columns: Sequence[str], *, date_column: str | None = "Date") -> None:
    """Check that `columns` of `frame` are numeric and finite and that dates strictly increase.

    Errors name the column and the first bad row (its position, 0-based, and its date), so
    that a bad value is found in the CSV instead of surfacing as NaN inside TensorFlow.
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise SeriesError(f"frame must be a pandas DataFrame, got {type(frame).__name__}.")
    wanted = list(columns) + ([date_column] if date_column else [])
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise SeriesError(f"columns {missing} not in frame; available: {list(frame.columns)}.")
    if len(frame) == 0:
        raise SeriesError("frame is empty; expected at least one row.")
    for column in columns:
        series = frame[column]
        numeric = pd.to_numeric(series, errors="coerce")
        bad = numeric.isna().to_numpy() & series.notna().to_numpy()
        if bad.any() or series.dtype == bool:
            row = int(np.argmax(bad)) if bad.any() else 0
            raise SeriesError(
                f"column {column!r} is not numeric (dtype {series.dtype}); first bad value "
                f"{series.iloc[row]!r} at {_where(frame, row, date_column)}."
            )
        values = numeric.to_numpy(dtype="float64")
        bad = ~np.isfinite(values)
        if bad.any():
            row = int(np.argmax(bad))
            raise SeriesError(
                f"column {column!r} has {int(bad.sum())} NaN or infinite value(s); first at "
                f"{_where(frame, row, date_column)}. Fill or drop them before windowing."
            )
    if date_column:
        dates = frame[date_column].to_numpy()
        if len(dates) > 1:
            steps = dates[1:] > dates[:-1]
            if not steps.all():
                row = int(np.argmax(~steps)) + 1
                raise SeriesError(
                    f"{date_column!r} must be strictly increasing; row {row} "
                    f"({dates[row]}) does not come after row {row - 1} ({dates[row - 1]}). "
                    "Sort by date and drop duplicate dates."
                )


def _where(frame, row: int, date_column: str | None) -> str:
    if date_column and date_column in frame.columns:
        return f"row {row} ({date_column} {frame[date_column].iloc[row]})"
    return f"row {row}"


# --------------------------------------------------------------------------- features
def add_return_features(frame):  # pragma: no mutate block
    """Return a copy of the OHLCV `frame` with scale-free columns (first row dropped).

    `log_return` = log(Close_t / Close_t-1), `log_high_low` = log(High / Low),
    `log_close_open` = log(Close / Open), `log_volume_change` = log((1 + V_t) / (1 + V_t-1)).
    None depends on the price level, so a model trained on 1990 can be applied to 2015.
    """
    validate_frame(frame, (*PRICE_COLUMNS, "Volume"))
    prices = frame[list(PRICE_COLUMNS)].to_numpy(dtype="float64")
    if (prices <= 0).any():
        row = int(np.argmax((prices <= 0).any(axis=1)))
        raise SeriesError(f"prices must be positive for log-returns; {_where(frame, row, 'Date')}.")
    out = frame.copy()
    close = out["Close"].to_numpy(dtype="float64")
    volume = np.log1p(out["Volume"].to_numpy(dtype="float64").clip(min=0))
    out["log_return"] = np.concatenate([[np.nan], np.diff(np.log(close))])
    out["log_high_low"] = np.log(out["High"] / out["Low"])
    out["log_close_open"] = np.log(out["Close"] / out["Open"])
    out["log_volume_change"] = np.concatenate([[np.nan], np.diff(volume)])
    return out.iloc[1:].reset_index(drop=True)


def with_date_ordinal(frame):  # pragma: no mutate block
    """A copy of `frame` with `DateOrdinal` (the date as a day number, as the hand-out used)."""
    validate_frame(frame, ())
    out = frame.copy()
    out["DateOrdinal"] = out["Date"].map(lambda d: d.toordinal()).astype("float64")
    return out


def naive_arrays(frame) -> tuple[np.ndarray, np.ndarray]:  # pragma: no mutate block
    """The hand-out's set-up: x (N, 1, 5) = [date ordinal, Open, High, Low, Volume], raw scales,
    one time step per sample; y (N,) = the same day's Close."""
    validate_frame(frame, ("Open", "High", "Low", "Close", "Volume"))
    x = with_date_ordinal(frame)[list(NAIVE_FEATURES)].to_numpy(dtype="float32")[:, None, :]
    return x, frame["Close"].to_numpy(dtype="float64")


# --------------------------------------------------------------------------- windows
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
    random `test_fraction` (shuffled, as the written answer proposed)."""
    n = positive_int(n, "n", SeriesError)
    if not 0 < test_fraction < 1:
        raise SeriesError(f"test_fraction must be in (0, 1), got {test_fraction!r}.")
    n_test = int(round(n * test_fraction))
    if n_test < 1 or n_test >= n:
        raise SeriesError(f"test_fraction={test_fraction} of {n} samples leaves an empty split.")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    return np.sort(order[: n - n_test]), np.sort(order[n - n_test :])


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


@dataclass(frozen=True)
class AnswerFixData:
    """The written answer's fix: windows of the hand-out's columns, min-max scaled with the
    statistics of ALL rows (the future included). x: (N, T, F) and y: (N,) scaled;
    `windows` keeps the raw values and the positions; `y_scaler` maps y back to prices;
    `last_close`: (N,) the last close inside each window (the persistence forecast)."""

    windows: Windows
    x: np.ndarray
    y: np.ndarray
    y_scaler: Scaler
    last_close: np.ndarray


def answer_fix_data(frame, lookback: int) -> AnswerFixData:  # pragma: no mutate block
    """Windows of `lookback` days of ANSWER_FEATURES, target the next Close, scaled as the
    written answer did: one min-max scaler fitted on the whole series before any split."""
    windows = WindowGenerator(lookback, ANSWER_FEATURES, "Close").make(with_date_ordinal(frame))
    x_scaler = Scaler("minmax").fit(windows.x)
    y_scaler = Scaler("minmax").fit(windows.y)
    return AnswerFixData(
        windows,
        x_scaler.transform(windows.x),
        y_scaler.transform(windows.y),
        y_scaler,
        frame["Close"].to_numpy(dtype="float64")[windows.end],
    )


def holdout_r2(
    data: AnswerFixData,
    *,
    shuffle: bool,
    epochs: int,
    seed: int = 0,
    test_fraction: float = 0.2,
    scaler_rows: str = "all",
    fitter: Fitter | None = None,
) -> dict:  # pragma: no mutate block
    """Train the same LSTM (same seed) on a shuffled or a chronological hold-out of
    `data` and score the test windows in prices. See `score_holdout` for `scaler_rows`,
    `fitter` and what is returned; the positions come from `holdout_indices`."""
    train, test = holdout_indices(len(data.y), test_fraction, shuffle=shuffle, seed=seed)
    fitter = fitter or lstm_fitter(epochs=epochs, seed=seed, name="answer_fix")
    return score_holdout(data, train, test, fitter=fitter, scaler_rows=scaler_rows)


class _Identity:  # pragma: no mutate block
    def inverse_transform(self, data):
        return np.asarray(data, "float64")


def score_holdout(
    data: AnswerFixData, train, test, *, fitter: Fitter, scaler_rows: str = "all"
) -> dict:  # pragma: no mutate block
    """Fit `fitter` on the windows at positions `train` and score the windows at `test` in
    prices. `scaler_rows="all"` uses the written answer's min-max scalers (fitted on every
    row, the future included); `"train"` refits them on the training windows only;
    `"none"` hands the fitter the raw windows (for `memoriser`).
    Returns r2, skill (versus persistence on the same test windows), leaked_fraction (see
    `leaked_fraction`), train_windows, the train / test positions and the test predictions."""
    train, test = np.asarray(train), np.asarray(test)
    if not len(train) or not len(test):
        raise SeriesError(f"train and test must be non-empty, got {len(train)} and {len(test)}.")
    if len(np.intersect1d(train, test)):
        raise SeriesError("train and test positions overlap; a window cannot be in both.")
    if scaler_rows == "all":
        x, y, y_scaler = data.x, data.y, data.y_scaler
    elif scaler_rows == "none":
        x, y, y_scaler = data.windows.x, data.windows.y, _Identity()
    elif scaler_rows == "train":
        x_scaler = Scaler("minmax").fit(data.windows.x[train])
        y_scaler = Scaler("minmax").fit(data.windows.y[train])
        x, y = x_scaler.transform(data.windows.x), y_scaler.transform(data.windows.y)
    else:
        raise SeriesError(f"scaler_rows must be 'all', 'train' or 'none', got {scaler_rows!r}.")
    forecast = fitter(x[train], y[train])
    prediction = y_scaler.inverse_transform(forecast(x[test]))
    return {
        "r2": r2(data.windows.y[test], prediction),
        "skill": skill(data.windows.y[test], prediction, data.last_close[test]),
        "leaked_fraction": leaked_fraction(data.windows.take(train), data.windows.take(test)),
        "train_windows": len(train),
        "train": train,
        "test": test,
        "prediction": prediction,
    }


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


def leak_runs(
    data: AnswerFixData,
    split: BlockSplit,
    *,
    fitter: Fitter,
    seed: int = 0,
    scaler_rows: str = "train",
) -> dict[str, dict]:  # pragma: no mutate block
    """The leak, measured: the same `fitter` trained twice and scored on the same test
    windows `split.test`: "leaky" on the other windows subsampled (`seed`) to the purged
    run's size, "purged" on `split.purged`. Scalers are fitted on each run's training
    windows only (`scaler_rows`, see `score_holdout`), so the only difference between the
    runs is the overlap with the test. Returns {"leaky": ..., "purged": ...}, each as
    `score_holdout` returns it."""
    rng = np.random.default_rng(seed)
    leaky = np.sort(rng.choice(split.leaky, size=len(split.purged), replace=False))
    return {
        name: score_holdout(data, train, split.test, fitter=fitter, scaler_rows=scaler_rows)
        for name, train in (("leaky", leaky), ("purged", split.purged))
    }


def leak_metrics(
    leak: dict[tuple[str, str], dict[str, dict]], *, short: str, long: str
) -> dict[str, float]:  # pragma: no mutate block
    """Flat metrics of the leak measurement for `results.record`: `leak` maps
    (design, model) to what `leak_runs` returned, models "LSTM" and "memoriser"; `short` is
    the design with blocks no longer than the lookback (the headline keys `leak_*`), `long`
    the other (`leak_long_*`)."""
    missing = [
        key for key in ((short, "LSTM"), (short, "memoriser"), (long, "LSTM")) if key not in leak
    ]
    if missing:
        raise SeriesError(f"leak has no runs for {missing}; keys: {list(leak)}.")
    out = {}
    for prefix, design in (("leak", short), ("leak_long", long)):
        runs = leak[design, "LSTM"]
        out |= {
            f"{prefix}_test_windows": len(runs["purged"]["test"]),
            f"{prefix}_train_windows": runs["purged"]["train_windows"],
            f"{prefix}_seen_shuffled": runs["leaky"]["leaked_fraction"],
        }
        for metric in ("r2", "skill"):
            out[f"{prefix}_{metric}_shuffled"] = runs["leaky"][metric]
            out[f"{prefix}_{metric}_purged"] = runs["purged"][metric]
    memorised = leak[short, "memoriser"]
    out["leak_memoriser_skill_shuffled"] = memorised["leaky"]["skill"]
    out["leak_memoriser_skill_purged"] = memorised["purged"]["skill"]
    return out


def memoriser(
    calendar,
    *,
    date_feature: int = ANSWER_FEATURES.index("DateOrdinal"),
    value_feature: int = ANSWER_FEATURES.index("Close"),
) -> Fitter:  # pragma: no mutate block
    """A model that exploits a leak by memorising and can do nothing else. It remembers the
    value of every day it saw inside a training window (feature `value_feature`, dated by
    feature `date_feature`); a window's target day is the next day of `calendar` (every
    row's date ordinal) after its last input day. If that day was seen, it returns the
    remembered value, exactly; if not, the last input's value (persistence). So its skill
    versus persistence is what the leak alone is worth: 0 when nothing leaks. Needs
    unscaled windows (`score_holdout(..., scaler_rows="none")`)."""
    calendar = np.asarray(calendar, "float64")
    if calendar.ndim != 1 or np.any(np.diff(calendar) <= 0):
        raise SeriesError("calendar must be a strictly increasing 1-D array of date ordinals.")

    def fit(x_train, y_train):
        dates = np.asarray(x_train[:, :, date_feature], "float64").ravel()
        values = np.asarray(x_train[:, :, value_feature], "float64").ravel()
        dates, first = np.unique(dates, return_index=True)
        values = values[first]

        def forecast(x_new):
            last_day = np.asarray(x_new[:, -1, date_feature], "float64")
            target_day = calendar[
                np.minimum(np.searchsorted(calendar, last_day, "right"), len(calendar) - 1)
            ]
            found = np.minimum(np.searchsorted(dates, target_day), len(dates) - 1)
            seen = dates[found] == target_day
            return np.where(seen, values[found], x_new[:, -1, value_feature])

        return forecast

    return fit


# --------------------------------------------------------------------------- scaling
class Scaler:
    """Per-feature scaling over the last axis, fitted on the training data only.

    kind="standard": (x - mean) / std; kind="minmax": (x - min) / (max - min), in [0, 1] on
    the data it was fitted on. Works on x (N, F) or (N, T, F) and y (N,).
    """

    KINDS = ("standard", "minmax")

    def __init__(self, kind: str = "standard") -> None:
        if kind not in self.KINDS:
            raise SeriesError(f"kind must be one of {self.KINDS}, got {kind!r}.")
        self.kind = kind
        self.offset_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, data: np.ndarray) -> Scaler:
        """Learn the per-feature statistics of `data` (N, F), (N, T, F) or (N,)."""
        data = np.asarray(data, dtype="float64")
        if data.size == 0:
            raise SeriesError("cannot fit a Scaler on empty data.")
        flat = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(-1, 1)
        if not np.isfinite(flat).all():
            raise SeriesError("cannot fit a Scaler on data with NaN or infinite values.")
        if self.kind == "standard":
            offset, scale = flat.mean(axis=0), flat.std(axis=0)
        else:
            offset, scale = flat.min(axis=0), flat.max(axis=0) - flat.min(axis=0)
        self.offset_, self.scale_ = offset, np.where(scale > 0, scale, 1.0)
        self._ndim = data.ndim
        return self

    def _check(self, data: np.ndarray) -> np.ndarray:
        if self.offset_ is None:
            raise SeriesError("this Scaler is not fitted yet; call fit(train_data) first.")
        data = np.asarray(data, dtype="float64")
        width = data.shape[-1] if self._ndim > 1 else 1
        if self._ndim > 1 and (data.ndim < 2 or width != len(self.offset_)):
            raise SeriesError(
                f"data has shape {data.shape}; the Scaler was fitted on "
                f"{len(self.offset_)} feature(s) on the last axis."
            )
        return data

    def transform(self, data: np.ndarray) -> np.ndarray:
        """Scale `data` with the fitted statistics (same shape out)."""
        data = self._check(data)
        if self._ndim == 1:
            return (data - self.offset_[0]) / self.scale_[0]
        return (data - self.offset_) / self.scale_

    def inverse_transform(self, data: np.ndarray) -> np.ndarray:
        """Undo `transform` (same shape out)."""
        data = self._check(data)
        if self._ndim == 1:
            return data * self.scale_[0] + self.offset_[0]
        return data * self.scale_ + self.offset_


# --------------------------------------------------------------------------- metrics
def _pair(y_true, y_pred, name: str = "y_pred") -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype="float64").ravel()
    y_pred = np.asarray(y_pred, dtype="float64").ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise SeriesError(
            f"y_true and {name} must be non-empty and the same length, got "
            f"{y_true.size} and {y_pred.size}."
        )
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise SeriesError(f"y_true and {name} must be finite (found NaN or infinity).")
    return y_true, y_pred


def r2(y_true, y_pred) -> float:
    """Coefficient of determination: 1 - SSE / SST; below 0 means worse than the test mean."""
    y_true, y_pred = _pair(y_true, y_pred)
    total = np.sum((y_true - y_true.mean()) ** 2)
    if total == 0:
        raise SeriesError("R² is undefined when y_true is constant.")
    return float(1 - np.sum((y_true - y_pred) ** 2) / total)


def mae(y_true, y_pred) -> float:
    """Mean absolute error."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def skill(y_true, y_pred, y_reference) -> float:
    """Skill versus a reference forecast: 1 - MSE(model) / MSE(reference); 0 = no better."""
    y_true, y_pred = _pair(y_true, y_pred)
    _, y_reference = _pair(y_true, y_reference, "y_reference")
    reference = np.mean((y_true - y_reference) ** 2)
    if reference == 0:
        raise SeriesError("skill is undefined when the reference forecast is perfect.")
    return float(1 - np.mean((y_true - y_pred) ** 2) / reference)


def returns_to_prices(last_close, log_return) -> np.ndarray:
    """Price forecasts from predicted log-returns: last_close * exp(log_return), shapes (N,)."""
    last_close, log_return = _pair(last_close, log_return, "log_return")
    return last_close * np.exp(log_return)


def score(price_true, price_pred, last_close) -> dict[str, float]:
    """One row of the comparison table for price forecasts made from `last_close`:
    R² on prices, R² on log-returns, MAE on prices, skill versus persistence."""
    price_true, price_pred = _pair(price_true, price_pred, "price_pred")
    _, last_close = _pair(price_true, last_close, "last_close")
    if (price_pred <= 0).any():
        raise SeriesError("price_pred must be positive to score log-returns.")
    return {
        "r2_price": r2(price_true, price_pred),
        "r2_return": r2(np.log(price_true / last_close), np.log(price_pred / last_close)),
        "mae": mae(price_true, price_pred),
        "skill_vs_persistence": skill(price_true, price_pred, last_close),
    }


# --------------------------------------------------------------------------- models
# pragma: no mutate start (Keras-level or outside `make mutate`'s scope)
def linear_forecast(x_train, y_train, x_test, *, alpha: float = 1.0) -> np.ndarray:
    """Ridge regression on the flattened windows, x (N, T, F) -> (N,) (a baseline)."""
    from sklearn.linear_model import Ridge

    x_train, x_test = np.asarray(x_train), np.asarray(x_test)
    model = Ridge(alpha=alpha).fit(x_train.reshape(len(x_train), -1), y_train)
    return model.predict(x_test.reshape(len(x_test), -1))


def build_lstm(n_steps: int, n_features: int, *, units: int = 32, name: str = "lstm_model"):
    """A small LSTM regressor: Input (T, F) -> LSTM(units) -> Dense(1); Adam, MSE loss."""
    import keras

    inputs = keras.Input((n_steps, n_features), name="window")
    hidden = keras.layers.LSTM(units, name="lstm")(inputs)
    outputs = keras.layers.Dense(1, name="forecast")(hidden)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def fit_lstm(
    x_train,
    y_train,
    *,
    epochs: int,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    units: int = 32,
    batch_size: int = 64,
    patience: int = 5,
    seed: int | None = None,
    name: str = "lstm_model",
):
    """Train `build_lstm` on x (N, T, F), y (N,); with `validation`, stop early on its loss
    and keep the best weights; `seed` fixes the initial weights and the batch order.
    Returns the model."""
    import keras

    epochs = positive_int(epochs, "epochs", SeriesError)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    x_train = np.asarray(x_train, dtype="float32")
    model = build_lstm(x_train.shape[1], x_train.shape[2], units=units, name=name)
    callbacks = []
    if validation is not None:
        validation = tuple(np.asarray(a, dtype="float32") for a in validation)
        callbacks.append(
            keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        )
    model.fit(
        x_train,
        np.asarray(y_train, dtype="float32"),
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        callbacks=callbacks,
        shuffle=True,
        verbose=0,
    )
    return model


def predict(model, x) -> np.ndarray:
    """Model outputs for x (N, T, F) as a float64 vector (N,)."""
    return np.asarray(model.predict(np.asarray(x, dtype="float32"), verbose=0), "float64").ravel()


def lstm_fitter(*, epochs: int, seed: int | None = None, name: str = "lstm_model") -> Fitter:
    """A `Fitter` that trains `fit_lstm` (same seed, same initial weights on every call)."""

    def fit(x_train, y_train):
        model = fit_lstm(x_train, y_train, epochs=epochs, seed=seed, name=name)
        return lambda x: predict(model, x)

    return fit


def linear_fitter(x_train, y_train) -> Callable[[np.ndarray], np.ndarray]:
    """A `Fitter`: ordinary least squares in float64 on the flattened windows."""
    from sklearn.linear_model import LinearRegression

    x_train = np.asarray(x_train, "float64")
    model = LinearRegression().fit(x_train.reshape(len(x_train), -1), y_train)
    return lambda x: model.predict(np.asarray(x, "float64").reshape(len(x), -1))


ABLATION_ROWS = (
    "(a) naive: raw inputs, raw target",
    "(b) inputs standardised",
    "(c) inputs and target standardised",
    "(d) linear regression, standardised inputs",
)


def naive_ablation(x, y, train, test, *, fitter: Fitter) -> tuple:
    """Rank the causes of the naive set-up's negative R²: the same `fitter` (same seed) on
    (a) the raw inputs and target, (b) inputs standardised with training-period statistics
    (removes gate saturation), (c) the target standardised too (removes the output scale),
    and (d) a float64 least-squares fit on the standardised inputs (a model that can
    extrapolate a level). x: (N, T, F), y: (N,). Returns (table, predictions): a DataFrame
    with train_r2, test_r2 and the test predictions' mean, std and max per row of
    `ABLATION_ROWS`, and each row's predictions for all N samples."""
    import pandas as pd

    x, y = np.asarray(x, "float64"), np.asarray(y, "float64")
    train, test = np.asarray(train), np.asarray(test)
    x_std = Scaler().fit(x[train]).transform(x)
    y_scaler = Scaler().fit(y[train])
    predictions = {
        ABLATION_ROWS[0]: fitter(x[train], y[train])(x),
        ABLATION_ROWS[1]: fitter(x_std[train], y[train])(x_std),
        ABLATION_ROWS[2]: y_scaler.inverse_transform(
            fitter(x_std[train], y_scaler.transform(y[train]))(x_std)
        ),
        ABLATION_ROWS[3]: linear_fitter(x_std[train], y[train])(x_std),
    }
    table = pd.DataFrame(
        {
            name: {
                "train_r2": r2(y[train], pred[train]),
                "test_r2": r2(y[test], pred[test]),
                "test_pred_mean": float(pred[test].mean()),
                "test_pred_std": float(pred[test].std()),
                "test_pred_max": float(pred[test].max()),
            }
            for name, pred in predictions.items()
        }
    ).T
    return table, predictions


# pragma: no mutate end
def return_skill(price_true, price_pred, last_close) -> dict[str, float]:
    """Why skill on prices and R² on returns can disagree in sign. With r the true and r̂
    the forecast log-return, a price error is about C_t (r̂ - r): skill on prices weighs each
    day's return error by C_t², R² on returns weighs every day alike. Returns the skill
    versus persistence (r̂ = 0) on returns unweighted and weighted by C_t², the skill on
    prices, and the R² on returns of the model and of persistence."""
    price_true, price_pred = _pair(price_true, price_pred, "price_pred")
    _, last_close = _pair(price_true, last_close, "last_close")
    truth, forecast = np.log(price_true / last_close), np.log(price_pred / last_close)
    weight = last_close**2
    return {
        "return_skill": skill(truth, forecast, np.zeros_like(truth)),
        "return_skill_price_weighted": float(
            1 - np.sum(weight * (truth - forecast) ** 2) / np.sum(weight * truth**2)
        ),
        "price_skill": skill(price_true, price_pred, last_close),
        "r2_return": r2(truth, forecast),
        "r2_return_persistence": r2(truth, np.zeros_like(truth)),
    }


# pragma: no mutate start (Keras-level or outside `make mutate`'s scope)
def forecast_returns(
    parts: dict[str, Windows],
    *,
    model: str = "lstm",
    epochs: int = 1,
    units: int = 32,
    seed: int | None = None,
) -> np.ndarray:
    """Fit on parts["train"] (scalers fitted there only; "val" for early stopping) and
    return the predicted target of parts["test"] in the target's own units, shape (N,)."""
    if model not in ("lstm", "linear"):
        raise SeriesError(f"model must be 'lstm' or 'linear', got {model!r}.")
    train, val, test = parts["train"], parts["val"], parts["test"]
    x_scaler, y_scaler = Scaler().fit(train.x), Scaler().fit(train.y)
    x_train, y_train = x_scaler.transform(train.x), y_scaler.transform(train.y)
    if model == "linear":
        scaled = linear_forecast(x_train, y_train, x_scaler.transform(test.x))
    else:
        validation = (x_scaler.transform(val.x), y_scaler.transform(val.y))
        fitted = fit_lstm(
            x_train, y_train, epochs=epochs, validation=validation, units=units, seed=seed
        )
        scaled = predict(fitted, x_scaler.transform(test.x))
    return y_scaler.inverse_transform(scaled)


def gate_saturation(model, x, *, layer: str = "lstm", threshold: float = 5.0) -> float:
    """Share of an LSTM's input pre-activations x_t W + b (all gates, all steps) with
    |z| > threshold, where sigmoid and tanh are flat (slope < 0.01): such inputs pass almost
    no gradient (a hundredth or less of it), not none. x: (N, T, F) as fed to the model. With
    one time step this is exact."""
    kernel, _, bias = model.get_layer(layer).get_weights()
    x = np.asarray(x, dtype="float64")
    z = x.reshape(-1, x.shape[-1]) @ kernel + bias
    return float(np.mean(np.abs(z) > threshold))


def walk_forward(
    windows: Windows,
    close: np.ndarray,
    forecaster: Callable[[dict[str, Windows]], np.ndarray],
    *,
    n_splits: int,
    val_fraction: float = 0.1,
):
    """Walk-forward evaluation with scikit-learn's `TimeSeriesSplit` over windows in time
    order. In each fold the forecaster is refitted (scalers included) on the fold's past only,
    the last `val_fraction` of it held out for early stopping; `windows.y` must be the next
    log-return and `close` (rows,) the close prices, so forecasts are scored with `score`.
    Returns a DataFrame with one row per fold."""
    import pandas as pd
    from sklearn.model_selection import TimeSeriesSplit

    n_splits = positive_int(n_splits, "n_splits", SeriesError)
    if n_splits < 2 or len(windows) < 2 * (n_splits + 1):
        raise SeriesError(
            f"n_splits must be >= 2 and leave >= 2 windows a fold; got n_splits={n_splits} "
            f"for {len(windows)} windows."
        )
    if np.any(np.diff(windows.target_row) <= 0):
        raise SeriesError("windows must be in time order (increasing target_row).")
    close = np.asarray(close, dtype="float64")
    gap = int(windows.target_row[0] - windows.end[0]) - 1  # purge h - 1 windows (horizon h)
    rows = []
    for fold, (past, future) in enumerate(TimeSeriesSplit(n_splits, gap=gap).split(windows.y)):
        n_val = max(1, int(round(len(past) * val_fraction)))
        if len(past) <= n_val + gap:
            raise SeriesError(
                f"fold {fold} has {len(past)} past windows: too few for a validation split "
                f"and a purge gap of {gap}; use fewer folds or a longer series."
            )
        parts = {
            "train": windows.take(past[: len(past) - n_val - gap]),
            "val": windows.take(past[-n_val:]),
            "test": windows.take(future),
        }
        test = parts["test"]
        last_close = close[test.end]
        forecast = returns_to_prices(last_close, forecaster(parts))
        row = {"fold": fold, "train_windows": len(parts["train"]), "test_windows": len(future)}
        row["test_from"], row["test_to"] = test.dates[0], test.dates[-1]
        rows.append(row | score(close[test.target_row], forecast, last_close))
    return pd.DataFrame(rows)


# pragma: no mutate end
