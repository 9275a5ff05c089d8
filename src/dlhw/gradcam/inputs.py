"""What a caller hands Grad-CAM, checked: the error class, images as a batch, class indices."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.errors import DlhwError


class GradCamError(DlhwError, ValueError):
    """Bad input to a Grad-CAM helper: the message names the argument and what it accepts."""


def as_batch(images, input_shape: Sequence[int]) -> np.ndarray:  # pragma: no mutate block
    """Return `images` as a float32 batch (N, *input_shape); accept one image or a batch.

    For input_shape (28, 28, 1): (28, 28), (28, 28, 1), (N, 28, 28) and (N, 28, 28, 1).
    """
    input_shape = tuple(input_shape)
    x = np.asarray(images)
    accepted = [input_shape, (*input_shape[:-1],)] if input_shape[-1] == 1 else [input_shape]
    accepted_text = ", ".join(str(s) for s in accepted)
    if x.dtype.kind not in "biuf":
        raise GradCamError(f"images must be numeric, got dtype {x.dtype}.")
    if x.shape in accepted:
        x = x[None]
    if x.shape[1:] == accepted[-1] and len(accepted) == 2:
        x = x[..., None]
    if x.ndim != len(input_shape) + 1 or x.shape[1:] != input_shape:
        raise GradCamError(
            f"images has shape {np.shape(images)}; this model's input needs {accepted_text} "
            "or a batch (N, ...) of them."
        )
    if len(x) == 0:
        raise GradCamError("images is an empty batch (N = 0).")
    x = x.astype("float32", copy=False)
    if not np.all(np.isfinite(x)):
        raise GradCamError("images contains NaN or infinite values.")
    return x


def class_array(class_index, n: int, n_classes: int) -> np.ndarray:  # pragma: no mutate block
    """(N,) int32 classes from None (-1: predicted), one int or N ints in [0, n_classes)."""
    if class_index is None:
        return np.full(n, -1, dtype="int32")
    values = np.asarray(class_index)
    if values.dtype.kind not in "iu" or values.ndim > 1:
        raise GradCamError(
            f"class_index must be None, an integer or {n} integers, got {class_index!r}."
        )
    values = np.broadcast_to(values, (n,)) if values.ndim == 0 else values
    if values.shape != (n,):
        raise GradCamError(f"class_index has {values.size} entries for {n} images; give 1 or {n}.")
    bad = values[(values < 0) | (values >= n_classes)]
    if bad.size:
        raise GradCamError(
            f"class_index {bad[0]} is out of range: the model has {n_classes} classes, so use "
            f"0..{n_classes - 1} (or None for the predicted class)."
        )
    return values.astype("int32")
