"""dlhw.gradcam, the written answer's side: its function as written (NaN where it divides 0 by
0), our batched mode in its order, the exact softmax map, and the summaries of Q7's reading."""

import keras
import numpy as np
import pytest
from keras import layers

from dlhw import gradcam
from dlhw.gradcam import GradCamError
from dlhw.repro import seed_everything

SHAPE = (6, 6, 1)


def negative_model():
    """Class 0's map is negative everywhere: the conv outputs 1 everywhere (zero kernel, bias
    1, ReLU) and only class 0's Dense weights are non-zero, all negative."""
    m = keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Conv2D(2, 3, padding="same", activation="relu", name="conv"),
            layers.Flatten(name="flatten"),
            layers.Dense(3, activation="softmax", name="out"),
        ]
    )
    conv, out = m.get_layer("conv"), m.get_layer("out")
    conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))
    conv.bias.assign(np.ones(conv.bias.shape, "float32"))
    kernel = np.zeros(out.kernel.shape, "float32")
    kernel[:, 0] = -0.1
    out.kernel.assign(kernel)
    return m


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(3).random((4, *SHAPE)).astype("float32")


def test_an_all_negative_map_is_nan_in_the_answers_order_and_zero_in_ours(images):
    """The answer applies the ReLU, then divides by the maximum of the ReLU'd map: a map that is
    negative everywhere becomes 0 / 0. Ours keeps it zero unless asked for the answer's NaN."""
    m = negative_model()
    raw = gradcam.GradCam(m, score="probability").explain(images, 0, relu=False)[0]
    assert (raw < 0).all()  # negative everywhere, not zero
    theirs = gradcam.answer_grad_cam(m, images[0], 0, "conv")
    assert theirs.shape == (1, 6, 6) and np.isnan(theirs).all()
    ours = gradcam.GradCam(m, score="probability")(images, 0)
    assert not np.isnan(ours).any() and not ours.any()
    nan = gradcam.GradCam(m, score="probability")(images, 0, empty="nan")
    assert gradcam.count_nan_maps(nan) == len(images)
    with pytest.raises(GradCamError, match=r"empty must be one of \['zero', 'nan'\]"):
        gradcam.GradCam(m)(images, empty="none")


def test_a_sequential_built_with_add_is_a_clear_error(images):
    """As the answer built its model: Keras 3 gives a None gradient, reported in words."""
    m = keras.Sequential()
    m.add(keras.Input(SHAPE))
    m.add(layers.Conv2D(2, 3, padding="same", activation="relu", name="conv"))
    m.add(layers.Flatten())
    m.add(layers.Dense(3, activation="softmax"))
    m(images[:1])
    with pytest.raises(GradCamError, match="build the Sequential from a list of layers"):
        gradcam.answer_grad_cam(m, images[0], 0, "conv")


@pytest.fixture(scope="module")
def small():
    seed_everything(4)
    m = keras.Sequential(
        [
            keras.Input(SHAPE),
            layers.Conv2D(3, 3, padding="same", activation="relu", name="conv"),
            layers.Flatten(name="flatten"),
            layers.Dense(4, activation="softmax", name="out"),
        ]
    )
    kernel = m.get_layer("out").kernel
    kernel.assign(kernel * 5.0)
    return m


def test_student_check_same_nan_and_values(small, images):
    confidence = small.predict(images, verbose=0).max(axis=1)
    out = gradcam.student_check(small, images, None, confidence, layer="conv", threshold=1.01)
    assert out["same_nan"] and out["images_below"] + out["nan_maps"] == len(images)
    assert out["max_abs_diff_below"] < 1e-5 and out["gap"].shape == (len(images),)


def test_student_check_counts_images_where_only_one_map_is_nan(small, images, monkeypatch):
    from dlhw.gradcam import answer

    finite = np.flatnonzero(
        ~np.isnan(answer.answer_maps(small, images, "conv", None)).any(axis=(1, 2))
    )
    real = answer.answer_maps

    def one_more_nan(*args, **kwargs):
        maps = np.array(real(*args, **kwargs))
        maps[finite[0]] = np.nan  # the answer's function NaN where the batched mode is not
        return maps

    monkeypatch.setattr(answer, "answer_maps", one_more_nan)
    confidence = np.full(len(images), 0.999)
    out = gradcam.student_check(small, images, None, confidence, layer="conv", threshold=0.99)
    assert not out["same_nan"] and out["nan_disagreements"] == 1
    assert out["nan_disagreements_below"] == 0  # at p_c 0.999, above the threshold
    confidence[finite[0]] = 0.5
    out = gradcam.student_check(small, images, None, confidence, layer="conv", threshold=0.99)
    assert out["nan_disagreements_below"] == 1


