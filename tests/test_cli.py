"""dlhw.cli: the runner on throwaway notebooks, listing, results table, usage errors."""

import json
import subprocess
import sys

import nbformat
import pytest

from dlhw import cli


def _notebook(path, *sources, title="A test notebook"):
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(
        nbs / "Q8_good.ipynb",
        "import os\nfrom dlhw.results import record",
        "record('Q8', {'answer': 42, 'profile_seen': os.environ['DLHW_PROFILE']})",
        title="Good notebook",
    )
    _notebook(nbs / "Q9_bad.ipynb", "x = 1", "raise ValueError('boom from cell two')")
    return nbs


@pytest.mark.slow
def test_run_continues_after_failure_and_reports(folder, tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(
        ["run", "--notebooks", str(folder), "--output-dir", str(out), "--profile", "smoke"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "ValueError: boom from cell two" in captured.err
    assert "raise ValueError" in captured.err  # the failing cell's source is shown
    assert "Q9" in captured.err and "failed" in captured.err
    recorded = json.loads((tmp_path / "results" / "smoke" / "Q8.json").read_text())
    assert recorded["metrics"] == {"answer": 42, "profile_seen": "smoke"}
    assert "| Q8 | answer | 42 |" in captured.out and "stale" not in captured.out
    executed = nbformat.read(out / "Q8_good.ipynb", as_version=4)
    assert executed.cells[1].execution_count == 1
    assert (out / "Q9_bad.ipynb").exists()
    assert nbformat.read(folder / "Q8_good.ipynb", as_version=4).cells[1].execution_count is None


@pytest.mark.slow
def test_run_single_question_in_place(folder, capsys):
    assert cli.main(["run", "Q8", "--notebooks", str(folder), "--in-place"]) == 0
    executed = nbformat.read(folder / "Q8_good.ipynb", as_version=4)
    assert executed.cells[2].execution_count == 2


def test_list(folder, capsys):
    assert cli.main(["list", "--notebooks", str(folder)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Q8  Q8_good.ipynb  Good notebook")
    assert out[1].startswith("Q9")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "Q5"], "no notebook for question 'Q5'; available: Q8, Q9"),
        (["run", "--timeout", "0"], "--timeout must be a positive"),
    ],
)
def test_usage_errors(folder, capsys, argv, message):
    assert cli.main([*argv, "--notebooks", str(folder)]) == 2
    assert message in capsys.readouterr().err


def test_unknown_profile_from_environment(folder, capsys, monkeypatch):
    monkeypatch.setenv("DLHW_PROFILE", "huge")
    assert cli.main(["run", "--notebooks", str(folder)]) == 2
    assert "must be one of smoke, quick, full" in capsys.readouterr().err


def test_missing_notebook_folder(tmp_path, capsys):
    assert cli.main(["list", "--notebooks", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_update_readme(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{cli.README_START}\nold\n{cli.README_END}\noutro\n")
    from dlhw.results import record

    record("Q8", {"answer": 1}, profile="full")
    assert cli.main(["results", "--update-readme"]) == 0
    text = readme.read_text()
    assert "old" not in text and "| Q8 | answer | 1 |" in text and text.endswith("outro\n")
    readme.write_text("no markers")
    assert cli.main(["results", "--update-readme"]) == 2


def test_cli_import_does_not_load_tensorflow():
    code = "import sys, dlhw.cli; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_python_dash_m_help():
    out = subprocess.run(
        [sys.executable, "-m", "dlhw", "--help"], capture_output=True, text=True, check=True
    )
    assert "run" in out.stdout and "list" in out.stdout


def test_tune_rejects_a_negative_seed(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["tune", "--seed", "-1"])
    assert exit_info.value.code == 2
    assert "must be a non-negative integer, got '-1'" in capsys.readouterr().err


def test_data_errors_are_one_line(monkeypatch, capsys):
    def broken(args):
        raise cli.DataError("data/mnist.npz: file not found")

    monkeypatch.setattr(cli, "cmd_list", broken)
    assert cli.main(["list"]) == 2
    assert capsys.readouterr().err.strip() == "dlhw: error: data/mnist.npz: file not found"
