"""Backpropagation through an LSTM by hand, in NumPy: the step and the sequence, checked
against centred differences and against tf.GradientTape through a Keras LSTM with the same
weights (Q2). The forward pass is `dlhw.recurrent.lstm_step`'s, in Keras's gate order
(i, f, c, o).
"""

from __future__ import annotations

import numpy as np

from dlhw.errors import DlhwError
from dlhw.recurrent import lstm_step


class LstmGradError(DlhwError, ValueError):
    """An upstream gradient whose shape does not match the LSTM's states."""


def lstm_forward(x, h0, c0, W, U, b):
    """LSTM forward pass that keeps what backpropagation needs.

    x: (N, T, D), h0 and c0: (N, H), W: (D, 4H), U: (H, 4H), b: (4H,).
    Returns (hs, cs, cache): hs and cs (N, T, H); cache for `lstm_backward`.
    """
    hs, cs, gates = [], [], []
    h, c = h0, c0
    for t in range(x.shape[1]):
        h, c, values = lstm_step(x[:, t], h, c, W, U, b)
        hs.append(h)
        cs.append(c)
        gates.append(values)
    hs, cs = np.stack(hs, axis=1), np.stack(cs, axis=1)
    return hs, cs, (x, h0, c0, hs, cs, gates, W, U)


def lstm_step_backward(dh, dc, step: dict):
    """Gradients through one step, from dL/dh_t and dL/dc_t (what reaches c_t directly).

    h_t = o·tanh(c_t) gives do = dh·tanh(c_t) and adds dh·o·(1 − tanh²c_t) to dc; then
    c_t = f·c_{t−1} + i·g gives di = dc·g, dg = dc·i, df = dc·c_{t−1} and dc_{t−1} = dc·f
    (the direct path: ∂c_t/∂c_{t−1} = diag(f_t)); each gate's pre-activation gradient is its
    derivative times that (σ' = s(1 − s), tanh' = 1 − g²). Returns (dz (N, 4H), dc_prev).
    """
    i, f, g, o = step["gates"]
    tanh_c = np.tanh(step["c"])
    dc = dc + dh * o * (1.0 - tanh_c**2)
    dz = np.concatenate(
        [
            dc * g * i * (1.0 - i),
            dc * step["c_prev"] * f * (1.0 - f),
            dc * i * (1.0 - g**2),
            dh * tanh_c * o * (1.0 - o),
        ],
        axis=-1,
    )
    return dz, dc * f


def lstm_backward(dhs, cache, dc_last=None) -> dict:
    """Backpropagation through time for `lstm_forward`.

    dhs: (N, T, H), the loss gradient with respect to every hidden state; `dc_last` (N, H)
    the one with respect to the last cell state (zero when None). Walking back from the last
    step, each step's dz = ∂L/∂(x_t W + h_{t−1} U + b) adds x_tᵀdz to dW, h_{t−1}ᵀdz to dU and
    Σdz to db; dz Wᵀ is dx_t, and dz Uᵀ and dc_{t−1} flow on to the step before.
    Returns dict dx (N, T, D), dh0 and dc0 (N, H), dW (D, 4H), dU (H, 4H), db (4H,).
    """
    x, h0, c0, hs, cs, gates, W, U = cache
    if np.shape(dhs) != hs.shape:
        raise LstmGradError(
            f"dhs must have the hidden states' shape {hs.shape}, got {np.shape(dhs)}."
        )
    dx = np.zeros_like(x)
    dW, dU = np.zeros_like(W), np.zeros_like(U)
    db = np.zeros(W.shape[1], dtype=W.dtype)
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0) if dc_last is None else np.asarray(dc_last)
    for t in reversed(range(x.shape[1])):
        h_prev = hs[:, t - 1] if t > 0 else h0
        step = {"gates": gates[t], "c": cs[:, t], "c_prev": cs[:, t - 1] if t > 0 else c0}
        dz, dc_next = lstm_step_backward(dhs[:, t] + dh_next, dc_next, step)
        dx[:, t] = dz @ W.T
        dW += x[:, t].T @ dz
        dU += h_prev.T @ dz
        db += dz.sum(axis=0)
        dh_next = dz @ U.T
    return {"dx": dx, "dh0": dh_next, "dc0": dc_next, "dW": dW, "dU": dU, "db": db}


def random_lstm(n: int = 3, t: int = 5, d: int = 4, h: int = 3, seed: int = 0) -> dict:
    """Seeded float64 inputs for an LSTM gradient check: x (n, t, d), h0 and c0 (n, h),
    W (d, 4h), U (h, 4h), b (4h,), and an upstream gradient dhs (n, t, h)."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(n, t, d)),
        "h0": rng.normal(size=(n, h)) * 0.5,
        "c0": rng.normal(size=(n, h)) * 0.5,
        "W": rng.normal(size=(d, 4 * h)) * 0.4,
        "U": rng.normal(size=(h, 4 * h)) * 0.4,
        "b": rng.normal(size=4 * h) * 0.1,
        "dhs": rng.normal(size=(n, t, h)),
    }


NAMES = ("x", "h0", "c0", "W", "U", "b")


def numerical_check(p: dict) -> dict[str, float]:
    """Relative error of `lstm_backward` against centred differences, per input name; the
    loss is Σ hs·dhs, so its gradient with respect to hs is dhs. p: `random_lstm`."""
    from dlhw.gradcheck import numerical_gradient, rel_error

    def loss(_):
        hs, _, _ = lstm_forward(p["x"], p["h0"], p["c0"], p["W"], p["U"], p["b"])
        return float(np.sum(hs * p["dhs"]))

    _, _, cache = lstm_forward(p["x"], p["h0"], p["c0"], p["W"], p["U"], p["b"])
    grads = lstm_backward(p["dhs"], cache)
    return {n: rel_error(grads["d" + n], numerical_gradient(loss, p[n])) for n in NAMES}


def tape_check(p: dict) -> dict[str, float]:  # pragma: no mutate block
    """Relative error of `lstm_backward` against tf.GradientTape through a float64
    keras.layers.LSTM holding the same weights and initial states. p: `random_lstm`."""
    import keras
    import tensorflow as tf

    from dlhw.gradcheck import rel_error

    layer = keras.layers.LSTM(p["U"].shape[0], return_sequences=True, dtype="float64")
    layer(p["x"], initial_state=[p["h0"], p["c0"]])
    layer.set_weights([p["W"], p["U"], p["b"]])
    x, h0, c0 = (tf.constant(p[n]) for n in ("x", "h0", "c0"))
    with tf.GradientTape() as tape:
        tape.watch([x, h0, c0])
        loss = tf.reduce_sum(layer(x, initial_state=[h0, c0]) * p["dhs"])
    theirs = tape.gradient(loss, [x, h0, c0, *layer.trainable_weights])
    _, _, cache = lstm_forward(p["x"], p["h0"], p["c0"], p["W"], p["U"], p["b"])
    ours = lstm_backward(p["dhs"], cache)
    return {n: rel_error(ours["d" + n], t.numpy()) for n, t in zip(NAMES, theirs, strict=True)}
