"""dlhw.repro: two seeded trainings give bit-identical weights."""

import numpy as np
import pytest

from dlhw.repro import seed_everything


def _train_once(seed):
    import keras

    seed_everything(seed, deterministic_ops=False)  # the `deterministic` fixture switches it
    x = np.random.rand(64, 8, 8, 1).astype("float32")
    y = np.random.randint(0, 3, 64)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.3),
            keras.layers.Dense(3),
        ]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    return model.get_weights()


@pytest.mark.slow  # trains a model
def test_seeded_trainings_are_identical(deterministic):
    first, second = _train_once(3), _train_once(3)
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    other = _train_once(4)
    assert not all(np.array_equal(a, b) for a, b in zip(first, other, strict=True))


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_bad_seed(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        seed_everything(bad)


def _op_determinism() -> bool:
    from tensorflow.python.framework import config  # the public API has no getter

    return config.is_op_determinism_enabled()


def test_op_determinism_is_off_unless_a_test_asks_for_it():
    """Whatever ran before (seeding switches it on), each test starts with it off."""
    assert not _op_determinism()
    seed_everything(5)  # switches it on, for the rest of this test only
    assert _op_determinism()


def test_seeding_can_leave_op_determinism_alone():
    seed_everything(5, deterministic_ops=False)
    assert not _op_determinism()


def test_deterministic_fixture_switches_op_determinism_on(deterministic):
    assert _op_determinism()
