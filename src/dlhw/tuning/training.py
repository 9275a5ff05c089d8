"""Q1's final models: retrain chosen hyperparameters from scratch on all training images, and
train any model with one fixed recipe of ours so two architectures compare with everything else
equal (the answer's Q1 shows no `fit` call, so its own recipe is unknown)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import keras
import numpy as np

from dlhw.checks import positive_int
from dlhw.tuning.settings import TuningError
from dlhw.tuning.spaces import CNNHyperModel, fixed_hyperparameters


def retrain(
    hypermodel: CNNHyperModel,
    values: dict[str, Any],
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    verbose: int = 0,
) -> tuple[keras.Model, keras.callbacks.History]:
    """Build `values` from scratch and train it `epochs` epochs on x (N, 28, 28, 1), y (N, 10).

    The tuned learning rate is the start of a cosine decay over the whole run (a run this
    much longer than a trial would otherwise end at a rate tuned for a few epochs).
    """
    positive_int(epochs, "epochs")
    hp = fixed_hyperparameters(values)
    model = hypermodel.build(hp)
    batch_size = int(values.get("batch_size", 128))
    steps = epochs * math.ceil(len(x) / batch_size)
    schedule = keras.optimizers.schedules.CosineDecay(float(values["learning_rate"]), steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
    return model, history


# Ours: Adam at a constant 1e-3 (one of the answer's three rates, L138; which one its best trial
# used is not shown) and batch 64 (the answer's Q7 `fit`, L389); no augmentation, no schedule.
ONE_RECIPE = {"learning_rate": 1e-3, "batch_size": 64}


def compile_with_recipe(
    model: keras.Model, learning_rate: float = ONE_RECIPE["learning_rate"]
) -> keras.Model:
    """Compile `model` as our one recipe trains: Adam at a constant rate, categorical
    cross-entropy, accuracy. Returns the model."""
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def train_with_recipe(
    model: keras.Model,
    splits,
    *,
    epochs: int,
    learning_rate: float = ONE_RECIPE["learning_rate"],
    batch_size: int = ONE_RECIPE["batch_size"],
    label: str = "",
    train_images: int | None = None,
) -> dict[str, Any]:
    """Train `model` with one recipe and test it once: Adam at a constant `learning_rate`,
    categorical cross-entropy, `batch_size`, `epochs` epochs on `splits.x_train` (one-hot
    labels), `splits.x_val` monitored. The defaults are our one recipe (`ONE_RECIPE`), so that
    two architectures can be compared with everything else equal.

    `train_images` keeps only the first that many training images (all when None): the
    quick profile's first look trains the answer's 2-million-weight model on a subset.

    Prints one line per epoch (prefixed by `label`) and returns test_accuracy, val_accuracy
    (last epoch), epoch_seconds (median), params and the per-epoch `seconds`.
    """
    from dlhw.sequence_models import fit_and_test

    positive_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    if np.ndim(splits.y_train) != 2:
        raise TuningError(
            "splits need one-hot labels (N, 10): use mnist_splits(..., one_hot=True)."
        )
    if train_images is not None:
        positive_int(train_images, "train_images")
        splits = dataclasses.replace(
            splits, x_train=splits.x_train[:train_images], y_train=splits.y_train[:train_images]
        )
    compile_with_recipe(model, learning_rate)
    result = fit_and_test(model, splits, epochs=epochs, batch_size=batch_size, label=label)
    return {
        "test_accuracy": result.test_accuracy,
        "val_accuracy": result.history["val_accuracy"][-1],
        "epoch_seconds": result.seconds_per_epoch,
        "params": result.params,
        "seconds": result.epoch_seconds,
    }
