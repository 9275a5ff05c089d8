"""dlhw.tuning: search spaces, parameter counts, the tuner factory, budgets, resume, failures."""

import dataclasses

import keras
import keras_tuner
import numpy as np
import pandas as pd
import pytest

from dlhw import paths, profiles, tuning


def _hp(values):
    return tuning.fixed_hyperparameters(values)


@pytest.fixture(scope="module")
def tiny():
    """48 seeded random 'images' (48, 28, 28, 1) with one-hot labels (48, 10)."""
    rng = np.random.default_rng(0)
    x = rng.random((48, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 48)]
    return tuning.SearchData(x, y, x[:16], y[:16], x, y, x[:16], y[:16])


def test_answer_best_model_has_the_answers_parameter_count():
    model = tuning.seed_answer_hypermodel(_hp(tuning.ANSWER_BEST))
    assert model.count_params() == 2_085_224 == tuning.ANSWER_BEST_PARAMS
    shapes = [tuple(layer.output.shape) for layer in model.layers if "conv" in layer.name]
    assert shapes == [(None, 26, 26, 225), (None, 11, 11, 225), (None, 9, 9, 225)]
    assert model.get_layer("flatten").output.shape[-1] == 18_225


def test_seed_answer_space_has_one_filters_hyperparameter_per_layer():
    hp = keras_tuner.HyperParameters()
    hp.values["num_conv_layers"] = 4
    tuning.seed_answer_hypermodel(hp)
    names = [p.name for p in hp.space]
    assert [n for n in names if n.endswith("_filters")] == [
        f"conv{i}_filters" for i in (1, 2, 3, 4)
    ]
    filters = hp._hps["conv1_filters"][0]
    assert (filters.min_value, filters.max_value, filters.step) == (17, 241, 16)


def test_impossible_answer_stack_is_a_failed_trial_error():
    with pytest.raises(keras_tuner.errors.FailedTrialError, match="num_conv_layers=5.*2x2"):
        tuning.seed_answer_hypermodel(_hp({"num_conv_layers": 5}))


@pytest.mark.parametrize("seed", range(6))
def test_sampled_configurations_build_with_ten_outputs(seed):
    hypermodel = tuning.CNNHyperModel()
    space = hypermodel.space()
    assert {"batch_size", "dense_units", "learning_rate"} <= set(space.values)
    oracle = keras_tuner.oracles.RandomSearchOracle(
        objective="val_accuracy", max_trials=1, seed=seed, hyperparameters=space
    )
    values = oracle._random_values()
    model = hypermodel.build(_hp(values))
    assert model.output.shape == (None, 10)
    assert model.count_params() <= tuning.MAX_PARAMS
    assert values["batch_size"] in tuning.CNNHyperModel.BATCH_SIZES
    if values["head"] == "global_avg":
        assert "dense_units" not in values  # conditional on the dense head


class _NoFit:
    def fit(self, *args, **kwargs):
        return kwargs["batch_size"]


def test_largest_configuration_is_under_a_tenth_of_the_answer():
    biggest = {
        "convs_per_block": 2,
        "batch_norm": True,
        "filters_1": 32,
        "filters_2": 64,
        "filters_3": 64,
        "head": "dense",
        "dense_units": 96,
    }
    params = tuning.CNNHyperModel().build(_hp(biggest)).count_params()
    assert params == 196_170 <= tuning.MAX_PARAMS
    assert tuning.MAX_PARAMS * 10 < tuning.ANSWER_BEST_PARAMS


def test_describe_space_lists_conditions():
    table = tuning.describe_space(tuning.CNNHyperModel().space())
    assert table.loc["dense_units", "if"] == "head in ['dense']"
    assert table.loc["learning_rate", "values"] == "0.0001..0.01 (log)"
    assert table.loc["batch_norm", "values"] == "True, False"


def test_verdict_names_the_winner_and_the_gaps():
    def rep(kind, acc):
        return tuning.SearchReport(kind, acc, 36, 6, 0, 2.0, {})

    text = tuning.verdict([rep("random", 0.98), rep("hyperband", 0.99)])
    assert text.startswith("hyperband won: best validation accuracy 0.9900")
    assert "random: 0.9800 (1.00 points behind)" in text
    close = tuning.verdict([rep("random", 0.981849), rep("hyperband", 0.979151)])
    assert "0.9792 (0.26 points behind)" in close  # 0.9818 - 0.9792, not 0.2698 rounded
    assert tuning.best_overall([rep("random", 0.98), rep("grid", 0.99)]).kind == "grid"
    with pytest.raises(ValueError, match="at least one"):
        tuning.best_overall([])


