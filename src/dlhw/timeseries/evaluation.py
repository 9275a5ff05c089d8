"""Q3 experiments: the written answer's fix scored on
shuffled and chronological hold-outs, the leak measured on purged blocks, and walk-forward
evaluation. Each takes a `Fitter`, so tests can inject a cheap model instead of an LSTM."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from dlhw.checks import positive_int
from dlhw.timeseries.frames import ANSWER_FEATURES, SeriesError, with_date_ordinal
from dlhw.timeseries.metrics import r2, returns_to_prices, score, skill
from dlhw.timeseries.models import Fitter, lstm_fitter
from dlhw.timeseries.scaling import Scaler
from dlhw.timeseries.windows import (
    BlockSplit,
    WindowGenerator,
    Windows,
    holdout_indices,
    leaked_fraction,
)


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


# pragma: no mutate start (Keras-level or outside `make mutate`'s scope)
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
