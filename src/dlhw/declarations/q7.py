"""Q7: Grad-CAM on an MNIST CNN. The written answer (seed L277-442) shows its data handling,
its model, its training call and its Grad-CAM function as code, then reads maps that are not
in the seed.

`answer_nan_maps` counts the NaN maps of the answer's own order (softmax score, ReLU, then
division by the maximum of the ReLU'd map) on every test image, predicted class, with the
batched mode that the notebook checks against the answer's function. The reading of the maps
(L428-442) is measured on the raw maps of the predicted class (logit score), per image.
"""

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
    Tolerance,
)

SECTION_DATA = "1. Data, as in the answer"
SECTION_MODEL = "2. The answer's model"
SECTION_FIRST10 = "3. Grad-CAM for the first 10 test images, as the answer did"
SECTION_SPEED = "Is it fast? The answer's per-image function against ours"
SECTION_DEFECTS = "The answer's two defects, shown"
SECTION_MEANS = "The mean map of each class"
SECTION_DISCUSSION = "The answer's discussion, checked"
SECTION_READING = "The answer's reading of the maps, measured"
SECTION_DELETION = "6. Faithfulness: the deletion test"

DELETION = (
    "Blanking the tenth of the pixels that Grad-CAM ranks first drops the true-class "
    "probability by {deletion_drop_gradcam:.3f} on average, random pixels by "
    "{deletion_drop_random:.3f}, the brightest ink by {deletion_drop_ink:.3f}; the "
    "randomisation check's highest mean Spearman correlation with a randomised model's maps "
    "is {randomization_spearman:.3f}."
)

