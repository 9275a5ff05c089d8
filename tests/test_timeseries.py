"""dlhw.timeseries: windows, chronological splits, train-only scaling, metrics, baselines,
walk-forward, and every bad-input error, on small synthetic series with known answers."""

import numpy as np
import pandas as pd
import pytest

from dlhw import timeseries as ts


def make_frame(close: np.ndarray, seed: int = 0) -> pd.DataFrame:
    """An OHLCV frame on business days around a given close series (N,)."""
    rng = np.random.default_rng(seed)
    n = len(close)
    return pd.DataFrame(
        {
            "Date": pd.bdate_range("2000-01-03", periods=n),
            "Open": close * (1 + 0.001 * rng.standard_normal(n)),
            "High": close * 1.01,
            "Low": close * 0.99,
            "Close": close,
            "Volume": rng.integers(1_000_000, 2_000_000, n).astype(float),
        }
    )


def random_walk(n: int, seed: int = 0, sigma: float = 0.01) -> np.ndarray:
    """Close prices whose log-returns are i.i.d. N(0, sigma²): persistence is optimal."""
    rng = np.random.default_rng(seed)
    return 50 * np.exp(np.cumsum(sigma * rng.standard_normal(n)))


@pytest.fixture
def trend():
    return pd.DataFrame({"Date": pd.bdate_range("2001-01-01", periods=30), "y": np.arange(30.0)})


# ------------------------------------------------------------------ validation errors
def test_nan_names_column_and_first_bad_row(trend):
    trend.loc[[7, 12], "y"] = np.nan
    with pytest.raises(ts.SeriesError, match=r"column 'y' has 2 NaN.*first at row 7 \(Date 2001"):
        ts.validate_frame(trend, ["y"])


def test_infinity_is_rejected(trend):
    trend.loc[3, "y"] = np.inf
    with pytest.raises(ts.SeriesError, match=r"'y'.*row 3"):
        ts.WindowGenerator(3, ("y",), "y").make(trend)


def test_non_numeric_names_column_and_first_bad_row(trend):
    trend["y"] = trend["y"].astype(object)
    trend.loc[5, "y"] = "n/a"
    with pytest.raises(ts.SeriesError, match=r"column 'y' is not numeric.*'n/a' at row 5"):
        ts.validate_frame(trend, ["y"])


@pytest.mark.parametrize("row", [0, 10, 28])
def test_dates_must_strictly_increase(trend, row):
    dates = trend["Date"].copy()
    dates.iloc[row + 1] = dates.iloc[row]  # a duplicate date
    trend["Date"] = dates
    with pytest.raises(ts.SeriesError, match=rf"strictly increasing; row {row + 1} "):
        ts.validate_frame(trend, ["y"])
    with pytest.raises(ts.SeriesError, match="strictly increasing; row 1 "):
        ts.validate_frame(trend.iloc[::-1], ["y"])


def test_missing_column_and_wrong_type(trend):
    with pytest.raises(ts.SeriesError, match=r"columns \['Close'\] not in frame; available"):
        ts.validate_frame(trend, ["Close"])
    with pytest.raises(ts.SeriesError, match="pandas DataFrame"):
        ts.validate_frame(trend["y"].to_numpy(), ["y"])


# ------------------------------------------------------------------ windows
def test_windows_of_a_linear_trend(trend):
    windows = ts.WindowGenerator(4, ("y",), "y", horizon=2).make(trend)
    assert windows.x.shape == (30 - 4 - 2 + 1, 4, 1) and windows.x.dtype == np.float32
    np.testing.assert_array_equal(windows.x[0, :, 0], [0, 1, 2, 3])
    np.testing.assert_array_equal(windows.x[-1, :, 0], [24, 25, 26, 27])
    np.testing.assert_array_equal(windows.y, windows.x[:, -1, 0] + 2)  # target = last + horizon
    assert (windows.target_row == windows.end + 2).all()
    assert (windows.end - windows.start == 3).all()
    assert windows.dates[0] == trend["Date"].iloc[5]


@pytest.mark.parametrize(("lookback", "horizon"), [(30, 1), (29, 2), (1, 30)])
def test_lookback_or_horizon_too_long(trend, lookback, horizon):
    generator = ts.WindowGenerator(lookback, ("y",), "y", horizon=horizon)
    with pytest.raises(ts.SeriesError, match=r"exceeds the series length \(30 rows\)"):
        generator.make(trend)
    assert len(ts.WindowGenerator(29, ("y",), "y").make(trend)) == 1  # the longest that fits


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lookback": 0}, "lookback must be a positive integer"),
        ({"lookback": 2.5}, "lookback must be a positive integer"),
        ({"horizon": 0}, "horizon must be a positive integer"),
        ({"feature_columns": "y"}, "feature_columns must be a non-empty sequence"),
        ({"feature_columns": ()}, "feature_columns must be a non-empty sequence"),
    ],
)
def test_bad_generator_arguments(kwargs, message):
    arguments = {"lookback": 3, "feature_columns": ("y",), "target_column": "y"} | kwargs
    with pytest.raises(ts.SeriesError, match=message):
        ts.WindowGenerator(**arguments)


# ------------------------------------------------------------------ splits
def test_chronological_split_sizes_and_empty_split():
    split = ts.chronological_split(100, train=0.7, val=0.1)
    assert (split.train_end, split.val_end, split.n_rows) == (70, 80, 100)
    with pytest.raises(ts.SeriesError, match=r"split \['val'\] would be empty"):
        ts.chronological_split(4, train=0.5, val=0.1)
    with pytest.raises(ts.SeriesError, match="train must be a fraction in"):
        ts.chronological_split(100, train=1.2)
    with pytest.raises(ts.SeriesError, match="train \\+ val must be < 1"):
        ts.chronological_split(100, train=0.8, val=0.2)


