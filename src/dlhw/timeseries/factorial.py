"""Q3: the causes of the naive set-up's failure ranked without an order, and the written
answer's symptom as a predicate.

Three factors, each with two levels, on our reconstruction of the naive set-up: the inputs raw
or standardised, the target raw or standardised (training-period statistics), the date feature
in or out. `run_factorial` fits all 8 combinations on the same split for each seed; `shapley` gives
each factor's effect averaged over every order in which it can be added, so the effects sum to
the total change and no order of rows decides the ranking. `symptom` is the answer's
description (L195) as a predicate: R² below 0, the prediction above the truth on at least 90%
of the test days, and day-to-day changes that follow the truth's (correlation at least 0.5).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dlhw.timeseries.frames import NAIVE_FEATURES, SeriesError
from dlhw.timeseries.metrics import r2
from dlhw.timeseries.models import Fitter
from dlhw.timeseries.scaling import Scaler

FACTORS = ("inputs", "target", "date")  # standardised inputs, standardised target, date out
INPUT_SCALINGS = ("raw", "standardised", "minmax_train", "minmax_all")


def shapley(values: Mapping[frozenset, float], factors: Sequence[str]) -> dict[str, float]:
    """Each factor's Shapley value: its marginal effect values[S | {f}] - values[S], averaged
    over every order of adding the factors (weight |S|! (n - |S| - 1)! / n!). The effects sum
    to values[all] - values[none]. `values` holds one number per subset of `factors`."""
    factors = list(factors)
    n = len(factors)
    needed = [frozenset(c) for k in range(n + 1) for c in itertools.combinations(factors, k)]
    lacking = [sorted(s) for s in needed if s not in values]
    if lacking:
        raise SeriesError(
            f"shapley needs a value for every subset of {factors}; missing {lacking}."
        )
    out = {}
    for f in factors:
        others = [g for g in factors if g != f]
        total = 0.0
        for k in range(n):
            weight = math.factorial(k) * math.factorial(n - k - 1) / math.factorial(n)
            for subset in itertools.combinations(others, k):
                s = frozenset(subset)
                total += weight * (values[s | {f}] - values[s])
        out[f] = total
    return out


@dataclass(frozen=True)
class Symptom:
    """The answer's description as thresholds (ours; L195 gives no numbers)."""

    max_r2: float = 0.0
    min_share_above: float = 0.9
    min_change_correlation: float = 0.5

    def holds(self, stats: Mapping[str, float]) -> bool:
        """All three hold; a NaN correlation (a constant prediction) does not."""
        corr = stats["change_correlation"]
        return bool(
            stats["test_r2"] < self.max_r2
            and stats["share_above"] >= self.min_share_above
            and np.isfinite(corr)
            and corr >= self.min_change_correlation
        )


def symptom_stats(y_true, y_pred) -> dict[str, float]:
    """On the test days (N,): the mean signed error (prediction minus truth), the share of days
    predicted above the truth, the correlation of the day-to-day changes (NaN when the
    prediction is constant), and R²."""
    y_true, y_pred = np.asarray(y_true, "float64"), np.asarray(y_pred, "float64")
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) < 3:
        raise SeriesError("y_true and y_pred must be equal (N,) arrays with N >= 3.")
    dt, dp = np.diff(y_true), np.diff(y_pred)
    constant = np.std(dp) == 0 or np.std(dt) == 0
    return {
        "bias": float(np.mean(y_pred - y_true)),
        "share_above": float(np.mean(y_pred > y_true)),
        "change_correlation": float("nan") if constant else float(np.corrcoef(dt, dp)[0, 1]),
        "test_r2": r2(y_true, y_pred),
    }


def variant(
    x, y, train, *, inputs: str = "raw", target: str = "raw", date: bool = True
) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """The naive arrays x (N, T, F) with NAIVE_FEATURES, y (N,) changed one way: `inputs` raw,
    standardised or min-max scaled to [0, 1] (statistics of the training rows, or of all
    rows), `target` raw or standardised (training rows), `date` kept or dropped. Returns
    (x, y, back), `back` mapping predictions to prices."""
    if inputs not in INPUT_SCALINGS or target not in ("raw", "standardised"):
        raise SeriesError(
            f"inputs must be one of {list(INPUT_SCALINGS)} and target 'raw' or 'standardised', "
            f"got {inputs!r}, {target!r}."
        )
    x, y, train = np.asarray(x, "float64"), np.asarray(y, "float64"), np.asarray(train)
    if x.ndim != 3 or x.shape[-1] != len(NAIVE_FEATURES) or y.shape != x.shape[:1]:
        raise SeriesError(f"x must be (N, T, {len(NAIVE_FEATURES)}) and y (N,).")
    if not date:
        x = x[..., [i for i, f in enumerate(NAIVE_FEATURES) if f != "DateOrdinal"]]
    if inputs == "standardised":
        x = Scaler().fit(x[train]).transform(x)
    elif inputs.startswith("minmax"):
        rows = x[train] if inputs == "minmax_train" else x
        x = Scaler("minmax").fit(rows).transform(x)
    if target == "raw":
        return x, y, lambda p: np.asarray(p, "float64")
    y_scaler = Scaler().fit(y[train])
    return x, y_scaler.transform(y), lambda p: y_scaler.inverse_transform(p)


