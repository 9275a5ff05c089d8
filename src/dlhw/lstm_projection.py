"""Q4: how much of an LSTM's step cost is its sequential chain, and how much is the input
projection that Keras computes step by step on a CPU.

An LSTM step computes z_t = x_t W + h_{t-1} U + b. Only h_{t-1} U depends on the previous step;
x_t W for every t can be computed at once, as one (N·T, D) x (D, 4H) matrix product, before the
loop. `lstm_forward` runs the same LSTM both ways with the same loop, so the difference in time
is the step-by-step projection and what remains is the chain itself.
"""

from __future__ import annotations

import numpy as np

from dlhw import timing
from dlhw.checks import positive_int
from dlhw.errors import DlhwError


class ProjectionError(DlhwError, ValueError):
    """Weights or inputs that do not fit an LSTM."""


def lstm_weights(layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A built Keras LSTM layer's kernel (D, 4H), recurrent kernel (H, 4H) and bias (4H,),
    gates in Keras's order i, f, c, o."""
    kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
    if kernel.shape[1] != 4 * recurrent.shape[0] or bias.shape != (kernel.shape[1],):
        raise ProjectionError(
            f"not an LSTM's weights: kernel {kernel.shape}, recurrent {recurrent.shape}, "
            f"bias {bias.shape}; pass a built keras.layers.LSTM with use_bias=True."
        )
    return kernel, recurrent, bias


def lstm_forward(kernel, recurrent, bias, *, hoisted: bool):
    """A compiled function x (N, T, D) -> hidden states (N, T, H) of the LSTM with these
    weights (tanh, sigmoid gates, zero initial state: Keras's defaults). `hoisted=True`
    computes x W + b for all steps before the loop; `False` computes x_t W + b inside it,
    as Keras's LSTM layer does on a CPU. The loop is the same `tf.scan` either way."""
    import tensorflow as tf

    kernel, recurrent, bias = (
        tf.constant(np.asarray(a, "float32")) for a in (kernel, recurrent, bias)
    )
    units = int(recurrent.shape[0])

    def cell(state, z_input):
        h, c = state
        z = z_input + tf.matmul(h, recurrent)
        i, f, g, o = tf.split(z, 4, axis=-1)
        c = tf.sigmoid(f) * c + tf.sigmoid(i) * tf.tanh(g)
        return tf.sigmoid(o) * tf.tanh(c), c

    @tf.function(reduce_retracing=False)
    def forward(x):
        time_major = tf.transpose(x, (1, 0, 2))  # (T, N, D)
        if hoisted:  # one product for every step
            steps = tf.einsum("tnd,dk->tnk", time_major, kernel) + bias
            step = cell
        else:
            steps = time_major

            def step(state, x_t):
                return cell(state, tf.matmul(x_t, kernel) + bias)

        zeros = tf.zeros((tf.shape(x)[0], units))
        h, _ = tf.scan(step, steps, initializer=(zeros, zeros))
        return tf.transpose(h, (1, 0, 2))

    return forward


def projection_timings(
    layer, lengths, *, batch: int = 32, repeats: int = 5, seed: int = 0, others=None
) -> dict[str, dict[int, float]]:
    """Median seconds of one forward pass, per length, of the Keras `layer` (an LSTM with
    return_sequences) and of the same weights with the input projection in the loop and
    hoisted out of it, plus any models in `others` (name -> model, the same inputs); inputs
    (batch, length, D) random float32, each traced and warmed up first."""
    import tensorflow as tf

    repeats, batch = positive_int(repeats, "repeats"), positive_int(batch, "batch")
    weights = lstm_weights(layer)
    features = weights[0].shape[0]
    functions = {
        "keras": tf.function(lambda x: layer(x), reduce_retracing=False),
        "in the loop": lstm_forward(*weights, hoisted=False),
        "hoisted": lstm_forward(*weights, hoisted=True),
    }
    for name, model in (others or {}).items():
        functions[name] = tf.function(lambda x, m=model: m(x), reduce_retracing=False)
    rng = np.random.default_rng(seed)
    found: dict[str, dict[int, float]] = {name: {} for name in functions}
    for n in lengths:
        x = tf.constant(rng.normal(size=(batch, int(n), features)).astype("float32"))
        runs = {name: (lambda f=f, x=x: f(x).numpy()) for name, f in functions.items()}
        # interleaved rounds, so that a disturbance hits all alike; two rounds warm up
        for name, times in timing.interleaved_seconds(runs, repeats, warmup_rounds=2).items():
            found[name][int(n)] = float(np.median(times))
    return found


def projection_share(in_loop: float, hoisted: float, conv: float) -> float:
    """The share of the LSTM's extra time over the convolution (in_loop - conv) that hoisting
    the input projection removes; the rest (hoisted - conv) is the chain of recurrent steps."""
    gap = in_loop - conv
    if not gap > 0:
        raise ProjectionError(
            f"the LSTM ({in_loop:.3g} s) is not slower than the convolution ({conv:.3g} s): "
            "there is no gap to divide; time both at the same, longer length."
        )
    return float((in_loop - hoisted) / gap)
