"""Q6: batch normalisation. The written answer (seed L249-275) picks two options of a multiple
choice whose options the seed does not hold, gives its reasons, and answers (c), (d) and (e)
in prose; its code for (b) is in a zip file that the seed does not hold.

`epochs_to_target_*` and `seconds_to_target_*` (seed 0) may be null (the target accuracy not
reached within the run's epochs, as on the small profiles): the templates render it in words.
The verdicts on convergence read the means over seeds, where a seed that misses the target
counts as one epoch more than the run had (`dlhw.bn_seeds`).
"""

from collections.abc import Mapping
from typing import Any

from dlhw.declare import (
    Check,
    Claim,
    Compare,
    Declaration,
    Metric,
    NoMargin,
    Outcome,
    Spread,
    TestSE,
)

SECTION_A = "(a) Faster steps, or fewer of them?"
SECTION_WEIGHTS = "Does BN keep the weights from growing?"
SECTION_B = "(b) The implementation"
SECTION_C = "(c) Why eps, and what it does"
SECTION_D = "(d) Small batches"
SECTION_E = "(e) Parameter count: FC 10 -> 20 followed by BN"


def _bn_grows_less_but_grows(m: Mapping[str, Any]) -> bool | None:
    """True: BN's kernel grows less in every equal-rate pair and every one still grows; False:
    not in every pair; None (reported as its own case): less in every pair, and one did not
    grow at all."""
    if m["equal_rate_pairs_bn_grows_less"] < m["equal_rate_pairs"]:
        return False
    return True if m["min_growth_bn"] > 1 else None


CONVERGED = 0.5  # ours: training converges when its loss ends at most half of where it started
SMALL_BATCHES = ("b2", "b4", "b8")


def _small_batches_converge(m: Mapping[str, Any]) -> bool | None:
    """True: BN's training-mode loss falls to at most CONVERGED of its start at batch 2, 4
    and 8; False: at none of them; None: at some."""
    done = [m["sweep_loss_ratio"][b] <= CONVERGED for b in SMALL_BATCHES]
    return True if all(done) else (False if not any(done) else None)


def _stable_rates(m: Mapping[str, Any]) -> bool | None:
    """True: BN is stable at a larger rate than the plain MLP, up to the grid's top; False:
    at a larger rate, below the top; None: not at a larger rate."""
    if not m["largest_stable_lr_bn"] > m["largest_stable_lr_plain"]:
        return None
    return m["largest_stable_lr_bn_at_top"] is True


def _seeds(a: str, b: str, spread: str, what: str, above: Outcome, below: Outcome, tie: Outcome):
    """`a` against `b`, means over seeds, margin twice the larger s.d. of the pair."""
    return Compare(a, b, Spread(spread, over=f"seeds ({what})"), above=above, below=below, tie=tie)


SWEEP = (
    "its training-mode loss ends at {sweep_loss_ratio[b2]:.2f}, {sweep_loss_ratio[b4]:.2f} and "
    "{sweep_loss_ratio[b8]:.2f} of its start (ours: at most "
    f"{CONVERGED:g}"
    " counts as converged). Validation accuracy with the moving statistics (inference) minus "
    "with each batch's own (training mode): {sweep_mode_gap[b2]:+.3f}, {sweep_mode_gap[b4]:+.3f}, "
    "{sweep_mode_gap[b8]:+.3f} (batch 128: {sweep_mode_gap[b128]:+.3f})."
)
# eps 1e-5 against 1e-3: either direction of a difference beyond 2·SE says the same
EPS_DIFFER_BRIEF = Outcome("", "eps 1e-5 and 1e-3 train this MLP differently (beyond 2·SE).")
EPS_DIFFER = Outcome(
    "wrong",
    "Training the MLP with eps 1e-5 and 1e-3 gives different validation accuracies "
    "({eps_val_accuracy[eps_1e-05]:.4f} and {eps_val_accuracy[eps_1e-03]:.4f}, beyond 2·SE).",
)
SEEDS = (
    "mean over {seed_count} seeds, epochs to the target: plain {seed_epochs_mean[plain]:.2f} "
    "(s.d. {seed_epochs_std[plain]:.2f}) at {best_lr_plain:g}, BN {seed_epochs_mean[bn_best]:.2f}"
    " (s.d. {seed_epochs_std[bn_best]:.2f}) at {best_lr_bn:g}"
)


