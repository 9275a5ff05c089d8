"""Fixtures shared by the unit tests: every test starts from the same process state, whatever
ran before it, so that the suite passes in any order (checked with pytest-randomly)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest


def _set_op_determinism(enabled: bool) -> None:
    """Switch TensorFlow's op determinism; turning it off needs TensorFlow's own (unexported)
    counterpart of `tf.config.experimental.enable_op_determinism`. Test-only."""
    if "tensorflow" not in sys.modules and not enabled:
        return  # never imported: nothing was switched on
    from tensorflow.python.framework import config

    if config.is_op_determinism_enabled() != enabled:
        (config.enable_op_determinism if enabled else config.disable_op_determinism)()


@pytest.fixture(autouse=True)
def _same_start_for_every_test() -> Iterator[None]:
    """Restore os.environ after each test (seeding sets PYTHONHASHSEED; the CLI's tests set
    the profile) and switch op determinism off again, so no test inherits another's; no test
    inherits the caller's build or record folder either."""
    saved = dict(os.environ)
    # CI sets these for the notebooks of a second Python; a unit test chooses its own folders.
    for name in ("DLHW_BUILD_DIR", "DLHW_RECORD_DIR"):
        os.environ.pop(name, None)
    yield
    os.environ.clear()
    os.environ.update(saved)
    _set_op_determinism(False)


@pytest.fixture
def deterministic() -> Iterator[None]:
    """TensorFlow ops deterministic for this test: the tests that compare trainings bit for
    bit ask for it explicitly instead of relying on an earlier test's seeding."""
    _set_op_determinism(True)
    yield


@pytest.fixture(scope="module")
def tiny():
    """Q6's tests: 64 training and 32 validation 'images' of 4x4x1 whose label is the
    brightest quadrant."""
    import numpy as np

    from dlhw.data import MnistSplits

    rng = np.random.default_rng(0)
    x = rng.random((96, 4, 4, 1)).astype("float32")
    quadrants = np.stack(
        [x[:, :2, :2].sum((1, 2, 3)), x[:, :2, 2:].sum((1, 2, 3)), x[:, 2:].sum((1, 2, 3))], 1
    )
    y = quadrants.argmax(1).astype("int64")
    return MnistSplits(x[:64], y[:64], x[64:], y[64:], x[64:], y[64:])
