"""dlhw.gradcheck: centred-difference gradients and the relative error."""

import numpy as np
import pytest

from dlhw.gradcheck import numerical_gradient, numerical_gradient_array, rel_error


@pytest.mark.parametrize("order", [2, 4])
def test_scalar_gradient_of_a_cubic(order):
    x = np.random.default_rng(0).standard_normal((3, 2))
    grad = numerical_gradient(lambda v: np.sum(v**3), x, order=order)
    assert rel_error(grad, 3 * x**2) < 1e-8


def test_array_gradient_of_a_linear_map():
    rng = np.random.default_rng(1)
    w, x, dout = (
        rng.standard_normal((4, 3)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((2, 3)),
    )
    grad = numerical_gradient_array(lambda v: v @ w, x, dout)
    assert rel_error(grad, dout @ w.T) < 1e-9


def test_fourth_order_beats_second_order_at_a_large_step():
    x = np.array([0.3, 1.1, -0.7])
    exact = np.cos(x)
    second = rel_error(numerical_gradient(lambda v: np.sum(np.sin(v)), x.copy(), h=1e-2), exact)
    fourth = rel_error(
        numerical_gradient(lambda v: np.sum(np.sin(v)), x.copy(), h=1e-2, order=4), exact
    )
    assert fourth < second / 100


def test_input_is_restored():
    x = np.arange(6.0).reshape(2, 3)
    before = x.copy()
    numerical_gradient(lambda v: np.sum(v**2), x, order=4)
    np.testing.assert_array_equal(x, before)


def test_rel_error_values():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 1.0]) == pytest.approx(1 / 3)
    assert rel_error([0.0], [1e-10]) == pytest.approx(1e-2)  # the 1e-8 floor


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: rel_error(np.ones(2), np.ones(3)), "same shape"),
        (lambda: numerical_gradient(np.sum, np.ones(2), h=0), "h must be a positive"),
        (lambda: numerical_gradient(np.sum, np.ones(2), order=3), r"order must be one of \(2, 4\)"),
        (lambda: numerical_gradient(np.sum, np.ones(2, dtype=int)), "floating-point"),
        (lambda: numerical_gradient_array(lambda v: v, np.ones(2), np.ones(3)), "dout has shape"),
    ],
)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()