def test_no_training_window_reaches_into_later_periods():
    frame = ts.add_return_features(make_frame(random_walk(400)))
    windows = ts.WindowGenerator(20, ts.RETURN_FEATURES, "log_return").make(frame)
    split = ts.chronological_split(len(frame), train=0.6, val=0.2)
    parts = ts.split_windows(windows, split)
    train, val, test = parts["train"], parts["val"], parts["test"]
    test_start = frame["Date"].iloc[split.val_end]
    # every row a training window touches (inputs and target) lies before validation and test
    assert train.target_row.max() < split.train_end and train.start.min() >= 0
    assert (frame["Date"].to_numpy()[train.target_row] < test_start).all()
    assert val.target_row.max() < split.val_end <= test.target_row.min()
    # and no window is lost or doubled
    assert len(train) + len(val) + len(test) == len(windows)
    # the MSFT-like case: rows 0..train_end-1 alone produce every training window
    alone = ts.WindowGenerator(20, ts.RETURN_FEATURES, "log_return").make(
        frame.iloc[: split.train_end]
    )
    np.testing.assert_array_equal(alone.x, train.x)


def test_empty_window_split_is_an_error():
    frame = ts.add_return_features(make_frame(random_walk(60)))
    windows = ts.WindowGenerator(45, ts.RETURN_FEATURES, "log_return").make(frame)
    with pytest.raises(ts.SeriesError, match="split 'train' has no windows"):
        ts.split_windows(windows, ts.chronological_split(len(frame), train=0.7, val=0.1))


def test_holdout_indices_and_the_shuffling_leak():
    frame = ts.add_return_features(make_frame(random_walk(300)))
    windows = ts.WindowGenerator(10, ts.RETURN_FEATURES, "log_return").make(frame)
    train, test = ts.holdout_indices(len(windows), 0.2, shuffle=False)
    assert train.max() < test.min() and len(test) == round(0.2 * len(windows))
    assert ts.leaked_fraction(windows.take(train), windows.take(test)) == 0.0
    train, test = ts.holdout_indices(len(windows), 0.2, shuffle=True, seed=1)
    assert len(np.intersect1d(train, test)) == 0 and len(train) + len(test) == len(windows)
    assert test.max() > train.min() + len(test)  # really mixed
    assert ts.leaked_fraction(windows.take(train), windows.take(test)) > 0.9
    with pytest.raises(ts.SeriesError, match="empty split"):
        ts.holdout_indices(3, 0.1, shuffle=False)


# ------------------------------------------------------------------ scaling
def test_scaler_uses_training_statistics_only():
    rng = np.random.default_rng(0)
    train, future = rng.normal(0, 1, (50, 5, 2)), rng.normal(10, 1, (20, 5, 2))
    scaler = ts.Scaler("minmax").fit(train)
    scaled = scaler.transform(train)
    np.testing.assert_allclose(scaled.reshape(-1, 2).min(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.reshape(-1, 2).max(axis=0), 1, atol=1e-12)
    assert scaler.transform(future).min() > 1  # the future is not squeezed into [0, 1]
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(future)), future)
    standard = ts.Scaler().fit(train)
    np.testing.assert_allclose(standard.transform(train).reshape(-1, 2).mean(axis=0), 0, atol=1e-12)
    target = ts.Scaler().fit(np.arange(5.0))
    np.testing.assert_allclose(target.transform(np.array([2.0])), [0.0])


def test_scaler_errors():
    with pytest.raises(ts.SeriesError, match="kind must be one of"):
        ts.Scaler("robust")
    with pytest.raises(ts.SeriesError, match="not fitted yet"):
        ts.Scaler().transform(np.zeros((2, 2)))
    with pytest.raises(ts.SeriesError, match="fitted on 2 feature"):
        ts.Scaler().fit(np.ones((4, 2))).transform(np.ones((4, 3)))
    with pytest.raises(ts.SeriesError, match="NaN"):
        ts.Scaler().fit(np.array([[1.0], [np.nan]]))


# ------------------------------------------------------------------ metrics
def test_r2_mae_skill_known_values():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert ts.r2(y, y) == 1.0
    assert ts.r2(y, np.full(4, y.mean())) == 0.0
    assert ts.r2(y, y + 10) < 0  # a constant bias: worse than predicting the mean
    assert ts.mae(y, y + 0.5) == 0.5
    assert ts.skill(y, y, y + 1) == 1.0 and ts.skill(y, y + 1, y + 1) == 0.0
    assert ts.skill(y, y + 2, y + 1) == pytest.approx(-3.0)
    with pytest.raises(ts.SeriesError, match="undefined when y_true is constant"):
        ts.r2(np.ones(3), np.zeros(3))
    with pytest.raises(ts.SeriesError, match="same length, got 4 and 3"):
        ts.r2(y, y[:3])
    with pytest.raises(ts.SeriesError, match="finite"):
        ts.mae(y, np.array([1, np.nan, 3, 4]))


def test_returns_round_trip_and_persistence_score():
    close = random_walk(50)
    frame = ts.add_return_features(make_frame(close))
    np.testing.assert_allclose(frame["log_return"], np.diff(np.log(close)))
    np.testing.assert_allclose(ts.returns_to_prices(close[:-1], frame["log_return"]), close[1:])
    row = ts.score(close[1:], close[:-1], close[:-1])
    assert row["skill_vs_persistence"] == 0.0 and row["r2_price"] > 0.5
    perfect = ts.score(close[1:], close[1:], close[:-1])
    assert perfect["r2_return"] == pytest.approx(1.0) and perfect["mae"] == 0.0


