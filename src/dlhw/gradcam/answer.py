"""The written answer's per-image Grad-CAM as written, and what it is compared with.

`answer_grad_cam` is the answer's function (L397-415), changed only where Keras 3 needs it;
`answer_maps` applies it over a batch one image at a time; `speed_comparison` times it against
our batched `GradCam`; `student_check` compares it with our batched softmax-score mode in the
answer's normalisation order (NaN where it is NaN).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.checks import positive_int
from dlhw.gradcam.cam import GradCam, grad_cam
from dlhw.gradcam.inputs import GradCamError


def answer_grad_cam(
    model, img_array, class_index: int, last_conv_layer_name: str
) -> np.ndarray:  # pragma: no mutate block
    """The written answer's `get_gradcam` (L397-415), line for line, in its argument order.

    Two changes, both at L398, for Keras 3: `model.outputs[0]` for `model.output` (a
    Sequential has no `.output` until called), and `model.inputs[0]` for `[model.inputs]`
    (which only warns). The model must be built from a list of layers (as
    `models.build_answer_cnn`): with `add()`, as the answer built it (L341-351), Keras 3
    rebuilds the Sequential at each add, the layer's `.output` belongs to an earlier graph and
    the gradient is None; that is reported here instead of L409's TypeError. Everything else is
    the answer's: a model built per call, the softmax probability as the score, the ReLU and
    then the division by the maximum of the ReLU'd map (an all-zero map is 0/0 = NaN), and the
    batch axis kept. img_array: one image (28, 28, 1); returns (1, h, w).
    """
    import keras
    import tensorflow as tf

    grad_model = keras.models.Model(
        model.inputs[0], [model.get_layer(last_conv_layer_name).output, model.outputs[0]]
    )
    with tf.GradientTape() as tape:
        conv_output, predictions = grad_model(np.array([img_array]))
        loss = predictions[:, class_index]
    grads = tape.gradient(loss, conv_output)
    if grads is None:
        raise GradCamError(
            f"the gradient of the score with respect to {last_conv_layer_name!r} is None: "
            "build the Sequential from a list of layers (Keras 3 rebuilds one built with add())."
        )
    output_grads = grads[0]
    weights = tf.reduce_mean(output_grads, axis=(0, 1))
    cam = tf.reduce_sum(tf.multiply(weights, conv_output), axis=-1)
    cam = np.maximum(cam, 0)
    with np.errstate(invalid="ignore", divide="ignore"):  # 0 / 0 = NaN, as the answer's gives
        cam /= np.max(cam)
    return cam


def answer_maps(
    model, images, layer: str, classes: Sequence[int] | None = None
) -> np.ndarray:  # pragma: no mutate block
    """The answer's function over a batch, one image at a time, as it was written to be used.

    images: (N, 28, 28, 1); classes: N class indices (None: each image's predicted class,
    which the answer's function needs as an argument). Returns (N, h, w): the batch axis the
    function keeps, (1, h, w) per image, is dropped here, so that the maps compare with a
    batch of maps without broadcasting. NaN maps included (see `count_nan_maps`).
    """
    x = np.asarray(images, dtype="float32")
    if classes is None:
        picks = [int(c) for c in model.predict(x, verbose=0).argmax(axis=1)]
    else:
        picks = [int(c) for c in classes]
    if len(picks) != len(x):
        raise GradCamError(f"classes has {len(picks)} entries for {len(x)} images.")
    return np.stack(
        [answer_grad_cam(model, im, c, layer)[0] for im, c in zip(x, picks, strict=True)]
    )


def speed_comparison(
    model, images, *, n_baseline: int, layer: str | None = None, repeats: int = 3
) -> dict[str, float]:  # pragma: no mutate block
    """Time the answer's per-image function on `n_baseline` images against ours on the same
    images and on all of `images` (N, 28, 28, 1). Seconds; ours is the median of `repeats`.

    "cold" includes building our view and tracing its function (a first call); "warm" reuses
    one `GradCam`, as a user explaining many batches would. The speed-up is the ratio of the
    seconds per image, answer over ours warm (and over ours cold).
    """
    from dlhw.timing import median_seconds, seconds  # loads Keras: keep `import gradcam` light

    explainer = GradCam(model, layer)
    x = explainer.images(images)
    n_baseline = positive_int(n_baseline, "n_baseline", GradCamError)
    repeats = positive_int(repeats, "repeats", GradCamError)
    few = x[:n_baseline]
    picks = explainer.logits(few).argmax(axis=1)  # the answer's function takes the class
    answer = seconds(lambda: answer_maps(model, few, explainer.layer, picks))
    cold = seconds(lambda: grad_cam(model, few, layer=explainer.layer))
    explainer(few[:2])  # trace once
    warm = median_seconds(lambda: explainer(few), repeats)
    warm_all = median_seconds(lambda: explainer(x), repeats)
    per_image = answer / len(few)
    return {
        "n_baseline": len(few),
        "n_all": len(x),
        "answer_s": answer,
        "ours_cold_s": cold,
        "ours_warm_s": warm,
        "ours_all_s": warm_all,
        "answer_ms_per_image": 1e3 * per_image,
        "ours_ms_per_image": 1e3 * warm / len(few),
        "speedup": per_image / (warm / len(few)),
        "speedup_cold": per_image / (cold / len(few)),
    }


def student_check(
    model, images, classes, confidence, *, layer: str, threshold: float = 0.99
) -> dict:  # pragma: no mutate block
    """The answer's function against our batched softmax-score mode in the answer's order
    (`GradCam(score="probability")`, `empty="nan"`) on the same images and classes.

    Returns the per-image max |difference| (NaN where a map is NaN), whether both give NaN on
    exactly the same images, how many NaN maps (the answer's function), on how many images
    only one of the two is NaN (all of them, and those below `threshold`), and the largest
    difference among the images whose confidence (N,) is below `threshold` (where float32
    rounding of p_c does not matter).
    """
    from dlhw.gradcam.cam import GradCam

    theirs = answer_maps(model, images, layer, classes)
    ours = GradCam(model, layer, score="probability")(images, classes, empty="nan")
    nan_theirs = np.isnan(theirs).reshape(len(theirs), -1).any(axis=1)
    nan_ours = np.isnan(ours).reshape(len(ours), -1).any(axis=1)
    gap = np.abs(ours - theirs).reshape(len(ours), -1).max(axis=1)
    below = (np.asarray(confidence) < threshold) & ~nan_theirs
    return {
        "gap": gap,
        "same_nan": bool(np.array_equal(nan_theirs, nan_ours)),
        "nan_maps": int(nan_theirs.sum()),
        "nan_disagreements": int((nan_theirs != nan_ours).sum()),
        "nan_disagreements_below": int(
            ((nan_theirs != nan_ours) & (np.asarray(confidence) < threshold)).sum()
        ),
        "images_below": int(below.sum()),
        "max_abs_diff_below": float(gap[below].max()) if below.any() else float("nan"),
    }
