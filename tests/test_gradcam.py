"""dlhw.gradcam: against tf-keras-vis, known answers, every input error, sanity/deletion helpers.

Models are tiny (8x8 inputs) and seeded; the final Dense kernel is scaled up so that the maps
are of order 1 and an absolute tolerance of 1e-4 means something.
"""

import warnings

import keras
import numpy as np
import pytest
from keras import layers

from dlhw import gradcam
from dlhw.gradcam import GradCamError
from dlhw.repro import seed_everything

SHAPE = (8, 8, 1)


def small_layers():
    return [
        layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1"),
        layers.MaxPooling2D(2, name="pool1"),
        layers.Conv2D(6, 3, padding="same", activation="relu", name="conv2"),
        layers.Flatten(name="flatten"),
        layers.Dense(5, activation="softmax", name="out"),
    ]


def sharpen(model, factor=30.0):
    """Scale the last kernel so that logits (and maps) are of order 1."""
    kernel = model.get_layer("out").kernel
    kernel.assign(kernel * factor)
    return model


@pytest.fixture(scope="module")
def model():
    seed_everything(1)
    return sharpen(keras.Sequential([keras.Input(SHAPE), *small_layers()], name="small"))


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((6, *SHAPE)).astype("float32")


def functional_twin(model):
    """A functional model sharing `model`'s layers (and so its weights)."""
    return keras.Model(model.inputs, model.outputs)


# --------------------------------------------------------------------- reference: tf-keras-vis


def reference_maps(model, images, classes, layer, plus=False):
    """tf-keras-vis 0.8.7 raw maps with a linear head.

    Shim: its ReplaceToLinear reads `model.output_names`, which Keras 3 functional models have
    and Sequential models lack; wrapping a Sequential in a functional model that shares its
    layers supplies it. Nothing else is changed: tf-keras-vis clones the model, replaces the
    output activation by `linear` on the clone, and computes Grad-CAM its own way.
    """
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
    from tf_keras_vis.utils.scores import CategoricalScore

    if isinstance(model, keras.Sequential):
        model = functional_twin(model)
    cam = Gradcam(model, model_modifier=ReplaceToLinear(), clone=True)
    out = cam(
        CategoricalScore([int(c) for c in classes]),
        images,
        penultimate_layer=layer,
        normalize_cam=False,
        expand_cam=False,
    )
    return np.asarray(out)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_matches_tf_keras_vis_raw_maps(model, images, kind):
    target = model if kind == "sequential" else functional_twin(model)
    ours, classes = gradcam.GradCam(target).explain(images, normalize=False)
    theirs = reference_maps(target, images, classes, "conv2")
    assert ours.shape == theirs.shape == (6, 4, 4)
    assert ours.max() > 0.1  # maps of order 1, so the tolerance below is meaningful
    assert np.abs(ours - theirs).max() < 1e-4


def test_matches_tf_keras_vis_for_given_classes_and_other_layer(model, images):
    classes = np.array([0, 1, 2, 3, 4, 0])
    ours = gradcam.grad_cam(model, images, classes, layer="conv1", normalize=False)
    theirs = reference_maps(model, images, classes, "conv1")
    assert ours.shape == (6, 8, 8)
    assert np.abs(ours - theirs).max() < 1e-4


def test_score_is_the_logit_not_the_softmax(model, images):
    """The softmax score (tf-keras-vis without ReplaceToLinear) gives different maps."""
    from tf_keras_vis.gradcam import Gradcam
    from tf_keras_vis.utils.scores import CategoricalScore

    ours, classes = gradcam.GradCam(model).explain(images, normalize=False)
    softmax_maps = Gradcam(functional_twin(model))(
        CategoricalScore(classes.tolist()),
        images,
        penultimate_layer="conv2",
        normalize_cam=False,
        expand_cam=False,
    )
    assert np.abs(ours - np.asarray(softmax_maps)).max() > 1e-2


def test_answer_function_agrees_on_a_linear_output(images):
    """With a linear output layer the answer's score is the logit too: same normalised maps."""
    seed_everything(2)
    body = small_layers()[:-1]
    linear = sharpen(keras.Sequential([keras.Input(SHAPE), *body, layers.Dense(5, name="out")]))
    ours, classes = gradcam.GradCam(linear).explain(images)
    for i in range(len(images)):
        theirs = gradcam.answer_grad_cam(linear, images[i], int(classes[i]), "conv2")
        assert theirs.shape == (1, 4, 4)  # the answer's map keeps its batch axis
        np.testing.assert_allclose(ours[i], theirs[0], atol=1e-5)


