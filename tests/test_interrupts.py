"""`dlhw run` under a terminal's Ctrl-C, a killed kernel, damaged notebooks, unwritable folders
and a full disk, tried the way they happen: SIGINT goes to the whole process group at moments
reached by waiting for a known line of output, never after a guessed sleep."""

import errno
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import psutil
import pytest

from dlhw import cli, files, guard, runner

RECORD = (
    "from dlhw.declare import Declaration, Metric\nfrom dlhw.results import record\n"
    "Q9 = Declaration('Q9', 'Q9', '', '', (Metric('answer', 'a'),), ())\n"
    "record('Q9', {'answer': 1}, declared=Q9)\nprint('recorded', flush=True)"
)


def _fit(epochs: int) -> str:
    """A cell that trains with TensorFlow for `epochs` epochs, saying so first."""
    return (
        "import numpy as np, keras\n"
        "x = np.random.rand(4000, 32).astype('float32'); y = (x.sum(1) > 16).astype('int32')\n"
        "m = keras.Sequential([keras.Input((32,)), keras.layers.Dense(64, activation='relu'),"
        " keras.layers.Dense(2)])\n"
        "m.compile('adam', keras.losses.SparseCategoricalCrossentropy(from_logits=True))\n"
        "print('fitting now', flush=True)\n"
        f"m.fit(x, y, epochs={epochs}, verbose=0)"
    )


def _notebook(path: Path, *sources: str) -> None:
    cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def _tree(tmp_path: Path, first: str, fit_epochs: int) -> dict:
    """Two notebooks (Q8 quick, Q9 records its results and then trains), a committed results
    file for Q9 and one from an earlier local run, all of which an interrupt must not change."""
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "Q8_first.ipynb", first)
    _notebook(nbs / "Q9_second.ipynb", RECORD, _fit(fit_epochs))
    kept = {}
    for folder in (tmp_path / "r" / "full", tmp_path / "build" / "results" / "full"):
        folder.mkdir(parents=True)
        (folder / "Q9.json").write_text('{"earlier": "run"}\n')
        kept[folder / "Q9.json"] = (folder / "Q9.json").read_bytes()
    for path in nbs.iterdir():
        kept[path] = path.read_bytes()
    tag = uuid.uuid4().hex
    env = {
        **os.environ,
        "DLHW_ROOT": str(tmp_path),
        "DLHW_RESULTS_DIR": str(tmp_path / "r"),
        "DLHW_PROFILE": "full",  # `make test` sets smoke, which --in-place refuses
        "PYTHONUNBUFFERED": "1",
        "DLHW_TEST_TAG": tag,  # inherited by the kernels, to find any left behind
    }
    env.pop("DLHW_RECORD_DIR", None)
    env.pop("DLHW_BUILD_DIR", None)
    return {"nbs": nbs, "kept": kept, "env": env, "tag": tag}


def _start(tree: dict, in_place: bool, slow_write: bool = False) -> tuple[subprocess.Popen, Path]:
    """`dlhw run Q8 Q9` in its own process group, as a terminal runs a foreground job; its
    stderr goes to a file the test reads while it runs. With `slow_write` each notebook write
    says "writing <notebook>" and takes 5 s, to be interrupted."""
    args = ["run", "Q8", "Q9", "--notebooks", str(tree["nbs"])]
    args += ["--in-place"] if in_place else []
    code = "import sys\nfrom dlhw.cli import main\n"
    if slow_write:
        code += (
            "import time\nfrom dlhw import files\nwrite = files.atomic_write_notebook\n"
            "def slow(notebook, path):\n"
            "    print('writing', path.name, file=sys.stderr, flush=True)\n"
            "    time.sleep(5)\n    return write(notebook, path)\n"
            "files.atomic_write_notebook = slow\n"
        )
    code += f"sys.exit(main({args!r}))"
    err = tree["nbs"].parent / "stderr.txt"
    with open(err, "w") as stream:
        run = subprocess.Popen(
            [sys.executable, "-c", code],
            env=tree["env"],
            stdout=subprocess.DEVNULL,
            stderr=stream,
            start_new_session=True,
        )
    return run, err


