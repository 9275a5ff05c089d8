"""Grad-CAM and Grad-CAM++ for Keras 3 classifiers: batched, with sanity and faithfulness checks.

`grad_cam(model, images)` returns one class-activation map per image, (N, h, w), at the
resolution of the explained layer (7x7 for `conv3` of the answer's CNN). The score is the
class *logit* (before the softmax), as in the Grad-CAM paper: a linear-head view of the model
shares its weights, so the user's model is never modified. Each batch is one `tf.function`
call; `GradCam(model)` keeps the traced function for reuse over many calls.

Checks of what a map is worth: `cascading_randomization` (Adebayo et al., 2018: maps of a model
whose weights are re-initialised from the top layer down should not look like the trained
model's) and `deletion_drop` (blanking the pixels a map ranks highest should hurt the class
probability more than blanking random pixels).

`answer_grad_cam` is the written answer's per-image function, kept as the speed baseline.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlhw.errors import DlhwError

METHODS = ("gradcam", "gradcam++")
# The class score differentiated: the pre-softmax logit (the paper), or the softmax probability
# (the written answer's choice, kept to show what it changes).
SCORES = ("logit", "probability")


class GradCamError(DlhwError, ValueError):
    """Bad input to a Grad-CAM helper: the message names the argument and what it accepts."""


# ----------------------------------------------------------------------------- the model view


def _spatial(tensor) -> bool:  # pragma: no mutate block
    return len(tensor.shape) == 4


def _graph(model):  # pragma: no mutate block
    """Return (inputs, {layer name: output tensor}, features before the last layer).

    A Sequential model is re-wired on a fresh `keras.Input` (its layers, hence its weights,
    are shared): Keras 3's `Sequential.output` raises even for built models, and a model built
    by calling it on an array carries that array's fixed batch size.
    """
    import keras

    if not isinstance(model, keras.Model):
        raise GradCamError(f"model must be a keras.Model, got {type(model).__name__}.")
    if isinstance(model, keras.Sequential):
        try:
            shape = tuple(model.inputs[0].shape[1:])
        except (AttributeError, TypeError, IndexError) as exc:
            raise GradCamError(
                f"model {model.name!r} is a Sequential model that was never built, so its "
                "input shape is unknown: start it with keras.Input(shape), or call "
                "model.build((None, *shape)) (or train it) before explaining it."
            ) from exc
        inputs = x = keras.Input(shape, dtype=model.inputs[0].dtype)
        outputs = {}
        features = x
        for layer in model.layers:
            features = x
            x = layer(x)
            outputs[layer.name] = x
        return [inputs], outputs, features
    if len(model.outputs) != 1 or len(model.inputs) != 1:
        raise GradCamError(
            f"model must have one input and one output, got {len(model.inputs)} and "
            f"{len(model.outputs)}."
        )
    outputs = {
        layer.name: layer.output
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    }
    return list(model.inputs), outputs, model.layers[-1].input


def spatial_layer_names(model) -> list[str]:  # pragma: no mutate block
    """Names of the layers whose output is 4-D (N, h, w, channels): those Grad-CAM can explain."""
    _, outputs, _ = _graph(model)
    return [name for name, tensor in outputs.items() if _spatial(tensor)]


def _pick_layer(model, outputs: dict, layer: str | None) -> str:  # pragma: no mutate block
    import keras

    usable = [name for name, tensor in outputs.items() if _spatial(tensor)]
    if not usable:
        raise GradCamError(
            f"model {model.name!r} has no layer with a 4-D (N, h, w, channels) output to explain."
        )
    if layer is None:
        convs = [n for n in usable if isinstance(model.get_layer(n), keras.layers.Conv2D)]
        return (convs or usable)[-1]
    if not isinstance(layer, str):
        raise GradCamError(f"layer must be a layer name (str) or None, got {layer!r}.")
    if layer not in outputs:
        raise GradCamError(f"layer {layer!r} is not in the model; usable layers: {usable}.")
    if layer not in usable:
        raise GradCamError(
            f"layer {layer!r} has output shape {tuple(outputs[layer].shape)}, not a 4-D "
            f"(N, h, w, channels) map; usable layers: {usable}."
        )
    return layer


def _linear_head(model):  # pragma: no mutate block
    """Return f(features) -> logits that reads the last layer's own variables (no copy)."""
    import keras
    from keras import ops

    last = model.layers[-1]
    if isinstance(last, keras.layers.Dense):
        if last.use_bias:
            return lambda h: ops.matmul(h, last.kernel) + last.bias
        return lambda h: ops.matmul(h, last.kernel)
    if isinstance(last, (keras.layers.Activation, keras.layers.Softmax)):
        return lambda h: h
    raise GradCamError(
        f"model's last layer {last.name!r} is a {type(last).__name__}; expected a Dense layer "
        "(any activation) or an Activation/Softmax layer, so that the logits can be read."
    )


# ----------------------------------------------------------------------------- Grad-CAM


