"""Q1: KerasTuner search spaces for the MNIST CNN, a tuner factory with an epoch budget, reports.

- `seed_answer_hypermodel(hp)`: the written answer's search space, repaired (one filters
  hyperparameter per conv layer, no 1-filter layers, a working dense loop).
- `CNNHyperModel`: our space (conv blocks, BatchNorm, dropout, dense head, learning rate on a
  log scale, batch size tuned in `fit`), every configuration at most 208,000 parameters.
- `make_tuner(kind, ...)`: RandomSearch, GridSearch, BayesianOptimization or Hyperband that
  log every epoch they really run (`epochs.jsonl` in the project folder) and stop creating
  trials once `budget_epochs` are spent; an existing project folder is resumed.
- `search_data(profile)`, `run_search(tuner, data)`, `retrain(...)`: the data, the search, the
  final model. Validation (held out from train) drives the search; the test set is not used.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import keras_tuner
import numpy as np

from dlhw import data as dlhw_data
from dlhw import files, paths
from dlhw.checks import positive_int

KINDS = ("random", "grid", "bayesian", "hyperband")
OBJECTIVE = "val_accuracy"
NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)
MAX_PARAMS = 208_000  # 10% of the written answer's 2,085,224-parameter model
ANSWER_BEST = {  # the answer's reported best model, in the repaired space's names
    "num_conv_layers": 3,
    "conv1_filters": 225,
    "conv2_filters": 225,
    "conv3_filters": 225,
    "num_dense_layers": 2,
    "dense_0_units": 64,
    "dense_1_units": 64,
    "learning_rate": 1e-3,
}
ANSWER_BEST_PARAMS = 2_085_224
EPOCH_LOG = "epochs.jsonl"
SEARCH_TIME = "search_time.json"


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class SearchData:
    """MNIST for the search and the final model; x_*: (N, 28, 28, 1) in [0, 1], y_*: (N, 10).

    `x_search`/`y_search`: the first `profile.tuner_train` training images, what every trial
    trains on; `x_val`/`y_val`: held out from train, the search's objective; `x_train`/
    `y_train`: all training images (for the final model); `x_test`/`y_test`: touched once.
    """

    x_search: np.ndarray
    y_search: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def train_and_val(self) -> tuple[np.ndarray, np.ndarray]:
        """All training images, validation included: (N, 28, 28, 1), (N, 10)."""
        return (
            np.concatenate([self.x_train, self.x_val]),
            np.concatenate([self.y_train, self.y_val]),
        )


def search_data(profile=None, *, seed: int = 0) -> SearchData:
    """Split MNIST for the search with `dlhw.data.mnist_splits` (one-hot labels).

    The search trains on `profile.tuner_train` of the training images (all when `None`) so
    that four tuners fit one budget; the validation split stays whole.
    """
    from dlhw import profiles

    profile = profiles.current() if profile is None else profile
    splits = dlhw_data.mnist_splits(profile, seed=seed, one_hot=True)
    n = profile.subset(len(splits.x_train), "tuner_train")
    return SearchData(
        splits.x_train[:n],
        splits.y_train[:n],
        splits.x_val,
        splits.y_val,
        splits.x_train,
        splits.y_train,
        splits.x_test,
        splits.y_test,
    )


def tuning_dir(profile=None) -> Path:
    """`build/tuning/<profile>`: git-ignored, one folder per profile, never mixed."""
    from dlhw import profiles

    profile = profiles.current() if profile is None else profile
    return paths.build_dir() / "tuning" / profile.name


# --------------------------------------------------------------------------- search spaces


def seed_answer_hypermodel(hp: keras_tuner.HyperParameters) -> keras.Model:
    """The written answer's `build_cnn_model(hp)`, repaired: x (N, 28, 28, 1) -> (N, 10).

    1-5 Conv2D (kernel 3, ReLU, `valid`), 2x2 max pooling before every odd-indexed one, one
    filters hyperparameter per layer (17..241 step 16, so the answer's 225 stays reachable and
    no layer has 1 filter), 1-5 Dense layers (32..256 step 32), softmax, Adam with a learning
    rate from {1e-3, 5e-4, 1e-4}. Five conv layers shrink the map below the kernel: such a
    configuration raises `keras_tuner.errors.FailedTrialError` (a failed trial in a search).
    """
    layers = keras.layers
    n_conv = hp.Int("num_conv_layers", 1, 5)
    x = inputs = keras.Input(INPUT_SHAPE, name="image")
    size = INPUT_SHAPE[0]
    for i in range(n_conv):
        if i % 2 == 1:
            x = layers.MaxPooling2D(2, 2, name=f"pool{i + 1}")(x)
            size //= 2
        if size < 3:
            raise keras_tuner.errors.FailedTrialError(
                f"num_conv_layers={n_conv}: the feature map is {size}x{size} before conv "
                f"layer {i + 1}, smaller than its 3x3 kernel; use at most 4 conv layers."
            )
        filters = hp.Int(f"conv{i + 1}_filters", 17, 241, step=16)
        x = layers.Conv2D(filters, 3, activation="relu", name=f"conv{i + 1}")(x)
        size -= 2
    x = layers.Flatten(name="flatten")(x)
    for i in range(hp.Int("num_dense_layers", 1, 5)):
        units = hp.Int(f"dense_{i}_units", 32, 256, step=32)
        x = layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="seed_answer_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [1e-3, 5e-4, 1e-4])),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class CNNHyperModel(keras_tuner.HyperModel):
    """Our space: three conv blocks, x (N, 28, 28, 1) -> class probabilities (N, 10).

    Block b: `convs_per_block` x [Conv2D 3x3 `same` (-> BatchNorm if `batch_norm`) -> ReLU],
    2x2 max pooling (28 -> 14 -> 7 -> 3), Dropout(`conv_dropout`). Head: `dense` (Flatten,
    Dense `dense_units` ReLU, Dropout `dense_dropout`; those two exist only for this head) or
    `global_avg` (GlobalAveragePooling2D). Adam with `learning_rate` (log scale, 1e-4..1e-2);
    `batch_size` is tuned in `fit`. The largest configuration has fewer than `MAX_PARAMS`.
    """

    FILTERS = ((16, 32), (32, 48, 64), (32, 48, 64))  # choices for blocks 1, 2, 3
    DENSE_UNITS = (32, 64, 96)
    BATCH_SIZES = (64, 128, 256)

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        layers = keras.layers
        convs = hp.Int("convs_per_block", 1, 2, default=1)
        batch_norm = hp.Boolean("batch_norm", default=True)
        conv_dropout = hp.Float("conv_dropout", 0.0, 0.3, step=0.1, default=0.1)
        x = inputs = keras.Input(INPUT_SHAPE, name="image")
        for b, choices in enumerate(self.FILTERS, start=1):
            filters = hp.Choice(f"filters_{b}", list(choices), default=choices[0])
            for c in range(1, convs + 1):
                name = f"block{b}_conv{c}"
                x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm, name=name)(x)
                if batch_norm:  # momentum 0.9: short trials need settled moving statistics
                    x = layers.BatchNormalization(momentum=0.9, name=f"block{b}_bn{c}")(x)
                x = layers.Activation("relu", name=f"block{b}_relu{c}")(x)
            x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
            x = layers.Dropout(conv_dropout, name=f"block{b}_dropout")(x)
        head = hp.Choice("head", ["dense", "global_avg"], default="dense")
        if head == "dense":
            with hp.conditional_scope("head", ["dense"]):
                units = hp.Choice("dense_units", list(self.DENSE_UNITS), default=64)
                dense_dropout = hp.Float("dense_dropout", 0.0, 0.5, step=0.1, default=0.3)
            x = layers.Flatten(name="flatten")(x)
            x = layers.Dense(units, activation="relu", name="head_dense")(x)
            x = layers.Dropout(dense_dropout, name="head_dropout")(x)
        else:
            x = layers.GlobalAveragePooling2D(name="global_avg")(x)
        outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="predictions")(x)
        model = keras.Model(inputs, outputs, name="tuned_cnn")
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
        model.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, *args, **kwargs):
        """`model.fit` with the tuned `batch_size`."""
        kwargs["batch_size"] = hp.Choice("batch_size", list(self.BATCH_SIZES), default=128)
        return model.fit(*args, **kwargs)

    def space(self) -> keras_tuner.HyperParameters:
        """Every hyperparameter of the space at its default (`batch_size` included)."""
        hp = keras_tuner.HyperParameters()
        self.build(hp)
        self.fit(hp, _NoFit())
        return hp


class _NoFit:
    """Stands in for a model when only the hyperparameters that `fit` declares are wanted."""

    def fit(self, *args, **kwargs):
        return kwargs


def grid_space() -> keras_tuner.HyperParameters:
    """The small discrete sub-space GridSearch walks (6 points); the rest keep defaults."""
    hp = keras_tuner.HyperParameters()
    hp.Choice("learning_rate", [1e-3, 3e-3, 1e-2])
    hp.Boolean("batch_norm", default=True)
    return hp


def fixed_hyperparameters(values: dict[str, Any]) -> keras_tuner.HyperParameters:
    """A `HyperParameters` whose `values` are `values` (to build one chosen configuration)."""
    hp = keras_tuner.HyperParameters()
    hp.values.update(values)
    return hp


# --------------------------------------------------------------------------- sizes


def flops_per_image(model: keras.Model) -> int:
    """Floating-point operations (2 per multiply-add) of one forward pass through Conv2D and
    Dense layers (the rest is negligible): 2 * H_out * W_out * k_h * k_w * C_in * C_out per
    convolution, 2 * D_in * D_out per dense layer."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            k_h, k_w = layer.kernel_size
            c_in = layer.input.shape[-1]
            total += 2 * h * w * k_h * k_w * c_in * c_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * layer.input.shape[-1] * layer.units
    return int(total)


