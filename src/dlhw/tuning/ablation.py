"""Q1's checks of the written answer's claims, measured on the final architecture.

- `answer_space_counts()`: how many configurations of the answer's space as written (L102-143)
  cannot be built, and the chance that 10 uniform random trials draw none of them.
- `head_rate_grid`: the head and the learning rate varied one at a time on one architecture,
  so that "slow rates and the global-average head lose" is separated into its two causes.
- `memorisation`: training and validation accuracy after a short training, and the share of
  shuffled labels a model fits (what it can memorise), for Dropout and pooling variants.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pandas as pd

from dlhw import repro
from dlhw.checks import positive_int
from dlhw.tuning.settings import TuningError
from dlhw.tuning.spaces import CNNHyperModel, fixed_hyperparameters
from dlhw.tuning.training import ONE_RECIPE, compile_with_recipe

# The answer's `build_cnn_model(hp)` as written (L102-143): its choices, one entry per
# hyperparameter. Every conv layer reads the one `conv1_filters`, and `dense_{i}_units` exists
# for each of the `num_dense_layers` Dense layers.
WRITTEN_SPACE = {
    "num_conv_layers": tuple(range(1, 6)),
    "conv1_filters": tuple(range(1, 257, 16)),  # min 1, max 256, step 16: 1, 17, ..., 241
    "num_dense_layers": tuple(range(1, 6)),
    "dense_units": tuple(range(32, 257, 32)),  # per Dense layer: 32, 64, ..., 256
    "learning_rate": (1e-3, 5e-4, 1e-4),
}


def conv_stack_side(n_conv: int, side: int = 28, kernel: int = 3) -> int | None:
    """The feature map's side after the answer's conv loop (a 2x2 pooling before every
    odd-indexed `valid` conv layer), or None when a conv layer meets a map smaller than its
    kernel (Keras cannot build that stack)."""
    positive_int(n_conv, "n_conv", TuningError)
    for i in range(n_conv):
        if i % 2 == 1:
            side //= 2
        if side < kernel:
            return None
        side -= kernel - 1
    return side


def answer_space_counts(space: dict[str, tuple] = WRITTEN_SPACE, trials: int = 10) -> dict:
    """Count the configurations of the answer's space as written, and those that cannot be built.

    A configuration is one value per hyperparameter that exists: `dense_units` once per Dense
    layer. Returns total, unbuildable, unbuildable_share, and p_trials_buildable, the chance that
    `trials` configurations drawn uniformly (with replacement) are all buildable.
    """
    positive_int(trials, "trials", TuningError)
    dense = sum(len(space["dense_units"]) ** d for d in space["num_dense_layers"])
    rest = len(space["conv1_filters"]) * dense * len(space["learning_rate"])
    per_depth = {n: rest for n in space["num_conv_layers"]}
    total = sum(per_depth.values())
    unbuildable = sum(c for n, c in per_depth.items() if conv_stack_side(n) is None)
    share = unbuildable / total
    return {
        "total": total,
        "unbuildable": unbuildable,
        "unbuildable_share": share,
        "p_trials_buildable": (1 - share) ** trials,
        "trials": trials,
        "unbuildable_depths": [n for n in per_depth if conv_stack_side(n) is None],
    }


def _train(model: keras.Model, x, y, *, epochs: int, batch_size: int, val=None) -> float:
    """Fit quietly; return the seconds it took."""
    start = time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, validation_data=val, verbose=0)
    return time.perf_counter() - start


def _accuracy(model: keras.Model, x, y) -> float:
    """`evaluate()` accuracy: inference mode, Dropout off, BatchNorm on its moving statistics."""
    return float(model.evaluate(x, y, batch_size=512, verbose=0)[1])


def head_rate_grid(
    hypermodel: CNNHyperModel,
    values: dict[str, Any],
    data,
    *,
    slow_rate: float,
    epochs: int,
    seeds: int,
    seed: int = 0,
) -> pd.DataFrame:
    """Train `values` with each head (dense, global average) at its own rate and at `slow_rate`.

    Everything else is `values` (the tuned configuration, its batch size, Adam at a constant
    rate, as a trial trains); each run trains `epochs` epochs on `data.x_search` and is scored
    with `evaluate()` on `data.x_val`. The configuration as given (its head at its rate) is also
    trained on `seeds - 1` more seeds, which gives the margin: one configuration's spread.
    Returns one row per run: head, rate ("fast" = the tuned rate, "slow"), learning_rate, seed,
    val_accuracy, seconds.
    """
    positive_int(epochs, "epochs", TuningError)
    positive_int(seeds, "seeds", TuningError)
    fast = float(values["learning_rate"])
    if not 0 < slow_rate < fast:
        raise TuningError(
            f"slow_rate must lie between 0 and the tuned rate {fast:g}, got {slow_rate!r}."
        )
    own_head = values.get("head", "dense")
    runs = [(h, r, seed) for h in ("dense", "global_avg") for r in ("fast", "slow")]
    runs += [(own_head, "fast", seed + k) for k in range(1, seeds)]
    rows = []
    for head, rate, run_seed in runs:
        chosen = {**values, "head": head, "learning_rate": fast if rate == "fast" else slow_rate}
        repro.seed_everything(run_seed)
        hp = fixed_hyperparameters(chosen)
        model = hypermodel.build(hp)
        start = time.perf_counter()
        hypermodel.fit(hp, model, data.x_search, data.y_search, epochs=epochs, verbose=0)
        seconds = time.perf_counter() - start
        accuracy = _accuracy(model, data.x_val, data.y_val)
        print(f"{head} head, {rate} rate {chosen['learning_rate']:.2e}, seed {run_seed}: "
              f"val_accuracy {accuracy:.4f} ({seconds:.0f} s)", flush=True)  # fmt: skip
        rows.append((head, rate, chosen["learning_rate"], run_seed, accuracy, seconds))
    columns = ["head", "rate", "learning_rate", "seed", "val_accuracy", "seconds"]
    return pd.DataFrame(rows, columns=columns)


def head_rate_metrics(grid: pd.DataFrame, *, seed: int = 0) -> dict[str, Any]:
    """The grid's four cells on `seed` (`dense_fast`, ...), the tuned configuration's standard
    deviation over its seeds (`seed_sd`, ddof 1) and the two rates, for `results.record`."""
    first = grid[grid["seed"] == seed]
    if len(first) != 4:
        raise TuningError(f"the grid needs the four head x rate runs of seed {seed}.")
    cells = {f"{r.head}_{r.rate}": float(r.val_accuracy) for r in first.itertuples()}
    repeated = grid.groupby(["head", "rate"])["val_accuracy"].agg(["count", "std"])
    repeated = repeated[repeated["count"] > 1]
    if repeated.empty:
        raise TuningError("no configuration of the grid was trained on more than one seed.")
    rates = first.groupby("rate")["learning_rate"].first()
    return {
        **cells,
        "seed_sd": float(repeated["std"].iloc[0]),
        "seeds": int(repeated["count"].iloc[0]),
        "fast_rate": float(rates["fast"]),
        "slow_rate": float(rates["slow"]),
    }


def shuffled_labels(y: np.ndarray, seed: int) -> np.ndarray:
    """`y` (N, 10) one-hot with its rows permuted: labels that no image feature predicts."""
    if np.ndim(y) != 2:
        raise TuningError("shuffled_labels needs one-hot labels (N, 10).")
    return y[np.random.default_rng(seed).permutation(len(y))]


def memorisation(
    build: Callable[[], keras.Model],
    data,
    *,
    epochs: int,
    shuffled_images: int,
    shuffled_epochs: int,
    seed: int = 0,
    label: str = "",
) -> dict[str, float]:
    """What a model learns and what it can memorise, with our one recipe (Adam 1e-3, batch 64).

    1. A fresh `build()` trains `epochs` epochs on `data.x_search`; `evaluate()` (Dropout off)
       gives train_accuracy on those images and val_accuracy on `data.x_val`; gap = train - val.
    2. Another fresh `build()` trains `shuffled_epochs` epochs on the first `shuffled_images`
       search images with shuffled labels; shuffled_fit is the share of them it then predicts
       with their shuffled label (chance: 0.1).
    """
    positive_int(epochs, "epochs", TuningError)
    positive_int(shuffled_epochs, "shuffled_epochs", TuningError)
    positive_int(shuffled_images, "shuffled_images", TuningError)
    if shuffled_images > len(data.x_search):
        raise TuningError(
            f"shuffled_images={shuffled_images} exceeds the {len(data.x_search)} search images."
        )
    batch = ONE_RECIPE["batch_size"]
    repro.seed_everything(seed)
    model = compile_with_recipe(build())
    seconds = _train(model, data.x_search, data.y_search, epochs=epochs, batch_size=batch)
    train = _accuracy(model, data.x_search, data.y_search)
    val = _accuracy(model, data.x_val, data.y_val)
    x_rand = data.x_search[:shuffled_images]
    y_rand = shuffled_labels(data.y_search[:shuffled_images], seed)
    repro.seed_everything(seed)
    model = compile_with_recipe(build())
    seconds += _train(model, x_rand, y_rand, epochs=shuffled_epochs, batch_size=batch)
    fit = _accuracy(model, x_rand, y_rand)
    print(f"{label or model.name}: train {train:.4f}, val {val:.4f}, shuffled labels fitted "
          f"{fit:.1%} ({seconds:.0f} s)", flush=True)  # fmt: skip
    return {
        "params": int(model.count_params()),
        "train_accuracy": train,
        "val_accuracy": val,
        "gap": train - val,
        "shuffled_fit": fit,
    }


VARIANTS = ("final", "no_dropout", "strided")


def variant_builder(values: dict[str, Any], variant: str) -> Callable[[], keras.Model]:
    """A builder of the final architecture `values` as tuned (`final`), with every Dropout rate
    set to 0 (`no_dropout`), or with each 2x2 max pooling replaced by a 2x2 stride-2 `valid`
    convolution of the same channels (`strided`: same output sizes, more weights)."""
    if variant not in VARIANTS:
        raise TuningError(f"unknown variant {variant!r}; choose one of {VARIANTS}.")
    chosen = dict(values)
    if variant == "no_dropout":
        chosen["conv_dropout"] = 0.0
        if chosen.get("head", "dense") == "dense":
            chosen["dense_dropout"] = 0.0
    hypermodel = CNNHyperModel(downsample="strided" if variant == "strided" else "pool")
    return lambda: hypermodel.build(fixed_hyperparameters(chosen))


def memorisation_table(results: dict[str, dict[str, float]]) -> pd.DataFrame:
    """One row per variant: parameters, train and validation accuracy, gap, shuffled fit."""
    table = pd.DataFrame(results).T
    table["params"] = table["params"].astype(int)
    return table
