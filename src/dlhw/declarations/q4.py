"""Q4: CNNs versus RNNs (seed L211-243): structure and uses (a), parameters and parallelism (b).

The question's own text is not in the seed; its two parts are read off the answer's (a) and (b).
Part (a) is theory, judged against the literature. Part (b) is measured: parameter counts of
models matched in size (neither family's count depends on the sequence length, and which is
larger depends on the widths), forward latency against sequence length, and training steps at
a constant number of positions. The two 2-D CNNs differ in depth, widths, poolings and
receptive field at once, so no sentence credits their gap to one of these; a second pair, the
first 2-D CNN with its poolings moved before its convolutions (same layers and weights), on 3
seeds, isolates the receptive field as far as the map sizes allow. The LSTM's step cost is
split into the input projection (which can be computed for all steps at once) and the chain.
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
)

S_PARAMS = "1. Parameter counts: formulas, and no dependence on the input length"
S_MATCHED = "2. Matched models on sequential MNIST"
S_LATENCY = "3. Parallelism: forward-pass time as the sequence grows"
S_CHAIN = "4. The chain or the arithmetic? Same positions, growing length, training steps"
S_ANSWERS = "5. The answers to Q4"

KINDS = ("conv1d", "cnn2d", "cnn2d_deep", "lstm", "gru")
PARAMS = tuple(f"params.{k}" for k in KINDS)
MATCH_TOLERANCE = 0.10  # largest count at most 10% above the smallest: "matched in size"


def _matched(m) -> bool:
    counts = [m["params"][k] for k in KINDS]
    return max(counts) <= (1 + MATCH_TOLERANCE) * min(counts)


# The ledger's two parallelism verdicts are Checks, not Compares: a Compare's detail prints the
# difference of the two values (a derived number that `dlhw claims` cannot trace to a recorded
# one), so these state the comparison, and "one run, no margin", in their own words.
SLOPES = Check(
    ("latency_slope_long_lstm", "latency_slope_long_conv1d"),
    lambda m: m["latency_slope_long_lstm"] > m["latency_slope_long_conv1d"],
    yes=Outcome(
        "confirmed",
        "On this CPU the LSTM's forward time grows faster with the length than the Conv1D's: "
        "log-log slopes {latency_slope_long_lstm:.2f} and {latency_slope_long_conv1d:.2f} "
        "over lengths from {slope_long_from_length} (one run, no margin); at length "
        "{length_long} the LSTM takes {latency_ratio_longest:.1f} times as long.",
    ),
    no=Outcome(
        "partly right",
        "A convolution's positions are independent and an RNN's steps are not (theory), but "
        "on this CPU the Conv1D's forward time grows with the length at least as fast as the "
        "LSTM's: log-log slopes {latency_slope_long_conv1d:.2f} and "
        "{latency_slope_long_lstm:.2f} over lengths from {slope_long_from_length} (one run, "
        "no margin).",
    ),
    describe="LSTM's long-length latency slope above the Conv1D's",
)

CHAIN = Check(
    ("equal_positions_ratio_long", "equal_positions_ratio_short"),
    lambda m: m["equal_positions_ratio_long"] > m["equal_positions_ratio_short"],
    yes=Outcome(
        "confirmed",
        "At a constant {equal_positions:,} positions (the same arithmetic at every length) a "
        "training step of the LSTM takes {equal_positions_ratio_short:.2f} times the "
        "Conv1D's at length {length_short} and {equal_positions_ratio_long:.2f} times at "
        "length {length_long} (one run, no margin): cutting the same work into more, shorter "
        "steps that run in order costs the LSTM more.",
    ),
    no=Outcome(
        "partly right",
        "This run does not show the chain's cost: at a constant {equal_positions:,} positions "
        "the LSTM / Conv1D training-step ratio does not grow from length {length_short} "
        "({equal_positions_ratio_short:.2f}) to {length_long} "
        "({equal_positions_ratio_long:.2f}) (one run, no margin).",
    ),
    describe="training-step ratio at the longest length above the ratio at the shortest",
)

DECLARATION = Declaration(
    question="Q4",
    title="Q4, CNN versus RNN",
    modules="`dlhw.sequence_models`, `dlhw.sequence_costs`",
    asks=(
        "*(The question's text is not in the seed; its parts are read off the answer's (a) "
        "and (b).)* What are CNNs and RNNs and what are they used for; do CNNs have fewer "
        "parameters than RNNs, and which runs in parallel over a sequence?"
    ),
    metrics=(
        Metric(
            "params",
            "parameters of each matched model (conv1d, cnn2d, cnn2d_deep, lstm, gru)",
            "parameters",
        ),
        Metric(
            "test_accuracy",
            "sequential-MNIST test accuracy of each matched model",
            "fraction",
        ),
        Metric(
            "latency_slope_lstm",
            "LSTM layer: log-log slope of forward time against sequence length, all lengths",
        ),
        Metric(
            "latency_slope_conv1d",
            "Conv1D layer: log-log slope of forward time against sequence length, all lengths",
        ),
        Metric(
            "latency_slope_long_lstm",
            "LSTM layer: the same slope over the long lengths only",
        ),
        Metric(
            "latency_slope_long_conv1d",
            "Conv1D layer: the same slope over the long lengths only",
        ),
        Metric("slope_long_from_length", "shortest length in the long-length slopes", "steps"),
        Metric(
            "latency_ratio_longest",
            "LSTM / Conv1D forward time at the longest length",
            "ratio",
        ),
        Metric(
            "receptive_field",
            "rows of the input one last-convolution feature sees, per CNN",
            "rows",
        ),
        Metric(
            "seconds_per_epoch",
            "median training time per epoch of each matched model, this CPU",
            "seconds",
        ),
        Metric(
            "macs_per_position",
            "multiply-adds per sequence position, LSTM and Conv1D layers of width 64",
            "multiply-adds",
        ),
        Metric(
            "equal_positions",
            "batch × length held constant in the training-step comparison",
            "positions",
        ),
        Metric("length_short", "shortest sequence length timed", "steps"),
        Metric("length_long", "longest sequence length timed", "steps"),
        Metric(
            "equal_positions_ratio_short",
            "LSTM / Conv1D training-step time at constant positions, shortest length",
            "ratio",
        ),
        Metric(
            "equal_positions_ratio_long",
            "LSTM / Conv1D training-step time at constant positions, longest length",
            "ratio",
        ),
        Metric("pooling_seeds", "seeds of each model in the pooling-position pair", "seeds"),
        Metric(
            "pooling_receptive_field",
            "rows one last-convolution feature sees: cnn2d's poolings between or first",
            "rows",
        ),
        Metric(
            "pooling_accuracy_mean",
            "test accuracy, mean over the seeds: cnn2d with its poolings between or first",
            "fraction",
        ),
        Metric(
            "pooling_accuracy_std",
            "the same: standard deviation over the seeds",
            "fraction",
        ),
        Metric(
            "pooling_spread",
            "the larger of the pair's two standard deviations over seeds (the margin's unit)",
            "fraction",
        ),
        Metric("projection_length", "sequence length of the input-projection timing", "steps"),
        Metric(
            "projection_ms",
            "LSTM forward time at that length: Keras's layer, our loop with the input "
            "projection inside it, and hoisted before it",
            "milliseconds",
        ),
        Metric("projection_conv_ms", "Conv1D forward time at that length", "milliseconds"),
        Metric(
            "projection_share",
            "share of the LSTM's extra time over the Conv1D that hoisting the projection removes",
            "fraction",
        ),
    ),
    bullets=(
        "Each family builds in an assumption about its data (its inductive bias; Battaglia et "
        "al. 2018, table 1). A convolution assumes locality and translation equivariance: what "
        "matters is a small neighbourhood, found by the same filter wherever it sits. A "
        "recurrent layer assumes that the order matters: one update rule applied step after "
        "step, carrying a state from each position to the next.",
        "Neither family's parameter count depends on the sequence length (section 1 builds "
        "each model at several lengths); which is larger depends on the widths. Matched "
        "models: Conv1D {params[conv1d]:,}, 2-D CNNs {params[cnn2d]:,} and "
        "{params[cnn2d_deep]:,}, LSTM {params[lstm]:,}, GRU {params[gru]:,} parameters: "
        "{verdicts[params_matched]}",
        "On sequential MNIST they reach Conv1D {test_accuracy[conv1d]:.2%}, LSTM "
        "{test_accuracy[lstm]:.2%}, GRU {test_accuracy[gru]:.2%} test accuracy: "
        "{verdicts[conv1d_vs_lstm]} The 2-D CNN whose features see {receptive_field[cnn2d]} "
        "of the 28 rows reaches {test_accuracy[cnn2d]:.2%}; the deeper one, whose features "
        "see {receptive_field[cnn2d_deep]} rows, {test_accuracy[cnn2d_deep]:.2%}: "
        "{verdicts[cnn2d_pair]} With only the poolings moved (the same layers and weights, "
        "{pooling_seeds} seeds each), features that see the whole image reach "
        "{pooling_accuracy_mean[first]:.2%} ± {pooling_accuracy_std[first]:.2%} and features "
        "that see {pooling_receptive_field[between]} rows {pooling_accuracy_mean[between]:.2%} ± "
        "{pooling_accuracy_std[between]:.2%}: {verdicts[receptive_field_pair]}",
        "Per position the LSTM does {macs_per_position[lstm]:,} multiply-adds, the Conv1D "
        "{macs_per_position[conv1d]:,}. At a constant {equal_positions:,} positions a "
        "training step of the LSTM takes {equal_positions_ratio_short:.2f} times the "
        "Conv1D's at length {length_short} and {equal_positions_ratio_long:.2f} times at "
        "length {length_long}: {verdicts[chain]} At length {projection_length} the same LSTM "
        "with its input projection inside the loop takes {projection_ms[in_loop]:.1f} ms a "
        "forward pass, and {projection_ms[hoisted]:.1f} ms with the projection of every step "
        "computed at once (Keras's layer {projection_ms[keras]:.1f} ms, the Conv1D "
        "{projection_conv_ms:.1f} ms): {verdicts[projection]}",
        "Forward latency against sequence length on this CPU, log-log slope over lengths "
        "from {slope_long_from_length}: LSTM {latency_slope_long_lstm:.2f}, Conv1D "
        "{latency_slope_long_conv1d:.2f} (1 = time proportional to length; over all lengths, "
        "where a call's fixed cost weighs most at the short ones, {latency_slope_lstm:.2f} "
        "and {latency_slope_conv1d:.2f}): {verdicts[slopes]}",
    ),
    rules={
        "params_matched": Check(
            PARAMS,
            _matched,
            yes=Outcome(
                "",
                "at the widths chosen the largest is within `10%` of the smallest, so size is "
                "set by the widths, not by the family.",
            ),
            no=Outcome(
                "",
                "the largest is more than `10%` above the smallest: the widths chosen do not "
                "match the models in size.",
            ),
            describe="largest count within `10%` of the smallest",
        ),
        "conv1d_vs_lstm": Compare(
            "test_accuracy.conv1d",
            "test_accuracy.lstm",
            TestSE("mnist_test"),
            above=Outcome("", "the Conv1D scores higher than the LSTM."),
            below=Outcome("", "the LSTM scores higher than the Conv1D."),
            tie=Outcome("", "the Conv1D and the LSTM are indistinguishable on this test set."),
        ),
        "cnn2d_pair": Compare(
            "test_accuracy.cnn2d_deep",
            "test_accuracy.cnn2d",
            TestSE("mnist_test"),
            above=Outcome(
                "",
                "the deeper one scores higher. It also differs in depth, widths and poolings, "
                "so this does not isolate the receptive field.",
            ),
            below=Outcome(
                "",
                "the deeper one scores lower. It also differs in depth, widths and poolings, "
                "so this does not isolate the receptive field.",
            ),
            tie=Outcome(
                "",
                "the two are indistinguishable on this test set (they differ in depth, "
                "widths, poolings and receptive field at once).",
            ),
        ),
        "chain": Compare(
            "equal_positions_ratio_long",
            "equal_positions_ratio_short",
            NoMargin(),
            above=Outcome(
                "",
                "the ratio grows with the length, which the arithmetic alone (the same at "
                "every length) would not do; the LSTM's chain of steps costs it more as the "
                "steps get more and smaller.",
            ),
            below=Outcome(
                "",
                "the ratio does not grow with the length: at equal arithmetic this run shows "
                "no cost of the LSTM's chain of steps.",
            ),
        ),
        "receptive_field_pair": Compare(
            "pooling_accuracy_mean.first",
            "pooling_accuracy_mean.between",
            Spread("pooling_spread", over="seeds (the larger of the two)"),
            above=Outcome(
                "",
                "the whole-image receptive field scores higher, by more than the seeds' "
                "spread. Its maps are also 7 x 7 from the first convolution on (a quarter of "
                "the resolution in each direction), so what this shows is the receptive field "
                "together with the early down-sampling.",
            ),
            below=Outcome(
                "",
                "the whole-image receptive field scores lower, by more than the seeds' spread: "
                "pooling before any convolution costs more (7 x 7 maps from the start) than "
                "the wider view gains.",
            ),
            tie=Outcome(
                "",
                "the two are indistinguishable within the seeds' spread: the receptive field "
                "alone does not explain the 2-D CNNs' gap.",
            ),
        ),
        "projection": Check(
            ("projection_share",),
            lambda m: m["projection_share"] < 0.5,
            yes=Outcome(
                "",
                "computing the projection at once recovers {projection_share:+.0%} of the "
                "LSTM's extra time over the Conv1D (one run, no margin): most of the gap is "
                "the chain of recurrent steps itself, not the projection computed step by "
                "step.",
            ),
            no=Outcome(
                "",
                "computing the projection at once recovers {projection_share:+.0%} of the "
                "LSTM's extra time over the Conv1D (one run, no margin): most of the gap is "
                "the projection computed step by step, not the recurrent chain.",
            ),
            describe="hoisting recovers less than half of the LSTM / Conv1D gap",
        ),
        "slopes": Compare(
            "latency_slope_long_lstm",
            "latency_slope_long_conv1d",
            NoMargin(),
            above=Outcome("", "the LSTM's time grows faster with the length than the Conv1D's."),
            below=Outcome("", "the Conv1D's time grows at least as fast as the LSTM's."),
        ),
    },
    claims=(
        Claim(
            "Q4.1",
            "L215",
            "CNNs are used to extract features from two-dimensional data such as images, and "
            "are built mainly of convolution, pooling and fully connected layers.",
            "theory",
            "confirmed",
            "The classic CNN stacks convolution, pooling and fully connected layers (LeCun et "
            "al. 1998; Goodfellow et al., Deep Learning, ch. 9). Not only 2-D: the Conv1D here "
            "reads the 28 rows as a sequence and reaches {test_accuracy[conv1d]:.2%}.",
            S_ANSWERS,
        ),
        Claim(
            "Q4.2",
            "L219",
            "Use: pattern recognition, finding patterns and repeated features in image data.",
            "theory",
            "confirmed",
            "One filter is applied at every position, so a pattern is found wherever it occurs "
            "(parameter sharing and translation equivariance, Goodfellow et al., Deep "
            "Learning, ch. 9, on parameter sharing).",
            S_ANSWERS,
        ),
        Claim(
            "Q4.3",
            "L221",
            "Use: 'imaging' and object detection in images.",
            "theory",
            "partly right",
            "Object detection is a CNN task (Ren et al. 2015, Faster R-CNN); 'imaging' (taking "
            "the picture) is not something a CNN does, perhaps meant as image classification.",
            S_ANSWERS,
        ),
        Claim(
            "Q4.4",
            "L223",
            "Use: many image-processing tasks such as resizing, 'imaging' and learning image "
            "features.",
            "theory",
            "partly right",
            "Learning image features is what CNNs do; resizing is plain interpolation, and a "
            "CNN enters only as learned upscaling (super-resolution, Dong et al. 2014, SRCNN); "
            "'imaging' again is not a CNN task.",
            S_ANSWERS,
        ),
        Claim(
            "Q4.5",
            "L227",
            "RNNs model time-dependent sequential data such as text or audio; their recurrent "
            "layers keep information and pass it from one time step to the next.",
            "theory",
            "confirmed",
            "A hidden state updated with the same weights at every step (Elman 1990; "
            "Goodfellow et al., Deep Learning, ch. 10).",
            S_ANSWERS,
        ),
        Claim(
            "Q4.6",
            "L231",
            "Use: natural language processing, such as machine translation, speech "
            "recognition and text generation.",
            "theory",
            "confirmed",
            "Sequence-to-sequence translation with LSTMs (Sutskever et al. 2014), speech "
            "recognition (Graves et al. 2013); speech is audio rather than language proper.",
            S_ANSWERS,
        ),
        Claim(
            "Q4.7",
            "L233",
            "Use: analysis of time signals, such as audio and other temporal signals.",
            "theory",
            "confirmed",
            "Recurrent networks on audio and sensor sequences (Goodfellow et al., Deep "
            "Learning, ch. 10; Graves et al. 2013).",
            S_ANSWERS,
        ),
        Claim(
            "Q4.8",
            "L235",
            "Use: forecasting sequential data, such as a product's future sales.",
            "theory",
            "confirmed",
            "RNN forecasters are standard (Hewamalage et al. 2021, International Journal of "
            "Forecasting); being used for it is not beating simple baselines (Q3's leak-free "
            "LSTM only matches persistence).",
            S_ANSWERS,
        ),
        Claim(
            "Q4.9",
            "L237",
            "A combination of CNNs and RNNs ('Recurrent Convolutional Networks') can take "
            "spatial and temporal features into account together, for more complex tasks.",
            "theory",
            "confirmed",
            "CNN features per frame fed to an RNN over time (Donahue et al. 2015, LRCN; Shi et "
            "al. 2016, CRNN for text images); the name varies by paper.",
            S_ANSWERS,
        ),
        Claim(
            "Q4.10",
            "L237",
            "In many tasks the CNN-RNN combination gives the best results.",
            "theory",
            "not checkable here",
            "A superlative over unnamed tasks, with no source; in many sequence tasks attention "
            "models have since replaced RNNs (Vaswani et al. 2017). Nothing here compares "
            "hybrids.",
            S_ANSWERS,
        ),
        Claim(
            "Q4.11",
            "L241",
            "CNNs have fewer parameters because, instead of one weight per input, one filter "
            "slides over the whole image and the weights number the filter's cells.",
            "theory",
            "partly right",
            "The reason is right: a convolution has k·C_in·C_out + C_out weights whatever the "
            "image size (Goodfellow et al., Deep Learning, ch. 9). But it gives 'fewer' only "
            "against a dense layer on the same input, and a CNN's Flatten + Dense head grows "
            "with the input (section 1: Conv1D + Flatten head, `23,370` parameters at length "
            "28, `660,810` at 1024).",
            S_PARAMS,
        ),
        Claim(
            "Q4.12",
            "L241",
            "RNNs have more parameters (than CNNs).",
            "measurement",
            Check(
                PARAMS,
                _matched,
                yes=Outcome(
                    "wrong",
                    "At the widths chosen the families have about the same counts (Conv1D "
                    "{params[conv1d]:,}, 2-D CNNs {params[cnn2d]:,} and {params[cnn2d_deep]:,}; "
                    "LSTM {params[lstm]:,}, GRU {params[gru]:,}: within `10%`), and no count "
                    "depends on the sequence length: an RNN shares its weights across time as "
                    "a CNN does across space. Which has more depends on the widths: one 3×3 "
                    "Conv2D from 256 to 256 channels has `590,080` parameters, an LSTM of 64 "
                    "units on 28 features `23,808`.",
                ),
                no=Outcome(
                    "not checkable here",
                    "The models meant to be matched differ by more than `10%` in size (Conv1D "
                    "{params[conv1d]:,}, 2-D CNNs {params[cnn2d]:,} and {params[cnn2d_deep]:,}; "
                    "LSTM {params[lstm]:,}, GRU {params[gru]:,}), so this run does not compare "
                    "the families at equal size.",
                ),
                describe="largest matched count within `10%` of the smallest",
            ),
            "",
            S_PARAMS,
        ),
        Claim(
            "Q4.13",
            "L243",
            "CNNs parallelise much better than RNNs.",
            "measurement",
            SLOPES,
            "Part of the gap is arithmetic: per position the LSTM does "
            "{macs_per_position[lstm]:,} multiply-adds, the Conv1D "
            "{macs_per_position[conv1d]:,}. A 2-core CPU; no GPU was timed.",
            S_LATENCY,
        ),
        Claim(
            "Q4.14",
            "L243",
            "Because of their step-by-step nature in time, RNNs must run in order, so they "
            "parallelise little.",
            "measurement",
            CHAIN,
            "Step t needs the state of step t − 1 (Vaswani et al. 2017, Table 1: O(n) "
            "sequential operations for a recurrent layer, O(1) for a convolution); an RNN "
            "still runs in parallel over the batch and within each step's products.",
            S_CHAIN,
        ),
    ),
)