def _wait_for(run: subprocess.Popen, err: Path, line: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while line not in err.read_text():
        assert run.poll() is None, f"dlhw ended before {line!r}:\n{err.read_text()}"
        assert time.monotonic() < deadline, f"no {line!r} in {timeout} s:\n{err.read_text()}"
        time.sleep(0.05)


def _kernels(tag: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("DLHW_TEST_TAG") == tag:
                found.append(process)
        except (psutil.Error, OSError):
            continue
    return found


def _no_process_left(tag: str) -> None:
    deadline = time.monotonic() + 20
    while _kernels(tag) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _kernels(tag), "a kernel outlived the run"


MOMENTS = [
    # (when, the line waited for, --in-place, notebooks finished, Ctrl-C twice)
    ("kernel start", "running Q8, Q9", True, [], False),
    ("inside a fit", "fitting now", True, ["Q8"], False),
    ("inside a fit, pressed twice", "fitting now", True, ["Q8"], True),
    ("inside a fit, copies", "fitting now", False, ["Q8"], False),
    ("after a notebook", "Q8 ok", False, ["Q8"], False),
    ("during a write", "writing Q8_first.ipynb", True, ["Q8"], False),
]


@pytest.mark.slow
@pytest.mark.parametrize(("when", "line", "in_place", "finished", "twice"), MOMENTS)
def test_ctrl_c_exits_130_with_one_line_and_changes_only_what_finished(
    tmp_path, when, line, in_place, finished, twice
):
    tree = _tree(tmp_path, "print('Q8 cell done')", fit_epochs=10_000)
    run, err = _start(tree, in_place, slow_write=when == "during a write")
    _wait_for(run, err, line)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in a terminal: the whole process group
    if twice:
        time.sleep(0.3)
        os.killpg(run.pid, signal.SIGINT)
    run.wait(timeout=90)
    text = err.read_text()
    assert run.returncode == 130, text
    assert "Traceback" not in text and "Error" not in text, text
    assert "oneDNN" not in text and "absl" not in text  # a kernel's start-up lines stay off
    said = [row for row in text.splitlines() if row.startswith("interrupted:")]
    assert len(said) == 1, text
    where = "nbs" if in_place else "build/notebooks"
    done = ", ".join(f"{q} (-> {where}/{q}_first.ipynb)" for q in finished) or "none"
    rest = "Q9" if finished else "Q8, Q9"
    assert said[0].startswith(f"interrupted: finished {done}; not finished {rest} "), said
    for path, before in tree["kept"].items():
        changed = in_place and "Q8" in finished and path.name == "Q8_first.ipynb"
        assert (path.read_bytes() != before) == changed, path
    if finished:
        executed = nbformat.read(tmp_path / where / "Q8_first.ipynb", as_version=4)
        assert executed.cells[1].outputs[0]["text"] == "Q8 cell done\n"
    assert not (tmp_path / "build" / "refresh.lock").exists()
    _no_process_left(tree["tag"])


@pytest.mark.slow
def test_a_killed_kernel_is_reported_and_the_next_notebook_still_runs(tmp_path):
    marker = tmp_path / "kernel.pid"
    first = f"import os, time\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(120)"
    tree = _tree(tmp_path, first, fit_epochs=1)
    run, err = _start(tree, in_place=True)
    deadline = time.monotonic() + 120
    while not marker.is_file() or not marker.read_text():
        assert time.monotonic() < deadline and run.poll() is None, err.read_text()
        time.sleep(0.1)
    os.kill(int(marker.read_text()), signal.SIGKILL)  # as the out-of-memory killer does
    run.wait(timeout=180)
    text = err.read_text()
    assert run.returncode == 1, text
    assert "Q8 FAILED" in text and "Q9 ok" in text, text
    assert "the kernel was killed by signal 9 SIGKILL (most often the out-of-memory killer" in text
    assert "build/logs/Q8_first.kernel.log" in text
    assert (
        tree["kept"][tree["nbs"] / "Q8_first.ipynb"]
        == (tree["nbs"] / "Q8_first.ipynb").read_bytes()
    )
    assert (tmp_path / "build" / "notebooks" / "Q8_first.ipynb").is_file()  # the failed copy
    _no_process_left(tree["tag"])


@pytest.fixture()
def bare(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    monkeypatch.setenv("DLHW_RESULTS_DIR", str(tmp_path / "results"))
    monkeypatch.delenv("DLHW_RECORD_DIR", raising=False)
    monkeypatch.delenv("DLHW_BUILD_DIR", raising=False)
    monkeypatch.delenv("DLHW_PROFILE", raising=False)
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "Q8_first.ipynb", "x = 1")
    _notebook(nbs / "Q9_second.ipynb", "y = 2")
    return nbs


def _one_line(capsys) -> str:
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("dlhw: error: ")]
    assert len(errors) == 1 and captured.err.strip().endswith(errors[0]), captured.err
    assert "Traceback" not in captured.err
    return errors[0]


@pytest.mark.parametrize(
    ("damage", "said"),
    [
        (lambda p: p.write_text(p.read_text()[:120]), "is not a valid notebook"),
        (lambda p: p.write_text("not json at all"), "is not a valid notebook"),
        (lambda p: p.write_text(json.dumps([1, 2])), "is not a valid notebook"),
        (lambda p: _notebook_untitled(p), "has no title cell"),
    ],
    ids=["cut short", "not JSON", "not a notebook", "no title cell"],
)
def test_a_damaged_notebook_is_refused_before_any_kernel_starts(
    bare, tmp_path, capsys, monkeypatch, damage, said
):
    damage(bare / "Q9_second.ipynb")
    monkeypatch.setattr(runner, "execute", _no_kernel)
    assert cli.main(["run", "--notebooks", str(bare)]) == 2
    line = _one_line(capsys)
    assert "nbs/Q9_second.ipynb" in line and said in line and "git checkout" in line
    assert not (tmp_path / "build").exists()  # nothing written


def _notebook_untitled(path: Path) -> None:
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)


