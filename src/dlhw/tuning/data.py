"""Q1's data: MNIST split for the search (a training subset, validation held out from train)
and the folder where a profile's searches keep their state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlhw import data as dlhw_data, paths


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


#: The profile sizes a search's stored trials depend on (what `search_data` and the notebook's
#: tuners read): stored trials made with other sizes cannot be resumed.
SEARCH_SIZES = (
    *("mnist_train", "mnist_test", "val_fraction"),
    *("tuner_trials", "tuner_budget_epochs", "tuner_max_epochs", "tuner_train"),
)
SIZES_FILE = "sizes.json"


def tuning_dir(profile=None) -> Path:
    """`build/tuning/<profile>`: git-ignored, one folder per profile, never mixed. Trials
    stored there with other sizes (`SIZES_FILE` differs or is missing: a package update
    changed the profile) are removed, with one printed line, so that a resumed search never
    mixes two budgets; the folder then records the current sizes."""
    import json
    import os
    import shutil

    from dlhw import profiles

    profile = profiles.current() if profile is None else profile
    folder = paths.build_dir() / "tuning" / profile.name
    sizes = {name: getattr(profile, name) for name in SEARCH_SIZES}
    record = folder / SIZES_FILE
    stored = json.loads(record.read_text()) if record.is_file() else None
    if stored != sizes and folder.is_dir() and any(folder.iterdir()):
        changed = ", ".join(
            f"{k} {(stored or {}).get(k, '?')} -> {v}"
            for k, v in sizes.items()
            if (stored or {}).get(k) != v
        )
        print(
            f"{paths.relative(folder)}: stored searches made with other sizes "
            f"({changed}); removed, every search starts afresh"
        )
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if stored != sizes:  # written once, whole (another process may be reading it)
        partial = folder / f".{SIZES_FILE}.{os.getpid()}"
        partial.write_text(json.dumps(sizes, indent=1) + "\n")
        os.replace(partial, record)
    return folder
