"""dlhw.data: checksums, shapes and every DataError path, on copies in tmp_path."""

import shutil

import numpy as np
import pytest

from dlhw import data, paths


@pytest.fixture(scope="module")
def vendored():
    return paths.data_dir()


def test_sha256sums_file_matches_constants(vendored):
    listed = dict(
        reversed(line.split()) for line in (vendored / "SHA256SUMS").read_text().splitlines()
    )
    assert listed == data.SHA256


def test_load_mnist_matches_keras_layout():
    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_test.shape == (10000, 28, 28)
    counts = np.bincount(y_train, minlength=10)
    assert counts.tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_load_msft_sorted_dates():
    frame = data.load_msft()
    assert len(frame) == 7983
    assert str(frame["Date"].dtype).startswith("datetime64")
    assert frame["Date"].is_monotonic_increasing
    assert frame["Date"].iloc[0].strftime("%Y-%m-%d") == "1986-03-13"


def test_missing_file(tmp_path):
    with pytest.raises(data.DataError, match=r"msft.csv: file not found.*git checkout"):
        data.load_msft(tmp_path / "msft.csv")
    with pytest.raises(data.DataError, match="file not found"):
        data.load_mnist(tmp_path / "mnist.npz")


def test_wrong_checksum(tmp_path, vendored):
    copy = tmp_path / "msft.csv"
    shutil.copy(vendored / "msft.csv", copy)
    with open(copy, "a") as handle:
        handle.write("2017-11-13,1,1,1,1,1,0\n")
    with pytest.raises(data.DataError, match=r"SHA-256 mismatch \(expected 2335"):
        data.load_msft(copy)


def test_wrong_shape_is_reported(tmp_path, monkeypatch):
    bad = tmp_path / "mnist.npz"
    z = np.zeros
    np.savez(
        bad,
        x_train=z((10, 28, 28), np.uint8),
        y_train=z(10, np.uint8),
        x_test=z((10, 28, 28), np.uint8),
        y_test=z(10, np.uint8),
    )
    monkeypatch.setitem(data.SHA256, data.MNIST_FILE, data.sha256_of(bad))
    with pytest.raises(data.DataError, match=r"x_train has shape \(10, 28, 28\).*60000"):
        data.load_mnist(bad)


def test_missing_array_is_reported(tmp_path, monkeypatch):
    bad = tmp_path / "mnist.npz"
    np.savez(bad, x_train=np.zeros((1, 28, 28), np.uint8))
    monkeypatch.setitem(data.SHA256, data.MNIST_FILE, data.sha256_of(bad))
    with pytest.raises(data.DataError, match="missing"):
        data.load_mnist(bad)


def test_wrong_columns_are_reported(tmp_path, monkeypatch):
    bad = tmp_path / "msft.csv"
    bad.write_text("Date,Close\n2000-01-03,1.0\n")
    monkeypatch.setitem(data.SHA256, data.MSFT_FILE, data.sha256_of(bad))
    with pytest.raises(data.DataError, match="expected 7983 rows"):
        data.load_msft(bad)


def test_checksum_verified_once_per_process(tmp_path, vendored, monkeypatch):
    copy = tmp_path / "msft.csv"
    shutil.copy(vendored / "msft.csv", copy)
    calls = []
    real = data.sha256_of
    monkeypatch.setattr(data, "sha256_of", lambda p: calls.append(p) or real(p))
    data.load_msft(copy)
    data.load_msft(copy)
    assert len(calls) == 1


def test_fallback_to_keras_only_when_vendored_file_absent(tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv("DLHW_DATA_DIR", str(tmp_path))
    sentinel = ((np.zeros(1),) * 2, (np.zeros(1),) * 2)
    monkeypatch.setattr(keras.datasets.mnist, "load_data", lambda: sentinel)
    with pytest.warns(UserWarning, match="downloading MNIST"):
        assert data.load_mnist() is sentinel


def test_fallback_failure_is_a_data_error(tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv("DLHW_DATA_DIR", str(tmp_path))

    def offline():
        raise OSError("no network")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.warns(UserWarning), pytest.raises(data.DataError, match="download failed"):
        data.load_mnist()


def test_mnist_splits_sizes_scaling_and_disjointness():
    from dlhw import profiles

    smoke = profiles.get("smoke")
    splits = data.mnist_splits(smoke, seed=1, one_hot=True)
    n_val = round(smoke.mnist_train * smoke.val_fraction)
    assert splits.x_train.shape == (smoke.mnist_train - n_val, 28, 28, 1)
    assert splits.x_val.shape == (n_val, 28, 28, 1)
    assert splits.x_test.shape == (smoke.mnist_test, 28, 28, 1)
    assert splits.y_train.shape == (smoke.mnist_train - n_val, 10)
    assert splits.x_train.dtype == np.float32 and 0 <= splits.x_train.min() <= 1
    assert splits.x_train.max() == 1.0
    flat_train = {row.tobytes() for row in splits.x_train.reshape(len(splits.x_train), -1)}
    assert not any(row.tobytes() in flat_train for row in splits.x_val.reshape(n_val, -1))
    (_, _), (x_test, y_test) = data.load_mnist()
    np.testing.assert_array_equal(
        splits.x_test[:, :, :, 0], x_test[: smoke.mnist_test].astype("float32") / 255
    )
    plain = data.mnist_splits(smoke, seed=1, channel_axis=False)
    assert plain.x_train.shape[1:] == (28, 28) and plain.y_train.dtype == np.int64
    assert not np.array_equal(data.mnist_splits(smoke, seed=2).y_train, plain.y_train)


def test_relative_paths_for_printing(tmp_path, monkeypatch):
    from dlhw import paths

    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    inside = tmp_path / "results" / "full" / "Q2.json"
    assert str(paths.relative(inside)) == "results/full/Q2.json"
    outside = tmp_path.parent / "elsewhere.json"
    assert paths.relative(outside) == outside.resolve()