def test_non_positive_prices_are_rejected():
    frame = make_frame(random_walk(20))
    frame.loc[4, "Low"] = 0.0
    with pytest.raises(ts.SeriesError, match="prices must be positive.*row 4"):
        ts.add_return_features(frame)


def test_naive_arrays_shape_and_raw_scales():
    frame = make_frame(random_walk(40))
    x, y = ts.naive_arrays(frame)
    assert x.shape == (40, 1, 5) and y.shape == (40,)
    assert x[0, 0, 0] == pd.Timestamp("2000-01-03").toordinal()  # the date as an ordinal
    assert x[:, 0, 4].min() >= 1e6  # volume left raw


# ------------------------------------------------------------------ baselines, known answers
def test_linear_model_extrapolates_a_linear_trend():
    frame = pd.DataFrame(
        {"Date": pd.bdate_range("2001-01-01", periods=60), "y": 3.0 + 2 * np.arange(60.0)}
    )
    windows = ts.WindowGenerator(5, ("y",), "y").make(frame)
    train, test = ts.holdout_indices(len(windows), 0.25, shuffle=False)
    pred = ts.linear_forecast(windows.x[train], windows.y[train], windows.x[test], alpha=1e-8)
    np.testing.assert_allclose(pred, windows.y[test], rtol=1e-6)  # beyond the training range


def test_persistence_is_optimal_on_a_random_walk():
    close = random_walk(3000, seed=3)
    frame = ts.add_return_features(make_frame(close, seed=3))
    windows = ts.WindowGenerator(10, ts.RETURN_FEATURES, "log_return").make(frame)
    parts = ts.split_windows(windows, ts.chronological_split(len(frame), train=0.7, val=0.1))
    test = parts["test"]
    last = frame["Close"].to_numpy()[test.end]
    truth = frame["Close"].to_numpy()[test.target_row]
    linear = ts.score(
        truth, ts.returns_to_prices(last, ts.forecast_returns(parts, model="linear")), last
    )
    persistence = ts.score(truth, last, last)
    assert persistence["r2_price"] > 0.9 and abs(persistence["r2_return"]) < 0.01
    assert -0.05 < linear["skill_vs_persistence"] < 0.01  # no model beats persistence here
    assert linear["r2_return"] < 0.01


def test_walk_forward_refits_on_the_past_only():
    close = random_walk(600, seed=4)
    frame = ts.add_return_features(make_frame(close, seed=4))
    windows = ts.WindowGenerator(5, ts.RETURN_FEATURES, "log_return").make(frame)
    seen = []

    def forecaster(parts):
        seen.append(parts)
        return ts.forecast_returns(parts, model="linear")

    table = ts.walk_forward(windows, frame["Close"].to_numpy(), forecaster, n_splits=4)
    assert len(table) == 4 and table["test_windows"].sum() < len(windows)
    for parts in seen:
        assert parts["train"].target_row.max() < parts["val"].target_row.min()
        assert parts["val"].target_row.max() < parts["test"].target_row.min()
    assert len(seen[0]["train"]) < len(seen[-1]["train"])  # an expanding past, refitted
    assert table["skill_vs_persistence"].max() < 0.1  # no fold beats persistence by much
    with pytest.raises(ts.SeriesError, match="n_splits must be >= 2"):
        ts.walk_forward(windows, frame["Close"].to_numpy(), forecaster, n_splits=1)


# ------------------------------------------------------------------ the Keras model
@pytest.mark.slow  # trains a model
def test_lstm_shape_parameters_and_forecast():
    model = ts.build_lstm(10, 4, units=8)
    assert model.count_params() == 4 * (8 * (4 + 8) + 8) + 9
    frame = ts.add_return_features(make_frame(random_walk(200, seed=5)))
    windows = ts.WindowGenerator(10, ts.RETURN_FEATURES, "log_return").make(frame)
    parts = ts.split_windows(windows, ts.chronological_split(len(frame)))
    forecast = ts.forecast_returns(parts, model="lstm", epochs=1, units=4)
    assert forecast.shape == (len(parts["test"]),) and np.isfinite(forecast).all()
    assert np.abs(forecast).max() < 0.2  # in log-return units, not scaled units
    with pytest.raises(ts.SeriesError, match="model must be 'lstm' or 'linear'"):
        ts.forecast_returns(parts, model="gru")


@pytest.mark.slow  # trains a model
def test_answer_fix_scales_with_the_future_and_holdout_scores():
    frame = make_frame(random_walk(160, seed=6))
    answer = ts.answer_fix_data(frame, 10)
    assert answer.x.shape == (150, 10, len(ts.ANSWER_FEATURES))
    # one min-max scaler over ALL windows: the whole series, future included, spans [0, 1]
    assert answer.x.min() == pytest.approx(0) and answer.x.max() == pytest.approx(1)
    np.testing.assert_allclose(answer.y_scaler.inverse_transform(answer.y), answer.windows.y)
    np.testing.assert_allclose(answer.last_close, frame["Close"].to_numpy()[answer.windows.end])
    chronological = ts.holdout_r2(answer, shuffle=False, epochs=1, seed=0)
    shuffled = ts.holdout_r2(answer, shuffle=True, epochs=1, seed=0)
    assert chronological["leaked_fraction"] == 0.0 and shuffled["leaked_fraction"] > 0.9
    assert chronological["prediction"].shape == (30,) and np.isfinite(chronological["r2"])
    assert set(shuffled) >= {"r2", "skill", "leaked_fraction", "train", "test", "prediction"}


