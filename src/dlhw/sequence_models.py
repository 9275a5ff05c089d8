"""Sequential MNIST, the Keras models of Q2 and Q4, their training, and model-built counts.

Sequential MNIST reads each (28, 28) image as 28 time steps of 28 pixels (one row a step).
Q2 trains an LSTM and a GRU on it; Q4 trains models of similar size (a Conv1D stack, two 2-D
CNNs, an LSTM, a GRU) and checks the parameter formulas against Keras. What the models cost
(formulas, multiply-adds, latency sweeps) lives in `dlhw.sequence_costs`, re-exported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import keras
import numpy as np

from dlhw import timing
from dlhw.checks import positive_int
from dlhw.sequence_costs import (  # re-exported (`x as x`): notebooks read them as sm.<name>
    MODEL_KINDS as MODEL_KINDS,
    N_CLASSES as N_CLASSES,
    conv_params as conv_params,
    dense_params as dense_params,
    formula_params as formula_params,
    forward_latency as forward_latency,
    gru_params as gru_params,
    latency_layer as latency_layer,
    loglog_slope as loglog_slope,
    lstm_params as lstm_params,
    macs_per_position as macs_per_position,
    receptive_field as receptive_field,
    simple_rnn_params as simple_rnn_params,
    sweep_lengths as sweep_lengths,
    train_step_time as train_step_time,
)

# --------------------------------------------------------------------------------- the data


def sequential_mnist(profile=None, *, seed: int = 0):
    """MNIST splits shaped for recurrent models: x_* (N, 28, 28) = (N, steps, features)."""
    from dlhw import data

    splits = data.mnist_splits(profile, seed=seed, channel_axis=False)
    if splits.x_train.ndim != 3 or splits.x_train.shape[1:] != (28, 28):
        raise ValueError(f"expected (N, 28, 28) images, got {splits.x_train.shape}.")
    return splits


# ------------------------------------------------------------------------------- the models


POOLINGS = ("between", "first")


def build_model(
    kind: str,
    *,
    units: int = 64,
    steps: int | None = 28,
    features: int = 28,
    pooling: str = "between",
):
    """An uncompiled classifier of (N, steps, features) sequences into 10 logits.

    kind: "simplernn" / "lstm" / "gru" (one recurrent layer of `units`, then Dense(10));
    "conv1d" (three Conv1D layers over time, global average pooling, Dense(10)); "cnn2d" (the
    sequence seen as a (steps, features, 1) image: three Conv2D layers with pooling, global
    average pooling, Dense(10)); "cnn2d_deep" (four narrower Conv2D layers and three poolings,
    so that each feature sees the whole 28 x 28 image before the global pooling; see
    `receptive_field`).
    `units` sets the widths; `steps=None` accepts any length (at least 8 steps for the CNNs).
    Global pooling keeps the CNNs' size independent of length. For "cnn2d", `pooling="first"`
    moves both poolings before the first convolution: the same layers and weights, each
    feature seeing the whole 28 x 28 image instead of 18 rows, every map 7 x 7.
    """
    from keras import layers

    if kind not in MODEL_KINDS:
        raise ValueError(f"kind must be one of {MODEL_KINDS}, got {kind!r}.")
    units = positive_int(units, "units")
    features = positive_int(features, "features")
    if steps is not None:
        steps = positive_int(steps, "steps")
    inputs = keras.Input((steps, features), name="sequence")
    if kind == "simplernn":
        x = layers.SimpleRNN(units, name="simplernn")(inputs)
    elif kind == "lstm":
        x = layers.LSTM(units, name="lstm")(inputs)
    elif kind == "gru":
        x = layers.GRU(units, name="gru")(inputs)
    elif kind == "conv1d":
        x = layers.Conv1D(units, 3, padding="same", activation="relu", name="conv1")(inputs)
        x = layers.MaxPooling1D(2, name="pool1")(x)
        x = layers.Conv1D(units, 3, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling1D(2, name="pool2")(x)
        x = layers.Conv1D(units // 2, 3, padding="same", activation="relu", name="conv3")(x)
        x = layers.GlobalAveragePooling1D(name="gap")(x)
    elif kind == "cnn2d":
        x = layers.Reshape((steps or -1, features, 1), name="as_image")(inputs)
        x = _cnn2d_body(x, units, pooling)
    else:  # cnn2d_deep
        x = layers.Reshape((steps or -1, features, 1), name="as_image")(inputs)
        widths = (units // 4, units // 2, units // 2, units // 2)
        for i, width in enumerate(widths, start=1):
            if i > 1:
                x = layers.MaxPooling2D(2, name=f"pool{i - 1}")(x)
            x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=kind)


def _cnn2d_body(x, units: int, pooling: str):
    """Three Conv2D layers (units/4, units/2, units) and two 2 x 2 poolings, between the
    convolutions or all before them, then global average pooling."""
    from keras import layers

    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}.")
    widths = (units // 4, units // 2, units)
    for i, width in enumerate(widths, start=1):
        if pooling == "first" and i == 1:
            x = layers.MaxPooling2D(2, name="pool1")(x)
            x = layers.MaxPooling2D(2, name="pool2")(x)
        x = layers.Conv2D(width, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        if pooling == "between" and i < 3:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    return layers.GlobalAveragePooling2D(name="gap")(x)


class EpochLogger(timing.EpochTimer):
    """Prints one line per epoch (loss, accuracy, validation accuracy, seconds); keeps the
    seconds of every epoch in `seconds`."""

    def __init__(self, label: str, verbose: bool = True):
        super().__init__()
        self.label, self.verbose = label, verbose

    def epoch_done(self, epoch, logs, seconds):
        if self.verbose:
            print(
                f"{self.label} epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f}"
                f"  acc {logs.get('accuracy', float('nan')):.4f}"
                f"  val_acc {logs.get('val_accuracy', float('nan')):.4f}"
                f"  {seconds:.1f} s",
                flush=True,
            )


@dataclass
class TrainResult:
    """What `train_classifier` measured: per-epoch history and seconds, and test accuracy."""

    model: object
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    test_accuracy: float
    params: int = field(default=0)

    @property
    def seconds_per_epoch(self) -> float:
        """Median seconds of one training epoch (robust to a slow first, tracing epoch)."""
        return float(np.median(self.epoch_seconds))


def train_classifier(
    model,
    splits,
    *,
    epochs: int,
    batch_size: int = 128,
    learning_rate: float = 2e-3,
    verbose: bool = True,
) -> TrainResult:
    """Compile `model` (Adam with cosine decay, clipnorm 1) and fit it on splits' train part.

    Validation accuracy is reported each epoch; the test split is evaluated once at the end.
    splits: x_* (N, steps, features), y_* (N,) integer labels.
    """
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}.")
    steps = math.ceil(len(splits.x_train) / batch_size) * epochs
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return fit_and_test(model, splits, epochs=epochs, batch_size=batch_size, verbose=verbose)


def train_seeds(
    splits, seeds, *, epochs: int, batch_size: int = 128, verbose: bool = True, **build
) -> dict[int, TrainResult]:
    """`train_classifier` on `build_model(**build)` once per seed, each seed fixing the initial
    weights and the batch order (keras.utils.set_random_seed before the model is built); with
    `verbose`, one line per finished run."""
    found = {}
    for seed in dict.fromkeys(int(s) for s in seeds):
        keras.utils.set_random_seed(seed)
        model = build_model(**build)
        found[seed] = result = train_classifier(
            model, splits, epochs=epochs, batch_size=batch_size, verbose=False
        )
        if verbose:
            label = ", ".join(f"{k}={v}" for k, v in build.items())
            print(
                f"{label}, seed {seed}: test accuracy {result.test_accuracy:.4f} "
                f"({sum(result.epoch_seconds):.0f} s)",
                flush=True,
            )
    return found


def fit_and_test(
    model, splits, *, epochs: int, batch_size: int, label: str = "", verbose: bool = True
) -> TrainResult:
    """Fit a compiled `model` on splits' train part (validation monitored, one line per epoch
    prefixed by `label`, default the model's name), then evaluate the test split once."""
    logger = EpochLogger(label or model.name, verbose)
    history = model.fit(
        splits.x_train,
        splits.y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(splits.x_val, splits.y_val),
        callbacks=[logger],
        verbose=0,
    )
    _, test_accuracy = model.evaluate(splits.x_test, splits.y_test, batch_size=512, verbose=0)
    return TrainResult(
        model,
        {k: [float(v) for v in vals] for k, vals in history.history.items()},
        logger.seconds,
        float(test_accuracy),
        int(model.count_params()),
    )


