"""dlhw.sequence_models: parameter formulas vs Keras, length independence, latency helpers."""

import keras
import numpy as np
import pytest

from dlhw import profiles, sequence_models as sm


@pytest.mark.parametrize(
    "layer, d, formula",
    [
        (lambda: keras.layers.SimpleRNN(7), 5, sm.simple_rnn_params(5, 7)),
        (lambda: keras.layers.LSTM(7), 5, sm.lstm_params(5, 7)),
        (lambda: keras.layers.GRU(7), 5, sm.gru_params(5, 7)),
        (lambda: keras.layers.GRU(7, reset_after=False), 5, sm.gru_params(5, 7, reset_after=False)),
        (lambda: keras.layers.Conv1D(7, 3), 5, sm.conv_params(3, 5, 7)),
        (lambda: keras.layers.Dense(7), 5, sm.dense_params(5, 7)),
    ],
)
def test_formulas_match_count_params(layer, d, formula):
    built = layer()
    built.build((None, 9, d))
    assert built.count_params() == formula


def test_conv2d_formula():
    layer = keras.layers.Conv2D(8, (3, 5))
    layer.build((None, 12, 12, 2))
    assert layer.count_params() == sm.conv_params((3, 5), 2, 8) == 3 * 5 * 2 * 8 + 8


def test_known_values():
    assert sm.lstm_params(28, 64) == 4 * (64 * (64 + 28) + 64) == 23808
    assert sm.gru_params(28, 64) == 3 * (64 * 92 + 128)


@pytest.mark.parametrize("kind", sm.MODEL_KINDS)
def test_models_match_formula_and_ignore_length(kind):
    counts = sm.params_by_length(kind, [28, 64, 200], units=16)
    assert set(counts.values()) == {sm.formula_params(kind, units=16)}
    model = sm.build_model(kind, units=16)
    assert model.output_shape == (None, 10)


def test_flatten_head_depends_on_length():
    """The contrast that makes the check meaningful: a Flatten head grows with the length."""
    grown = sm.flatten_head_params(20, units=3, features=4) - sm.flatten_head_params(
        10, units=3, features=4
    )
    assert grown == 3 * 10 * 10  # units x extra steps x classes


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "transformer"}, "kind must be one of"),
        ({"kind": "lstm", "units": 0}, "units must be a positive integer"),
        ({"kind": "lstm", "steps": -3}, "steps must be a positive integer"),
    ],
)
def test_build_model_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sm.build_model(**kwargs)


def test_sweep_lengths():
    assert sm.sweep_lengths(1024) == [16, 32, 64, 128, 256, 512, 1024]
    assert sm.sweep_lengths(100) == [16, 32, 64]
    with pytest.raises(ValueError, match="max_length must be at least 16"):
        sm.sweep_lengths(8)


