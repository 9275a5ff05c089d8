"""Q6: batch normalisation. The written answer (seed L249-275) picks two options of a multiple
choice whose options the seed does not hold, gives its reasons, and answers (c), (d) and (e)
in prose; its code for (b) is in a zip file that the seed does not hold.

`epochs_to_target_*` and `seconds_to_target_*` may be null (the target accuracy not reached
within the run's epochs, as on the small profiles): the rules that read them are `Check`s that
count null as "not reached", and the templates render it in words.
"""

from collections.abc import Mapping
from typing import Any

from dlhw.declare import (
    NO_MARGIN,
    Check,
    Claim,
    Compare,
    Declaration,
    Metric,
    NoMargin,
    Outcome,
    TestSE,
)

SECTION_A = "(a) Faster steps, or fewer of them?"
SECTION_WEIGHTS = "Does BN keep the weights from growing?"
SECTION_B = "(b) The implementation"
SECTION_C = "(c) Why eps: a feature with zero variance"
SECTION_D = "(d) Small batches"
SECTION_E = "(e) Parameter count: FC 10 -> 20 followed by BN"


def bn_reaches_target_first(m: Mapping[str, Any]) -> bool | None:
    """BN reaches the target in fewer epochs than the plain MLP; null = not reached (never);
    None (undecided) when neither reaches it."""
    bn, plain = m.get("epochs_to_target_bn"), m.get("epochs_to_target_plain")
    if bn is None and plain is None:
        return None
    return bn is not None and (plain is None or bn < plain)


EPOCHS_NEEDS = (
    "epochs_to_target_bn against epochs_to_target_plain, each model at its own best rate; "
    f"null (not reached within the run) counts as more epochs than any; {NO_MARGIN}"
)
EPOCHS = (
    "epochs to the target validation accuracy, BN {epochs_to_target_bn} at rate "
    "{best_lr_bn:g}, plain {epochs_to_target_plain} at rate {best_lr_plain:g}"
)


def _bn_grows_less_but_grows(m: Mapping[str, Any]) -> bool | None:
    """True: BN's kernel grows less in every equal-rate pair and every one still grows; False:
    not in every pair; None (reported as its own case): less in every pair, and one did not
    grow at all."""
    if m["equal_rate_pairs_bn_grows_less"] < m["equal_rate_pairs"]:
        return False
    return True if m["min_growth_bn"] > 1 else None


