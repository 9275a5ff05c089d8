"""The "Answer in brief" of every notebook and the README's "Questions" section, rendered
from recorded results, never typed.

One template a question: the question in a sentence and three to six bullets whose numbers
are format fields over the metrics that the notebook records (`results.record`). `dlhw run`
renders a notebook's brief from the results that run just recorded; `dlhw brief` re-renders
the committed notebooks from `results/full/`; `dlhw results --update-readme` renders the
README's section. So a refreshed notebook always shows its own numbers, and `dlhw claims`
finds every one of them among the recorded values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlhw.errors import DlhwError

HEADING = "## Answer in brief"
README_START = "<!-- questions:start -->"
README_END = "<!-- questions:end -->"


class BriefError(DlhwError, ValueError):
    """A template names a metric the results do not hold, or a notebook has no title cell."""


@dataclass(frozen=True)
class Brief:
    """A question's template: README title, helper modules, the question, the bullets."""

    title: str
    modules: str
    question: str
    bullets: tuple[str, ...]


TEMPLATES: dict[str, Brief] = {
    "Q1": Brief(
        "Q1, KerasTuner",
        "`dlhw.tuning`",
        "Which CNN does a KerasTuner search find for MNIST, and how do KerasTuner's tuners "
        "compare on an equal budget?",
        (
            "RandomSearch, GridSearch, BayesianOptimization and Hyperband each spent "
            "{tuners[random][epochs]} epochs on the same training subset, validated on a split "
            "held out from training. Best validation accuracy: random "
            "{tuners[random][best_val_accuracy]:.4f}, grid {tuners[grid][best_val_accuracy]:.4f}, "
            "Bayesian {tuners[bayesian][best_val_accuracy]:.4f}, Hyperband "
            "{tuners[hyperband][best_val_accuracy]:.4f}; the four searches took "
            "{search_minutes:.2f} minutes here.",
            "The final model, chosen on validation only and tested once: {test_accuracy:.2%} "
            "test accuracy with {params:,} parameters.",
            "The written answer's reported best model rebuilds to exactly "
            "{seed_answer_params:,} parameters. Trained with the answer's own recipe for "
            "{answer_epochs} epochs on the same split, it scores {answer_model_test_accuracy:.2%} "
            "on the test set ({answer_model_epoch_seconds:.0f} s per epoch); our tuned "
            "architecture with that recipe and those epochs scores "
            "{same_recipe_test_accuracy:.2%} ({same_recipe_epoch_seconds:.0f} s per epoch).",
            "The answer's search space, repaired and searched by RandomSearch for the wall-clock "
            "time our space's RandomSearch took, reaches a best validation accuracy of "
            "{answer_space_best_val_accuracy:.4f}, against {our_space_best_val_accuracy:.4f} "
            "for ours.",
            "Hyperband is successive halving over brackets, not parallel training; KerasTuner's "
            "grid tuner is `GridSearch`.",
        ),
    ),
    "Q2": Brief(
        "Q2, recurrent networks from first principles",
        "`dlhw.recurrent`, `dlhw.sequence_models`",
        "Do SimpleRNN, LSTM and GRU written in NumPy compute what Keras computes, and how do "
        "they do on sequential MNIST?",
        (
            "NumPy forward passes equal Keras's: largest absolute difference SimpleRNN "
            "{max_abs_diff_simplernn:.1e}, LSTM {max_abs_diff_lstm:.1e}, GRU "
            "{max_abs_diff_gru:.1e} (float32 round-off).",
            "Hand-written backpropagation through time matches centred differences: relative "
            "error {bptt_rel_error:.1e}.",
            "On sequential MNIST (28 rows as 28 steps) an LSTM reaches {lstm_test_accuracy:.2%} "
            "test accuracy and a GRU {gru_test_accuracy:.2%}.",
        ),
    ),
    "Q3": Brief(
        "Q3, the negative R²",
        "`dlhw.timeseries`",
        "Why did the hand-out's LSTM regression on a stock series score a negative R², and "
        "what is a leak-free fix?",
        (
            "The hand-out's set-up scores a test R² of {naive_r2:.3f} with a training R² of "
            "{naive_train_r2:.3f}: raw inputs saturate the LSTM's gates and it learns nothing.",
            "Ablation on the same split, seed and epochs: standardising the inputs lifts the "
            "test R² to {naive_standardised_r2:.4f}, standardising the target too to "
            "{naive_standardised_scaled_target_r2:.4f}, and a linear regression on the same "
            "features reaches {naive_linear_r2:.4f}. Saturation dominates; the price level "
            "above the training range is the smallest cause.",
            "The written answer's fix scores R² {answer_fix_chronological_r2:.4f} on a "
            "chronological split but a skill of {answer_fix_chronological_skill:.2f} versus "
            "persistence; with train-only scalers {scaler_train_rows_skill:.2f}.",
            "Its shuffling leak, on identical test windows (leaky versus purged training sets "
            "of {leak_train_windows:,} windows): a memoriser's skill goes from "
            "{leak_memoriser_skill_purged:.4f} to {leak_memoriser_skill_shuffled:.4f}, the "
            "answer's LSTM's from {leak_skill_purged:.4f} to {leak_skill_shuffled:.4f}.",
            "The leak-free LSTM scores R² {fixed_r2_price:.4f} on prices, as persistence does "
            "({persistence_r2_price:.4f}): skill {skill_vs_persistence:+.4f} on the test period "
            "and {walk_forward_skill_mean:+.4f} ± {walk_forward_skill_std:.4f} across the "
            "walk-forward folds. It only matches persistence.",
        ),
    ),
    "Q4": Brief(
        "Q4, CNN versus RNN",
        "`dlhw.sequence_models`, `dlhw.sequence_costs`",
        "Do CNNs have fewer parameters than RNNs, and which runs in parallel over a sequence?",
        (
            "Neither family's parameter count depends on the sequence length; which is larger "
            "depends on the widths. Matched models: Conv1D {params[conv1d]:,}, 2-D CNNs "
            "{params[cnn2d]:,} and {params[cnn2d_deep]:,}, LSTM {params[lstm]:,}, GRU "
            "{params[gru]:,} parameters.",
            "On sequential MNIST they reach Conv1D {test_accuracy[conv1d]:.2%}, LSTM "
            "{test_accuracy[lstm]:.2%}, GRU {test_accuracy[gru]:.2%} test accuracy; the 2-D CNN "
            "whose features see {receptive_field[cnn2d]} of the 28 rows "
            "{test_accuracy[cnn2d]:.2%}, the one whose features see the whole image "
            "({receptive_field[cnn2d_deep]} rows) {test_accuracy[cnn2d_deep]:.2%}.",
            "Per position the LSTM does {macs_per_position[lstm]:,} multiply-adds, the Conv1D "
            "{macs_per_position[conv1d]:,}. At a constant {equal_positions:,} positions a "
            "training step of the LSTM takes {equal_positions_ratio_short:.2f} times the "
            "Conv1D's at length {length_short} and {equal_positions_ratio_long:.2f} times at "
            "length {length_long}: the arithmetic alone would keep that ratio constant.",
            "Forward latency against sequence length on this CPU, log-log slope over lengths "
            "from {slope_long_from_length}: LSTM {latency_slope_long_lstm:.2f}, Conv1D "
            "{latency_slope_long_conv1d:.2f} (1 = time proportional to length; over all "
            "lengths {latency_slope_lstm:.2f} and {latency_slope_conv1d:.2f}, lowered by the "
            "fixed cost of a call at short lengths).",
        ),
    ),
    "Q6": Brief(
        "Q6, batch normalisation by hand",
        "`dlhw.batchnorm`, `dlhw.gradcheck`, `dlhw.bn_experiments`",
        "How does batch normalisation compute its forward and backward passes, and what does "
        "it change in training?",
        (
            "The NumPy backward pass passes a float64 gradient check: relative error dx "
            "{grad_rel_error_dx:.1e}, dgamma {grad_rel_error_dgamma:.1e}, dbeta "
            "{grad_rel_error_dbeta:.1e}.",
            "It agrees with `keras.layers.BatchNormalization` to "
            "{keras_forward_max_abs_diff:.1e} (forward) and {keras_grad_max_abs_diff:.1e} "
            "(gradients).",
            "With batch normalisation a training step takes {step_time_ratio_bn:.2f} times as "
            "long (median of interleaved repeats). Each model at its own best SGD learning rate "
            "({best_lr_bn:g} with BN, {best_lr_plain:g} without) reaches the target validation "
            "accuracy after (epochs, seconds): BN ({epochs_to_target_bn}, "
            "{seconds_to_target_bn:.0f}), plain ({epochs_to_target_plain}, "
            "{seconds_to_target_plain:.0f}).",
            "The answer's claim that BN keeps the weights from growing: the Dense kernels' norm "
            "ends at {weight_norm_ratio_bn:.2f} times its initial value with BN, "
            "{weight_norm_ratio_plain:.2f} without.",
            "With a batch of one the output is exactly beta (checked: "
            "{batch1_output_equals_beta}); "
            "FC 10 -> 20 + BN has {trainable_params_fc_bn} trainable parameters.",
        ),
    ),
    "Q7": Brief(
        "Q7, Grad-CAM",
        "`dlhw.gradcam`",
        "Where does an MNIST CNN look, according to Grad-CAM, and can that map be trusted?",
        (
            "The written answer's CNN: {test_accuracy:.2%} test accuracy with {params:,} "
            "parameters.",
            "Batched Grad-CAM on the pre-softmax logit equals tf-keras-vis within "
            "{reference_max_abs_diff:.1e} and runs {gradcam_speedup:.1f} times faster per image "
            "than the answer's function.",
            "The answer's softmax score gives maps whose rank correlation with the logit's "
            "averages {softmax_logit_spearman:.3f}; its division by the maximum returns "
            "{answer_nan_maps} NaN maps in the sanity check, ours none.",
            "Sanity and faithfulness: the randomisation check's Spearman correlation is "
            "{randomization_spearman:.3f}; deleting the tenth of the pixels Grad-CAM ranks first "
            "drops the true-class probability by {deletion_drop_gradcam:.3f}, random pixels by "
            "{deletion_drop_random:.3f}, but the brightest ink pixels by {deletion_drop_ink:.3f}: "
            "a 7x7 map cannot tell ink from the background beside it.",
        ),
    ),
}


