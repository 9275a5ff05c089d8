"""Seeding and determinism: two runs of one profile on one machine give the same numbers."""

from __future__ import annotations

import os
import random

import numpy as np

from dlhw.checks import non_negative_int

DEFAULT_SEED = 42


def seed_everything(seed: int = DEFAULT_SEED, *, deterministic_ops: bool = True) -> int:
    """Seed Python, NumPy, Keras (and through it TensorFlow); make TensorFlow ops deterministic.

    Returns the seed, so that a notebook can print what it used.
    """
    seed = non_negative_int(seed, "seed")
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses started from here
    random.seed(seed)
    np.random.seed(seed)
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    if deterministic_ops:
        tf.config.experimental.enable_op_determinism()
    return seed