DECLARATION = Declaration(
    question="Q6",
    title="Q6, batch normalisation by hand",
    modules="`dlhw.batchnorm`, `dlhw.gradcheck`, `dlhw.bn_experiments`",
    asks=(
        "Batch normalisation (BN): (a) a multiple choice on what BN changes in training (its "
        "options are not in the seed), (b) code to complete (not in the seed: our NumPy BN "
        "by hand stands in for it, *(ours)*), (c) why eps, (d) very small batches, (e) the "
        "parameters of an FC layer followed by BN."
    ),
    metrics=(
        Metric(
            "grad_rel_error_dx",
            "NumPy BN backward against centred differences, dx, largest relative error",
        ),
        Metric(
            "grad_rel_error_dgamma",
            "NumPy BN backward against centred differences, dgamma, largest relative error",
        ),
        Metric(
            "grad_rel_error_dbeta",
            "NumPy BN backward against centred differences, dbeta, largest relative error",
        ),
        Metric(
            "keras_forward_max_abs_diff",
            "NumPy BN against keras.layers."
            "BatchNormalization, largest |difference| of outputs and moving statistics",
        ),
        Metric(
            "keras_grad_max_abs_diff",
            "NumPy BN against keras.layers.BatchNormalization, "
            "largest |difference| of dx, dgamma, dbeta",
        ),
        Metric(
            "trainable_params_fc_bn",
            "Dense 10 -> 20 followed by BatchNormalization, trainable parameters in Keras",
            "parameters",
        ),
        Metric(
            "step_time_ratio_bn",
            "time per SGD step (batch 128), MLP with BN over MLP "
            "without, ratio of medians of interleaved repeats",
            "ratio",
        ),
        Metric(
            "epochs_to_target_bn",
            "first epoch with the target validation accuracy, "
            "MLP with BN at its best rate (null: not reached)",
            "epochs",
        ),
        Metric(
            "epochs_to_target_plain",
            "first epoch with the target validation accuracy, "
            "MLP without BN at its best rate (null: not reached)",
            "epochs",
        ),
        Metric(
            "batch1_output_equals_beta",
            "NumPy BN, training mode, a batch of one row: "
            "normalised values exactly 0 and output exactly beta",
            "yes/no",
        ),
        Metric(
            "best_lr_plain",
            "SGD learning rate of the grid with the highest final "
            "validation accuracy, MLP without BN",
            "learning rate",
        ),
        Metric(
            "best_lr_bn",
            "SGD learning rate of the grid with the highest final validation accuracy, MLP with BN",
            "learning rate",
        ),
        Metric(
            "seconds_to_target_bn",
            "wall time of the epochs up to the target, validation "
            "passes included, MLP with BN at its best rate (null: not reached)",
            "seconds",
        ),
        Metric(
            "seconds_to_target_plain",
            "wall time of the epochs up to the target, "
            "validation passes included, MLP without BN at its best rate (null: not "
            "reached)",
            "seconds",
        ),
        Metric(
            "weight_norm_ratio_plain",
            "mean over the 4 Dense kernels of norm after the "
            "last epoch / norm before training, MLP without BN at its best rate",
            "ratio",
        ),
        Metric(
            "weight_norm_ratio_bn",
            "mean over the 4 Dense kernels of norm after the last "
            "epoch / norm before training, MLP with BN at its best rate",
            "ratio",
        ),
        Metric(
            "kernel_growth",
            "per norm (plain, batch), learning rate (lr0_1 = 0.1) and Dense kernel: norm after "
            "the epochs both runs of that rate finished / norm before training",
            "ratio",
        ),
        Metric(
            "equal_rate_pairs",
            "(learning rate, kernel that feeds a BN) pairs compared at equal rates and epochs",
            "pairs",
        ),
        Metric(
            "equal_rate_pairs_bn_grows_less",
            "of those pairs, how many grow less with BN than without",
            "pairs",
        ),
        Metric(
            "min_growth_bn",
            "smallest growth with BN over those pairs (above 1: every one still grew)",
            "ratio",
        ),
        Metric("scale_invariance_rate", "plain SGD learning rate of the instrumented run"),
        Metric("scale_invariance_steps", "steps of the instrumented run", "steps"),
        Metric(
            "scale_invariance_residual",
            "instrumented run, first kernel (BN follows it): median over steps of "
            "| ||W_t+1||² − ||W_t||² − η²||g_t||² | / (η²||g_t||²)",
            "ratio",
        ),
        Metric(
            "scale_invariance_w2_ratio",
            "instrumented run, first kernel: ||W||² after the last step / before the first",
            "ratio",
        ),
    ),
    bullets=(
        "*(ours)* The NumPy backward pass passes a float64 gradient check: relative error dx "
        "{grad_rel_error_dx:.1e}, dgamma {grad_rel_error_dgamma:.1e}, dbeta "
        "{grad_rel_error_dbeta:.1e}; it agrees with `keras.layers.BatchNormalization` to "
        "{keras_forward_max_abs_diff:.1e} (forward) and {keras_grad_max_abs_diff:.1e} "
        "(gradients).",
        "With BN a training step takes {step_time_ratio_bn:.2f} times as long as without "
        "(median of interleaved repeats): {verdicts[step_time]}",
        "Each model at its own best SGD learning rate ({best_lr_bn:g} with BN, "
        "{best_lr_plain:g} without) reaches the target validation accuracy after (epochs, "
        "seconds): BN ({epochs_to_target_bn}, {seconds_to_target_bn:.0f}), plain "
        "({epochs_to_target_plain}, {seconds_to_target_plain:.0f}). {verdicts[convergence]}",
        "The answer says BN keeps the weights from growing. Recorded: the Dense kernels' mean "
        "norm ends at {weight_norm_ratio_bn:.2f} times its initial value with BN and "
        "{weight_norm_ratio_plain:.2f} without, each model at its own best rate ({best_lr_bn:g} "
        "and {best_lr_plain:g}): {verdicts[weight_norms]} These "
        "means include the output kernel, which no BN follows, and compare each model at "
        "its own rate, so they do not decide the claim. Per kernel that feeds a BN, at equal "
        "rates and epochs, BN's grows less in {equal_rate_pairs_bn_grows_less} of "
        "{equal_rate_pairs} pairs, and every one still grows (by at least "
        "{min_growth_bn:.3f} times); such a kernel is scale-invariant, so plain SGD can only "
        "lengthen it: ||W||² grew {scale_invariance_w2_ratio:.3f} times in "
        "{scale_invariance_steps} steps at rate {scale_invariance_rate:g}, following "
        "||W_t+1||² = ||W_t||² + η²||g_t||² to a median residual of "
        "{scale_invariance_residual:.1e} (ledger Q6.4).",
        "A batch of one in training mode: {verdicts[batch1]} FC 10 -> 20 + BN has "
        "{trainable_params_fc_bn} trainable parameters in Keras: {verdicts[fc_bn_count]}",
    ),
    rules={
        "step_time": Compare(
            "step_time_ratio_bn",
            1.0,
            NoMargin(),
            above=Outcome("", "BN does not cut a batch's processing time, as the answer said."),
            below=Outcome("", "here a BN step is the faster one, against the answer's reason."),
        ),
        "convergence": Check(
            (),
            bn_reaches_target_first,
            yes=Outcome("", f"BN gets there in fewer epochs ({NO_MARGIN})."),
            no=Outcome(
                "",
                f"BN does not get there in fewer epochs than the plain MLP ({NO_MARGIN}).",
            ),
            describe=EPOCHS_NEEDS,
            undecided=Outcome("", "Neither model gets there in this run."),
        ),
        "weight_norms": Compare(
            "weight_norm_ratio_bn",
            "weight_norm_ratio_plain",
            NoMargin(),
            above=Outcome("", "with BN the kernels grew more."),
            below=Outcome("", "with BN the kernels grew less."),
        ),
        "batch1": Check(
            ("batch1_output_equals_beta",),
            lambda m: m["batch1_output_equals_beta"] is True,
            yes=Outcome(
                "",
                "every normalised value is exactly 0 and the output exactly beta "
                "(checked, NumPy BN).",
            ),
            no=Outcome("", "the check that the output equals beta failed."),
        ),
        "fc_bn_count": Check(
            ("trainable_params_fc_bn",),
            lambda m: m["trainable_params_fc_bn"] == 260,
            yes=Outcome("", "the answer's 260."),
            no=Outcome("", "not the answer's 260."),
        ),
    },
    claims=(
        Claim(
            "Q6.1",
            "L253",
            "(a) Items 2 and 3 of the multiple choice are correct.",
            "choice",
            "not checkable here",
            "The seed does not hold the question's options, so which statements items 2 and 3 "
            "are cannot be known; the reasons the answer gives are judged below.",
            SECTION_A,
        ),
        Claim(
            "Q6.2",
            "L253",
            "BN does not cut the processing time of a batch, because it is an extra computation.",
            "measurement",
            Compare(
                "step_time_ratio_bn",
                1.0,
                NoMargin(),
                above=Outcome(
                    "confirmed",
                    "A step with BN takes {step_time_ratio_bn:.2f} times as long as without "
                    "(same MLP, batch 128), the median of interleaved repeats.",
                ),
                below=Outcome(
                    "wrong",
                    "A step with BN takes only {step_time_ratio_bn:.2f} times as long as "
                    "without: here it is the faster one.",
                ),
            ),
            "BN adds the batch moments, the normalisation and the moving-average updates to "
            "every step.",
            SECTION_A,
        ),
        Claim(
            "Q6.3",
            "L253",
            "BN helps training by normalising the distribution of the data.",
            "theory",
            "partly right",
            "BN does normalise each feature over the batch, but why that helps is disputed: "
            "Santurkar et al. 2018 (How does batch normalization help optimization?) find "
            "little reduction of internal covariate shift and credit a smoother loss "
            "landscape, which allows larger stable learning rates.",
            SECTION_A,
        ),
        Claim(
            "Q6.4",
            "L253",
            "BN stops the weights from growing large.",
            "measurement",
            Check(
                ("equal_rate_pairs_bn_grows_less", "equal_rate_pairs", "min_growth_bn"),
                _bn_grows_less_but_grows,
                yes=Outcome(
                    "partly right",
                    "Every kernel that feeds a BN grows less with BN than without at the same "
                    "rate and epochs ({equal_rate_pairs_bn_grows_less} of {equal_rate_pairs} "
                    "pairs), but none stops growing (the smallest growth with BN is "
                    "{min_growth_bn:.3f} times): BN curbs the growth, it does not stop it.",
                ),
                no=Outcome(
                    "wrong",
                    "With BN a kernel that feeds it grows less in only "
                    "{equal_rate_pairs_bn_grows_less} of {equal_rate_pairs} equal-rate pairs.",
                ),
                describe="BN's kernel grows less in every equal-rate pair, and still grows",
                undecided=Outcome(
                    "confirmed",
                    "With BN every kernel that feeds it grows less than without, and at least "
                    "one does not grow at all (smallest growth {min_growth_bn:.3f} times).",
                ),
            ),
            "The mechanism, measured: a kernel followed by BN is scale-invariant, so its "
            "gradient is orthogonal to it and plain SGD gives ||W_t+1||² = ||W_t||² + "
            "η²||g_t||² (median residual {scale_invariance_residual:.1e} over "
            "{scale_invariance_steps} steps at rate {scale_invariance_rate:g}; eps breaks the "
            "invariance slightly): the norm only grows, and the larger it is the smaller the "
            "gradient, so the growth slows down by itself (weight decay is what keeps such "
            "weights small).",
            SECTION_WEIGHTS,
        ),
        Claim(
            "Q6.5",
            "L253",
            "With BN training reaches a better accuracy.",
            "measurement",
            Compare(
                "final_val_accuracy_bn",
                "final_val_accuracy_plain",
                TestSE("mnist_val", what="validation images"),
                above=Outcome(
                    "confirmed",
                    "BN ends higher: final validation accuracy {final_val_accuracy_bn:.4f} "
                    "against {final_val_accuracy_plain:.4f} without.",
                ),
                below=Outcome(
                    "wrong",
                    "BN ends lower: final validation accuracy {final_val_accuracy_bn:.4f} "
                    "against {final_val_accuracy_plain:.4f} without.",
                ),
                tie=Outcome(
                    "not checkable here",
                    "Final validation accuracy {final_val_accuracy_bn:.4f} with BN and "
                    "{final_val_accuracy_plain:.4f} without: indistinguishable on this "
                    "validation set.",
                ),
            ),
            "Each model at its own best rate of one grid.",
            SECTION_A,
            needs=("final_val_accuracy_bn", "final_val_accuracy_plain"),
        ),
        Claim(
            "Q6.6",
            "L253",
            "BN makes training converge faster.",
            "measurement",
            Check(
                (),
                bn_reaches_target_first,
                yes=Outcome(
                    "confirmed",
                    f"BN reaches the target in fewer epochs: {EPOCHS} (seconds: BN "
                    "{seconds_to_target_bn:.1f}, plain {seconds_to_target_plain:.1f}).",
                ),
                no=Outcome(
                    "wrong",
                    f"BN does not reach the target in fewer epochs: {EPOCHS} (seconds: BN "
                    "{seconds_to_target_bn:.1f}, plain {seconds_to_target_plain:.1f}).",
                ),
                describe=EPOCHS_NEEDS,
                undecided=Outcome(
                    "not checkable here",
                    f"Neither model reaches the target in this run: {EPOCHS}.",
                ),
            ),
            "Each model at its own best rate of one grid.",
            SECTION_A,
        ),
        Claim(
            "Q6.7",
            "L257",
            "(b) The completed code is in the zip file.",
            "choice",
            "not checkable here",
            "The zip file is not in the seed. *(ours)* A NumPy BN by hand stands in for it: "
            "float64 gradient check, relative error dx {grad_rel_error_dx:.1e}; agreement "
            "with Keras within {keras_forward_max_abs_diff:.1e} (forward) and "
            "{keras_grad_max_abs_diff:.1e} (gradients).",
            SECTION_B,
        ),
        Claim(
            "Q6.8",
            "L261",
            "A batch's variance may become 0 by chance; a very small eps is added (to the "
            "variance) so that the normalisation never divides by zero.",
            "theory",
            "confirmed",
            "eps is added to the batch variance for numerical stability (Ioffe and Szegedy "
            "2015, Algorithm 1); without it a zero-variance feature gives 0/0 = NaN, shown in "
            "the notebook. Zero variance is less chance than structure: a feature constant "
            "over the batch (a dead ReLU, a pixel never inked, a batch of one).",
            SECTION_C,
        ),
        Claim(
            "Q6.9",
            "L261",
            "eps has no effect on training.",
            "theory",
            "wrong",
            "The normalised value is (x - mean) / sqrt(var + eps): unless the variance is "
            "much larger than eps, eps shrinks the output and its gradient (a feature with "
            "standard deviation `0.01` is scaled to about `±0.30` with Keras' default "
            "`epsilon=1e-3`, `±0.95` with `1e-5`); Ioffe and Szegedy 2015, Keras "
            "BatchNormalization documentation.",
            SECTION_C,
        ),
        Claim(
            "Q6.10",
            "L265",
            "With a very small batch the statistics and the normalisation do not converge.",
            "theory",
            "partly right",
            "Overstated: with small batches (above one) BN still trains, worse, because its "
            "batch statistics are noisy and differ from the moving statistics used at "
            "inference (Wu and He 2018, Group Normalization, Figure 1: ImageNet error rises "
            "as the batch per GPU shrinks to 2, training still converges; Ioffe 2017, Batch "
            "Renormalization). The notebook's batch-size sweep shows the validation accuracy "
            "per batch size; whether its training loss converges at batch 2, 4 and 8 is not "
            "recorded.",
            SECTION_D,
        ),
        Claim(
            "Q6.11",
            "L265",
            "With a small batch the normalisation changes each example differently: BN adds "
            "noise to the data.",
            "theory",
            "confirmed",
            "An example's normalised value depends on the other examples of its batch, a "
            "noise that grows as the batch shrinks (Ioffe and Szegedy 2015, section 3, "
            "where it acts as a regulariser).",
            SECTION_D,
        ),
        Claim(
            "Q6.12",
            "L265",
            "With a batch of exactly one the mean equals the example, every value becomes 0 "
            "and training breaks down.",
            "measurement",
            Check(
                ("batch1_output_equals_beta",),
                lambda m: m["batch1_output_equals_beta"] is True,
                yes=Outcome(
                    "confirmed",
                    "In training mode a batch of one gives normalised values of exactly 0 and "
                    "an output of exactly beta (checked: {batch1_output_equals_beta}); the "
                    "answer's 0 is beta's initial value. Since the normalised value is 0 "
                    "whatever the input, no gradient reaches the layers before BN.",
                ),
                no=Outcome(
                    "wrong",
                    "The check that a batch of one gives exactly beta failed "
                    "({batch1_output_equals_beta}).",
                ),
                describe="NumPy BN, training mode, one row",
            ),
            "This holds for BN over features, after a dense layer (the case checked); a "
            "convolutional BN normalises over batch and positions, so a batch of one still "
            "passes signal.",
            SECTION_D,
        ),
        Claim(
            "Q6.13",
            "L269",
            "(e) Assumes a single BN, on the FC layer's output before its activation.",
            "choice",
            "not checkable here",
            "The question's text is not in the seed (the sizes 10 and 20 appear only in the "
            "answer's formula), so whether this assumption matches it cannot be checked.",
            SECTION_E,
        ),
        Claim(
            "Q6.14",
            "L271-275",
            "FC (10 + 1) x 20 = 220 parameters, BN 2 x 20 = 40 (gamma and beta): 260 in all.",
            "measurement",
            Check(
                ("trainable_params_fc_bn",),
                lambda m: m["trainable_params_fc_bn"] == 260,
                yes=Outcome(
                    "confirmed",
                    "Keras counts {trainable_params_fc_bn} trainable parameters for Dense(20) "
                    "on 10 inputs followed by BatchNormalization.",
                ),
                no=Outcome(
                    "wrong",
                    "Keras counts {trainable_params_fc_bn} trainable parameters, not 260.",
                ),
                describe="Keras trainable count, Dense 10 -> 20 with bias, then BN",
            ),
            "`count_params()` also counts the 40 non-trainable moving statistics (300 in "
            "all); the FC bias is redundant before BN (240 trainable without it).",
            SECTION_E,
        ),
    ),
)