def test_gate_saturation_of_raw_and_scaled_inputs():
    model = ts.build_lstm(1, 2, units=4)
    assert ts.gate_saturation(model, np.full((8, 1, 2), 1e6)) == 1.0
    assert ts.gate_saturation(model, np.zeros((8, 1, 2))) == 0.0  # biases are 0 or 1


@pytest.mark.parametrize("horizon", [1, 3])
def test_no_training_target_after_a_forecast_origin(horizon):
    """Purge gap: every target a model trained on is known at the forecast origin (the last
    input row) of every later validation or test window, for any horizon."""
    close = random_walk(600, seed=5)
    frame = ts.add_return_features(make_frame(close, seed=5))
    windows = ts.WindowGenerator(5, ts.RETURN_FEATURES, "log_return", horizon=horizon).make(frame)
    parts = ts.split_windows(windows, ts.chronological_split(len(frame), train=0.6, val=0.2))
    assert parts["train"].target_row.max() <= parts["val"].end.min()
    assert parts["val"].target_row.max() <= parts["test"].end.min()
    seen = []

    def forecaster(fold):
        seen.append(fold)
        return np.zeros(len(fold["test"]))

    ts.walk_forward(windows, frame["Close"].to_numpy(), forecaster, n_splits=4)
    for fold in seen:
        assert fold["train"].target_row.max() <= fold["val"].end.min()
        assert fold["train"].target_row.max() <= fold["test"].end.min()


# ------------------------------------------------------------------ tests that bite (issue 18)
def test_leaked_fraction_counts_a_target_that_is_a_training_window_last_input():
    frame = pd.DataFrame({"Date": pd.bdate_range("2001-01-01", periods=20), "y": np.arange(20.0)})
    windows = ts.WindowGenerator(3, ("y",), "y").make(frame)  # window k: rows k..k+2, target k+3
    test = windows.take([4])  # target row 7
    assert ts.leaked_fraction(windows.take([5]), test) == 1.0  # row 7 is window 5's last input
    assert ts.leaked_fraction(windows.take([4 + 4]), test) == 0.0  # rows 8..10: after it
    assert ts.leaked_fraction(windows.take([3]), test) == 0.0  # rows 3..5, target 6: before it


def test_standard_scaler_statistics_are_pinned():
    scaler = ts.Scaler().fit(np.array([[1.0, 10.0], [3.0, 30.0]]))
    np.testing.assert_allclose(scaler.offset_, [2.0, 20.0])
    np.testing.assert_allclose(scaler.scale_, [1.0, 10.0])
    np.testing.assert_allclose(scaler.transform(np.array([[5.0, 0.0]])), [[3.0, -2.0]])


def test_every_return_feature_has_its_formula():
    close = random_walk(30, seed=9)
    raw = make_frame(close, seed=9)
    frame = ts.add_return_features(raw)
    later = raw.iloc[1:].reset_index(drop=True)
    np.testing.assert_allclose(frame["log_high_low"], np.log(later["High"] / later["Low"]))
    np.testing.assert_allclose(frame["log_close_open"], np.log(later["Close"] / later["Open"]))
    np.testing.assert_allclose(
        frame["log_volume_change"], np.diff(np.log1p(raw["Volume"].to_numpy()))
    )
    np.testing.assert_allclose(frame["log_return"], np.diff(np.log(close)))


def test_walk_forward_counts_training_windows_after_the_purge_gap():
    frame = ts.add_return_features(make_frame(random_walk(300)))
    windows = ts.WindowGenerator(5, ts.RETURN_FEATURES, "log_return", horizon=3).make(frame)
    seen = []

    def forecaster(parts):
        seen.append(len(parts["train"]))
        return np.zeros(len(parts["test"]))

    table = ts.walk_forward(windows, frame["Close"].to_numpy(), forecaster, n_splits=3)
    assert table["train_windows"].tolist() == seen == [62, 128, 193]


def _record_scaler_fits(monkeypatch) -> list[int]:
    fitted = []
    original = ts.Scaler.fit

    def spy(self, data):
        fitted.append(len(np.asarray(data)))
        return original(self, data)

    monkeypatch.setattr(ts.Scaler, "fit", spy)
    return fitted


def test_forecast_returns_fits_its_scalers_on_training_windows_only(monkeypatch):
    frame = ts.add_return_features(make_frame(random_walk(400, seed=2)))
    windows = ts.WindowGenerator(5, ts.RETURN_FEATURES, "log_return").make(frame)
    parts = ts.split_windows(windows, ts.chronological_split(len(frame)))
    fitted = _record_scaler_fits(monkeypatch)
    ts.forecast_returns(parts, model="linear")
    assert fitted == [len(parts["train"]), len(parts["train"])]  # x scaler, y scaler
    fitted.clear()
    table = ts.walk_forward(
        windows,
        frame["Close"].to_numpy(),
        lambda p: ts.forecast_returns(p, model="linear"),
        n_splits=3,
    )
    assert fitted == [n for n in table["train_windows"] for _ in range(2)]


def _mean_fitter(x_train, y_train):
    """A cheap deterministic model: the training targets' mean, whatever the input."""
    mean = float(np.mean(y_train))
    return lambda x: np.full(len(x), mean)