DECLARATION = Declaration(
    question="Q6",
    title="Q6, batch normalisation by hand",
    modules=(
        "`dlhw.batchnorm`, `dlhw.gradcheck`, `dlhw.bn_experiments`, `dlhw.bn_weights`, "
        "`dlhw.bn_seeds`, `dlhw.bn_eps`, `dlhw.bn_batches`"
    ),
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
            "kernel_norms",
            "per norm (plain, batch) and learning rate (lr0_1 = 0.1): the Frobenius norm of "
            "each Dense kernel before training and after every epoch the run finished (one "
            "list per epoch, input to output)",
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
        Metric(
            "final_val_accuracy_bn",
            "validation accuracy after the last epoch, MLP with BN at its best rate (seed 0)",
            "fraction",
        ),
        Metric(
            "final_val_accuracy_plain",
            "validation accuracy after the last epoch, MLP without BN at its best rate (seed 0)",
            "fraction",
        ),
        Metric("grid_top_rate", "the largest learning rate of the grid", "learning rate"),
        Metric(
            "largest_stable_lr_bn",
            "largest rate of the grid at which the MLP with BN trained every epoch without "
            "diverging",
            "learning rate",
        ),
        Metric("largest_stable_lr_plain", "the same, MLP without BN", "learning rate"),
        Metric(
            "largest_stable_lr_bn_at_top",
            "BN's largest stable rate is the grid's largest (the true limit is at least that)",
            "yes/no",
        ),
        Metric("seed_count", "seeds of each repeated run (the grid's seed 0 among them)", "seeds"),
        Metric(
            "seed_epochs_mean",
            "epochs to the target, mean over the seeds, for plain at its best rate, BN at its "
            "best rate and BN at plain's rate (a seed that misses the target counts as "
            "bn_epochs + 1)",
            "epochs",
        ),
        Metric("seed_epochs_std", "the same: standard deviation over the seeds", "epochs"),
        Metric(
            "seed_seconds_mean",
            "seconds to the target, mean over the seeds (a seed that misses it counts with the "
            "time of all its epochs)",
            "seconds",
        ),
        Metric("seed_seconds_std", "the same: standard deviation over the seeds", "seconds"),
        Metric("seed_reached", "seeds that reached the target, per run", "seeds"),
        Metric(
            "seed_final_mean",
            "validation accuracy after the last epoch, mean over the seeds (NaN if one diverged)",
            "fraction",
        ),
        Metric("seed_final_std", "the same: standard deviation over the seeds", "fraction"),
        Metric(
            "seed_epochs_spread",
            "the larger epochs s.d. of plain and BN at their best rates (the margin's unit)",
            "epochs",
        ),
        Metric(
            "seed_seconds_spread",
            "the larger seconds s.d. of plain and BN at their best rates",
            "seconds",
        ),
        Metric(
            "seed_equal_spread",
            "the larger epochs s.d. of plain and BN at plain's best rate",
            "epochs",
        ),
        Metric(
            "seed_equal_pairs",
            "(seed, kernel that feeds a BN) pairs at plain's best rate, equal epochs",
            "pairs",
        ),
        Metric("seed_equal_pairs_bn_grows_less", "of those, BN's kernel grew less", "pairs"),
        Metric("eps_pixel", "the pixel inked in the fewest training images", "index"),
        Metric("eps_pixel_inked_images", "training images that ink it", "images"),
        Metric(
            "eps_pixel_variance",
            "its variance over a batch of 128 raw images, one of which inks it",
        ),
        Metric(
            "eps_pixel_normalised",
            "NumPy BN on that batch, training mode: the inked image's |normalised value| per "
            "eps (eps_0e+00 is without eps)",
        ),
        Metric(
            "eps_pixel_gradient",
            "the same: largest |gradient| reaching that pixel's inputs per eps, one fixed "
            "upstream gradient",
        ),
        Metric("eps_epochs", "epochs of the short training with each eps", "epochs"),
        Metric(
            "eps_val_accuracy",
            "the BN MLP (SGD at BN's best rate) with each eps: validation accuracy after those "
            "epochs",
            "fraction",
        ),
        Metric(
            "eps_inference_moving_var",
            "after training with batches of one: median moving variance of the BN layers",
        ),
        Metric(
            "eps_inference_std",
            "that model at inference with each eps: standard deviation of the first BN "
            "layer's output",
        ),
        Metric(
            "eps_inference_accuracy",
            "that model at inference with each eps: validation accuracy",
            "fraction",
        ),
        Metric(
            "sweep_loss_ratio",
            "BN, per batch size (b1 ... b128): training-mode loss over the last tenth of the "
            "steps / over the first tenth",
            "ratio",
        ),
        Metric(
            "sweep_mode_gap",
            "BN, per batch size: validation accuracy in inference mode (moving statistics) "
            "minus in training mode (each batch's own statistics)",
            "fraction",
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
        "{best_lr_plain:g} without, chosen on seed 0) reaches the target validation accuracy "
        "after (epochs, seconds): BN ({epochs_to_target_bn}, {seconds_to_target_bn:.0f}), "
        "plain ({epochs_to_target_plain}, {seconds_to_target_plain:.0f}) on seed 0; " + SEEDS + ": "
        "{verdicts[convergence]} In seconds (BN {seed_seconds_mean[bn_best]:.1f}, plain "
        "{seed_seconds_mean[plain]:.1f}): {verdicts[convergence_seconds]} At one rate for both "
        "({best_lr_plain:g}), BN needs {seed_epochs_mean[bn_plain_rate]:.2f} epochs: "
        "{verdicts[equal_rate_seeds]}",
        "Why BN helps, in the current account (Santurkar et al. 2018: a smoother loss "
        "landscape that allows larger stable learning rates; the internal-covariate-shift "
        "explanation is disputed): {verdicts[stable_rates]} Final validation accuracy at the "
        "best rates, seed 0: BN {final_val_accuracy_bn:.4f}, plain "
        "{final_val_accuracy_plain:.4f} (ledger Q6.5).",
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
        "eps is inert only while a feature's batch variance is much larger than eps. A raw "
        "pixel inked in {eps_pixel_inked_images:,} training image(s) has a batch variance of "
        "{eps_pixel_variance:.1e}; BN scales the inked image's value to "
        "{eps_pixel_normalised[eps_0e+00]:.2f} without eps, {eps_pixel_normalised[eps_1e-05]:.2f}"
        " with 1e-5 and {eps_pixel_normalised[eps_1e-03]:.2f} with Keras' 1e-3. Training the "
        "MLP for {eps_epochs} epochs with eps 1e-5, 1e-3, 1e-1: validation accuracy "
        "{eps_val_accuracy[eps_1e-05]:.4f}, {eps_val_accuracy[eps_1e-03]:.4f}, "
        "{eps_val_accuracy[eps_1e-01]:.4f}: {verdicts[eps_training]} After training with "
        "batches of one the moving variance is {eps_inference_moving_var:.1e}, and at "
        "inference eps alone sets BN's scale: output s.d. {eps_inference_std[eps_1e-05]:.1f}, "
        "{eps_inference_std[eps_1e-03]:.1f}, {eps_inference_std[eps_1e-01]:.2f} (ledger Q6.9).",
        "Small batches: {verdicts[small_batches]}",
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
        "convergence": _seeds(
            "seed_epochs_mean.plain",
            "seed_epochs_mean.bn_best",
            "seed_epochs_spread",
            "epochs, the larger s.d.",
            above=Outcome("", "BN needs fewer epochs, by more than the seeds' spread."),
            below=Outcome("", "BN needs more epochs, by more than the seeds' spread."),
            tie=Outcome("", "the two are indistinguishable within the seeds' spread."),
        ),
        "convergence_seconds": _seeds(
            "seed_seconds_mean.plain",
            "seed_seconds_mean.bn_best",
            "seed_seconds_spread",
            "seconds, the larger s.d.",
            above=Outcome("", "BN takes less time, by more than the seeds' spread."),
            below=Outcome("", "BN takes more time, by more than the seeds' spread."),
            tie=Outcome("", "indistinguishable within the seeds' spread."),
        ),
        "equal_rate_seeds": _seeds(
            "seed_epochs_mean.plain",
            "seed_epochs_mean.bn_plain_rate",
            "seed_equal_spread",
            "epochs, the larger s.d.",
            above=Outcome("", "fewer than plain, by more than the seeds' spread."),
            below=Outcome("", "more than plain, by more than the seeds' spread."),
            tie=Outcome("", "indistinguishable from plain within the seeds' spread."),
        ),
        "stable_rates": Check(
            ("largest_stable_lr_bn", "largest_stable_lr_plain", "largest_stable_lr_bn_at_top"),
            _stable_rates,
            yes=Outcome(
                "",
                "here BN trains without diverging at every rate of the grid, so its largest "
                "stable rate is at least {largest_stable_lr_bn:g}; without BN it is "
                "{largest_stable_lr_plain:g}.",
            ),
            no=Outcome(
                "",
                "here the largest stable rate of the grid is {largest_stable_lr_bn:g} with BN "
                "and {largest_stable_lr_plain:g} without.",
            ),
            undecided=Outcome(
                "",
                "here BN is not stable at a larger rate than the plain MLP "
                "({largest_stable_lr_bn:g} against {largest_stable_lr_plain:g}).",
            ),
            describe="the largest rates of the grid each model trained at without diverging",
        ),
        "eps_training": Compare(
            "eps_val_accuracy.eps_1e-05",
            "eps_val_accuracy.eps_1e-03",
            TestSE("mnist_val", what="validation images"),
            above=EPS_DIFFER_BRIEF,
            below=EPS_DIFFER_BRIEF,
            tie=Outcome(
                "", "eps 1e-5 and 1e-3 train this MLP alike (indistinguishable within 2·SE)."
            ),
        ),
        "small_batches": Check(
            tuple(f"sweep_loss_ratio.{b}" for b in SMALL_BATCHES),
            _small_batches_converge,
            yes=Outcome("", "BN's training converges at batch 2, 4 and 8: " + SWEEP),
            no=Outcome("", "BN's training does not converge at batch 2, 4 or 8: " + SWEEP),
            undecided=Outcome(
                "", "BN's training converges at some of batch 2, 4 and 8 only: " + SWEEP
            ),
            describe=f"training-mode loss, last tenth over first tenth, at most {CONVERGED:g}",
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
            "landscape, which allows larger stable learning rates. In this run the largest "
            "rate of the grid that trained without diverging is {largest_stable_lr_bn:g} with "
            "BN and {largest_stable_lr_plain:g} without (the grid's top is {grid_top_rate:g}).",
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
            _seeds(
                "seed_epochs_mean.plain",
                "seed_epochs_mean.bn_best",
                "seed_epochs_spread",
                "epochs, the larger s.d.",
                above=Outcome(
                    "confirmed",
                    "BN reaches the target in fewer epochs, by more than the seeds' spread: "
                    + SEEDS
                    + " (seconds: BN {seed_seconds_mean[bn_best]:.1f}, plain "
                    "{seed_seconds_mean[plain]:.1f}).",
                ),
                below=Outcome(
                    "wrong",
                    "BN needs more epochs to the target, by more than the seeds' spread: "
                    + SEEDS
                    + ".",
                ),
                tie=Outcome(
                    "not checkable here",
                    "Indistinguishable within the seeds' spread: " + SEEDS + ".",
                ),
            ),
            "Each model at its own best rate of one grid (chosen on seed 0), then repeated on "
            "the other seeds. In seconds to the target (mean over the seeds, a step with BN "
            "costing more): BN {seed_seconds_mean[bn_best]:.1f} (s.d. "
            "{seed_seconds_std[bn_best]:.1f}), plain {seed_seconds_mean[plain]:.1f} (s.d. "
            "{seed_seconds_std[plain]:.1f}).",
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
            "over the batch (a pixel never inked, with BN on raw pixels; a batch of one).",
            SECTION_C,
        ),
        Claim(
            "Q6.9",
            "L261",
            "eps has no effect on training.",
            "measurement",
            Compare(
                "eps_val_accuracy.eps_1e-05",
                "eps_val_accuracy.eps_1e-03",
                TestSE("mnist_val", what="validation images"),
                above=EPS_DIFFER,
                below=EPS_DIFFER,  # either sign refutes "no effect"
                tie=Outcome(
                    "partly right",
                    "For these models a small eps is inert: eps 1e-5 and 1e-3 give "
                    "{eps_val_accuracy[eps_1e-05]:.4f} and {eps_val_accuracy[eps_1e-03]:.4f} "
                    "(1e-1: {eps_val_accuracy[eps_1e-01]:.4f}). Not in general: on a raw "
                    "pixel with batch variance {eps_pixel_variance:.1e}, eps 1e-3 shrinks "
                    "the normalised value from {eps_pixel_normalised[eps_0e+00]:.2f} to "
                    "{eps_pixel_normalised[eps_1e-03]:.2f}, and after training with batches "
                    "of one eps sets the scale at inference.",
                ),
            ),
            "The normalised value is (x - mean) / sqrt(var + eps): eps matters where the "
            "variance is not much larger than it (Ioffe and Szegedy 2015; Keras "
            "BatchNormalization documentation). After batches of one the moving variance is "
            "{eps_inference_moving_var:.1e}, so BN's output s.d. at inference is "
            "{eps_inference_std[eps_1e-05]:.1f} with eps 1e-5, "
            "{eps_inference_std[eps_1e-03]:.1f} with 1e-3 and "
            "{eps_inference_std[eps_1e-01]:.2f} with 1e-1.",
            SECTION_C,
        ),
        Claim(
            "Q6.10",
            "L265",
            "With a very small batch the statistics and the normalisation do not converge.",
            "measurement",
            Check(
                tuple(f"sweep_loss_ratio.{b}" for b in SMALL_BATCHES),
                _small_batches_converge,
                yes=Outcome("partly right", "Training converges at batch 2, 4 and 8: " + SWEEP),
                no=Outcome("confirmed", "Training does not converge at batch 2, 4 or 8: " + SWEEP),
                undecided=Outcome(
                    "partly right", "Training converges at some of batch 2, 4 and 8 only: " + SWEEP
                ),
                describe=f"training-mode loss, last tenth over first tenth, at most {CONVERGED:g}",
            ),
            "Small batches give noisy batch statistics that differ from the moving statistics "
            "used at inference (Wu and He 2018, Group Normalization, Figure 1; Ioffe 2017, "
            "Batch Renormalization). 'Converged' is ours: the loss over the last tenth of "
            f"the steps at most {CONVERGED:g} of the first tenth's.",
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
