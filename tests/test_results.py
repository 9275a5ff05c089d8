"""dlhw.results: the JSON writer, its validation and the markdown table."""

import json

import numpy as np
import pytest

from dlhw import results


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
    path = results.record("Q9", {"a": 1})
    assert path == tmp_path / "build" / "results" / "full" / "Q9.json"
    assert not (tmp_path / "results").exists()
    assert results.load_all("full") == {}  # the committed set is untouched
    assert list(results.load_all("full", tmp_path / "build" / "results")) == ["Q9"]


def test_record_writes_metrics_profile_time_and_versions(results_dir):
    metrics = {"accuracy": np.float32(0.5), "n": np.int64(3), "ok": True, "r": np.array(0.25)}
    path = results.record("Q9", metrics)
    assert path == results_dir / "smoke" / "Q9.json"
    payload = json.loads(path.read_text())
    assert payload["metrics"] == {"accuracy": 0.5, "n": 3, "ok": True, "r": 0.25}
    assert payload["profile"] == "smoke"
    assert payload["wall_time_s"] >= 0
    assert set(payload["versions"]) == {"python", "tensorflow", "keras", "keras_tuner"}


def test_required_keys_are_enforced(results_dir):
    with pytest.raises(results.ResultsError, match=r"Q7: metrics lack the required keys \["):
        results.record("Q7", {"test_accuracy": 0.99})


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
        results.record(question, metrics)


def test_markdown_table_flattens_nested_metrics(results_dir):
    results.record("Q9", {"params": {"lstm": 100, "cnn": 50}, "r2": 0.123456})
    table = results.markdown_table("smoke")
    assert "| Q9 | params.lstm | 100 |" in table
    assert "| Q9 | r2 | 0.1235 |" in table


def test_markdown_table_when_empty(results_dir):
    assert "No results" in results.markdown_table("quick")


def test_table_ignores_files_that_are_not_question_results(results_dir):
    results.record("Q10", {"a": 1})
    results.record("Q9", {"a": 2})
    (results_dir / "smoke" / "Qx.json").write_text("{}")
    assert list(results.load_all("smoke")) == ["Q9", "Q10"]


def test_markdown_table_selects_questions_and_marks_stale_ones(results_dir):
    results.record("Q8", {"a": 1})
    results.record("Q9", {"b": 2})
    table = results.markdown_table("smoke", questions=["Q9"], stale=["Q9"])
    assert "| Q9 | b | 2 |" in table and "Q8" not in table
    assert "| Q9 | _stale: from an earlier run; this run failed_ | |" in table


def test_machine_names_cpu_platform_and_versions():
    info = results.machine()
    assert info["cpu_count"] >= 1 and info["platform"]
    assert {"python", "tensorflow", "keras", "keras_tuner"} <= set(info)
