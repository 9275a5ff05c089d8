"""Figures shared by the notebooks: small, labelled matplotlib figures (dpi 80).

Each function draws one figure and returns it, so that a notebook cell stays one line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from dlhw.images import overlay, upsample

DPI = 80


def _figure(ncols: int = 1, width: float = 9.0, height: float = 3.2):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, ncols, figsize=(width, height), dpi=DPI, squeeze=False)
    return fig, axes[0]


def _done(fig):
    """Tighten the layout and return the figure: the last line of every plot."""
    fig.tight_layout()
    return fig


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
    return _done(fig)


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
    return _done(fig)


def plot_feature_scales(features: np.ndarray, names: Sequence[str], *, title: str):
    """Q3: the spread of each raw feature, features (N, F), on a log axis: values of very
    different magnitudes (a date ordinal, volumes of 1e8) fed to an LSTM saturate its gates."""
    fig, (ax,) = _figure(1, 8.0, 3.0)
    magnitude = np.abs(np.asarray(features, dtype="float64"))
    columns = [column[column > 0] for column in magnitude.T]  # zeros have no logarithm
    ax.boxplot(columns, whis=(1, 99), showfliers=False)
    ax.set_xticks(range(1, len(names) + 1), list(names))
    ax.set_yscale("log")
    ax.set(title=title, ylabel="|value|, 1st-99th pct (log)")
    return _done(fig)


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
    return _done(fig)


def plot_window_spans(
    start: np.ndarray,
    target_row: np.ndarray,
    groups: Mapping[str, np.ndarray],
    *,
    first: int = 0,
    count: int = 60,
    title: str,
):
    """Q3: each window's span, from its first input row to its target row, one horizontal
    bar per window (positions `first` .. `first + count - 1`), coloured by the group of
    positions it belongs to (for example train / test / purged). start, target_row: (N,)
    per window; groups: name -> positions. Overlapping bars of different colours are the
    leak: a training window that covers a test window's days."""
    fig, (ax,) = _figure(1, 9.0, 3.4)
    shown = np.arange(first, min(first + count, len(start)))
    width = float(np.clip(100 / len(shown), 0.8, 2.2))
    for (name, positions), colour in zip(
        groups.items(), ("tab:blue", "tab:red", "lightgray", "tab:green"), strict=False
    ):
        rows = shown[np.isin(shown, np.asarray(positions))]
        ax.hlines(rows, start[rows], target_row[rows], color=colour, lw=width, label=name)
    ax.set(title=title, xlabel="row (trading day): first input to target", ylabel="window")
    ax.invert_yaxis()
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return _done(fig)


# ------------------------------------------------------------------ Q1: tuner comparison
def plot_best_so_far(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    title: str = "Best validation accuracy so far",
):
    """Q1: for each tuner, the best validation accuracy seen (E,) against the cumulative
    epochs it has run (E,): equal budgets end at the same x. The y axis starts below every
    curve's first point, so that each curve is visible from its first epoch."""
    fig, (ax,) = _figure(1, 7.0, 3.4)
    for name, (epochs, best) in curves.items():
        ax.step(epochs, best, where="post", lw=1.5, label=name)
    ax.set(title=title, xlabel="cumulative epochs run", ylabel="best val accuracy")
    values = [v for _, best in curves.values() for v in best if np.isfinite(v)]
    if values:
        low, high = min(values), max(values)
        margin = max(0.005, 0.05 * (high - low))
        ax.set_ylim(max(0.0, low - margin), min(1.0, high + margin))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return _done(fig)


def plot_confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, *, title: str):
    """Q1: counts of true class (rows) against predicted class (columns); y_*: (N,) ints.
    The diagonal is omitted from the colour scale so that the few errors stand out."""
    from sklearn.metrics import confusion_matrix

    fig, (ax,) = _figure(1, 4.6, 4.0)
    n = int(max(y_true.max(), y_pred.max())) + 1
    counts = confusion_matrix(y_true, y_pred, labels=np.arange(n))
    errors = counts.copy()
    np.fill_diagonal(errors, 0)
    ax.imshow(errors, cmap="Reds")
    for i, j in np.argwhere(counts):  # the non-zero cells, row by row
        weight = "bold" if i == j else "normal"
        color = "white" if errors[i, j] > errors.max() / 2 else "black"
        ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=6, weight=weight,
                color=color)  # fmt: skip
    ax.set_xticks(range(n))
    ax.set_yticks(range(n))
    ax.set(title=title, xlabel="predicted", ylabel="true")
    return _done(fig)


