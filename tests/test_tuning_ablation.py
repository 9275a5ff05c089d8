"""dlhw.tuning.ablation: the answer's space counted, head against rate, memorisation variants;
and tuning.error_pairs."""

import keras
import numpy as np
import pandas as pd
import pytest

from dlhw import tuning
from dlhw.tuning import ablation

BEST = {  # a small configuration of our space (one conv per block, BN, dense head)
    "convs_per_block": 1,
    "batch_norm": True,
    "conv_dropout": 0.1,
    "filters_1": 16,
    "filters_2": 32,
    "filters_3": 32,
    "head": "dense",
    "dense_units": 32,
    "dense_dropout": 0.2,
    "learning_rate": 1e-3,
    "batch_size": 64,
}


@pytest.fixture(scope="module")
def tiny():
    """64 seeded random 'images' with one-hot labels; search = the first 32."""
    rng = np.random.default_rng(0)
    x = rng.random((64, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 64)]
    return tuning.SearchData(x[:32], y[:32], x[32:48], y[32:48], x, y, x[48:], y[48:])


@pytest.mark.parametrize(("n", "side"), [(1, 26), (2, 11), (3, 9), (4, 2), (5, None)])
def test_conv_stack_side_follows_the_answers_loop(n, side):
    # 28 -conv-> 26 -pool-> 13 -conv-> 11 -conv-> 9 -pool-> 4 -conv-> 2 -pool-> 1 < 3
    assert tuning.conv_stack_side(n) == side


def test_conv_stack_side_agrees_with_the_repaired_hypermodel():
    for n in range(1, 6):
        values = {"num_conv_layers": n, "num_dense_layers": 1}
        if tuning.conv_stack_side(n) is None:
            with pytest.raises(Exception, match="smaller than its 3x3 kernel"):
                tuning.seed_answer_hypermodel(tuning.fixed_hyperparameters(values))
        else:
            model = tuning.seed_answer_hypermodel(tuning.fixed_hyperparameters(values))
            assert model.get_layer(f"conv{n}").output.shape[1] == tuning.conv_stack_side(n)


def test_answer_space_counts_one_fifth_unbuildable():
    counts = tuning.answer_space_counts()
    dense = sum(8**d for d in range(1, 6))
    assert counts["total"] == 5 * 16 * dense * 3
    assert counts["unbuildable"] == 16 * dense * 3
    assert counts["unbuildable_share"] == pytest.approx(0.2)
    assert counts["p_trials_buildable"] == pytest.approx(0.8**10)
    assert counts["unbuildable_depths"] == [5]


def test_answer_space_counts_weighs_each_depth_by_its_configurations():
    space = {**ablation.WRITTEN_SPACE, "num_conv_layers": (1, 5)}
    counts = tuning.answer_space_counts(space, trials=2)
    assert counts["unbuildable_share"] == pytest.approx(0.5)
    assert counts["p_trials_buildable"] == pytest.approx(0.25)


def test_the_written_filter_grid_never_reaches_256():
    grid = ablation.WRITTEN_SPACE["conv1_filters"]
    assert grid[0] == 1 and grid[-1] == 241 and len(grid) == 16 and 225 in grid


def test_head_rate_metrics_reads_cells_and_the_seed_spread():
    rows = [
        ("dense", "fast", 1e-3, 0, 0.98, 1.0),
        ("dense", "slow", 1e-4, 0, 0.90, 1.0),
        ("global_avg", "fast", 1e-3, 0, 0.95, 1.0),
        ("global_avg", "slow", 1e-4, 0, 0.60, 1.0),
        ("dense", "fast", 1e-3, 1, 0.96, 1.0),
        ("dense", "fast", 1e-3, 2, 0.97, 1.0),
    ]
    grid = pd.DataFrame(
        rows, columns=["head", "rate", "learning_rate", "seed", "val_accuracy", "seconds"]
    )
    m = tuning.head_rate_metrics(grid)
    assert m["dense_fast"] == 0.98 and m["global_avg_slow"] == 0.60
    assert m["seed_sd"] == pytest.approx(np.std([0.98, 0.96, 0.97], ddof=1))
    assert m["seeds"] == 3 and m["fast_rate"] == 1e-3 and m["slow_rate"] == 1e-4
    with pytest.raises(tuning.TuningError, match="more than one seed"):
        tuning.head_rate_metrics(grid[grid["seed"] == 0])
    with pytest.raises(tuning.TuningError, match="four head x rate"):
        tuning.head_rate_metrics(grid.iloc[1:])


