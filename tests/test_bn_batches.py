"""dlhw.bn_batches: Q6 (d)'s batch-size sweep, its training-mode loss and the gap between BN's
training and inference modes."""

import numpy as np
import pytest

from dlhw import bn_batches


def test_window_means_undo_the_running_mean():
    losses = np.array([4.0, 2.0, 3.0, 1.0, 1.0, 0.5])
    steps = [2, 3, 6]
    running = [losses[:n].mean() for n in steps]
    np.testing.assert_allclose(bn_batches.window_means(steps, running), [3.0, 3.0, 2.5 / 3])
    with pytest.raises(ValueError, match="increasing"):
        bn_batches.window_means([2, 2], [1.0, 1.0])
    with pytest.raises(ValueError, match="equal-length"):
        bn_batches.window_means([1, 2], [1.0])


def test_start_and_end_take_the_first_and_last_tenth():
    losses = np.concatenate([np.full(10, 5.0), np.full(80, 2.0), np.full(10, 1.0)])
    steps = list(range(10, 101, 10))
    running = [losses[:n].mean() for n in steps]
    assert bn_batches.start_and_end(steps, running) == (5.0, pytest.approx(1.0))
    # Few reports: the first report, and the window after the last one.
    assert bn_batches.start_and_end([50, 100], [losses[:50].mean(), losses.mean()]) == (
        pytest.approx(losses[:50].mean()),
        pytest.approx(losses[50:].mean()),
    )


@pytest.mark.slow
def test_batch_size_sweep_counts_steps(tiny):
    frame = bn_batches.batch_size_sweep(tiny, batch_sizes=(1, 16), norms=("batch",), examples=32)
    assert list(frame["steps"]) == [32, 2]
    # The sweep resets one model between batch sizes: the same result as a fresh model.
    fresh = bn_batches.train_fixed_examples("batch", tiny, batch_size=16, examples=32)
    assert fresh["val_accuracy"] == frame["val_accuracy"].iloc[1]
    assert fresh["train_loss"] == frame["train_loss"].iloc[1]
    assert frame["val_accuracy"].between(0, 1).all()
    with pytest.raises(ValueError, match="batch_size <= examples"):
        bn_batches.train_fixed_examples("batch", tiny, batch_size=64, examples=32)


@pytest.mark.slow
def test_moving_variance_decays_with_batches_of_one(tiny):
    frame = bn_batches.batch_size_sweep(
        tiny, batch_sizes=(1, 16), norms=("batch", "layer"), examples=32
    )
    one = frame[(frame["norm"] == "batch") & (frame["batch_size"] == 1)].iloc[0]
    assert one["moving_var_max"] == pytest.approx(0.99**32, rel=1e-4)  # 32 batch variances of 0
    sixteen = frame[(frame["norm"] == "batch") & (frame["batch_size"] == 16)].iloc[0]
    assert sixteen["moving_var_max"] > 0.99**2 * 1.0 * 0.99  # 2 steps from 1: barely moved
    assert frame[frame["norm"] == "layer"]["moving_var_max"].isna().all()


@pytest.mark.slow
def test_sweep_records_the_loss_curve_and_the_mode_gap(tiny):
    frame = bn_batches.batch_size_sweep(
        tiny, batch_sizes=(1, 8), norms=("batch", "layer"), examples=1600
    )
    bn8 = frame[(frame["norm"] == "batch") & (frame["batch_size"] == 8)].iloc[0]
    assert bn8["loss_curve"][-1][0] == bn8["steps"] == 200  # 20 reports, every 10 steps
    assert bn8["loss_end"] < bn8["loss_start"]  # a learnable task: the loss falls
    assert bn8["mode_gap"] == pytest.approx(bn8["val_accuracy"] - bn8["val_accuracy_train_mode"])
    # A batch of one in training mode outputs beta: every image gets the same prediction.
    bn1 = frame[(frame["norm"] == "batch") & (frame["batch_size"] == 1)].iloc[0]
    shares = np.bincount(tiny.y_val, minlength=3) / len(tiny.y_val)
    assert any(bn1["val_accuracy_train_mode"] == pytest.approx(s) for s in shares)
    assert frame[frame["norm"] == "layer"]["val_accuracy_train_mode"].isna().all()
    fig = bn_batches.plot_loss_curves(frame, title="t")
    assert len(fig.axes[0].lines) == 2


def test_bn_sweep_metrics_read_the_bn_rows():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "norm": ["batch", "batch", "layer"],
            "batch_size": [2, 128, 2],
            "loss_start": [2.0, 2.0, 2.0],
            "loss_end": [0.5, 1.0, 0.1],
            "mode_gap": [-0.2, 0.0, np.nan],
        }
    )
    found = bn_batches.bn_sweep_metrics(frame)
    assert found == {
        "sweep_loss_ratio": {"b2": 0.25, "b128": 0.5},
        "sweep_mode_gap": {"b2": -0.2, "b128": 0.0},
    }
    with pytest.raises(ValueError, match="no BN"):
        bn_batches.bn_sweep_metrics(frame[frame["norm"] == "layer"])
