"""Q2: recurrent networks from first principles. The written answer says only that the
notebook was completed (L191): the scope below is ours, so its ledger has one entry."""

from dlhw.declare import Claim, Compare, Declaration, Metric, Outcome, TestSE

SECTION_FOUND = "6. What we found"

DECLARATION = Declaration(
    question="Q2",
    title="Q2, recurrent networks from first principles",
    modules="`dlhw.recurrent`, `dlhw.lstm_backward`, `dlhw.sequence_models`",
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
    },
    claims=(
        Claim(
            "Q2.1",
            "L191",
            "The notebook was completed (the answer's only words on Q2; the notebook itself "
            "is not in the seed).",
            "choice",
            "not checkable here",
            "The seed holds neither the hand-out nor the notebook; this notebook's scope (RNN "
            "cells in NumPy matched to Keras, sequential MNIST) is ours.",
            SECTION_FOUND,
        ),
    ),
)