class _NotReached:
    """A metric recorded as null (a target not reached): rendered as words, whatever the format."""

    def __format__(self, spec: str) -> str:
        return "not reached"


def _fill(template: str, question: str, metrics: dict[str, Any]) -> str:
    values = {k: _NotReached() if v is None else v for k, v in metrics.items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError) as exc:
        raise BriefError(
            f"{question}'s brief needs the metric {exc}, which its results do not hold; "
            "re-run the notebook so that it records it."
        ) from None


def render_brief(question: str, metrics: dict[str, Any], source: str) -> str:
    """The "Answer in brief" markdown of `question` from its recorded `metrics`."""
    brief = TEMPLATES[question]
    bullets = "\n".join(f"- {_fill(b, question, metrics)}" for b in brief.bullets)
    return (
        f"{HEADING}\n\n**The question.** {brief.question}\n\n{bullets}\n\n"
        f"*Rendered by `dlhw brief` from `{source}`; the sections below measure each point.*"
    )


def render_readme(payloads: dict[str, dict[str, Any]], notebooks: dict[str, str]) -> str:
    """The README's "Questions" list from the recorded payloads (question -> results JSON)."""
    lines = []
    for question, brief in TEMPLATES.items():
        if question not in payloads:
            continue
        metrics = payloads[question]["metrics"]
        text = " ".join(_fill(b, question, metrics) for b in brief.bullets)
        link = f"([notebook](notebooks/{notebooks[question]}), {brief.modules})"
        lines.append(f"- **{brief.title}** {link}: {text}")
    return "\n".join(lines) + "\n"


def set_brief(notebook, text: str) -> bool:
    """Put `text` in the notebook's brief cell (cell 1, inserted after the title when absent).
    Returns whether the notebook changed."""
    import nbformat

    cells = notebook.cells
    if not cells or cells[0].cell_type != "markdown":
        raise BriefError("a question notebook starts with its title cell (markdown).")
    if len(cells) > 1 and cells[1].cell_type == "markdown" and cells[1].source.startswith(HEADING):
        if cells[1].source == text:
            return False
        cells[1].source = text
        return True
    cells.insert(1, nbformat.v4.new_markdown_cell(text))
    return True


def load_payload(path: Path) -> dict[str, Any]:
    """A results file as `results.record` wrote it."""
    return json.loads(path.read_text(encoding="utf-8"))