@pytest.mark.parametrize("shuffle", [False, True])
def test_holdout_r2_value_and_skill_with_an_injected_fitter(shuffle):
    frame = make_frame(random_walk(200, seed=7))
    answer = ts.answer_fix_data(frame, 10)
    run = ts.holdout_r2(answer, shuffle=shuffle, epochs=1, seed=3, fitter=_mean_fitter)
    train, test = ts.holdout_indices(len(answer.y), 0.2, shuffle=shuffle, seed=3)
    np.testing.assert_array_equal(run["test"], test)
    truth = answer.windows.y[test]
    forecast = np.full(len(test), answer.windows.y[train].mean())  # min-max is affine
    np.testing.assert_allclose(run["prediction"], forecast)
    persistence = frame["Close"].to_numpy()[answer.windows.end[test]]
    expected_r2 = 1 - np.sum((truth - forecast) ** 2) / np.sum((truth - truth.mean()) ** 2)
    expected_skill = 1 - np.mean((truth - forecast) ** 2) / np.mean((truth - persistence) ** 2)
    assert run["r2"] == pytest.approx(expected_r2) and run["skill"] == pytest.approx(expected_skill)
    assert run["train_windows"] == len(train)


def test_score_holdout_scalers_all_rows_or_training_rows():
    frame = make_frame(random_walk(200, seed=8))
    answer = ts.answer_fix_data(frame, 10)
    train, test = ts.holdout_indices(len(answer.y), 0.3, shuffle=False)
    seen = {}

    def spy(x_train, y_train):
        seen["x"], seen["y"] = x_train, y_train
        return _mean_fitter(x_train, y_train)

    ts.score_holdout(answer, train, test, fitter=spy, scaler_rows="train")
    assert seen["x"].reshape(-1, seen["x"].shape[-1]).max(axis=0) == pytest.approx(1.0)
    assert seen["y"].min() == pytest.approx(0.0) and seen["y"].max() == pytest.approx(1.0)
    ts.score_holdout(answer, train, test, fitter=spy, scaler_rows="all")
    np.testing.assert_array_equal(seen["x"], answer.x[train])  # the answer's all-rows scaling
    ts.score_holdout(answer, train, test, fitter=spy, scaler_rows="none")
    np.testing.assert_array_equal(seen["y"], answer.windows.y[train])
    with pytest.raises(ts.SeriesError, match="scaler_rows must be 'all', 'train' or 'none'"):
        ts.score_holdout(answer, train, test, fitter=spy, scaler_rows="test")
    with pytest.raises(ts.SeriesError, match="overlap"):
        ts.score_holdout(answer, train, train[:3], fitter=spy)


# ------------------------------------------------------------------ the leak, measured
def test_overlapping_spans_by_hand():
    frame = pd.DataFrame({"Date": pd.bdate_range("2001-01-01", periods=40), "y": np.arange(40.0)})
    windows = ts.WindowGenerator(3, ("y",), "y").make(frame)  # window k spans rows k..k+3
    candidates = np.arange(len(windows))
    # test window 10 spans rows 10..13; with embargo 2, rows 10..15 are forbidden
    mask = ts.overlapping(windows, [10], candidates, embargo=2)
    np.testing.assert_array_equal(np.flatnonzero(mask), np.arange(7, 16))
    mask = ts.overlapping(windows, [10], candidates)
    np.testing.assert_array_equal(np.flatnonzero(mask), np.arange(7, 14))
    assert not ts.overlapping(windows, [], candidates).any()


@pytest.mark.parametrize(("n_blocks", "fraction"), [(5, 0.04), (12, 0.02)])
def test_block_split_purges_every_overlap_and_nothing_else(n_blocks, fraction):
    frame = make_frame(random_walk(700, seed=1))
    windows = ts.answer_fix_data(frame, 10).windows
    split = ts.block_split(windows, n_blocks=n_blocks, block_fraction=fraction, seed=4)
    size = round(len(windows) * fraction)
    assert len(split.blocks) == n_blocks and split.embargo == 10
    assert all(last - first + 1 == size for first, last in split.blocks)
    assert len(split.test) == n_blocks * size  # blocks do not overlap
    np.testing.assert_array_equal(np.union1d(split.test, split.leaky), np.arange(len(windows)))
    assert not np.intersect1d(split.test, split.leaky).size
    # brute force over every pair: a kept window never touches a test span or its embargo,
    # and every dropped window does
    forbidden = set()
    for k in split.test:
        forbidden.update(range(windows.start[k], windows.target_row[k] + split.embargo + 1))
    for k in split.leaky:
        touches = any(r in forbidden for r in range(windows.start[k], windows.target_row[k] + 1))
        assert touches != (k in set(split.purged))
    assert ts.leaked_fraction(windows.take(split.purged), windows.take(split.test)) == 0.0
    again = ts.block_split(windows, n_blocks=n_blocks, block_fraction=fraction, seed=4)
    np.testing.assert_array_equal(again.test, split.test)  # seeded


def test_block_split_errors():
    windows = ts.answer_fix_data(make_frame(random_walk(300)), 10).windows
    with pytest.raises(ts.SeriesError, match=r"n_blocks \* block_fraction must be in"):
        ts.block_split(windows, n_blocks=10, block_fraction=0.1)
    with pytest.raises(ts.SeriesError, match="empty block"):
        ts.block_split(windows, n_blocks=2, block_fraction=0.001)
    with pytest.raises(ts.SeriesError, match="no training window survives the purge"):
        ts.block_split(windows, n_blocks=40, block_fraction=0.02)
    with pytest.raises(ts.SeriesError, match="n_blocks must be a positive integer"):
        ts.block_split(windows, n_blocks=0, block_fraction=0.1)