def test_batch_size_is_tuned_in_fit():
    hp = _hp({"batch_size": 64})
    assert tuning.CNNHyperModel().fit(hp, _NoFit()) == 64


def test_flops_per_image_counts_conv_and_dense():
    inputs = keras.Input((5, 5, 2))
    x = keras.layers.Conv2D(3, 3)(inputs)  # 3x3 output: 2 * 9 * 9 * 2 * 3 = 972
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(4)(x)  # 2 * 27 * 4 = 216
    assert tuning.flops_per_image(keras.Model(inputs, outputs)) == 972 + 216


def test_hyperband_budget_matches_keras_tuner_schedule():
    assert tuning.hyperband_budget(6, 3) == (36, 10)
    assert tuning.hyperband_budget(2, 3) == (4, 2)
    with pytest.raises(ValueError, match="factor must be an integer >= 2"):
        tuning.hyperband_budget(6, 1)


@pytest.mark.parametrize("kind", ["sklearn", "Random", None])
def test_unknown_kind_lists_the_kinds(kind, tmp_path):
    with pytest.raises(ValueError, match="random, grid, bayesian, hyperband"):
        tuning.make_tuner(kind, tuning.CNNHyperModel(), budget_epochs=4, directory=tmp_path, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget_epochs": 0}, "budget_epochs must be a positive integer"),
        ({"budget_epochs": 1, "max_epochs": 2}, "less than one trial"),
        ({"seed": -1}, "seed must be a non-negative integer"),
    ],
)
def test_bad_budget_arguments(kwargs, message, tmp_path):
    args = {"budget_epochs": 4, "directory": tmp_path, "seed": 0, "max_epochs": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        tuning.make_tuner("random", tuning.CNNHyperModel(), **args)


def test_factory_derives_trials_from_the_budget_and_passes_kwargs(tmp_path):
    hm = tuning.CNNHyperModel()
    make = tuning.make_tuner
    random = make("random", hm, budget_epochs=12, max_epochs=3, directory=tmp_path, seed=0)
    assert isinstance(random, keras_tuner.RandomSearch) and random.oracle.max_trials == 4
    bayes = make("bayesian", hm, budget_epochs=36, max_epochs=6, directory=tmp_path, seed=0)
    assert isinstance(bayes, keras_tuner.BayesianOptimization)
    assert bayes.oracle.num_initial_points == 2
    grid = make("grid", hm, budget_epochs=4, max_epochs=2, directory=tmp_path, seed=0)
    assert isinstance(grid, keras_tuner.GridSearch) and not grid.oracle.tune_new_entries
    band = make("hyperband", hm, budget_epochs=72, max_epochs=6, directory=tmp_path, seed=0)
    assert isinstance(band, keras_tuner.Hyperband) and band.oracle.hyperband_iterations == 2
    passed = make(
        "random", hm, budget_epochs=4, directory=tmp_path / "p", seed=0, max_trials=7,
        executions_per_trial=2,
    )  # fmt: skip
    assert passed.oracle.max_trials == 7 and passed.executions_per_trial == 2
    assert (tmp_path / "random").is_dir() and (tmp_path / "hyperband").is_dir()


class _CountingHyperModel(keras_tuner.HyperModel):
    """A tiny dense model; records the automatic name of an unnamed layer per build."""

    def __init__(self, fail_on=None):
        super().__init__()
        self.names, self.fail_on = [], fail_on

    def build(self, hp):
        units = hp.Int("units", 2, 16, step=2)
        if units == self.fail_on:
            raise ValueError("6 units is an impossible layer stack")
        probe = keras.layers.Dense(1)
        self.names.append(probe.name)
        inputs = keras.Input((28, 28, 1))
        x = keras.layers.Flatten()(inputs)
        x = keras.layers.Dense(units, activation="relu", name="hidden")(x)
        outputs = keras.layers.Dense(10, activation="softmax", name="out")(x)
        model = keras.Model(inputs, outputs)
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
        return model


@pytest.mark.slow  # trains a model
def test_budget_is_counted_in_epochs_really_run(tmp_path, tiny):
    tuner = tuning.make_tuner(
        "hyperband", _CountingHyperModel(), budget_epochs=4, max_epochs=2, directory=tmp_path,
        seed=0,
    )  # fmt: skip
    result = tuning.run_search(tuner, tiny)
    assert result.epochs == tuner.epochs_spent() == 4 and result.trials == 2
    epochs, best = tuning.best_so_far(tuner)
    assert epochs.tolist() == [1, 2, 3, 4] and np.all(np.diff(best) >= 0)
    assert set(result.row()) == {"best_val_accuracy", "epochs", "trials", "minutes"}


@pytest.mark.slow  # trains a model
def test_the_epoch_budget_stops_a_search_that_may_run_more_trials(tmp_path, tiny):
    """`max_trials` allows 6 one-epoch trials; the budget of 3 epochs stops it after 3."""
    tuner = tuning.make_tuner(
        "random", _CountingHyperModel(), budget_epochs=3, max_epochs=1, directory=tmp_path,
        seed=0, max_trials=6,
    )  # fmt: skip
    assert tuner.oracle.max_trials == 6
    result = tuning.run_search(tuner, tiny)
    assert result.epochs == tuner.epochs_spent() == 3 and result.trials == 3


@pytest.mark.slow  # trains a model
def test_space_table_reports_each_search_and_its_best_models_size(tmp_path, tiny):
    tuner = tuning.make_tuner(
        "random", _CountingHyperModel(), budget_epochs=2, max_epochs=1, directory=tmp_path, seed=0
    )
    rep = tuning.run_search(tuner, tiny)
    table = tuning.space_table({"tiny": (tuner, rep)})
    assert table.index.tolist() == ["tiny"] and table.index.name == "space"
    row = table.loc["tiny"]
    assert row["best_val_accuracy"] == round(rep.best_val_accuracy, 4) and row["trials"] == 2
    units = tuner.oracle.get_best_trials(1)[0].hyperparameters.values["units"]
    assert row["best_params"] == 784 * units + units + units * 10 + 10  # the best trial's model
    seconds = [r["seconds"] for r in tuner.epoch_log()]
    assert row["epoch_seconds"] == round(float(np.median(seconds)), 2)


def test_hyperband_estimates_put_both_formulas_beside_the_schedule():
    six = tuning.hyperband_estimates(6, 3)
    assert six["schedule"] == 36 and six["li_et_al"] == 24  # (1 + 1)**2 * 6
    assert six["keras_tuner_docstring"] == pytest.approx(6 * (np.log(6) / np.log(3)) ** 2)
    assert tuning.hyperband_estimates(9, 3)["li_et_al"] == 81  # (2 + 1)**2 * 9: exact log
    assert tuning.hyperband_estimates(9, 3)["schedule"] == tuning.hyperband_budget(9, 3)[0]


@pytest.mark.slow  # trains a model
def test_parameter_breakdown_separates_the_model_from_the_optimizer_state():
    model = tuning.CNNHyperModel().build(_hp({"batch_norm": True}))
    before = tuning.parameter_breakdown(model)
    assert before["model"] == model.count_params()
    assert before["non_trainable"] > 0  # BatchNorm's moving statistics
    x = np.zeros((4, 28, 28, 1), "float32")
    model.fit(x, np.eye(10, dtype="float32")[:4], epochs=1, verbose=0)
    after = tuning.parameter_breakdown(model)
    assert after["optimizer"] >= 2 * after["trainable"]  # Adam: two moments per weight
    assert after["summary_total"] == after["model"] + after["optimizer"]


@pytest.mark.slow  # trains a model
def test_a_resumed_tuner_says_so_without_an_absolute_path(tmp_path, tiny, capsys, monkeypatch):
    monkeypatch.setattr(paths, "project_root", lambda: tmp_path)
    args = {"budget_epochs": 1, "max_epochs": 1, "directory": tmp_path / "build", "seed": 0}
    tuning.run_search(tuning.make_tuner("random", _CountingHyperModel(), **args), tiny)
    capsys.readouterr()
    tuning.make_tuner("random", _CountingHyperModel(), **args)  # resumes: overwrite=False
    said = capsys.readouterr().out
    assert "Reloading Tuner from build/random/tuner0.json" in said and str(tmp_path) not in said


@pytest.mark.slow  # trains a model
def test_resume_runs_only_the_missing_trials(tmp_path, tiny):
    first_model = _CountingHyperModel()
    args = {"max_epochs": 1, "directory": tmp_path, "seed": 3}
    first = tuning.make_tuner("random", first_model, budget_epochs=2, **args)
    first_model.names.clear()  # the tuner built once to register the space
    tuning.run_search(first, tiny)
    assert len(first_model.names) == 2
    again_model = _CountingHyperModel()
    again = tuning.make_tuner("random", again_model, budget_epochs=4, **args)
    again_model.names.clear()
    result = tuning.run_search(again, tiny)
    assert len(again_model.names) == 2  # exactly two more trials ran
    assert result.trials == 4 and result.epochs == 4
    assert sorted(again.oracle.trials) == ["0", "1", "2", "3"]


@pytest.mark.slow  # trains a model
def test_every_trial_gets_a_clean_session_and_failures_do_not_stop_the_search(tmp_path, tiny):
    model = _CountingHyperModel(fail_on=6)
    space = keras_tuner.HyperParameters()
    space.Choice("units", [4, 6, 8])  # grid order: the second trial fails
    tuner = tuning.make_tuner(
        "grid", model, budget_epochs=3, max_epochs=1, directory=tmp_path, seed=0,
        hyperparameters=space,
    )  # fmt: skip
    model.names.clear()
    result = tuning.run_search(tuner, tiny)
    statuses = [tuner.oracle.trials[i].status for i in sorted(tuner.oracle.trials)]
    assert statuses == ["COMPLETED", "FAILED", "COMPLETED"]
    assert "impossible layer stack" in tuner.oracle.trials["1"].message
    assert result.trials == 2 and result.failed_trials == 1 and result.epochs == 2
    assert model.names == ["dense", "dense"]  # no layer-name growth: session cleared


def test_search_data_uses_the_profile_subset():
    smoke = profiles.get("smoke")
    data = tuning.search_data(smoke, seed=0)
    n_val = round(smoke.mnist_train * smoke.val_fraction)
    assert data.x_search.shape == (smoke.mnist_train - n_val, 28, 28, 1)
    assert data.y_search.shape[1] == 10 and data.x_val.shape[0] == n_val
    x_all, y_all = data.train_and_val()
    assert len(x_all) == len(y_all) == smoke.mnist_train
    assert tuning.tuning_dir(smoke).parts[-3:] == ("build", "tuning", "smoke")


@pytest.mark.slow  # trains a model
def test_retrain_builds_the_values_from_scratch(tiny):
    values = {"head": "global_avg", "learning_rate": 1e-3, "batch_size": 16}
    model, history = tuning.retrain(
        tuning.CNNHyperModel(), values, tiny.x_search, tiny.y_search, epochs=1
    )
    assert model.output.shape == (None, 10) and len(history.history["loss"]) == 1
    assert model.optimizer.learning_rate.numpy() == pytest.approx(0.0, abs=1e-7)  # decayed


@pytest.mark.slow  # trains a model
def test_retrain_learns_a_separable_task(tiny):
    """A marker pixel per class: retraining the chosen values must actually fit it."""
    x, y = tiny.x_search.copy(), tiny.y_search
    x[np.arange(len(x)), y.argmax(axis=1), 0, 0] = 10.0
    values = {"head": "global_avg", "learning_rate": 3e-3, "batch_size": 8}
    keras.utils.set_random_seed(0)
    model, history = tuning.retrain(tuning.CNNHyperModel(), values, x, y, epochs=12)
    assert history.history["loss"][-1] < history.history["loss"][0] / 2
    assert float(np.mean(model.predict(x, verbose=0).argmax(axis=1) == y.argmax(axis=1))) > 0.8


def test_sklearn_tuner_searches_two_model_families(tmp_path):
    rng = np.random.default_rng(1)
    n = 150  # 3 folds leave 100 training rows: every PCA size (up to 80) is valid
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype="float32")[np.arange(n) % 10]
    x[np.arange(n), np.arange(n) % 10, 0, 0] = 5.0  # a learnable marker per class
    data = tuning.SearchData(x, y, x[:30], y[:30], x, y, x[:30], y[:30])
    tuner = tuning.make_sklearn_tuner(max_trials=2, directory=tmp_path, seed=0)
    found = tuning.run_sklearn_search(tuner, data)
    assert found["values"]["model"] in {"logistic", "random_forest"}
    assert 0.5 < found["cv_accuracy"] <= 1 and 0.5 < found["val_accuracy"] <= 1
    assert (tmp_path / "sklearn").is_dir()
    assert all(t.status == "COMPLETED" for t in tuner.oracle.trials.values())
    with pytest.raises(ValueError, match="folds must be an integer >= 2"):
        tuning.make_sklearn_tuner(max_trials=2, directory=tmp_path, seed=0, folds=1)


