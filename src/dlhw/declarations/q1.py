"""Q1: KerasTuner on an MNIST CNN (seed L3-187).

Q1 of the written answer shows its search space and its tuner, but no `search` or `fit` call:
its epochs, batch size and validation data are unknown. The recipe that trains the answer's
model here (Adam at a constant 1e-3, batch 64 as in the answer's Q7 `fit`, `answer_epochs`
epochs) is ours, and so are the tuner comparison, our search space and the final model.

Margins: the tuners' best scores are validation accuracies on the run's validation split
(`TestSE("mnist_val")`); the same-recipe accuracies are on the test set
(`TestSE("mnist_test")`); timings are one run. The memorisation entries (L61, L187) read the
shuffled-label fits of the final architecture's variants (`tuning.memorisation`); the head and
learning-rate rules use one configuration's spread over seeds (`tuning.head_rate_grid`).
"""

from __future__ import annotations

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

# The tuners score every trial on the whole validation split (`data.mnist_splits`: 6,000 images
# in the full profile); the trials train on a subset (`tuner_train`).
VALIDATION = TestSE("mnist_val", "validation images")
# The memorisation test: `shuffled_images` training images (full: 1,000) with shuffled labels.
SHUFFLED = TestSE("shuffled_images", "shuffled-label training images")
# Head against learning rate: one configuration's spread over seeds is the margin.
SEEDS = Spread("head_rate.seed_sd", over="seeds of the tuned configuration")
CHANCE = 0.1  # ten classes: the share of shuffled labels a model fits without memorising

SECTION_A = "(a) KerasTuner and its tuners"
SECTION_B = "(b) MNIST, Dropout and pooling"
SECTION_C = "(c) The answer's search space, repaired"
SECTION_TUNERS = "Four tuners, one budget"
SECTION_SKLEARN = 'SklearnTuner: the answer\'s "Sklearn" tuner'
SECTION_FINAL = "The final model"
SECTION_RECIPE = "One recipe, two architectures"
SECTION_MEMORISE = "Dropout and pooling against memorisation, measured"

OUR_RECIPE = (
    "our recipe (Adam at a constant `1e-3`, one of the answer's three rates, L138; batch 64, "
    "as in the answer's Q7 `fit`, L389; {answer_epochs} epochs on our training split, the "
    "profile's `answer_train` images of it)"
)

# The Q1 issue's memorisation metrics, per variant of the final architecture: `final` (as
# tuned: pooling and Dropout), `no_dropout` (Dropout removed, pooling kept, as in the answer's
# model), `strided` (each pooling replaced by a 2x2 stride-2 convolution, Dropout kept).
# `shuffled_fit`: share of the shuffled-label images fitted after `shuffled_epochs` (evaluate).
FIT = "memorisation.{}.shuffled_fit"
FITTED = (
    "{{memorisation[{variant}][shuffled_fit]:.1%}} of {{shuffled_images:,}} training images with "
    "shuffled labels after {{shuffled_epochs}} epochs"
)
POOL_VS_STRIDED = (
    "With Dropout, pooling against stride-2 convolutions: "
    "{memorisation[final][shuffled_fit]:.1%} against {memorisation[strided][shuffled_fit]:.1%}."
)

# The two changes to the final architecture and what each rule measures against `final`.
VARIANT_WORDS = (
    ("dropout", "no_dropout", "Without Dropout"),
    ("pooling", "strided", "With stride-2 convolutions instead of pooling"),
)
MEMORISATION_MEASURES = (
    (
        "gap",
        "gap",
        VALIDATION,
        "training accuracy exceeds validation by more.",
        "training accuracy exceeds validation by less.",
        "the gap is indistinguishable.",
    ),
    (
        "fit",
        "shuffled_fit",
        SHUFFLED,
        "the model fits more of the shuffled labels.",
        "the model fits fewer of the shuffled labels.",
        "it fits as many shuffled labels (indistinguishable).",
    ),
)

