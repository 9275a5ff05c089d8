"""dlhw.bn_experiments: model builders, training loops and the Q6 (e) parameter counts."""

import numpy as np
import pytest

from dlhw import bn_experiments as bx


def test_param_counts_match_the_answer_and_keras():
    counts = bx.fc_bn_param_counts()
    assert counts == {
        "dense": 220,
        "bn_trainable": 40,
        "bn_non_trainable": 40,
        "total": 300,
        "trainable": 260,
        "non_trainable": 40,
    }
    no_bias = bx.fc_bn_param_counts(use_bias=False)
    assert (no_bias["dense"], no_bias["trainable"], no_bias["total"]) == (200, 240, 280)


def test_build_mlp_drops_the_bias_before_a_norm():
    plain = bx.build_mlp(None, hidden=(16,), input_shape=(4, 4, 1))
    batch = bx.build_mlp("batch", hidden=(16,), input_shape=(4, 4, 1))
    group = bx.build_mlp("group", hidden=(16,), input_shape=(4, 4, 1), groups=4)
    assert plain.get_layer("dense_0").use_bias and not batch.get_layer("dense_0").use_bias
    assert batch.get_layer("batch_norm_0").__class__.__name__ == "BatchNormalization"
    assert batch.get_layer("batch_norm_0").epsilon == 1e-3  # Keras' default
    wide = bx.build_mlp("batch", hidden=(16,), input_shape=(4, 4, 1), epsilon=0.1)
    assert wide.get_layer("batch_norm_0").epsilon == 0.1
    assert group.get_layer("group_norm_0").groups == 4
    # Same seed, same Dense kernels with and without BN: a fair comparison.
    np.testing.assert_array_equal(
        plain.get_layer("dense_0").kernel.numpy(), batch.get_layer("dense_0").kernel.numpy()
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"norm": "instance"}, r"norm must be one of \(None, 'batch', 'layer', 'group'\)"),
        ({"norm": "group", "hidden": (10,), "groups": 4}, "divisible by groups=4"),
        ({"norm": None, "hidden": ()}, "non-empty tuple"),
        ({"norm": "layer", "epsilon": 0.1}, "needs norm='batch'"),
        ({"norm": "batch", "epsilon": 0.0}, "epsilon must be positive"),
    ],
)
def test_build_mlp_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bx.build_mlp(**kwargs)


def test_epochs_to_target():
    assert bx.epochs_to_target([0.5, 0.8, 0.9], 0.8) == 2
    assert bx.epochs_to_target([0.5, 0.7], 0.8) is None
    assert bx.epochs_to_target([], 0.8) is None


@pytest.mark.slow
def test_train_curves_and_step_time(tiny):
    model = bx.compile_sgd(bx.build_mlp("batch", hidden=(8,), input_shape=(4, 4, 1)), 0.1)
    curves = bx.train_curves(model, tiny, epochs=2, batch_size=16)
    assert len(curves["val_accuracy"]) == len(curves["epoch_s"]) == 2
    assert all(0 <= a <= 1 for a in curves["val_accuracy"])
    other = bx.compile_sgd(bx.build_mlp(None, hidden=(8,), input_shape=(4, 4, 1)), 0.1)
    times = bx.compare_step_times(
        {"bn": model, "plain": other}, tiny.x_train, tiny.y_train, batch_size=16, steps=2, repeats=2
    )
    assert set(times) == {"bn", "plain"}
    assert all(0 < t["min"] <= t["median"] for t in times.values())
    with pytest.raises(ValueError, match="exceeds the 64 examples"):
        bx.compare_step_times({"bn": model}, tiny.x_train, tiny.y_train, batch_size=16, steps=5)


@pytest.mark.slow
def test_learning_rate_runs_flag_divergence_and_reset(tiny):
    runs = bx.learning_rate_runs(tiny, learning_rates=(1e30, 0.1), norms=(None,), batch_size=16)
    frame = bx.summarize_runs(runs, epochs=1, target=0.5)
    assert list(frame["norm"]) == ["plain", "plain"]
    assert list(frame["diverged_at"].fillna(0)) == [1, 0]
    assert np.isnan(frame["val_accuracy"].iloc[0])
    # After the diverged run the model is reset: the 0.1 run equals one on a fresh model.
    fresh = bx.compile_sgd(bx.build_mlp(None, input_shape=(4, 4, 1)), 0.1)
    curves = bx.train_curves(fresh, tiny, epochs=1, batch_size=16)
    assert frame["val_accuracy"].iloc[1] == curves["val_accuracy"][-1]
    assert runs[("plain", 0.1)]["kernel_norms"] == curves["kernel_norms"]