def test_exact_softmax_map_is_the_softmax_scores_map(small, images):
    """p_c Σ_{j≠c} p_j (M_c − M_j) from the logit maps equals the softmax score's own map
    (before the ReLU) where float32 does not round p_c to 1, and equals the direct formula."""
    explainer = gradcam.GradCam(small)
    maps = gradcam.all_class_maps(explainer, images)
    assert maps.shape == (len(images), 4, 6, 6)
    logits = explainer.logits(images)
    classes = logits.argmax(axis=1)
    exact = gradcam.exact_softmax_maps(maps, logits, classes)
    float32 = gradcam.GradCam(small, score="probability").explain(images, classes, relu=False)[0]
    np.testing.assert_allclose(float32, exact, atol=1e-5, rtol=1e-4)
    z = logits.astype("float64")
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    for n, c in enumerate(classes):
        direct = p[n, c] * (maps[n, c] - np.einsum("j,jhw->hw", p[n], maps[n]))
        np.testing.assert_allclose(exact[n], direct, atol=1e-12)
    with pytest.raises(GradCamError, match=r"class_maps must be \(N, C, h, w\)"):
        gradcam.exact_softmax_maps(maps[0], logits, classes)


def test_exact_softmax_map_keeps_the_own_class_term_where_float32_loses_it():
    """At p_c = 1 − 1e-20 (1.0 in float32 and float64) the map is p_c Σ_j p_j (M_c − M_j):
    the own-class map enters through the others' probabilities, never through 1 − p_c."""
    maps = np.zeros((1, 2, 1, 2))
    maps[0, 0] = [[1.0, 0.0]]  # class 0, the predicted one
    maps[0, 1] = [[0.0, 1.0]]
    logits = np.array([[46.0, 0.0]])  # p_1 = e^-46, about 1e-20
    exact = gradcam.exact_softmax_maps(maps, logits, [0])
    p1 = np.exp(-46.0) / (1 + np.exp(-46.0))
    np.testing.assert_allclose(exact[0], [[p1 * 1.0, -p1 * 1.0]], rtol=1e-12)


def test_score_table_and_summary():
    rng = np.random.default_rng(0)
    a = rng.random((4, 3, 3)) - 0.5
    confidence = np.array([0.5, 0.995, 1.0, 1.0], "float32")
    rows = gradcam.score_table(a, a, -a, confidence, (0, 0.99, 1))
    assert [r["images"] for r in rows] == [1, 3]
    assert rows[1]["p_c == 1.0"] == pytest.approx(2 / 3)
    assert rows[0]["Spearman float32 vs exact"] == pytest.approx(1.0)
    assert rows[0]["Spearman exact vs logit"] == pytest.approx(-1.0)
    assert rows[0]["max |Δ| float32 vs exact"] == 0.0
    top = gradcam.summary(a, a, -a, confidence, top=0.99)
    assert top["share_p_exactly_1"] == 0.5 and top["share_top"] == 0.75
    assert top["spearman_float32_exact_top"] == pytest.approx(1)
    assert top["spearman_exact_logit_rest"] == pytest.approx(-1.0)
    assert gradcam.summary(a, a, a, confidence, top=2.0)["spearman_float32_logit_top"] is None
    with pytest.raises(GradCamError, match="must be"):
        gradcam.score_table(a, a[:2], a, confidence, (0, 1))


def test_class_similarity_known_answer():
    """Two classes, each map a copy of its class pattern (scaled): within 1; the patterns are
    opposite: between −1; a constant map is left out and counted."""
    pattern = np.arange(9, dtype="float64").reshape(3, 3)
    maps = np.stack([pattern, 2 * pattern, -pattern, -3 * pattern, np.ones((3, 3))])
    labels = np.array([0, 0, 1, 1, 1])
    out = gradcam.class_similarity(maps, labels)
    assert out["within"] == pytest.approx(1.0) and out["between"] == pytest.approx(-1.0)
    assert out["constant"] == 1 and out["within_by_class"] == pytest.approx({0: 1.0, 1: 1.0})
    noisy = maps + np.random.default_rng(0).normal(0, 5, maps.shape)
    assert gradcam.class_similarity(noisy, labels)["within"] < 0.9
    with pytest.raises(GradCamError, match=r"maps must be \(N, h, w\)"):
        gradcam.class_similarity(maps[0], labels)


def test_region_share():
    maps = np.zeros((2, 4, 4))
    maps[0, 3, 0] = 1.0  # bottom-left corner
    maps[1, 0, 3] = 2.0  # top-right
    np.testing.assert_allclose(gradcam.region_share(maps, "lower left"), [1.0, 0.0])
    np.testing.assert_allclose(gradcam.region_share(maps, "lower half"), [1.0, 0.0])
    with pytest.raises(GradCamError, match="region must be one of"):
        gradcam.region_share(maps, "upper")


def test_share_comparison_means_and_standard_errors():
    labels = np.array([0, 0, 0, 1, 1, 1])
    maps = np.array([0.6, 0.7, 0.8, 0.4, 0.5, 0.6])
    ink = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    out = gradcam.share_comparison(maps, ink, labels, 0)
    assert out["map"] == pytest.approx(0.7) and out["ink"] == 0.5 and out["others"] == 0.5
    assert out["se_map_vs_ink"] == pytest.approx(0.1 / np.sqrt(3))
    assert out["se_map_vs_others"] == pytest.approx(np.hypot(0.1 / np.sqrt(3), 0.1 / np.sqrt(3)))
    with pytest.raises(GradCamError, match="class 2 needs at least two images"):
        gradcam.share_comparison(maps, ink, labels, 2)
