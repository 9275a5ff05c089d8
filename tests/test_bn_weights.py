"""dlhw.bn_weights: norm growth at equal rates, and the scale-invariance of a kernel before BN."""

import numpy as np
import pytest

from dlhw import bn_weights


def _curves(norms):
    return {"kernel_norms": norms}


def test_growth_pairs_compare_equal_rates_and_epochs():
    runs = {
        ("plain", 0.1): _curves([[1.0, 2.0, 1.0], [2.0, 3.0, 1.5], [4.0, 4.0, 2.0]]),
        ("batch", 0.1): _curves([[1.0, 2.0, 1.0], [1.5, 5.0, 1.2]]),  # diverged after epoch 1
        ("plain", 1.0): _curves([[1.0, 1.0, 1.0]]),  # diverged in its first epoch: skipped
        ("batch", 1.0): _curves([[1.0, 1.0, 1.0], [9.0, 9.0, 9.0]]),
        ("batch", 2.0): _curves([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]),  # no plain run at 2.0
    }
    table = bn_weights.growth_pairs(runs)
    assert table["learning_rate"].tolist() == [0.1, 0.1, 0.1]
    assert table["epochs"].tolist() == [1, 1, 1]  # the fewer epochs both finished
    assert table["feeds_bn"].tolist() == [True, True, False]  # the logits kernel: no BN
    assert table["growth_plain"].tolist() == [2.0, 1.5, 1.5]
    assert table["growth_bn"].tolist() == [1.5, 2.5, 1.2]
    assert table["bn_grows_less"].tolist() == [True, False, True]
    with pytest.raises(bn_weights.WeightsError, match="common learning rate"):
        bn_weights.growth_pairs({("plain", 0.1): runs["plain", 0.1]})


def test_invariance_residual_is_zero_for_the_exact_law_and_not_otherwise():
    g2 = np.array([4.0, 1.0])
    exact = {"w2": np.array([10.0, 10.0 + 0.25 * 4.0, 11.0 + 0.25 * 1.0]), "g2": g2}
    assert bn_weights.invariance_residual(exact, 0.5) == pytest.approx(0.0)
    off = {"w2": np.array([10.0, 12.0, 13.0]), "g2": g2}  # changes of 2 and 1 for 1 and 0.25
    assert bn_weights.invariance_residual(off, 0.5) == pytest.approx(2.0)  # median of 1 and 3
    with pytest.raises(bn_weights.WeightsError, match="one more entry"):
        bn_weights.invariance_residual({"w2": g2, "g2": g2}, 0.5)


@pytest.mark.slow  # trains a model
def test_a_kernel_before_bn_is_orthogonal_to_its_gradient_and_the_logits_one_is_not():
    rng = np.random.default_rng(0)

    class Tiny:
        x_train = rng.random((64, 28, 28, 1), dtype=np.float32)
        y_train = rng.integers(0, 10, 64)

    before_bn = bn_weights.scale_invariance_run(Tiny, learning_rate=0.5, steps=4, batch_size=32)
    assert before_bn["w2"].shape == (5,) and before_bn["g2"].shape == (4,)
    assert np.all(np.diff(before_bn["w2"]) > 0)  # it only grows
    logits = bn_weights.scale_invariance_run(
        Tiny, learning_rate=0.5, steps=4, batch_size=32, layer="logits"
    )
    cos = lambda r: np.abs(r["wg"]) / np.sqrt(r["w2"][:-1] * r["g2"])  # noqa: E731
    assert cos(before_bn).max() < 1e-3 < cos(logits).min()
    assert bn_weights.invariance_residual(before_bn, 0.5) < 0.05
    assert bn_weights.invariance_residual(logits, 0.5) > 0.05


def test_plot_norm_law_draws_the_measured_and_the_predicted_norm():
    record = {"w2": np.array([1.0, 1.5, 2.0]), "g2": np.array([2.0, 2.0])}
    fig = bn_weights.plot_norm_law(record, 0.5, title="t")
    measured, law = fig.axes[0].get_lines()
    np.testing.assert_allclose(measured.get_ydata(), [1.0, 1.5, 2.0])
    np.testing.assert_allclose(law.get_ydata(), [1.0, 1.5, 2.0])  # 1 + 0.25 * (0, 2, 4)


def test_growth_and_norm_records_key_rates_without_dots():
    runs = {
        ("plain", 0.5): _curves([[1.0, 2.0], [2.0, 3.0]]),
        ("batch", 0.5): _curves([[1.0, 2.0], [1.5, 2.5]]),
    }
    growth = bn_weights.growth_record(bn_weights.growth_pairs(runs))
    assert growth == {
        "plain": {"lr0_5": {"layer_0": 2.0, "layer_1": 1.5}},
        "batch": {"lr0_5": {"layer_0": 1.5, "layer_1": 1.25}},
    }
    norms = bn_weights.norm_record({("batch", 0.5): _curves([[1.0, 2.1234567]])})
    assert norms == {"batch": {"lr0_5": [[1.0, 2.12346]]}}