# --------------------------------------------------------------------------- tuners


def _brackets(max_epochs: int, factor: int) -> int:
    """Hyperband's number of brackets: how many times `max_epochs` divides by `factor` down to
    1, i.e. floor(log_factor(max_epochs)) + 1, counted without floating-point logarithms."""
    n_brackets, e = 0, float(max_epochs)
    while e >= 1:
        e /= factor
        n_brackets += 1
    return n_brackets


def hyperband_budget(max_epochs: int, factor: int = 3) -> tuple[int, int]:
    """(epochs, trials) of one Hyperband iteration as KerasTuner schedules it.

    Brackets s = s_max..0 (s_max + 1 = number of times `max_epochs` divides by `factor`
    down to 1); in round r of bracket s, ceil(n_s * factor**(s - r)) trials train up to
    ceil(max_epochs / factor**(s - r)) epochs, resuming from the previous round's epochs.
    About (floor(log_factor(max_epochs)) + 1)**2 * max_epochs epochs, more after the rounding
    (Li et al., JMLR 2018, Algorithm 1): for max_epochs 6 and factor 3 the schedule is 36
    epochs. KerasTuner's docstring gives max_epochs * log_factor(max_epochs)**2 (16 here), an
    approximation, not an identity.
    """
    positive_int(max_epochs, "max_epochs")
    if not isinstance(factor, int) or factor < 2:
        raise ValueError(f"factor must be an integer >= 2, got {factor!r}.")
    n_brackets = _brackets(max_epochs, factor)
    end0 = math.ceil(1 + math.log(max_epochs, factor))
    epochs = trials = 0
    for s in range(n_brackets):
        prev = 0
        for r in range(s + 1):
            size = math.ceil(end0 / (s + 1) * factor ** (s - r))
            upto = math.ceil(max_epochs / factor ** (s - r))
            epochs += size * (upto - prev)
            trials += size
            prev = upto
    return epochs, trials