# --------------------------------------------------------------------- the model is left alone


def test_user_model_is_not_modified(model, images):
    before = model.predict(images, verbose=0)
    weights = [w.copy() for w in model.get_weights()]
    gradcam.grad_cam(model, images)
    assert model.layers[-1].activation.__name__ == "softmax"
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))
    np.testing.assert_array_equal(model.predict(images, verbose=0), before)


def test_view_shares_weights_with_the_model(images):
    seed_everything(3)
    m = sharpen(keras.Sequential([keras.Input(SHAPE), *small_layers()]))
    explainer = gradcam.GradCam(m)
    before = explainer(images, 0, normalize=False)
    m.get_layer("out").kernel.assign(-m.get_layer("out").kernel)  # e.g. further training
    after = explainer(images, 0, normalize=False)
    np.testing.assert_allclose(after, gradcam.grad_cam(m, images, 0, normalize=False), atol=1e-6)
    assert not np.allclose(before, after)


def test_logits_match_the_model_before_its_softmax(model, images):
    from scipy.special import softmax

    logits = gradcam.GradCam(model).logits(images)
    np.testing.assert_allclose(
        softmax(logits, axis=1), model.predict(images, verbose=0), rtol=1e-5, atol=1e-6
    )


# --------------------------------------------------------------------- Sequential models on Keras 3


def test_sequential_built_with_input_shape_never_called(images):
    """The answer's style: `input_shape=` on the first layer; Keras 3's `model.output` raises."""
    seed_everything(4)
    with pytest.warns(UserWarning, match="input_shape"):  # discouraged by Keras 3, accepted
        first = layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=SHAPE)
        m = keras.Sequential([first, layers.Flatten(), layers.Dense(3, activation="softmax")])
    with pytest.raises(AttributeError, match="never been called"):
        _ = m.output
    ours = gradcam.grad_cam(m, images, normalize=False)
    theirs = gradcam.grad_cam(functional_twin(m), images, normalize=False)
    assert ours.shape == (6, 8, 8)
    np.testing.assert_allclose(ours, theirs, atol=1e-6)


def test_sequential_built_by_a_call_with_batch_one(images):
    """Calling a Sequential on one image fixes its input batch to 1; we explain any batch."""
    seed_everything(5)
    m = keras.Sequential(small_layers())
    m(images[:1])
    sharpen(m)
    assert tuple(m.inputs[0].shape) == (1, *SHAPE)
    assert gradcam.grad_cam(m, images).shape == (6, 4, 4)


def test_sequential_never_built_is_a_clear_error(images):
    m = keras.Sequential(small_layers())
    with pytest.raises(GradCamError, match=r"never built.*keras\.Input"):
        gradcam.grad_cam(m, images)


# --------------------------------------------------------------------- layers


def test_default_layer_is_the_last_conv(model):
    assert gradcam.GradCam(model).layer == "conv2"
    assert gradcam.spatial_layer_names(model) == ["conv1", "pool1", "conv2"]


def test_a_pooling_layer_can_be_explained(model, images):
    assert gradcam.grad_cam(model, images, layer="pool1").shape == (6, 4, 4)


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ("conv9", r"'conv9' is not in the model; usable layers: \['conv1', 'pool1', 'conv2'\]"),
        ("flatten", r"'flatten' has output shape \(None, 96\).*usable layers: \['conv1'"),
        ("out", r"not a 4-D.*usable layers"),
        (3, "layer must be a layer name"),
    ],
)
def test_bad_layer(model, images, layer, message):
    with pytest.raises(GradCamError, match=message):
        gradcam.grad_cam(model, images, layer=layer)


def test_model_without_spatial_layer():
    m = keras.Sequential([keras.Input((4,)), layers.Dense(3, name="d")])
    with pytest.raises(GradCamError, match="no layer with a 4-D"):
        gradcam.GradCam(m)


def test_unsupported_last_layer():
    m = keras.Sequential([keras.Input(SHAPE), layers.Conv2D(2, 3), layers.GlobalMaxPooling2D()])
    with pytest.raises(GradCamError, match=r"last layer .* GlobalMaxPooling2D; expected a Dense"):
        gradcam.GradCam(m)


def test_separate_softmax_layer_reads_its_input_as_logits(images):
    seed_everything(6)
    body = small_layers()[:-1] + [layers.Dense(5, name="out")]
    split = sharpen(keras.Sequential([keras.Input(SHAPE), *body, layers.Softmax(name="sm")]))
    fused = keras.Sequential([keras.Input(SHAPE), *small_layers()])
    fused.set_weights(split.get_weights())
    np.testing.assert_allclose(
        gradcam.grad_cam(split, images, normalize=False),
        gradcam.grad_cam(fused, images, normalize=False),
        atol=1e-6,
    )