def test_head_rate_grid_rejects_a_slow_rate_not_below_the_tuned_one(tiny):
    with pytest.raises(tuning.TuningError, match="slow_rate"):
        tuning.head_rate_grid(tuning.CNNHyperModel(), BEST, tiny, slow_rate=1e-3, epochs=1, seeds=2)


@pytest.mark.slow  # trains five small models
def test_head_rate_grid_runs_four_cells_and_the_repeats(tiny):
    grid = tuning.head_rate_grid(
        tuning.CNNHyperModel(), BEST, tiny, slow_rate=1e-4, epochs=1, seeds=2
    )
    assert len(grid) == 5
    assert set(zip(grid["head"], grid["rate"], strict=True)) == {
        ("dense", "fast"), ("dense", "slow"), ("global_avg", "fast"), ("global_avg", "slow")
    }  # fmt: skip
    assert grid.loc[grid["rate"] == "slow", "learning_rate"].eq(1e-4).all()
    assert grid["val_accuracy"].between(0, 1).all()
    assert tuning.head_rate_metrics(grid)["seeds"] == 2


def test_shuffled_labels_permutes_rows_reproducibly():
    y = np.eye(10, dtype="float32")[np.arange(100) % 10]
    a, b = tuning.shuffled_labels(y, 3), tuning.shuffled_labels(y, 3)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a.sum(axis=0), y.sum(axis=0))
    assert (a.argmax(1) != y.argmax(1)).mean() > 0.5
    with pytest.raises(tuning.TuningError, match="one-hot"):
        tuning.shuffled_labels(np.arange(10), 0)


def test_variant_builder_strided_keeps_output_sizes_and_adds_the_stride_convs():
    pooled = tuning.variant_builder(BEST, "final")()
    strided = tuning.variant_builder(BEST, "strided")()
    for b in (1, 2, 3):
        pool = pooled.get_layer(f"block{b}_pool").output.shape
        conv = strided.get_layer(f"block{b}_stride").output.shape
        assert tuple(pool) == tuple(conv)
    extra = sum(4 * c * c + c for c in (16, 32, 32))  # a 2x2 kernel and a bias per channel
    assert strided.count_params() - pooled.count_params() == extra
    assert not any(isinstance(layer, keras.layers.MaxPooling2D) for layer in strided.layers)


def test_variant_builder_no_dropout_sets_every_rate_to_zero():
    model = tuning.variant_builder(BEST, "no_dropout")()
    rates = [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)]
    assert rates == [0.0] * 4
    final = tuning.variant_builder(BEST, "final")()
    assert [
        la.rate for la in final.layers if isinstance(la, keras.layers.Dropout)
    ] == pytest.approx([0.1, 0.1, 0.1, 0.2])
    with pytest.raises(tuning.TuningError, match="unknown variant"):
        tuning.variant_builder(BEST, "dropout")


def test_downsample_must_be_known():
    with pytest.raises(tuning.TuningError, match="downsample"):
        tuning.CNNHyperModel(downsample="avg")


def _small_dense():
    return keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")]
    )


@pytest.mark.slow  # trains two tiny models
def test_memorisation_reports_accuracies_gap_and_the_shuffled_fit(tiny):
    result = tuning.memorisation(
        _small_dense, tiny, epochs=1, shuffled_images=16, shuffled_epochs=30, seed=0
    )
    assert result["params"] == 784 * 10 + 10
    assert result["gap"] == pytest.approx(result["train_accuracy"] - result["val_accuracy"])
    # 7,850 weights fit 16 random labels of random images within 30 epochs
    assert result["shuffled_fit"] > 0.5


def test_memorisation_rejects_more_shuffled_images_than_the_search_has(tiny):
    with pytest.raises(tuning.TuningError, match="exceeds the 32 search images"):
        tuning.memorisation(_small_dense, tiny, epochs=1, shuffled_images=33, shuffled_epochs=1)


def test_error_pairs_counts_the_most_frequent_mistakes():
    y_true = np.array([9, 9, 9, 5, 5, 7, 1, 1])
    y_pred = np.array([4, 4, 7, 3, 3, 2, 1, 1])
    table = tuning.error_pairs(y_true, y_pred, top=3)
    assert table[["true", "predicted", "count"]].values.tolist() == [
        [5, 3, 2],
        [9, 4, 2],
        [7, 2, 1],
    ]
    assert table["share_of_errors"].tolist() == pytest.approx([2 / 6, 2 / 6, 1 / 6])
    with pytest.raises(tuning.TuningError, match="label vectors"):
        tuning.error_pairs(y_true, y_pred[:-1])
