"""dlhw.lstm_backward: the LSTM's backward pass by hand against centred differences and
tf.GradientTape, on tiny float64 inputs."""

import numpy as np
import pytest

from dlhw import lstm_backward as lb
from dlhw.recurrent import lstm_sequence


def test_forward_is_the_recurrent_modules_lstm():
    p = lb.random_lstm(seed=1)
    hs, cs, _ = lb.lstm_forward(p["x"], p["h0"], p["c0"], p["W"], p["U"], p["b"])
    ref_h, ref_c, _ = lstm_sequence(p["x"], p["W"], p["U"], p["b"], p["h0"], p["c0"])
    np.testing.assert_array_equal(hs, ref_h)
    np.testing.assert_array_equal(cs, ref_c)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_matches_centred_differences(seed):
    errors = lb.numerical_check(lb.random_lstm(seed=seed))
    assert set(errors) == set(lb.NAMES)
    assert max(errors.values()) < 1e-7, errors


def test_backward_matches_gradient_tape():
    errors = lb.tape_check(lb.random_lstm(seed=3))
    assert max(errors.values()) < 1e-10, errors


def test_the_cell_states_direct_path_is_the_forget_gate():
    """With no gradient on any hidden state and dL/dc_T = 1, one step back gives
    dL/dc_{T-1} = f_T: along the direct path ∂c_t/∂c_{t-1} = diag(f_t)."""
    p = lb.random_lstm(t=1, seed=4)
    _, _, cache = lb.lstm_forward(p["x"], p["h0"], p["c0"], p["W"], p["U"], p["b"])
    grads = lb.lstm_backward(np.zeros_like(p["dhs"]), cache, dc_last=np.ones_like(p["c0"]))
    f = cache[5][0][1]
    np.testing.assert_allclose(grads["dc0"], f)


def test_a_wrong_upstream_shape_is_named():
    p = lb.random_lstm()
    _, _, cache = lb.lstm_forward(p["x"], p["h0"], p["c0"], p["W"], p["U"], p["b"])
    with pytest.raises(
        lb.LstmGradError, match=r"dhs must have the hidden states' shape \(3, 5, 3\)"
    ):
        lb.lstm_backward(p["dhs"][:, :2], cache)
