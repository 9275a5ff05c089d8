"""The written answer's per-image Grad-CAM, kept as the baseline, and the speed comparison.

`answer_grad_cam` is the answer's function as written (fixed only to run on Keras 3),
`answer_maps` applies it over a batch one image at a time, and `speed_comparison` times it
against our batched `GradCam`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.checks import positive_int
from dlhw.gradcam.cam import GradCam, grad_cam
from dlhw.gradcam.inputs import GradCamError


def answer_grad_cam(
    img_array, model, last_conv_layer_name: str, pred_index=None
) -> np.ndarray:  # pragma: no mutate block
    """The written answer's per-image Grad-CAM (keras-io style), kept as the speed baseline.

    Fixed only enough to run on Keras 3 (`model.outputs[0]` for `model.output`, and
    `model.inputs[0]` so that Keras does not warn about the input structure). Its defects
    are kept: a model is built per call, the score is the softmax probability, and an all-zero
    map divided by its maximum gives NaN. img_array: (1, 28, 28, 1); returns (h, w).
    """
    import keras
    import tensorflow as tf

    grad_model = keras.models.Model(
        model.inputs[0], [model.get_layer(last_conv_layer_name).output, model.outputs[0]]
    )
    with tf.GradientTape() as tape:
        last_conv_layer_output, preds = grad_model(img_array)
        if pred_index is None:
            pred_index = tf.argmax(preds[0])
        class_channel = preds[:, pred_index]
    grads = tape.gradient(class_channel, last_conv_layer_output)
    pooled_grads = tf.reduce_mean(grads, axis=(0, 1, 2))
    heatmap = last_conv_layer_output[0] @ pooled_grads[..., tf.newaxis]
    heatmap = tf.squeeze(heatmap)
    heatmap = tf.maximum(heatmap, 0) / tf.math.reduce_max(heatmap)
    return heatmap.numpy()


def answer_maps(
    model, images, layer: str, classes: Sequence[int] | None = None
) -> np.ndarray:  # pragma: no mutate block
    """The answer's function over a batch, one image at a time, as it was written to be used.

    images: (N, 28, 28, 1); classes: N class indices (None: each image's predicted class).
    Returns (N, h, w), NaN maps included (see `count_nan_maps`).
    """
    x = np.asarray(images, dtype="float32")
    picks = [None] * len(x) if classes is None else [int(c) for c in classes]
    if len(picks) != len(x):
        raise GradCamError(f"classes has {len(picks)} entries for {len(x)} images.")
    return np.stack(
        [answer_grad_cam(im[None], model, layer, c) for im, c in zip(x, picks, strict=True)]
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
    answer = seconds(lambda: [answer_grad_cam(im[None], model, explainer.layer) for im in few])
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
