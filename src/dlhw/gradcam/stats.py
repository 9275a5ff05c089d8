"""Summaries of many maps: NaN maps, values by the model's confidence, per-class means, where
each map's weight lies (quadrants)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.gradcam.inputs import GradCamError


def count_nan_maps(maps: np.ndarray) -> int:
    """How many maps of (N, ...) hold a NaN (the answer's 0/0 on an all-zero map)."""
    maps = np.asarray(maps, dtype="float64")
    if maps.ndim < 2:
        raise GradCamError(f"maps must be a batch (N, ...), got shape {maps.shape}.")
    return int(np.isnan(maps.reshape(len(maps), -1)).any(axis=1).sum())


def by_confidence(
    values: np.ndarray, confidence: np.ndarray, edges: Sequence[float], *, how: str = "mean"
) -> list[dict]:
    """Group per-image values (N,) (e.g. rank correlations, or map differences) by the model's
    confidence (N,) into bins, and summarise each bin by its mean or max.

    edges: increasing bin edges, e.g. (0, 0.99, 0.999, 1); the last bin includes its upper
    edge. One row per bin: {"confidence": "[a, b)", "images", "undefined" (NaN values),
    how: the mean or max over the defined ones (NaN if none)}.
    """
    values, confidence = np.asarray(values, "float64"), np.asarray(confidence, "float64")
    edges = [float(e) for e in edges]
    if how not in ("mean", "max"):
        raise GradCamError(f"how must be 'mean' or 'max', got {how!r}.")
    if values.shape != confidence.shape or values.ndim != 1:
        raise GradCamError(
            f"values and confidence must be equal (N,) arrays: {values.shape}, {confidence.shape}."
        )
    if len(edges) < 2 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise GradCamError(f"edges must be at least two increasing values, got {edges}.")
    summary = np.mean if how == "mean" else np.max
    rows = []
    for i, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        last = i == len(edges) - 2
        inside = (confidence >= low) & ((confidence <= high) if last else (confidence < high))
        defined = inside & np.isfinite(values)
        rows.append(
            {
                "confidence": f"[{low:g}, {high:g}{']' if last else ')'}",
                "images": int(inside.sum()),
                "undefined": int((inside & ~np.isfinite(values)).sum()),
                how: float(summary(values[defined])) if defined.any() else float("nan"),
            }
        )
    return rows


def class_means(values: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Mean of values (N, ...) over the items of each class in labels (N,) -> (n_classes, ...).

    A class with no items gets zeros (not NaN, and no warning)."""
    values, labels = np.asarray(values, dtype="float32"), np.asarray(labels)
    if labels.shape != values.shape[:1]:
        raise GradCamError(f"labels must be (N,) = ({len(values)},), got shape {labels.shape}.")
    out = np.zeros((n_classes, *values.shape[1:]), dtype="float32")
    for c in range(n_classes):
        if (labels == c).any():
            out[c] = values[labels == c].mean(axis=0)
    return out


def quadrant_shares(maps: np.ndarray) -> np.ndarray:
    """Share of each map's total (N, H, W) in its four quadrants -> (N, 4): top-left, top-right,
    bottom-left, bottom-right (the middle row/column, for odd sizes, is split evenly).
    An all-zero map gets zeros, not NaN."""
    maps = np.asarray(maps, dtype="float64")
    if maps.ndim != 3:
        raise GradCamError(f"maps must be (N, H, W), got shape {maps.shape}.")
    h, w = maps.shape[1:]
    rows = np.clip(np.arange(h) - (h - 1) / 2 + 0.5, 0.0, 1.0)  # 0 top, 1 bottom, 0.5 middle
    cols = np.clip(np.arange(w) - (w - 1) / 2 + 0.5, 0.0, 1.0)
    top, left = 1 - rows, 1 - cols
    parts = [
        np.einsum("nij,i,j->n", maps, a, b)
        for a, b in ((top, left), (top, cols), (rows, left), (rows, cols))
    ]
    total = maps.sum(axis=(1, 2))[:, None]
    stacked = np.stack(parts, axis=1)
    return np.divide(stacked, total, out=np.zeros_like(stacked), where=total > 0)


def class_similarity(maps: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Mean pairwise Pearson correlation of maps (N, h, w) within a class and between classes.

    Each map is standardised (a constant map has no correlation and is left out, counted in
    `constant`); the correlation of two maps is then a dot product, so the means over all pairs
    come from per-class sums without an N x N matrix. `within`: the mean over classes of the
    mean within-class correlation; `between`: the mean over ordered pairs of classes.
    """
    maps = np.asarray(maps, dtype="float64")
    labels = np.asarray(labels)
    if maps.ndim != 3 or labels.shape != maps.shape[:1]:
        raise GradCamError(f"maps must be (N, h, w) and labels (N,): {maps.shape}, {labels.shape}.")
    flat = maps.reshape(len(maps), -1)
    centred = flat - flat.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1)
    keep = norm > 1e-12
    z, labels = centred[keep] / norm[keep, None], labels[keep]
    classes = [c for c in np.unique(labels) if (labels == c).sum() >= 2]
    sums = {c: z[labels == c].sum(axis=0) for c in classes}
    counts = {c: int((labels == c).sum()) for c in classes}
    within = [(sums[c] @ sums[c] - counts[c]) / (counts[c] * (counts[c] - 1)) for c in classes]
    between = [
        (sums[a] @ sums[b]) / (counts[a] * counts[b]) for a in classes for b in classes if a != b
    ]
    return {
        "within": float(np.mean(within)),
        "between": float(np.mean(between)) if between else float("nan"),
        "within_by_class": {int(c): float(w) for c, w in zip(classes, within, strict=True)},
        "constant": int((~keep).sum()),
    }


REGIONS = {"lower half": (2, 3), "lower left": (2,)}  # indices into `quadrant_shares`' columns


def region_share(maps: np.ndarray, region: str) -> np.ndarray:
    """Per map (N, H, W), the share of its total in `region` ("lower half" or "lower left"),
    from `quadrant_shares` (an all-zero map: 0)."""
    if region not in REGIONS:
        raise GradCamError(f"region must be one of {list(REGIONS)}, got {region!r}.")
    return quadrant_shares(maps)[:, list(REGIONS[region])].sum(axis=1)


def share_comparison(
    map_shares: np.ndarray, ink_shares: np.ndarray, labels: np.ndarray, cls: int
) -> dict[str, float]:
    """A region's share (per image, N,) of the map and of the ink, for the images of class
    `cls` against the other classes' maps: the three means and the standard errors of the two
    differences (paired for map vs ink on the same images; independent for cls vs the rest)."""
    maps, ink, labels = (np.asarray(a, dtype="float64") for a in (map_shares, ink_shares, labels))
    if not (maps.shape == ink.shape == labels.shape) or maps.ndim != 1:
        raise GradCamError("map_shares, ink_shares and labels must be equal (N,) arrays.")
    own, rest = labels == cls, labels != cls
    if own.sum() < 2 or rest.sum() < 2:
        raise GradCamError(f"class {cls} needs at least two images, and so do the others.")

    def se(v: np.ndarray) -> float:
        return float(v.std(ddof=1) / np.sqrt(len(v)))

    return {
        "map": float(maps[own].mean()),
        "ink": float(ink[own].mean()),
        "others": float(maps[rest].mean()),
        "se_map_vs_ink": se(maps[own] - ink[own]),
        "se_map_vs_others": float(np.hypot(se(maps[own]), se(maps[rest]))),
    }
