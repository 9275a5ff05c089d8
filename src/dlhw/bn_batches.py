"""Q6 (d), small batches: the same MLP with BN, LayerNormalization or GroupNormalization trained
on a fixed number of examples in batches of 1 to 128.

For each run: the validation accuracy in inference mode (BN divides by its moving statistics),
the training-mode loss over the run (`loss_curve`, and its mean over the first and the last
tenth of the steps: does training converge at this batch size?), and for BN the validation
accuracy in training mode, each batch of `batch_size` validation images normalised by its own
statistics, so that `mode_gap` says how far the two modes disagree.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.bn_models import build_mlp, check_norm, weight_resetter
from dlhw.checks import positive_int

GAP_EXAMPLES = 1024  # validation images scored in training mode (one batch at a time)


def window_means(steps: list[int], running_means: list[float]) -> np.ndarray:
    """The mean loss of the steps between consecutive reports, from Keras's running mean of the
    epoch's loss (`running_means[k]` over the first `steps[k]` steps). Returns (K,) means."""
    steps_a = np.asarray(steps, dtype=np.float64)
    means = np.asarray(running_means, dtype=np.float64)
    if steps_a.ndim != 1 or steps_a.shape != means.shape or len(steps_a) == 0:
        raise ValueError("steps and running_means must be equal-length, non-empty 1-D lists.")
    if np.any(np.diff(steps_a) <= 0) or steps_a[0] <= 0:
        raise ValueError(f"steps must be positive and increasing, got {steps}.")
    totals = np.concatenate([[0.0], steps_a * means])
    return np.diff(totals) / np.diff(np.concatenate([[0.0], steps_a]))


def start_and_end(steps: list[int], running_means: list[float], share: float = 0.1):
    """Mean training loss over (about) the first and the last `share` of the steps: the first
    reports up to the one reaching `share`, the reports after the last one at or below
    1 - `share` (coarser when the reports are few)."""
    steps_a = np.asarray(steps, dtype=np.float64)
    means = np.asarray(running_means, dtype=np.float64)
    total = steps_a[-1]
    first = int(np.argmax(steps_a >= share * total))
    before_end = np.flatnonzero(steps_a <= (1 - share) * total)
    start = float(means[first])
    if len(before_end) == 0 or before_end[-1] == len(steps_a) - 1:
        return start, float(window_means(steps, running_means)[-1])
    k = before_end[-1]
    end = (means[-1] * total - means[k] * steps_a[k]) / (total - steps_a[k])
    return start, float(end)


def _loss_reports():
    """A Keras callback keeping (steps done, running mean of the loss) at every report (every
    `steps_per_execution` steps)."""
    import keras

    class LossReports(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.steps: list[int] = []
            self.means: list[float] = []

        def on_train_batch_end(self, batch, logs=None):
            if logs and "loss" in logs:
                self.steps.append(int(batch) + 1)
                self.means.append(float(logs["loss"]))

    return LossReports()


def training_mode_accuracy(model, splits, batch_size: int, examples: int = GAP_EXAMPLES) -> float:
    """Accuracy on the first `examples` validation images in training mode, `batch_size` at a
    time, each batch normalised by its own statistics (what the network saw while training).
    BN's moving statistics, which a training-mode call moves, are restored afterwards."""
    x, y = splits.x_val[:examples], splits.y_val[:examples]
    saved = [v.numpy() for v in model.non_trainable_variables]
    correct = 0
    try:
        for i in range(0, len(x), int(batch_size)):
            logits = np.asarray(model(x[i : i + int(batch_size)], training=True))
            correct += int(np.sum(logits.argmax(axis=1) == y[i : i + int(batch_size)]))
    finally:
        for variable, value in zip(model.non_trainable_variables, saved, strict=True):
            variable.assign(value)
    return correct / len(x)


class _Restartable:
    """A compiled Adam MLP that is reset to its initial weights and optimizer state per run."""

    def __init__(self, norm, splits, *, learning_rate, hidden, seed):
        import keras

        keras.utils.set_random_seed(seed)
        self.model = build_mlp(norm, hidden=hidden, input_shape=splits.x_train.shape[1:], seed=seed)
        self.model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            steps_per_execution=10,  # a loss report every 10 steps: the curve's resolution
        )
        self.reset = weight_resetter(self.model)
        self.seed = seed

    def train(self, splits, *, batch_size: int, examples: int) -> dict[str, Any]:
        import keras

        positive_int(batch_size, "batch_size")
        if positive_int(examples, "examples") < batch_size:
            raise ValueError(
                "need 1 <= batch_size <= examples, "
                f"got batch_size={batch_size}, examples={examples}."
            )
        self.reset()
        keras.utils.set_random_seed(self.seed)
        steps = int(examples) // int(batch_size)
        idx = np.arange(steps * int(batch_size)) % len(splits.x_train)  # wraps past the end
        reports = _loss_reports()
        history = self.model.fit(
            splits.x_train[idx],
            splits.y_train[idx],
            batch_size=int(batch_size),
            epochs=1,
            shuffle=True,
            verbose=0,
            callbacks=[reports],
        )
        _, val_acc = self.model.evaluate(splits.x_val, splits.y_val, batch_size=1024, verbose=0)
        moving = [
            layer.moving_variance.numpy()
            for layer in self.model.layers
            if isinstance(layer, keras.layers.BatchNormalization)
        ]
        start, end = start_and_end(reports.steps, reports.means)
        train_mode = (
            training_mode_accuracy(self.model, splits, batch_size) if moving else float("nan")
        )
        return {
            "val_accuracy": float(val_acc),
            "train_loss": float(history.history["loss"][-1]),
            "loss_start": start,
            "loss_end": end,
            "loss_curve": list(
                zip(reports.steps, window_means(reports.steps, reports.means).tolist(), strict=True)
            ),
            "val_accuracy_train_mode": train_mode,
            "mode_gap": float(val_acc) - train_mode,
            "steps": steps,
            # BN only (NaN otherwise): the moving variances its inference mode divides by.
            "moving_var_max": float(max(v.max() for v in moving)) if moving else float("nan"),
            "moving_var_median": float(np.median(np.concatenate(moving)))
            if moving
            else float("nan"),
        }


