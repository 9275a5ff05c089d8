"""Q6 experiments: the same MLP with and without normalisation, trained and timed on MNIST.

(a) `build_mlp` + `learning_rate_runs` (`train_curves` at every rate of a grid) +
`summarize_runs` + `best_learning_rate` + `compare_step_times`: does BN make a step faster, or
training converge in fewer epochs and seconds, each model at its best rate? Do the weights grow
(`kernel_norms`, `weight_norm_ratio`)? (d) `batch1_zero_gradient`: what a training batch of
one does to a BN network (the batch-size sweep is in `dlhw.bn_batches`). (e)
`fc_bn_param_counts`: the parameter count of Dense(10 -> 20) followed by BatchNormalization.
Inputs: x: (N, 28, 28, 1) or (N, 28, 28) float32 in [0, 1], y: (N,) integer labels.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from dlhw import timing
from dlhw.bn_models import (  # re-exported (`x as x`): the notebook reads them as bx.<name>
    NORMS as NORMS,
    build_mlp as build_mlp,
    compile_sgd as compile_sgd,
    kernel_norms as kernel_norms,
    weight_resetter,
)
from dlhw.checks import positive_int


def train_curves(
    model, splits, *, epochs: int, batch_size: int = 128, seed: int = 0
) -> dict[str, Any]:
    """Fit a compiled model on `splits` (a `dlhw.data.MnistSplits`); return per-epoch curves.

    Returns lists of length `epochs`: loss, accuracy, val_loss, val_accuracy, the wall time of
    each epoch (`epoch_s`, validation included) and `kernel_norms` (one more entry: before
    training, then after each epoch; see `kernel_norms`). A non-finite training loss stops
    training quietly: the curves are shorter and `diverged_at` holds the epoch (1-based), else
    None.
    """
    import keras

    positive_int(epochs, "epochs")

    class _Monitor(timing.EpochTimer):
        def on_train_begin(self, logs=None):
            norms.append(kernel_norms(self.model))

        def on_epoch_begin(self, epoch, logs=None):
            super().on_epoch_begin(epoch, logs)
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            loss = (logs or {}).get("loss")
            if loss is not None and not math.isfinite(float(loss)):
                diverged.append(self.epoch + 1)
                self.model.stop_training = True

        def epoch_done(self, epoch, logs, seconds):
            norms.append(kernel_norms(self.model))

    monitor = _Monitor()
    times = monitor.seconds
    norms: list[list[float]] = []
    diverged: list[int] = []
    keras.utils.set_random_seed(seed)
    history = model.fit(
        splits.x_train,
        splits.y_train,
        validation_data=(splits.x_val, splits.y_val),
        epochs=int(epochs),
        batch_size=batch_size,
        verbose=0,
        callbacks=[monitor],
    )
    curves: dict[str, Any] = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    done = len(times) - (1 if diverged else 0)  # the epoch that diverged is not a result
    for key in list(curves):
        curves[key] = curves[key][:done]
    curves["epoch_s"] = times[:done]
    curves["kernel_norms"] = norms[: done + 1]
    curves["diverged_at"] = diverged[0] if diverged else None
    return curves


def weight_norm_ratio(curves: dict[str, Any]) -> float:
    """Mean over the Dense kernels of (norm after the last epoch) / (norm before training)."""
    norms = np.asarray(curves["kernel_norms"], dtype="float64")
    if norms.ndim != 2 or len(norms) < 2:
        raise ValueError("curves need kernel norms before training and after at least one epoch.")
    return float(np.mean(norms[-1] / norms[0]))


def seconds_to_target(curves: dict[str, Any], target: float) -> float | None:
    """Wall time (s) of the epochs up to and including the first one that reaches `target`
    validation accuracy (validation passes included), or None if none does."""
    epoch = epochs_to_target(curves["val_accuracy"], target)
    return None if epoch is None else float(sum(curves["epoch_s"][:epoch]))


def epochs_to_target(val_accuracy: list[float], target: float) -> int | None:
    """The first epoch (1-based) whose validation accuracy is >= target, or None if none is."""
    for epoch, value in enumerate(val_accuracy, start=1):
        if value >= target:
            return epoch
    return None


def compare_step_times(
    models: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int = 128,
    steps: int = 50,
    repeats: int = 3,
) -> dict[str, dict[str, float]]:
    """Wall time (s) of one training step of each compiled model, measured interleaved.

    After one warm-up fit per model (tracing), each of `repeats` rounds fits every model in
    turn on the same `steps` batches, so a disturbance by other processes hits all models
    alike. Returns {name: {"min": s, "median": s}}; the minimum is the least-disturbed run
    (timeit's advice). Only relative timings on one machine are meaningful.
    """
    n = int(steps) * int(batch_size)
    if n > len(x):
        raise ValueError(f"steps * batch_size = {n} exceeds the {len(x)} examples given.")
    positive_int(repeats, "repeats")
    x, y = x[:n], y[:n]
    runs = {
        name: lambda model=model: model.fit(
            x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False
        )
        for name, model in models.items()
    }
    times = timing.interleaved_seconds(runs, repeats, warmup_rounds=1)  # round 0: tracing
    per_step = {name: [s / int(steps) for s in t] for name, t in times.items()}
    return {
        name: {"min": float(np.min(t)), "median": float(np.median(t))}
        for name, t in per_step.items()
    }


def learning_rate_runs(
    splits,
    *,
    learning_rates: tuple[float, ...],
    norms: tuple[str | None, ...] = (None, "batch"),
    epochs: int = 1,
    batch_size: int = 128,
    seed: int = 0,
) -> dict[tuple[str, float], dict[str, Any]]:
    """Train with plain SGD for `epochs` at every (norm, learning rate), from the same weights.

    Returns {(norm or "plain", learning rate): curves of `train_curves`}.
    """
    if not learning_rates:
        raise ValueError("learning_rates must name at least one learning rate.")
    runs = {}
    for norm in norms:
        shape = splits.x_train.shape[1:]
        model = compile_sgd(build_mlp(norm, input_shape=shape, seed=seed), learning_rates[0])
        reset = weight_resetter(model)
        for lr in learning_rates:
            reset()
            model.optimizer.learning_rate = float(lr)
            curves = train_curves(model, splits, epochs=epochs, batch_size=batch_size, seed=seed)
            runs[(norm or "plain", float(lr))] = curves
    return runs


def summarize_runs(runs: dict[tuple[str, float], dict[str, Any]], *, epochs: int, target: float):
    """One row per run of `learning_rate_runs`: norm, learning_rate, val_accuracy after the last
    epoch (NaN if the loss diverged first), diverged_at (epoch, <NA> if it did not),
    epochs_to_target and seconds_to_target (<NA> and NaN: not reached) and weight_norm_ratio
    (NaN if it diverged in the first epoch). A pandas DataFrame."""
    import pandas as pd

    rows = []
    for (norm, lr), curves in runs.items():
        seconds = seconds_to_target(curves, target)
        finished = len(curves["val_accuracy"]) == int(epochs) and curves["diverged_at"] is None
        rows.append(
            {
                "norm": norm,
                "learning_rate": lr,
                "val_accuracy": curves["val_accuracy"][-1] if finished else float("nan"),
                "diverged_at": curves["diverged_at"],
                "epochs_to_target": epochs_to_target(curves["val_accuracy"], target),
                "seconds_to_target": float("nan") if seconds is None else seconds,
                "weight_norm_ratio": weight_norm_ratio(curves)
                if len(curves["kernel_norms"]) > 1
                else float("nan"),
            }
        )
    # Integer columns with gaps stay integers (<NA>: did not diverge / target not reached).
    return pd.DataFrame(rows).astype({"diverged_at": "Int64", "epochs_to_target": "Int64"})


def best_learning_rate(summary, norm: str) -> float:
    """The learning rate whose run of `norm` ends with the highest validation accuracy (the
    smaller rate on a tie); runs that diverged are never chosen."""
    rows = summary[(summary["norm"] == norm) & summary["val_accuracy"].notna()]
    if rows.empty:
        raise ValueError(f"no run of norm {norm!r} finished without diverging; lower the rates.")
    rows = rows.sort_values(["val_accuracy", "learning_rate"], ascending=[False, True])
    return float(rows["learning_rate"].iloc[0])


def batch1_zero_gradient(splits, *, seed: int = 0) -> dict[str, Any]:
    """One training-mode forward/backward of a BN MLP on a single image (batch of size 1).

    Returns the BN layer's output minus its beta (max abs), whether the gradient reaching every
    Dense kernel before a BN layer is exactly zero, and the max abs of those gradients.
    """
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    model = build_mlp("batch", hidden=(32,), input_shape=splits.x_train.shape[1:], seed=seed)
    x = tf.constant(splits.x_train[:1])
    bn = model.get_layer("batch_norm_0")
    probe = keras.Model(model.inputs, [bn.output, model.outputs[0]])
    kernel = model.get_layer("dense_0").kernel
    with tf.GradientTape() as tape:
        bn_out, logits = probe(x, training=True)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
            splits.y_train[:1], logits
        )
    grad = tape.gradient(loss, kernel).numpy()
    return {
        "bn_output_minus_beta_max_abs": float(np.max(np.abs(bn_out.numpy() - bn.beta.numpy()))),
        "dense_kernel_grad_max_abs": float(np.max(np.abs(grad))),
        "dense_kernel_grad_all_zero": bool(np.all(grad == 0)),
    }


def fc_bn_param_counts(*, use_bias: bool = True, n_in: int = 10, n_out: int = 20) -> dict[str, int]:
    """Parameters of Input(n_in) -> Dense(n_out) -> BatchNormalization -> ReLU, as Keras counts.

    Returns dense, bn_trainable (gamma, beta), bn_non_trainable (moving mean and variance),
    total (`count_params()`), trainable and non_trainable.
    """
    import keras

    inputs = keras.Input(shape=(n_in,), name="features")
    dense = keras.layers.Dense(n_out, use_bias=use_bias, name="fc")
    bn = keras.layers.BatchNormalization(name="bn")
    outputs = keras.layers.ReLU(name="relu")(bn(dense(inputs)))
    model = keras.Model(inputs, outputs, name="fc_bn")

    def count(weights) -> int:
        return int(sum(int(np.prod(w.shape)) for w in weights))

    return {
        "dense": dense.count_params(),
        "bn_trainable": count(bn.trainable_weights),
        "bn_non_trainable": count(bn.non_trainable_weights),
        "total": model.count_params(),
        "trainable": count(model.trainable_weights),
        "non_trainable": count(model.non_trainable_weights),
    }