def _cam_weights(grads, acts, method: str):  # pragma: no mutate block
    """Channel weights (N, 1, 1, K) from gradients and activations, both (N, h, w, K)."""
    import tensorflow as tf

    if method == "gradcam":
        return tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    # Grad-CAM++ (Chattopadhay et al., 2018), for an exponential score exp(logit), whose
    # per-image factor exp(logit) only scales the map and is dropped.
    g2 = grads * grads
    denominator = 2.0 * g2 + tf.reduce_sum(acts, axis=(1, 2), keepdims=True) * g2 * grads
    safe = tf.where(denominator != 0.0, denominator, tf.ones_like(denominator))
    alpha = tf.where(denominator != 0.0, g2 / safe, tf.zeros_like(g2))
    return tf.reduce_sum(alpha * tf.nn.relu(grads), axis=(1, 2), keepdims=True)


class GradCam:  # pragma: no mutate block
    """A reusable Grad-CAM explainer: build the view and trace once, explain many batches.

    `GradCam(model, layer=None, method="gradcam")(images, class_index=None)` -> (N, h, w).
    `layer=None` takes the last Conv2D layer (else the last layer with a 4-D output).
    `score="probability"` differentiates the softmax probability instead of the logit, as the
    written answer did (its gradient vanishes as the model grows confident).
    """

    def __init__(
        self,
        model,
        layer: str | None = None,
        method: str = "gradcam",
        *,
        batch_size: int = 1000,
        score: str = "logit",
    ) -> None:
        import keras
        import tensorflow as tf

        if method not in METHODS:
            raise GradCamError(f"method must be one of {list(METHODS)}, got {method!r}.")
        if score not in SCORES:
            raise GradCamError(f"score must be one of {list(SCORES)}, got {score!r}.")
        self.score = score
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise GradCamError(f"batch_size must be a positive integer, got {batch_size!r}.")
        inputs, outputs, features = _graph(model)
        self.model, self.method, self.batch_size = model, method, batch_size
        self.layer = _pick_layer(model, outputs, layer)
        self.input_shape = tuple(int(d) for d in inputs[0].shape[1:])
        self._view = keras.Model(inputs, [outputs[self.layer], features])
        self._head = _linear_head(model)
        self.n_classes = int(self._head(keras.ops.zeros((1, *features.shape[1:]))).shape[-1])
        spec = tf.TensorSpec((None, *self.input_shape), tf.float32)
        self._maps = tf.function(
            self._maps_graph, input_signature=[spec, tf.TensorSpec((None,), tf.int32)]
        )
        self._logits = tf.function(lambda x: self._head(self._view(x)[1]), input_signature=[spec])

    def _maps_graph(self, x, classes):
        import tensorflow as tf

        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            acts, features = self._view(x, training=False)
            logits = self._head(features)
            predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
            classes = tf.where(classes < 0, predicted, classes)
            scores = tf.nn.softmax(logits) if self.score == "probability" else logits
            score = tf.gather(scores, classes, axis=1, batch_dims=1)  # (N,): one score each
        # Images are independent (inference mode), so d(sum of scores)/d(acts) is per image.
        grads = tape.gradient(score, acts)
        weights = _cam_weights(grads, acts, self.method)
        return tf.nn.relu(tf.reduce_sum(weights * acts, axis=-1)), classes

    def images(self, images) -> np.ndarray:
        """Validate and reshape `images` to a float32 batch (N, *input_shape)."""
        return as_batch(images, self.input_shape)

    def classes(self, class_index, n: int) -> np.ndarray:
        """Validate `class_index` (None, an int or N ints) into (N,) int32; -1 means predicted."""
        return _class_array(class_index, n, self.n_classes)

    def logits(self, images) -> np.ndarray:
        """Pre-softmax class scores (N, n_classes) of `images`, batched."""
        x = self.images(images)
        parts = [
            self._logits(x[i : i + self.batch_size]) for i in range(0, len(x), self.batch_size)
        ]
        return np.concatenate([p.numpy() for p in parts])

    def __call__(self, images, class_index=None, *, normalize: bool = True) -> np.ndarray:
        """Maps (N, h, w) for `images` (N, H, W[, C]) and `class_index` (None: predicted)."""
        maps, _ = self.explain(images, class_index, normalize=normalize)
        return maps

    def explain(self, images, class_index=None, *, normalize: bool = True):
        """Return (maps (N, h, w), explained classes (N,)); maps scaled to [0, 1] if normalize."""
        x = self.images(images)
        classes = self.classes(class_index, len(x))
        maps, used = [], []
        for i in range(0, len(x), self.batch_size):
            m, c = self._maps(x[i : i + self.batch_size], classes[i : i + self.batch_size])
            maps.append(m.numpy())
            used.append(c.numpy())
        maps = np.concatenate(maps).astype("float32")
        return (normalize_maps(maps) if normalize else maps), np.concatenate(used)


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


def _class_array(class_index, n: int, n_classes: int) -> np.ndarray:  # pragma: no mutate block
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


