"""dlhw.plots: figures draw what their docstrings promise (checked on the artists)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from dlhw import plots  # noqa: E402


def test_window_spans_draw_each_window_from_first_input_to_target():
    start = np.arange(10)
    target = start + 4
    fig = plots.plot_window_spans(
        start, target, {"train": [0, 1, 2, 5], "test": [3, 4]}, first=1, count=5, title="t"
    )
    ax = fig.axes[0]
    segments = {c.get_label(): c.get_segments() for c in ax.collections}
    # shown windows 1..5: train 1, 2, 5 and test 3, 4; each a bar from start to target row
    assert sorted(seg[0][1] for seg in segments["train"]) == [1, 2, 5]
    assert [(seg[0][0], seg[1][0]) for seg in segments["test"]] == [(3, 7), (4, 8)]
    plt.close(fig)


def test_weight_norms_plot_each_kernel_relative_to_its_start():
    runs = {
        "plain": {"kernel_norms": [[2.0, 4.0], [3.0, 4.0], [4.0, 2.0]]},
        "BN": {"kernel_norms": [[1.0, 1.0], [1.0, 5.0], [1.0, 6.0]]},
    }
    fig = plots.plot_weight_norms(runs, layer_names=["a", "b"], title="SGD")
    assert [ax.get_title() for ax in fig.axes] == ["SGD plain", "SGD BN"]
    lines = [line for line in fig.axes[0].lines if line.get_label() in ("a", "b")]
    np.testing.assert_allclose(lines[0].get_ydata(), [1.0, 1.5, 2.0])
    np.testing.assert_allclose(lines[1].get_ydata(), [1.0, 1.0, 0.5])
    np.testing.assert_allclose(lines[0].get_xdata(), [0, 1, 2])  # epoch 0: before training
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()  # one scale for both panels
    plt.close(fig)


def test_recurrent_trace_names_the_true_class_and_every_visible_rival():
    T = 5
    probabilities = np.full((T, 10), 0.01)
    probabilities[:, 3] = np.linspace(0.1, 0.9, T)  # the true class
    probabilities[2, 8] = 0.7  # a rival's peak, as Q2's digit shows near step 12
    probabilities[1, 5] = 0.15  # too small to name
    fig = plots.plot_recurrent_trace(
        np.zeros((T, 4)), {"h": np.zeros((T, 6))}, probabilities=probabilities, label=3
    )
    (ax,) = [a for a in fig.axes if a.get_title() == "p(class) after each step"]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["3 (true)", "8"]
    plt.close(fig)


def test_best_so_far_axis_shows_every_curve_from_its_first_epoch():
    curves = {
        "slow": (np.arange(1, 4), np.array([0.11, 0.9, 0.95])),
        "fast": (np.arange(1, 4), np.array([0.96, 0.97, 0.98])),
    }
    fig = plots.plot_best_so_far(curves)
    low, high = fig.axes[0].get_ylim()
    assert low < 0.11 and high > 0.98
    plt.close(fig)


def test_confusion_matrix_writes_every_nonzero_count_and_colours_only_errors():
    y_true = np.array([0, 0, 0, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 0])
    fig = plots.plot_confusion_matrix(y_true, y_pred, title="t")
    ax = fig.axes[0]
    cells = {(int(t.get_position()[1]), int(t.get_position()[0])): t for t in ax.texts}
    assert {k: int(t.get_text()) for k, t in cells.items()} == {
        (0, 0): 2, (0, 1): 1, (1, 1): 1, (2, 0): 1, (2, 2): 1
    }  # fmt: skip
    assert cells[(0, 0)].get_weight() == "bold" and cells[(0, 1)].get_weight() == "normal"
    np.testing.assert_array_equal(ax.images[0].get_array(), [[0, 1, 0], [0, 0, 0], [1, 0, 0]])
    plt.close(fig)
