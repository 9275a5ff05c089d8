"""dlhw.bn_seeds: the chosen Q6 runs repeated over seeds, and the largest stable rate."""

import numpy as np
import pandas as pd
import pytest

from dlhw import bn_seeds


def _curves(val, seconds, diverged_at=None):
    return {"val_accuracy": val, "epoch_s": seconds, "diverged_at": diverged_at}


def test_largest_stable_rate_and_the_grid_top():
    frame = pd.DataFrame(
        {
            "norm": ["plain", "plain", "plain", "batch", "batch"],
            "learning_rate": [0.1, 0.5, 1.0, 0.1, 1.0],
            "val_accuracy": [0.9, 0.95, np.nan, 0.9, 0.96],
        }
    )
    assert bn_seeds.largest_stable_rate(frame, "plain") == {"rate": 0.5, "grid_top": False}
    assert bn_seeds.largest_stable_rate(frame, "batch") == {"rate": 1.0, "grid_top": True}
    with pytest.raises(bn_seeds.SeedsError, match="no run of norm 'layer'"):
        bn_seeds.largest_stable_rate(frame, "layer")


def test_seed_summary_censors_a_seed_that_misses_the_target():
    runs = {
        "bn": {
            0: _curves([0.97, 0.98, 0.99], [2.0, 2.0, 2.0]),
            1: _curves([0.90, 0.97, 0.99], [2.0, 3.0, 2.0]),
        },
        "plain": {
            0: _curves([0.90, 0.95, 0.96], [1.0, 1.0, 1.0]),  # never reaches 0.97: 4 epochs
            1: _curves([0.90, 0.95, 0.97], [1.0, 1.0, 1.0]),
            2: _curves([0.90], [1.0], diverged_at=2),
        },
    }
    found = bn_seeds.seed_summary(runs, target=0.97, epochs=3)
    assert found["seed_epochs_mean"]["bn"] == 1.5
    assert found["seed_epochs_std"]["bn"] == pytest.approx(np.std([1, 2], ddof=1))
    assert found["seed_seconds_mean"]["bn"] == pytest.approx((2.0 + 5.0) / 2)
    assert found["seed_reached"] == {"bn": 2, "plain": 1}
    assert found["seed_epochs_mean"]["plain"] == pytest.approx((4 + 3 + 4) / 3)
    assert found["seed_seconds_mean"]["plain"] == pytest.approx((3.0 + 3.0 + 1.0) / 3)
    assert np.isnan(found["seed_final_mean"]["plain"])  # a diverged seed has no final accuracy
    assert found["seed_final_mean"]["bn"] == pytest.approx(0.99)
    assert bn_seeds.spread(found, "epochs", ["bn", "plain"]) == pytest.approx(
        max(np.std([1, 2], ddof=1), np.std([4, 3, 4], ddof=1))
    )
    with pytest.raises(bn_seeds.SeedsError, match="'x' has no runs"):
        bn_seeds.seed_summary({"x": {}}, target=0.9, epochs=1)


@pytest.mark.slow
def test_repeat_runs_reuse_the_grid_for_its_seed(tiny, capsys):
    grid = {("plain", 0.1): _curves([0.5], [1.0])}
    runs = bn_seeds.repeat_runs(tiny, {"plain": ("plain", 0.1)}, [0, 1, 1], epochs=1, grid=grid)
    assert runs["plain"][0] is grid[("plain", 0.1)] and list(runs["plain"]) == [0, 1]
    assert len(runs["plain"][1]["val_accuracy"]) == 1
    assert "plain (lr 0.1), seed 1: done" in capsys.readouterr().out
    with pytest.raises(bn_seeds.SeedsError, match="'plain' or 'batch'"):
        bn_seeds.repeat_runs(tiny, {"x": ("layer", 0.1)}, [1], epochs=1)


def test_seed_metrics_margins_and_equal_rate_growth():
    summary = {
        "seed_epochs_std": {"plain": 1.0, "bn_best": 0.5, "bn_plain_rate": 2.0},
        "seed_seconds_std": {"plain": 3.0, "bn_best": 4.0, "bn_plain_rate": 9.0},
    }
    found = bn_seeds.seed_metrics(summary, 3)
    assert (found["seed_count"], found["seed_epochs_spread"]) == (3, 1.0)
    assert (found["seed_seconds_spread"], found["seed_equal_spread"]) == (4.0, 2.0)
    runs = {
        "plain": {0: {"kernel_norms": [[1.0, 1.0], [2.0, 2.0]]}},
        "bn_plain_rate": {0: {"kernel_norms": [[1.0, 1.0], [1.5, 3.0]]}},
    }
    assert bn_seeds.equal_rate_growth(runs, 0.5) == (1, 1)  # one kernel feeds a BN; it grew less
