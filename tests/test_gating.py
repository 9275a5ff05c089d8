"""dlhw.gating: the gradient reaching each hidden state, the forget gates' direct path, and the
three cells trained side by side."""

import numpy as np
import pytest

from dlhw import gating, recurrent, sequence_models as sm
from dlhw.data import MnistSplits


def _batch(n=6, steps=5, features=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, steps, features)).astype("float32"), rng.integers(0, 10, n)


def _model(kind, units=3, steps=5, features=4, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    return sm.build_model(kind, units=units, steps=steps, features=features)


def _numpy_norms(model, x, y):
    """The same quantity by hand for a SimpleRNN: dL/dh_T = (softmax - onehot) V^T, and each
    step back multiplies by diag(1 - h_t^2) U^T."""
    w = recurrent.weights_from_keras(model.get_layer("simplernn")).astype(np.float64)
    hs, _, _ = recurrent.sequence_forward(x.astype(np.float64), w)
    head_kernel, head_bias = (np.asarray(a, np.float64) for a in model.get_layer("logits").weights)
    logits = hs[:, -1] @ head_kernel + head_bias
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    p[np.arange(len(y)), y] -= 1
    grad = p @ head_kernel.T
    norms = [np.linalg.norm(grad, axis=1).mean()]
    for t in range(hs.shape[1] - 1, 0, -1):
        grad = (grad * (1 - hs[:, t] ** 2)) @ w.recurrent_kernel.T
        norms.append(np.linalg.norm(grad, axis=1).mean())
    return np.array(norms[::-1])


def test_simple_rnn_gradients_equal_the_chain_rule_by_hand():
    x, y = _batch()
    model = _model("simplernn")
    found = gating.hidden_state_gradients(model, x, y)
    assert found["norms"].shape == (5,)
    np.testing.assert_allclose(found["norms"], _numpy_norms(model, x, y), rtol=1e-4)
    assert found["max_abs_diff"] < 1e-6


@pytest.mark.parametrize("kind", gating.CELLS)
def test_unrolled_cell_reproduces_the_layer(kind):
    x, y = _batch(seed=1)
    found = gating.hidden_state_gradients(_model(kind), x, y)
    assert found["max_abs_diff"] < 1e-6
    assert np.all(found["norms"] > 0)


@pytest.mark.parametrize("kind", ["simplernn", "lstm"])
def test_without_a_recurrent_kernel_no_gradient_reaches_earlier_steps(kind):
    """With U = 0, h_{t-1} feeds nothing in these two cells: only h_T gets a gradient."""
    x, y = _batch(seed=2)
    model = _model(kind)
    layer = gating.recurrent_layer(model)
    layer.cell.recurrent_kernel.assign(np.zeros(layer.cell.recurrent_kernel.shape))
    norms = gating.hidden_state_gradients(model, x, y)["norms"]
    assert np.all(norms[:-1] == 0) and norms[-1] > 0


def test_bad_inputs_are_named():
    with pytest.raises(gating.GatingError, match="no recurrent layer"):
        gating.hidden_state_gradients(_model("conv1d", units=8, steps=8), *_batch(steps=8))
    with pytest.raises(gating.GatingError, match=r"\(N, steps, features\)"):
        gating.hidden_state_gradients(_model("lstm"), np.zeros((3, 5)), np.zeros(3, int))
    with pytest.raises(gating.GatingError, match="y \\(N,\\) labels"):
        gating.hidden_state_gradients(_model("lstm"), np.zeros((3, 5, 4)), np.zeros(2, int))
    with pytest.raises(gating.GatingError, match="the model wants"):
        gating.hidden_state_gradients(_model("lstm"), np.zeros((3, 5, 3)), np.zeros(3, int))


def test_first_to_last():
    assert gating.first_to_last(np.array([0.5, 1.0, 2.0])) == 0.25
    with pytest.raises(gating.GatingError, match="last > 0"):
        gating.first_to_last(np.array([1.0, 0.0]))
    with pytest.raises(gating.GatingError, match="at least 2 steps"):
        gating.first_to_last(np.array([1.0]))


def test_direct_path_survival_multiplies_the_forget_gates_after_the_first_step():
    forget = np.array([[0.1, 1.0], [0.5, 1.0], [0.5, 0.9]])
    found = gating.direct_path_survival(forget)
    assert found["mean"] == pytest.approx(forget.mean())
    assert found["max_product"] == pytest.approx(0.9)  # the first step's gate is not a factor
    assert found["median_product"] == pytest.approx((0.25 + 0.9) / 2)
    with pytest.raises(gating.GatingError, match=r"\[0, 1\]"):
        gating.direct_path_survival(np.array([[0.5], [1.5]]))
    with pytest.raises(gating.GatingError, match="steps >= 2"):
        gating.direct_path_survival(np.array([[0.5, 0.5]]))


def test_summary_means_spreads_and_ratios():
    runs = {
        "lstm": {
            0: {"test_accuracy": 0.9, "init": [1.0, 2.0], "trained": [1.0, 1.0]},
            1: {"test_accuracy": 0.8, "init": [1.0, 4.0], "trained": [3.0, 1.0]},
            2: {"test_accuracy": 0.7, "init": [1.0, 8.0], "trained": [2.0, 1.0]},
        },
        "gru": {0: {"test_accuracy": 0.5, "init": [1.0, 1.0], "trained": [1.0, 1.0]}},
    }
    found = gating.summary(runs)
    assert found["cells_accuracy_mean"]["lstm"] == pytest.approx(0.8)
    assert found["cells_accuracy_std"] == {"lstm": pytest.approx(0.1), "gru": 0.0}
    assert found["cells_spread"] == pytest.approx(0.1)  # the largest s.d.
    assert found["grad_first_last"]["lstm"] == {"init": 0.25, "trained": 2.0}  # medians
    assert found["grad_first_last_min"]["lstm"] == {"init": 0.125, "trained": 1.0}
    assert found["grad_first_last_max"]["lstm"] == {"init": 0.5, "trained": 3.0}


@pytest.mark.slow
def test_train_cells_trains_each_cell_per_seed_and_plots(capsys):
    rng = np.random.default_rng(0)
    images = rng.random((40, 6, 4)).astype("float32")
    labels = rng.integers(0, 10, 40)
    splits = MnistSplits(images, labels, images[:8], labels[:8], images[:8], labels[:8])
    assert len(gating.training_subset(splits, 10).x_train) == 10
    runs = gating.train_cells(
        gating.training_subset(splits, 16), [3, 3, 4], epochs=1, units=2, probe=5,
        cells=("simplernn", "gru"), batch_size=8,
    )  # fmt: skip
    assert list(runs) == ["simplernn", "gru"] and list(runs["gru"]) == [3, 4]
    assert runs["gru"][3]["init"].shape == (6,) and runs["gru"][3]["trained"].shape == (6,)
    assert 0.0 <= runs["simplernn"][4]["test_accuracy"] <= 1.0
    assert "gru, seed 4: test accuracy" in capsys.readouterr().out
    fig = gating.plot_gradient_norms(runs)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4  # two cells x two seeds
    with pytest.raises(gating.GatingError, match="cells must be among"):
        gating.train_cells(splits, [0], epochs=1, units=2, cells=("transformer",))
