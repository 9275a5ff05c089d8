"""Q2, why gated cells exist: the SimpleRNN beside the LSTM and the GRU on one budget, and how
much of the loss gradient reaches each step.

`hidden_state_gradients` unrolls a trained (or freshly built) recurrent classifier's own cell
(`layer.cell`) under `tf.GradientTape` and returns, for every step t, the mean over examples
of ||dL/dh_t||: the gradient that reaches the hidden state of step t from the loss on the last
step's output. In a SimpleRNN each step back multiplies it by diag(1 - h_t^2) U^T, which
shrinks it unless U is large; the LSTM's cell state adds a direct path
dc_t/dc_{t-1} = diag(f_t), which keeps it when the forget gates stay near 1
(`direct_path_survival`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import keras
import numpy as np

from dlhw.checks import positive_int
from dlhw.errors import DlhwError

CELLS = ("simplernn", "lstm", "gru")


class GatingError(DlhwError, ValueError):
    """A model, a batch or a forget-gate array this module cannot use."""


def training_subset(splits, n: int):
    """`splits` with only the first `n` training images (validation and test unchanged): the
    subset on which the three cells are compared."""
    from dataclasses import replace

    n = positive_int(n, "n")
    return replace(splits, x_train=splits.x_train[:n], y_train=splits.y_train[:n])


def recurrent_layer(model):
    """The one recurrent layer of a `sequence_models.build_model(kind)` classifier."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.RNN):
            return layer
    raise GatingError(
        f"model {model.name!r} has no recurrent layer: pass one built with "
        "build_model('simplernn' | 'lstm' | 'gru')."
    )


def hidden_state_gradients(model, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Mean over the batch of ||dL/dh_t|| for t = 1..T, with L the summed cross-entropy of
    the model's logits on (x (N, T, D), y (N,) integer labels), so that each example's row of
    dL/dh_t is its own gradient. The cell is stepped by hand from zero states; `max_abs_diff`
    is its last hidden state against the layer's own output (a check of the unrolling)."""
    import tensorflow as tf

    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y)
    if x.ndim != 3 or len(x) != len(y) or len(x) == 0:
        raise GatingError(
            f"x must be (N, steps, features) with N > 0 and y (N,) labels; got {x.shape} "
            f"and {y.shape}."
        )
    expected = tuple(model.input_shape[1:])
    if any(e is not None and e != n for e, n in zip(expected, x.shape[1:], strict=True)):
        raise GatingError(f"x has (steps, features) = {x.shape[1:]}, the model wants {expected}.")
    layer = recurrent_layer(model)
    cell, head = layer.cell, model.get_layer("logits")
    sizes = cell.state_size if isinstance(cell.state_size, list | tuple) else [cell.state_size]
    states = [tf.zeros((len(x), int(size))) for size in sizes]
    inputs = tf.constant(x)
    with tf.GradientTape() as tape:
        hs = []
        for t in range(x.shape[1]):
            h, states = cell(inputs[:, t], states)
            states = list(states) if isinstance(states, list | tuple) else [states]
            hs.append(h)
        losses = keras.losses.sparse_categorical_crossentropy(y, head(hs[-1]), from_logits=True)
        loss = tf.reduce_sum(losses)
    grads = tape.gradient(loss, hs)
    norms = np.array([float(tf.reduce_mean(tf.norm(g, axis=1))) for g in grads])
    direct = np.asarray(layer(inputs))
    return {"norms": norms, "max_abs_diff": float(np.max(np.abs(direct - np.asarray(hs[-1]))))}


def first_to_last(norms: np.ndarray) -> float:
    """||dL/dh_1|| / ||dL/dh_T||: the share of the last step's gradient that reaches step 1."""
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or len(norms) < 2 or not norms[-1] > 0:
        raise GatingError(f"norms must be 1-D, at least 2 steps, last > 0; got {norms!r}.")
    return float(norms[0] / norms[-1])


def direct_path_survival(forget: np.ndarray) -> dict[str, float]:
    """From forget-gate values f (T, H) of one sequence: their mean, and for each unit the
    product of f_t over t = 2..T, which is dc_T/dc_1 along the cell state's direct path
    (dc_t/dc_{t-1} = diag(f_t)); its median and largest value over the units."""
    forget = np.asarray(forget, dtype=np.float64)
    if forget.ndim != 2 or forget.shape[0] < 2:
        raise GatingError(f"forget gates must be (steps >= 2, units); got {forget.shape}.")
    if np.any((forget < 0) | (forget > 1)):
        raise GatingError("forget-gate values must lie in [0, 1] (they are sigmoids).")
    product = np.prod(forget[1:], axis=0)
    return {
        "mean": float(forget.mean()),
        "median_product": float(np.median(product)),
        "max_product": float(product.max()),
    }


