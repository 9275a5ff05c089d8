"""dlhw.results: the JSON writer, its validation and the markdown table."""

import json

import numpy as np
import pytest

from dlhw import declarations, profiles, results
from dlhw.declare import Declaration, Metric


def declared(question: str, *names: str) -> Declaration:
    """A tiny declaration listing `names` (tests record made-up questions)."""
    metrics = tuple(Metric(n, n) for n in names)
    return Declaration(question, question, "", "", metrics, ())


@pytest.fixture()
def results_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path))
    monkeypatch.setenv("DLHW_RECORD_DIR", str(tmp_path))  # as `dlhw run --in-place` sets it
    monkeypatch.setenv("DLHW_PROFILE", "smoke")
    return tmp_path


def test_a_run_outside_the_refresh_never_records_into_the_committed_results(tmp_path, monkeypatch):
    """A notebook run in Jupyter (no runner, default profile full) records under build/."""
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.delenv("DLHW_RESULTS_DIR", raising=False)
    monkeypatch.delenv("DLHW_RECORD_DIR", raising=False)
    monkeypatch.delenv("DLHW_PROFILE", raising=False)
    path = results.record("Q9", {"a": 1}, declared=declared("Q9", "a"))
    assert path == tmp_path / "build" / "results" / "full" / "Q9.json"
    assert not (tmp_path / "results").exists()
    assert results.load_all("full") == {}  # the committed set is untouched
    assert list(results.load_all("full", tmp_path / "build" / "results")) == ["Q9"]


def test_record_writes_metrics_profile_time_and_versions(results_dir):
    metrics = {"accuracy": np.float32(0.5), "n": np.int64(3), "ok": True, "r": np.array(0.25)}
    path = results.record("Q9", metrics, declared=declared("Q9", *metrics))
    assert path == results_dir / "smoke" / "Q9.json"
    payload = json.loads(path.read_text())
    assert payload["metrics"] == {"accuracy": 0.5, "n": 3, "ok": True, "r": 0.25}
    assert payload["profile"] == "smoke"
    assert payload["wall_time_s"] >= 0
    assert set(payload["versions"]) == {"python", "tensorflow", "keras", "keras_tuner"}


def test_the_declaration_is_enforced_before_anything_is_written(results_dir):
    """A declared metric missing, an undeclared one present, or another question's declaration:
    each fails at record(), naming the keys, and writes no file."""
    with pytest.raises(results.ResultsError, match=r"Q2: the metrics lack the declared metrics \["):
        results.record("Q2", {"lstm_test_accuracy": 0.99}, declared=declarations.Q2)
    full = dict.fromkeys(declarations.Q2.metric_names, 0.5)
    with pytest.raises(results.ResultsError, match=r"hold metrics \['extra'\] that Q2's"):
        results.record("Q2", {**full, "extra": 1}, declared=declarations.Q2)
    with pytest.raises(results.ResultsError, match="Q2's declaration"):
        results.record("Q2", full, declared=declarations.Q7)
    assert not list(results_dir.rglob("*.json"))
    assert results.record("Q2", full, declared=declarations.Q2).is_file()


@pytest.mark.parametrize("question", list(declarations.ALL))
def test_each_committed_results_file_holds_exactly_its_declared_metrics(question):
    payload = results.load_all("full")[question]
    declarations.get(question).check_metrics(payload["metrics"])


@pytest.mark.parametrize(
    ("question", "metrics", "message"),
    [
        ("7", {}, "look like 'Q7'"),
        ("Q9", [1], "must be a dict"),
        ("Q9", {"x": float("nan")}, "finite"),
        ("Q9", {"x": object()}, "type object"),
    ],
)
def test_bad_input(results_dir, question, metrics, message):
    with pytest.raises(results.ResultsError, match=message):
        results.record(question, metrics, declared=declared(question, "x"))


def test_markdown_table_flattens_nested_metrics(results_dir):
    results.record(
        "Q9",
        {"params": {"lstm": 100, "cnn": 50}, "r2": 0.123456},
        declared=declared("Q9", "params", "r2"),
    )
    table = results.markdown_table("smoke")
    assert "| Q9 | params.lstm | 100 |" in table
    assert "| Q9 | r2 | 0.1235 |" in table
    labelled = results.markdown_table("smoke", labels={"Q9": {"params": "parameters per model"}})
    assert "| Question | Metric | Meaning | Value |" in labelled
    assert "| Q9 | params.lstm | parameters per model | 100 |" in labelled
    assert "| Q9 | r2 |  | 0.1235 |" in labelled


def test_markdown_table_when_empty(results_dir):
    assert "No results" in results.markdown_table("quick")


def test_table_ignores_files_that_are_not_question_results(results_dir):
    results.record("Q10", {"a": 1}, declared=declared("Q10", "a"))
    results.record("Q9", {"a": 2}, declared=declared("Q9", "a"))
    (results_dir / "smoke" / "Qx.json").write_text("{}")
    assert list(results.load_all("smoke")) == ["Q9", "Q10"]


