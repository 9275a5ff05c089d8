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


# ------------------------------------------------------------------ tests that kill mutants
# Each test below guards a behaviour that `make mutate` (mutmut) found unguarded.


def random_gru(seed=0, dtype="float64"):
    """x (N, T, D), h0 (N, H), W (D, 3H), U (H, 3H) and a reset_after bias (2, 3H)."""
    rng = np.random.default_rng(seed)
    arrays = (
        rng.normal(size=(N, T, D)),
        rng.normal(size=(N, H)),
        rng.normal(size=(D, 3 * H)) * 0.4,
        rng.normal(size=(H, 3 * H)) * 0.4,
        rng.normal(size=(2, 3 * H)) * 0.1,
    )
    return [a.astype(dtype) for a in arrays]


def test_gru_defaults_to_reset_after():
    """gru_step and gru_sequence default to Keras' reset_after=True (bias (2, 3H))."""
    x, h0, W, U, b = random_gru()
    step, _ = recurrent.gru_step(x[:, 0], h0, W, U, b)
    np.testing.assert_array_equal(
        step, recurrent.gru_step(x[:, 0], h0, W, U, b, reset_after=True)[0]
    )
    hs, _ = recurrent.gru_sequence(x, W, U, b)
    np.testing.assert_array_equal(hs, recurrent.gru_sequence(x, W, U, b, reset_after=True)[0])


def test_sequences_start_from_the_given_initial_states():
    """h0 (and c0 for the LSTM) are used: the loop equals stepping by hand from them."""
    x, h0, W, U, b = random_gru(1)
    hs, _ = recurrent.gru_sequence(x, W, U, b, h0)
    np.testing.assert_allclose(hs[:, 0], recurrent.gru_step(x[:, 0], h0, W, U, b)[0])
    rng = np.random.default_rng(2)
    W4, U4, b4 = rng.normal(size=(D, 4 * H)), rng.normal(size=(H, 4 * H)), rng.normal(size=4 * H)
    c0 = rng.normal(size=(N, H))
    hs, cs, _ = recurrent.lstm_sequence(x, W4, U4, b4, h0, c0)
    h1, c1, _ = recurrent.lstm_step(x[:, 0], h0, c0, W4, U4, b4)
    np.testing.assert_allclose(hs[:, 0], h1)
    np.testing.assert_allclose(cs[:, 0], c1)


def test_gru_sequence_gates_are_named_and_stacked_over_time():
    """GRU gates come back as "z", "r", "h", each (N, T, H) (T != H here)."""
    x, _, W, U, b = random_gru()
    _, gates = recurrent.gru_sequence(x, W, U, b)
    assert sorted(gates) == ["h", "r", "z"]
    assert all(g.shape == (N, T, H) for g in gates.values())
    z1, r1, h1 = recurrent.gru_step(x[:, 0], np.zeros((N, H)), W, U, b)[1]
    np.testing.assert_allclose(gates["z"][:, 0], z1)
    np.testing.assert_allclose(gates["r"][:, 0], r1)
    np.testing.assert_allclose(gates["h"][:, 0], h1)


def test_float32_sequences_and_gradients_stay_float32():
    """Zero initial states take x's dtype, so float32 inputs give float32 states; BPTT's
    bias gradient takes W's dtype."""
    x, _, W, U, b = random_gru(dtype="float32")
    assert recurrent.gru_sequence(x, W, U, b)[0].dtype == np.float32
    rng = np.random.default_rng(3)
    W4, U4 = rng.normal(size=(D, 4 * H)).astype("float32"), rng.normal(size=(H, 4 * H))
    hs, cs, _ = recurrent.lstm_sequence(x, W4, U4.astype("float32"), np.zeros(4 * H, "float32"))
    assert hs.dtype == cs.dtype == np.float32
    p = {k: v.astype("float32") for k, v in recurrent.random_simple_rnn().items()}
    assert recurrent.simple_rnn_sequence(p["x"], p["W"], p["U"], p["b"]).dtype == np.float32
    _, cache = recurrent.simple_rnn_forward(p["x"], p["h0"], p["W"], p["U"], p["b"])
    assert recurrent.simple_rnn_backward(p["dhs"], cache)["db"].dtype == np.float32


def test_recurrent_weights_astype():
    """astype casts the three arrays and keeps the kind and the GRU bias layout."""
    _, _, W, U, b = random_gru()
    weights = recurrent.RecurrentWeights("gru", W, U, b, reset_after=True)
    cast = weights.astype(np.float32)
    assert (cast.kind, cast.reset_after, cast.units) == ("gru", True, H)
    for got, want in zip((cast.kernel, cast.recurrent_kernel, cast.bias), (W, U, b), strict=True):
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want.astype(np.float32))


def test_max_abs_diff_of_empty_arrays_is_zero():
    """Empty arrays of equal shape differ by 0.0 (np.max of nothing would raise)."""
    assert recurrent.max_abs_diff(np.zeros((0, 3)), np.zeros((0, 3))) == 0.0
    assert recurrent.max_abs_diff([np.zeros(0), np.ones(2)], [np.zeros(0), np.ones(2)]) == 0.0


def test_random_simple_rnn_draws_are_pinned():
    """Defaults n=3, t=6, d=5, h=4, seed 0; x, h0 * 0.5, W * 0.4, U * 0.4, b * 0.1, dhs drawn
    in that order from default_rng(seed), so a seed always gives the same check."""
    p = recurrent.random_simple_rnn()
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(p["x"], rng.normal(size=(3, 6, 5)))
    np.testing.assert_array_equal(p["h0"], rng.normal(size=(3, 4)) * 0.5)
    np.testing.assert_array_equal(p["W"], rng.normal(size=(5, 4)) * 0.4)
    np.testing.assert_array_equal(p["U"], rng.normal(size=(4, 4)) * 0.4)
    np.testing.assert_array_equal(p["b"], rng.normal(size=4) * 0.1)
    np.testing.assert_array_equal(p["dhs"], rng.normal(size=(3, 6, 4)))