DECLARATION = Declaration(
    question="Q7",
    title="Q7, Grad-CAM",
    modules="`dlhw.gradcam`",
    asks=(
        "Train the given CNN on MNIST (the seed shows that the shapes were to be printed and "
        "the model was given) and show with Grad-CAM which parts of an image each prediction "
        "rests on; *(ours)* can those maps be trusted?"
    ),
    metrics=(
        Metric(
            "test_accuracy",
            "the answer's CNN trained here (validation held out from the "
            "training set), test accuracy",
            "fraction",
        ),
        Metric("params", "parameters of the answer's CNN as rebuilt here", "parameters"),
        Metric(
            "gradcam_speedup",
            "seconds per image of a per-image function in the answer's "
            "style (rebuilt for Keras 3) over those of the batched Grad-CAM, warm, median "
            "of repeats",
            "ratio",
        ),
        Metric(
            "reference_max_abs_diff",
            "batched Grad-CAM (logit score) against tf-keras-vis, "
            "largest |difference| of raw maps on the first 500 test images",
        ),
        Metric(
            "randomization_spearman",
            "cascading randomisation: highest mean Spearman "
            "correlation between the trained model's maps and a randomised copy's",
        ),
        Metric(
            "deletion_drop_gradcam",
            "mean drop of the true-class probability when the "
            "tenth of the pixels ranked first by Grad-CAM is set to 0",
            "probability",
        ),
        Metric(
            "deletion_drop_random",
            "mean drop of the true-class probability when a random tenth of the pixels is set to 0",
            "probability",
        ),
        Metric(
            "deletion_drop_ink",
            "mean drop of the true-class probability when the "
            "brightest tenth of the pixels (ink) is set to 0",
            "probability",
        ),
        Metric(
            "softmax_logit_spearman",
            "mean Spearman correlation between the maps of the "
            "softmax score (the answer's) and of the logit, predicted class, test set",
        ),
        Metric(
            "answer_nan_maps",
            "NaN maps in the answer's order (softmax score, ReLU, then division by the "
            "maximum), every test image, predicted class, trained model",
            "maps",
        ),
        Metric(
            "answer_check_max_abs_diff",
            "batched softmax-score mode against the answer's function, largest |difference| "
            "of the normalised maps where p_c < 0.99",
        ),
        Metric(
            "answer_check_same_nan",
            "the batched mode and the answer's function give NaN on the same images",
        ),
        Metric(
            "share_p_exactly_1",
            "share of test images whose p_c is exactly `1.0` in float32",
            "fraction",
        ),
        Metric("share_top", "share of test images with p_c of at least `0.99999`", "fraction"),
        *(
            Metric(
                f"spearman_{pair}_{part}",
                f"mean Spearman (maps before the ReLU), {what}, "
                + ("p_c of at least `0.99999`" if part == "top" else "p_c below `0.99999`"),
            )
            for pair, what in (
                ("float32_exact", "float32 softmax-score map against the exact float64 one"),
                ("exact_logit", "exact softmax-score map against the logit map"),
                ("float32_logit", "float32 softmax-score map against the logit map"),
            )
            for part in ("top", "rest")
        ),
        Metric(
            "within_class_map_correlation",
            "mean pairwise Pearson correlation of raw maps within a (predicted) class, "
            "averaged over classes",
        ),
        Metric(
            "between_class_map_correlation",
            "mean pairwise Pearson correlation of raw maps of different classes",
        ),
        Metric(
            "gradcam_lower_half_share_0", "predicted 0s: map share in the lower half", "fraction"
        ),
        Metric("ink_lower_half_share_0", "predicted 0s: ink share in the lower half", "fraction"),
        Metric("others_lower_half_share", "other classes: map share in the lower half", "fraction"),
        Metric("lower_half_0_se_vs_ink", "SE of the 0s' map-minus-ink lower-half share"),
        Metric("lower_half_0_se_vs_others", "SE of the 0s' lower-half share minus the others'"),
        Metric(
            "gradcam_lower_left_share_7", "predicted 7s: map share in the lower left", "fraction"
        ),
        Metric("ink_lower_left_share_7", "predicted 7s: ink share in the lower left", "fraction"),
        Metric("others_lower_left_share", "other classes: map share in the lower left", "fraction"),
        Metric("lower_left_7_se_vs_ink", "SE of the 7s' map-minus-ink lower-left share"),
        Metric("lower_left_7_se_vs_others", "SE of the 7s' lower-left share minus the others'"),
    ),
    bullets=(
        "The answer's CNN, rebuilt layer for layer ({params:,} parameters) and trained here "
        "with a validation split held out from the training set: {test_accuracy:.2%} test "
        "accuracy, {verdicts[accuracy]}",
        "*(ours)* Batched Grad-CAM on the pre-softmax logit equals tf-keras-vis within "
        "{reference_max_abs_diff:.1e}; per image, a one-image-at-a-time function in the "
        "answer's style (ours, rebuilt for Keras 3) takes {gradcam_speedup:.1f} times as long: "
        "{verdicts[speed]}",
        "The answer differentiates the softmax probability, not the logit: the two scores' "
        "maps have a mean rank correlation of {softmax_logit_spearman:.3f} over the test set. "
        "Its normalisation (ReLU, then division by the maximum) turns every map that is zero "
        "after the ReLU into 0/0 = NaN. {verdicts[answer_nan]} In float32, "
        "{share_p_exactly_1:.1%} of the test images have p_c exactly `1.0`. {verdicts[float32]} "
        "{verdicts[rounding_looks_like_logit]}",
        "*(ours)* " + DELETION + " {verdicts[deletion_random]} {verdicts[deletion_ink]}",
    ),
    rules={
        "accuracy": Compare(
            "test_accuracy",
            0.99,
            TestSE("mnist_test"),
            above=Outcome("", "above the answer's 99 percent."),
            below=Outcome("", "below the answer's 99 percent."),
            tie=Outcome("", "indistinguishable from the answer's 99 percent on this test set."),
        ),
        "speed": Compare(
            "gradcam_speedup",
            1.0,
            NoMargin(),
            above=Outcome("", "the batched one is the faster."),
            below=Outcome("", "the per-image one is the faster."),
        ),
        "answer_nan": Check(
            ("answer_nan_maps",),
            lambda m: m["answer_nan_maps"] > 0,
            yes=Outcome("", "On the test set (predicted class) {answer_nan_maps:,} maps are NaN."),
            no=Outcome("", "On the test set (predicted class) no map is NaN."),
        ),
        "float32": Compare(
            "spearman_float32_exact_rest",
            "spearman_float32_exact_top",
            Tolerance(0.01, "our choice: a hundredth of a correlation"),
            above=Outcome(
                "",
                "Where the model is surest ({share_top:.1%} of the test images, p_c of at "
                "least `0.99999`), the float32 softmax map departs from the exact one (float64, "
                "from the logit maps): mean rank correlation {spearman_float32_exact_top:.3f} "
                "there, {spearman_float32_exact_rest:.3f} elsewhere. Its shape there is float32 "
                "rounding of 1 − p_c.",
            ),
            below=Outcome(
                "",
                "The float32 softmax map follows the exact one (float64) at least as well where "
                "the model is surest: {spearman_float32_exact_top:.3f} there, "
                "{spearman_float32_exact_rest:.3f} elsewhere.",
            ),
            tie=Outcome(
                "",
                "Float32 rounding does not change the softmax map's shape: its rank correlation "
                "with the exact one is {spearman_float32_exact_top:.3f} where the model is "
                "surest, {spearman_float32_exact_rest:.3f} elsewhere.",
            ),
        ),
        "rounding_looks_like_logit": Compare(
            "spearman_float32_logit_top",
            "spearman_exact_logit_top",
            Tolerance(0.01, "our choice: a hundredth of a correlation"),
            above=Outcome(
                "",
                "There the float32 map looks more like the logit map "
                "({spearman_float32_logit_top:.3f}) than the exact softmax map does "
                "({spearman_exact_logit_top:.3f}): the likeness is the rounding's, the softmax "
                "score itself asks 'c rather than its rivals' at every confidence.",
            ),
            below=Outcome(
                "",
                "There the exact softmax map is at least as close to the logit map "
                "({spearman_exact_logit_top:.3f}) as the float32 one "
                "({spearman_float32_logit_top:.3f}).",
            ),
            tie=Outcome(
                "",
                "There the float32 and the exact softmax maps are as close to the logit map "
                "({spearman_float32_logit_top:.3f} and {spearman_exact_logit_top:.3f}).",
            ),
        ),
        "deletion_random": Compare(
            "deletion_drop_gradcam",
            "deletion_drop_random",
            NoMargin(),
            above=Outcome("", "Grad-CAM's pixels matter more than random ones."),
            below=Outcome("", "Grad-CAM's pixels matter no more than random ones."),
        ),
        "deletion_ink": Compare(
            "deletion_drop_gradcam",
            "deletion_drop_ink",
            NoMargin(),
            above=Outcome("", "Grad-CAM's pixels matter more than the brightest ink."),
            below=Outcome(
                "",
                "The brightest ink matters more than Grad-CAM's pixels: upsampled from 7x7, "
                "the map ranks blocks of about 4x4 pixels, background beside the ink "
                "included.",
            ),
        ),
    },
    claims=(
        Claim(
            "Q7.1",
            "L284-290",
            "Shuffles the training set: one random permutation of indices reorders the images "
            "and the labels together.",
            "code",
            "confirmed",
            "The same index array reorders `x_train` and `y_train`, so each image keeps its "
            "label. No seed is set, so the order (and the samples shown) changes between runs; "
            "ours uses a seeded permutation.",
            SECTION_DATA,
        ),
        Claim(
            "Q7.2",
            "L294-303",
            "Prints the training set's shapes: (60000, 28, 28) for the images and (60000,) for "
            "the labels.",
            "code",
            "confirmed",
            "MNIST's training split; the notebook prints the same shapes. Only the training "
            "set's shapes are printed.",
            SECTION_DATA,
        ),
        Claim(
            "Q7.3",
            "L307-318",
            "Shows ten training samples with their labels.",
            "code",
            "confirmed",
            "Ten shuffled training images, each titled with its label; the figure is not in "
            "the seed.",
            SECTION_DATA,
        ),
        Claim(
            "Q7.4",
            "L324-333",
            "Scales the pixels to [0, 1], one-hot encodes the labels, and adds a channel axis "
            '(the prose says from 28*28 to "1*28*28") so that training works.',
            "code",
            "confirmed",
            "`astype('float32') / 255`, `to_categorical(..., 10)` and `expand_dims(..., -1)`; "
            "the axis is added last, 28x28x1 (channels last, as the model's Input expects), "
            "not first as the prose writes it.",
            SECTION_DATA,
        ),
        Claim(
            "Q7.5",
            "L337-371",
            "Builds the given model: three 3x3 same-padded ReLU convolutions (32, 64, 64 "
            "filters) each followed by 2x2 max pooling, Flatten, Dense 128 ReLU, Dense 10 "
            "softmax; 130890 parameters.",
            "measurement",
            Check(
                ("params",),
                lambda m: m["params"] == 130890,
                yes=Outcome(
                    "confirmed",
                    "Rebuilt layer for layer, Keras counts {params:,} parameters, as the "
                    "answer's summary does.",
                ),
                no=Outcome("wrong", "Rebuilt layer for layer, Keras counts {params:,}."),
                describe="Keras count_params of the rebuilt model",
            ),
            "Ours is built from a list of layers, not with `add` (see Q7.9).",
            SECTION_MODEL,
        ),
        Claim(
            "Q7.6",
            "L375-389",
            "Trains with Adam and categorical cross-entropy, batch 64, 15 epochs, passing the "
            "test set as `validation_data`.",
            "code",
            "wrong",
            "The recipe is standard; the defect is the validation data. Every epoch's "
            "validation score is then a look at the test set, and anything chosen from it "
            "(epochs, architecture) is tuned on the images meant to measure the final model. "
            "Ours holds the validation split out of the training set and uses the test set "
            "once.",
            SECTION_MODEL,
        ),
        Claim(
            "Q7.7",
            "L392",
            "The model's accuracy reached 99 percent.",
            "measurement",
            Compare(
                "test_accuracy",
                0.99,
                TestSE("mnist_test"),
                above=Outcome("confirmed", "Test accuracy {test_accuracy:.2%}, above 99 percent."),
                below=Outcome("wrong", "Test accuracy {test_accuracy:.2%}, below 99 percent."),
                tie=Outcome(
                    "confirmed",
                    "Test accuracy {test_accuracy:.2%}, indistinguishable from 99 percent.",
                ),
            ),
            "The answer does not name the split; with the test set as validation data, the "
            "accuracy Keras prints each epoch is a test accuracy. Here: the answer's model "
            "and recipe, validation held out from the training set, the test set used once.",
            SECTION_MODEL,
        ),
        Claim(
            "Q7.8",
            "L394",
            "The function computes the gradient of the layer's output with respect to the loss.",
            "code",
            "wrong",
            "Reversed: the code (L409) takes the gradient of the class score (which it calls "
            "`loss`) with respect to the convolutional layer's output, as Grad-CAM does "
            "(Selvaraju et al. 2017, equation 1).",
            SECTION_DEFECTS,
        ),
        Claim(
            "Q7.9",
            "L397-398",
            "Builds a model from `model.inputs` to the named layer's output and `model.output`.",
            "code",
            "confirmed",
            "Works on Keras 2, which the answer ran (its summaries print parameter totals "
            "without a thousands separator, as Keras 2 does). Keras 3 needs two changes: "
            "`model.outputs[0]` for `model.output`, and a Sequential built from a list, since "
            "with `add` the layer's `.output` belongs to an earlier graph and the gradient is "
            "None.",
            SECTION_SPEED,
        ),
        Claim(
            "Q7.10",
            "L404-406",
            "Uses the class's softmax probability, `predictions[:, class_index]`, as the score "
            "it differentiates.",
            "code",
            "wrong",
            "Grad-CAM differentiates the class score before the softmax (Selvaraju et al. "
            "2017, section 3). The probability's gradient, p_c · Σ_{{j≠c}} p_j (∂z_c − ∂z_j), "
            "asks 'c rather than its rivals' and vanishes as p_c nears 1, where float32 rounds "
            "its factor 1 − p_c. Mean rank correlation with the logit maps over the test set: "
            "{softmax_logit_spearman:.3f} (float32); the exact softmax map's, "
            "{spearman_exact_logit_top:.3f} where p_c is at least `0.99999` and "
            "{spearman_exact_logit_rest:.3f} below.",
            SECTION_DEFECTS,
        ),
        Claim(
            "Q7.11",
            "L409-411",
            "Weights each channel by the spatial mean of its gradients and sums the weighted "
            "channels.",
            "code",
            "confirmed",
            "Grad-CAM's channel weights and weighted sum (Selvaraju et al. 2017, equations 1 "
            "and 2); `[0]` drops the gradient's batch axis, so `axis=(0, 1)` are the spatial "
            "axes.",
            SECTION_FIRST10,
        ),
        Claim(
            "Q7.12",
            "L411-415",
            "Returns the image's class-activation map.",
            "code",
            "partly right",
            "The weighted sum multiplies the unindexed `conv_output`, so the map keeps a batch "
            "axis, (1, h, w), and stays at the layer's resolution (7x7 for the last "
            "convolution): it needs squeezing and upsampling before an overlay, and compared "
            "with a batch of maps (N, h, w) it broadcasts silently.",
            SECTION_FIRST10,
        ),
        Claim(
            "Q7.13",
            "L412-413",
            "Applies a ReLU (`np.maximum(cam, 0)`), then divides by the maximum of the ReLU'd "
            "map, scaling it to [0, 1].",
            "code",
            Check(
                ("answer_nan_maps",),
                lambda m: m["answer_nan_maps"] > 0,
                yes=Outcome(
                    "partly right",
                    "The order is as described, but a map that is 0 or below everywhere "
                    "becomes 0/0 = NaN: {answer_nan_maps:,} of the test set's maps (predicted "
                    "class, trained model).",
                ),
                no=Outcome(
                    "confirmed",
                    "The order is as described; no test map is all zero after the ReLU here.",
                ),
                describe="the answer's order, every test image, predicted class",
            ),
            "Counted with the batched mode in the answer's order, which gives NaN on the same "
            "images as the answer's function and agrees with it within "
            "{answer_check_max_abs_diff:.1e} where p_c < 0.99.",
            SECTION_DEFECTS,
        ),
        Claim(
            "Q7.14",
            "L421",
            "Computes and shows Grad-CAM for the first ten samples.",
            "choice",
            "not checkable here",
            "The figures are not in the seed, the split is not named, and the call (layer, "
            "class: predicted or label) is not shown. Ours: the first ten test images, which "
            "hold one 7 and one 0, while the discussion speaks of several maps of each "
            "(L428, L432).",
            SECTION_FIRST10,
        ),
        Claim(
            "Q7.15",
            "L428",
            "From the maps one can tell which parts of the image the model uses to recognise "
            "each class.",
            "measurement",
            Compare(
                "deletion_drop_gradcam",
                "deletion_drop_ink",
                NoMargin(),
                above=Outcome(
                    "confirmed",
                    "Grad-CAM's top pixels matter more than the brightest ink.",
                ),
                below=Outcome(
                    "partly right",
                    "The maps locate the evidence coarsely: the brightest ink matters more "
                    "than Grad-CAM's top pixels.",
                ),
            ),
            DELETION,
            SECTION_DELETION,
        ),
        Claim(
            "Q7.16",
            "L428-436",
            "Most maps of class 7 look alike, and so do those of class 0 (figures not in the "
            "seed).",
            "measurement",
            Compare(
                "within_class_map_correlation",
                "between_class_map_correlation",
                NoMargin(),
                above=Outcome(
                    "confirmed",
                    "Maps of one class correlate more with each other "
                    "({within_class_map_correlation:.3f}) than with other classes' "
                    "({between_class_map_correlation:.3f}).",
                ),
                below=Outcome(
                    "wrong",
                    "Maps of one class correlate no more with each other "
                    "({within_class_map_correlation:.3f}) than with other classes' "
                    "({between_class_map_correlation:.3f}).",
                ),
            ),
            "Mean pairwise Pearson correlation of the raw 7x7 maps of the predicted class "
            "(logit score), constant maps excluded; one run, no margin.",
            SECTION_READING,
        ),
        Claim(
            "Q7.17",
            "L438",
            "Looking at the maps of wrongly predicted images shows why the model erred, so the "
            "maps help debug and improve a model.",
            "theory",
            "confirmed",
            "Selvaraju et al. 2017 (section 6) use Grad-CAM to analyse failures and "
            "find dataset bias; a map helps only as far as it is faithful to the model "
            "(Adebayo et al. 2018), which the sanity check and the deletion test measure.",
            SECTION_DISCUSSION,
        ),
        Claim(
            "Q7.18",
            "L438",
            "A model that classified animals was found to recognise the wolf by the snow "
            "behind it, not by the wolf.",
            "theory",
            "confirmed",
            "Ribeiro, Singh and Guestrin 2016 (LIME, section 6): a husky-versus-wolf "
            "classifier trained on purpose on images where every wolf had snow behind it; "
            "LIME's explanations, not Grad-CAM's, showed the snow. MNIST has no background "
            "that could stand in for a class.",
            SECTION_DISCUSSION,
        ),
        Claim(
            "Q7.19",
            "L440",
            "For 0 the model seems to weigh the lower arc of the digit.",
            "measurement",
            Compare(
                "gradcam_lower_half_share_0",
                "ink_lower_half_share_0",
                Spread("lower_half_0_se_vs_ink", over="the 0s", name="SE"),
                above=Outcome(
                    "confirmed",
                    "For 0, the lower half holds {gradcam_lower_half_share_0:.3f} of the map "
                    "against {ink_lower_half_share_0:.3f} of the ink: more than the ink "
                    "alone gives it.",
                ),
                below=Outcome(
                    "wrong",
                    "For 0, the lower half holds {gradcam_lower_half_share_0:.3f} of the map "
                    "against {ink_lower_half_share_0:.3f} of the ink: less than the ink gives it.",
                ),
                tie=Outcome(
                    "partly right",
                    "For 0, the lower half holds {gradcam_lower_half_share_0:.3f} of the map, "
                    "as much as its ink ({ink_lower_half_share_0:.3f}): no extra weight.",
                ),
            ),
            "The other classes' maps put {others_lower_half_share:.3f} in the lower half. "
            "Shares per image (predicted class, logit score, raw maps upsampled to 28x28), "
            "averaged.",
            SECTION_READING,
        ),
        Claim(
            "Q7.20",
            "L442",
            "For 7 the model weighs the lower-left part of the image more, probably because "
            "there 7 differs from the other digits.",
            "measurement",
            Compare(
                "gradcam_lower_left_share_7",
                "ink_lower_left_share_7",
                Spread("lower_left_7_se_vs_ink", over="the 7s", name="SE"),
                above=Outcome(
                    "confirmed",
                    "For 7, the lower-left quadrant holds {gradcam_lower_left_share_7:.3f} of "
                    "the map against {ink_lower_left_share_7:.3f} of the ink: more than the "
                    "ink alone gives it.",
                ),
                below=Outcome(
                    "wrong",
                    "For 7, the lower-left quadrant holds {gradcam_lower_left_share_7:.3f} of "
                    "the map against {ink_lower_left_share_7:.3f} of the ink: less than the "
                    "ink gives it.",
                ),
                tie=Outcome(
                    "partly right",
                    "For 7, the lower-left quadrant holds {gradcam_lower_left_share_7:.3f} of "
                    "the map, as much as its ink ({ink_lower_left_share_7:.3f}).",
                ),
            ),
            "The other classes' maps put {others_lower_left_share:.3f} there (the answer's "
            "reason, that 7 differs there, is not tested by a share). Shares per image "
            "(predicted class, logit score, raw maps upsampled to 28x28), averaged.",
            SECTION_READING,
        ),
    ),
)
