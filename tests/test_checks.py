"""dlhw.checks: the shared integer validation."""

import numpy as np
import pytest

from dlhw.checks import non_negative_int, positive_int


def test_accepts_python_and_numpy_integers():
    assert positive_int(3, "n") == 3
    assert positive_int(np.int64(2), "n") == 2 and type(positive_int(np.int64(2), "n")) is int


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True, None])
def test_rejects_with_the_argument_name(bad):
    with pytest.raises(ValueError, match=f"epochs must be a positive integer, got {bad!r}"):
        positive_int(bad, "epochs")


def test_custom_error_class():
    class MyError(ValueError):
        pass

    with pytest.raises(MyError):
        positive_int(0, "n", MyError)


def test_non_negative_accepts_zero_and_rejects_with_the_argument_name():
    assert non_negative_int(0, "seed") == 0 and type(non_negative_int(np.int32(4), "s")) is int
    for bad in (-1, 1.0, True, None):
        with pytest.raises(ValueError, match=f"seed must be a non-negative integer, got {bad!r}"):
            non_negative_int(bad, "seed")
