"""Figures shared by the notebooks: small, labelled matplotlib figures (dpi 80).

Each function draws one figure and returns it, so that a notebook cell stays one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

DPI = 80


def _figure(ncols: int = 1, width: float = 9.0, height: float = 3.2):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), dpi=DPI, squeeze=False)
    return fig, axes[0]


# ------------------------------------------------------------------ Q3: time series
def plot_forecasts(
    dates: np.ndarray,
    truth: np.ndarray,
    forecasts: Mapping[str, np.ndarray],
    *,
    title: str,
    ylabel: str = "Close",
):
    """Q3: the true series (N,) and one or more forecasts (N,) against the dates (N,)."""
    fig, (ax,) = _figure()
    ax.plot(dates, truth, color="black", lw=1.2, label="truth")
    for name, values in forecasts.items():
        ax.plot(dates, values, lw=1.0, alpha=0.85, label=name)
    ax.set(title=title, ylabel=ylabel)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def plot_split_ranges(dates: np.ndarray, values: np.ndarray, test_start: int, *, name: str):
    """Q3: a series (N,) with its training part (rows < test_start) and test part, and the
    highest training value: test targets above it are outside anything a level model saw."""
    fig, (ax_line, ax_hist) = _figure(2, 10.0, 3.2)
    train, test = values[:test_start], values[test_start:]
    ax_line.plot(dates[:test_start], train, lw=0.8, label="train")
    ax_line.plot(dates[test_start:], test, lw=0.8, color="tab:red", label="test")
    ax_line.axhline(train.max(), color="gray", ls="--", lw=0.8, label="train max")
    ax_line.set(title=f"{name} over time", ylabel=name)
    ax_line.legend(fontsize=8, loc="upper left")
    bins = np.linspace(values.min(), values.max(), 50)
    ax_hist.hist(train, bins=bins, alpha=0.7, label="train")
    ax_hist.hist(test, bins=bins, alpha=0.7, color="tab:red", label="test")
    share = float(np.mean(test > train.max()))
    ax_hist.set(title=f"{share:.0%} of test values above the train max", xlabel=name)
    ax_hist.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_feature_scales(features: np.ndarray, names: Sequence[str], *, title: str):
    """Q3: the spread of each raw feature, features (N, F), on a log axis: values of very
    different magnitudes (a date ordinal, volumes of 1e8) fed to an LSTM saturate its gates."""
    fig, (ax,) = _figure(1, 8.0, 3.0)
    magnitude = np.abs(np.asarray(features, dtype="float64")) + 1e-12
    ax.boxplot([magnitude[:, i] for i in range(magnitude.shape[1])], whis=(0, 100))
    ax.set_xticks(range(1, len(names) + 1), list(names))
    ax.set_yscale("log")
    ax.set(title=title, ylabel="|value| (log scale)")
    fig.tight_layout()
    return fig


def plot_residuals(dates: np.ndarray, residuals: np.ndarray, *, title: str):
    """Q3: residuals (truth - prediction) over time and their histogram with the mean bias."""
    fig, (ax_line, ax_hist) = _figure(2, 10.0, 3.0)
    ax_line.plot(dates, residuals, lw=0.8)
    ax_line.axhline(0, color="black", lw=0.8)
    ax_line.set(title=title, ylabel="truth - prediction")
    ax_hist.hist(residuals, bins=50)
    mean = float(np.mean(residuals))
    ax_hist.axvline(mean, color="tab:red", label=f"mean bias {mean:.2f}")
    ax_hist.axvline(0, color="black", lw=0.8)
    ax_hist.set(title="residual distribution")
    ax_hist.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_window_overlap(train_rows, test_rows, lookback: int, *, n_show: int = 60, title: str):
    """Q3: which sample positions went to train and test (first `n_show` positions): with
    overlapping windows of `lookback` steps, every test sample's neighbours are near-copies."""
    fig, (ax,) = _figure(1, 9.0, 1.8)
    train_rows = np.asarray(train_rows)
    test_rows = np.asarray(test_rows)
    shown_train = train_rows[train_rows < n_show]
    shown_test = test_rows[test_rows < n_show]
    ax.scatter(shown_train, np.zeros_like(shown_train), marker="|", s=200, label="train")
    ax.scatter(
        shown_test, np.zeros_like(shown_test), marker="|", s=200, color="tab:red", label="test"
    )
    ax.set_yticks([])
    ax.set(title=f"{title} (each sample spans {lookback} steps)", xlabel="window start")
    ax.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------ Q7: Grad-CAM
def _grid(n_rows: int, n_cols: int, cell: float = 1.05):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(0.9 + cell * n_cols, 0.25 + cell * n_rows), dpi=DPI, squeeze=False
    )
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes


def plot_image_rows(
    rows: Mapping[str, np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
):
    """Q7: one row of grey images (N, H, W[, 1]) per entry of `rows`, its key on the left;
    `titles` (N,) label the columns."""
    n_cols = max(len(images) for images in rows.values())
    fig, axes = _grid(len(rows), n_cols)
    for r, (name, images) in enumerate(rows.items()):
        axes[r, 0].set_ylabel(name, fontsize=8)
        for c, image in enumerate(images):
            axes[r, c].imshow(np.asarray(image).squeeze(), cmap="gray_r", vmin=0.0, vmax=1.0)
    for c, title in enumerate(titles or []):
        axes[0, c].set_title(title, fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_gradcam_rows(
    images: np.ndarray,
    maps: Mapping[str, np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    alpha: float = 0.45,
):
    """Q7: the images (N, H, W[, 1]) in the first row, then one row per map set (N, h, w),
    each map upsampled bilinearly and laid over its image (jet: red = high)."""
    from dlhw.gradcam import overlay, upsample

    size = np.asarray(images).shape[1:3]
    fig, axes = _grid(1 + len(maps), len(images))
    axes[0, 0].set_ylabel("image", fontsize=8)
    for c, image in enumerate(images):
        axes[0, c].imshow(np.asarray(image).squeeze(), cmap="gray_r", vmin=0.0, vmax=1.0)
    for r, (name, row) in enumerate(maps.items(), start=1):
        axes[r, 0].set_ylabel(name, fontsize=8)
        for c, (image, cam) in enumerate(zip(images, upsample(row, size), strict=True)):
            axes[r, c].imshow(overlay(image, cam, alpha=alpha))
    for c, title in enumerate(titles or []):
        axes[0, c].set_title(title, fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout()
    return fig


def plot_training_curves(history: Mapping[str, Sequence[float]], *, title: str = ""):
    """Q7: loss and accuracy per epoch from a Keras `History.history` (train and `val_`)."""
    fig, axes = _figure(2, 8.0, 3.0)
    for ax, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix, label in (("", "train"), ("val_", "validation")):
            values = history.get(prefix + metric)
            if values is not None:
                ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=label)
        ax.set(title=f"{title} {metric}".strip(), xlabel="epoch")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
