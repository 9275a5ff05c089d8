"""Q1's scikit-learn baseline: KerasTuner's `SklearnTuner` over PCA features and two model
families (logistic regression, random forest), scored by cross-validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras_tuner
import numpy as np

from dlhw.checks import positive_int
from dlhw.timing import seconds
from dlhw.tuning.data import SearchData
from dlhw.tuning.settings import TuningError
from dlhw.tuning.tuners import oracle_seed


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
        raise TuningError(f"folds must be an integer >= 2, got {folds!r}.")
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
    score it on the validation split. Returns values, cv_accuracy, val_accuracy, minutes (of
    the whole: search, refit and score)."""
    found: dict[str, Any] = {}
    took = seconds(lambda: found.update(_search_and_refit(tuner, data)))
    return {**found, "minutes": took / 60}


def _search_and_refit(tuner, data: SearchData) -> dict[str, Any]:
    x, y = flat_labels(data.x_search, data.y_search)
    tuner.search(x, y)
    best = tuner.oracle.get_best_trials(1)[0]
    model = sklearn_hypermodel(best.hyperparameters).fit(x, y)
    return {
        "values": dict(best.hyperparameters.values),
        "cv_accuracy": float(best.score),
        "val_accuracy": float(model.score(*flat_labels(data.x_val, data.y_val))),
    }