def cell_name(applied: frozenset) -> str:
    """A factorial cell by the factors applied: "none", or e.g. "inputs+date"."""
    return "+".join(f for f in FACTORS if f in applied) or "none"


def run_variant(x, y, train, test, fitter: Fitter, **levels) -> dict[str, float]:
    """Fit one variant on the training rows and score it: train and test R² (prices), the
    symptom's statistics on the test rows, whether the symptom holds, and the predictions of
    every row (N,), in prices."""
    xv, yv, back = variant(x, y, train, **levels)
    predict = fitter(xv[train], yv[train])
    pred = back(predict(xv))
    y = np.asarray(y, "float64")
    stats = symptom_stats(y[test], pred[test])
    return {
        "train_r2": r2(y[train], pred[train]),
        **stats,
        "symptom": Symptom().holds(stats),
        "prediction": pred,
    }


def run_factorial(
    x, y, train, test, *, fitter_for_seed: Callable[[int], Fitter], seeds: Sequence[int]
) -> list[dict]:
    """All 8 cells of the three factors on the same split, for each seed: one row per (cell,
    seed) with `run_variant`'s numbers."""
    rows = []
    for seed in seeds:
        fitter = fitter_for_seed(seed)
        for k in range(len(FACTORS) + 1):
            for applied in itertools.combinations(FACTORS, k):
                s = frozenset(applied)
                levels = {
                    "inputs": "standardised" if "inputs" in s else "raw",
                    "target": "standardised" if "target" in s else "raw",
                    "date": "date" not in s,
                }
                rows.append(
                    {
                        "cell": cell_name(s),
                        "seed": seed,
                        **run_variant(x, y, train, test, fitter, **levels),
                    }
                )
    return rows


def shapley_by_seed(rows: Sequence[Mapping], metric: str) -> dict[str, tuple[float, float]]:
    """Each factor's Shapley value on `metric` per seed, then (mean, standard deviation over
    seeds; 0 for one seed)."""
    by_seed: dict[int, dict[frozenset, float]] = {}
    names = {
        cell_name(frozenset(c)): frozenset(c)
        for k in range(len(FACTORS) + 1)
        for c in itertools.combinations(FACTORS, k)
    }
    for row in rows:
        by_seed.setdefault(row["seed"], {})[names[row["cell"]]] = float(row[metric])
    effects = [shapley(values, FACTORS) for values in by_seed.values()]
    return {
        f: (
            float(np.mean([e[f] for e in effects])),
            float(np.std([e[f] for e in effects], ddof=1)) if len(effects) > 1 else 0.0,
        )
        for f in FACTORS
    }


def day_windows(x, lookback: int) -> np.ndarray:
    """Windows of `lookback` consecutive days ending at each day from `lookback - 1` on:
    x (N, 1, F) -> (N - lookback + 1, lookback, F); window i ends at day i + lookback - 1."""
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[1] != 1 or not 1 <= lookback <= len(x):
        raise SeriesError(f"x must be (N, 1, F) with N >= lookback; got {x.shape}, {lookback}.")
    view = np.lib.stride_tricks.sliding_window_view(x[:, 0, :], lookback, axis=0)
    return np.ascontiguousarray(view.transpose(0, 2, 1))


def levels_of(cell: str) -> dict:
    """The `variant` levels of a cell name: a factorial cell ("inputs+date") or a min-max
    scaling ("min-max inputs (train rows)")."""
    if cell.startswith("min-max"):
        rows = cell.split("(")[1].split()[0]
        return {"inputs": f"minmax_{rows}", "target": "raw", "date": True}
    applied = set(cell.split("+")) - {"none"}
    if not applied <= set(FACTORS):
        raise SeriesError(f"unknown cell {cell!r}: factors are {list(FACTORS)}.")
    return {
        "inputs": "standardised" if "inputs" in applied else "raw",
        "target": "standardised" if "target" in applied else "raw",
        "date": "date" not in applied,
    }


def run_windowed(x, y, train, test, fitter: Fitter, lookback: int, **levels) -> dict:
    """`run_variant` on windows of `lookback` days (each ending on the day it predicts) instead
    of one day a sample; `train` and `test` are contiguous, chronological day ranges. The
    windows that end in the training period train; those that end in the test period test."""
    xv, yv, back = variant(x, y, train, **levels)
    xw, yw = day_windows(xv, lookback), yv[lookback - 1 :]
    ends = np.arange(lookback - 1, len(xv))
    fit_rows = np.isin(ends, np.asarray(train))
    test_rows = np.isin(ends, np.asarray(test))
    predict = fitter(xw[fit_rows], yw[fit_rows])
    y = np.asarray(y, "float64")[lookback - 1 :]
    pred = back(predict(xw))
    stats = symptom_stats(y[test_rows], pred[test_rows])
    return {"train_r2": r2(y[fit_rows], pred[fit_rows]), **stats, "symptom": Symptom().holds(stats)}