def digit_trace(model, image: np.ndarray) -> dict:
    """Replay a trained `build_model("lstm" | "gru")` on one image (28, 28) in NumPy.

    The recurrent layer's weights go through `dlhw.recurrent`; the Dense head is applied to
    the hidden state after every step. Returns hs (T, H), the gates (name -> (T, H)),
    probabilities (T, 10) after each step, and `max_abs_diff_logits`, the largest difference
    between the NumPy logits after the last step and `model.predict` (a check of the replay).
    """
    from dlhw import recurrent

    image = np.asarray(image, dtype=np.float32)
    if image.ndim != 2:
        raise ValueError(f"image must be one (steps, features) array, got shape {image.shape}.")
    rnn = next((layer for layer in model.layers if layer.name in ("lstm", "gru")), None)
    if rnn is None:
        raise ValueError("model must come from build_model('lstm') or build_model('gru').")
    head_kernel, head_bias = model.get_layer("logits").get_weights()
    weights = recurrent.weights_from_keras(rnn).astype(np.float64)
    hs, _, gates = recurrent.sequence_forward(image[None].astype(np.float64), weights)
    logits = hs[0] @ head_kernel + head_bias
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    keras_logits = model.predict(image[None], verbose=0)[0]
    return {
        "hs": hs[0],
        "gates": {name: values[0] for name, values in gates.items()},
        "probabilities": shifted / shifted.sum(axis=1, keepdims=True),
        "max_abs_diff_logits": float(np.max(np.abs(logits[-1] - keras_logits))),
    }


# ------------------------------------------------------------ counts of built models


def params_by_length(kind: str, lengths, *, units: int = 64, features: int = 28) -> dict:
    """count_params() of `build_model(kind, ...)` built for each sequence length in `lengths`."""
    return {
        int(n): int(build_model(kind, units=units, steps=int(n), features=features).count_params())
        for n in lengths
    }


def flatten_head_params(steps: int, *, units: int = 64, features: int = 28) -> int:
    """count_params() of Conv1D(units, 3, same) -> Flatten -> Dense(10) on (steps, features):
    the contrast case, whose Dense head grows with the length (units x steps x 10 weights)."""
    from keras import layers

    inputs = keras.Input((positive_int(steps, "steps"), features))
    x = layers.Conv1D(units, 3, padding="same")(inputs)
    outputs = layers.Dense(N_CLASSES)(layers.Flatten()(x))
    return int(keras.Model(inputs, outputs).count_params())
