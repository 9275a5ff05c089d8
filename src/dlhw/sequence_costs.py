"""What the sequence models of Q4 cost: parameter-count formulas, multiply-adds per position,
receptive fields, and latency sweeps (a forward pass as the sequence grows, a training step at a
constant number of positions) with the slope of log(time) against log(length).
"""

from __future__ import annotations

import keras
import numpy as np

from dlhw import timing
from dlhw.checks import positive_int

N_CLASSES = 10
MODEL_KINDS = ("conv1d", "cnn2d", "cnn2d_deep", "simplernn", "lstm", "gru")


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
    if kind == "simplernn":
        return simple_rnn_params(features, units) + dense_params(units, head)
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
    return timing.median_seconds(lambda: function(x).numpy(), repeats, warmup=2)


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
