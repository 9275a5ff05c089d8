"""The model as Grad-CAM sees it: its input, every layer's output, and the logits' linear head.

The user's model is never modified: a Sequential model is re-wired on a fresh `keras.Input`
(sharing its layers, hence its weights), and the head reads the last layer's own variables.
"""

from __future__ import annotations

from dlhw.gradcam.inputs import GradCamError


def _spatial(tensor) -> bool:  # pragma: no mutate block
    return len(tensor.shape) == 4


def graph(model):  # pragma: no mutate block
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
    _, outputs, _ = graph(model)
    return [name for name, tensor in outputs.items() if _spatial(tensor)]


def pick_layer(model, outputs: dict, layer: str | None) -> str:  # pragma: no mutate block
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


def linear_head(model):  # pragma: no mutate block
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
