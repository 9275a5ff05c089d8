"""Q1's search spaces for the MNIST CNN.

- `seed_answer_hypermodel(hp)`: the written answer's search space, repaired (one filters
  hyperparameter per conv layer, no 1-filter layers, a working dense loop).
- `CNNHyperModel`: our space (conv blocks, BatchNorm, dropout, dense head, learning rate on a
  log scale, batch size tuned in `fit`), every configuration at most 208,000 parameters.
- `grid_space()`: the small sub-space GridSearch walks; `fixed_hyperparameters(values)`.
"""

from __future__ import annotations

from typing import Any

import keras
import keras_tuner

from dlhw.tuning.settings import TuningError

OBJECTIVE = "val_accuracy"  # what every search maximises, on the validation split
NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)
MAX_PARAMS = 208_000  # 10% of the written answer's 2,085,224-parameter model
ANSWER_BEST = {  # the answer's reported best model, in the repaired space's names
    "num_conv_layers": 3,
    "conv1_filters": 225,
    "conv2_filters": 225,
    "conv3_filters": 225,
    "num_dense_layers": 2,
    "dense_0_units": 64,
    "dense_1_units": 64,
    "learning_rate": 1e-3,
}
ANSWER_BEST_PARAMS = 2_085_224


def seed_answer_hypermodel(hp: keras_tuner.HyperParameters) -> keras.Model:
    """The written answer's `build_cnn_model(hp)`, repaired: x (N, 28, 28, 1) -> (N, 10).

    1-5 Conv2D (kernel 3, ReLU, `valid`), 2x2 max pooling before every odd-indexed one, one
    filters hyperparameter per layer (17..241 step 16, so the answer's 225 stays reachable and
    no layer has 1 filter), 1-5 Dense layers (32..256 step 32), softmax, Adam with a learning
    rate from {1e-3, 5e-4, 1e-4}. Five conv layers shrink the map below the kernel: such a
    configuration raises `keras_tuner.errors.FailedTrialError` (a failed trial in a search).
    """
    layers = keras.layers
    n_conv = hp.Int("num_conv_layers", 1, 5)
    x = inputs = keras.Input(INPUT_SHAPE, name="image")
    size = INPUT_SHAPE[0]
    for i in range(n_conv):
        if i % 2 == 1:
            x = layers.MaxPooling2D(2, 2, name=f"pool{i + 1}")(x)
            size //= 2
        if size < 3:
            raise keras_tuner.errors.FailedTrialError(
                f"num_conv_layers={n_conv}: the feature map is {size}x{size} before conv "
                f"layer {i + 1}, smaller than its 3x3 kernel; use at most 4 conv layers."
            )
        filters = hp.Int(f"conv{i + 1}_filters", 17, 241, step=16)
        x = layers.Conv2D(filters, 3, activation="relu", name=f"conv{i + 1}")(x)
        size -= 2
    x = layers.Flatten(name="flatten")(x)
    for i in range(hp.Int("num_dense_layers", 1, 5)):
        units = hp.Int(f"dense_{i}_units", 32, 256, step=32)
        x = layers.Dense(units, activation="relu", name=f"dense{i + 1}")(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="seed_answer_cnn")
    model.compile(
        optimizer=keras.optimizers.Adam(hp.Choice("learning_rate", [1e-3, 5e-4, 1e-4])),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class CNNHyperModel(keras_tuner.HyperModel):
    """Our space: three conv blocks, x (N, 28, 28, 1) -> class probabilities (N, 10).

    Block b: `convs_per_block` x [Conv2D 3x3 `same` (-> BatchNorm if `batch_norm`) -> ReLU],
    2x2 max pooling (28 -> 14 -> 7 -> 3), Dropout(`conv_dropout`). Head: `dense` (Flatten,
    Dense `dense_units` ReLU, Dropout `dense_dropout`; those two exist only for this head) or
    `global_avg` (GlobalAveragePooling2D). Adam with `learning_rate` (log scale, 1e-4..1e-2);
    `batch_size` is tuned in `fit`. The largest configuration has fewer than `MAX_PARAMS`.
    """

    FILTERS = ((16, 32), (32, 48, 64), (32, 48, 64))  # choices for blocks 1, 2, 3
    DENSE_UNITS = (32, 64, 96)
    BATCH_SIZES = (64, 128, 256)
    DOWNSAMPLING = ("pool", "strided")

    def __init__(self, downsample: str = "pool", **kwargs):
        """`downsample`: each block ends with a 2x2 max pooling (`pool`, the searched space) or
        a 2x2 stride-2 `valid` Conv2D of the block's channels (`strided`, Q1's pooling check)."""
        if downsample not in self.DOWNSAMPLING:
            raise TuningError(f"downsample must be one of {self.DOWNSAMPLING}, got {downsample!r}.")
        super().__init__(**kwargs)
        self.downsample = downsample

    def build(self, hp: keras_tuner.HyperParameters) -> keras.Model:
        layers = keras.layers
        convs = hp.Int("convs_per_block", 1, 2, default=1)
        batch_norm = hp.Boolean("batch_norm", default=True)
        conv_dropout = hp.Float("conv_dropout", 0.0, 0.3, step=0.1, default=0.1)
        x = inputs = keras.Input(INPUT_SHAPE, name="image")
        for b, choices in enumerate(self.FILTERS, start=1):
            filters = hp.Choice(f"filters_{b}", list(choices), default=choices[0])
            for c in range(1, convs + 1):
                name = f"block{b}_conv{c}"
                x = layers.Conv2D(filters, 3, padding="same", use_bias=not batch_norm, name=name)(x)
                if batch_norm:  # momentum 0.9: short trials need settled moving statistics
                    x = layers.BatchNormalization(momentum=0.9, name=f"block{b}_bn{c}")(x)
                x = layers.Activation("relu", name=f"block{b}_relu{c}")(x)
            if self.downsample == "pool":
                x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
            else:
                x = layers.Conv2D(filters, 2, strides=2, name=f"block{b}_stride")(x)
            x = layers.Dropout(conv_dropout, name=f"block{b}_dropout")(x)
        head = hp.Choice("head", ["dense", "global_avg"], default="dense")
        if head == "dense":
            with hp.conditional_scope("head", ["dense"]):
                units = hp.Choice("dense_units", list(self.DENSE_UNITS), default=64)
                dense_dropout = hp.Float("dense_dropout", 0.0, 0.5, step=0.1, default=0.3)
            x = layers.Flatten(name="flatten")(x)
            x = layers.Dense(units, activation="relu", name="head_dense")(x)
            x = layers.Dropout(dense_dropout, name="head_dropout")(x)
        else:
            x = layers.GlobalAveragePooling2D(name="global_avg")(x)
        outputs = layers.Dense(NUM_CLASSES, activation="softmax", name="predictions")(x)
        model = keras.Model(inputs, outputs, name="tuned_cnn")
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log", default=1e-3)
        model.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    def fit(self, hp: keras_tuner.HyperParameters, model: keras.Model, *args, **kwargs):
        """`model.fit` with the tuned `batch_size`."""
        kwargs["batch_size"] = hp.Choice("batch_size", list(self.BATCH_SIZES), default=128)
        return model.fit(*args, **kwargs)

    def space(self) -> keras_tuner.HyperParameters:
        """Every hyperparameter of the space at its default (`batch_size` included)."""
        hp = keras_tuner.HyperParameters()
        self.build(hp)
        self.fit(hp, _NoFit())
        return hp


class _NoFit:
    """Stands in for a model when only the hyperparameters that `fit` declares are wanted."""

    def fit(self, *args, **kwargs):
        return kwargs


def grid_space() -> keras_tuner.HyperParameters:
    """The small discrete sub-space GridSearch walks (6 points); the rest keep defaults."""
    hp = keras_tuner.HyperParameters()
    hp.Choice("learning_rate", [1e-3, 3e-3, 1e-2])
    hp.Boolean("batch_norm", default=True)
    return hp


def fixed_hyperparameters(values: dict[str, Any]) -> keras_tuner.HyperParameters:
    """A `HyperParameters` whose `values` are `values` (to build one chosen configuration)."""
    hp = keras_tuner.HyperParameters()
    hp.values.update(values)
    return hp
