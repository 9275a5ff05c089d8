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
