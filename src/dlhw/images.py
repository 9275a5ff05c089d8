"""Maps as images: scaled into [0, 1], resized to the input, laid over a grey image.

Shared by `dlhw.gradcam` (Q7) and `dlhw.plots`; nothing here knows a model or a question.
"""

from __future__ import annotations

import numpy as np

from dlhw.errors import DlhwError


class ImageError(DlhwError, ValueError):
    """Bad input to an image helper: the message names the argument and what it accepts."""


def normalize_maps(maps: np.ndarray, *, empty: float = 0.0) -> np.ndarray:
    """Scale each map of (N, ...) by its maximum into [0, 1]; a map whose maximum is not
    positive (all zero after a ReLU) is filled with `empty`: 0 (the default), or NaN, which is
    what dividing by the maximum unconditionally gives (0/0), as the written answer's code does.
    """
    maps = np.asarray(maps, dtype="float32")
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape((-1,) + (1,) * (maps.ndim - 1))
    out = np.full_like(maps, empty)
    return np.divide(maps, peak, out=out, where=peak > 0)


def upsample(
    maps: np.ndarray, size: tuple[int, int] = (28, 28)
) -> np.ndarray:  # pragma: no mutate block
    """Bilinearly resize maps (N, h, w) (or one (h, w)) to (N, *size) for overlays."""
    import tensorflow as tf

    maps = np.asarray(maps, dtype="float32")
    single = maps.ndim == 2
    if maps.ndim not in (2, 3):
        raise ImageError(f"maps must be (h, w) or (N, h, w), got shape {maps.shape}.")
    batch = maps[None] if single else maps
    out = tf.image.resize(batch[..., None], size, method="bilinear").numpy()[..., 0]
    return out[0] if single else out


def overlay(
    image: np.ndarray, cam: np.ndarray, *, alpha: float = 0.45, cmap: str = "jet"
):  # pragma: no mutate block
    """RGB (H, W, 3) in [0, 1]: the grey image (H, W[, 1]) under a coloured map (h, w)."""
    from matplotlib import colormaps

    if not 0.0 <= alpha <= 1.0:
        raise ImageError(f"alpha must be in [0, 1], got {alpha}.")
    grey = np.asarray(image, dtype="float32").reshape(np.shape(image)[:2])
    cam = np.asarray(cam, dtype="float32")
    if cam.shape != grey.shape:
        cam = upsample(cam, grey.shape)
    heat = colormaps[cmap](normalize_maps(cam[None])[0])[..., :3]
    span = grey.max() - grey.min()
    grey = (grey - grey.min()) / span if span > 0 else np.zeros_like(grey)
    rgb = (1 - alpha) * np.repeat(grey[..., None], 3, axis=-1) + alpha * heat
    return np.clip(rgb, 0.0, 1.0)