def test_a_memoriser_exploits_the_leak_only_when_there_is_one():
    """On a random walk nothing beats persistence honestly; a memoriser of the days it saw
    does, by the leak alone: clearly with leaky training windows, not at all when purged."""
    frame = make_frame(random_walk(3000, seed=11), seed=11)
    answer = ts.answer_fix_data(frame, 10)
    split = ts.block_split(answer.windows, n_blocks=60, block_fraction=10 / len(answer.y), seed=2)
    calendar = ts.with_date_ordinal(frame)["DateOrdinal"].to_numpy()
    runs = ts.leak_runs(answer, split, fitter=ts.memoriser(calendar), seed=0, scaler_rows="none")
    leaky, purged = runs["leaky"], runs["purged"]
    np.testing.assert_array_equal(leaky["test"], purged["test"])  # identical test windows
    assert leaky["train_windows"] == purged["train_windows"] == len(split.purged)
    assert purged["leaked_fraction"] == 0.0 and leaky["leaked_fraction"] > 0.5
    assert purged["skill"] <= 0.02
    assert leaky["skill"] > 0.3


def test_memoriser_recalls_seen_days_and_falls_back_to_persistence():
    frame = make_frame(random_walk(60, seed=12), seed=12)
    answer = ts.answer_fix_data(frame, 5)
    calendar = ts.with_date_ordinal(frame)["DateOrdinal"].to_numpy()
    x = answer.windows.x  # window k: rows k..k+4, target row k+5
    forecast = ts.memoriser(calendar)(x[[16]], answer.windows.y[[16]])  # it saw rows 16..20
    np.testing.assert_allclose(forecast(x[[14]]), x[16, 3, 4])  # window 14's target: row 19
    np.testing.assert_allclose(forecast(x[[30]]), x[30, -1, 4])  # never seen: persistence
    with pytest.raises(ts.SeriesError, match="strictly increasing"):
        ts.memoriser(calendar[::-1])


def test_leak_metrics_names_and_values():
    def run(value):
        return {
            "r2": value,
            "skill": -value,
            "leaked_fraction": 0.5,
            "train_windows": 7,
            "test": np.arange(3),
        }

    leak = {
        ("short", "LSTM"): {"leaky": run(0.9), "purged": run(0.8)},
        ("short", "memoriser"): {"leaky": run(0.7), "purged": run(0.0)},
        ("long", "LSTM"): {"leaky": run(0.6), "purged": run(0.5)},
    }
    out = ts.leak_metrics(leak, short="short", long="long")
    assert out["leak_r2_shuffled"] == 0.9 and out["leak_skill_purged"] == -0.8
    assert out["leak_long_r2_purged"] == 0.5 and out["leak_memoriser_skill_shuffled"] == -0.7
    assert out["leak_test_windows"] == 3 and out["leak_train_windows"] == 7
    with pytest.raises(ts.SeriesError, match="no runs for"):
        ts.leak_metrics(leak, short="long", long="short")


# ------------------------------------------------------------------ sign of skill
def test_return_skill_explains_a_sign_disagreement():
    last = np.array([10.0, 10.0, 100.0, 100.0])
    true_return = np.array([0.02, -0.02, 0.01, -0.01])
    # big return errors on the cheap days, small correct moves on the expensive days
    forecast_return = np.array([-0.03, 0.03, 0.005, -0.005])
    out = ts.return_skill(last * np.exp(true_return), last * np.exp(forecast_return), last)
    assert out["return_skill"] < 0 < out["price_skill"]
    assert out["return_skill_price_weighted"] == pytest.approx(out["price_skill"], abs=0.02)
    assert (
        out["r2_return"] < out["r2_return_persistence"]
    )  # the R² ranking follows the unweighted skill
    same = ts.return_skill(last * np.exp(true_return), last, last)
    assert same["return_skill"] == same["price_skill"] == 0.0


# ------------------------------------------------------------------ tests that kill mutants
# Each test below guards a behaviour that `make mutate` (mutmut) found unguarded.
def test_validate_frame_date_column_rules(trend):
    """The date column is required unless date_column=None; an empty frame is rejected, a
    one-row frame is fine, and two rows with the same date are caught."""
    with pytest.raises(ts.SeriesError, match=r"columns \['Date'\] not in frame"):
        ts.validate_frame(trend.drop(columns="Date"), ["y"])
    ts.validate_frame(trend.drop(columns="Date"), ["y"], date_column=None)
    with pytest.raises(ts.SeriesError, match="frame is empty"):
        ts.validate_frame(trend.iloc[:0], ["y"])
    ts.validate_frame(trend.iloc[:1], ["y"])
    twice = trend.iloc[:2].copy()
    twice["Date"] = twice["Date"].iloc[0]
    with pytest.raises(ts.SeriesError, match="strictly increasing; row 1 "):
        ts.validate_frame(twice, ["y"])


def test_boolean_column_is_not_numeric_and_the_message_names_row_0(trend):
    """A bool column is refused; with no unparsable value the message points at row 0."""
    trend["y"] = trend["y"] > 3
    with pytest.raises(ts.SeriesError, match=r"'y' is not numeric \(dtype bool\).* at row 0 "):
        ts.validate_frame(trend, ["y"])


def test_window_generator_normalises_columns_and_validates_its_dates(trend):
    """feature_columns becomes a tuple (the generator stays hashable); make() checks the
    dates too, in the generator's own date column; an integer target comes back as float64."""
    generator = ts.WindowGenerator(3, ["y"], "y")
    assert generator.feature_columns == ("y",) and hash(generator)
    trend["y"] = np.arange(30)
    assert generator.make(trend).y.dtype == np.float64
    trend.loc[4, "Date"] = trend.loc[3, "Date"]
    with pytest.raises(ts.SeriesError, match="strictly increasing; row 4 "):
        generator.make(trend)
    renamed = trend.iloc[:4].rename(columns={"Date": "When"})
    windows = ts.WindowGenerator(2, ("y",), "y", date_column="When").make(renamed)
    np.testing.assert_array_equal(windows.dates, renamed["When"].to_numpy()[2:])