# ------------------------------------------------------------------ Q7: Grad-CAM
def _grid(n_rows: int, n_cols: int, cell: float = 1.05):
    import matplotlib.pyplot as plt

    size = (0.9 + cell * n_cols, 0.25 + cell * n_rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=size, dpi=DPI, squeeze=False)
    for ax in axes.ravel():
        ax.set(xticks=[], yticks=[])
    return fig, axes


def _titled(fig, axes, titles: Sequence[str] | None, suptitle: str | None):
    """Label the first row's columns with `titles`, add `suptitle`, tighten; return fig."""
    for c, title in enumerate(titles or []):
        axes[0, c].set_title(title, fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    return _done(fig)


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
        _image_row(axes[r], name, images)
    return _titled(fig, axes, titles, suptitle)


def _image_row(axes, name: str, images) -> None:
    """Grey images (N, H, W[, 1]) in a row of axes, `name` on the left."""
    axes[0].set_ylabel(name, fontsize=8)
    for ax, image in zip(axes, images, strict=False):
        ax.imshow(np.asarray(image).squeeze(), cmap="gray_r", vmin=0.0, vmax=1.0)


def plot_gradcam_rows(
    images: np.ndarray,
    maps: Mapping[str, np.ndarray],
    *,
    titles: Sequence[str] | None = None,
    suptitle: str | None = None,
    alpha: float = 0.45,
):
    """Q7: the images (N, H, W[, 1]) in the first row, then one row per map set (N, h, w),
    each map upsampled bilinearly and laid over its image (jet: red = high), with a colour bar."""
    size = np.asarray(images).shape[1:3]
    fig, axes = _grid(1 + len(maps), len(images))
    _image_row(axes[0], "image", images)
    for r, (name, row) in enumerate(maps.items(), start=1):
        axes[r, 0].set_ylabel(name, fontsize=8)
        for c, (image, cam) in enumerate(zip(images, upsample(row, size), strict=True)):
            axes[r, c].imshow(overlay(image, cam, alpha=alpha))
    fig = _titled(fig, axes, titles, suptitle)
    if maps:
        _map_colorbar(fig, axes[1:])
    return fig


def _map_colorbar(fig, axes, cmap: str = "jet") -> None:
    """One colour bar beside the map rows: each overlay shows its map divided by its maximum."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    fig.subplots_adjust(right=0.9)
    top, bottom = axes[0, -1].get_position().y1, axes[-1, -1].get_position().y0
    cax = fig.add_axes([0.915, bottom, 0.012, top - bottom])
    bar = fig.colorbar(ScalarMappable(Normalize(0.0, 1.0), cmap=cmap), cax=cax)
    bar.set_label("map / its max", fontsize=7)
    bar.ax.tick_params(labelsize=7)


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
    return _done(fig)


# ------------------------------------------------------------------ Q2 / Q4: recurrent networks
def plot_recurrent_trace(
    image: np.ndarray,
    panels: Mapping[str, np.ndarray],
    *,
    probabilities: np.ndarray | None = None,
    label: int | None = None,
    title: str = "",
):
    """Q2: a digit (28, 28) read row by row, then one heatmap per entry of `panels` (T, H):
    units on the y axis, time steps on the x axis; optionally the class probabilities (T, 10)
    after each step, with the true `label` drawn thick and every class that reaches 0.2 named."""
    n = 1 + len(panels) + (probabilities is not None)
    fig, axes = _figure(n, 2.3 * n + 0.6, 2.8)
    axes[0].imshow(np.asarray(image).squeeze(), cmap="gray_r", vmin=0.0, vmax=1.0)
    axes[0].set(title="input (row = step)", xlabel="pixel", ylabel="step")
    for ax, (name, values) in zip(axes[1:], panels.items(), strict=False):
        values = np.asarray(values)
        low = -1.0 if values.min() < 0 else 0.0
        cmap = "RdBu_r" if low < 0 else "viridis"
        shown = ax.imshow(
            values.T, aspect="auto", cmap=cmap, vmin=low, vmax=1.0, interpolation="nearest"
        )
        ax.set(title=name, xlabel="step", ylabel="unit")
        fig.colorbar(shown, ax=ax, fraction=0.05)
    if probabilities is not None:
        ax = axes[-1]
        for digit in range(probabilities.shape[1]):
            thick = digit == label
            named = thick or probabilities[:, digit].max() >= 0.2  # every visible peak
            ax.plot(
                np.arange(1, len(probabilities) + 1),
                probabilities[:, digit],
                lw=2.2 if thick else 0.8,
                alpha=1.0 if thick else (0.9 if named else 0.4),
                label=(f"{digit} (true)" if thick else f"{digit}") if named else None,
            )
        ax.set(title="p(class) after each step", xlabel="step", ylim=(-0.02, 1.02))
        if ax.get_legend_handles_labels()[1]:
            ax.legend(title="class", fontsize=7, title_fontsize=7)
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title, fontsize=10)
    return _done(fig)


def plot_latency_loglog(
    seconds: Mapping[str, Mapping[int, float]], slopes: Mapping[str, float], *, title: str = ""
):
    """Q4: forward-pass seconds against sequence length on log-log axes, one line per model
    (`seconds`: model -> {length: seconds}), each labelled with its fitted slope."""
    fig, (ax,) = _figure(1, 5.5, 3.4)
    for name, by_length in seconds.items():
        lengths = np.array(sorted(by_length))
        values = np.array([by_length[n] for n in lengths])
        label = f"{name} (slope {slopes.get(name, float('nan')):.2f})"
        ax.loglog(lengths, values * 1e3, marker="o", label=label)
    ax.set(xlabel="sequence length (steps)", ylabel="forward pass (ms)", title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _done(fig)


# ------------------------------------------------------------------ Q6: batch normalisation
def plot_bn_learning_curves(
    runs: Mapping[str, Mapping[str, Sequence[float]]],
    *,
    target: float | None = None,
    title: str = "",
):
    """Q6 (a): validation accuracy and training loss per epoch, one line per run
    (`runs`: label -> curves with `val_accuracy` and `loss`); a dashed line marks `target`."""
    fig, axes = _figure(2, 9.0, 3.2)
    for label, curves in runs.items():
        for ax, key in zip(axes, ("val_accuracy", "loss"), strict=True):
            values = curves.get(key, [])
            ax.plot(np.arange(1, len(values) + 1), values, marker=".", label=label)
    if target is not None:
        axes[0].axhline(target, color="grey", linestyle="--", linewidth=1, label="target")
    axes[0].set(xlabel="epoch", ylabel="validation accuracy", title=title)
    axes[1].set(xlabel="epoch", ylabel="training loss", yscale="log")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return _done(fig)


def plot_weight_norms(
    runs: Mapping[str, Mapping[str, Sequence]],
    *,
    layer_names: Sequence[str] | None = None,
    title: str = "",
):
    """Q6 (a): each Dense kernel's Frobenius norm relative to its initial value, per epoch
    (0 = before training); one panel per run (`runs`: label -> curves with `kernel_norms`)."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = _figure(len(runs), 4.5 * len(runs), 3.2)
    for ax, (label, curves) in zip(axes, runs.items(), strict=True):
        norms = np.asarray(curves["kernel_norms"], dtype="float64")
        relative = norms / norms[0]
        for j in range(relative.shape[1]):
            name = layer_names[j] if layer_names else f"Dense {j}"
            ax.plot(np.arange(len(relative)), relative[:, j], marker=".", label=name)
        ax.axhline(1.0, color="grey", linewidth=0.8)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set(xlabel="epoch", title=f"{title} {label}".strip())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("kernel norm / initial")
    ymax = max(ax.get_ylim()[1] for ax in axes)
    for ax in axes:
        ax.set_ylim(0.0, ymax)
    return _done(fig)


def plot_accuracy_by_setting(
    frame,
    *,
    x: str,
    hue: str,
    y: str = "val_accuracy",
    logx: bool = True,
    title: str = "",
    xlabel: str | None = None,
):
    """Q6 (a), (d): `y` against `x` (e.g. batch size or learning rate) with one line per value
    of `hue` (e.g. the normalisation), from a long-format DataFrame; NaN points are skipped."""
    fig, (ax,) = _figure(1, 5.5, 3.4)
    for name, group in frame.groupby(hue, sort=False):
        group = group.sort_values(x)
        ax.plot(group[x], group[y], marker="o", label=str(name))
    if logx:
        ax.set_xscale("log", base=2)
    ax.set(xlabel=xlabel or x, ylabel=y.replace("_", " "), title=title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _done(fig)
