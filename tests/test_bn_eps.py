"""dlhw.bn_eps: where eps matters (a rarely inked pixel, training with several eps, inference
after batches of one)."""

import numpy as np
import pytest

from dlhw import bn_eps


def _images():
    """200 images of 2 x 2 pixels: pixel 0 inked in 150, pixel 1 in three (0.2, 0.5, 0.1),
    pixel 2 never, pixel 3 in all."""
    x = np.zeros((200, 2, 2), dtype="float32")
    x[:150, 0, 0] = 1.0
    x[[10, 20, 30], 0, 1] = [0.2, 0.5, 0.1]
    x[:, 1, 1] = 0.7
    return x


def test_eps_key_has_no_dots():
    assert bn_eps.eps_key(1e-3) == "eps_1e-03" and bn_eps.eps_key(0.1) == "eps_1e-01"


def test_rare_pixel_batch_picks_the_least_inked_pixel_and_its_brightest_image():
    found = bn_eps.rare_pixel_batch(_images(), batch_size=8)
    assert (found["pixel"], found["inked_images"], found["value"]) == (1, 3, 0.5)
    assert found["batch"].shape == (8, 4)
    assert found["batch"][0, 1] == 0.5 and np.all(found["batch"][1:, 1] == 0)
    with pytest.raises(bn_eps.EpsError, match="no pixel is inked"):
        bn_eps.rare_pixel_batch(np.zeros((5, 2, 2)))
    with pytest.raises(bn_eps.EpsError, match="leave pixel 1 blank"):
        bn_eps.rare_pixel_batch(_images(), batch_size=199)


def test_eps_effect_follows_the_formula_and_shrinks_with_eps():
    batch = bn_eps.rare_pixel_batch(_images(), batch_size=8)["batch"]
    table = bn_eps.eps_effect(batch, 1, (0.0, 1e-3, 1e-1))
    var = 0.25 * 7 / 64  # one value 0.5 among eight: v^2 (N - 1) / N^2
    assert table["batch_variance"].tolist() == pytest.approx([var] * 3)
    for eps, row in table.iterrows():
        assert row["max_abs_normalised"] == pytest.approx((0.5 - 0.5 / 8) / np.sqrt(var + eps))
    assert table.loc[0.0, "max_abs_normalised"] == pytest.approx(np.sqrt(7))  # sqrt(N - 1)
    assert table["max_abs_gradient"].is_monotonic_decreasing
    with pytest.raises(bn_eps.EpsError, match="0 <= feature < D"):
        bn_eps.eps_effect(batch, 4, (1e-3,))


@pytest.mark.slow
def test_eps_training_builds_each_eps(tiny):
    runs = bn_eps.eps_training(tiny, (1e-5, 1e-1), epochs=2, learning_rate=0.1)
    assert list(runs) == [1e-5, 1e-1]
    assert all(len(r["val_accuracy"]) == 2 for r in runs.values())
    assert runs[1e-5]["val_loss"] != runs[1e-1]["val_loss"]


@pytest.mark.slow
def test_after_batches_of_one_eps_sets_the_inference_scale(tiny):
    table = bn_eps.inference_after_tiny_batches(tiny, (1e-3, 1e-1), examples=2000)
    assert table["moving_var_median"].iloc[0] < 1e-6  # 0.99^2000 of its start
    # (x - mean) / sqrt(var + eps) with var ~ 0: the scale goes as 1 / sqrt(eps).
    ratio = table.loc[1e-3, "bn_output_std"] / table.loc[1e-1, "bn_output_std"]
    assert ratio == pytest.approx(10.0, rel=1e-2)
    assert table["val_accuracy"].between(0, 1).all()


def test_eps_metrics_key_every_eps():
    import pandas as pd

    rare = {"pixel": 5, "inked_images": 2, "value": 0.5}
    effect = pd.DataFrame(
        {"batch_variance": [1e-4, 1e-4], "max_abs_normalised": [3.0, 0.3],
         "max_abs_gradient": [2.0, 0.2]}, index=[0.0, 1e-3],
    )  # fmt: skip
    training = {1e-5: {"val_accuracy": [0.9, 0.95]}, 1e-1: {"val_accuracy": [0.8, 0.9]}}
    inference = pd.DataFrame(
        {"moving_var_median": [1e-9, 1e-9], "bn_output_std": [30.0, 3.0],
         "val_accuracy": [0.1, 0.2]}, index=[1e-3, 1e-1],
    )  # fmt: skip
    found = bn_eps.eps_metrics(rare, effect, training, inference)
    assert found["eps_pixel_normalised"] == {"eps_0e+00": 3.0, "eps_1e-03": 0.3}
    assert found["eps_val_accuracy"] == {"eps_1e-05": 0.95, "eps_1e-01": 0.9}
    assert found["eps_inference_std"] == {"eps_1e-03": 30.0, "eps_1e-01": 3.0}
    assert (found["eps_pixel"], found["eps_epochs"], found["eps_pixel_variance"]) == (5, 2, 1e-4)