def test_not_a_model():
    with pytest.raises(GradCamError, match="model must be a keras.Model, got Conv2D"):
        gradcam.GradCam(layers.Conv2D(2, 3))


# --------------------------------------------------------------------- images, classes, method


def test_accepted_image_shapes_give_the_same_maps(model, images):
    batch = gradcam.grad_cam(model, images)
    np.testing.assert_allclose(gradcam.grad_cam(model, images[..., 0]), batch, atol=1e-6)
    np.testing.assert_allclose(gradcam.grad_cam(model, images[0]), batch[:1], atol=1e-6)
    np.testing.assert_allclose(gradcam.grad_cam(model, images[0, ..., 0]), batch[:1], atol=1e-6)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (np.zeros((7, 8)), r"images has shape \(7, 8\); this model's input needs \(8, 8, 1\)"),
        (np.zeros((8, 8, 3)), r"shape \(8, 8, 3\)"),
        (np.zeros((2, 8, 8, 2)), r"\(2, 8, 8, 2\).*or a batch"),
        (np.zeros((2, 2, 8, 8, 1)), r"\(2, 2, 8, 8, 1\)"),
        (np.zeros((0, 8, 8, 1)), "empty batch"),
        (np.full((8, 8), np.nan), "NaN or infinite"),
        (np.array([["a"] * 8] * 8), "must be numeric"),
    ],
)
def test_bad_images(model, bad, message):
    with pytest.raises(GradCamError, match=message):
        gradcam.grad_cam(model, bad)


@pytest.mark.parametrize(
    ("class_index", "message"),
    [
        (5, r"class_index 5 is out of range: the model has 5 classes, so use 0\.\.4"),
        (-1, "class_index -1 is out of range"),
        ([0, 1, 2], "class_index has 3 entries for 6 images"),
        (1.5, "class_index must be None, an integer"),
        ([[0] * 6], "class_index must be None, an integer"),
    ],
)
def test_bad_class_index(model, images, class_index, message):
    with pytest.raises(GradCamError, match=message):
        gradcam.grad_cam(model, images, class_index)


def test_class_index_none_means_predicted(model, images):
    predicted = model.predict(images, verbose=0).argmax(axis=1)
    maps, used = gradcam.GradCam(model).explain(images)
    np.testing.assert_array_equal(used, predicted)
    np.testing.assert_allclose(maps, gradcam.grad_cam(model, images, predicted), atol=1e-6)


def test_one_class_for_all_images(model, images):
    one = gradcam.grad_cam(model, images, 3)
    np.testing.assert_allclose(one, gradcam.grad_cam(model, images, [3] * 6), atol=1e-6)


@pytest.mark.parametrize("bad", ["gradcam+", "GradCAM", None])
def test_bad_method(model, images, bad):
    with pytest.raises(GradCamError, match=r"method must be one of \['gradcam', 'gradcam\+\+'\]"):
        gradcam.grad_cam(model, images, method=bad)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_bad_batch_size(model, bad):
    with pytest.raises(GradCamError, match="batch_size must be a positive integer"):
        gradcam.GradCam(model, batch_size=bad)


def test_batches_are_independent(model, images):
    """Small batches, and one image at a time, give the same maps as one batch."""
    whole = gradcam.grad_cam(model, images, normalize=False)
    np.testing.assert_allclose(
        gradcam.grad_cam(model, images, normalize=False, batch_size=4), whole, atol=1e-6
    )
    explainer = gradcam.GradCam(model)
    one_by_one = np.concatenate([explainer(x[None], normalize=False) for x in images])
    np.testing.assert_allclose(one_by_one, whole, atol=1e-6)


# --------------------------------------------------------------------- normalisation


def dead_model():
    """A model whose last conv layer outputs zeros everywhere: every map is all zero."""
    m = keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Conv2D(3, 3, padding="same", activation="relu", name="conv"),
            layers.Flatten(),
            layers.Dense(4, activation="softmax", name="out"),
        ]
    )
    m.get_layer("conv").kernel.assign(np.zeros((3, 3, 1, 3), "float32"))
    return m


def test_all_zero_maps_stay_zero_without_nan(images):
    m = dead_model()
    for method in gradcam.METHODS:
        maps = gradcam.grad_cam(m, images, method=method)
        assert maps.shape == (6, 8, 8)
        assert not np.isnan(maps).any()
        assert (maps == 0).all()
    assert np.isnan(gradcam.answer_grad_cam(m, images[0], 0, "conv")).all()  # its 0 / 0