def train_model(
    norm: str | None,
    splits,
    *,
    batch_size: int,
    examples: int,
    learning_rate: float = 1e-3,
    hidden: tuple[int, ...] = (128, 64),
    seed: int = 0,
):
    """Train a fresh MLP with Adam on `examples` training images in batches of `batch_size`;
    return (the trained model, what `train_fixed_examples` returns)."""
    check_norm(norm)
    runner = _Restartable(norm, splits, learning_rate=learning_rate, hidden=hidden, seed=seed)
    return runner.model, runner.train(splits, batch_size=batch_size, examples=examples)


def train_fixed_examples(norm: str | None, splits, **settings) -> dict[str, Any]:
    """Train a fresh MLP with Adam on `examples` training images in batches of `batch_size`
    (`settings`: those of `train_model`).

    Every batch size sees the same examples (the first `examples` of the training split,
    wrapping round if needed; smaller batches take more steps). Returns the validation
    accuracy (inference mode, i.e. BN's moving statistics), the training-mode loss (last,
    start, end, curve), for BN the training-mode accuracy and the gap, and the number of steps.
    """
    return train_model(norm, splits, **settings)[1]


def batch_size_sweep(
    splits,
    *,
    batch_sizes: tuple[int, ...],
    norms: tuple[str, ...] = ("batch", "layer", "group"),
    examples: int,
    learning_rate: float = 1e-3,
    hidden: tuple[int, ...] = (128, 64),
    seed: int = 0,
):
    """Validation accuracy for every (norm, batch size) after `examples` training examples.

    Each run starts from the same initial weights and optimizer state (see
    `train_fixed_examples`). Returns a pandas DataFrame with columns norm, batch_size,
    val_accuracy, train_loss, loss_start, loss_end, loss_curve ((steps, mean loss) per report),
    steps, and for BN val_accuracy_train_mode, mode_gap and the largest and median moving
    variance (`moving_var_max`, `moving_var_median`; NaN for the other norms).
    """
    import pandas as pd

    rows = []
    for norm in norms:
        check_norm(norm)
        runner = _Restartable(norm, splits, learning_rate=learning_rate, hidden=hidden, seed=seed)
        for batch_size in batch_sizes:
            result = runner.train(splits, batch_size=batch_size, examples=examples)
            rows.append({"norm": norm, "batch_size": int(batch_size), **result})
    return pd.DataFrame(rows)


def plot_loss_curves(frame, *, norm: str = "batch", title: str = ""):
    """The training-mode loss of `norm`'s runs in a `batch_size_sweep` frame against the
    examples seen, one line per batch size (log scales)."""
    import matplotlib.pyplot as plt

    from dlhw.plots import DPI

    fig, ax = plt.subplots(figsize=(7.0, 3.2), dpi=DPI)
    for row in frame[frame["norm"] == norm].itertuples():
        steps, losses = np.asarray(row.loss_curve, dtype=np.float64).T
        ax.plot(steps * row.batch_size, losses, label=f"batch {row.batch_size}")
    ax.set(xscale="log", yscale="log", xlabel="training examples seen",
           ylabel="training-mode loss", title=title)  # fmt: skip
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    return fig


def bn_sweep_metrics(frame) -> dict[str, dict[str, float]]:
    """Q6's recorded numbers from a sweep frame's BN rows, keyed `b<batch size>`: the
    training-mode loss ratio (last tenth over first tenth) and the inference-minus-training
    mode gap in validation accuracy."""
    rows = frame[frame["norm"] == "batch"]
    if rows.empty:
        raise ValueError("the sweep has no BN ('batch') runs.")
    return {
        "sweep_loss_ratio": {
            f"b{r.batch_size}": r.loss_end / r.loss_start for r in rows.itertuples()
        },
        "sweep_mode_gap": {f"b{r.batch_size}": float(r.mode_gap) for r in rows.itertuples()},
    }