def test_loglog_slope_recovers_power_law():
    lengths = np.array([16, 32, 64, 128])
    assert sm.loglog_slope(lengths, 3e-4 * lengths**0.5) == pytest.approx(0.5)
    assert sm.loglog_slope(lengths, np.full(4, 2e-3)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        sm.loglog_slope(lengths, [1.0, 0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="at least two"):
        sm.loglog_slope([16], [1.0])


@pytest.mark.parametrize("kind", ["conv1d", "lstm"])
def test_forward_latency_shapes_and_positive_times(kind):
    model = sm.latency_layer(kind, width=4, features=3)
    assert model(np.zeros((2, 10, 3), "float32")).shape == (2, 10, 4)
    found = sm.forward_latency(model, [8, 16], batch=2, features=3, repeats=2)
    assert list(found) == [8, 16] and all(t > 0 for t in found.values())


def test_train_step_time_keeps_positions_and_really_trains():
    model = sm.latency_layer("lstm", width=4, features=3)
    before = [w.copy() for w in model.get_weights()]
    found = sm.train_step_time(model, [4, 8], positions=16, features=3, repeats=2)
    assert list(found) == [4, 8] and all(t > 0 for t in found.values())
    # every step updated every weight (forward, backward and an SGD update, not a forward pass)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    with pytest.raises(ValueError, match="multiple of every length; 3 is not"):
        sm.train_step_time(model, [4, 3], positions=16, features=3)


def test_macs_per_position_are_the_layers_weights_without_biases():
    """One position multiplies every weight once (Conv1D: its kernel; LSTM: W and U)."""
    for kind, biases in (("conv1d", 64), ("lstm", 4 * 64)):
        layer = sm.latency_layer(kind, width=64, features=64)
        assert sm.macs_per_position(kind, width=64, features=64) == layer.count_params() - biases
    assert sm.macs_per_position("lstm") / sm.macs_per_position("conv1d") == 32768 / 12288
    with pytest.raises(ValueError, match="'conv1d' or 'lstm'"):
        sm.macs_per_position("gru")


def test_receptive_field_by_formula_and_by_gradient():
    assert sm.receptive_field(sm.build_model("cnn2d")) == 18  # 3, 4, 8, 10, 18
    assert sm.receptive_field(sm.build_model("cnn2d_deep")) == 38  # ... 18, 22, 38 >= 28
    assert sm.receptive_field(sm.build_model("conv1d")) == 18  # along time; rows are whole
    # independently: the input rows one output feature depends on (linear layers, average
    # pooling, so that no gradient is zeroed on the way)
    import tensorflow as tf

    layers = keras.layers
    model = keras.Sequential(
        [
            keras.Input((40, 40, 1)),
            layers.Conv2D(2, 3, padding="same"),
            layers.AveragePooling2D(2),
            layers.Conv2D(2, 3, padding="same"),
            layers.AveragePooling2D(2),
            layers.Conv2D(2, 3, padding="same"),
        ]
    )
    x = tf.Variable(np.random.default_rng(0).random((1, 40, 40, 1), dtype=np.float32))
    with tf.GradientTape() as tape:
        out = model(x)[0, 5, 5, 0]
    rows = np.flatnonzero(np.abs(tape.gradient(out, x).numpy()[0, :, :, 0]).sum(axis=1))
    assert rows.max() - rows.min() + 1 == sm.receptive_field(model) == 18


def test_latency_layer_rejects_unknown_kind():
    with pytest.raises(ValueError, match="'conv1d' or 'lstm'"):
        sm.latency_layer("gru")


def test_sequential_mnist_shapes():
    splits = sm.sequential_mnist(profiles.get("smoke"), seed=0)
    assert splits.x_train.shape[1:] == (28, 28) and splits.x_train.dtype == np.float32
    assert len(splits.x_test) == profiles.get("smoke").mnist_test


def _tiny_splits():
    """64 random (28, 28) sequences with random labels, split like `sequential_mnist`'s."""
    rng = np.random.default_rng(0)

    class Tiny:
        x_train = rng.random((64, 28, 28), dtype=np.float32)
        y_train = rng.integers(0, 10, 64)
        x_val, y_val = x_train[:16], y_train[:16]
        x_test, y_test = x_train[:32], y_train[:32]

    return Tiny


@pytest.mark.slow
def test_train_classifier_runs_and_reports(capsys):
    Tiny = _tiny_splits()
    result = sm.train_classifier(sm.build_model("gru", units=4), Tiny, epochs=2, batch_size=32)
    assert len(result.epoch_seconds) == 2 and result.seconds_per_epoch > 0
    assert 0.0 <= result.test_accuracy <= 1.0
    assert result.params == sm.formula_params("gru", units=4)
    assert capsys.readouterr().out.count("gru epoch") == 2
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        sm.train_classifier(sm.build_model("gru", units=4), Tiny, epochs=0)


@pytest.mark.slow
def test_train_classifier_learns_a_separable_sequence_task():
    """The class is written in the last row of the sequence: a trained GRU must read it."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 10, 256)
    x = rng.random((256, 28, 28), dtype=np.float32) * 0.1
    x[np.arange(256), -1, y] = 1.0

    class Separable:
        x_train, y_train = x[:192], y[:192]
        x_val, y_val = x[192:], y[192:]
        x_test, y_test = x[192:], y[192:]

    keras.utils.set_random_seed(0)
    model = sm.build_model("gru", units=16)
    result = sm.train_classifier(model, Separable, epochs=15, batch_size=32, learning_rate=1e-2,
                                 verbose=False)  # fmt: skip
    assert result.test_accuracy > 0.8  # chance is 0.1


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_digit_trace_replays_the_model(kind):
    keras.utils.set_random_seed(0)
    model = sm.build_model(kind, units=6)
    image = np.random.default_rng(0).random((28, 28), dtype=np.float32)
    trace = sm.digit_trace(model, image)
    assert trace["hs"].shape == (28, 6)
    assert trace["probabilities"].shape == (28, 10)
    np.testing.assert_allclose(trace["probabilities"].sum(axis=1), 1.0)
    assert trace["max_abs_diff_logits"] < 1e-5
    with pytest.raises(ValueError, match="model must come from"):
        sm.digit_trace(sm.build_model("conv1d", units=8), image)


def test_pooling_first_moves_only_the_poolings():
    between, first = sm.build_model("cnn2d"), sm.build_model("cnn2d", pooling="first")
    assert between.count_params() == first.count_params() == sm.formula_params("cnn2d")
    assert [w.shape for w in between.weights] == [w.shape for w in first.weights]
    assert sm.receptive_field(between) == 18 and sm.receptive_field(first) == 28  # 2,4,12,20,28
    convs = [layer for layer in first.layers if layer.name.startswith("conv")]
    assert {tuple(c.output.shape[1:3]) for c in convs} == {(7, 7)}  # every map 7 x 7
    assert [layer.name for layer in first.layers][2:4] == ["pool1", "pool2"]
    with pytest.raises(ValueError, match="pooling must be one of"):
        sm.build_model("cnn2d", pooling="last")


@pytest.mark.slow
def test_train_seeds_fixes_each_run_by_its_seed():
    Tiny = _tiny_splits()
    args = {"epochs": 1, "verbose": False, "kind": "cnn2d", "units": 8, "pooling": "first"}
    runs = sm.train_seeds(Tiny, (3, 4, 3), **args)
    assert set(runs) == {3, 4}  # a repeated seed is the same run
    again = sm.train_seeds(Tiny, (3,), **args)[3]
    assert again.history["loss"] == runs[3].history["loss"]
    assert runs[4].history["loss"] != runs[3].history["loss"]