def test_normalized_maps_peak_at_one(model, images):
    maps = gradcam.grad_cam(model, images)
    np.testing.assert_allclose(maps.reshape(6, -1).max(axis=1), 1.0, rtol=1e-6)
    assert maps.min() >= 0.0


# --------------------------------------------------------------------- known answers


def gap_model(kernel_out):
    """conv (K channels) -> global average pooling -> Dense(C, softmax) with a given kernel.

    Then d logit_c / d A_kij = W[k, c] / (h w) everywhere: the answers are in closed form.
    """
    n_channels, n_classes = kernel_out.shape
    m = keras.Sequential(
        [
            keras.Input((6, 6, 1)),
            layers.Conv2D(n_channels, 3, padding="same", activation="relu", name="conv"),
            layers.GlobalAveragePooling2D(name="gap"),
            layers.Dense(n_classes, activation="softmax", name="out"),
        ]
    )
    m.get_layer("out").kernel.assign(kernel_out.astype("float32"))
    return m


def test_known_answer_gradcam_and_gradcam_plus_plus():
    seed_everything(8)
    w = np.array([[1.5, -0.5], [-2.0, 0.7], [0.8, 0.3]])  # (K=3 channels, C=2 classes)
    m = gap_model(w)
    x = np.random.default_rng(1).random((4, 6, 6, 1)).astype("float32")
    acts = keras.Model(m.inputs, m.get_layer("conv").output).predict(x, verbose=0)  # (4,6,6,3)
    for c in range(2):
        expected = np.maximum(np.einsum("nijk,k->nij", acts, w[:, c]) / 36.0, 0.0)
        got = gradcam.grad_cam(m, x, c, normalize=False)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
        # Grad-CAM++: alpha = 1 / (2 + mean(A_k) W_kc), weight_k = relu(W_kc) * alpha.
        mean = acts.mean(axis=(1, 2))  # (4, 3)
        weights = np.maximum(w[:, c], 0.0) / (2.0 + mean * w[:, c])  # (4, 3)
        expected_pp = np.maximum(np.einsum("nijk,nk->nij", acts, weights), 0.0)
        got_pp = gradcam.grad_cam(m, x, c, method="gradcam++", normalize=False)
        np.testing.assert_allclose(got_pp, expected_pp, rtol=1e-4, atol=1e-6)
        assert not np.allclose(gradcam.normalize_maps(got_pp), gradcam.normalize_maps(got))


def test_gradcam_plus_plus_one_channel_is_the_activation():
    """With one channel and a positive weight, the normalised map is A / max(A)."""
    seed_everything(9)
    m = gap_model(np.array([[2.0, -1.0]]))
    x = np.random.default_rng(2).random((3, 6, 6, 1)).astype("float32")
    acts = keras.Model(m.inputs, m.get_layer("conv").output).predict(x, verbose=0)[..., 0]
    got = gradcam.grad_cam(m, x, 0, method="gradcam++")
    np.testing.assert_allclose(got, gradcam.normalize_maps(acts), rtol=1e-5, atol=1e-6)
    assert (gradcam.grad_cam(m, x, 1, method="gradcam++") == 0).all()  # negative weight


# --------------------------------------------------------------------- sanity check


def test_rank_correlation():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    a, b = rng.random((5, 4, 4)), rng.random((5, 4, 4))
    b[0] = a[0]
    b[1] = -a[1]
    b[2, :2] = 0.0  # ties
    rho = gradcam.rank_correlation(a, b)
    expected = [spearmanr(a[i].ravel(), b[i].ravel())[0] for i in range(5)]
    np.testing.assert_allclose(rho, expected, atol=1e-12)
    assert rho[0] == pytest.approx(1.0) and rho[1] == pytest.approx(-1.0)
    const = gradcam.rank_correlation(np.zeros((1, 4, 4)), a[:1])
    assert np.isnan(const).all()
    with pytest.raises(GradCamError, match="equal-shaped"):
        gradcam.rank_correlation(a, b[:2])


def test_reinitialize_draws_new_kernel_and_resets_bias():
    seed_everything(10)
    layer = layers.Dense(3)
    layer.build((None, 4))
    layer.bias.assign(np.ones(3, "float32"))
    before = layer.kernel.numpy().copy()
    gradcam.reinitialize(layer, seed=0)
    assert not np.allclose(layer.kernel.numpy(), before)
    np.testing.assert_array_equal(layer.bias.numpy(), 0.0)
    again = layer.kernel.numpy().copy()
    gradcam.reinitialize(layer, seed=0)
    np.testing.assert_array_equal(layer.kernel.numpy(), again)  # seeded


