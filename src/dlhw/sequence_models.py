"""Sequential MNIST, the Keras models of Q2 and Q4, parameter-count formulas, latency sweeps.

Sequential MNIST reads each (28, 28) image as 28 time steps of 28 pixels (one row a step).
Q2 trains an LSTM and a GRU on it; Q4 trains models of similar size (a Conv1D stack, two 2-D
CNNs, an LSTM, a GRU), checks the parameter formulas against Keras, times a forward pass as the
sequence grows (the slope of log(time) against log(length)), and times a training step at a
constant number of positions, to separate the recurrent chain from the arithmetic.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np

from dlhw.checks import positive_int

N_CLASSES = 10
MODEL_KINDS = ("conv1d", "cnn2d", "cnn2d_deep", "lstm", "gru")


# --------------------------------------------------------------------------------- the data


def sequential_mnist(profile=None, *, seed: int = 0):
    """MNIST splits shaped for recurrent models: x_* (N, 28, 28) = (N, steps, features)."""
    from dlhw import data

    splits = data.mnist_splits(profile, seed=seed, channel_axis=False)
    if splits.x_train.ndim != 3 or splits.x_train.shape[1:] != (28, 28):
        raise ValueError(f"expected (N, 28, 28) images, got {splits.x_train.shape}.")
    return splits


# ------------------------------------------------------------------------------- the models


def build_model(kind: str, *, units: int = 64, steps: int | None = 28, features: int = 28):
    """An uncompiled classifier of (N, steps, features) sequences into 10 logits.

    kind: "lstm" / "gru" (one recurrent layer of `units`, then Dense(10)); "conv1d" (three
    Conv1D layers over time, global average pooling, Dense(10)); "cnn2d" (the sequence seen as
    a (steps, features, 1) image: three Conv2D layers with pooling, global average pooling,
    Dense(10)); "cnn2d_deep" (four narrower Conv2D layers and three poolings, so that each
    feature sees the whole 28 x 28 image before the global pooling; see `receptive_field`).
    `units` sets the widths; `steps=None` accepts any length (at least 8 steps for the CNNs).
    Global pooling keeps the CNNs' size independent of length.
    """
    from keras import layers

    if kind not in MODEL_KINDS:
        raise ValueError(f"kind must be one of {MODEL_KINDS}, got {kind!r}.")
    units = positive_int(units, "units")
    features = positive_int(features, "features")
    if steps is not None:
        steps = positive_int(steps, "steps")
    inputs = keras.Input((steps, features), name="sequence")
    if kind == "lstm":
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
        x = layers.Conv2D(units // 4, 3, padding="same", activation="relu", name="conv1")(x)
        x = layers.MaxPooling2D(2, name="pool1")(x)
        x = layers.Conv2D(units // 2, 3, padding="same", activation="relu", name="conv2")(x)
        x = layers.MaxPooling2D(2, name="pool2")(x)
        x = layers.Conv2D(units, 3, padding="same", activation="relu", name="conv3")(x)
        x = layers.GlobalAveragePooling2D(name="gap")(x)
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


class EpochLogger(keras.callbacks.Callback):
    """Prints one line per epoch (loss, accuracy, validation accuracy, seconds); keeps the
    seconds of every epoch in `seconds`."""

    def __init__(self, label: str, verbose: bool = True):
        super().__init__()
        self.label, self.verbose = label, verbose
        self.seconds: list[float] = []
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        if self.verbose:
            logs = logs or {}
            print(
                f"{self.label} epoch {epoch + 1}: loss {logs.get('loss', float('nan')):.4f}"
                f"  acc {logs.get('accuracy', float('nan')):.4f}"
                f"  val_acc {logs.get('val_accuracy', float('nan')):.4f}"
                f"  {self.seconds[-1]:.1f} s",
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


# ----------------------------------------------------------------- parameter-count formulas


def conv_params(kernel_size: int | tuple[int, ...], c_in: int, c_out: int) -> int:
    """Conv1D / Conv2D weights: prod(kernel) x C_in x C_out + C_out (bias). No length term."""
    size = int(np.prod(kernel_size))
    return size * c_in * c_out + c_out


def dense_params(d_in: int, d_out: int) -> int:
    """Dense layer: d_in x d_out + d_out."""
    return d_in * d_out + d_out


def simple_rnn_params(d: int, h: int) -> int:
    """SimpleRNN: H(H + D) + H (recurrent kernel, kernel, bias). No length term."""
    return h * (h + d) + h


def lstm_params(d: int, h: int) -> int:
    """LSTM: 4 (H(H + D) + H), one SimpleRNN-sized block per gate (i, f, c, o)."""
    return 4 * simple_rnn_params(d, h)


def gru_params(d: int, h: int, *, reset_after: bool = True) -> int:
    """GRU: 3 (H(H + D) + 2H) with reset_after (two bias rows), else 3 (H(H + D) + H)."""
    return 3 * (h * (h + d) + (2 * h if reset_after else h))


def formula_params(kind: str, *, units: int = 64, features: int = 28) -> int:
    """The parameter count of `build_model(kind, units=units, features=features)` by formula."""
    head = N_CLASSES
    if kind == "lstm":
        return lstm_params(features, units) + dense_params(units, head)
    if kind == "gru":
        return gru_params(features, units) + dense_params(units, head)
    if kind == "conv1d":
        return (
            conv_params(3, features, units)
            + conv_params(3, units, units)
            + conv_params(3, units, units // 2)
            + dense_params(units // 2, head)
        )
    if kind == "cnn2d":
        return (
            conv_params((3, 3), 1, units // 4)
            + conv_params((3, 3), units // 4, units // 2)
            + conv_params((3, 3), units // 2, units)
            + dense_params(units, head)
        )
    if kind == "cnn2d_deep":
        return (
            conv_params((3, 3), 1, units // 4)
            + conv_params((3, 3), units // 4, units // 2)
            + 2 * conv_params((3, 3), units // 2, units // 2)
            + dense_params(units // 2, head)
        )
    raise ValueError(f"kind must be one of {MODEL_KINDS}, got {kind!r}.")


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


def receptive_field(model) -> int:
    """Rows (= columns, for square kernels) of the input that one feature of the model's last
    convolution sees: the extent a global pooling after it averages over. Computed from the
    kernel and pool sizes and strides of the Conv / pooling layers, in order."""
    size, jump = 1, 1
    for layer in model.layers:
        config = layer.get_config()
        window = config.get("kernel_size") or config.get("pool_size")
        if window is None or "Global" in type(layer).__name__:
            continue
        strides = config.get("strides") or window
        size += (int(window[0]) - 1) * jump
        jump *= int(strides[0])
    return size


def macs_per_position(kind: str, *, width: int = 64, features: int = 64, kernel: int = 3) -> int:
    """Multiply-adds of the weight products for one position (one step of one sequence) of
    `latency_layer(kind, ...)`: kernel x features x width for the Conv1D, the four gates' input
    and recurrent products 4 x width x (features + width) for the LSTM. Bias adds and the gates'
    element-wise arithmetic (a few operations per unit) are left out."""
    width, features = positive_int(width, "width"), positive_int(features, "features")
    if kind == "conv1d":
        return positive_int(kernel, "kernel") * features * width
    if kind == "lstm":
        return 4 * width * (features + width)
    raise ValueError(f"kind must be 'conv1d' or 'lstm', got {kind!r}.")


# --------------------------------------------------------------------------- latency sweep


def sweep_lengths(max_length: int, min_length: int = 16) -> list[int]:
    """Powers of two from `min_length` up to `max_length` (both included when powers of 2)."""
    max_length = positive_int(max_length, "max_length")
    if max_length < min_length:
        raise ValueError(f"max_length must be at least {min_length}, got {max_length}.")
    lengths, n = [], min_length
    while n <= max_length:
        lengths.append(n)
        n *= 2
    return lengths


def latency_layer(kind: str, *, width: int = 64, features: int = 64):
    """One layer of `width` over sequences of any length: "conv1d" (kernel 3, same padding)
    or "lstm" (return_sequences), both mapping (N, T, features) to (N, T, width)."""
    from keras import layers

    inputs = keras.Input((None, features), name="sequence")
    if kind == "conv1d":
        outputs = layers.Conv1D(width, 3, padding="same", name="conv1d")(inputs)
    elif kind == "lstm":
        outputs = layers.LSTM(width, return_sequences=True, name="lstm")(inputs)
    else:
        raise ValueError(f"kind must be 'conv1d' or 'lstm', got {kind!r}.")
    return keras.Model(inputs, outputs, name=f"{kind}_latency")


def forward_latency(
    model, lengths, *, batch: int = 32, features: int = 64, repeats: int = 5, seed: int = 0
) -> dict[int, float]:
    """Median wall-clock seconds of one compiled forward pass of `model` for each length.

    Inputs are (batch, length, features) random float32; each length is traced and run twice
    (warm-up: the first calls also pay one-off allocation costs) before `repeats` timed calls.
    """
    import tensorflow as tf

    repeats = positive_int(repeats, "repeats")
    forward = tf.function(lambda x: model(x, training=False), reduce_retracing=False)
    rng = np.random.default_rng(seed)
    found = {}
    for n in lengths:
        x = tf.constant(rng.normal(size=(batch, int(n), features)).astype("float32"))
        found[int(n)] = _median_seconds(forward, x, repeats)
    return found


def train_step_time(
    model, lengths, *, positions: int, features: int = 64, repeats: int = 5, seed: int = 0
) -> dict[int, float]:
    """Median wall-clock seconds of one training step (forward, backward, SGD update of every
    weight) of `model` for each length, at a constant number of positions: the batch is
    `positions // length`, so every length does the same arithmetic and only its arrangement
    changes (a recurrent layer's steps run one after another; a convolution's do not). The loss
    is the mean squared output; inputs are random float32, traced and warmed up as in
    `forward_latency`."""
    import tensorflow as tf

    positions, repeats = positive_int(positions, "positions"), positive_int(repeats, "repeats")
    for n in lengths:
        if positions % int(n):
            raise ValueError(
                f"positions ({positions}) must be a multiple of every length; {n} is not a "
                "divisor. Use powers of two for both (see sweep_lengths)."
            )
    optimizer = keras.optimizers.SGD(1e-3)
    optimizer.build(model.trainable_variables)

    @tf.function(reduce_retracing=False)
    def step(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)
        return loss

    rng = np.random.default_rng(seed)
    found = {}
    for n in lengths:
        shape = (positions // int(n), int(n), features)
        x = tf.constant(rng.normal(size=shape).astype("float32"))
        found[int(n)] = _median_seconds(step, x, repeats)
    return found


def _median_seconds(function, x, repeats: int) -> float:
    """Median seconds of `repeats` calls `function(x)` (waiting for the result), after two
    untimed calls (tracing, then warm-up: the first calls also pay one-off allocation costs)."""
    for _ in range(2):
        function(x).numpy()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function(x).numpy()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def loglog_slope(lengths, seconds) -> float:
    """Least-squares slope of log(seconds) against log(length): 1 = linear growth, 0 = flat."""
    lengths = np.asarray(list(lengths), dtype=float)
    seconds = np.asarray(list(seconds), dtype=float)
    if lengths.shape != seconds.shape or lengths.size < 2:
        raise ValueError("lengths and seconds must be equally long, with at least two points.")
    if np.any(lengths <= 0) or np.any(seconds <= 0):
        raise ValueError("lengths and seconds must be positive for a log-log fit.")
    slope, _ = np.polyfit(np.log(lengths), np.log(seconds), 1)
    return float(slope)
