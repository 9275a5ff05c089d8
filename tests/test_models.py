"""dlhw.models: the answer's CNN, layer by layer (130,890 parameters)."""

import numpy as np
import pytest

from dlhw import models
from dlhw.repro import seed_everything


@pytest.fixture(scope="module")
def cnn():
    seed_everything(0)
    return models.build_answer_cnn()


def test_parameter_count_matches_the_answer(cnn):
    assert cnn.count_params() == models.ANSWER_CNN_PARAMS == 130_890


def test_layers_shapes_and_names(cnn):
    expected = [
        ("conv1", (None, 28, 28, 32), 320),
        ("pool1", (None, 14, 14, 32), 0),
        ("conv2", (None, 14, 14, 64), 18_496),
        ("pool2", (None, 7, 7, 64), 0),
        ("conv3", (None, 7, 7, 64), 36_928),
        ("pool3", (None, 3, 3, 64), 0),
        ("flatten", (None, 576), 0),
        ("dense", (None, 128), 73_856),
        ("probabilities", (None, 10), 1_290),
    ]
    got = [(la.name, tuple(la.output.shape), la.count_params()) for la in cnn.layers]
    assert got == expected
    assert cnn.layers[-1].activation.__name__ == "softmax"
    assert tuple(cnn.inputs[0].shape) == (None, 28, 28, 1)


def test_compiled_as_in_the_answer(cnn):
    assert type(cnn.optimizer).__name__ == "Adam"
    assert cnn.loss == "categorical_crossentropy"
    assert not models.build_answer_cnn(compile=False).compiled


def test_outputs_are_probabilities(cnn):
    x = np.random.default_rng(0).random((3, 28, 28, 1)).astype("float32")
    p = cnn.predict(x, verbose=0)
    assert p.shape == (3, 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-5)


def test_seeded_builds_are_identical():
    seed_everything(7)
    a = models.build_answer_cnn(compile=False).get_weights()
    seed_everything(7)
    b = models.build_answer_cnn(compile=False).get_weights()
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