def test_markdown_table_selects_questions_and_marks_stale_ones(results_dir):
    results.record("Q8", {"a": 1}, declared=declared("Q8", "a"))
    results.record("Q9", {"b": 2}, declared=declared("Q9", "b"))
    table = results.markdown_table("smoke", questions=["Q9"], stale=["Q9"])
    assert "| Q9 | b | 2 |" in table and "Q8" not in table
    assert "| Q9 | _stale: from an earlier run; this run failed_ |  |" in table


def test_machine_names_cpu_platform_and_versions():
    info = results.machine()
    assert info["cpu_count"] >= 1 and info["platform"]
    assert {"python", "tensorflow", "keras", "keras_tuner"} <= set(info)


def _payload(**metrics):
    return {"metrics": metrics}


def test_compare_skips_timings_and_tolerates_only_the_last_bits():
    a = {"Q7": _payload(test_accuracy=0.5, gradcam_speedup=3.0, tuners={"random": {"minutes": 1}})}
    b = {"Q7": _payload(test_accuracy=0.5, gradcam_speedup=9.0, tuners={"random": {"minutes": 7}})}
    assert results.compare(a, b) == ([], 1)
    # Q4's training-step time ratios are timings too
    a["Q4"] = _payload(equal_positions_ratio_long=5.0, params={"lstm": 24458})
    b["Q4"] = _payload(equal_positions_ratio_long=3.7, params={"lstm": 24458})
    assert results.compare(a, b) == ([], 2)
    # and the input-projection timings (milliseconds, and the share of a gap derived from them)
    a["Q4"]["metrics"] |= {"projection_ms": {"hoisted": 5.1}, "projection_share": -0.41}
    b["Q4"]["metrics"] |= {"projection_ms": {"hoisted": 9.4}, "projection_share": -0.30}
    assert results.compare(a, b) == ([], 2)
    b["Q7"]["metrics"]["test_accuracy"] = 0.5 + 1e-9  # float noise: equal
    assert results.compare(a, b) == ([], 2)
    b["Q7"]["metrics"]["test_accuracy"] = 0.5001
    problems, compared = results.compare(a, b)
    assert compared == 2 and problems == ["Q7.test_accuracy: 0.5 != 0.5001"]


def test_compare_reports_missing_questions_keys_and_unequal_non_numbers():
    a = {"Q2": _payload(x=1, flag=True), "Q3": _payload(y=1.0)}
    b = {"Q2": _payload(x=1, flag=False, extra=2)}
    problems, _ = results.compare(a, b)
    assert problems == [
        "Q2.extra: recorded on one side only",
        "Q2.flag: True != False",
        "Q3: recorded on one side only",
    ]


def test_compare_absolute_tolerance_covers_tiny_implementation_differences():
    a = {"Q6": _payload(keras_forward_max_abs_diff=4.8e-7)}
    b = {"Q6": _payload(keras_forward_max_abs_diff=2.4e-7)}
    assert results.compare(a, b)[0] == []
    assert results.compare(a, b, atol=0.0)[0] != []


def test_a_relative_record_dir_is_taken_from_the_project_root(monkeypatch, tmp_path):
    from dlhw import paths

    monkeypatch.chdir(tmp_path)  # a kernel runs in notebooks/, a shell anywhere
    monkeypatch.setenv("DLHW_RECORD_DIR", "build/ci/results-3.10")
    assert paths.run_results_dir() == paths.project_root() / "build" / "ci" / "results-3.10"
    monkeypatch.setenv("DLHW_RECORD_DIR", str(tmp_path / "abs"))
    assert paths.run_results_dir() == tmp_path / "abs"


def test_build_dir_moves_with_dlhw_build_dir_and_takes_the_results_along(monkeypatch, tmp_path):
    from dlhw import paths, tuning

    monkeypatch.delenv("DLHW_RECORD_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLHW_BUILD_DIR", "build/ci/build-3.13")
    moved = paths.project_root() / "build" / "ci" / "build-3.13"
    assert paths.build_dir() == moved
    assert paths.run_results_dir() == moved / "results"
    assert tuning.tuning_dir(profiles.get("smoke")) == moved / "tuning" / "smoke"
    monkeypatch.delenv("DLHW_BUILD_DIR")
    assert paths.build_dir() == paths.project_root() / "build"


def test_compare_reads_lists_of_numbers_element_by_element():
    a = {"Q6": _payload(norms=[[1.0, 2.0], [3.0, 4.0]])}
    close = {"Q6": _payload(norms=[[1.0, 2.0 + 1e-9], [3.0, 4.0]])}
    assert results.compare(a, close)[0] == []
    off = {"Q6": _payload(norms=[[1.0, 2.1], [3.0, 4.0]])}
    shorter = {"Q6": _payload(norms=[[1.0, 2.0]])}
    assert results.compare(a, off)[0] == [
        "Q6.norms: [[1.0, 2.0], [3.0, 4.0]] != [[1.0, 2.1], [3.0, 4.0]]"
    ]
    assert len(results.compare(a, shorter)[0]) == 1