def train_cells(
    splits,
    seeds: Iterable[int],
    *,
    epochs: int,
    units: int,
    probe: int = 512,
    batch_size: int = 128,
    learning_rate: float = 2e-3,
    cells: Iterable[str] = CELLS,
) -> dict[str, dict[int, dict[str, Any]]]:
    """Each cell trained once per seed on splits (one recipe, `train_classifier`'s), with the
    hidden-state gradients on the first `probe` validation images at initialisation and after
    training. Returns cell -> seed -> {"test_accuracy", "seconds", "init", "trained"}; prints
    one line per run."""
    from dlhw import sequence_models as sm

    probe = positive_int(probe, "probe")
    x, y = splits.x_val[:probe], splits.y_val[:probe]
    steps, features = splits.x_train.shape[1:]
    found: dict[str, dict[int, dict[str, Any]]] = {}
    for kind in cells:
        if kind not in CELLS:
            raise GatingError(f"cells must be among {CELLS}, got {kind!r}.")
        found[kind] = {}
        for seed in dict.fromkeys(int(s) for s in seeds):
            keras.utils.set_random_seed(seed)
            model = sm.build_model(kind, units=units, steps=steps, features=features)
            init = hidden_state_gradients(model, x, y)["norms"]
            result = sm.train_classifier(
                model, splits, epochs=epochs, batch_size=batch_size,
                learning_rate=learning_rate, verbose=False,
            )  # fmt: skip
            trained = hidden_state_gradients(model, x, y)["norms"]
            seconds = float(sum(result.epoch_seconds))
            found[kind][seed] = {
                "test_accuracy": result.test_accuracy,
                "seconds": seconds,
                "init": init,
                "trained": trained,
            }
            print(
                f"{kind}, seed {seed}: test accuracy {result.test_accuracy:.4f}, "
                f"||dL/dh_1|| / ||dL/dh_T|| {first_to_last(init):.2e} at init, "
                f"{first_to_last(trained):.2e} trained ({seconds:.0f} s)",
                flush=True,
            )
    return found


def summary(runs: Mapping[str, Mapping[int, Mapping[str, Any]]]) -> dict[str, dict]:
    """The metrics Q2 records from `train_cells`: per cell the test accuracy's mean and s.d.
    over seeds, `cells_spread` (the largest s.d., the comparison's margin), and
    ||dL/dh_1|| / ||dL/dh_T|| at initialisation and after training: median, smallest and
    largest over the seeds."""
    out: dict[str, dict] = {
        "cells_accuracy_mean": {},
        "cells_accuracy_std": {},
        **{f"grad_first_last{suffix}": {} for suffix in ("", "_min", "_max")},
    }
    for kind, by_seed in runs.items():
        acc = np.array([r["test_accuracy"] for r in by_seed.values()], dtype=np.float64)
        out["cells_accuracy_mean"][kind] = float(acc.mean())
        out["cells_accuracy_std"][kind] = float(acc.std(ddof=1)) if len(acc) > 1 else 0.0
        for suffix, reduce in (("", np.median), ("_min", np.min), ("_max", np.max)):
            out[f"grad_first_last{suffix}"][kind] = {
                when: float(reduce([first_to_last(r[when]) for r in by_seed.values()]))
                for when in ("init", "trained")
            }
    out["cells_spread"] = max(out["cells_accuracy_std"].values())
    return out


def plot_gradient_norms(runs: Mapping[str, Mapping[int, Mapping[str, Any]]]):
    """Two panels (at initialisation, after training): ||dL/dh_t|| against t for each cell,
    one thin line per seed, on a log scale."""
    import matplotlib.pyplot as plt

    from dlhw.plots import DPI

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4), dpi=DPI, sharey=True)
    colours = dict(zip(CELLS, ("tab:red", "tab:blue", "tab:green"), strict=True))
    moments = (("init", "at initialisation"), ("trained", "after training"))
    for ax, (when, title) in zip(axes, moments, strict=True):
        for kind, by_seed in runs.items():
            for i, run in enumerate(by_seed.values()):
                steps = np.arange(1, len(run[when]) + 1)
                label = kind if i == 0 else None
                ax.semilogy(steps, run[when], color=colours.get(kind), lw=1.2, label=label)
        ax.set(title=title, xlabel="step t (image row)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("mean ||dL/dh_t||")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
