"""The answer's softmax score against the logit: the exact softmax map, and how float32 rounds it.

Grad-CAM is linear in the score's gradient, and the softmax probability's gradient is
dp_c = p_c · Σ_{j≠c} p_j (dz_c − dz_j), so the softmax-score map (before the ReLU) is, exactly,
p_c · Σ_{j≠c} p_j (M_c − M_j), with M_j the logit map of class j (before the ReLU).
`exact_softmax_maps` computes that in float64 from the logit maps; `score_table` compares it,
per confidence bin, with the float32 softmax-score map and with the logit map. Where p_c rounds
to exactly 1.0 in float32, the float32 gradient loses the own-class term (p_c (1 − p_c) = 0).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.gradcam.inputs import GradCamError
from dlhw.gradcam.sanity import rank_correlation
from dlhw.images import normalize_maps


def all_class_maps(explainer, images) -> np.ndarray:  # pragma: no mutate block
    """Logit Grad-CAM maps of every class before the ReLU: (N, n_classes, h, w)."""
    x = explainer.images(images)
    maps = [explainer.explain(x, c, relu=False)[0] for c in range(explainer.n_classes)]
    return np.stack(maps, axis=1)


def exact_softmax_maps(class_maps: np.ndarray, logits: np.ndarray, classes) -> np.ndarray:
    """p_c · Σ_{j≠c} p_j (M_c − M_j) in float64: (N, h, w), before the ReLU.

    class_maps: (N, C, h, w) logit maps before the ReLU; logits: (N, C); classes: (N,). The
    other classes' probabilities are computed directly (never as 1 − p_c), so nothing cancels.
    """
    maps = np.asarray(class_maps, dtype="float64")
    z = np.asarray(logits, dtype="float64")
    classes = np.asarray(classes, dtype=int)
    if maps.ndim != 4 or z.shape != maps.shape[:2] or classes.shape != maps.shape[:1]:
        raise GradCamError(
            "class_maps must be (N, C, h, w), logits (N, C) and classes (N,): got "
            f"{maps.shape}, {z.shape}, {classes.shape}."
        )
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(maps))
    others = p.copy()
    others[rows, classes] = 0.0
    own = maps[rows, classes]  # (N, h, w)
    return p[rows, classes][:, None, None] * np.einsum("nj,njhw->nhw", others, own[:, None] - maps)


def _normalized_gap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per map, max |a − b| after the answer's normalisation (ReLU, then ÷ max); NaN where
    either map is all zero after the ReLU (the answer's 0/0)."""
    na = normalize_maps(np.maximum(a, 0.0), empty=np.nan)
    nb = normalize_maps(np.maximum(b, 0.0), empty=np.nan)
    return np.abs(na - nb).reshape(len(a), -1).max(axis=1)


def score_table(
    softmax32: np.ndarray,
    exact: np.ndarray,
    logit: np.ndarray,
    confidence: np.ndarray,
    edges: Sequence[float],
) -> list[dict]:
    """Per confidence bin: the share of images whose p_c is exactly 1.0 in float32, and for the
    float32 softmax map against the exact one, and the exact one against the logit map, the
    mean Spearman correlation (before the ReLU) and the largest per-map max |difference| after
    the answer's normalisation. Maps (N, h, w) before the ReLU; confidence: float32 p_c (N,).
    """
    confidence = np.asarray(confidence, dtype="float32")
    if not (softmax32.shape == exact.shape == logit.shape) or confidence.shape != exact.shape[:1]:
        raise GradCamError("softmax32, exact and logit must be (N, h, w) and confidence (N,).")
    pairs = {"float32 vs exact": (softmax32, exact), "exact vs logit": (exact, logit)}
    rho = {k: rank_correlation(a, b) for k, (a, b) in pairs.items()}
    gap = {k: _normalized_gap(a, b) for k, (a, b) in pairs.items()}
    rows = []
    edges = [float(e) for e in edges]
    for i, (low, high) in enumerate(zip(edges, edges[1:], strict=False)):
        last = i == len(edges) - 2
        inside = (confidence >= low) & ((confidence <= high) if last else (confidence < high))
        row = {
            "confidence": f"[{low:g}, {high:g}{']' if last else ')'}",
            "images": int(inside.sum()),
            "p_c == 1.0": float((confidence[inside] == 1.0).mean()) if inside.any() else np.nan,
        }
        for name in pairs:
            r, g = rho[name][inside], gap[name][inside]
            row[f"Spearman {name}"] = float(np.nanmean(r)) if np.isfinite(r).any() else np.nan
            row[f"max |Δ| {name}"] = float(np.nanmax(g)) if np.isfinite(g).any() else np.nan
        rows.append(row)
    return rows


def summary(
    softmax32: np.ndarray,
    exact: np.ndarray,
    logit: np.ndarray,
    confidence: np.ndarray,
    *,
    top: float = 0.99999,
) -> dict[str, float | None]:
    """The headline numbers of `score_table`: the share of images whose p_c is exactly 1.0 in
    float32, and the mean Spearman correlation (before the ReLU) of each pair of maps,
    float32 softmax / exact softmax / logit, over the images the model is surest of
    (p_c >= `top`: `_top`) and over the rest (`_rest`); None where no image of a part has a
    defined correlation."""
    confidence = np.asarray(confidence, dtype="float32")
    sure = confidence >= top
    out: dict[str, float | None] = {"share_p_exactly_1": float((confidence == 1.0).mean())}
    out["share_top"] = float(sure.mean())
    pairs = {
        "float32_exact": (softmax32, exact),
        "exact_logit": (exact, logit),
        "float32_logit": (softmax32, logit),
    }
    for name, (a, b) in pairs.items():
        rho = rank_correlation(a, b)
        for part, mask in (("top", sure), ("rest", ~sure)):
            defined = mask & np.isfinite(rho)
            out[f"spearman_{name}_{part}"] = float(rho[defined].mean()) if defined.any() else None
    return out
