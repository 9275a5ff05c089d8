"""Sanity check of a saliency method (Adebayo et al., 2018): cascading randomisation.

Maps of a model whose weights are re-initialised from the top layer down should not look like
the trained model's; `rank_correlation` measures how alike two maps are.
"""

from __future__ import annotations

import numpy as np

from dlhw.gradcam.cam import GradCam
from dlhw.gradcam.inputs import GradCamError


def rank_correlation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation of each pair of maps a[i], b[i] (N, ...) -> (N,).

    Ties get average ranks. Where either map is constant (e.g. all zero) the correlation is
    undefined and returned as NaN: callers count those and average the rest.
    """
    from scipy.stats import rankdata

    a, b = np.asarray(a, "float64"), np.asarray(b, "float64")
    if a.shape != b.shape or a.ndim < 2:
        raise GradCamError(
            f"a and b must be equal-shaped batches (N, ...), got {a.shape}, {b.shape}."
        )
    ra = rankdata(a.reshape(len(a), -1), axis=1)
    rb = rankdata(b.reshape(len(b), -1), axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    norm = np.sqrt((ra * ra).sum(axis=1) * (rb * rb).sum(axis=1))
    dot = (ra * rb).sum(axis=1)
    return np.divide(dot, norm, out=np.full(len(a), np.nan), where=norm > 0)


def weighted_layer_names(model) -> list[str]:  # pragma: no mutate block
    """Names of the layers that hold weights, from the input to the output."""
    return [layer.name for layer in model.layers if layer.weights]


def reinitialize(layer, seed: int) -> None:  # pragma: no mutate block
    """Draw fresh values for `layer`'s kernel and bias from its own initializers (in place).

    A layer with other weights (BatchNormalization, recurrent or depthwise kernels) raises a
    GradCamError rather than being reported as randomised while partly trained.
    """
    names = {id(getattr(layer, a, None)) for a in ("kernel", "bias")}
    others = [w.path for w in layer.weights if id(w) not in names]
    if others:
        raise GradCamError(
            f"cannot re-initialise layer {layer.name!r}: only kernel and bias are supported "
            f"(Dense, Conv), and it also holds {others}."
        )
    for attribute in ("kernel", "bias"):
        variable = getattr(layer, attribute, None)
        if variable is None:
            continue
        initializer = getattr(layer, f"{attribute}_initializer")
        config = {**initializer.get_config()}
        if "seed" in config:
            config["seed"] = seed
        fresh = type(initializer).from_config(config)
        variable.assign(fresh(tuple(variable.shape), dtype=variable.dtype))


def cascading_randomization(
    model,
    images,
    class_index,
    *,
    layer: str | None = None,
    method: str = "gradcam",
    seed: int = 0,
    keep: int = 0,
    probe=None,
) -> list[dict]:  # pragma: no mutate block
    """Adebayo et al.'s cascade: re-initialise weighted layers from the top down, compare maps.

    Works on a copy (the user's model is untouched). Returns one row per step:
    {"randomized_down_to": layer name, "spearman": mean over images of the rank correlation
    between raw maps (N, h, w) of the trained and the randomised model, "undefined": how many
    images had a constant map (excluded from the mean)}, plus "maps": the randomised model's
    raw maps of the first `keep` images (keep, h, w) when keep > 0. A first row named
    "trained" holds the trained model's (Spearman 1 by definition). `probe(model) -> dict`,
    if given, is called with the trained model and then each randomised copy, and what it
    returns is added to that row (e.g. what another Grad-CAM implementation makes of it).
    """
    import keras

    reference = GradCam(model, layer, method)
    x = reference.images(images)
    trained, classes = reference.explain(x, class_index, normalize=False)  # None: predicted
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    rows = [{"randomized_down_to": "trained", "spearman": 1.0, "undefined": 0}]
    if keep:
        rows[0]["maps"] = trained[:keep]
    if probe is not None:
        rows[0].update(probe(model))
    for step, name in enumerate(reversed(weighted_layer_names(copy))):
        reinitialize(copy.get_layer(name), seed + step)
        randomized = GradCam(copy, reference.layer, method)(x, classes, normalize=False)
        rho = rank_correlation(trained, randomized)
        defined = np.isfinite(rho)
        mean = float(rho[defined].mean()) if defined.any() else float("nan")
        row = {"randomized_down_to": name, "spearman": mean, "undefined": int((~defined).sum())}
        if keep:
            row["maps"] = randomized[:keep]
        if probe is not None:
            row.update(probe(copy))
        rows.append(row)
    return rows