def test_cascading_randomization_top_down_on_a_copy(model, images):
    weights = [w.copy() for w in model.get_weights()]
    rows = gradcam.cascading_randomization(model, images, None, seed=0, keep=2)
    assert [r["randomized_down_to"] for r in rows] == ["trained", "out", "conv2", "conv1"]
    for row in rows:
        assert -1.0 <= row["spearman"] <= 1.0 and 0 <= row["undefined"] <= 6
        assert row["maps"].shape == (2, 4, 4)
    np.testing.assert_allclose(
        rows[0]["maps"], gradcam.grad_cam(model, images[:2], normalize=False), atol=1e-6
    )
    assert not np.allclose(rows[1]["maps"], rows[0]["maps"])
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights(), strict=True))


def test_cascading_randomization_decorrelates_a_gap_model():
    """Two independent random GAP models give unrelated maps; the same model gives rho = 1."""
    seed_everything(11)
    m = gap_model(np.random.default_rng(4).normal(size=(3, 2)))
    x = np.random.default_rng(5).random((16, 6, 6, 1)).astype("float32")
    rows = gradcam.cascading_randomization(m, x, 0)
    assert rows[-1]["randomized_down_to"] == "conv"
    same = gradcam.grad_cam(m, x, 0, normalize=False)
    np.testing.assert_allclose(gradcam.rank_correlation(same, same), 1.0)
    assert rows[-1]["spearman"] < 0.9


def test_class_means():
    values = np.arange(8, dtype="float32").reshape(4, 2)
    means = gradcam.class_means(values, np.array([0, 2, 0, 2]), 4)
    np.testing.assert_allclose(means, [[2, 3], [0, 0], [4, 5], [0, 0]])  # absent: zeros
    with pytest.raises(GradCamError, match=r"labels must be \(N,\) = \(4,\)"):
        gradcam.class_means(values, np.zeros(3), 4)


def test_quadrant_shares():
    maps = np.zeros((3, 4, 4))
    maps[0, 3, 0] = 2.0  # bottom-left only
    maps[1] = 1.0  # uniform
    shares = gradcam.quadrant_shares(maps)
    np.testing.assert_allclose(shares[0], [0, 0, 1, 0])
    np.testing.assert_allclose(shares[1], [0.25] * 4)
    np.testing.assert_array_equal(shares[2], 0.0)  # all-zero map: no NaN
    odd = np.zeros((1, 3, 3))
    odd[0, 1, 1] = 1.0  # the centre is split evenly
    np.testing.assert_allclose(gradcam.quadrant_shares(odd)[0], [0.25] * 4)
    with pytest.raises(GradCamError, match=r"maps must be \(N, H, W\)"):
        gradcam.quadrant_shares(np.zeros((4, 4)))


# --------------------------------------------------------------------- deletion test


def test_top_pixels_and_ties():
    maps = np.array([[[0.1, 0.9], [0.5, 0.0]], [[0.0, 0.0], [0.0, 0.0]]])
    top = gradcam.top_pixels(maps, 0.5)
    assert set(top[0].tolist()) == {1, 2}
    np.testing.assert_array_equal(top, gradcam.top_pixels(maps, 0.5))  # seeded
    ties = {tuple(sorted(gradcam.top_pixels(maps, 0.5, seed=s)[1])) for s in range(20)}
    assert len(ties) > 1  # ties are not always broken towards the first pixels
    with pytest.raises(GradCamError, match=r"fraction must be in \(0, 1\), got 0"):
        gradcam.top_pixels(maps, 0)


def test_top_pixels_first_group():
    maps = np.array([[[0.9, 0.8], [0.1, 0.2]]])
    first = np.array([[[False, False], [True, False]]])
    np.testing.assert_array_equal(gradcam.top_pixels(maps, 0.5, first=first), [[2, 0]])
    with pytest.raises(GradCamError, match=r"first must have the maps' shape \(1, 2, 2\)"):
        gradcam.top_pixels(maps, 0.5, first=first[0])


def test_blank():
    x = np.ones((2, 2, 2, 1), "float32")
    out = gradcam.blank(x, np.array([[0], [3]]))
    assert out[0, 0, 0, 0] == 0 and out[1, 1, 1, 0] == 0 and out.sum() == 6
    assert x.sum() == 8  # the input is copied


