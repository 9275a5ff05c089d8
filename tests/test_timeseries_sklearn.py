"""dlhw.timeseries on scikit-learn: the `Scaler` wrapper, `r2`, `mae` and `holdout_indices`
give what the hand-written versions they replaced gave. Those versions are copied here as
references; scalers and metrics agree to about 1e-12 relative, hold-out positions exactly
(Q3's recorded results depend on which windows are held out)."""

import numpy as np
import pytest

from dlhw import timeseries as ts


# ------------------------------------------------------------------ the replaced versions
class OldScaler:
    """The hand-written scaler before scikit-learn (transform and inverse_transform only)."""

    def __init__(self, kind="standard"):
        self.kind = kind

    def fit(self, data):
        data = np.asarray(data, dtype="float64")
        flat = data.reshape(-1, data.shape[-1]) if data.ndim > 1 else data.reshape(-1, 1)
        if self.kind == "standard":
            offset, scale = flat.mean(axis=0), flat.std(axis=0)
        else:
            offset, scale = flat.min(axis=0), flat.max(axis=0) - flat.min(axis=0)
        self.offset_, self.scale_ = offset, np.where(scale > 0, scale, 1.0)
        self._ndim = data.ndim
        return self

    def transform(self, data):
        data = np.asarray(data, dtype="float64")
        if self._ndim == 1:
            return (data - self.offset_[0]) / self.scale_[0]
        return (data - self.offset_) / self.scale_

    def inverse_transform(self, data):
        data = np.asarray(data, dtype="float64")
        if self._ndim == 1:
            return data * self.scale_[0] + self.offset_[0]
        return data * self.scale_ + self.offset_


def old_holdout_indices(n, test_fraction, *, shuffle, seed=0):
    n_test = int(round(n * test_fraction))
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    return np.sort(order[: n - n_test]), np.sort(order[n - n_test :])


def old_r2(y_true, y_pred):
    total = np.sum((y_true - y_true.mean()) ** 2)
    return float(1 - np.sum((y_true - y_pred) ** 2) / total)


def old_mae(y_true, y_pred):
    return float(np.mean(np.abs(y_true - y_pred)))


def _close(new, old, rtol=1e-12):
    """new equals old to `rtol` relative to old's largest magnitude (values near 0 included)."""
    new, old = np.asarray(new), np.asarray(old)
    assert new.shape == old.shape and new.dtype == old.dtype == np.float64
    np.testing.assert_allclose(new, old, rtol=rtol, atol=rtol * np.abs(old).max())


def _price_like(rng, shape):
    """Features on very different scales, like Q3's: date ordinals, prices, volumes."""
    levels = np.array([7e5, 50.0, 1e8, 0.01])[: shape[-1]] if len(shape) > 1 else 50.0
    return levels * (1 + 0.3 * rng.standard_normal(shape))


# ------------------------------------------------------------------ scalers
@pytest.mark.parametrize("kind", ["standard", "minmax"])
@pytest.mark.parametrize("shape", [(200,), (200, 4), (120, 20, 4), (50, 1, 3)])
def test_scaler_matches_the_hand_written_one(kind, shape):
    rng = np.random.default_rng(sum(shape))
    train, other = _price_like(rng, shape), _price_like(rng, (30, *shape[1:]))
    new, old = ts.Scaler(kind).fit(train), OldScaler(kind).fit(train)
    _close(new.offset_, old.offset_)
    _close(new.scale_, old.scale_)
    for data in (train, other):
        _close(new.transform(data), old.transform(data))
        scaled = old.transform(data)
        _close(new.inverse_transform(scaled), old.inverse_transform(scaled))


@pytest.mark.parametrize("kind", ["standard", "minmax"])
def test_scaler_matches_on_float32_windows_with_a_constant_feature(kind):
    rng = np.random.default_rng(5)
    x = _price_like(rng, (80, 10, 3)).astype("float32")
    x[:, :, 1] = 42.0  # constant: scale 1, as before
    new, old = ts.Scaler(kind).fit(x), OldScaler(kind).fit(x)
    assert new.scale_[1] == old.scale_[1] == 1.0
    _close(new.transform(x), old.transform(x))


def test_scaler_of_a_vector_takes_any_shape_and_keeps_it():
    """Fitted on y (N,), it scales a scalar, a vector or a column and gives the shape back."""
    y = np.arange(10.0)
    new, old = ts.Scaler("minmax").fit(y), OldScaler("minmax").fit(y)
    for data in (np.float64(3.0), np.array([2.0, 20.0]), np.ones((3, 1))):
        assert new.transform(data).shape == np.shape(data)
        _close(new.transform(data), old.transform(data))
    assert new.transform(np.zeros(0)).shape == (0,)


def test_scaler_errors_stay_ours():
    """Bad input gives our SeriesError, before scikit-learn sees it."""
    fitted = ts.Scaler().fit(np.ones((4, 2)))
    with pytest.raises(ts.SeriesError, match=r"shape \(4,\); the Scaler was fitted on 2"):
        fitted.transform(np.ones(4))
    with pytest.raises(ts.SeriesError, match="not fitted yet"):
        ts.Scaler("minmax").inverse_transform(np.ones(3))
    with pytest.raises(ts.SeriesError, match="infinite"):
        ts.Scaler("minmax").fit(np.array([1.0, np.inf]))
    with pytest.raises(ts.SeriesError, match="infinite"):
        fitted.transform(np.array([[1.0, -np.inf]]))
    assert np.isnan(fitted.inverse_transform(np.array([[np.nan, 1.0]]))[0, 0])  # NaN passes


# ------------------------------------------------------------------ metrics
def test_r2_and_mae_match_the_hand_written_ones():
    rng = np.random.default_rng(11)
    for n in (2, 7, 500):
        y = 100 + 10 * rng.standard_normal(n)
        pred = y + rng.standard_normal(n) * rng.uniform(0.1, 30)
        assert ts.r2(y, pred) == pytest.approx(old_r2(y, pred), rel=1e-12, abs=1e-12)
        assert ts.mae(y, pred) == pytest.approx(old_mae(y, pred), rel=1e-12)


# ------------------------------------------------------------------ hold-out positions
@pytest.mark.parametrize("shuffle", [False, True])
def test_holdout_positions_are_identical_to_the_hand_written_ones(shuffle):
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(2, 3000))
        fraction = float(rng.uniform(0.01, 0.99))
        if not 1 <= round(n * fraction) < n:
            continue
        seed = int(rng.integers(0, 2**31))
        new = ts.holdout_indices(n, fraction, shuffle=shuffle, seed=seed)
        old = old_holdout_indices(n, fraction, shuffle=shuffle, seed=seed)
        for got, want in zip(new, old, strict=True):
            np.testing.assert_array_equal(got, want)
            assert got.dtype == want.dtype


def test_q3_holdout_positions_are_identical():
    """Q3's own calls: 0.2 of the 7983 naive rows, of the answer's 7963 windows (lookback
    20), with the default seed 0 and the notebook's seed 42."""
    for n in (7983, 7963):
        for seed in (0, 42):
            for shuffle in (False, True):
                new = ts.holdout_indices(n, 0.2, shuffle=shuffle, seed=seed)
                old = old_holdout_indices(n, 0.2, shuffle=shuffle, seed=seed)
                np.testing.assert_array_equal(new[0], old[0])
                np.testing.assert_array_equal(new[1], old[1])
