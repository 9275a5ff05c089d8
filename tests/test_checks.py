"""dlhw.checks: the shared positive-integer validation."""

import numpy as np
import pytest

from dlhw.checks import positive_int


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