def sum_model():
    """logit_0 = sum of the pixels, logit_1 = 0: p_0 = sigmoid(sum of the pixels)."""
    m = keras.Sequential(
        [
            keras.Input((4, 4, 1)),
            layers.Conv2D(1, 1, use_bias=False, name="conv"),
            layers.Flatten(),
            layers.Dense(2, activation="softmax", name="out"),
        ]
    )
    m.get_layer("conv").kernel.assign(np.ones((1, 1, 1, 1), "float32"))
    kernel = np.zeros((16, 2), "float32")
    kernel[:, 0] = 1.0
    m.get_layer("out").kernel.assign(kernel)
    return m


def test_deletion_drop_known_answer():
    from scipy.special import expit

    x = np.zeros((2, 4, 4, 1), "float32")
    x[0, 0, :2, 0] = [2.0, 1.0]  # two bright pixels
    x[1, 3, 3] = 3.0
    explainer = gradcam.GradCam(sum_model())
    maps = x[..., 0]  # a perfect map: the pixels that carry the score
    out = gradcam.deletion_drop(explainer, x, np.array([0, 0]), maps, fraction=0.125)  # 2 px
    base = expit(np.array([3.0, 3.0]))
    assert out["base"] == pytest.approx(base.mean(), rel=1e-5)
    assert out["gradcam"] == pytest.approx((base - expit(0.0)).mean(), rel=1e-5)
    assert out["random"] < out["gradcam"]
    # A map that ranks the background highest removes nothing, unless restricted to the ink.
    x[0, 1, 1, 0] = 0.5
    wrong_way = 1.0 - x[..., 0] / 3.0
    labels = np.array([0, 0])
    off = gradcam.deletion_drop(explainer, x, labels, wrong_way, fraction=0.125)
    assert off["gradcam"] == pytest.approx(0.0, abs=1e-7)
    inked = gradcam.deletion_drop(explainer, x, labels, wrong_way, fraction=0.125, ink_only=True)
    base = expit(np.array([3.5, 3.0]))
    dropped = expit(np.array([2.0, 0.0]))  # image 0 loses 1.0 and 0.5; image 1 its one pixel
    assert inked["gradcam"] == pytest.approx((base - dropped).mean(), rel=1e-5)
    assert inked["random"] > 0.0
    with pytest.raises(GradCamError, match="maps has 1 entries for 2 images"):
        gradcam.deletion_drop(explainer, x, np.array([0, 0]), maps[:1])


# --------------------------------------------------------------------- speed helper


def test_speed_comparison_reports_every_timing(model, images):
    out = gradcam.speed_comparison(model, images, n_baseline=2, repeats=1)
    assert out["n_baseline"] == 2 and out["n_all"] == 6
    for key in ("answer_s", "ours_cold_s", "ours_warm_s", "ours_all_s", "speedup"):
        assert out[key] > 0
    assert out["speedup"] == pytest.approx(
        out["answer_ms_per_image"] / out["ours_ms_per_image"], rel=1e-9
    )
    with pytest.raises(GradCamError, match="n_baseline must be a positive integer, got 0"):
        gradcam.speed_comparison(model, images, n_baseline=0)


# --------------------------------------------------------------------- figures (dlhw.plots, Q7)