def hyperband_estimates(max_epochs: int, factor: int = 3) -> dict[str, float]:
    """Epochs of one Hyperband iteration three ways, so a page can put the formulas beside the
    schedule: KerasTuner's docstring (max_epochs * log_factor(max_epochs)**2), Li et al.'s
    (floor(log_factor(max_epochs)) + 1)**2 * max_epochs, and the real schedule
    (`hyperband_budget`), which rounds every bracket's trials and epochs up."""
    epochs, _ = hyperband_budget(max_epochs, factor)
    return {
        "keras_tuner_docstring": max_epochs * math.log(max_epochs, factor) ** 2,
        "li_et_al": float(_brackets(max_epochs, factor) ** 2 * max_epochs),
        "schedule": float(epochs),
    }


class EpochLog(keras.callbacks.Callback):
    """Append one JSON line per finished epoch: trial id, validation accuracy, seconds."""

    def __init__(self, path: str | Path, trial_id: str):
        super().__init__()
        self.path, self.trial_id = str(path), trial_id
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        row = {
            "trial": self.trial_id,
            "epoch": int(epoch),
            OBJECTIVE: float(logs.get(OBJECTIVE, float("nan"))),
            "seconds": round(time.perf_counter() - self._start, 3),
        }
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


class _StopAtBudget(keras.callbacks.Callback):
    """Ends a trial after the epoch in which its search ran out of wall-clock budget."""

    def __init__(self, tuner: _BudgetMixin):
        super().__init__()
        self.tuner = tuner

    def on_epoch_end(self, epoch, logs=None):
        if self.tuner.out_of_time():
            self.model.stop_training = True


