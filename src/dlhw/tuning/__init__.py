"""Q1: KerasTuner on MNIST, as a package; `from dlhw import tuning; tuning.X` reaches every
public name below.

- `spaces`: the written answer's search space (repaired) and ours (`CNNHyperModel`).
- `data`: the search's MNIST splits (`search_data`) and state folder (`tuning_dir`).
- `tuners`: `make_tuner(kind, ...)`, tuners with an epoch (or wall-clock) budget.
- `hyperband`: Hyperband's epoch schedule and the formulas beside it.
- `reports`: `run_search`, `SearchReport`, the tables, the verdict, model sizes.
- `ablation`: the answer's space counted; head against rate; Dropout and pooling against
  memorisation.
- `training`: the final model (`retrain`) and our one recipe for any model (`train_with_recipe`).
- `sklearn_search`: KerasTuner's `SklearnTuner` over two scikit-learn model families.
- `settings`, `api`: `TuneSettings` and `tune(settings)`, what `dlhw tune` runs.
- `distributed`: the fault-tolerant chief/worker search; KerasTuner's private modules only
  through `_keras_tuner`.

Names load on first use (PEP 562), so the command line can read `TuneSettings` and `KINDS`
without importing Keras.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "ablation": (
        "VARIANTS",
        "WRITTEN_SPACE",
        "answer_space_counts",
        "conv_stack_side",
        "head_rate_grid",
        "head_rate_metrics",
        "memorisation",
        "memorisation_table",
        "shuffled_labels",
        "variant_builder",
    ),
    "api": ("Tuned", "tune"),
    "data": ("SearchData", "search_data", "tuning_dir"),
    "hyperband": ("hyperband_budget", "hyperband_estimates"),
    "reports": (
        "SearchReport",
        "best_overall",
        "best_so_far",
        "comparison_table",
        "describe_space",
        "error_pairs",
        "flops_per_image",
        "parameter_breakdown",
        "public_values",
        "report",
        "run_search",
        "size_table",
        "space_table",
        "top_trials",
        "trial_table",
        "verdict",
    ),
    "settings": ("KINDS", "STRATEGIES", "TuneSettings", "TuningError"),
    "sklearn_search": (
        "flat_labels",
        "make_sklearn_tuner",
        "run_sklearn_search",
        "sklearn_hypermodel",
    ),
    "spaces": (
        "ANSWER_BEST",
        "ANSWER_BEST_PARAMS",
        "CNNHyperModel",
        "INPUT_SHAPE",
        "MAX_PARAMS",
        "NUM_CLASSES",
        "OBJECTIVE",
        "fixed_hyperparameters",
        "grid_space",
        "seed_answer_hypermodel",
    ),
    "training": ("ONE_RECIPE", "retrain", "train_with_recipe"),
    "tuners": (
        "EPOCH_LOG",
        "SEARCH_TIME",
        "ZERO_SEED",
        "BudgetMixin",
        "EpochLog",
        "make_tuner",
        "oracle_seed",
    ),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME)


_SUBMODULES = (*_HOMES, "distributed")


def __getattr__(name: str):
    if name in _SUBMODULES:  # `tuning.spaces`, `tuning.distributed`, ...
        return importlib.import_module(f"{__name__}.{name}")
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