def test_gradcam_figures_have_one_panel_per_image_and_row():
    import matplotlib

    matplotlib.use("Agg")
    from dlhw import plots

    x = np.random.default_rng(6).random((3, 28, 28, 1))
    maps = {"a": np.random.default_rng(7).random((3, 7, 7)), "b": np.zeros((3, 7, 7))}
    fig = plots.plot_gradcam_rows(x, maps, titles=["x", "y", "z"], suptitle="t")
    assert len(fig.axes) == 10 and fig.axes[0].get_title() == "x"  # 9 panels + a colour bar
    assert fig.axes[3].get_ylabel() == "a"
    assert fig.axes[-1].get_ylabel() == "map / its max"
    bar, maps_top = fig.axes[-1].get_position(), fig.axes[3].get_position()
    assert bar.x0 > fig.axes[2].get_position().x1  # right of the panels
    assert abs(bar.y1 - maps_top.y1) < 1e-6 and abs(bar.y0 - fig.axes[6].get_position().y0) < 1e-6
    fig = plots.plot_image_rows({"one": x, "two": x[:2]})
    assert len(fig.axes) == 6
    fig = plots.plot_training_curves(
        {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
    )
    assert [len(ax.lines) for ax in fig.axes] == [2, 1]
    matplotlib.pyplot.close("all")


def test_reinitialize_refuses_layers_with_other_weights():
    from dlhw.gradcam import reinitialize

    bn_layer = keras.layers.BatchNormalization()
    bn_layer.build((None, 4))
    with pytest.raises(GradCamError, match="only kernel and bias"):
        reinitialize(bn_layer, seed=0)
    dense = keras.layers.Dense(3)
    dense.build((None, 4))
    before = dense.kernel.numpy().copy()
    reinitialize(dense, seed=1)
    assert not np.array_equal(before, dense.kernel.numpy())


# --------------------------------------------------------------------- tests that kill mutants
# Each test below guards a behaviour that `make mutate` (mutmut) found unguarded.


def test_rank_correlation_of_flat_two_pixel_maps():
    """(N, k) batches are accepted, and the smallest non-constant maps (2 pixels, whose
    centred ranks have norm 0.5 < 1) still get a correlation, not NaN."""
    a = np.array([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(gradcam.rank_correlation(a, np.array([[0.0, 1.0]] * 2)), [1, -1])


def test_rank_correlation_of_a_constant_map_is_nan_without_a_warning():
    """The undefined 0/0 is skipped (`where=`), not computed with a RuntimeWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rho = gradcam.rank_correlation(np.zeros((1, 3, 3)), np.arange(9.0).reshape(1, 3, 3))
    assert np.isnan(rho).all()


def test_class_means_are_float32_even_for_half_precision_values():
    """Values are averaged in float32 (float16 would round 2048 + 2050 to 4096) and the
    result is float32."""
    means = gradcam.class_means(np.array([[2048.0], [2050.0]], "float16"), np.array([0, 0]), 2)
    assert means.dtype == np.float32
    np.testing.assert_array_equal(means, [[2049.0], [0.0]])


def test_quadrant_shares_of_half_precision_maps_do_not_overflow():
    """Maps are summed in float64: a float16 map whose total exceeds float16's range
    (65504) still gets its shares."""
    maps = np.full((1, 4, 4), 60000.0, "float16")
    np.testing.assert_allclose(gradcam.quadrant_shares(maps), [[0.25] * 4])


def test_top_pixels_defaults_and_bounds():
    """seed defaults to 0, fraction 1 is rejected (it must be < 1), and a tiny fraction
    still picks one pixel per map."""
    blank_maps = np.zeros((1, 4, 4))
    default = gradcam.top_pixels(blank_maps, 0.25)
    np.testing.assert_array_equal(default, gradcam.top_pixels(blank_maps, 0.25, seed=0))
    assert not np.array_equal(default, gradcam.top_pixels(blank_maps, 0.25, seed=1))
    with pytest.raises(GradCamError, match=r"fraction must be in \(0, 1\), got 1"):
        gradcam.top_pixels(blank_maps, 1.0)
    assert gradcam.top_pixels(blank_maps, 0.01).shape == (1, 1)


def test_top_pixels_first_is_a_mask_of_any_non_zero_values():
    """`first` counts as a boolean mask: raw ink intensities rank all non-zero pixels first,
    those ordered by the map, not by the intensity."""
    maps = np.array([[[0.9, 0.8], [0.1, 0.2]]])
    intensities = np.array([[[0, 0], [5, 1]]], "uint8")
    np.testing.assert_array_equal(gradcam.top_pixels(maps, 0.5, first=intensities), [[3, 2]])


def test_blank_returns_float32_and_handles_channels_and_greyscale_batches():
    """uint8 images give a float32 copy; in (N, H, W, C) a pixel is blanked in every channel;
    (N, H, W) batches work too."""
    rgb = np.full((2, 2, 2, 3), 255, "uint8")
    out = gradcam.blank(rgb, np.array([[0], [3]]))
    assert out.dtype == np.float32 and out.shape == rgb.shape
    assert (out[0, 0, 0] == 0).all() and (out[1, 1, 1] == 0).all()
    assert out.sum() == 255 * (24 - 6)
    grey = gradcam.blank(np.ones((2, 2, 2)), np.array([[1], [2]]), value=-1.0)
    np.testing.assert_array_equal(grey, [[[1, -1], [1, 1]], [[1, 1], [-1, 1]]])


def test_rank_correlation_nan_map_spoils_only_its_own_row():
    """A NaN map (the answer's 0/0 for an empty map) makes its own correlation NaN and leaves
    the other images' correlations alone, in either argument."""
    good = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 2.0]])
    with_nan = np.array([[1.0, 2.0, 3.0], [np.nan, 1.0, 2.0]])
    for a, b in ((with_nan, good), (good, with_nan)):
        rho = gradcam.rank_correlation(a, b)
        assert rho[0] == pytest.approx(1.0) and np.isnan(rho[1])


# --------------------------------------------------------------------- the answer's score, NaN


def test_probability_score_equals_the_answers_function(model, images):
    """score="probability" is the answer's softmax score: same maps, batched (where defined)."""
    ours, classes = gradcam.GradCam(model, score="probability").explain(images, empty="nan")
    theirs = gradcam.answer_maps(model, images, "conv2")
    assert ours.shape == theirs.shape == (6, 4, 4)
    finite = ~np.isnan(theirs).reshape(6, -1).any(axis=1)
    assert finite.sum() >= 4
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))  # NaN where it is NaN
    np.testing.assert_allclose(ours[finite], theirs[finite], atol=1e-5)
    logit = gradcam.GradCam(model).explain(images)[0]
    assert np.abs(logit - ours).max() > 1e-2  # and the two scores do differ


