"""The LSTM with its input projection in the loop or hoisted out of it equals Keras's LSTM."""

import keras
import numpy as np
import pytest

from dlhw import lstm_projection as lp


@pytest.fixture(scope="module")
def layer():
    keras.utils.set_random_seed(0)
    lstm = keras.layers.LSTM(6, return_sequences=True, bias_initializer="random_normal")
    lstm.build((None, None, 4))
    return lstm


@pytest.mark.parametrize("hoisted", [False, True])
def test_both_loops_equal_the_keras_lstm(layer, hoisted):
    x = np.random.default_rng(1).normal(size=(3, 7, 4)).astype("float32")
    expected = np.asarray(layer(x))
    got = lp.lstm_forward(*lp.lstm_weights(layer), hoisted=hoisted)(x).numpy()
    assert got.shape == (3, 7, 6)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_weights_that_are_not_an_lstms_are_refused():
    gru = keras.layers.GRU(3)
    gru.build((None, None, 2))
    with pytest.raises(lp.ProjectionError, match="not an LSTM's weights"):
        lp.lstm_weights(gru)


def test_projection_share_divides_the_gap():
    assert lp.projection_share(in_loop=10.0, hoisted=7.0, conv=4.0) == pytest.approx(0.5)
    assert lp.projection_share(in_loop=10.0, hoisted=10.0, conv=4.0) == 0.0
    with pytest.raises(lp.ProjectionError, match="no gap"):
        lp.projection_share(in_loop=3.0, hoisted=2.0, conv=4.0)


def test_projection_timings_time_all_three_at_every_length(layer):
    found = lp.projection_timings(layer, [8, 16], batch=2, repeats=1)
    assert set(found) == {"keras", "in the loop", "hoisted"}
    assert all(set(times) == {8, 16} and min(times.values()) > 0 for times in found.values())
