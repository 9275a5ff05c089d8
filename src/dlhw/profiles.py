"""Run sizes: `smoke` (seconds, CI), `quick` (minutes, a laptop) and `full` (reported numbers).

The active profile comes from the `DLHW_PROFILE` environment variable (default `full`, so
that running a notebook top to bottom reproduces its stored outputs). Notebooks only read
sizes from the profile; they never branch on its name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

from dlhw.errors import DlhwError

ENV_VAR = "DLHW_PROFILE"
DEFAULT = "full"


@dataclass(frozen=True)
class Profile:
    """Sizes for one profile. `None` for a subset means "all of it"."""

    name: str
    mnist_train: int | None  # MNIST training images used (validation is split from these)
    mnist_test: int | None  # MNIST test images evaluated
    val_fraction: float  # share of the training images held out for validation
    cnn_epochs: int  # Q7: the answer's CNN (15 in the answer)
    rnn_epochs: int  # Q2: LSTM / GRU on sequential MNIST
    cells_train: int  # Q2: training images of the SimpleRNN / LSTM / GRU comparison (a subset)
    compare_epochs: int  # Q4: each of the matched CNN / RNN models
    bn_epochs: int  # Q6 (a): with and without batch normalisation
    bn_sweep_examples: int  # Q6 (d): training examples seen per batch size
    lstm_epochs: int  # Q3: the LSTM regressions
    walk_forward_folds: int  # Q3: TimeSeriesSplit folds
    tuner_trials: int  # Q1: trials per tuner
    tuner_budget_epochs: int  # Q1: epochs each tuner may spend in total
    tuner_max_epochs: int  # Q1: epochs of one trial (Hyperband's max_epochs)
    tuner_train: int | None  # Q1: training images each trial trains on (final model: all)
    final_epochs: int  # Q1: retraining the best model
    answer_epochs: int  # Q1: the answer's model and ours trained with one recipe
    answer_train: int | None  # Q1: training images of that one-recipe training (None: all)
    shuffled_images: int  # Q1: training images given shuffled labels (what a model memorises)
    shuffled_epochs: int  # Q1: epochs of that shuffled-label training
    timing_repeats: int  # repeats of every timing measurement (the median is reported)
    repeat_seeds: int  # seeds of each model in a comparison repeated over seeds (Q4's pair)
    max_sequence_length: int  # Q4: longest sequence in the latency sweep
    gradcam_images: int | None  # Q7: test images in the Grad-CAM speed and faithfulness checks

    def subset(self, n_available: int, attribute: str) -> int:
        """Return how many of `n_available` items the size `attribute` allows."""
        value = getattr(self, attribute)
        return n_available if value is None else min(int(value), n_available)


class ProfileError(DlhwError, ValueError):
    """An unknown profile name."""


FULL = Profile(
    name="full",
    mnist_train=None,
    mnist_test=None,
    val_fraction=0.1,
    cnn_epochs=15,
    rnn_epochs=10,
    cells_train=12000,
    compare_epochs=5,
    bn_epochs=12,
    bn_sweep_examples=20000,
    lstm_epochs=40,
    walk_forward_folds=5,
    tuner_trials=8,
    tuner_budget_epochs=36,
    tuner_max_epochs=6,
    tuner_train=12000,
    final_epochs=15,
    answer_epochs=3,
    answer_train=None,
    shuffled_images=1000,
    shuffled_epochs=20,
    timing_repeats=5,
    repeat_seeds=3,
    max_sequence_length=1024,
    gradcam_images=None,
)
# The smaller profiles are `full` with these sizes replaced: field -> (quick, smoke), one line
# per group of sizes that move together (a table laid out by hand, hence `fmt: off`).
# fmt: off
SMALLER = {
    # the MNIST subsets every question reads
    "mnist_train": (6000, 1024), "mnist_test": (2000, 256), "val_fraction": (0.1, 0.2),
    # epochs of Q7's CNN, Q2's RNNs, Q4's five models, Q6's MLPs, Q3's LSTMs
    "cnn_epochs": (2, 1), "rnn_epochs": (2, 1), "compare_epochs": (1, 1),
    "bn_epochs": (1, 1), "lstm_epochs": (1, 1),
    # Q1's searches and trainings
    "tuner_trials": (2, 2), "tuner_budget_epochs": (2, 2), "tuner_max_epochs": (1, 1),
    "tuner_train": (1000, None), "final_epochs": (1, 1), "answer_epochs": (1, 1),
    "answer_train": (500, None), "shuffled_images": (200, 64), "shuffled_epochs": (3, 1),
    # Q2's three cells side by side, on a subset of the training images
    "cells_train": (600, 256),
    # the other questions' experiment sizes
    "bn_sweep_examples": (256, 256), "walk_forward_folds": (4, 4),
    "max_sequence_length": (256, 64), "gradcam_images": (500, 64),
    # repeats of every timing (the median is reported), seeds of a repeated comparison
    "timing_repeats": (3, 1), "repeat_seeds": (2, 2),
}
# fmt: on
QUICK = replace(FULL, name="quick", **{field: sizes[0] for field, sizes in SMALLER.items()})
SMOKE = replace(FULL, name="smoke", **{field: sizes[1] for field, sizes in SMALLER.items()})
PROFILES: dict[str, Profile] = {p.name: p for p in (SMOKE, QUICK, FULL)}


def get(name: str) -> Profile:
    """Return the profile called `name`, or raise a ProfileError listing the valid names."""
    key = str(name).strip().lower()
    if key not in PROFILES:
        valid = ", ".join(PROFILES)
        raise ProfileError(
            f"Unknown profile {name!r}: {ENV_VAR} (or --profile) must be one of {valid}."
        )
    return PROFILES[key]


def current() -> Profile:
    """Return the profile named by `DLHW_PROFILE` (default `full`)."""
    return get(os.environ.get(ENV_VAR) or DEFAULT)


def field_names() -> list[str]:
    """The size fields every profile defines (for documentation and tests)."""
    return [f.name for f in fields(Profile)]
