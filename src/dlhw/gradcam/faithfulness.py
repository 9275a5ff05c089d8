"""Faithfulness: blanking the pixels a map ranks highest should hurt the class probability more
than blanking as many random pixels (the deletion test)."""

from __future__ import annotations

import numpy as np

from dlhw.gradcam.cam import GradCam
from dlhw.gradcam.inputs import GradCamError
from dlhw.images import upsample


def top_pixels(
    maps: np.ndarray, fraction: float, *, seed: int = 0, first: np.ndarray | None = None
) -> np.ndarray:
    """Indices (N, k) of the k = round(fraction * H * W) highest pixels of each map (N, H, W).

    Ties (e.g. an all-zero map) are broken at random with `seed`, not by pixel position.
    `first` (N, H, W) bool: those pixels rank before all others (e.g. only the ink, while
    there is enough of it), each group ordered by the map.
    """
    if not 0.0 < fraction < 1.0:
        raise GradCamError(f"fraction must be in (0, 1), got {fraction}.")
    flat = np.asarray(maps).reshape(len(maps), -1)
    k = max(1, int(round(fraction * flat.shape[1])))
    tiebreak = np.random.default_rng(seed).random(flat.shape)
    keys = (tiebreak, -flat)
    if first is not None:
        first = np.asarray(first, dtype=bool)
        if first.shape != np.shape(maps):
            raise GradCamError(
                f"first must have the maps' shape {np.shape(maps)}, got {first.shape}."
            )
        keys = (*keys, ~first.reshape(flat.shape))
    return np.lexsort(keys, axis=-1)[:, :k]


def blank(images: np.ndarray, pixels: np.ndarray, value: float = 0.0) -> np.ndarray:
    """Copy of images (N, H, W[, C]) with the flat pixel indices (N, k) set to `value`."""
    x = np.array(images, dtype="float32", copy=True)
    flat = x.reshape(len(x), -1, *x.shape[3:]) if x.ndim == 4 else x.reshape(len(x), -1)
    np.put_along_axis(flat, pixels if flat.ndim == 2 else pixels[..., None], value, axis=1)
    return flat.reshape(x.shape)


def deletion_drop(
    explainer: GradCam,
    images,
    labels,
    maps: np.ndarray,
    *,
    fraction: float = 0.1,
    seed: int = 0,
    ink_only: bool = False,
) -> dict[str, float]:  # pragma: no mutate block
    """Deletion test: mean drop of the true-class probability (softmax of the logits) when
    blanking (to 0, MNIST's background) the top `fraction` of pixels by `maps` (N, h, w),
    upsampled to the image size, versus the same number of random pixels.

    `ink_only`: both choices are made among the non-zero pixels first (background only once an
    image has fewer ink pixels than that), which asks whether the map picks the right ink.
    Returns {"base": mean probability before, "gradcam": mean drop, "random": mean drop}.
    """
    from scipy.special import softmax

    x = explainer.images(images)
    y = explainer.classes(np.asarray(labels), len(x))
    if len(maps) != len(x):
        raise GradCamError(f"maps has {len(maps)} entries for {len(x)} images.")
    size = x.shape[1:3]
    ink = x.reshape(*x.shape[:3], -1).max(axis=-1) > 0 if ink_only else None
    by_map = top_pixels(upsample(maps, size), fraction, seed=seed, first=ink)
    scores = np.random.default_rng(seed + 1).random((len(x), size[0] * size[1]))
    if ink is None:
        at_random = np.argsort(scores, axis=1)[:, : by_map.shape[1]]
    else:
        at_random = top_pixels(scores.reshape(len(x), *size), fraction, seed=seed, first=ink)

    def probability(batch: np.ndarray) -> np.ndarray:
        return softmax(explainer.logits(batch), axis=1)[np.arange(len(x)), y]

    base = probability(x)
    return {
        "base": float(base.mean()),
        "gradcam": float((base - probability(blank(x, by_map))).mean()),
        "random": float((base - probability(blank(x, at_random))).mean()),
    }
