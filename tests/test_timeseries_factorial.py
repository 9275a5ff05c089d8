"""dlhw.timeseries.factorial: Shapley attribution with known effects, the symptom predicate,
the variants of the naive arrays, and the factorial on a cheap fitter."""

import itertools

import numpy as np
import pytest

from dlhw.timeseries import factorial as fx
from dlhw.timeseries.frames import NAIVE_FEATURES, SeriesError


def subsets(factors):
    return [
        frozenset(c) for k in range(len(factors) + 1) for c in itertools.combinations(factors, k)
    ]


def test_shapley_of_an_additive_function_is_each_term():
    effects = {"a": 3.0, "b": -1.0, "c": 0.5}
    values = {s: sum(effects[f] for f in s) for s in subsets("abc")}
    assert fx.shapley(values, "abc") == pytest.approx(effects)


def test_shapley_splits_an_interaction_evenly_and_sums_to_the_total():
    """v = 2·[a] + 4·[a and b]: a gets 2 + 2, b gets 2, c nothing; an order-dependent
    ablation (a first) would give a 2 and b 4."""
    values = {s: 2.0 * ("a" in s) + 4.0 * ({"a", "b"} <= s) for s in subsets("abc")}
    out = fx.shapley(values, "abc")
    assert out == pytest.approx({"a": 4.0, "b": 2.0, "c": 0.0})
    assert sum(out.values()) == pytest.approx(values[frozenset("abc")] - values[frozenset()])
    with pytest.raises(SeriesError, match="missing"):
        fx.shapley({frozenset(): 0.0}, "ab")


def test_symptom_stats_and_predicate():
    truth = np.array([1.0, 2.0, 1.5, 3.0, 2.5])
    above = truth + 1.0  # follows every change, always above
    stats = fx.symptom_stats(truth, above)
    assert stats["bias"] == pytest.approx(1.0) and stats["share_above"] == 1.0
    assert stats["change_correlation"] == pytest.approx(1.0)
    assert stats["test_r2"] < 0
    assert fx.Symptom().holds(stats)
    flat = fx.symptom_stats(truth, np.full(5, 10.0))
    assert np.isnan(flat["change_correlation"]) and not fx.Symptom().holds(flat)  # NaN: not met
    below = fx.symptom_stats(truth, truth - 1.0)
    assert below["share_above"] == 0.0 and not fx.Symptom().holds(below)
    close = fx.symptom_stats(truth, truth + 0.01)  # above and following, but R² > 0
    assert close["test_r2"] > 0 and not fx.Symptom().holds(close)
    with pytest.raises(SeriesError, match="equal"):
        fx.symptom_stats(truth, truth[:3])


def arrays(n=40):
    rng = np.random.default_rng(0)
    x = rng.random((n, 1, len(NAIVE_FEATURES))) * [1e5, 10, 10, 10, 1e6]
    y = x[:, 0, 1] * 2.0 + 1.0
    return x, y, np.arange(30), np.arange(30, n)


def test_variants_scale_on_the_training_rows_and_drop_the_date():
    x, y, train, _ = arrays()
    xs, ys, back = fx.variant(x, y, train, inputs="standardised", target="standardised")
    assert xs[train].mean(axis=(0, 1)) == pytest.approx(0, abs=1e-9)
    np.testing.assert_allclose(back(ys), y)
    xd, _, _ = fx.variant(x, y, train, date=False)
    assert xd.shape[-1] == len(NAIVE_FEATURES) - 1
    np.testing.assert_array_equal(xd[..., 0], x[..., 1])  # the date column went
    xt, _, _ = fx.variant(x, y, train, inputs="minmax_train")
    assert xt[train].min() == pytest.approx(0) and xt[train].max() == pytest.approx(1)
    xa, _, _ = fx.variant(x, y, train, inputs="minmax_all")
    assert xa.min() == pytest.approx(0) and xa.max() == pytest.approx(1)
    with pytest.raises(SeriesError, match="inputs must be one of"):
        fx.variant(x, y, train, inputs="log")


def linear(x_train, y_train):
    a = np.linalg.lstsq(
        np.c_[x_train.reshape(len(x_train), -1), np.ones(len(x_train))], y_train, rcond=None
    )[0]
    return lambda x: np.c_[x.reshape(len(x), -1), np.ones(len(x))] @ a


def test_factorial_has_every_cell_per_seed_and_shapley_by_seed():
    x, y, train, test = arrays()
    rows = fx.run_factorial(x, y, train, test, fitter_for_seed=lambda s: linear, seeds=[0, 1])
    assert len(rows) == 16 and {r["cell"] for r in rows} == {
        "none", "inputs", "target", "date", "inputs+target", "inputs+date", "target+date",
        "inputs+target+date",
    }  # fmt: skip
    effects = fx.shapley_by_seed(rows, "test_r2")
    assert set(effects) == set(fx.FACTORS)
    for mean, std in effects.values():
        assert abs(mean) < 1e-6 and std == pytest.approx(0.0, abs=1e-9)  # linear: nothing to fix


def test_day_windows():
    x = np.arange(12, dtype=float).reshape(6, 1, 2)
    w = fx.day_windows(x, 3)
    assert w.shape == (4, 3, 2)
    np.testing.assert_array_equal(w[0], x[:3, 0])
    np.testing.assert_array_equal(w[-1], x[3:, 0])
    with pytest.raises(SeriesError, match="lookback"):
        fx.day_windows(x, 7)


def test_levels_of_every_cell_and_min_max():
    assert fx.levels_of("none") == {"inputs": "raw", "target": "raw", "date": True}
    assert fx.levels_of("inputs+date") == {"inputs": "standardised", "target": "raw", "date": False}
    assert fx.levels_of("min-max inputs (all rows)")["inputs"] == "minmax_all"
    with pytest.raises(SeriesError, match="unknown cell"):
        fx.levels_of("inputs+volume")


def test_run_windowed_trains_on_windows_that_end_in_the_training_period():
    x, y, train, test = arrays()
    seen = {}

    def spy(x_train, y_train):
        seen["shape"] = x_train.shape
        return linear(x_train, y_train)

    out = fx.run_windowed(x, y, train, test, spy, 5, inputs="standardised")
    assert seen["shape"] == (30 - 4, 5, len(NAIVE_FEATURES))  # windows ending on days 4..29
    assert out["test_r2"] > 0.99 and not out["symptom"]