@pytest.mark.slow  # trains a model
def test_top_trials_table(tmp_path, tiny):
    tuner = tuning.make_tuner(
        "random", _CountingHyperModel(), budget_epochs=2, max_epochs=1, directory=tmp_path, seed=0
    )
    tuning.run_search(tuner, tiny)
    table = tuning.top_trials(tuner, 3)
    assert len(table) == 2 and list(table.columns[:2]) == ["score", "units"]
    assert table["score"].is_monotonic_decreasing


def test_seed_zero_is_a_fixed_seed(tmp_path):
    assert tuning.oracle_seed(0) == tuning.ZERO_SEED and tuning.oracle_seed(42) == 42
    hm = tuning.CNNHyperModel()
    args = {"budget_epochs": 2, "max_epochs": 1, "seed": 0}
    first = tuning.make_tuner("random", hm, directory=tmp_path / "a", **args)
    second = tuning.make_tuner("random", hm, directory=tmp_path / "b", **args)
    assert first.oracle.seed == second.oracle.seed == tuning.ZERO_SEED
    assert first.oracle._random_values() == second.oracle._random_values()


def test_best_so_far_skips_epochs_without_a_score():
    class Logged:
        def epoch_log(self):
            return [{tuning.OBJECTIVE: v} for v in (0.5, float("nan"), 0.4, 0.7)]

    epochs, best = tuning.best_so_far(Logged())
    np.testing.assert_array_equal(epochs, [1, 2, 3, 4])
    np.testing.assert_array_equal(best, [0.5, 0.5, 0.5, 0.7])