def test_chronological_split_argument_errors_name_the_argument():
    """Bad n_rows / val raise SeriesError naming them; fractions of 0 or 1 are outside
    (0, 1); a one-row validation or test period is fine, an empty test period is not."""
    with pytest.raises(ts.SeriesError, match="n_rows must be a positive integer, got 0"):
        ts.chronological_split(0)
    with pytest.raises(ts.SeriesError, match=r"val must be a fraction in \(0, 1\), got 0"):
        ts.chronological_split(100, val=0)
    with pytest.raises(ts.SeriesError, match=r"train must be a fraction in \(0, 1\), got 1"):
        ts.chronological_split(100, train=1.0)
    assert ts.chronological_split(10, train=0.8, val=0.1) == ts.Split(8, 9, 10)
    with pytest.raises(ts.SeriesError, match=r"split \['test'\] would be empty"):
        ts.chronological_split(10, train=0.6, val=0.38)


def test_holdout_indices_bounds_and_default_seed():
    """n must be a positive integer; test_fraction 0 and 1 are refused by name; one test
    sample is enough, all samples is too many; the default seed is 0."""
    with pytest.raises(ts.SeriesError, match="n must be a positive integer, got 0"):
        ts.holdout_indices(0, 0.2, shuffle=False)
    for fraction in (0, 1.0):
        with pytest.raises(ts.SeriesError, match=r"test_fraction must be in \(0, 1\)"):
            ts.holdout_indices(10, fraction, shuffle=False)
    train, test = ts.holdout_indices(10, 0.1, shuffle=False)
    np.testing.assert_array_equal(test, [9])
    with pytest.raises(ts.SeriesError, match="leaves an empty split"):
        ts.holdout_indices(3, 0.9, shuffle=False)
    default = ts.holdout_indices(50, 0.2, shuffle=True)[1]
    np.testing.assert_array_equal(default, ts.holdout_indices(50, 0.2, shuffle=True, seed=0)[1])
    assert not np.array_equal(default, ts.holdout_indices(50, 0.2, shuffle=True, seed=1)[1])


def test_leaked_fraction_counts_shared_targets_and_not_the_row_after_the_inputs():
    """A test window whose target a training window also had is leaked; with horizon 3 the
    row just after a training window's inputs is not seen by it."""
    frame = pd.DataFrame({"Date": pd.bdate_range("2001-01-01", periods=20), "y": np.arange(20.0)})
    windows = ts.WindowGenerator(3, ("y",), "y").make(frame)
    assert ts.leaked_fraction(windows.take([4]), windows.take([4])) == 1.0
    far = ts.WindowGenerator(3, ("y",), "y", horizon=3).make(frame)  # k: rows k..k+2, target k+5
    assert ts.leaked_fraction(far.take([4]), far.take([2])) == 0.0  # row 7: after rows 4..6


def _short_windows(n_rows=40, lookback=3):
    frame = pd.DataFrame(
        {"Date": pd.bdate_range("2001-01-01", periods=n_rows), "y": np.arange(float(n_rows))}
    )
    return ts.WindowGenerator(lookback, ("y",), "y").make(frame)


def test_block_split_embargo_and_sizes():
    """embargo defaults to the lookback, even for windows that do not start at row 0; an
    explicit embargo (0 included) is used; blocks of one window work; block_fraction 0 is
    refused; the default seed is 0."""
    windows = _short_windows()
    later = windows.take(np.arange(5, len(windows)))
    assert ts.block_split(later, n_blocks=2, block_fraction=0.1).embargo == 3
    zero = ts.block_split(windows, n_blocks=2, block_fraction=0.1, embargo=0)
    assert zero.embargo == 0
    assert len(zero.purged) > len(ts.block_split(windows, n_blocks=2, block_fraction=0.1).purged)
    one = ts.block_split(windows, n_blocks=2, block_fraction=1 / len(windows))
    assert all(first == last for first, last in one.blocks)
    with pytest.raises(ts.SeriesError, match=r"n_blocks \* block_fraction must be in"):
        ts.block_split(windows, n_blocks=2, block_fraction=0.0)
    default = ts.block_split(windows, n_blocks=3, block_fraction=0.1)
    assert default.blocks == ts.block_split(windows, n_blocks=3, block_fraction=0.1, seed=0).blocks
    assert default.blocks != ts.block_split(windows, n_blocks=3, block_fraction=0.1, seed=1).blocks


def test_block_split_blocks_reach_both_ends_and_never_beyond():
    """Over many seeds a block can start at the first window and end at the last one, and
    never extends past the last window."""
    windows = _short_windows()  # 37 windows; one block of 26 leaves 11 free positions
    blocks = [
        ts.block_split(windows, n_blocks=1, block_fraction=0.7, seed=s).blocks[0]
        for s in range(100)
    ]
    assert min(first for first, _ in blocks) == 0
    assert max(last for _, last in blocks) == len(windows) - 1


def test_overlapping_edge_cases():
    """Empty candidates give an empty mask, an empty test gives a boolean mask, and a span
    that shares a single row with a test span (candidate 0 here) overlaps."""
    windows = _short_windows()  # window k spans rows k..k+3
    assert ts.overlapping(windows, [10], []).shape == (0,)
    assert ts.overlapping(windows, [], [1, 2]).dtype == bool
    np.testing.assert_array_equal(ts.overlapping(windows, [3], [0, 7]), [True, False])


