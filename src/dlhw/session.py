"""A notebook's set-up in one call: quiet logs, seeds, and the active profile said out loud.

Every notebook's first code cell is `SEED, profile = session.start("field", ...)`, and every
benchmark script starts with `session.setup()`. Importing
this module sets `TF_CPP_MIN_LOG_LEVEL` (unless already set), so it must come before the first
TensorFlow import: TensorFlow reads it once, when it loads.
"""

from __future__ import annotations

import os
import warnings

from dlhw import profiles, repro

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # only TensorFlow's fatal C++ messages

# Known, understood warnings that would otherwise repeat in the stored outputs; each says why.
QUIET = (
    # Third-party imports (tf-keras-vis' scipy, absl) warn about their own future changes.
    {"category": DeprecationWarning},
    # Keras' advice about Sequential input shapes and layer names, for models built on purpose.
    {"category": UserWarning, "module": "keras"},
    # Q6's layers built by hand, and Q1's and Q4's many traced functions (one per shape or trial).
    {"message": ".*does not have a `build` method.*"},
    {"message": ".*retracing.*"},
    # Q1: Hyperband reloads a promoted trial's weights but not its optimizer (shown in Q1).
    {"message": "Skipping variable loading for optimizer"},
    # Q1: the Bayesian oracle's Gaussian process, fitted on few points, hits a length-scale bound.
    {"message": "The optimal value found for dimension"},
)

CHANGE_HINT = (
    "To change it: run `%env {var}=quick` ({names}) in a cell, then the notebook again from "
    "this cell; or start Jupyter with `{var}=full make lab` (make lab starts on quick)."
)


def describe(profile: profiles.Profile, sizes: tuple[str, ...], seed: int) -> str:
    """Two lines: the seed, the profile and the sizes this notebook reads; how to change it."""
    unknown = [s for s in sizes if s not in profiles.field_names()]
    if unknown:
        raise profiles.ProfileError(
            f"unknown profile field(s) {unknown}; the fields are {profiles.field_names()}."
        )
    source = (
        f"from {profiles.ENV_VAR}"
        if os.environ.get(profiles.ENV_VAR)
        else f"{profiles.ENV_VAR} unset, the default"
    )
    values = ", ".join(
        f"{s}={'all' if getattr(profile, s) is None else getattr(profile, s)}" for s in sizes
    )
    first = f"seed {seed}; profile {profile.name} ({source})" + (f": {values}" if values else "")
    hint = CHANGE_HINT.format(var=profiles.ENV_VAR, names=" | ".join(profiles.PROFILES))
    return f"{first}\n{hint}"


def setup(seed: int = repro.DEFAULT_SEED) -> int:
    """Silence the known warnings and TensorFlow's Python logger, and seed everything.

    What every notebook's first cell (through `start`) and every benchmark script does first;
    returns the seed.
    """
    for rule in QUIET:
        warnings.filterwarnings("ignore", **rule)
    seed = repro.seed_everything(seed)
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # tracing notices, when one function per shape is intended
    return seed


def start(*sizes: str, seed: int = repro.DEFAULT_SEED) -> tuple[int, profiles.Profile]:
    """`setup`, then read the active profile and print it with the sizes this notebook reads.

    `sizes` names the profile fields this notebook uses, so the first output shows them.
    Re-running the cell re-reads `DLHW_PROFILE`, so `%env DLHW_PROFILE=quick` takes effect.
    """
    seed = setup(seed)
    profile = profiles.current()
    print(describe(profile, sizes, seed))
    return seed, profile
