"""What `dlhw run` must not lose when a user presses Ctrl-C, a kernel dies or a disk fills up.

A notebook and its results are committed together with Ctrl-C held back, so an interrupt
lands before or after, never between; a question whose notebook did not finish gets its
results file back as it was; a kernel's own stderr (TensorFlow's start-up lines, its
tracebacks on shutdown) goes to a log beside the executed copies instead of the console, and
is quoted when that kernel dies; and every notebook and folder a run needs is checked before a
kernel starts, so a bad file costs a line, not a half-done run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dlhw import files, paths
from dlhw.errors import DlhwError

# Lines a kernel writes to its stderr on every start, which say nothing about a failure.
_START_UP_NOISE = (
    "oneDNN custom operations",
    "absl::InitializeLog",
    "cpu_feature_guard",
    "This TensorFlow binary is optimized",
    "To enable the following instructions",
    "rebuild TensorFlow with the appropriate compiler flags",
    "Unable to register cu",
    "computation placer already registered",
    "could not find cuda drivers",
)


class GuardError(DlhwError):
    """A notebook or folder `dlhw run` cannot use, found before any kernel starts."""


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def held_interrupt() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) back while the block writes files; a Ctrl-C pressed meanwhile
    arrives when the block ends (as KeyboardInterrupt, or whatever the handler before it
    does), so no write is left half done. A Python-level handler, not a blocked signal mask:
    the signal may land on any thread, but Python runs its handlers in the main thread."""
    if not _main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(signal.SIGINT, None)
        elif received and previous == signal.SIG_DFL:
            raise KeyboardInterrupt


@contextmanager
def own_interrupt_handler() -> Iterator[None]:
    """Give back, when the block ends, the Ctrl-C handling it started with (nbclient and
    `ignore_interrupts` change it on the way), so a caller in the same process is unaffected."""
    previous = signal.getsignal(signal.SIGINT) if _main_thread() else None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def ignore_interrupts() -> None:
    """Once a run is stopping, further Ctrl-Cs only repeat the request: ignore them, so the
    clean-up (kernel shutdown, restored results, the closing line) is not cut short; and
    silence asyncio's "Task exception was never retrieved" reports of nbclient's kernel tasks,
    which the stop cancels mid-flight (the run's own line says what happened)."""
    import logging

    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    if _main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


class ResultsSnapshot:
    """A question's results file as it was before its notebook ran, to be put back when that
    notebook does not finish (interrupted or failed): results and notebook change together."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.before = self.path.read_bytes() if self.path.is_file() else None

    def changed(self) -> bool:
        now = self.path.read_bytes() if self.path.is_file() else None
        return now != self.before

    def restore(self) -> bool:
        """Put the file back as it was; return whether anything had changed."""
        if not self.changed():
            return False
        if self.before is None:
            self.path.unlink(missing_ok=True)
        else:
            files.atomic_write_text(self.path, self.before.decode("utf-8"))
        return True


def log_dir() -> Path:
    """The folder of the kernels' logs: `build/logs/`."""
    return paths.build_dir() / "logs"


def kernel_log(notebook: Path) -> Path:
    """Where a notebook's kernel writes its stderr: `build/logs/<notebook>.kernel.log`."""
    return log_dir() / f"{Path(notebook).stem}.kernel.log"


def log_tail(log: Path, lines: int = 6) -> list[str]:
    """The last `lines` lines of a kernel log that are not its start-up noise."""
    try:
        text = Path(log).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    kept = [
        line
        for line in text.splitlines()
        if line.strip() and not any(noise in line for noise in _START_UP_NOISE)
    ]
    return kept[-lines:]


def death_note(returncode: int | None, log: Path) -> str:
    """One line on a kernel that died: how it ended, its likely cause, what to try."""
    shown = paths.relative(log)
    if returncode is not None and returncode < 0:
        name = signal.Signals(-returncode).name if -returncode in _signal_numbers() else ""
        how = f"was killed by signal {-returncode} {name}".rstrip()
    elif returncode is not None:
        how = f"exited with status {returncode}"
    else:
        how = "stopped answering"
    cause = (
        "most often the out-of-memory killer: the machine ran out of memory"
        if returncode in (-signal.SIGKILL, None)
        else "a crash in native code or an exit from inside the notebook"
    )
    return (
        f"  the kernel {how} ({cause}). Its stderr is in {shown}. Try closing other "
        "programs, running one question at a time, or a smaller profile (--profile quick)."
    )


def _signal_numbers() -> set[int]:
    return {int(item) for item in signal.Signals}


def check_notebooks(chosen: dict[str, Path]) -> None:
    """Refuse, before any kernel starts, a chosen notebook that is not valid notebook JSON or
    lacks its title cell (a markdown heading first), naming the file and the fix."""
    import nbformat

    for path in chosen.values():
        shown = paths.relative(path)
        restore = f"restore it with `git checkout -- {shown}` or fix it by hand"
        try:
            notebook = nbformat.read(path, as_version=4)
            nbformat.validate(notebook)
        except OSError as exc:
            raise GuardError(f"cannot read {shown}: {exc.strerror}.") from None
        except Exception as exc:  # NotJSONError, a JSON or schema error: a damaged file
            reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
            raise GuardError(f"{shown} is not a valid notebook ({reason}); {restore}.") from None
        cells = notebook.get("cells") or []
        first = cells[0] if cells else None
        if first is None or first.get("cell_type") != "markdown" or not _heading(first):
            raise GuardError(
                f"{shown} has no title cell (a markdown cell starting with '# ' first); {restore}."
            )


def _heading(cell) -> bool:
    return any(line.startswith("#") for line in str(cell.get("source", "")).splitlines())


def check_writable(*folders: Path) -> None:
    """Refuse, before any kernel starts, a folder a run must write into but cannot (missing
    and not creatable, read-only, or full), naming it and the fix."""
    for folder in folders:
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".dlhw-write-check-"):
                pass
        except OSError as exc:
            raise GuardError(
                f"cannot write into {paths.relative(folder)}: {exc.strerror or exc}. Make it "
                "writable (or free some space), or choose another folder (--output-dir)."
            ) from None


def write_failed(target: Path, exc: OSError, finished: list[str]) -> GuardError:
    """The one-line error for a write that failed mid-run (a full disk, a folder made
    read-only); the file it was replacing is whole, since every write is atomic."""
    done = ", ".join(finished) or "none"
    return GuardError(
        f"could not write {paths.relative(target)}: {exc.strerror or exc}; the file there is "
        f"unchanged. Finished before it: {done}. Free some space or fix the folder's "
        "permissions, then run the rest again."
    )


def kill_process_group(process) -> None:
    """Kill a kernel process left alive (its own session, so its children with it)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(os.getpgid(process.pid), signal.SIGKILL)
    except (OSError, AttributeError):
        process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # a process that will not die is the OS's to reap
        pass