@pytest.mark.slow
def test_batch_of_one_blocks_the_gradient_before_bn(tiny):
    result = bx.batch1_zero_gradient(tiny)
    assert result["dense_kernel_grad_all_zero"]
    assert result["dense_kernel_grad_max_abs"] == 0.0
    assert result["bn_output_minus_beta_max_abs"] < 1e-4  # Keras' formula rounds in float32


def _curves(val, seconds, norms, diverged_at=None):
    return {
        "val_accuracy": val,
        "epoch_s": seconds,
        "kernel_norms": norms,
        "diverged_at": diverged_at,
    }


def test_weight_norm_ratio_and_seconds_to_target():
    curves = _curves(
        [0.5, 0.9, 0.95], [2.0, 3.0, 4.0], [[1.0, 2.0], [1.5, 2.0], [2.0, 3.0], [3.0, 1.0]]
    )
    assert bx.weight_norm_ratio(curves) == pytest.approx((3.0 + 0.5) / 2)  # last over first
    assert bx.seconds_to_target(curves, 0.9) == 5.0  # epochs 1 and 2
    assert bx.seconds_to_target(curves, 0.99) is None
    with pytest.raises(ValueError, match="before training and after at least one epoch"):
        bx.weight_norm_ratio(_curves([], [], [[1.0]]))


def test_summarize_runs_and_best_learning_rate():
    runs = {
        ("plain", 0.1): _curves([0.8, 0.9], [1.0, 1.0], [[1.0], [1.1], [1.2]]),
        ("plain", 0.5): _curves([0.85, 0.95], [1.0, 2.0], [[1.0], [1.5], [2.0]]),
        ("plain", 1.0): _curves([], [], [[1.0]], diverged_at=1),
        ("batch", 0.1): _curves([0.9, 0.96], [1.5, 1.5], [[1.0], [1.0], [1.0]]),
        ("batch", 0.5): _curves([0.92, 0.96], [1.5, 1.5], [[1.0], [2.0], [4.0]]),
    }
    frame = bx.summarize_runs(runs, epochs=2, target=0.95)
    assert list(frame["val_accuracy"].isna()) == [False, False, True, False, False]
    assert list(frame["epochs_to_target"].fillna(0)) == [0, 2, 0, 2, 2]
    assert str(frame["epochs_to_target"].dtype) == "Int64"  # <NA>: not reached, not 2.0/NaN
    assert frame["seconds_to_target"].iloc[1] == 3.0 and np.isnan(frame["seconds_to_target"][0])
    assert list(frame["diverged_at"].fillna(0)) == [0, 0, 1, 0, 0]
    assert np.isnan(frame["weight_norm_ratio"].iloc[2])
    assert frame["weight_norm_ratio"].iloc[4] == 4.0
    assert bx.best_learning_rate(frame, "plain") == 0.5  # highest final accuracy
    assert bx.best_learning_rate(frame, "batch") == 0.1  # a tie: the smaller rate
    with pytest.raises(ValueError, match="no run of norm 'layer'"):
        bx.best_learning_rate(frame, "layer")


@pytest.mark.slow
def test_train_curves_records_norms_and_stops_quietly_on_divergence(tiny, capfd):
    model = bx.compile_sgd(bx.build_mlp(None, hidden=(8,), input_shape=(4, 4, 1)), 0.1)
    before = bx.kernel_norms(model)
    curves = bx.train_curves(model, tiny, epochs=2, batch_size=16)
    assert len(curves["kernel_norms"]) == 3 and curves["kernel_norms"][0] == before
    assert curves["kernel_norms"][-1] == bx.kernel_norms(model) != before
    assert curves["diverged_at"] is None
    wild = bx.compile_sgd(bx.build_mlp(None, hidden=(8,), input_shape=(4, 4, 1)), 1e30)
    broken = bx.train_curves(wild, tiny, epochs=2, batch_size=16)
    assert broken["diverged_at"] == 1 and broken["val_accuracy"] == broken["epoch_s"] == []
    assert len(broken["kernel_norms"]) == 1
    assert "Invalid loss" not in capfd.readouterr().out
