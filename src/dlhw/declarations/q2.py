"""Q2: recurrent networks from first principles. The written answer says only that the
notebook was completed (L191): the scope below is ours, so its ledger has one entry."""

from dlhw.declare import Check, Claim, Compare, Declaration, Metric, Outcome, Spread, TestSE

SECTION_FOUND = "7. What we found"
CELLS = ("simplernn", "lstm", "gru")


def _vanishes(when: str):
    """True when on every seed less of the gradient reaches step 1 in the SimpleRNN than in
    either gated cell (its largest ratio below their smallest), False when more on every seed
    (its smallest above their largest), None when the seeds' ranges overlap."""

    def test(m) -> bool | None:
        low, high = m["grad_first_last_min"], m["grad_first_last_max"]
        if high["simplernn"][when] < min(low[k][when] for k in ("lstm", "gru")):
            return True
        if low["simplernn"][when] > max(high[k][when] for k in ("lstm", "gru")):
            return False
        return None

    return test


def _vanishing(when: str, moment: str) -> Check:
    ratios = tuple(
        f"grad_first_last_{end}.{kind}.{when}" for end in ("min", "max") for kind in CELLS
    )
    medians = (
        f"(||dL/dh_1|| / ||dL/dh_28||, median over seeds: SimpleRNN "
        f"{{grad_first_last[simplernn][{when}]:.1e}}, LSTM {{grad_first_last[lstm][{when}]:.1e}}, "
        f"GRU {{grad_first_last[gru][{when}]:.1e}})"
    )
    return Check(
        ratios,
        _vanishes(when),
        yes=Outcome(
            "",
            f"{moment}, on every seed less of the loss's gradient reaches the first row's "
            f"hidden state in the SimpleRNN than in either gated cell {medians}.",
        ),
        no=Outcome(
            "",
            f"{moment}, on every seed more of the loss's gradient reaches the first row's "
            f"hidden state in the SimpleRNN than in either gated cell {medians}.",
        ),
        undecided=Outcome(
            "",
            f"{moment}, the SimpleRNN's share of the gradient at the first row's hidden state "
            f"is not on one side of both gated cells' on every seed {medians}.",
        ),
        describe="the SimpleRNN's range over seeds against the gated cells' ranges",
    )


DECLARATION = Declaration(
    question="Q2",
    title="Q2, recurrent networks from first principles",
    modules="`dlhw.recurrent`, `dlhw.lstm_backward`, `dlhw.sequence_models`, `dlhw.gating`",
    asks=(
        "*(ours: the seed does not give the task)* Do SimpleRNN, LSTM and GRU written in NumPy "
        "compute what Keras computes, and how do they do on sequential MNIST?"
    ),
    metrics=(
        Metric("max_abs_diff_simplernn", "NumPy SimpleRNN against Keras, largest |difference|"),
        Metric("max_abs_diff_lstm", "NumPy LSTM against Keras, largest |difference|"),
        Metric("max_abs_diff_gru", "NumPy GRU against Keras, largest |difference|"),
        Metric("bptt_rel_error", "hand-written BPTT against centred differences, relative error"),
        Metric(
            "lstm_bptt_rel_error",
            "hand-written LSTM backward pass against centred differences, relative error",
        ),
        Metric(
            "lstm_bptt_tape_rel_error",
            "hand-written LSTM backward pass against tf.GradientTape, relative error",
        ),
        Metric("lstm_test_accuracy", "LSTM on sequential MNIST, test accuracy", "fraction"),
        Metric("gru_test_accuracy", "GRU on sequential MNIST, test accuracy", "fraction"),
        Metric("cells_train_images", "training images of the three-cell comparison", "images"),
        Metric("cells_seeds", "seeds of each cell in the three-cell comparison", "seeds"),
        Metric(
            "cells_accuracy_mean",
            "test accuracy, mean over the seeds: SimpleRNN, LSTM, GRU on the subset",
            "fraction",
        ),
        Metric("cells_accuracy_std", "the same: standard deviation over the seeds", "fraction"),
        Metric(
            "cells_spread",
            "the largest of the three cells' standard deviations (the margin's unit)",
            "fraction",
        ),
        Metric(
            "grad_first_last",
            "||dL/dh_1|| / ||dL/dh_28|| per cell, at initialisation and after training: the "
            "median over the seeds",
        ),
        Metric("grad_first_last_min", "the same: the smallest over the seeds"),
        Metric("grad_first_last_max", "the same: the largest over the seeds"),
        Metric("forget_gate_mean", "the trained LSTM's forget gates on one test digit, mean"),
        Metric(
            "direct_path_median",
            "the product of a unit's forget gates over steps 2..28 (dc_28/dc_1 along the "
            "cell state's direct path), median over the 128 units",
        ),
    ),
    bullets=(
        "NumPy forward passes equal Keras's: largest absolute difference SimpleRNN "
        "{max_abs_diff_simplernn:.1e}, LSTM {max_abs_diff_lstm:.1e}, GRU "
        "{max_abs_diff_gru:.1e} (float32 round-off).",
        "Hand-written backpropagation through time matches centred differences: relative "
        "error {bptt_rel_error:.1e} (SimpleRNN); through the LSTM's four gates "
        "{lstm_bptt_rel_error:.1e}, and {lstm_bptt_tape_rel_error:.1e} against "
        "`tf.GradientTape`.",
        "On sequential MNIST (28 rows as 28 steps) an LSTM reaches {lstm_test_accuracy:.2%} "
        "test accuracy and a GRU {gru_test_accuracy:.2%}: {verdicts[lstm_vs_gru]}",
        "*(ours)* Why gated cells exist, on {cells_train_images:,} training images and "
        "{cells_seeds} seeds each: SimpleRNN {cells_accuracy_mean[simplernn]:.2%}, LSTM "
        "{cells_accuracy_mean[lstm]:.2%}, GRU {cells_accuracy_mean[gru]:.2%}: "
        "{verdicts[simplernn_vs_lstm]} {verdicts[vanishing_trained]}",
    ),
    rules={
        "lstm_vs_gru": Compare(
            "lstm_test_accuracy",
            "gru_test_accuracy",
            TestSE("mnist_test"),
            above=Outcome("", "the LSTM scores higher."),
            below=Outcome("", "the GRU scores higher."),
            tie=Outcome("", "the two are indistinguishable on this test set."),
        ),
        "simplernn_vs_lstm": Compare(
            "cells_accuracy_mean.lstm",
            "cells_accuracy_mean.simplernn",
            Spread("cells_spread", over="seeds (the largest of the three)"),
            above=Outcome(
                "",
                "the LSTM scores higher than the SimpleRNN by more than the seeds' spread, "
                "even at 28 steps.",
            ),
            below=Outcome(
                "", "the SimpleRNN scores higher than the LSTM by more than the seeds' spread."
            ),
            tie=Outcome(
                "",
                "the SimpleRNN and the LSTM are indistinguishable within the seeds' spread: "
                "28 steps are too few for the gates to be needed here.",
            ),
        ),
        "vanishing_init": _vanishing("init", "At initialisation"),
        "vanishing_trained": _vanishing("trained", "After training"),
    },
    claims=(
        Claim(
            "Q2.1",
            "L191",
            "The notebook was completed (the answer's only words on Q2; the notebook itself "
            "is not in the seed).",
            "choice",
            "not checkable here",
            "The seed holds neither the hand-out nor the notebook. *(ours)* This notebook's "
            "scope: RNN cells in NumPy matched to Keras, their backward passes, sequential "
            "MNIST, and the SimpleRNN beside the gated cells.",
            SECTION_FOUND,
        ),
    ),
)
