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


# ------------------------------------------------------------------ tests that kill mutants
# Each test below guards a behaviour that `make mutate` (mutmut) found unguarded.


def test_float32_input_is_accepted():
    """Any floating dtype is perturbed in place, not only float64."""
    x = np.array([1.0, -2.0], dtype=np.float32)
    grad = numerical_gradient(lambda v: float(np.sum(v.astype(np.float64) ** 2)), x, h=1e-2)
    np.testing.assert_allclose(grad, 2 * x, rtol=1e-3)


@pytest.mark.parametrize(("order", "calls_per_entry"), [(2, 2), (4, 4)])
def test_each_entry_costs_order_evaluations(order, calls_per_entry):
    """order=2 evaluates f at x +- h only (two calls per entry), order=4 also at x +- 2h."""
    calls = []

    def f(v):
        calls.append(1)
        return float(np.sum(v**2))

    numerical_gradient(f, np.ones(3), order=order)
    assert len(calls) == 3 * calls_per_entry


def test_differences_are_taken_in_float64_even_for_float32_outputs():
    """f's values are converted to float64 before the difference quotient, so a float32
    result is not rounded back to float32."""
    x = np.array([0.1])
    h = 1e-3

    def f(v):
        return np.float32(7.3 * v[0] ** 2)

    expected = (np.float64(f(x + h)) - np.float64(f(x - h))) / (2 * h)
    assert numerical_gradient(f, x, h=h)[0] == expected
    in_float32 = (np.array(f(x + h)) - np.array(f(x - h))) / (2 * h)
    assert in_float32.dtype == np.float32 and in_float32 != expected  # it would be visible


def test_values_are_copied_when_f_reuses_its_output_buffer():
    """An f that writes into the same output array every call still gets its slope: each
    value is copied before the next evaluation overwrites it."""
    buffer = np.zeros(2)

    def f(v):
        buffer[:] = 3 * v
        return buffer

    x = np.array([1.0, 2.0])
    grad = numerical_gradient_array(f, x, np.ones(2))
    np.testing.assert_allclose(grad, [3.0, 3.0])


def test_array_gradient_default_step_is_small():
    """The default h (1e-5) makes a cubic's centred difference accurate to ~1e-10."""
    x = np.array([0.5, -1.5, 2.0])
    dout = np.array([1.0, -2.0, 0.5])
    grad = numerical_gradient_array(lambda v: v**3, x, dout)
    assert rel_error(grad, 3 * x**2 * dout) < 1e-8


def test_array_gradient_uses_the_requested_stencil():
    """For v**3 the two-point stencil is off by exactly h**2; the five-point one is exact."""
    x = np.array([0.5, -1.5])
    dout = np.ones(2)
    second = numerical_gradient_array(lambda v: v**3, x.copy(), dout, h=0.1)
    fourth = numerical_gradient_array(lambda v: v**3, x.copy(), dout, h=0.1, order=4)
    np.testing.assert_allclose(second, 3 * x**2 + 0.01, rtol=1e-10)
    np.testing.assert_allclose(fourth, 3 * x**2, rtol=1e-10)


def test_rel_error_of_empty_arrays_is_zero():
    """Two empty gradients agree: 0.0, not NaN or an error."""
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