DECLARATION = Declaration(
    question="Q1",
    title="Q1, KerasTuner",
    modules="`dlhw.tuning`",
    asks=(
        "As far as the seed shows (the hand-out is not in it): explain KerasTuner and its "
        "tuners, describe MNIST, and tune a CNN's numbers of layers, neurons and filters and "
        "its learning rate with KerasTuner (L99). *(ours)* Which CNN does a search find, and "
        "how do KerasTuner's tuners compare on one budget?"
    ),
    metrics=(
        Metric(
            "test_accuracy",
            "final model (our best configuration retrained), test accuracy",
            "fraction",
        ),
        Metric("params", "final model's weights (Adam's state excluded)", "parameters"),
        Metric(
            "seed_answer_params",
            "the answer's reported best model rebuilt from its repaired space",
            "parameters",
        ),
        Metric("search_minutes", "the four tuners' searches together, wall time", "minutes"),
        Metric(
            "tuners",
            "per tuner (random, grid, bayesian, hyperband): best validation accuracy, epochs "
            "run, trials, wall minutes",
        ),
        Metric("final_epoch_seconds", "final model's training, time per epoch", "seconds"),
        Metric(
            "answer_epochs", "epochs of our one-recipe training of both architectures", "epochs"
        ),
        Metric(
            "answer_model_test_accuracy",
            "the answer's best model trained with our one recipe, test accuracy",
            "fraction",
        ),
        Metric(
            "answer_model_epoch_seconds",
            "the answer's best model with our one recipe, median time per epoch",
            "seconds",
        ),
        Metric(
            "same_recipe_test_accuracy",
            "our tuned architecture trained with the same recipe, test accuracy",
            "fraction",
        ),
        Metric(
            "same_recipe_epoch_seconds",
            "our tuned architecture with the same recipe, median time per epoch",
            "seconds",
        ),
        Metric(
            "answer_space_best_val_accuracy",
            "RandomSearch on the answer's repaired space for our space's wall time, best "
            "validation accuracy",
            "fraction",
        ),
        Metric(
            "our_space_best_val_accuracy",
            "RandomSearch on our space, best validation accuracy (unrounded)",
            "fraction",
        ),
        Metric(
            "answer_space_unbuildable_share",
            "the answer's space as written: share of its configurations that cannot be built",
            "fraction",
        ),
        Metric(
            "answer_space_p_ten_trials_buildable",
            "chance that 10 uniform random trials of that space are all buildable",
            "fraction",
        ),
        Metric(
            "head_rate",
            "the final configuration with each head at the tuned and the slow rate, validation "
            "accuracy (seed 0), the tuned configuration's s.d. over seeds, the two rates",
        ),
        Metric(
            "test_errors",
            "final model's test errors: their number and the most frequent (true, predicted, "
            "count) pairs",
        ),
        Metric(
            "memorisation",
            "per variant of the final architecture (final, no_dropout, strided): parameters, "
            "training and validation accuracy and their gap after our recipe, shuffled-label fit",
        ),
        Metric("shuffled_images", "training images given shuffled labels", "images"),
        Metric("shuffled_epochs", "epochs of the shuffled-label training", "epochs"),
    ),
    bullets=(
        "*(ours)* On one budget in epochs, RandomSearch, GridSearch, BayesianOptimization and "
        "Hyperband ran {tuners[random][epochs]}, {tuners[grid][epochs]}, "
        "{tuners[bayesian][epochs]} and {tuners[hyperband][epochs]} epochs on the same "
        "training subset, scored on a split held out from training. Best validation accuracy: "
        "random {tuners[random][best_val_accuracy]:.4f}, grid "
        "{tuners[grid][best_val_accuracy]:.4f}, Bayesian "
        "{tuners[bayesian][best_val_accuracy]:.4f}, Hyperband "
        "{tuners[hyperband][best_val_accuracy]:.4f}; the four searches took "
        "{search_minutes:.2f} minutes here. Hyperband against RandomSearch, which draws the "
        "same configurations: {verdicts[hyperband_vs_random]}",
        "*(ours)* The final model, chosen on validation only, retrained with its own tuned "
        "recipe and tested once: {test_accuracy:.2%} test accuracy with {params:,} parameters.",
        "The written answer's reported best model rebuilds to exactly {seed_answer_params:,} "
        "parameters. The answer's Q1 shows no `search` or `fit` call, so its epochs, batch "
        "size and validation data are unknown: we trained its model and our tuned architecture "
        "with one recipe of ours (Adam at a constant `1e-3`, one of the answer's three rates; "
        "batch 64, as in the answer's Q7 `fit`; {answer_epochs} epochs on the same split, the "
        "profile's `answer_train` images of it, all in `full`). "
        "Test accuracy: the answer's model {answer_model_test_accuracy:.2%} "
        "({answer_model_epoch_seconds:.0f} s per epoch), ours {same_recipe_test_accuracy:.2%} "
        "({same_recipe_epoch_seconds:.0f} s per epoch): {verdicts[same_recipe_accuracy]} "
        "{verdicts[same_recipe_time]}",
        "*(ours)* A search's ranking can mix the head's effect with the learning rate's. "
        "Changing one at a time on the tuned configuration (trained as a trial; the tuned "
        "rate {head_rate[fast_rate]:.2e} and a tenth of it; margin twice its s.d. over "
        "{head_rate[seeds]} seeds, {head_rate[seed_sd]:.4f}): {verdicts[head_fast]} "
        "{verdicts[head_slow]} {verdicts[rate_dense]} {verdicts[rate_global_avg]}",
        "What the final architecture can memorise (the answer's L61 and L187): it fits "
        "{memorisation[final][shuffled_fit]:.1%} of {shuffled_images:,} training images with "
        "shuffled labels after {shuffled_epochs} epochs as tuned (pooling and Dropout), "
        "{memorisation[no_dropout][shuffled_fit]:.1%} without Dropout, "
        "{memorisation[strided][shuffled_fit]:.1%} with stride-2 convolutions instead of "
        "pooling (chance 10%). {verdicts[dropout_fit]} {verdicts[pooling_fit]}",
        "*(ours)* The answer's search space, repaired and searched by RandomSearch for the "
        "wall-clock time our space's RandomSearch took, reaches a best validation accuracy of "
        "{answer_space_best_val_accuracy:.4f}, against {our_space_best_val_accuracy:.4f} for "
        "ours: {verdicts[spaces]}",
        "Hyperband is successive halving over brackets, not parallel training; KerasTuner's "
        "grid tuner is `GridSearch`, and its scikit-learn tuner, `SklearnTuner`, tunes "
        "scikit-learn estimators rather than using scikit-learn's optimisers.",
    ),
    rules={
        "hyperband_vs_random": Compare(
            "tuners.hyperband.best_val_accuracy",
            "tuners.random.best_val_accuracy",
            VALIDATION,
            above=Outcome("", "Hyperband's best is higher on the validation split."),
            below=Outcome("", "RandomSearch's best is higher on the validation split."),
            tie=Outcome("", "the two bests are indistinguishable on the validation split."),
        ),
        "same_recipe_accuracy": Compare(
            "answer_model_test_accuracy",
            "same_recipe_test_accuracy",
            TestSE("mnist_test"),
            above=Outcome("", "the answer's larger model scores higher."),
            below=Outcome("", "our smaller architecture scores higher."),
            tie=Outcome("", "the two are indistinguishable on this test set."),
        ),
        "same_recipe_time": Compare(
            "answer_model_epoch_seconds",
            "same_recipe_epoch_seconds",
            NoMargin(),
            above=Outcome("", "An epoch of the answer's model takes longer than one of ours."),
            below=Outcome("", "An epoch of the answer's model takes less time than one of ours."),
        ),
        **{
            f"head_{rate}": Compare(
                f"head_rate.dense_{rate}",
                f"head_rate.global_avg_{rate}",
                SEEDS,
                above=Outcome("", f"At the {word} rate the dense head scores higher."),
                below=Outcome("", f"At the {word} rate the global-average head scores higher."),
                tie=Outcome("", f"At the {word} rate the two heads are indistinguishable."),
            )
            for rate, word in (("fast", "tuned"), ("slow", "slow"))
        },
        **{
            f"rate_{head}": Compare(
                f"head_rate.{head}_fast",
                f"head_rate.{head}_slow",
                SEEDS,
                above=Outcome("", f"With the {name} head the tuned rate scores higher."),
                below=Outcome("", f"With the {name} head the slow rate scores higher."),
                tie=Outcome("", f"With the {name} head the two rates are indistinguishable."),
            )
            for head, name in (("dense", "dense"), ("global_avg", "global-average"))
        },
        **{
            f"{change}_{name}": Compare(
                f"memorisation.{variant}.{metric}",
                f"memorisation.final.{metric}",
                margin,
                above=Outcome("", f"{words}, {more}"),
                below=Outcome("", f"{words}, {fewer}"),
                tie=Outcome("", f"{words}, {same}"),
            )
            for change, variant, words in VARIANT_WORDS
            for name, metric, margin, more, fewer, same in MEMORISATION_MEASURES
        },
        "spaces": Compare(
            "our_space_best_val_accuracy",
            "answer_space_best_val_accuracy",
            VALIDATION,
            above=Outcome("", "our space's best is higher on the validation split."),
            below=Outcome("", "the answer's space's best is higher on the validation split."),
            tie=Outcome("", "the two are indistinguishable on the validation split."),
        ),
    },
    claims=(
        # ------------------------------------------------------------- (a) KerasTuner, L7-35
        Claim(
            "Q1.1",
            "L7-9",
            "KerasTuner tunes the hyperparameters of Keras networks: training ones (learning "
            "rate, beta, ...) and structural ones (numbers of conv and dense layers, neurons, "
            "filters), with several tuners to choose from.",
            "theory",
            "confirmed",
            "A hypermodel declares each hyperparameter where it is used and a tuner searches "
            "them (KerasTuner documentation, keras.io/keras_tuner; O'Malley et al. 2019).",
            SECTION_A,
        ),
        Claim(
            "Q1.2",
            "L13",
            "RandomSearch samples the hyperparameters at random; a suitable first try.",
            "theory",
            "confirmed",
            "Random search is a strong baseline when few hyperparameters matter (Bergstra and "
            "Bengio 2012, JMLR 13); `keras_tuner.RandomSearch` samples each one independently.",
            SECTION_A,
        ),
        Claim(
            "Q1.3",
            "L17",
            "Hyperband runs the Hyperband algorithm, which trains many different models in "
            "parallel to find the best hyperparameters.",
            "theory",
            "partly right",
            "It does start many configurations, but its method is successive halving over "
            "brackets: short trainings, the best 1/`factor` continued, the rest stopped early "
            "(Li et al. 2018, JMLR 18); KerasTuner runs its trials one after another unless "
            "distributed.",
            SECTION_A,
        ),
        Claim(
            "Q1.4",
            "L21",
            "BayesianOptimization runs Bayesian optimisation, commonly used to tune "
            "hyperparameters.",
            "theory",
            "confirmed",
            "True, though the answer does not say what it does: it fits a Gaussian-process "
            "surrogate to the finished trials and runs the point that maximises an acquisition "
            "function (Snoek et al. 2012; KerasTuner's `BayesianOptimization` documentation).",
            SECTION_A,
        ),
        Claim(
            "Q1.5",
            "L25",
            'A "Sklearn" tuner tunes with optimisation methods taken from scikit-learn.',
            "theory",
            "wrong",
            "`Sklearn` was a deprecated alias of `SklearnTuner` (early keras-tuner releases; "
            "absent from 1.4.8), which tunes scikit-learn estimators with KerasTuner's own "
            "oracles, scored by cross-validation; it does not use scikit-learn's optimisers "
            "(KerasTuner's `SklearnTuner` documentation).",
            SECTION_SKLEARN,
        ),
        Claim(
            "Q1.6",
            "L29",
            'A "TuneGridSearch" tuner grid-searches every combination of the hyperparameter '
            "values.",
            "theory",
            "partly right",
            "Grid search does walk every combination, but KerasTuner's grid tuner is "
            "`keras_tuner.GridSearch`; `TuneGridSearchCV` belongs to tune-sklearn (Ray Tune), "
            "not KerasTuner (KerasTuner API documentation).",
            SECTION_A,
        ),
        Claim(
            "Q1.7",
            "L31",
            "The tuners can run in parallel, and some use strategies that cut search time and "
            "raise accuracy; each is used by creating a tuner object and searching with it.",
            "theory",
            "confirmed",
            "KerasTuner runs one search over several workers (its guide 'Distributed "
            "hyperparameter tuning', keras.io); Hyperband's early stopping and the Bayesian "
            "surrogate are such strategies; a search is `tuner.search(...)` on a tuner object.",
            SECTION_A,
        ),
        Claim(
            "Q1.8",
            "L33",
            "Hyperband was chosen first because it is a tuner with suitable accuracy.",
            "measurement",
            Compare(
                "tuners.hyperband.best_val_accuracy",
                "tuners.random.best_val_accuracy",
                VALIDATION,
                above=Outcome(
                    "confirmed",
                    "On one budget of epochs (ours), Hyperband's best validation accuracy, "
                    "{tuners[hyperband][best_val_accuracy]:.4f}, is above RandomSearch's, "
                    "{tuners[random][best_val_accuracy]:.4f}.",
                ),
                below=Outcome(
                    "partly right",
                    "On one budget of epochs (ours), Hyperband's best validation accuracy, "
                    "{tuners[hyperband][best_val_accuracy]:.4f}, is below RandomSearch's, "
                    "{tuners[random][best_val_accuracy]:.4f}: usable, not the most accurate.",
                ),
                tie=Outcome(
                    "confirmed",
                    "On one budget of epochs (ours), Hyperband's best validation accuracy, "
                    "{tuners[hyperband][best_val_accuracy]:.4f}, is as good as RandomSearch's, "
                    "{tuners[random][best_val_accuracy]:.4f} (indistinguishable): suitable, "
                    "not shown to be better.",
                ),
            ),
            "The margin counts the validation sample only, not the spread of retraining one "
            "configuration (the reading of the tuner comparison shows it); one seed.",
            SECTION_TUNERS,
        ),
        Claim(
            "Q1.9",
            "L35, L155",
            "In the answer's own runs Hyperband proved too slow, so it switched to RandomSearch.",
            "choice",
            "not checkable here",
            "The answer shows neither its Hyperband code nor any `search` call: its "
            "`max_epochs`, `factor`, epochs and data are unknown.",
            SECTION_TUNERS,
        ),
        Claim(
            "Q1.10",
            "L35",
            "Hyperband was slow because the space had many hyperparameters (variables).",
            "theory",
            "wrong",
            "Hyperband's schedule of epochs is set by `max_epochs` and `factor`, not by the "
            "number of hyperparameters (Li et al. 2018, JMLR 18). Here, with 11 "
            "hyperparameters, Hyperband ran {tuners[hyperband][epochs]} epochs in "
            "{tuners[hyperband][minutes]:.2f} minutes and RandomSearch "
            "{tuners[random][epochs]} epochs in {tuners[random][minutes]:.2f} minutes (one "
            "run).",
            SECTION_TUNERS,
        ),
        # ----------------------------------------------------- (b) MNIST, Dropout, pooling
        Claim(
            "Q1.11",
            "L39-57",
            "MNIST: handwritten digits 0 to 9, 28x28 grayscale images, `60,000` for training "
            "and `10,000` for testing, labelled with their digit; small and simple, a common "
            "introduction.",
            "theory",
            "confirmed",
            "LeCun et al. 1998 (Proc. IEEE 86); the notebook's data cell prints these shapes.",
            SECTION_B,
        ),
        Claim(
            "Q1.12",
            "L59",
            "The network should be neither so simple that its accuracy is low nor so complex "
            "that it memorises the data; tuning finds the balance.",
            "theory",
            "confirmed",
            "The capacity trade-off between under- and overfitting (Goodfellow et al. 2016, "
            "Deep Learning, ch. 5); a tuner finds it when its objective is scored on "
            "held-out data.",
            SECTION_B,
        ),
        Claim(
            "Q1.13",
            "L61, L187",
            "Dropout reduces overfitting well: it zeroes some neurons' outputs, so the output "
            "does not depend on any one neuron.",
            "theory",
            "confirmed",
            "Srivastava et al. 2014 (JMLR 15): random units dropped at each training step, "
            "none at inference; it reduces overfitting.",
            SECTION_B,
        ),
        Claim(
            "Q1.14",
            "L61",
            "With Dropout the model cannot memorise the data.",
            "measurement",
            Compare(
                FIT.format("final"),
                CHANCE,
                SHUFFLED,
                above=Outcome(
                    "wrong",
                    "With Dropout (our final architecture as tuned) the model fits "
                    + FITTED.format(variant="final")
                    + ", above the `10%` of chance: it memorises, as networks with Dropout fit "
                    "random labels in Zhang et al. 2017 (ICLR). Without Dropout: "
                    "{memorisation[no_dropout][shuffled_fit]:.1%}.",
                ),
                below=Outcome(
                    "confirmed",
                    "With Dropout (our final architecture as tuned) the model fits "
                    + FITTED.format(variant="final")
                    + ", below the `10%` of chance. Without Dropout: "
                    "{memorisation[no_dropout][shuffled_fit]:.1%}.",
                ),
                tie=Outcome(
                    "confirmed",
                    "With Dropout (our final architecture as tuned) the model fits "
                    + FITTED.format(variant="final")
                    + ", no more than the `10%` of chance. Without Dropout: "
                    "{memorisation[no_dropout][shuffled_fit]:.1%}.",
                ),
            ),
            "Fits measured with `evaluate()` after training (Dropout off); one seed.",
            SECTION_MEMORISE,
            needs=(FIT.format("final"), FIT.format("no_dropout")),
        ),
        Claim(
            "Q1.15",
            "L63",
            "Pooling extracts the salient features, shrinks the image and widens the filters' "
            "receptive field, so features come from larger parts of the image.",
            "theory",
            "confirmed",
            "Goodfellow et al. 2016, Deep Learning, ch. 9. In the answer's model one feature "
            "of the last conv layer sees 12x12 pixels, 7x7 for the same three 3x3 "
            "convolutions without the pooling (receptive-field table of the final model's "
            "section).",
            SECTION_B,
        ),
        # ---------------------------------------------------------------- (c) code, L67-187
        Claim(
            "Q1.16",
            "L67",
            "The code of this question is in the file Q1.ipynb.",
            "choice",
            "not checkable here",
            "The seed holds excerpts of it only; the notebook itself is not in the seed.",
            SECTION_C,
        ),
        Claim(
            "Q1.17",
            "L72, L74, L77",
            "Installs and imports KerasTuner: `RandomSearch` from `keras_tuner.tuners`, "
            "`HyperParameters` from `keras_tuner.engine.hyperparameters`.",
            "code",
            "confirmed",
            "Both paths are exported by KerasTuner 1.4.8 (the version this notebook records).",
            SECTION_C,
        ),
        Claim(
            "Q1.18",
            "L73",
            "Imports `Hyperband` from `kerastuner.tuners`.",
            "code",
            "partly right",
            "`kerastuner` is the deprecated name: KerasTuner 1.4.8 still imports it, with a "
            "DeprecationWarning asking for `import keras_tuner`.",
            SECTION_C,
        ),
        Claim(
            "Q1.19",
            "L79-96",
            "Loads MNIST, scales the pixels to [0, 1], one-hot encodes the labels and reshapes "
            "the images to (N, 28, 28, 1).",
            "code",
            "confirmed",
            "`x / 255.0`, `keras.utils.to_categorical(y, 10)` and `reshape((N, 28, 28, 1))` do "
            "exactly that.",
            SECTION_C,
        ),
        Claim(
            "Q1.20",
            "L99",
            "`build_cnn_model(hp)` makes the numbers of layers, neurons and filters and the "
            "learning rate tunable, as the problem statement asks.",
            "code",
            "confirmed",
            "`num_conv_layers`, `num_dense_layers`, `dense_i_units`, `conv1_filters` and "
            "`learning_rate` are hyperparameters (see Q1.26 for the filters).",
            SECTION_C,
        ),
        Claim(
            "Q1.21",
            "L102, L116",
            "The conv loop builds 1 to 5 conv layers (`hp.Int('num_conv_layers', 1, 5)`).",
            "code",
            "partly right",
            "1 to 4 build; with 5 the side goes 28, 26, 13, 11, 9, 4, 2 and the fifth 3x3 "
            "convolution has no room, so Keras cannot build it (the repaired hypermodel raises "
            "a FailedTrialError that says so, printed in that section).",
            SECTION_C,
        ),
        Claim(
            "Q1.22",
            "L102-113, L149",
            "(implied) Every model of the space as written can be built, so 10 RandomSearch "
            "trials search it to a best model.",
            "measurement",
            Check(
                ("answer_space_unbuildable_share", "answer_space_p_ten_trials_buildable"),
                lambda m: m["answer_space_unbuildable_share"] == 0,
                yes=Outcome("confirmed", "Every configuration of the space builds."),
                no=Outcome(
                    "partly right",
                    "{answer_space_unbuildable_share:.1%} of its configurations, counted over "
                    "the space's choices, cannot be built (5 conv layers); 10 uniform random "
                    "trials draw none of them with probability "
                    "{answer_space_p_ten_trials_buildable:.2f}, so whether the answer's "
                    "trials met one cannot be known.",
                ),
                describe="share of the space's configurations that cannot be built",
            ),
            "",
            SECTION_C,
            needs=("answer_space_unbuildable_share", "answer_space_p_ten_trials_buildable"),
        ),
        Claim(
            "Q1.23",
            "L103-105, L116",
            "One pooling layer for every two conv layers.",
            "code",
            "confirmed",
            "A MaxPooling2D(2, 2) before every odd-indexed conv layer: with n conv layers, n // "
            "2 poolings; the reported model is conv, pool, conv, conv (L169-172).",
            SECTION_C,
        ),
        Claim(
            "Q1.24",
            "L105, L113",
            "The loop tracks the image side in `inputsize` for `input_shape`: halved at a "
            "pooling, 1 less after a conv layer.",
            "code",
            "wrong",
            "A 3x3 `valid` convolution takes 2 pixels off a side (28 to 26), not 1; harmless, "
            "since Keras uses only the first layer's `input_shape`, which is 28.",
            SECTION_C,
        ),
        Claim(
            "Q1.25",
            "L108, L116",
            "Each conv layer has 1 to 256 filters (`hp.Int('conv1_filters', 1, 256, step=16)`).",
            "code",
            "partly right",
            "With step 16 the grid is 1, 17, ..., 241 (16 values): 1-filter layers are allowed "
            "and 256 is never reached; the reported 225 = 1 + 14·16 is on it.",
            SECTION_C,
        ),
        Claim(
            "Q1.26",
            "L108",
            "The number of filters is tuned per conv layer (L99).",
            "code",
            "partly right",
            "Every conv layer reads the one hyperparameter `conv1_filters`, so the search tunes "
            "one width for all of them: the reported model's three conv layers all have 225 "
            "(L169-172).",
            SECTION_C,
        ),
        Claim(
            "Q1.27",
            "L119-132",
            "Flatten, then 1 to 5 Dense ReLU layers of 32 to 256 units.",
            "code",
            "confirmed",
            "`hp.Int(f'dense_{{i}}_units', 32, 256, step=32)` is 32, 64, ..., 256 (8 values), "
            "one hyperparameter per layer; every depth builds.",
            SECTION_C,
        ),
        Claim(
            "Q1.28",
            "L125",
            "The dense loop as printed: `for i in range hp.Int('num_dense_layers', ...)`.",
            "code",
            "partly right",
            "As printed it is a SyntaxError (`range(...)` lacks its parentheses), but a slip in "
            "the write-up: the model summary (L174-176) shows the loop ran.",
            SECTION_C,
        ),
        Claim(
            "Q1.29",
            "L134-143",
            "A 10-unit softmax output for the ten classes; Adam with a learning rate chosen "
            "from `1e-3`, `5e-4` and `1e-4`; categorical cross-entropy and accuracy.",
            "code",
            "confirmed",
            "`Dense(10, activation='softmax')` and `hp.Choice('learning_rate', [1e-3, 5e-4, "
            "1e-4])` in `Adam`, compiled with `categorical_crossentropy`, as the prose says.",
            SECTION_C,
        ),
        Claim(
            "Q1.30",
            "L146-152",
            "A RandomSearch tuner over `build_cnn_model`, objective `val_accuracy`, 10 trials.",
            "code",
            "confirmed",
            "A valid `RandomSearch(hypermodel, objective='val_accuracy', max_trials=10, "
            "directory, project_name)`; `val_accuracy` needs validation data in the `search` "
            "call, which is not shown.",
            SECTION_C,
        ),
        Claim(
            "Q1.31",
            "L155, L182",
            "The tuner was run (after Hyperband) and the best model chosen.",
            "choice",
            "not checkable here",
            "No `search` or `fit` call is shown: the epochs, batch size and validation data of "
            "the answer's search are unknown.",
            SECTION_C,
        ),
        Claim(
            "Q1.32",
            "L158-180",
            "The best model (`tuner.get_best_models(1)[0]`): conv 225, max pooling, two conv "
            "225, flatten, Dense 64, Dense 64, Dense 10, `2,085,224` parameters.",
            "measurement",
            Check(
                ("seed_answer_params",),
                lambda m: m["seed_answer_params"] == 2_085_224,
                yes=Outcome(
                    "confirmed",
                    "The answer's space fixed to these values rebuilds to "
                    "{seed_answer_params:,} parameters, the summary's total (L178).",
                ),
                no=Outcome(
                    "wrong",
                    "The answer's space fixed to these values rebuilds to "
                    "{seed_answer_params:,} parameters, not the summary's `2,085,224` (L178).",
                ),
                describe="rebuilt parameter count equals the summary's",
            ),
            "",
            SECTION_C,
        ),
        Claim(
            "Q1.33",
            "L182",
            "The best model's accuracy was 99%.",
            "measurement",
            Compare(
                "answer_model_test_accuracy",
                0.99,
                TestSE("mnist_test"),
                above=Outcome(
                    "confirmed",
                    "Trained with " + OUR_RECIPE + ", the answer's architecture scores "
                    "{answer_model_test_accuracy:.2%} on the test set, above the `99%` it "
                    "reports.",
                ),
                below=Outcome(
                    "partly right",
                    "Trained with " + OUR_RECIPE + ", the answer's architecture scores "
                    "{answer_model_test_accuracy:.2%} on the test set, below the `99%` it "
                    "reports.",
                ),
                tie=Outcome(
                    "confirmed",
                    "Trained with " + OUR_RECIPE + ", the answer's architecture scores "
                    "{answer_model_test_accuracy:.2%} on the test set, indistinguishable from "
                    "the `99%` it reports.",
                ),
            ),
            "The answer's Q1 shows no `search` or `fit` call and names no split for its `99%`: "
            "the recipe here is ours, one seed.",
            SECTION_RECIPE,
        ),
        Claim(
            "Q1.34",
            "L184",
            "Kernels stay 3x3: the pooling makes the receptive field large enough, so larger "
            "kernels were not needed.",
            "choice",
            "confirmed",
            "After a 2x2 pooling each 3x3 convolution adds 4 input pixels instead of 2: one "
            "feature of the answer's last conv layer sees 12x12 pixels, 7x7 without the pooling "
            "(receptive-field table); stacked 3x3 kernels are standard (Simonyan and Zisserman "
            "2015, VGG).",
            SECTION_FINAL,
        ),
        Claim(
            "Q1.35",
            "L187",
            "The model uses no Dropout, but a pooling layer.",
            "code",
            "confirmed",
            "The search space has no Dropout layer; the reported model has one MaxPooling2D "
            "(L170).",
            SECTION_C,
        ),
        Claim(
            "Q1.36",
            "L187",
            "Pooling widens the receptive field and keeps only the important features, so the "
            "model does not answer from unimportant features and does not memorise the samples.",
            "measurement",
            Compare(
                FIT.format("no_dropout"),
                CHANCE,
                SHUFFLED,
                above=Outcome(
                    "partly right",
                    "The receptive field does widen (Q1.15), but with its pooling layers and no "
                    "Dropout, as in the answer's model, our final architecture fits "
                    + FITTED.format(variant="no_dropout")
                    + ", above the `10%` of chance: it memorises. "
                    + POOL_VS_STRIDED,
                ),
                below=Outcome(
                    "confirmed",
                    "With its pooling layers and no Dropout, our final architecture fits "
                    + FITTED.format(variant="no_dropout")
                    + ", below the `10%` of chance. "
                    + POOL_VS_STRIDED,
                ),
                tie=Outcome(
                    "confirmed",
                    "With its pooling layers and no Dropout, our final architecture fits "
                    + FITTED.format(variant="no_dropout")
                    + ", no more than the `10%` of chance. "
                    + POOL_VS_STRIDED,
                ),
            ),
            "Fits measured with `evaluate()` after training; one seed. The receptive-field "
            "half is Q1.15.",
            SECTION_MEMORISE,
            needs=(FIT.format("no_dropout"), FIT.format("final"), FIT.format("strided")),
        ),
    ),
)