class _BudgetMixin:
    """Logs the epochs each trial runs and stops creating trials once `budget_epochs` are spent,
    or, with `budget_seconds`, once the search has run that long (by capping
    `oracle.max_trials` at the trials already made; a trial running when the time is up ends
    after its current epoch). `clock` is injectable so that tests need not sleep."""

    budget_epochs: int
    budget_seconds: float | None = None
    max_epochs: int
    kind: str
    clock = staticmethod(time.perf_counter)
    _started: float | None = None

    def epoch_log(self) -> list[dict[str, Any]]:
        """Every epoch run in this project folder, in order (resumed searches included)."""
        path = Path(self.project_dir) / EPOCH_LOG
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    def epochs_spent(self) -> int:
        return len(self.epoch_log())

    def seconds_spent(self) -> float:
        """Wall time of this search: earlier (resumed) runs' seconds plus the current run's."""
        path = Path(self.project_dir) / SEARCH_TIME
        before = json.loads(path.read_text())["seconds"] if path.exists() else 0.0
        return before + (0.0 if self._started is None else self.clock() - self._started)

    def save_search_time(self) -> float:
        """Write this search's total seconds (resumed runs included) to its folder; return them."""
        seconds = self.seconds_spent()
        files.atomic_write_text(
            Path(self.project_dir) / SEARCH_TIME, json.dumps({"seconds": seconds})
        )
        self._started = None  # the file now holds this run's seconds
        return seconds

    def out_of_time(self) -> bool:
        return self.budget_seconds is not None and self.seconds_spent() >= self.budget_seconds

    def search(self, *args, **kwargs):
        self._started = self.clock()
        return super().search(*args, **kwargs)

    def pre_create_trial(self):
        super().pre_create_trial()
        spent = self.epochs_spent() >= self.budget_epochs or self.out_of_time()
        if spent and self.oracle.trials:
            self.oracle.max_trials = len(self.oracle.trials)

    def run_trial(self, trial, *args, **kwargs):
        callbacks = list(kwargs.pop("callbacks", None) or [])
        callbacks.append(EpochLog(Path(self.project_dir) / EPOCH_LOG, trial.trial_id))
        if self.budget_seconds is not None:
            callbacks.append(_StopAtBudget(self))
        return super().run_trial(trial, *args, callbacks=callbacks, **kwargs)


_CLASSES = {
    "random": keras_tuner.RandomSearch,
    "grid": keras_tuner.GridSearch,
    "bayesian": keras_tuner.BayesianOptimization,
    "hyperband": keras_tuner.Hyperband,
}


ZERO_SEED = 2**31 - 1  # what seed 0 becomes for an oracle


def oracle_seed(seed: int) -> int:
    """The seed to give a KerasTuner oracle: `seed`, except that 0 becomes `ZERO_SEED`,
    because KerasTuner reads 0 as "no seed" and draws a random one (`seed or randint`)."""
    return int(seed) if seed else ZERO_SEED


def _without_root(text: str) -> str:
    """`text` with the project root's absolute path removed, so that a stored notebook's
    output names paths relative to the project (`build/tuning/...`)."""
    return text.replace(f"{paths.project_root()}{os.sep}", "")


