"""dlhw.runfile: the run file `dlhw run` writes, and the README line rendered from it."""

import json

import nbformat
import pytest

from dlhw import cli, runfile, runner


def test_write_and_read_back(tmp_path):
    path = runfile.write(
        tmp_path,
        "quick",
        {"Q1": 101.26, "Q2": 30.04},
        total_s=140.0,
        failed=["Q2"],
        load_at_start=[0.25, 0.5, 0.75],
    )
    assert path == tmp_path / "quick" / "run.json"
    payload = runfile.read(path)
    assert payload["seconds"] == {"Q1": 101.3, "Q2": 30.0} and payload["total_s"] == 140.0
    assert payload["failed"] == ["Q2"] and payload["load_average_at_start"] == [0.25, 0.5, 0.75]
    assert payload["cpu_count"] >= 1 and payload["python"].count(".") == 2


@pytest.mark.parametrize("text", ["{cut", "[]", '{"seconds": {}}'])
def test_a_damaged_run_file_is_one_error_naming_it(tmp_path, text):
    path = tmp_path / "run-quick.json"
    path.write_text(text)
    with pytest.raises(runfile.RunFileError, match="run-quick.json is not a run file"):
        runfile.read(path)


def test_the_readme_line_says_what_was_measured():
    assert "not measured yet" in runfile.render_readme_line(None)
    payload = {
        "profile": "quick",
        "seconds": {"Q1": 110.4, "Q7": 48.6},
        "total_s": 281.0,
        "failed": [],
        "python": "3.11.9",
        "cpu_count": 2,
        "load_average_at_start": [0.12, 1, 1],
    }
    line = runfile.render_readme_line(payload)
    assert line.startswith("`make run` took 4 min 41 s from a fresh clone")
    assert "Q1 110 s, Q7 49 s" in line and "2 CPUs, Python 3.11.9" in line
    assert "load average 0.12 when it started" in line and "failed" not in line
    payload["failed"] = ["Q7"]
    assert "Q7 failed in that run" in runfile.render_readme_line(payload)


def _notebook(path):
    cells = [nbformat.v4.new_markdown_cell("# T"), nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


@pytest.fixture()
def two(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))
    for name in ("DLHW_RECORD_DIR", "DLHW_BUILD_DIR", "DLHW_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "Q8_a.ipynb")
    _notebook(nbs / "Q9_b.ipynb")
    return nbs


def test_a_run_that_ends_writes_its_run_file(two, tmp_path, monkeypatch):
    monkeypatch.setattr(
        runner, "execute", lambda path, *a: (True, "", 2.5, nbformat.read(path, as_version=4))
    )
    assert cli.main(["run", "--notebooks", str(two)]) == 0
    payload = json.loads((tmp_path / "build" / "results" / "quick" / "run.json").read_text())
    assert payload["profile"] == "quick" and payload["seconds"] == {"Q8": 2.5, "Q9": 2.5}
    assert payload["total_s"] >= 0 and payload["failed"] == []


def test_an_interrupted_run_writes_no_run_file(two, tmp_path, monkeypatch):
    def execute(path, *args):
        if path.name.startswith("Q9"):
            raise KeyboardInterrupt
        return True, "", 1.0, nbformat.read(path, as_version=4)

    monkeypatch.setattr(runner, "execute", execute)
    assert cli.main(["run", "--notebooks", str(two)]) == 130
    assert not (tmp_path / "build" / "results" / "quick" / "run.json").exists()
