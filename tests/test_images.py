"""dlhw.images: the image helpers shared by Grad-CAM (Q7) and the figures (dlhw.plots)."""

import numpy as np
import pytest

from dlhw import gradcam, images
from dlhw.images import ImageError


def test_normalize_maps():
    maps = np.array([[[0.0, 2.0], [1.0, 0.5]], [[0.0, 0.0], [0.0, 0.0]]])
    out = images.normalize_maps(maps)
    np.testing.assert_allclose(out[0], [[0.0, 1.0], [0.5, 0.25]])
    np.testing.assert_array_equal(out[1], 0.0)
    assert out.dtype == np.float32


def test_upsample_shapes_and_values():
    maps = np.arange(2 * 3 * 3, dtype="float32").reshape(2, 3, 3)
    up = images.upsample(maps, (12, 12))
    assert up.shape == (2, 12, 12)
    assert up.min() >= maps.min() - 1e-6 and up.max() <= maps.max() + 1e-6
    np.testing.assert_allclose(images.upsample(np.full((3, 3), 0.4)), 0.4, rtol=1e-6)
    assert images.upsample(maps[0]).shape == (28, 28)
    with pytest.raises(ImageError, match=r"maps must be \(h, w\) or \(N, h, w\)"):
        images.upsample(np.zeros(3))


def test_overlay_is_rgb_in_unit_range():
    image = np.random.default_rng(0).random((28, 28, 1))
    rgb = images.overlay(image, np.random.default_rng(1).random((7, 7)))
    assert rgb.shape == (28, 28, 3)
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    blank = images.overlay(np.zeros((28, 28)), np.zeros((7, 7)), alpha=0.0)
    np.testing.assert_array_equal(blank, 0.0)
    with pytest.raises(ImageError, match=r"alpha must be in \[0, 1\], got 2"):
        images.overlay(image, np.zeros((7, 7)), alpha=2)


def test_gradcam_re_exports_the_image_helpers():
    assert gradcam.upsample is images.upsample and gradcam.overlay is images.overlay
    assert gradcam.normalize_maps is images.normalize_maps
