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