def make_tuner(
    kind: str,
    hypermodel,
    *,
    budget_epochs: int,
    directory: str | Path,
    seed: int,
    overwrite: bool = False,
    max_epochs: int = 6,
    budget_seconds: float | None = None,
    **tuner_kwargs: Any,
) -> keras_tuner.Tuner:
    """A KerasTuner tuner of `kind` (random, grid, bayesian, hyperband) that spends at most
    about `budget_epochs` epochs in total, with its state in `directory/<kind>`.

    Random, grid and Bayesian trials each train `max_epochs` epochs, so they get
    `budget_epochs // max_epochs` trials (Bayesian: a third of them random initial points,
    not KerasTuner's default of 3 per hyperparameter, which would leave no Bayesian step).
    Hyperband gets `max_epochs` and `factor` (default 3) and as many iterations as fit the
    budget (`hyperband_budget`). Grid search walks `grid_space()` unless `hyperparameters`
    is given. Every tuner stops making trials once `budget_epochs` are spent, and, with
    `budget_seconds`, once it has searched that long (for spaces whose models cost very
    different times per epoch: an equal wall-clock budget instead of equal epochs). With
    `overwrite=False` an existing project folder is resumed: completed trials are not rerun.
    Other keyword arguments (`max_trials`, `distribution_strategy`, ...) go to the tuner.
    """
    if kind not in _CLASSES:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}.")
    positive_int(budget_epochs, "budget_epochs")
    positive_int(max_epochs, "max_epochs")
    if budget_seconds is not None and not (
        isinstance(budget_seconds, (int, float)) and budget_seconds > 0
    ):
        raise ValueError(f"budget_seconds must be a positive number, got {budget_seconds!r}.")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    kwargs: dict[str, Any] = {
        "objective": OBJECTIVE,
        "seed": oracle_seed(seed),
        "directory": str(directory),
        "project_name": kind,
        "overwrite": overwrite,
    }
    max_trials = tuner_kwargs.pop("max_trials", None)
    if kind == "hyperband":
        factor = tuner_kwargs.pop("factor", 3)
        per_iteration, _ = hyperband_budget(max_epochs, factor)
        kwargs.update(
            max_epochs=max_epochs,
            factor=factor,
            hyperband_iterations=max(1, budget_epochs // per_iteration),
        )
    else:
        if max_trials is None:
            max_trials = budget_epochs // max_epochs
        if max_trials < 1:
            raise ValueError(
                f"budget_epochs={budget_epochs} is less than one trial of max_epochs="
                f"{max_epochs} epochs; raise budget_epochs or lower max_epochs."
            )
        kwargs["max_trials"] = max_trials
        if kind == "bayesian":
            kwargs["num_initial_points"] = max(2, max_trials // 3)
        if kind == "grid" and "hyperparameters" not in tuner_kwargs:
            kwargs.update(hyperparameters=grid_space(), tune_new_entries=False)
    kwargs.update(tuner_kwargs)
    cls = type(f"Budgeted{_CLASSES[kind].__name__}", (_BudgetMixin, _CLASSES[kind]), {})
    with contextlib.redirect_stdout(io.StringIO()) as said:
        tuner = cls(hypermodel, **kwargs)
    for line in said.getvalue().splitlines():  # "Reloading Tuner from <absolute path>"
        print(_without_root(line))
    if kind == "hyperband" and max_trials is not None:
        tuner.oracle.max_trials = max_trials
    tuner.budget_epochs, tuner.max_epochs, tuner.kind = int(budget_epochs), max_epochs, kind
    tuner.budget_seconds = None if budget_seconds is None else float(budget_seconds)
    return tuner


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class SearchReport:
    """What one tuner did: best validation accuracy, epochs really run, trials, minutes."""

    kind: str
    best_val_accuracy: float
    epochs: int
    trials: int
    failed_trials: int
    minutes: float
    best_hyperparameters: dict[str, Any]

    def row(self) -> dict[str, Any]:
        """The record's entry: best_val_accuracy, epochs, trials, minutes."""
        return {
            "best_val_accuracy": round(self.best_val_accuracy, 4),
            "epochs": self.epochs,
            "trials": self.trials,
            "minutes": round(self.minutes, 2),
        }


def run_search(tuner, data: SearchData, *, verbose: int = 0) -> SearchReport:
    """Run (or resume) `tuner` on `data.x_search` with `data.x_val` as the objective's data.

    Wall time accumulates in the project folder, so a resumed search reports its total.
    """
    tuner.search(
        data.x_search,
        data.y_search,
        validation_data=(data.x_val, data.y_val),
        epochs=tuner.max_epochs,
        verbose=verbose,
    )
    return report(tuner, tuner.save_search_time())


def report(tuner, seconds: float) -> SearchReport:
    """Summarise a finished search (see `SearchReport`)."""
    trials = list(tuner.oracle.trials.values())
    completed = [t for t in trials if t.status == "COMPLETED"]
    failed = [t for t in trials if t.status == "FAILED"]
    if not completed:
        raise RuntimeError(f"{tuner.kind}: no trial completed ({len(failed)} failed).")
    best = tuner.oracle.get_best_trials(1)[0]
    return SearchReport(
        kind=tuner.kind,
        best_val_accuracy=float(best.score),
        epochs=tuner.epochs_spent(),
        trials=len(completed),
        failed_trials=len(failed),
        minutes=seconds / 60,
        best_hyperparameters=public_values(best.hyperparameters),
    )


def top_trials(tuner, n: int = 3) -> Any:
    """The `n` best completed trials: score (validation accuracy) and hyperparameters, one
    row each (a compact `results_summary()` that prints no paths)."""
    import pandas as pd

    positive_int(n, "n")
    rows = {
        f"trial {t.trial_id}": {
            "score": round(float(t.score), 4),
            **public_values(t.hyperparameters),
        }
        for t in tuner.oracle.get_best_trials(n)
    }
    return pd.DataFrame(rows).T


def trial_table(tuner) -> Any:
    """Every trial of a search in the order it was created: status, score (validation
    accuracy), the epochs it really ran (from the epoch log), for Hyperband the trial whose
    checkpoint it continues (`continues`), then its hyperparameters. The prose about a search
    (which trial won, which configurations repeat) is read from this table."""
    import pandas as pd

    ran = Counter(row["trial"] for row in tuner.epoch_log())
    rows = {}
    for trial_id in sorted(tuner.oracle.trials):
        trial = tuner.oracle.trials[trial_id]
        rows[trial_id] = {
            "status": trial.status,
            "score": None if trial.score is None else round(float(trial.score), 4),
            "epochs_run": ran.get(trial_id, 0),
            "continues": trial.hyperparameters.values.get("tuner/trial_id"),
            **public_values(trial.hyperparameters),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    if frame.empty or frame["continues"].isna().all():
        frame = frame.drop(columns="continues", errors="ignore")
    frame.index.name = "trial"
    return frame


def public_values(hp: keras_tuner.HyperParameters) -> dict[str, Any]:
    """The active hyperparameter values, without Hyperband's `tuner/...` bookkeeping."""
    return {k: v for k, v in hp.values.items() if not k.startswith("tuner/")}


def best_so_far(tuner) -> tuple[np.ndarray, np.ndarray]:
    """(cumulative epochs (E,), best validation accuracy seen up to each epoch (E,))."""
    accuracies = np.array([row[OBJECTIVE] for row in tuner.epoch_log()], dtype=float)
    return np.arange(1, len(accuracies) + 1), np.fmax.accumulate(accuracies)


def comparison_table(reports: list[SearchReport]):
    """One row per tuner: best validation accuracy, epochs, trials, failed, minutes."""
    import pandas as pd

    rows = [{"tuner": r.kind, **r.row(), "failed": r.failed_trials} for r in reports]
    return pd.DataFrame(rows).set_index("tuner")


def space_table(searches: dict[str, tuple[Any, SearchReport]]) -> Any:
    """One row per searched space (name -> (tuner, its report)): best validation accuracy,
    epochs, trials (completed and failed), minutes, the median seconds of one epoch, and the
    parameters of the best trial's model (rebuilt from its hyperparameters, not trained)."""
    import pandas as pd

    rows = {}
    for name, (tuner, rep) in searches.items():
        seconds = [row["seconds"] for row in tuner.epoch_log()]
        best = tuner.oracle.get_best_trials(1)[0]
        rows[name] = {
            **rep.row(),
            "failed": rep.failed_trials,
            "epoch_seconds": round(float(np.median(seconds)), 2) if seconds else None,
            "best_params": int(tuner.hypermodel.build(best.hyperparameters).count_params()),
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "space"
    return frame


def parameter_breakdown(model: keras.Model) -> dict[str, int]:
    """The numbers behind `model.summary()`: trainable and non-trainable weights (their sum is
    `count_params()`, the model's size) and the optimizer's state, which the summary's
    "Total params" adds once the model has trained (Adam: two moments per weight, plus its
    step counters)."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    non_trainable = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    optimizer = model.optimizer
    state = sum(int(np.prod(v.shape)) for v in optimizer.variables) if optimizer else 0
    return {
        "trainable": trainable,
        "non_trainable": non_trainable,
        "model": trainable + non_trainable,
        "optimizer": state,
        "summary_total": trainable + non_trainable + state,
    }


# --------------------------------------------------------------------------- final model


def retrain(
    hypermodel: CNNHyperModel,
    values: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    verbose: int = 0,
) -> tuple[keras.Model, keras.callbacks.History]:
    """Build `values` from scratch and train it `epochs` epochs on x (N, 28, 28, 1), y (N, 10).

    The tuned learning rate is the start of a cosine decay over the whole run (a run this
    much longer than a trial would otherwise end at a rate tuned for a few epochs).
    """
    positive_int(epochs, "epochs")
    hp = fixed_hyperparameters(values)
    model = hypermodel.build(hp)
    batch_size = int(values.get("batch_size", 128))
    steps = epochs * math.ceil(len(x) / batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(float(values["learning_rate"]), steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
    return model, history


ANSWER_RECIPE = {"learning_rate": 1e-3, "batch_size": 64}  # Adam, no augmentation, no schedule


def train_with_recipe(
    model: keras.Model,
    splits,
    *,
    epochs: int,
    learning_rate: float = ANSWER_RECIPE["learning_rate"],
    batch_size: int = ANSWER_RECIPE["batch_size"],
    label: str = "",
) -> dict[str, Any]:
    """Train `model` with one recipe and test it once: Adam at a constant `learning_rate`,
    categorical cross-entropy, `batch_size`, `epochs` epochs on `splits.x_train` (one-hot
    labels), `splits.x_val` monitored. The defaults are the written answer's recipe, so that
    two architectures can be compared with everything else equal.

    Prints one line per epoch (prefixed by `label`) and returns test_accuracy, val_accuracy
    (last epoch), epoch_seconds (median), params and the per-epoch `seconds`.
    """
    from dlhw.sequence_models import fit_and_test

    positive_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    if np.ndim(splits.y_train) != 2:
        raise ValueError("splits need one-hot labels (N, 10): use mnist_splits(..., one_hot=True).")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    result = fit_and_test(model, splits, epochs=epochs, batch_size=batch_size, label=label)
    return {
        "test_accuracy": result.test_accuracy,
        "val_accuracy": result.history["val_accuracy"][-1],
        "epoch_seconds": result.seconds_per_epoch,
        "params": result.params,
        "seconds": result.epoch_seconds,
    }


def best_overall(reports: list[SearchReport]) -> SearchReport:
    """The report with the highest best validation accuracy (the first one on a tie)."""
    if not reports:
        raise ValueError("reports must hold at least one SearchReport, got none.")
    return max(reports, key=lambda r: r.best_val_accuracy)


def verdict(reports: list[SearchReport]) -> str:
    """One sentence: which tuner found the best validation accuracy, at what cost, by how much.
    Gaps are differences of the 4-decimal values printed, so that they add up on the page."""
    if not reports:
        raise ValueError("verdict needs at least one SearchReport; got an empty list.")
    ranked = sorted(reports, key=lambda r: r.best_val_accuracy, reverse=True)
    lines = [
        f"{ranked[0].kind} won: best validation accuracy {ranked[0].best_val_accuracy:.4f} "
        f"after {ranked[0].epochs} epochs, {ranked[0].trials} trials, {ranked[0].minutes:.1f} min."
    ]
    for other in ranked[1:]:  # the gap between the printed (rounded) values: one number per fact
        gap = 100 * (round(ranked[0].best_val_accuracy, 4) - round(other.best_val_accuracy, 4))
        lines.append(
            f"  {other.kind}: {other.best_val_accuracy:.4f} ({gap:.2f} points behind), "
            f"{other.epochs} epochs, {other.trials} trials, {other.minutes:.1f} min"
        )
    return "\n".join(lines)


def size_table(models: dict[str, keras.Model]) -> Any:
    """Parameters and per-image MFLOPs of each named model (see `flops_per_image`)."""
    import pandas as pd

    rows = {
        name: {"parameters": m.count_params(), "MFLOPs per image": flops_per_image(m) / 1e6}
        for name, m in models.items()
    }
    return pd.DataFrame(rows).T.astype({"parameters": int}).round(2)


def describe_space(space: keras_tuner.HyperParameters) -> Any:
    """A table of a search space (e.g. `CNNHyperModel().space()`): name, type, values or
    range, and the condition under which the hyperparameter exists."""
    import pandas as pd

    rows = []
    for hp in space.space:
        config = hp.get_config()
        if "values" in config:
            values = ", ".join(str(v) for v in config["values"])
        elif "min_value" in config:
            step = config.get("step")
            values = f"{config['min_value']}..{config['max_value']}"
            values += f" step {step}" if step else f" ({config.get('sampling', 'linear')})"
        else:
            values = "True, False" if type(hp).__name__ == "Boolean" else str(config)
        conditions = "; ".join(
            f"{c.get_config()['name']} in {c.get_config()['values']}" for c in hp.conditions
        )
        rows.append(
            {"name": hp.name, "type": type(hp).__name__, "values": values, "if": conditions}
        )
    return pd.DataFrame(rows).set_index("name")


# --------------------------------------------------------------------------- scikit-learn


def sklearn_hypermodel(hp: keras_tuner.HyperParameters):
    """PCA features of flattened images x (N, 784) -> logistic regression or random forest.

    `pca_components` is shared; `C` exists only for the logistic regression, `n_trees` and
    `max_depth` only for the forest (conditional hyperparameters).
    """
    from sklearn.decomposition import PCA
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    components = hp.Choice("pca_components", [20, 40, 80], default=40)
    kind = hp.Choice("model", ["logistic", "random_forest"])
    if kind == "logistic":
        with hp.conditional_scope("model", ["logistic"]):
            c = hp.Float("C", 1e-3, 10.0, sampling="log", default=1.0)
        classifier = LogisticRegression(C=c, max_iter=300)
    else:
        with hp.conditional_scope("model", ["random_forest"]):
            trees = hp.Int("n_trees", 25, 100, step=25)
            depth = hp.Int("max_depth", 8, 24, step=8)
        classifier = RandomForestClassifier(trees, max_depth=depth, random_state=0, n_jobs=1)
    return make_pipeline(PCA(components, random_state=0), classifier)


def make_sklearn_tuner(
    *, max_trials: int, directory: str | Path, seed: int, overwrite: bool = False, folds: int = 3
):
    """A `SklearnTuner` with a Bayesian oracle over `sklearn_hypermodel`, scored by accuracy
    with stratified `folds`-fold cross-validation; state in `directory/sklearn`."""
    from sklearn.model_selection import StratifiedKFold

    positive_int(max_trials, "max_trials")
    if not isinstance(folds, int) or folds < 2:
        raise ValueError(f"folds must be an integer >= 2, got {folds!r}.")
    oracle = keras_tuner.oracles.BayesianOptimizationOracle(
        objective=keras_tuner.Objective("score", "max"),
        max_trials=max_trials,
        num_initial_points=max(2, max_trials // 3),
        seed=oracle_seed(seed),
    )
    oracle.verbose = 0  # no per-trial printout
    return keras_tuner.SklearnTuner(
        oracle=oracle,
        hypermodel=sklearn_hypermodel,
        cv=StratifiedKFold(folds, shuffle=True, random_state=seed),
        directory=str(directory),
        project_name="sklearn",
        overwrite=overwrite,
    )


def flat_labels(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28, 1) and one-hot labels (N, 10) -> x (N, 784), integer labels (N,)."""
    return x.reshape(len(x), -1), np.asarray(y).argmax(axis=1)


def run_sklearn_search(tuner, data: SearchData) -> dict[str, Any]:
    """Search on the flattened search images, then refit the best pipeline on all of them and
    score it on the validation split. Returns values, cv_accuracy, val_accuracy, minutes."""
    start = time.perf_counter()
    x, y = flat_labels(data.x_search, data.y_search)
    tuner.search(x, y)
    best = tuner.oracle.get_best_trials(1)[0]
    model = sklearn_hypermodel(best.hyperparameters).fit(x, y)
    return {
        "values": dict(best.hyperparameters.values),
        "cv_accuracy": float(best.score),
        "val_accuracy": float(model.score(*flat_labels(data.x_val, data.y_val))),
        "minutes": (time.perf_counter() - start) / 60,
    }
