"""dlhw.cli: the runner on throwaway notebooks, listing, results table, usage errors."""

import json
import os
import shutil
import subprocess
import sys

import nbformat
import pytest

from dlhw import briefs, cli, declarations, runfile, runner
from dlhw.data import DataError
from dlhw.declare import Declaration, Metric


def _notebook(path, *sources, title="A test notebook"):
    cells = [nbformat.v4.new_markdown_cell(f"# {title}")]
    cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


@pytest.fixture()
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))  # build/ goes here
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))  # the committed set
    monkeypatch.delenv("DLHW_RECORD_DIR", raising=False)
    monkeypatch.delenv("DLHW_PROFILE", raising=False)
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(
        nbs / "Q8_good.ipynb",
        "import os\nfrom dlhw.declare import Declaration, Metric\nfrom dlhw.results import record\n"
        "Q8 = Declaration('Q8', 'Q8', '', '', (Metric('answer', 'a'), Metric('profile_seen', 'p')),"
        " ())",
        "record('Q8', {'answer': 42, 'profile_seen': os.environ['DLHW_PROFILE']}, declared=Q8)\n"
        "print('trial 1 of 1 finished')",
        title="Good notebook",
    )
    _notebook(nbs / "Q9_bad.ipynb", "x = 1", "raise ValueError('boom from cell two')")
    return nbs


@pytest.mark.slow
def test_run_continues_after_failure_and_reports(folder, tmp_path, capfd):
    out = tmp_path / "out"
    code = cli.main(
        ["run", "--notebooks", str(folder), "--output-dir", str(out), "--profile", "smoke"]
    )
    captured = capfd.readouterr()  # the kernels' own stderr included
    assert "    trial 1 of 1 finished" in captured.err  # the notebook's lines, live
    assert "without encryption" not in captured.err
    assert code == 1
    assert "ValueError: boom from cell two" in captured.err
    assert "raise ValueError" in captured.err  # the failing cell's source is shown
    assert "Q9" in captured.err and "failed" in captured.err
    # a run that is not the refresh records under build/results/, never into results/
    recorded = json.loads((tmp_path / "build" / "results" / "smoke" / "Q8.json").read_text())
    assert recorded["metrics"] == {"answer": 42, "profile_seen": "smoke"}
    assert not (tmp_path / "results").exists()
    assert "DLHW_PROFILE" not in os.environ  # the profile went to the kernel, not to us
    assert "| Q8 | answer | 42 |" in captured.out and "stale" not in captured.out
    executed = nbformat.read(out / "Q8_good.ipynb", as_version=4)
    assert executed.cells[1].execution_count == 1
    assert (out / "Q9_bad.ipynb").exists()
    assert nbformat.read(folder / "Q8_good.ipynb", as_version=4).cells[1].execution_count is None


@pytest.mark.slow
def test_a_brief_that_cannot_render_keeps_the_executed_notebook(
    folder, tmp_path, capsys, monkeypatch
):
    """The notebook ran and recorded, but its brief needs a metric it did not record: the
    committed notebook is left alone, the executed one is kept as a failed run's, exit 1."""
    broken = Declaration("Q8", "Q8", "", "?", (Metric("answer", "a"),), ("It is {missing}.",))
    monkeypatch.setattr(declarations, "ALL", {"Q8": broken})
    before = (folder / "Q8_good.ipynb").read_bytes()
    assert cli.main(["run", "Q8", "--notebooks", str(folder), "--in-place"]) == 1
    assert "Q8: its cell 1 could not be rendered" in capsys.readouterr().err
    assert (folder / "Q8_good.ipynb").read_bytes() == before
    kept = nbformat.read(tmp_path / "build" / "notebooks" / "Q8_good.ipynb", as_version=4)
    assert kept.cells[2].execution_count == 2