def _no_kernel(*args, **kwargs):
    raise AssertionError("a kernel was started")


def test_an_unwritable_output_folder_is_refused_before_any_kernel_starts(
    bare, tmp_path, capsys, monkeypatch
):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)  # read-only for a user; root writes anyway, so the OS's answer is faked
    real = guard.tempfile.NamedTemporaryFile

    def refuse(*args, dir=None, **kwargs):
        if Path(dir) == out:
            raise PermissionError(errno.EACCES, "Permission denied", str(out))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(guard.tempfile, "NamedTemporaryFile", refuse)
    monkeypatch.setattr(runner, "execute", _no_kernel)
    assert cli.main(["run", "--notebooks", str(bare), "--output-dir", str(out)]) == 2
    line = _one_line(capsys)
    assert "cannot write into out: Permission denied" in line and "--output-dir" in line
    (tmp_path / "file").write_text("")
    assert cli.main(["run", "--notebooks", str(bare), "--output-dir", str(tmp_path / "file")]) == 2
    assert "cannot write into file" in _one_line(capsys)
    out.chmod(0o755)


def test_a_full_disk_mid_run_is_one_line_and_keeps_the_notebook_and_results(
    bare, tmp_path, capsys, monkeypatch
):
    """ENOSPC while the second notebook is written: exit 2, one line naming the file and what
    finished; that notebook and its results file stay as they were."""
    results = tmp_path / "results" / "full"
    results.mkdir(parents=True)
    (results / "Q9.json").write_text('{"earlier": "run"}\n')
    before = {p: p.read_bytes() for p in [*bare.iterdir(), results / "Q9.json"]}

    def fake_execute(path, timeout, env):
        if path.name.startswith("Q9"):
            (results / "Q9.json").write_text('{"this": "run"}\n')  # what its last cell records
        return True, "", 0.1, nbformat.read(path, as_version=4)

    real_fsync = os.fsync

    def fsync(fd):
        if Path(os.readlink(f"/proc/self/fd/{fd}")).name.startswith(".Q9_second"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(runner, "execute", fake_execute)
    monkeypatch.setattr(files.os, "fsync", fsync)
    assert cli.main(["run", "--notebooks", str(bare), "--in-place", "--profile", "full"]) == 2
    line = _one_line(capsys)
    assert "could not write nbs/Q9_second.ipynb: No space left on device" in line
    assert "Finished before it: Q8" in line
    for path, content in before.items():
        if path.name != "Q8_first.ipynb":
            assert path.read_bytes() == content, path
    assert not [p for p in bare.iterdir() if p.name.startswith(".")]  # no temporary left


def test_results_snapshot_puts_back_what_was_there(tmp_path):
    path = tmp_path / "Q9.json"
    snapshot = guard.ResultsSnapshot(path)
    path.write_text("new")
    assert snapshot.restore() and not path.exists()  # there was none
    path.write_text("old")
    snapshot = guard.ResultsSnapshot(path)
    assert not snapshot.restore()  # unchanged: nothing to do
    path.write_text("new")
    assert snapshot.restore() and path.read_text() == "old"


def test_a_dead_kernels_note_names_the_signal_the_cause_and_the_log(tmp_path, monkeypatch):
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    log = tmp_path / "build" / "logs" / "Q4.kernel.log"
    note = guard.death_note(-9, log)
    assert "killed by signal 9 SIGKILL" in note and "out-of-memory" in note
    assert "build/logs/Q4.kernel.log" in note and "--profile quick" in note
    assert "exited with status 3" in guard.death_note(3, log)
    assert "out-of-memory" not in guard.death_note(-11, log)
    log.parent.mkdir(parents=True)
    log.write_text("oneDNN custom operations are on\nreal problem\n\nlast line\n")
    assert guard.log_tail(log) == ["real problem", "last line"]
    assert guard.log_tail(tmp_path / "missing.log") == []


def test_held_interrupt_delivers_ctrl_c_after_the_block(tmp_path):
    # Python's own Ctrl-C handler, whatever an earlier test in this worker left installed
    # (an ignored SIGINT would rightly be passed on as ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _held_interrupt_raises_after_the_block()
    finally:
        signal.signal(signal.SIGINT, previous)


def _held_interrupt_raises_after_the_block():
    done = []
    with pytest.raises(KeyboardInterrupt):
        with guard.held_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.1)
            done.append("written")  # not cut short
    assert done == ["written"]


@pytest.mark.parametrize(
    "command",
    [["list"], ["brief"], ["claims"], ["book"], ["run", "Q4"], ["results", "--update-readme"]],
)
def test_a_missing_folder_under_the_root_is_one_line(tmp_path, monkeypatch, capsys, command):
    """Every command pointed at a bare DLHW_ROOT names the missing folder in one line."""
    monkeypatch.setenv("DLHW_ROOT", str(tmp_path))
    for name in ("DLHW_RESULTS_DIR", "DLHW_RECORD_DIR", "DLHW_BUILD_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(command) == 2
    assert "notebooks" in _one_line(capsys)
