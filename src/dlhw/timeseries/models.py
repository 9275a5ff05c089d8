"""Q3 forecasters: the LSTM and the linear baselines, the `Fitter` protocol the experiments
take, the leak-only memoriser, and the gate-saturation probe. x: (N, T, F), y: (N,)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from dlhw.checks import positive_int
from dlhw.timeseries.frames import ANSWER_FEATURES, SeriesError
from dlhw.timeseries.scaling import Scaler
from dlhw.timeseries.windows import Windows

#: fit(x_train (N, T, F), y_train (N,)) -> forecast(x (M, T, F)) -> (M,). Experiments take a
#: fitter so that unit tests can inject a cheap deterministic model instead of an LSTM.
Fitter = Callable[[np.ndarray, np.ndarray], Callable[[np.ndarray], np.ndarray]]


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
    # 8 batches per call into TensorFlow: the same steps (same numbers, tested), less overhead
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", steps_per_execution=8)
    return model


#: One compiled LSTM per (steps, features, units), trained again from each fit's initial weights:
#: Keras traces a new model's training and prediction functions on first use (about 3 s of a
#: 4.5 s one-epoch fit here), and Q3 makes dozens of fits of a few shapes.
_WORKHORSES: dict[tuple[int, int, int], object] = {}


def _workhorse(n_steps: int, n_features: int, units: int):
    """The compiled model for this shape; built (never seeded) the first time it is asked for."""
    key = (n_steps, n_features, units)
    if key not in _WORKHORSES:
        _WORKHORSES[key] = build_lstm(n_steps, n_features, units=units, name="lstm_workhorse")
    return _WORKHORSES[key]


def _train(x_train, y_train, *, epochs, validation, units, batch_size, patience, seed, name):
    """Train from `build_lstm`'s seeded initial weights on the shape's workhorse and return the
    freshly built model (untrained) and the trained weights. The workhorse is built before the
    seed is set and its Adam state is zeroed, so the run equals training the fresh model
    itself, bit for bit (tested), without tracing Keras's functions again."""
    import keras

    epochs = positive_int(epochs, "epochs", SeriesError)
    x_train = np.asarray(x_train, dtype="float32")
    worker = _workhorse(x_train.shape[1], x_train.shape[2], units)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = build_lstm(x_train.shape[1], x_train.shape[2], units=units, name=name)
    worker.set_weights(model.get_weights())
    for variable in worker.optimizer.variables:  # a fresh Adam: zero moments and step count
        if "learning_rate" not in variable.path:
            variable.assign(np.zeros(variable.shape, variable.dtype))
    callbacks = []
    if validation is not None:
        validation = tuple(np.asarray(a, dtype="float32") for a in validation)
        callbacks.append(
            keras.callbacks.EarlyStopping(patience=patience, restore_best_weights=True)
        )
    worker.fit(
        x_train,
        np.asarray(y_train, dtype="float32"),
        epochs=epochs,
        batch_size=batch_size,
        validation_data=validation,
        callbacks=callbacks,
        shuffle=True,
        verbose=0,
    )
    return model, worker.get_weights()


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
    Returns the model (a model of its own: later fits do not change it)."""
    model, weights = _train(
        x_train, y_train, epochs=epochs, validation=validation, units=units,
        batch_size=batch_size, patience=patience, seed=seed, name=name,
    )  # fmt: skip
    model.set_weights(weights)
    return model


def predict(model, x) -> np.ndarray:
    """Model outputs for x (N, T, F) as a float64 vector (N,)."""
    return np.asarray(model.predict(np.asarray(x, dtype="float32"), verbose=0), "float64").ravel()


def _forecaster(weights: list[np.ndarray], n_steps: int, n_features: int, units: int):
    """Predictions of the trained `weights`, made on the shape's workhorse (its prediction
    function is traced once), so no model escapes for a later fit to change."""

    def forecast(x) -> np.ndarray:
        worker = _workhorse(n_steps, n_features, units)
        worker.set_weights(weights)
        return predict(worker, x)

    return forecast


def _fit_forecaster(x_train, y_train, *, units: int = 32, **train):
    """`_train` on the workhorse; returns the forecast function of the trained weights."""
    x_train = np.asarray(x_train, dtype="float32")
    defaults = {"validation": None, "batch_size": 64, "patience": 5, "name": "lstm_model"}
    _, weights = _train(x_train, y_train, units=units, **{**defaults, **train})
    return _forecaster(weights, x_train.shape[1], x_train.shape[2], units)


def lstm_fitter(*, epochs: int, seed: int | None = None, name: str = "lstm_model") -> Fitter:
    """A `Fitter` that trains `fit_lstm`'s model (same seed, same initial weights on every
    call)."""

    def fit(x_train, y_train):
        return _fit_forecaster(x_train, y_train, epochs=epochs, seed=seed, name=name)

    return fit


def linear_fitter(x_train, y_train) -> Callable[[np.ndarray], np.ndarray]:
    """A `Fitter`: ordinary least squares in float64 on the flattened windows."""
    from sklearn.linear_model import LinearRegression

    x_train = np.asarray(x_train, "float64")
    model = LinearRegression().fit(x_train.reshape(len(x_train), -1), y_train)
    return lambda x: model.predict(np.asarray(x, "float64").reshape(len(x), -1))


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
        forecast = _fit_forecaster(
            x_train, y_train, epochs=epochs, validation=validation, units=units, seed=seed
        )
        scaled = forecast(x_scaler.transform(test.x))
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


# pragma: no mutate end
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