def test_answer_maps_given_classes_and_bad_lengths(model, images):
    maps = gradcam.answer_maps(model, images[:3], "conv2", [0, 1, 2])
    one = gradcam.answer_grad_cam(model, images[1], 1, "conv2")
    np.testing.assert_array_equal(maps[1], one[0])
    with pytest.raises(GradCamError, match="classes has 2 entries for 3 images"):
        gradcam.answer_maps(model, images[:3], "conv2", [0, 1])


def test_answers_function_gives_nan_on_an_all_zero_map_and_ours_does_not(images):
    seed_everything(5)
    dead = keras.Sequential([keras.Input(SHAPE), *small_layers()])
    conv = dead.get_layer("conv2")
    conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))  # conv2 outputs ReLU(0) = 0
    theirs = gradcam.answer_maps(dead, images[:3], "conv2")
    assert gradcam.count_nan_maps(theirs) == 3
    ours = gradcam.grad_cam(dead, images[:3])
    assert gradcam.count_nan_maps(ours) == 0 and not ours.any()
    nan = gradcam.GradCam(dead).explain(images[:3], empty="nan")[0]  # the answer's semantics
    assert gradcam.count_nan_maps(nan) == 3


def test_count_nan_maps():
    maps = np.zeros((4, 2, 2))
    maps[1, 0, 1] = np.nan
    maps[3] = np.nan
    assert gradcam.count_nan_maps(maps) == 2
    with pytest.raises(GradCamError, match=r"batch \(N, ...\)"):
        gradcam.count_nan_maps(np.zeros(3))


def test_unknown_score_is_refused(model):
    with pytest.raises(GradCamError, match=r"score must be one of \['logit', 'probability'\]"):
        gradcam.GradCam(model, score="softmax")


def test_by_confidence_bins():
    rho = np.array([0.1, 0.2, np.nan, 0.9, 0.5, 1.0])
    p = np.array([0.5, 0.95, 0.95, 0.999, 1.0, 0.2])
    rows = gradcam.by_confidence(rho, p, (0, 0.9, 0.999, 1))
    assert [r["confidence"] for r in rows] == ["[0, 0.9)", "[0.9, 0.999)", "[0.999, 1]"]
    assert [r["images"] for r in rows] == [2, 2, 2]
    assert [r["undefined"] for r in rows] == [0, 1, 0]
    np.testing.assert_allclose([r["mean"] for r in rows], [0.55, 0.2, 0.7])
    np.testing.assert_allclose(
        [r["max"] for r in gradcam.by_confidence(rho, p, (0, 0.9, 0.999, 1), how="max")],
        [1.0, 0.2, 0.9],
    )
    empty = gradcam.by_confidence(rho[:1], p[:1], (0.9, 1))
    assert empty[0]["images"] == 0 and np.isnan(empty[0]["mean"])
    with pytest.raises(GradCamError, match="increasing"):
        gradcam.by_confidence(rho, p, (0, 0.5, 0.5))
    with pytest.raises(GradCamError, match="equal"):
        gradcam.by_confidence(rho, p[:2], (0, 1))
    with pytest.raises(GradCamError, match="how must be"):
        gradcam.by_confidence(rho, p, (0, 1), how="median")


def test_cascading_randomization_probe_sees_each_model(model, images):
    seen = []

    def probe(m):
        seen.append(m)
        return {"answer_nan": gradcam.count_nan_maps(gradcam.answer_maps(m, images[:2], "conv2"))}

    rows = gradcam.cascading_randomization(model, images, None, seed=0, probe=probe)
    assert seen[0] is model and all(m is not model for m in seen[1:])
    assert len(seen) == len(rows) == 4
    assert all(isinstance(r["answer_nan"], int) for r in rows)
