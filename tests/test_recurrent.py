"""dlhw.recurrent: NumPy cells match Keras layers; SimpleRNN BPTT matches numerical and TF grads."""

import keras
import numpy as np
import pytest

from dlhw import recurrent

N, T, D, H = 3, 6, 5, 4

LAYERS = {
    "simple_rnn": lambda **kw: keras.layers.SimpleRNN(H, **kw),
    "lstm": lambda **kw: keras.layers.LSTM(H, **kw),
    "gru_reset_after": lambda **kw: keras.layers.GRU(H, reset_after=True, **kw),
    "gru_reset_before": lambda **kw: keras.layers.GRU(H, reset_after=False, **kw),
}


def built_layer(name, seed=0, **kwargs):
    """A built Keras layer whose bias is random too (the defaults are zeros or ones)."""
    keras.utils.set_random_seed(seed)
    layer = LAYERS[name](**kwargs)
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, T, D)).astype("float32")
    layer(x)
    if layer.cell.use_bias:
        layer.cell.bias.assign(rng.normal(size=layer.cell.bias.shape).astype("float32"))
    return layer, x


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("return_state", [False, True])
def test_numpy_forward_matches_keras(name, return_sequences, return_state):
    layer, x = built_layer(name, return_sequences=return_sequences, return_state=return_state)
    expected = layer(x)
    expected = [e.numpy() for e in expected] if return_state else expected.numpy()
    weights = recurrent.weights_from_keras(layer)
    got = recurrent.keras_forward(
        x, weights, return_sequences=return_sequences, return_state=return_state
    )
    assert recurrent.max_abs_diff(got, expected) < 1e-5
    if return_state:  # [output, h] or [output, h, c]
        assert len(got) == (3 if name == "lstm" else 2)


def test_gru_bias_layouts():
    after, _ = built_layer("gru_reset_after")
    before, _ = built_layer("gru_reset_before")
    assert recurrent.weights_from_keras(after).bias.shape == (2, 3 * H)
    assert recurrent.weights_from_keras(before).bias.shape == (3 * H,)


def test_gru_settings_are_not_interchangeable():
    """Running reset_after weights with the other equation must fail the match (test can fail)."""
    layer, x = built_layer("gru_reset_after")
    w = recurrent.weights_from_keras(layer)
    wrong = recurrent.RecurrentWeights("gru", w.kernel, w.recurrent_kernel, w.bias.sum(0), False)
    assert recurrent.max_abs_diff(recurrent.keras_forward(x, wrong), layer(x).numpy()) > 1e-3


def test_lstm_gate_order_matters():
    layer, x = built_layer("lstm")
    w = recurrent.weights_from_keras(layer)
    swap = np.r_[H : 2 * H, 0:H, 2 * H : 4 * H]  # i and f exchanged
    wrong = recurrent.RecurrentWeights(
        "lstm", w.kernel[:, swap], w.recurrent_kernel[:, swap], w.bias[swap]
    )
    assert recurrent.max_abs_diff(recurrent.keras_forward(x, wrong), layer(x).numpy()) > 1e-3


def test_layer_without_bias():
    keras.utils.set_random_seed(1)
    layer = keras.layers.GRU(H, use_bias=False)
    x = np.random.default_rng(1).normal(size=(N, T, D)).astype("float32")
    expected = layer(x).numpy()
    weights = recurrent.weights_from_keras(layer)
    assert weights.bias.shape == (2, 3 * H) and not weights.bias.any()
    assert recurrent.max_abs_diff(recurrent.keras_forward(x, weights), expected) < 1e-5


def test_lstm_sequence_states_and_gates():
    layer, x = built_layer("lstm")
    w = recurrent.weights_from_keras(layer)
    hs, cs, gates = recurrent.lstm_sequence(x, w.kernel, w.recurrent_kernel, w.bias)
    assert hs.shape == cs.shape == (N, T, H)
    assert sorted(gates) == ["f", "g", "i", "o"]
    for name in "ifo":
        assert gates[name].min() > 0 and gates[name].max() < 1
    np.testing.assert_allclose(hs, gates["o"] * np.tanh(cs), atol=1e-6)


def test_sigmoid_is_stable_for_large_inputs():
    z = np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s = recurrent.sigmoid(z)
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.exp(30)), 0.5, 1 / (1 + np.exp(-30)), 1.0])


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: keras.layers.Dense(3), "SimpleRNN, LSTM or GRU"),
        (lambda: keras.layers.LSTM(3), "not built"),
        (lambda: keras.layers.SimpleRNN(3, activation="relu"), "activation='relu'"),
        (lambda: keras.layers.LSTM(3, recurrent_activation="hard_sigmoid"), "recurrent_act"),
    ],
)
def test_weights_from_keras_rejects_what_it_cannot_reproduce(make, match):
    layer = make()
    if match != "not built" and isinstance(layer, keras.layers.RNN):
        layer(np.zeros((1, 2, 3), "float32"))
    with pytest.raises(ValueError, match=match):
        recurrent.weights_from_keras(layer)


def test_wrong_input_shape_is_named():
    layer, _ = built_layer("simple_rnn")
    w = recurrent.weights_from_keras(layer)
    with pytest.raises(ValueError, match=r"x must have shape \(N, T, D\) with D = 5"):
        recurrent.keras_forward(np.zeros((2, 3, 7)), w)
    with pytest.raises(ValueError, match="x must have shape"):
        recurrent.keras_forward(np.zeros((2, 5)), w)


# ------------------------------------------------------------------------------------ BPTT


def test_bptt_matches_numerical_gradient():
    errors = recurrent.bptt_numerical_check(recurrent.random_simple_rnn(seed=0))
    assert sorted(errors) == ["U", "W", "b", "h0", "x"]
    assert max(errors.values()) < 1e-7, errors


def test_bptt_check_catches_a_wrong_gradient(monkeypatch):
    right = recurrent.simple_rnn_backward

    def off_by_one_percent(dhs, cache):
        grads = right(dhs, cache)
        return {**grads, "dU": grads["dU"] * 1.01}

    monkeypatch.setattr(recurrent, "simple_rnn_backward", off_by_one_percent)
    errors = recurrent.bptt_numerical_check(recurrent.random_simple_rnn(seed=0))
    assert errors["U"] > 1e-3 and errors["W"] < 1e-7


def test_bptt_matches_gradient_tape():
    errors = recurrent.bptt_tape_check(recurrent.random_simple_rnn(seed=1))
    assert max(errors.values()) < 1e-7, errors


def test_gradient_flows_back_through_time():
    """A loss on the last step only still reaches the first input, through dh_next."""
    p = recurrent.random_simple_rnn()
    hs, cache = recurrent.simple_rnn_forward(p["x"], p["h0"], p["W"], p["U"], p["b"])
    only_last = np.zeros_like(p["dhs"])
    only_last[:, -1] = p["dhs"][:, -1]
    grads = recurrent.simple_rnn_backward(only_last, cache)
    assert np.abs(grads["dx"][:, 0]).max() > 1e-4
    assert np.abs(grads["dh0"]).max() > 1e-4


def test_backward_checks_dhs_shape():
    p = recurrent.random_simple_rnn()
    _, cache = recurrent.simple_rnn_forward(p["x"], p["h0"], p["W"], p["U"], p["b"])
    with pytest.raises(ValueError, match="dhs must have"):
        recurrent.simple_rnn_backward(np.zeros((N, T + 1, H)), cache)
