"""SimpleRNN, LSTM and GRU written in NumPy, weights taken from Keras, and BPTT for SimpleRNN.

Written for reading: one `*_step` function per cell (one time step, the gate equations), a loop
over time per cell, and `keras_forward` that mirrors a Keras layer's `return_sequences` /
`return_state` outputs. Shapes: x (N, T, D) inputs, h and c (N, H) states, W (D, G*H) kernel,
U (H, G*H) recurrent kernel, b (G*H,) bias, with G = 1 (SimpleRNN), 4 (LSTM), 3 (GRU).
Keras' gate order is i, f, c, o for the LSTM and z, r, h for the GRU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

KINDS = ("simple_rnn", "lstm", "gru")
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
_KERAS_CLASSES = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + exp(-z)), written to avoid overflow for large |z|."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


# ----------------------------------------------------------------------------- one time step


def simple_rnn_step(x_t, h_prev, W, U, b):
    """One SimpleRNN step: h_t = tanh(x_t W + h_prev U + b).

    x_t: (N, D), h_prev: (N, H), W: (D, H), U: (H, H), b: (H,); returns h_t: (N, H).
    """
    return np.tanh(x_t @ W + h_prev @ U + b)


def lstm_step(x_t, h_prev, c_prev, W, U, b):
    """One LSTM step; returns (h_t, c_t, (i, f, g, o)), every array (N, H).

    z = x_t W + h_prev U + b split into four (Keras order i, f, c, o);
    i, f, o = sigmoid(...), g = tanh(z_c); c_t = f * c_prev + i * g; h_t = o * tanh(c_t).
    x_t: (N, D), h_prev and c_prev: (N, H), W: (D, 4H), U: (H, 4H), b: (4H,).
    """
    z = x_t @ W + h_prev @ U + b
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    g = np.tanh(z_c)
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    return h_t, c_t, (i, f, g, o)


def gru_step(x_t, h_prev, W, U, b, *, reset_after: bool = True):
    """One GRU step; returns (h_t, (z, r, h_tilde)), every array (N, H).

    Keras order z (update), r (reset), h (candidate). With `reset_after=True` (Keras' default,
    cuDNN's convention) b is (2, 3H): an input bias row and a recurrent bias row, and the reset
    gate multiplies the recurrent term after the matrix product:
    h_tilde = tanh(x_t W_h + b_in_h + r * (h_prev U_h + b_rec_h)).
    With `reset_after=False` b is (3H,) and h_tilde = tanh(x_t W_h + (r * h_prev) U_h + b_h).
    Both: h_t = z * h_prev + (1 - z) * h_tilde. x_t: (N, D), h_prev: (N, H), W: (D, 3H),
    U: (H, 3H).
    """
    H = h_prev.shape[-1]
    b_in, b_rec = (b[0], b[1]) if reset_after else (b, np.zeros_like(b))
    x_z, x_r, x_h = np.split(x_t @ W + b_in, 3, axis=-1)
    U_zr, U_h = U[:, : 2 * H], U[:, 2 * H :]
    rec_z, rec_r = np.split(h_prev @ U_zr + b_rec[: 2 * H], 2, axis=-1)
    z, r = sigmoid(x_z + rec_z), sigmoid(x_r + rec_r)
    if reset_after:
        h_tilde = np.tanh(x_h + r * (h_prev @ U_h + b_rec[2 * H :]))
    else:
        h_tilde = np.tanh(x_h + (r * h_prev) @ U_h)
    h_t = z * h_prev + (1.0 - z) * h_tilde
    return h_t, (z, r, h_tilde)


# ------------------------------------------------------------------------- loops over time


def simple_rnn_sequence(x, W, U, b, h0=None):
    """Run a SimpleRNN over x: (N, T, D); returns the hidden states hs: (N, T, H)."""
    N, T, _ = x.shape
    h = np.zeros((N, U.shape[0]), dtype=x.dtype) if h0 is None else h0
    hs = []
    for t in range(T):
        h = simple_rnn_step(x[:, t], h, W, U, b)
        hs.append(h)
    return np.stack(hs, axis=1)


def lstm_sequence(x, W, U, b, h0=None, c0=None):
    """Run an LSTM over x: (N, T, D); returns (hs, cs, gates).

    hs, cs: (N, T, H) hidden and cell states; gates: dict "i", "f", "g", "o" -> (N, T, H).
    """
    N, T, _ = x.shape
    H = U.shape[0]
    h = np.zeros((N, H), dtype=x.dtype) if h0 is None else h0
    c = np.zeros((N, H), dtype=x.dtype) if c0 is None else c0
    hs, cs, gates = [], [], []
    for t in range(T):
        h, c, gate_values = lstm_step(x[:, t], h, c, W, U, b)
        hs.append(h)
        cs.append(c)
        gates.append(gate_values)
    stacked = {name: np.stack([g[k] for g in gates], axis=1) for k, name in enumerate("ifgo")}
    return np.stack(hs, axis=1), np.stack(cs, axis=1), stacked


def gru_sequence(x, W, U, b, h0=None, *, reset_after: bool = True):
    """Run a GRU over x: (N, T, D); returns (hs, gates): hs (N, T, H), gates "z", "r", "h" ->
    (N, T, H)."""
    N, T, _ = x.shape
    h = np.zeros((N, U.shape[0]), dtype=x.dtype) if h0 is None else h0
    hs, gates = [], []
    for t in range(T):
        h, gate_values = gru_step(x[:, t], h, W, U, b, reset_after=reset_after)
        hs.append(h)
        gates.append(gate_values)
    stacked = {name: np.stack([g[k] for g in gates], axis=1) for k, name in enumerate("zrh")}
    return np.stack(hs, axis=1), stacked


# ------------------------------------------------------------------ weights from Keras layers


@dataclass(frozen=True)
class RecurrentWeights:
    """A recurrent layer's weights as NumPy arrays, in Keras' layout.

    kind: "simple_rnn" | "lstm" | "gru"; kernel W: (D, G*H); recurrent_kernel U: (H, G*H);
    bias b: (G*H,), or (2, 3H) for a GRU with reset_after=True.
    """

    kind: str
    kernel: np.ndarray
    recurrent_kernel: np.ndarray
    bias: np.ndarray
    reset_after: bool = False

    @property
    def units(self) -> int:
        """H, the number of units."""
        return int(self.recurrent_kernel.shape[0])

    def astype(self, dtype) -> RecurrentWeights:
        """The same weights cast to `dtype` (e.g. float64 for a gradient check)."""
        return RecurrentWeights(
            self.kind,
            self.kernel.astype(dtype),
            self.recurrent_kernel.astype(dtype),
            self.bias.astype(dtype),
            self.reset_after,
        )


def weights_from_keras(layer) -> RecurrentWeights:  # pragma: no mutate block
    """Take kernel, recurrent kernel and bias from a built Keras SimpleRNN, LSTM or GRU layer.

    Only the default activations (tanh, and sigmoid for the gates) are reproduced; other
    settings raise a ValueError that names them. A layer without bias gets a zero bias.
    """
    name = type(layer).__name__
    if name not in _KERAS_CLASSES:
        raise ValueError(
            f"layer must be a keras.layers.SimpleRNN, LSTM or GRU, got {name}. "
            "(Bidirectional or wrapped layers: pass the inner layer.)"
        )
    if not layer.built:
        raise ValueError(f"layer {layer.name!r} is not built yet: call it on an input first.")
    kind = _KERAS_CLASSES[name]
    config = layer.get_config()
    wanted = {"activation": "tanh"}
    if kind != "simple_rnn":
        wanted["recurrent_activation"] = "sigmoid"
    for key, value in wanted.items():
        if config.get(key) != value:
            raise ValueError(
                f"layer {layer.name!r} has {key}={config.get(key)!r}; only {key}={value!r} "
                "(the Keras default) is reproduced in NumPy."
            )
    if config.get("go_backwards"):
        raise ValueError(f"layer {layer.name!r} has go_backwards=True, which is not supported.")
    cell = layer.cell
    kernel = np.asarray(cell.kernel.numpy())
    recurrent = np.asarray(cell.recurrent_kernel.numpy())
    reset_after = bool(config.get("reset_after", False)) and kind == "gru"
    if config.get("use_bias", True):
        bias = np.asarray(cell.bias.numpy())
    else:
        bias = np.zeros((2, kernel.shape[1]) if reset_after else kernel.shape[1], kernel.dtype)
    return RecurrentWeights(kind, kernel, recurrent, bias, reset_after)


def sequence_forward(x: np.ndarray, weights: RecurrentWeights):
    """Run the cell of `weights` over x: (N, T, D).

    Returns (hs, final_states, gates): hs (N, T, H); final_states [h_T] or [h_T, c_T] (LSTM);
    gates a dict of (N, T, H) arrays ({} for SimpleRNN).
    """
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[-1] != weights.kernel.shape[0]:
        raise ValueError(
            f"x must have shape (N, T, D) with D = {weights.kernel.shape[0]} (the kernel's "
            f"input size), got {x.shape}."
        )
    W, U, b = weights.kernel, weights.recurrent_kernel, weights.bias
    if weights.kind == "simple_rnn":
        hs = simple_rnn_sequence(x, W, U, b)
        return hs, [hs[:, -1]], {}
    if weights.kind == "lstm":
        hs, cs, gates = lstm_sequence(x, W, U, b)
        return hs, [hs[:, -1], cs[:, -1]], gates
    if weights.kind == "gru":
        hs, gates = gru_sequence(x, W, U, b, reset_after=weights.reset_after)
        return hs, [hs[:, -1]], gates
    raise ValueError(f"weights.kind must be one of {KINDS}, got {weights.kind!r}.")


def keras_forward(
    x: np.ndarray,
    weights: RecurrentWeights,
    *,
    return_sequences: bool = False,
    return_state: bool = False,
):
    """What the Keras layer returns for x: (N, T, D), computed in NumPy.

    The output is hs (N, T, H) with return_sequences, else h_T (N, H); with return_state
    the list [output, *final_states] (final states h_T, and c_T for an LSTM).
    """
    hs, final_states, _ = sequence_forward(x, weights)
    output = hs if return_sequences else hs[:, -1]
    return [output, *final_states] if return_state else output


def max_abs_diff(a, b) -> float:
    """Largest |a - b| over arrays (or lists of arrays) of equal shapes."""
    a_list = a if isinstance(a, (list, tuple)) else [a]
    b_list = b if isinstance(b, (list, tuple)) else [b]
    if len(a_list) != len(b_list):
        raise ValueError(f"a and b hold {len(a_list)} and {len(b_list)} arrays.")
    worst = 0.0
    for left, right in zip(a_list, b_list, strict=True):
        left, right = np.asarray(left, np.float64), np.asarray(right, np.float64)
        if left.shape != right.shape:
            raise ValueError(f"shapes differ: {left.shape} and {right.shape}.")
        worst = max(worst, float(np.max(np.abs(left - right))) if left.size else 0.0)
    return worst


# ------------------------------------------------------------- backpropagation through time


def simple_rnn_forward(x, h0, W, U, b):
    """SimpleRNN forward pass that keeps what BPTT needs.

    x: (N, T, D), h0: (N, H), W: (D, H), U: (H, H), b: (H,).
    Returns (hs, cache): hs (N, T, H); cache (x, h0, hs, W, U) for `simple_rnn_backward`.
    """
    hs = simple_rnn_sequence(x, W, U, b, h0)
    return hs, (x, h0, hs, W, U)


def simple_rnn_backward(dhs, cache):
    """Backpropagation through time for `simple_rnn_forward`.

    dhs: (N, T, H), the loss gradient with respect to every hidden state. Walking back from
    t = T-1, the gradient reaching h_t is dhs[:, t] plus what flows back from h_{t+1}; through
    tanh it becomes da = dh_t * (1 - h_t**2), and then dW += x_t^T da, dU += h_{t-1}^T da,
    db += sum(da), dx_t = da W^T, and da U^T flows on to h_{t-1}.
    Returns dict dx (N, T, D), dh0 (N, H), dW (D, H), dU (H, H), db (H,).
    """
    x, h0, hs, W, U = cache
    if dhs.shape != hs.shape:
        raise ValueError(f"dhs must have the hidden states' shape {hs.shape}, got {dhs.shape}.")
    N, T, _ = x.shape
    dx = np.zeros_like(x)
    dW, dU = np.zeros_like(W), np.zeros_like(U)
    db = np.zeros(W.shape[1], dtype=W.dtype)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = (dhs[:, t] + dh_next) * (1.0 - hs[:, t] ** 2)
        dx[:, t] = da @ W.T
        dW += x[:, t].T @ da
        dU += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ U.T
    return {"dx": dx, "dh0": dh_next, "dW": dW, "dU": dU, "db": db}


# ------------------------------------------------------------------ checks for the notebook


def transfer_check(make_layer, x: np.ndarray) -> dict[str, float]:  # pragma: no mutate block
    """Largest |NumPy - Keras| for each output variant of a layer built by `make_layer(**kw)`.

    `make_layer` takes `return_sequences` and `return_state` and returns a fresh Keras layer;
    x: (N, T, D) float32. Keys: "last", "sequences", "last+state", "sequences+state".
    """
    found = {}
    for sequences in (False, True):
        for state in (False, True):
            layer = make_layer(return_sequences=sequences, return_state=state)
            expected = layer(x)
            expected = [e.numpy() for e in expected] if state else expected.numpy()
            got = keras_forward(
                x, weights_from_keras(layer), return_sequences=sequences, return_state=state
            )
            name = ("sequences" if sequences else "last") + ("+state" if state else "")
            found[name] = max_abs_diff(got, expected)
    return found


def random_simple_rnn(n: int = 3, t: int = 6, d: int = 5, h: int = 4, seed: int = 0) -> dict:
    """Seeded float64 inputs for a SimpleRNN gradient check: x (n, t, d), h0 (n, h),
    W (d, h), U (h, h), b (h,), and an upstream gradient dhs (n, t, h)."""
    rng = np.random.default_rng(seed)
    return {
        "x": rng.normal(size=(n, t, d)),
        "h0": rng.normal(size=(n, h)) * 0.5,
        "W": rng.normal(size=(d, h)) * 0.4,
        "U": rng.normal(size=(h, h)) * 0.4,
        "b": rng.normal(size=h) * 0.1,
        "dhs": rng.normal(size=(n, t, h)),
    }


def bptt_numerical_check(p: dict) -> dict[str, float]:
    """Relative error of `simple_rnn_backward` against centred differences, per input name.

    The loss is sum(hs * dhs), so its gradient with respect to hs is dhs. p: `random_simple_rnn`.
    """
    from dlhw.gradcheck import numerical_gradient, rel_error

    def loss(_):
        hs, _ = simple_rnn_forward(p["x"], p["h0"], p["W"], p["U"], p["b"])
        return float(np.sum(hs * p["dhs"]))

    _, cache = simple_rnn_forward(p["x"], p["h0"], p["W"], p["U"], p["b"])
    grads = simple_rnn_backward(p["dhs"], cache)
    return {
        name: rel_error(grads["d" + name], numerical_gradient(loss, p[name]))
        for name in ("x", "h0", "W", "U", "b")
    }


def bptt_tape_check(p: dict) -> dict[str, float]:  # pragma: no mutate block
    """Relative error of `simple_rnn_backward` against tf.GradientTape through a float64
    keras.layers.SimpleRNN holding the same weights. p: `random_simple_rnn`."""
    import keras
    import tensorflow as tf

    from dlhw.gradcheck import rel_error

    layer = keras.layers.SimpleRNN(p["U"].shape[0], return_sequences=True, dtype="float64")
    layer(p["x"], initial_state=[p["h0"]])
    layer.set_weights([p["W"], p["U"], p["b"]])
    x, h0 = tf.constant(p["x"]), tf.constant(p["h0"])
    with tf.GradientTape() as tape:
        tape.watch([x, h0])
        loss = tf.reduce_sum(layer(x, initial_state=[h0]) * p["dhs"])
    theirs = tape.gradient(loss, [x, h0, *layer.trainable_weights])
    _, cache = simple_rnn_forward(p["x"], p["h0"], p["W"], p["U"], p["b"])
    ours = simple_rnn_backward(p["dhs"], cache)
    names = ("x", "h0", "W", "U", "b")
    return {n: rel_error(ours["d" + n], t.numpy()) for n, t in zip(names, theirs, strict=True)}
