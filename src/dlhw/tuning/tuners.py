"""Q1's tuners: RandomSearch, GridSearch, BayesianOptimization or Hyperband (`make_tuner`) that
log every epoch they really run (`epochs.jsonl` in the project folder) and stop creating trials
once an epoch budget (or a wall-clock budget) is spent; an existing project folder is resumed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import keras_tuner

from dlhw import files, paths
from dlhw.checks import non_negative_int, positive_int
from dlhw.timing import EpochTimer
from dlhw.tuning.hyperband import hyperband_budget
from dlhw.tuning.settings import KINDS, TuningError
from dlhw.tuning.spaces import OBJECTIVE, grid_space

EPOCH_LOG = "epochs.jsonl"
SEARCH_TIME = "search_time.json"
ZERO_SEED = 2**31 - 1  # what seed 0 becomes for an oracle
_CLASSES = {
    "random": keras_tuner.RandomSearch,
    "grid": keras_tuner.GridSearch,
    "bayesian": keras_tuner.BayesianOptimization,
    "hyperband": keras_tuner.Hyperband,
}


class EpochLog(EpochTimer):
    """Append one JSON line per finished epoch: trial id, validation accuracy, seconds."""

    def __init__(self, path: str | Path, trial_id: str):
        super().__init__()
        self.path, self.trial_id = str(path), trial_id

    def epoch_done(self, epoch: int, logs: dict, seconds: float) -> None:
        row = {
            "trial": self.trial_id,
            "epoch": int(epoch),
            OBJECTIVE: float(logs.get(OBJECTIVE, float("nan"))),
            "seconds": round(seconds, 3),
        }
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")


class _StopAtBudget(keras.callbacks.Callback):
    """Ends a trial after the epoch in which its search ran out of wall-clock budget."""

    def __init__(self, tuner: BudgetMixin):
        super().__init__()
        self.tuner = tuner

    def on_epoch_end(self, epoch, logs=None):
        if self.tuner.out_of_time():
            self.model.stop_training = True


class BudgetMixin:
    """Logs the epochs each trial runs and stops creating trials once `budget_epochs` are spent,
    or, with `budget_seconds`, once the search has run that long (`cap_trials`: it caps
    `oracle.max_trials` at the trials already made; a trial running when the time is up ends
    after its current epoch). Trials run `trial_epochs` (`max_epochs`) epochs; `clock`
    (seconds) is injectable so that tests need not sleep.

    The cap runs in KerasTuner's `pre_create_trial` hook where the real oracle is: in a local
    search here; in a distributed one on the chief, which calls the hook before every trial it
    makes (`distributed.chief.serve(before_create=...)`), while a worker, whose oracle is only
    a proxy of the chief's, skips it.
    """

    def __init__(
        self,
        *args,
        kind: str,
        budget_epochs: int,
        trial_epochs: int,
        budget_seconds: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
        **kwargs,
    ):
        self.kind, self.budget_epochs, self.max_epochs = kind, int(budget_epochs), trial_epochs
        self.budget_seconds = None if budget_seconds is None else float(budget_seconds)
        self.clock = clock
        self._started: float | None = None
        super().__init__(*args, **kwargs)

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

    def cap_trials(self) -> None:
        """Once the budget is spent, let the oracle make no trial beyond those it has."""
        spent = self.epochs_spent() >= self.budget_epochs or self.out_of_time()
        if spent and self.oracle.trials:
            self.oracle.max_trials = len(self.oracle.trials)

    def search(self, *args, **kwargs):
        self._started = self.clock()
        return super().search(*args, **kwargs)

    def pre_create_trial(self):
        super().pre_create_trial()
        if isinstance(self.oracle, keras_tuner.Oracle):  # not a worker's proxy of the chief's
            self.cap_trials()

    def run_trial(self, trial, *args, **kwargs):
        callbacks = list(kwargs.pop("callbacks", None) or [])
        callbacks.append(EpochLog(Path(self.project_dir) / EPOCH_LOG, trial.trial_id))
        if self.budget_seconds is not None:
            callbacks.append(_StopAtBudget(self))
        return super().run_trial(trial, *args, callbacks=callbacks, **kwargs)


def oracle_seed(seed: int) -> int:
    """The seed to give a KerasTuner oracle: `seed`, except that 0 becomes `ZERO_SEED`,
    because KerasTuner reads 0 as "no seed" and draws a random one (`seed or randint`)."""
    return int(seed) if seed else ZERO_SEED


def _without_root(text: str) -> str:
    """`text` with the project root's absolute path removed, so that a stored notebook's
    output names paths relative to the project (`build/tuning/...`)."""
    return text.replace(f"{paths.project_root()}{os.sep}", "")


def _check(kind, budget_epochs: int, max_epochs: int, budget_seconds, seed) -> None:
    if kind not in _CLASSES:
        raise TuningError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}.")
    positive_int(budget_epochs, "budget_epochs", TuningError)
    positive_int(max_epochs, "max_epochs", TuningError)
    if budget_seconds is not None and not (
        isinstance(budget_seconds, (int, float)) and budget_seconds > 0
    ):
        raise TuningError(f"budget_seconds must be a positive number, got {budget_seconds!r}.")
    non_negative_int(seed, "seed", TuningError)


def _oracle_arguments(kind: str, budget_epochs: int, max_epochs: int, tuner_kwargs) -> dict:
    """The tuner's trial arguments for the budget (pops `max_trials`, `factor` from
    `tuner_kwargs`); `max_trials` is the one to set on a Hyperband oracle afterwards."""
    max_trials = tuner_kwargs.pop("max_trials", None)
    if kind == "hyperband":
        factor = tuner_kwargs.pop("factor", 3)
        per_iteration, _ = hyperband_budget(max_epochs, factor)
        iterations = max(1, budget_epochs // per_iteration)
        return {"max_epochs": max_epochs, "factor": factor, "hyperband_iterations": iterations}
    if max_trials is None:
        max_trials = budget_epochs // max_epochs
    if max_trials < 1:
        raise TuningError(
            f"budget_epochs={budget_epochs} is less than one trial of max_epochs="
            f"{max_epochs} epochs; raise `budget_epochs` or lower `max_epochs`."
        )
    kwargs: dict[str, Any] = {"max_trials": max_trials}
    if kind == "bayesian":
        kwargs["num_initial_points"] = max(2, max_trials // 3)
    if kind == "grid" and "hyperparameters" not in tuner_kwargs:
        kwargs.update(hyperparameters=grid_space(), tune_new_entries=False)
    return kwargs


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
    clock: Callable[[], float] = time.perf_counter,
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
    `budget_seconds`, once it has searched that long by `clock` (for spaces whose models cost
    very different times per epoch: an equal wall-clock budget instead of equal epochs). With
    `overwrite=False` an existing project folder is resumed: completed trials are not rerun.
    Other keyword arguments (`max_trials`, `distribution_strategy`, ...) go to the tuner.
    """
    _check(kind, budget_epochs, max_epochs, budget_seconds, seed)
    max_trials = tuner_kwargs.get("max_trials")
    kwargs: dict[str, Any] = {
        "objective": OBJECTIVE,
        "seed": oracle_seed(seed),
        "directory": str(directory),
        "project_name": kind,
        "overwrite": overwrite,
        **_oracle_arguments(kind, budget_epochs, max_epochs, tuner_kwargs),
        **tuner_kwargs,
    }
    budget = {"kind": kind, "budget_epochs": budget_epochs, "trial_epochs": max_epochs}
    cls = type(f"Budgeted{_CLASSES[kind].__name__}", (BudgetMixin, _CLASSES[kind]), {})
    with contextlib.redirect_stdout(io.StringIO()) as said:
        tuner = cls(hypermodel, budget_seconds=budget_seconds, clock=clock, **budget, **kwargs)
    for line in said.getvalue().splitlines():  # "Reloading Tuner from <absolute path>"
        print(_without_root(line))
    if kind == "hyperband" and max_trials is not None:
        tuner.oracle.max_trials = max_trials
    return tuner