def test_verdict_needs_reports():
    with pytest.raises(ValueError, match="at least one SearchReport"):
        tuning.verdict([])


class _Trial:
    def __init__(self, status, score, values):
        self.status, self.score = status, score
        self.hyperparameters = keras_tuner.HyperParameters()
        self.hyperparameters.values.update(values)


class _Searched:
    """A finished search as `trial_table` reads it: the oracle's trials and the epoch log."""

    def __init__(self, trials, log):
        self.oracle = type("Oracle", (), {"trials": trials})()
        self._log = log

    def epoch_log(self):
        return [{"trial": t} for t in self._log]


def test_trial_table_lists_every_trial_with_its_epochs_and_parent():
    trials = {
        "01": _Trial("COMPLETED", 0.91234, {"lr": 1e-3, "tuner/trial_id": "00", "tuner/epochs": 6}),
        "00": _Trial("COMPLETED", 0.8, {"lr": 1e-3, "tuner/epochs": 2}),
        "02": _Trial("FAILED", None, {"lr": 1e-2}),
    }
    table = tuning.trial_table(_Searched(trials, ["00", "00", "01", "01", "01", "01"]))
    assert list(table.index) == ["00", "01", "02"]  # creation order
    assert list(table["epochs_run"]) == [2, 4, 0]
    assert list(table["score"].fillna(-1)) == [0.8, 0.9123, -1]
    assert table.loc["01", "continues"] == "00" and pd.isna(table.loc["00", "continues"])
    assert "tuner/epochs" not in table.columns and list(table["lr"]) == [1e-3, 1e-3, 1e-2]
    plain = tuning.trial_table(_Searched({"00": _Trial("COMPLETED", 0.5, {"lr": 1.0})}, ["00"]))
    assert "continues" not in plain.columns  # not a Hyperband search


