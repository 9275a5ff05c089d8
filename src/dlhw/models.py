"""Model builders: the written answer's MNIST CNN (Q7's model, built from a list of layers).

Layers carry explicit names so that `model.summary()` prints the same text on every run and
helpers can address a layer by name (`conv3` is the last convolution, the Grad-CAM layer).
"""

from __future__ import annotations

ANSWER_CNN_PARAMS = 130_890  # the parameter count the written answer's summary showed


def build_answer_cnn(*, compile: bool = True):
    """Return the answer's CNN: x (N, 28, 28, 1) -> class probabilities (N, 10).

    Conv2D 32/64/64 (3x3, `same`, ReLU), each followed by 2x2 max pooling (28 -> 14 -> 7 -> 3),
    Flatten (576), Dense 128 (ReLU), Dense 10 (softmax): 130,890 parameters. A `Sequential`
    model with a `keras.Input`, as in the answer; compiled (Adam, categorical cross-entropy,
    accuracy) unless `compile=False`. Seed with `dlhw.repro.seed_everything` first.
    """
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input((28, 28, 1), name="image"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1"),
            layers.MaxPooling2D(2, name="pool1"),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2"),
            layers.MaxPooling2D(2, name="pool2"),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3"),
            layers.MaxPooling2D(2, name="pool3"),
            layers.Flatten(name="flatten"),
            layers.Dense(128, activation="relu", name="dense"),
            layers.Dense(10, activation="softmax", name="probabilities"),
        ],
        name="answer_cnn",
    )
    if compile:
        model.compile(
            optimizer=keras.optimizers.Adam(),
            loss="categorical_crossentropy",
            metrics=["accuracy"],
        )
    return model
