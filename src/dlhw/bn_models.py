"""Q6's model: the same MLP with or without a normalisation layer, compiled with plain SGD.

The experiments in `dlhw.bn_experiments` build, compile, measure and reset models with these.
"""

from __future__ import annotations

import numpy as np

NORMS = (None, "batch", "layer", "group")


def check_norm(norm: str | None) -> None:
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}.")


def _norm_layer(norm: str, name: str, groups: int, epsilon: float | None = None):
    import keras

    if norm == "batch":
        if epsilon is None:
            return keras.layers.BatchNormalization(name=name)
        return keras.layers.BatchNormalization(epsilon=epsilon, name=name)
    if norm == "layer":
        return keras.layers.LayerNormalization(name=name)
    return keras.layers.GroupNormalization(groups=groups, name=name)


def build_mlp(
    norm: str | None = None,
    *,
    hidden: tuple[int, ...] = (256, 256, 256),
    input_shape: tuple[int, ...] = (28, 28, 1),
    n_classes: int = 10,
    groups: int = 8,
    seed: int = 0,
    epsilon: float | None = None,
):
    """An MLP: Flatten, then per hidden layer Dense -> [norm] -> ReLU, then Dense(n_classes).

    norm: None, "batch", "layer" or "group" (GroupNormalization with `groups` over the units).
    With a norm the Dense layers drop their bias. Before BatchNorm that bias is redundant (BN
    subtracts the batch mean and beta adds a constant back); before LayerNorm or GroupNorm it is
    not (Ba et al. 2016, section 5.1), so Q6 (d) compares the three without it, on purpose, to
    change one thing only. Seeded weights, so the runs with and without a norm start from the
    same Dense kernels. `epsilon` sets BatchNormalization's eps (None: Keras' default 1e-3).
    """
    import keras

    check_norm(norm)
    if not hidden or any(int(u) < 1 for u in hidden):
        raise ValueError(f"hidden must be a non-empty tuple of positive widths, got {hidden}.")
    if norm == "group" and any(u % groups for u in hidden):
        raise ValueError(f"every hidden width must be divisible by groups={groups}, got {hidden}.")
    if epsilon is not None and not (epsilon > 0 and norm == "batch"):
        raise ValueError(f"epsilon must be positive and needs norm='batch', got {epsilon!r}.")
    inputs = keras.Input(shape=input_shape, name="image")
    h = keras.layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate(hidden):
        init = keras.initializers.HeNormal(seed=seed + i)
        h = keras.layers.Dense(
            units, use_bias=norm is None, kernel_initializer=init, name=f"dense_{i}"
        )(h)
        if norm is not None:
            h = _norm_layer(norm, f"{norm}_norm_{i}", groups, epsilon)(h)
        h = keras.layers.ReLU(name=f"relu_{i}")(h)
    init = keras.initializers.GlorotUniform(seed=seed + len(hidden))
    outputs = keras.layers.Dense(n_classes, kernel_initializer=init, name="logits")(h)
    return keras.Model(inputs, outputs, name=f"mlp_{norm or 'plain'}")


def compile_sgd(model, learning_rate: float, *, momentum: float = 0.0, steps_per_execution=1):
    """Compile with plain SGD and sparse categorical cross-entropy on logits; return the model."""
    import keras

    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}.")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


def kernel_norms(model) -> list[float]:
    """Frobenius norm of each Dense layer's kernel, from the input to the output."""
    import keras

    return [
        float(np.linalg.norm(layer.kernel.numpy().astype("float64")))  # float32 overflows
        for layer in model.layers
        if isinstance(layer, keras.layers.Dense)
    ]


def weight_resetter(model):
    """Snapshot a compiled model's weights and optimizer state; return a function restoring both.

    Resetting instead of rebuilding keeps Keras' traced train/test functions (their input spec
    has a free batch dimension), so a sweep traces once per model, not once per setting.
    """
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    weights = model.get_weights()
    state = [v.numpy() for v in model.optimizer.variables]

    def reset() -> None:
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, state, strict=True):
            variable.assign(value)

    return reset
