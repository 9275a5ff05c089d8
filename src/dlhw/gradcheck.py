"""Numerical gradients by centred differences, and the relative error used to compare gradients.

cs231n's recipe: perturb one entry at a time by +-h (`order=2`, truncation error O(h^2)) and
compare with `rel_error`, in float64. `order=4` uses the five-point centred stencil
(8 [f(x+h) - f(x-h)] - [f(x+2h) - f(x-2h)]) / 12h, truncation error O(h^4): it allows a larger
h (1e-3), hence less round-off, which matters for entries of the gradient close to zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

ORDERS = (2, 4)


def _check(x: np.ndarray, h: float, order: int) -> float:
    h = float(h)
    if not h > 0:
        raise ValueError(f"h must be a positive step size, got {h}.")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}.")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError("x must be a floating-point NumPy array (it is perturbed in place).")
    return h


def _derivative(g: Callable[[], np.ndarray], x: np.ndarray, index, h: float, order: int):
    """Centred difference of g (which reads x) along x[index]; x is restored afterwards."""
    old = x[index]
    steps = (1, -1) if order == 2 else (1, -1, 2, -2)
    values = []
    for k in steps:
        x[index] = old + k * h
        values.append(np.array(g(), dtype=np.float64, copy=True))
    x[index] = old
    if order == 2:
        return (values[0] - values[1]) / (2 * h)
    return (8 * (values[0] - values[1]) - (values[2] - values[3])) / (12 * h)


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5, *, order: int = 2
) -> np.ndarray:
    """Centred-difference gradient of a scalar function f at x (any shape); returns x's shape.

    x is perturbed in place and restored, so f sees the same array object every time.
    """
    h = _check(x, h, order)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        grad[index] = float(_derivative(lambda: f(x), x, index, h, order))
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    dout: np.ndarray,
    h: float = 1e-5,
    *,
    order: int = 2,
) -> np.ndarray:
    """Centred-difference gradient of sum(f(x) * dout) at x, for an array-valued f.

    dout has f(x)'s shape (the upstream gradient); the result has x's shape.
    """
    h = _check(x, h, order)
    dout = np.asarray(dout)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        slope = _derivative(lambda: f(x), x, index, h, order)
        if slope.shape != dout.shape:
            raise ValueError(f"dout has shape {dout.shape} but f(x) has shape {slope.shape}.")
        grad[index] = np.sum(slope * dout)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Largest elementwise relative error max(|a - b| / max(1e-8, |a| + |b|)) (cs231n's)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}.")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