@pytest.mark.slow  # trains a model
def test_train_with_recipe_uses_the_answers_optimizer_batch_and_epochs(capsys):
    from dlhw.data import MnistSplits

    rng = np.random.default_rng(3)
    x = rng.random((130, 28, 28, 1), dtype=np.float32)
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, 130)]
    splits = MnistSplits(x, y, x[:20], y[:20], x[:30], y[:30])
    model = tuning.seed_answer_hypermodel(tuning.fixed_hyperparameters({"num_conv_layers": 1}))
    result = tuning.train_with_recipe(model, splits, epochs=2, label="answer")
    assert int(model.optimizer.iterations) == 2 * 3  # 130 images in batches of 64: 3 steps
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert result["params"] == model.count_params() and len(result["seconds"]) == 2
    assert result["epoch_seconds"] > 0 and 0 <= result["test_accuracy"] <= 1
    expected = model.evaluate(x[:30], y[:30], verbose=0)[1]
    assert result["test_accuracy"] == pytest.approx(expected)  # scored on the test split
    assert capsys.readouterr().out.count("answer epoch") == 2
    with pytest.raises(ValueError, match="one-hot labels"):
        tuning.train_with_recipe(model, MnistSplits(x, y.argmax(1), x, y, x, y), epochs=1)