def normalize_maps(maps: np.ndarray) -> np.ndarray:
    """Scale each map of (N, ...) by its maximum into [0, 1]; an all-zero map stays all zero.

    The answer divided by the maximum unconditionally, which is 0/0 = NaN for an empty map.
    """
    maps = np.asarray(maps, dtype="float32")
    peak = maps.reshape(len(maps), -1).max(axis=1).reshape((-1,) + (1,) * (maps.ndim - 1))
    return np.divide(maps, peak, out=np.zeros_like(maps), where=peak > 0)


# pragma: no mutate start (Keras-level or outside `make mutate`'s scope)
def grad_cam(
    model,
    images,
    class_index=None,
    layer: str | None = None,
    method: str = "gradcam",
    *,
    normalize: bool = True,
    batch_size: int = 1000,
) -> np.ndarray:
    """Grad-CAM (or Grad-CAM++) maps (N, h, w) of `images` for `class_index` (None: predicted).

    images: (H, W), (H, W, C) or a batch (N, H, W[, C]) matching the model's input.
    Maps are in [0, 1] when `normalize` (each divided by its maximum; all-zero stays zero),
    else the raw ReLU(sum_k w_k A_k). For many calls on one model, reuse a `GradCam`.
    """
    return GradCam(model, layer, method, batch_size=batch_size)(
        images, class_index, normalize=normalize
    )


def upsample(maps: np.ndarray, size: tuple[int, int] = (28, 28)) -> np.ndarray:
    """Bilinearly resize maps (N, h, w) (or one (h, w)) to (N, *size) for overlays."""
    import tensorflow as tf

    maps = np.asarray(maps, dtype="float32")
    single = maps.ndim == 2
    if maps.ndim not in (2, 3):
        raise GradCamError(f"maps must be (h, w) or (N, h, w), got shape {maps.shape}.")
    batch = maps[None] if single else maps
    out = tf.image.resize(batch[..., None], size, method="bilinear").numpy()[..., 0]
    return out[0] if single else out


def overlay(image: np.ndarray, cam: np.ndarray, *, alpha: float = 0.45, cmap: str = "jet"):
    """RGB (H, W, 3) in [0, 1]: the grey image (H, W[, 1]) under a coloured map (h, w)."""
    from matplotlib import colormaps

    if not 0.0 <= alpha <= 1.0:
        raise GradCamError(f"alpha must be in [0, 1], got {alpha}.")
    grey = np.asarray(image, dtype="float32").reshape(np.shape(image)[:2])
    cam = np.asarray(cam, dtype="float32")
    if cam.shape != grey.shape:
        cam = upsample(cam, grey.shape)
    heat = colormaps[cmap](normalize_maps(cam[None])[0])[..., :3]
    span = grey.max() - grey.min()
    grey = (grey - grey.min()) / span if span > 0 else np.zeros_like(grey)
    rgb = (1 - alpha) * np.repeat(grey[..., None], 3, axis=-1) + alpha * heat
    return np.clip(rgb, 0.0, 1.0)


# ----------------------------------------------------------------------------- the answer's code


def answer_grad_cam(img_array, model, last_conv_layer_name: str, pred_index=None) -> np.ndarray:
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


def answer_maps(model, images, layer: str, classes: Sequence[int] | None = None) -> np.ndarray:
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


# pragma: no mutate end


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


# ----------------------------------------------------------------------------- sanity check


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


# ----------------------------------------------------------------------------- faithfulness


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


# ----------------------------------------------------------------------------- speed


def speed_comparison(
    model, images, *, n_baseline: int, layer: str | None = None, repeats: int = 3
) -> dict[str, float]:  # pragma: no mutate block
    """Time the answer's per-image function on `n_baseline` images against ours on the same
    images and on all of `images` (N, 28, 28, 1). Seconds; ours is the median of `repeats`.

    "cold" includes building our view and tracing its function (a first call); "warm" reuses
    one `GradCam`, as a user explaining many batches would. The speed-up is the ratio of the
    seconds per image, answer over ours warm (and over ours cold).
    """
    import statistics
    import time

    explainer = GradCam(model, layer)
    x = explainer.images(images)
    if isinstance(n_baseline, bool) or not isinstance(n_baseline, int) or n_baseline < 1:
        raise GradCamError(f"n_baseline must be a positive integer, got {n_baseline!r}.")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise GradCamError(f"repeats must be a positive integer, got {repeats!r}.")
    few = x[:n_baseline]

    def seconds(run) -> float:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    answer = seconds(lambda: [answer_grad_cam(im[None], model, explainer.layer) for im in few])
    cold = seconds(lambda: grad_cam(model, few, layer=explainer.layer))
    explainer(few[:2])  # trace once
    warm = statistics.median(seconds(lambda: explainer(few)) for _ in range(repeats))
    warm_all = statistics.median(seconds(lambda: explainer(x)) for _ in range(repeats))
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
