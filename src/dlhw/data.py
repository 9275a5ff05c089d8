"""The vendored datasets, verified by SHA-256 before use, and MNIST split for training.

`load_mnist()` returns exactly what `keras.datasets.mnist.load_data()` returns, from
`data/mnist.npz`; `load_msft()` returns the daily MSFT prices with a parsed, sorted `Date`.
A missing file, a wrong checksum or a wrong shape raises a `DataError` that says how to
restore the file. Only when the vendored MNIST file is absent does Keras' download take over.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlhw import paths
from dlhw.errors import DlhwError

MNIST_FILE = "mnist.npz"
MSFT_FILE = "msft.csv"
SHA256 = {
    MNIST_FILE: "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",
    MSFT_FILE: "233566bb6e8b7f56cd928b9a9e034bf03733d648368d445089b8d5c9d0dd312b",
}
MNIST_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}
MSFT_COLUMNS = ["Date", "Open", "High", "Low", "Close", "Volume", "OpenInt"]
MSFT_ROWS = 7983
RESTORE_HINT = (
    "Restore it from the repository with `git checkout -- data/{name}` "
    "(or copy it from the course's shared data folder; see README, Data)."
)

_verified: set[tuple[str, int, int]] = set()


class DataError(DlhwError, RuntimeError):
    """A vendored data file is missing, corrupted or not shaped as expected."""


def sha256_of(path: Path) -> str:
    """Return the hex SHA-256 digest of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    """Check `path` against its expected SHA-256, once per process (per path, size, mtime)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"{path}: file not found; expected the vendored {path.name}. "
            + RESTORE_HINT.format(name=path.name)
        )
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key in _verified:
        return
    actual = sha256_of(path)
    if actual != expected:
        raise DataError(
            f"{path}: SHA-256 mismatch (expected {expected}, got {actual}); the file is "
            "corrupted or was modified. " + RESTORE_HINT.format(name=path.name)
        )
    _verified.add(key)


def load_mnist(
    path: str | Path | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Return `(x_train, y_train), (x_test, y_test)` as uint8 arrays, like Keras' loader.

    `path` defaults to `data/mnist.npz`. If that default file is absent, fall back to
    `keras.datasets.mnist.load_data()` (which needs internet) with a warning.
    """
    default = path is None
    path = Path(path) if path is not None else paths.data_dir() / MNIST_FILE
    if default and not path.exists():
        return _mnist_from_keras(path)
    verify(path, SHA256[MNIST_FILE])
    with np.load(path, allow_pickle=False) as archive:
        missing = [k for k in MNIST_SHAPES if k not in archive.files]
        if missing:
            raise DataError(
                f"{path}: arrays {missing} missing; expected {list(MNIST_SHAPES)}. "
                + RESTORE_HINT.format(name=path.name)
            )
        arrays = {k: archive[k] for k in MNIST_SHAPES}
    for key, shape in MNIST_SHAPES.items():
        if arrays[key].shape != shape or arrays[key].dtype != np.uint8:
            raise DataError(
                f"{path}: {key} has shape {arrays[key].shape} and dtype {arrays[key].dtype}; "
                f"expected {shape} uint8. " + RESTORE_HINT.format(name=path.name)
            )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _mnist_from_keras(missing: Path):
    warnings.warn(
        f"{missing} not found: downloading MNIST with keras.datasets.mnist.load_data(). "
        + RESTORE_HINT.format(name=missing.name),
        stacklevel=3,
    )
    import keras

    try:
        return keras.datasets.mnist.load_data()
    except Exception as exc:  # no network, blocked download, ...
        raise DataError(
            f"{missing}: file not found and the Keras download failed ({exc}). "
            + RESTORE_HINT.format(name=missing.name)
        ) from exc


def load_msft(path: str | Path | None = None):
    """Return the MSFT daily prices (1986-2017) as a DataFrame sorted by a parsed `Date`."""
    import pandas as pd

    path = Path(path) if path is not None else paths.data_dir() / MSFT_FILE
    verify(path, SHA256[MSFT_FILE])
    frame = pd.read_csv(path)
    if list(frame.columns) != MSFT_COLUMNS or len(frame) != MSFT_ROWS:
        raise DataError(
            f"{path}: {len(frame)} rows with columns {list(frame.columns)}; expected "
            f"{MSFT_ROWS} rows with columns {MSFT_COLUMNS}. " + RESTORE_HINT.format(name=path.name)
        )
    frame["Date"] = pd.to_datetime(frame["Date"], format="%Y-%m-%d")
    return frame.sort_values("Date", ignore_index=True)


@dataclass(frozen=True)
class MnistSplits:
    """MNIST scaled to [0, 1] float32: train / validation (held out from train) / test.

    x_*: (N, 28, 28, 1) (or (N, 28, 28) without the channel axis); y_*: (N,) int labels,
    or (N, 10) one-hot float32.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def mnist_splits(
    profile=None,
    *,
    seed: int = 0,
    one_hot: bool = False,
    channel_axis: bool = True,
) -> MnistSplits:
    """Shuffle the training set with `seed`, hold out a validation split, scale to [0, 1].

    Sizes come from `profile` (default: the active one): `mnist_train` images are drawn from
    the shuffled training set, `val_fraction` of them are held out for validation, and the
    first `mnist_test` test images are kept. The test set is never shuffled or touched.
    """
    from dlhw import profiles

    profile = profiles.current() if profile is None else profile
    if not 0 < profile.val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {profile.val_fraction}.")
    (x_train, y_train), (x_test, y_test) = load_mnist()
    order = np.random.default_rng(seed).permutation(len(x_train))
    order = order[: profile.subset(len(x_train), "mnist_train")]
    n_val = max(1, int(round(len(order) * profile.val_fraction)))
    val_idx, train_idx = order[:n_val], order[n_val:]
    n_test = profile.subset(len(x_test), "mnist_test")

    def images(x: np.ndarray) -> np.ndarray:
        x = x.astype("float32") / 255.0
        return x[..., None] if channel_axis else x

    def labels(y: np.ndarray) -> np.ndarray:
        return np.eye(10, dtype="float32")[y] if one_hot else y.astype("int64")

    return MnistSplits(
        images(x_train[train_idx]),
        labels(y_train[train_idx]),
        images(x_train[val_idx]),
        labels(y_train[val_idx]),
        images(x_test[:n_test]),
        labels(y_test[:n_test]),
    )