class _TenSecondEpochs(_CountingHyperModel):
    """Each epoch advances a fake clock by 10 s (before the tuner's own callbacks look)."""

    def __init__(self, now):
        super().__init__()
        self.now = now

    def fit(self, hp, model, *args, callbacks=None, **kwargs):
        now = self.now

        class Tick(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                now[0] += 10.0

        return model.fit(*args, callbacks=[Tick(), *(callbacks or [])], **kwargs)


@pytest.mark.slow  # trains a model
def test_a_wall_clock_budget_stops_the_trial_running_and_the_search(tmp_path, tiny):
    now = [0.0]
    tuner = tuning.make_tuner(
        "random", _TenSecondEpochs(now), budget_epochs=6, max_epochs=2, directory=tmp_path,
        seed=0, budget_seconds=25, clock=lambda: now[0],
    )  # fmt: skip
    result = tuning.run_search(tuner, tiny)
    # trial 1: 2 epochs (20 s); trial 2 reaches 30 s after its first epoch and stops there;
    # no third trial, although the epoch budget allowed 3 trials of 2 epochs.
    assert (result.trials, result.epochs) == (2, 3)
    assert result.minutes * 60 == pytest.approx(30.0)
    assert tuner.seconds_spent() == pytest.approx(30.0)  # recorded for a resumed search
    with pytest.raises(ValueError, match="budget_seconds must be a positive number"):
        tuning.make_tuner("random", _CountingHyperModel(), budget_epochs=2, max_epochs=1,
                          directory=tmp_path / "x", seed=0, budget_seconds=0)  # fmt: skip


def test_keras_tuner_state_files_are_written_atomically(tmp_path, monkeypatch):
    """A chief killed while KerasTuner saves its state must leave the old file whole, or a
    restarted chief cannot reload it (an empty oracle.json is a JSONDecodeError)."""
    import errno
    import json
    import os

    from keras_tuner.src import utils

    from dlhw.tuning import _keras_tuner

    _keras_tuner.atomic_state_files()
    _keras_tuner.atomic_state_files()  # idempotent: wrapped once
    assert utils.save_json.atomic
    path = tmp_path / "oracle.json"
    assert utils.save_json(str(path), {"trials": 1}) == '{"trials": 1}'

    def killed(fd):
        raise OSError(errno.EIO, "the process died here")

    monkeypatch.setattr(os, "fsync", killed)
    with pytest.raises(OSError):
        utils.save_json(str(path), {"trials": 2})
    assert json.loads(path.read_text()) == {"trials": 1}  # the old state, whole
    assert [p.name for p in tmp_path.iterdir()] == ["oracle.json"]  # no temporary left


def test_tuning_dir_removes_trials_stored_with_other_sizes(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHW_BUILD_DIR", str(tmp_path / "b"))
    smoke, quick = profiles.get("smoke"), profiles.get("quick")
    folder = tuning.tuning_dir(smoke)
    (folder / "random").mkdir()
    (folder / "random" / "trial.json").write_text("{}")
    assert tuning.tuning_dir(smoke) == folder and (folder / "random" / "trial.json").exists()
    assert capsys.readouterr().out == ""  # same sizes: resumable, kept
    bigger = dataclasses.replace(smoke, tuner_train=50)  # e.g. a package update's new size
    assert tuning.tuning_dir(bigger) == folder and not (folder / "random").exists()
    said = capsys.readouterr().out
    assert "tuner_train None -> 50" in said and "removed" in said
    (folder / "sizes.json").unlink()  # trials stored by a version that kept no sizes
    (folder / "hyperband").mkdir()
    tuning.tuning_dir(bigger)
    assert not (folder / "hyperband").exists() and "removed" in capsys.readouterr().out
    assert tuning.tuning_dir(quick).name == "quick"  # another profile: its own folder
    assert (folder / "sizes.json").exists() and capsys.readouterr().out == ""
