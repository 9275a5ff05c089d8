"""Q6 (c), "eps has no effect on training" (L261), measured where eps matters.

eps enters BN as (x - mean) / sqrt(var + eps). It is inert only while the variance is much
larger than eps. Three measurements: `rare_pixel_batch` + `eps_effect` (BN on raw pixels, which
these models do not do: a rarely inked border pixel has a batch variance of the order of eps,
so eps sets the size of its normalised value and of its gradient); `eps_training` (the Q6 MLP
trained with several eps); `inference_after_tiny_batches` (after training with batches of one
the moving variance has decayed towards 0, so at inference eps alone sets BN's scale).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from dlhw.checks import positive_int
from dlhw.errors import DlhwError


class EpsError(DlhwError, ValueError):
    """Images or settings these measurements cannot use."""


def eps_key(eps: float) -> str:
    """A metric key for an eps without dots (`eps_1e-03`), as results' dotted paths need."""
    return f"eps_{float(eps):.0e}"


def rare_pixel_batch(x_train: np.ndarray, batch_size: int = 128) -> dict[str, Any]:
    """A batch of raw pixels (batch_size, 784) in which one feature has a small, non-zero
    variance: the pixel inked in the fewest training images (at least one), with the image
    that inks it most and `batch_size - 1` images that leave it at 0. Returns the batch, the
    pixel's index, how many training images ink it, and its value in the inked image."""
    x = np.asarray(x_train, dtype=np.float64).reshape(len(x_train), -1)
    batch_size = positive_int(batch_size, "batch_size")
    inked = (x > 0).sum(axis=0)
    if not np.any(inked > 0):
        raise EpsError("no pixel is inked in any training image.")
    pixel = int(np.argmin(np.where(inked > 0, inked, np.iinfo(np.int64).max)))
    blank = np.flatnonzero(x[:, pixel] == 0)[: batch_size - 1]
    if len(blank) < batch_size - 1:
        raise EpsError(f"fewer than {batch_size - 1} images leave pixel {pixel} blank.")
    brightest = int(np.argmax(x[:, pixel]))
    return {
        "batch": np.concatenate([x[brightest : brightest + 1], x[blank]]),
        "pixel": pixel,
        "inked_images": int(inked[pixel]),
        "value": float(x[brightest, pixel]),
    }


def eps_effect(batch: np.ndarray, feature: int, eps_values: Iterable[float], *, seed: int = 0):
    """NumPy BN in training mode (gamma 1, beta 0) on `batch` (N, D) with each eps: the
    feature's batch variance, its largest |normalised value| and the largest |gradient| that
    reaches its inputs for one random upstream gradient (the same for every eps). A pandas
    DataFrame indexed by eps."""
    import pandas as pd

    from dlhw import batchnorm as bn

    batch = np.asarray(batch, dtype=np.float64)
    if batch.ndim != 2 or not 0 <= int(feature) < batch.shape[1]:
        raise EpsError(f"need a (N, D) batch and 0 <= feature < D; got {batch.shape}, {feature}.")
    dout = np.random.default_rng(seed).standard_normal(batch.shape)[:, [feature]]
    column = batch[:, [feature]]  # BN is per feature: this column alone gives the same numbers
    rows = {}
    for eps in eps_values:
        out, cache = bn.batchnorm_forward(
            column, np.ones(1), np.zeros(1), {"mode": "train", "eps": eps}
        )
        dx, _, _ = bn.batchnorm_backward_alt(dout, cache)
        rows[float(eps)] = {
            "batch_variance": float(column.var()),
            "max_abs_normalised": float(np.max(np.abs(out))),
            "max_abs_gradient": float(np.max(np.abs(dx))),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("eps")


def eps_training(
    splits, eps_values: Iterable[float], *, epochs: int, learning_rate: float, seed: int = 0
) -> dict[float, dict[str, Any]]:
    """The Q6 BN MLP trained with plain SGD at `learning_rate` for `epochs`, once per eps, from
    the same initial weights and batch order: eps -> `train_curves` curves."""
    from dlhw import bn_experiments as bx

    found = {}
    for eps in eps_values:
        model = bx.build_mlp(
            "batch", input_shape=splits.x_train.shape[1:], seed=seed, epsilon=float(eps)
        )
        model = bx.compile_sgd(model, learning_rate)
        found[float(eps)] = bx.train_curves(model, splits, epochs=epochs, seed=seed)
    return found


def inference_after_tiny_batches(
    splits, eps_values: Iterable[float], *, examples: int, seed: int = 0, probe: int = 2048
):
    """Train a BN MLP (Adam, `bn_batches`'s set-up) on `examples` images in batches of one,
    then score it in inference mode with each eps put into every BN layer: the median moving
    variance, the standard deviation of the first BN layer's output on `probe` validation
    images, and the validation accuracy on them. A pandas DataFrame indexed by eps."""
    import keras
    import pandas as pd

    from dlhw import bn_batches

    model, _ = bn_batches.train_model("batch", splits, batch_size=1, examples=examples, seed=seed)
    layers = [lay for lay in model.layers if isinstance(lay, keras.layers.BatchNormalization)]
    first = keras.Model(model.input, layers[0].output)
    x, y = splits.x_val[:probe], splits.y_val[:probe]
    moving = float(np.median(np.concatenate([lay.moving_variance.numpy() for lay in layers])))
    trained_eps = [lay.epsilon for lay in layers]
    rows = {}
    try:
        for eps in eps_values:
            for layer in layers:
                layer.epsilon = float(eps)
            logits = np.asarray(model(x, training=False))
            rows[float(eps)] = {
                "moving_var_median": moving,
                "bn_output_std": float(np.std(np.asarray(first(x, training=False)))),
                "val_accuracy": float(np.mean(logits.argmax(axis=1) == y)),
            }
    finally:
        for layer, eps in zip(layers, trained_eps, strict=True):
            layer.epsilon = eps
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("eps")


def eps_metrics(rare: dict[str, Any], effect, training: dict, inference) -> dict[str, Any]:
    """Q6's recorded numbers from the three measurements (`rare_pixel_batch` + `eps_effect`,
    `eps_training`, `inference_after_tiny_batches`), keyed by `eps_key`."""
    return {
        "eps_pixel": rare["pixel"],
        "eps_pixel_inked_images": rare["inked_images"],
        "eps_pixel_variance": float(effect["batch_variance"].iloc[0]),
        "eps_pixel_normalised": {eps_key(e): v for e, v in effect["max_abs_normalised"].items()},
        "eps_pixel_gradient": {eps_key(e): v for e, v in effect["max_abs_gradient"].items()},
        "eps_epochs": max(len(c["val_accuracy"]) for c in training.values()),
        "eps_val_accuracy": {eps_key(e): c["val_accuracy"][-1] for e, c in training.items()},
        "eps_inference_moving_var": float(inference["moving_var_median"].iloc[0]),
        "eps_inference_std": {eps_key(e): v for e, v in inference["bn_output_std"].items()},
        "eps_inference_accuracy": {eps_key(e): v for e, v in inference["val_accuracy"].items()},
    }