@pytest.mark.slow
def test_run_single_question_in_place(folder, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(declarations, "ALL", {"Q8": Q8_BRIEF})
    assert cli.main(["run", "Q8", "--notebooks", str(folder), "--in-place"]) == 0
    executed = nbformat.read(folder / "Q8_good.ipynb", as_version=4)
    assert executed.cells[3].execution_count == 2
    # the brief was rendered from what this run recorded, as cell 1
    assert executed.cells[1].source.startswith("## Answer in brief")
    assert "It is 42." in executed.cells[1].source
    assert "Q8, the written answer checked: no claims declared." in capsys.readouterr().out
    # the refresh, and only it, records into the committed results
    assert (tmp_path / "results" / "full" / "Q8.json").exists()
    assert not (tmp_path / "build" / "refresh.lock").exists()  # released


@pytest.mark.slow
def test_a_failed_refresh_leaves_the_committed_notebook_unchanged(folder, tmp_path, capsys):
    committed = folder / "Q9_bad.ipynb"
    before = committed.read_bytes()
    assert cli.main(["run", "Q9", "--notebooks", str(folder), "--in-place"]) == 1
    assert committed.read_bytes() == before  # byte for byte
    copy = tmp_path / "build" / "notebooks" / "Q9_bad.ipynb"
    err = capsys.readouterr().err
    assert f"{committed} left unchanged, the failed run's copy is {copy}" in err
    outputs = nbformat.read(copy, as_version=4).cells[2].outputs
    assert outputs[0]["ename"] == "ValueError"


def test_in_place_refuses_other_profiles_unless_forced(folder, capsys, monkeypatch):
    assert cli.main(["run", "--notebooks", str(folder), "--in-place", "--profile", "smoke"]) == 2
    err = capsys.readouterr().err
    assert "refusing to overwrite them with the smoke profile" in err and "--force" in err
    monkeypatch.setenv("DLHW_PROFILE", "quick")  # the environment's profile is guarded too
    assert cli.main(["run", "--notebooks", str(folder), "--in-place"]) == 2
    assert cli.main(["run", "--notebooks", str(folder), "--force"]) == 2
    assert "--force only applies to --in-place" in capsys.readouterr().err
    ran = []
    monkeypatch.setattr(runner, "run_all", lambda *args, **kwargs: ran.append(args) or 0)
    assert cli.main(["run", "--notebooks", str(folder), "--in-place", "--force"]) == 0
    assert len(ran) == 1


def test_a_second_refresh_is_refused_while_one_runs(folder, tmp_path, capsys, monkeypatch):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = tmp_path / "build" / "refresh.lock"
        lock.parent.mkdir()
        lock.write_text(json.dumps({"pid": sleeper.pid, "started": "t0", "command": "make full"}))
        assert cli.main(["run", "--notebooks", str(folder), "--in-place"]) == 2
        err = capsys.readouterr().err
        assert f"another refresh is running on this tree: pid {sleeper.pid}" in err
        assert "make full" in err and lock.exists()  # the other run's lock is left alone
    finally:
        sleeper.kill()
        sleeper.wait()
    # a lock left by a process that died is taken over, and released at the end
    ran = []
    monkeypatch.setattr(runner, "run_all", lambda *args, **kwargs: ran.append(lock.exists()) or 0)
    assert cli.main(["run", "--notebooks", str(folder), "--in-place"]) == 0
    assert ran == [True] and not lock.exists()


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


def test_results_says_which_set_it_shows(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.delenv("DLHW_RECORD_DIR", raising=False)
    from dlhw.results import record

    record("Q8", {"mine": 1}, declared=MINE, profile="full")  # a student's run: build/results/
    assert cli.main(["results"]) == 0
    captured = capsys.readouterr()
    assert f"the committed results: {tmp_path / 'results' / 'full'}" in captured.err
    assert "No results" in captured.out
    assert cli.main(["results", "--local"]) == 0
    captured = capsys.readouterr()
    assert f"your own runs: {tmp_path / 'build' / 'results' / 'full'}" in captured.err
    assert "| Q8 | mine |  | 1 |" in captured.out  # no label: Q8 is not declared
    assert cli.main(["results", "--local", "--update-readme"]) == 2


Q8_BRIEF = Declaration(
    "Q8",
    "Q8, a test",
    "`dlhw.x`",
    "What is the answer?",
    (Metric("answer", "the answer"),),
    ("It is {answer}.",),
)
MINE = Declaration("Q8", "Q8", "", "", (Metric("mine", "a student's metric"),), ())


def test_update_readme(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.setenv("DLHW_RECORD_DIR", str(tmp_path / "results"))  # as the refresh does
    monkeypatch.setattr(declarations, "ALL", {"Q8": Q8_BRIEF})
    (tmp_path / "notebooks").mkdir()
    _notebook(tmp_path / "notebooks" / "Q8_test.ipynb", "x = 1")
    readme, page = tmp_path / "README.md", tmp_path / "docs" / "metrics.md"
    page.parent.mkdir()
    page.write_text(f"# Metrics\n{briefs.TABLE_START}\nold\n{briefs.TABLE_END}\nend\n")
    quick = f"{runfile.README_START}\nold time\n{runfile.README_END}\n"
    readme.write_text(
        f"intro\n{quick}{briefs.README_START}\nold list\n{briefs.README_END}\noutro\n"
    )
    from dlhw.results import record

    record("Q8", {"answer": 1.5}, declared=Q8_BRIEF, profile="full")
    assert cli.main(["results", "--update-readme"]) == 0
    table = page.read_text()
    assert "old" not in table and "| Q8 | answer | the answer | 1.5 |" in table
    assert table.endswith("end\n")
    text = readme.read_text()
    assert "old" not in text and text.endswith("outro\n")
    line = "- **Q8, a test** ([notebook](notebooks/Q8_test.ipynb), [book page]"
    assert f"{line}(build/book/Q8_test.html), `dlhw.x`): It is 1.5.\n" in text
    assert "Q8_test.ipynb#The-written-answer,-checked): no claims declared." in text
    assert "`make run`'s time is not measured yet (no `results/run-quick.json`)" in text
    readme.write_text("intro\n")  # no questions section: nothing is written
    assert cli.main(["results", "--update-readme"]) == 2
    assert "no <!-- questions:start -->" in capsys.readouterr().err
    assert "old" not in page.read_text() and readme.read_text() == "intro\n"
    readme.write_text(f"{briefs.README_START}\n{briefs.README_END}\n")  # no quick-run line
    assert cli.main(["results", "--update-readme"]) == 2
    assert "README.md has no <!-- quick-run:start -->" in capsys.readouterr().err
    readme.write_text(f"{quick}{briefs.README_START}\n{briefs.README_END}\n")
    page.write_text("no markers")
    assert cli.main(["results", "--update-readme"]) == 2
    assert "docs/metrics.md has no <!-- results:start -->" in capsys.readouterr().err


def test_brief_renders_the_committed_results_into_cell_1(folder, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(declarations, "ALL", {"Q8": Q8_BRIEF})
    monkeypatch.setenv("DLHW_RECORD_DIR", str(tmp_path / "results"))
    from dlhw.results import record

    record("Q8", {"answer": 42}, declared=Q8_BRIEF, profile="full")
    assert cli.main(["brief", "--notebooks", str(folder)]) == 0
    cells = nbformat.read(folder / "Q8_good.ipynb", as_version=4).cells
    assert cells[1].source.startswith("## Answer in brief") and "It is 42." in cells[1].source
    err = capsys.readouterr().err
    assert "Q8: rendered" in err and "Q9: no " in err  # Q9 has no results: left as it is
    assert cli.main(["brief", "--notebooks", str(folder)]) == 0
    assert "Q8: unchanged" in capsys.readouterr().err


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


def test_tune_shows_settings_fields_as_flags():
    said = "role='worker' needs chief=HOST:PORT; `worker_id` and `max_retries`, overwrite=True"
    assert cli._as_flags(said) == (
        "--role worker needs --chief HOST:PORT; --worker-id and --max-retries, --overwrite"
    )
    assert cli._as_flags("max_trials=4 (this process: 9)") == "max_trials=4 (this process: 9)"


def test_tune_defaults_come_from_the_settings():
    from dlhw import tuning

    args = cli.build_parser().parse_args(["tune"])
    defaults = tuning.TuneSettings()
    assert (args.kind, args.seed, args.max_retries) == (defaults.kind, defaults.seed, 1)
    assert (args.worker_timeout, args.heartbeat) == (defaults.worker_timeout, defaults.heartbeat)


def test_data_errors_are_one_line(monkeypatch, capsys):
    def broken(args):
        raise DataError("data/mnist.npz: file not found")

    monkeypatch.setattr(cli, "cmd_list", broken)
    assert cli.main(["list"]) == 2
    assert capsys.readouterr().err.strip() == "dlhw: error: data/mnist.npz: file not found"


def test_compare_command_exit_status_follows_the_results(tmp_path, capsys):
    for side, accuracy in (("a", 0.9), ("b", 0.9), ("c", 0.8)):
        folder = tmp_path / side / "smoke"
        folder.mkdir(parents=True)
        payload = {"metrics": {"test_accuracy": accuracy, "search_minutes": len(side)}}
        (folder / "Q7.json").write_text(json.dumps(payload))
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "1 non-timing values compared, 0 differences" in capsys.readouterr().out
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "c")]) == 1
    assert "Q7.test_accuracy: 0.9 != 0.8" in capsys.readouterr().out
    assert cli.main(["compare", str(tmp_path / "a"), str(tmp_path / "empty")]) == 2
    assert "holds no recorded results" in capsys.readouterr().err


def test_tune_refuses_bad_settings_before_importing_keras():
    """A typo costs a fraction of a second and prints no TensorFlow banner: the settings are
    checked before anything imports Keras."""
    import subprocess
    import sys

    script = (
        "import sys\nfrom dlhw import cli\ncode = cli.main(['tune', '--trials', '0'])\n"
        "print(code, 'keras' in sys.modules, 'tensorflow' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["2", "False", "False"]
    assert done.stderr == "dlhw: error: --trials must be a positive integer, got 0.\n"


def test_run_defaults_to_quick_and_in_place_to_full(folder, monkeypatch):
    """A newcomer's `dlhw run` is a first look (quick); the refresh of the committed notebooks
    (`--in-place`) is full; DLHW_PROFILE, then --profile, override both."""
    seen = []
    monkeypatch.setattr(runner, "run_all", lambda *a, **kw: seen.append(kw["profile"]) or 0)
    assert cli.main(["run", "--notebooks", str(folder)]) == 0
    assert cli.main(["run", "--notebooks", str(folder), "--in-place"]) == 0
    monkeypatch.setenv("DLHW_PROFILE", "smoke")
    assert cli.main(["run", "--notebooks", str(folder)]) == 0
    assert cli.main(["run", "--notebooks", str(folder), "--profile", "full"]) == 0
    assert seen == ["quick", "full", "smoke", "full"]


@pytest.mark.parametrize("damage", ["cut", "no metrics", "missing metric"])
def test_a_damaged_results_file_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys, damage):
    """`dlhw brief`, `dlhw claims` and `dlhw results` on a results file cut short, without
    `metrics`, or lacking a metric its brief needs: one line naming the file, exit 2."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    for folder in ("notebooks", "results/full", "docs"):
        shutil.copytree(root / folder, tmp_path / folder)
    for name in ("README.md", "results/run-quick.json"):
        shutil.copy(root / name, tmp_path / name)
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.delenv("DLHW_RESULTS_DIR", raising=False)
    damaged = tmp_path / "results" / "full" / "Q6.json"
    text = damaged.read_text()
    if damage == "cut":
        damaged.write_text(text[:200])
    else:
        payload = json.loads(text)
        if damage == "no metrics":
            del payload["metrics"]
        else:
            del payload["metrics"]["grad_rel_error_dx"]  # a number the brief's bullets print
        damaged.write_text(json.dumps(payload))
    commands = [["brief", "--notebooks", str(tmp_path / "notebooks")], ["results"], ["claims"]]
    if damage == "missing metric":
        commands = commands[:1]  # only the brief reads every metric
    for command in commands:
        assert cli.main(command) == 2, command
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err[-1:]) == 1 and err[-1].startswith("dlhw: error: "), (command, err)
        assert "Q6" in err[-1] and "Traceback" not in "\n".join(err)
