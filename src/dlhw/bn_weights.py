"""Q6 (a), "BN stops the weights from growing large" (L253), judged on equal terms.

`growth_pairs`: from the learning-rate grid (`bn_experiments.learning_rate_runs`), each Dense
kernel's norm growth (norm after the last epoch both runs finished / norm before training),
with and without BN, at the same learning rate and the same epochs. `scale_invariance_run`:
the mechanism. A kernel followed by BN is scale-invariant (BN(xcW) = BN(xW) for c > 0, eps
aside), so the gradient g of the loss is orthogonal to W and plain SGD gives
||W_{t+1}||^2 = ||W_t||^2 + eta^2 ||g_t||^2: the norm can only grow, and the larger it is, the
smaller the gradient (g scales as 1/||W||), so the growth slows down by itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dlhw.checks import positive_int
from dlhw.errors import DlhwError


class WeightsError(DlhwError, ValueError):
    """Runs or settings that cannot be compared."""


def growth_pairs(runs: dict[tuple[str, float], dict[str, Any]]):
    """One row per (learning rate, Dense kernel) where both the "plain" and the "batch" run
    finished at least one epoch: the epochs compared (the fewer the two finished), whether a
    BN follows the kernel (every hidden kernel; not the logits'), the norm growth of each,
    and whether BN's is the smaller. A pandas DataFrame."""
    import pandas as pd

    rates = sorted(
        {lr for norm, lr in runs if norm == "plain"} & {lr for n, lr in runs if n == "batch"}
    )
    if not rates:
        raise WeightsError("runs need a 'plain' and a 'batch' run at a common learning rate.")
    rows = []
    for lr in rates:
        plain = np.asarray(runs["plain", lr]["kernel_norms"], "float64")
        bn = np.asarray(runs["batch", lr]["kernel_norms"], "float64")
        epochs = min(len(plain), len(bn)) - 1
        if epochs < 1:  # one of them diverged in its first epoch: nothing to compare
            continue
        growth_plain, growth_bn = plain[epochs] / plain[0], bn[epochs] / bn[0]
        for layer in range(plain.shape[1]):
            rows.append(
                {
                    "learning_rate": lr,
                    "layer": layer,
                    "feeds_bn": layer < plain.shape[1] - 1,
                    "epochs": epochs,
                    "growth_plain": float(growth_plain[layer]),
                    "growth_bn": float(growth_bn[layer]),
                    "bn_grows_less": bool(growth_bn[layer] < growth_plain[layer]),
                }
            )
    return pd.DataFrame(rows)


def scale_invariance_run(
    splits,
    *,
    learning_rate: float,
    steps: int,
    batch_size: int = 128,
    layer: str = "dense_0",
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Plain SGD on the BN MLP for `steps` batches, recording for the kernel of `layer` (one
    followed by BN) ||W_t||^2, ||g_t||^2 and <W_t, g_t> before each step, and ||W_T||^2 after
    the last. Returns arrays: w2 (steps + 1,), g2, wg (steps,)."""
    import keras
    import tensorflow as tf

    from dlhw.bn_models import build_mlp

    steps, batch_size = positive_int(steps, "steps"), positive_int(batch_size, "batch_size")
    if not learning_rate > 0:
        raise WeightsError(f"learning_rate must be positive, got {learning_rate!r}.")
    model = build_mlp("batch", input_shape=splits.x_train.shape[1:], seed=seed)
    kernel = model.get_layer(layer).kernel
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    optimizer = keras.optimizers.SGD(learning_rate)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(splits.x_train))
    w2, g2, wg = [], [], []

    @tf.function
    def gradients(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return tape.gradient(loss, model.trainable_variables)

    index = next(i for i, v in enumerate(model.trainable_variables) if v is kernel)
    for step in range(steps):
        rows = order[np.arange(step * batch_size, (step + 1) * batch_size) % len(order)]
        grads = gradients(splits.x_train[rows], splits.y_train[rows])
        w, g = kernel.numpy().astype("float64"), grads[index].numpy().astype("float64")
        w2.append(np.sum(w * w))
        g2.append(np.sum(g * g))
        wg.append(np.sum(w * g))
        optimizer.apply(grads, model.trainable_variables)
    final = kernel.numpy().astype("float64")
    w2.append(np.sum(final * final))
    return {"w2": np.asarray(w2), "g2": np.asarray(g2), "wg": np.asarray(wg)}


def invariance_residual(record: dict[str, np.ndarray], learning_rate: float) -> float:
    """Median over steps of | ||W_{t+1}||^2 - ||W_t||^2 - eta^2 ||g_t||^2 | / (eta^2 ||g_t||^2):
    0 for an exactly scale-invariant kernel (the cross term 2 eta <W, g> vanishes)."""
    w2, g2 = np.asarray(record["w2"], "float64"), np.asarray(record["g2"], "float64")
    if len(w2) != len(g2) + 1 or not len(g2):
        raise WeightsError("record needs w2 with one more entry than g2 (before and after).")
    predicted = learning_rate**2 * g2
    return float(np.median(np.abs(np.diff(w2) - predicted) / predicted))


def plot_norm_law(record: dict[str, np.ndarray], learning_rate: float, *, title: str = ""):
    """The kernel's ||W_t||^2 over the steps beside the law's prediction
    ||W_0||^2 + eta^2 * sum of ||g_s||^2 (s < t), both relative to ||W_0||^2."""
    import matplotlib.pyplot as plt

    from dlhw.plots import DPI

    w2, g2 = np.asarray(record["w2"], "float64"), np.asarray(record["g2"], "float64")
    law = w2[0] + learning_rate**2 * np.concatenate([[0.0], np.cumsum(g2)])
    fig, ax = plt.subplots(figsize=(6.0, 3.0), dpi=DPI)
    ax.plot(w2 / w2[0], label="measured ||W_t||²")
    ax.plot(law / w2[0], linestyle="--", label="||W_0||² + η² Σ ||g_s||²")
    ax.set(xlabel="SGD step", ylabel="relative to step 0", title=title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def lr_key(learning_rate: float) -> str:
    """A metric key for a learning rate without dots (`lr0_5`), as results' dotted paths need."""
    return f"lr{learning_rate:g}".replace(".", "_")


def growth_record(pairs) -> dict[str, dict[str, dict[str, float]]]:
    """`growth_pairs`' table as Q6 records it: norm ("plain", "batch") -> rate key -> kernel
    (`layer_<i>`) -> growth."""
    return {
        norm: {
            lr_key(lr): {
                f"layer_{row.layer}": float(getattr(row, f"growth_{column}"))
                for row in pairs[pairs["learning_rate"] == lr].itertuples()
            }
            for lr in pairs["learning_rate"].unique()
        }
        for norm, column in (("plain", "plain"), ("batch", "bn"))
    }


def norm_record(runs: dict[tuple[str, float], dict[str, Any]], digits: int = 5):
    """The per-epoch kernel norms of every run of the learning-rate grid, as Q6 records them:
    norm -> rate key -> one list per epoch (before training first) of the Dense kernels'
    Frobenius norms, rounded to `digits` decimals."""
    found: dict[str, dict[str, list[list[float]]]] = {}
    for (norm, lr), curves in runs.items():
        rows = [[round(float(v), digits) for v in epoch] for epoch in curves["kernel_norms"]]
        found.setdefault(norm, {})[lr_key(lr)] = rows
    return found