def test_scaler_statistics_details():
    """Unfitted: no statistics; statistics are float64 even for float32 data; one value is
    enough to fit, none is not; a scale below 1 is kept, a constant feature gets 1."""
    assert ts.Scaler().offset_ is None and ts.Scaler().scale_ is None
    big = ts.Scaler().fit(np.array([[1e8], [1.0], [-1e8]], "float32"))
    np.testing.assert_allclose(big.offset_, [1 / 3], rtol=1e-12)
    with pytest.raises(ts.SeriesError, match="empty data"):
        ts.Scaler().fit(np.zeros((0, 2)))
    np.testing.assert_allclose(ts.Scaler().fit(np.array([5.0])).transform(np.array([6.0])), [1])
    np.testing.assert_allclose(ts.Scaler().fit(np.array([[0.0], [1.0]])).scale_, [0.5])
    np.testing.assert_allclose(ts.Scaler().fit(np.array([[3.0], [3.0]])).scale_, [1.0])


def test_scaler_uses_each_feature_own_statistics():
    """With two features, transform and inverse_transform use each one's offset and scale."""
    scaler = ts.Scaler().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))  # offsets 1, 20; scales 1, 10
    np.testing.assert_allclose(scaler.transform(np.array([[1.0, 0.0]])), [[0.0, -2.0]])
    np.testing.assert_allclose(scaler.inverse_transform(np.array([[0.0, -2.0]])), [[1.0, 0.0]])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda y: ts.r2(y, y[:3]), "y_pred"),
        (lambda y: ts.skill(y, y, y[:3]), "y_reference"),
        (lambda y: ts.returns_to_prices(y, y[:3]), "log_return"),
        (lambda y: ts.score(y, y[:3], y), "price_pred"),
        (lambda y: ts.score(y, y, y[:3]), "last_close"),
        (lambda y: ts.return_skill(y, y[:3], y), "price_pred"),
        (lambda y: ts.return_skill(y, y, y[:3]), "last_close"),
    ],
)
def test_metric_length_errors_name_the_argument(call, name):
    """A length mismatch names the argument at fault."""
    with pytest.raises(ts.SeriesError, match=rf"y_true and {name} must be non-empty"):
        call(np.array([1.0, 2.0, 3.0, 4.0]))


def test_metrics_work_in_float64_and_accept_one_sample():
    """float32 inputs are converted to float64 before any arithmetic (R²'s mean, the
    exponential of log-returns); a single sample is a valid input."""
    y32 = np.array([0.1, 0.7, 0.2, 0.9], "float32")
    prediction = np.full(4, 0.3)
    assert ts.r2(y32, prediction) == ts.r2(y32.astype("float64"), prediction)
    log_return = np.array([0.01, -0.02], "float32")
    np.testing.assert_array_equal(
        ts.returns_to_prices([100.0, 50.0], log_return),
        np.array([100.0, 50.0]) * np.exp(log_return.astype("float64")),
    )
    assert ts.mae([2.0], [1.0]) == 1.0


def test_score_needs_positive_but_not_large_prices():
    """A zero predicted price is refused by name; prices below 1 are fine."""
    prices = np.array([0.5, 0.6, 0.4, 0.7])
    with pytest.raises(ts.SeriesError, match="price_pred must be positive"):
        ts.score(prices, np.r_[0.0, prices[1:]], prices)
    assert ts.score(prices, prices, prices[::-1])["r2_price"] == 1.0


def _fresh_fit_predictions(x, y, x_test, *, seed, validation=None):
    """The reference: a model built and trained on its own (Keras traces it afresh)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = ts.build_lstm(x.shape[1], x.shape[2], units=4)
    callbacks = (
        [keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)]
        if validation is not None
        else []
    )
    model.fit(
        x, y, epochs=2, batch_size=64, validation_data=validation, callbacks=callbacks,
        shuffle=True, verbose=0,
    )  # fmt: skip
    return ts.predict(model, x_test)


@pytest.mark.slow  # trains models
def test_reused_compiled_lstm_equals_a_fresh_model_bit_for_bit():
    """Fits share one compiled model per shape; each must equal a model trained on its own,
    whatever was trained before it, and a returned model must not change with later fits."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 3, 2)).astype("float32"), rng.normal(size=300)
    validation = (x[:50], y[:50])
    expected = {s: _fresh_fit_predictions(x, y, x[:40], seed=s) for s in (1, 2)}
    expected_val = _fresh_fit_predictions(x, y, x[:40], seed=3, validation=validation)
    first = ts.fit_lstm(x, y, epochs=2, units=4, seed=1)
    before = ts.predict(first, x[:40])
    fitter = ts.lstm_fitter(epochs=2, seed=2)  # units 32 by default: another workhorse
    for seed in (2, 1, 2):
        model = ts.fit_lstm(x, y, epochs=2, units=4, seed=seed)
        np.testing.assert_array_equal(ts.predict(model, x[:40]), expected[seed])
    model = ts.fit_lstm(x, y, epochs=2, units=4, seed=3, validation=validation)
    np.testing.assert_array_equal(ts.predict(model, x[:40]), expected_val)
    np.testing.assert_array_equal(ts.predict(first, x[:40]), before)  # untouched by later fits
    np.testing.assert_array_equal(before, expected[1])
    forecast = fitter(x, y)
    fitter(x[::-1], y[::-1])  # another fit on the same workhorse before the forecast is used
    assert np.array_equal(forecast(x[:40]), forecast(x[:40]))
    assert not np.array_equal(forecast(x[:40]), fitter(x[::-1], y[::-1])(x[:40]))
