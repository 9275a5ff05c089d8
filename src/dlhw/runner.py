"""Executing the question notebooks: find them, run each in a fresh kernel with progress and
the notebook's own lines live, never let a failed run replace a good notebook, and allow one
refresh of the committed notebooks at a time. `dlhw run` (in `dlhw.cli`) drives it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dlhw import files, guard, paths, profiles, runfile
from dlhw.errors import DlhwError

_NOTEBOOK = re.compile(r"^(Q\d+)_.+\.ipynb$")
CELL_TIMEOUT = 3600  # seconds per cell: Q1's four searches took 40 minutes on 2 cores


class RunError(DlhwError):
    """A missing notebook folder or question, or a refresh already running, said in one line."""


def discover(folder: Path) -> dict[str, Path]:
    """Return the question notebooks in `folder` (`Q<n>_<title>.ipynb`), keyed by question."""
    if not folder.is_dir():
        raise RunError(
            f"notebook folder {folder} does not exist; pass --notebooks with the folder of the "
            "Q<n>_*.ipynb notebooks, or run from a checkout (or set DLHW_ROOT to one)."
        )
    found = {}
    for path in folder.glob("Q*.ipynb"):
        match = _NOTEBOOK.match(path.name)
        if match:
            found[match.group(1)] = path
    return dict(sorted(found.items(), key=lambda item: int(item[0][1:])))


def select(available: dict[str, Path], wanted: list[str]) -> dict[str, Path]:
    """Pick the notebooks named in `wanted` ("Q7", "q7" or "7"); all of them when empty."""
    if not wanted:
        return available
    chosen = {}
    for item in wanted:
        key = "Q" + item.upper().lstrip("Q")
        if key not in available:
            valid = ", ".join(available) or "none"
            raise RunError(f"no notebook for question {item!r}; available: {valid}.")
        chosen[key] = available[key]
    return chosen


def title(path: Path) -> str:
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("# ").strip()
    return ""


def _error_summary(notebook, exc: Exception) -> str:
    """A few lines naming the failing cell and its error."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                source = cell.source.strip().splitlines()
                head = "\n".join("    " + line for line in source[:3])
                return (
                    f"  cell {index}:\n{head}\n  {output.get('ename')}: "
                    f"{str(output.get('evalue'))[:500]}"
                )
    return f"  {type(exc).__name__}: {str(exc).strip().splitlines()[-1][:500]}"


def execute(path: Path, timeout: int, env: dict[str, str]) -> tuple[bool, str, float, Any]:
    """Execute one notebook in a fresh kernel started with `env`.

    Returns (ok, error, seconds, notebook); the caller decides where the executed notebook
    goes, so that a failed run never replaces a good one. The kernel's stderr goes to its log
    (`guard.kernel_log`), quoted when the kernel dies. Ctrl-C at any moment (kernel start, a
    running cell) stops the kernel and propagates as KeyboardInterrupt."""
    import nbformat
    from tqdm.auto import tqdm

    notebook = nbformat.read(path, as_version=4)
    n_code = sum(1 for cell in notebook.cells if cell.cell_type == "code")
    bar = tqdm(total=n_code, desc=f"  {path.stem}", unit="cell", leave=False, file=sys.stderr)
    client = _client(notebook, path, timeout, on_cell_executed=lambda **_: bar.update(1))
    log = guard.kernel_log(path)
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    ok, error = True, ""
    try:
        with open(log, "w", encoding="utf-8") as stream:
            client.execute(env=env, stdout=stream, stderr=stream)
    except BaseException as exc:  # noqa: BLE001 - an interrupt may surface as any of them
        if _interrupted(client, exc):
            _shutdown(client)
            raise KeyboardInterrupt from None
        if not isinstance(exc, Exception):
            raise
        ok, error = False, _error_summary(notebook, exc)
        process = getattr(client, "kernel_process", None)
        if type(exc).__name__ == "DeadKernelError" and process is not None:
            error += "\n" + guard.death_note(process.poll(), log)
            error += "".join(f"\n    | {line[:160]}" for line in guard.log_tail(log))
    finally:
        bar.close()
    # While a kernel runs, nbclient 0.11 handles SIGINT and SIGTERM itself: it shuts the
    # kernel down, records that here, and reports the running cell as failed. That is an
    # interrupt, not a failed notebook: pass it on as one.
    if _interrupted(client, None):
        _shutdown(client)
        raise KeyboardInterrupt
    return ok, error, time.perf_counter() - start, notebook


def _client(notebook, path: Path, timeout: int, on_cell_executed):
    """An nbclient client that shows the notebook's own printed lines live and remembers its
    kernel's process (to report how a dead kernel ended, and to kill one left behind)."""
    from nbclient import NotebookClient
    from tqdm.auto import tqdm

    class LiveClient(NotebookClient):
        """Shows the notebook's own printed lines (trials, epochs) under the bar as they come,
        so that a cell running for minutes is seen to progress."""

        kernel_process = None

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg.get("msg_type") == "stream" and content.get("name") == "stdout":
                for line in content.get("text", "").splitlines():
                    if line.strip():
                        tqdm.write(f"    {line[:160]}", file=sys.stderr)
            return super().output(outs, msg, display_id, cell_index)

        async def async_start_new_kernel(self, **kwargs: Any) -> None:
            await super().async_start_new_kernel(**kwargs)
            self.kernel_process = getattr(getattr(self.km, "provisioner", None), "process", None)

    return LiveClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=on_cell_executed,
        extra_arguments=[
            # Load TensorFlow while the kernel starts, so that its C++ start-up lines (the
            # oneDNN notice, written before TF_CPP_MIN_LOG_LEVEL is read) stay out of the cells.
            "--IPKernelApp.exec_lines=import tensorflow",
            # No "running over TCP without encryption" warning on the console (loopback only).
            "--IPKernelApp.log_level=ERROR",
        ],
    )


def _interrupted(client, exc: BaseException | None) -> bool:
    """Whether a Ctrl-C (or SIGTERM) stopped this execution: raised as such, as the
    cancellation nbclient's own signal handler causes at kernel start, or recorded by it."""
    import asyncio

    if isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError)):
        return True
    return getattr(client, "_async_cleanup_kernel_future", None) is not None


def _shutdown(client) -> None:
    """Stop the kernel of an interrupted run (nbclient may not get to it), ignoring further
    Ctrl-Cs meanwhile; kill its process if it outlives the request."""
    from jupyter_core.utils import run_sync

    guard.ignore_interrupts()
    manager = getattr(client, "km", None)
    if manager is not None:
        try:
            run_sync(manager.shutdown_kernel)(now=True)
        except Exception:  # already gone
            pass
    guard.kill_process_group(getattr(client, "kernel_process", None))


@contextmanager
def refresh_lock(folder: Path) -> Iterator[Path]:
    """Hold `folder/refresh.lock` while the committed notebooks are refreshed; refuse when a
    live process holds it. A lock left by a process that died is taken over."""
    import psutil

    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / "refresh.lock"
    for _ in range(3):
        try:
            handle = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                holder = json.loads(lock.read_text(encoding="utf-8"))
                pid = int(holder["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                holder, pid = {}, -1
            if pid > 0 and pid != os.getpid() and psutil.pid_exists(pid):
                raise RunError(
                    f"another refresh is running on this tree: pid {pid}, started "
                    f"{holder.get('started', '?')}: {holder.get('command', '?')}. Wait for it "
                    f"to finish or stop it; its lock is {lock}."
                ) from None
            lock.unlink(missing_ok=True)  # left by a process that is gone
            continue
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(
                {
                    "pid": os.getpid(),
                    "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "command": " ".join(sys.argv),
                },
                stream,
            )
        break
    else:
        raise RunError(f"could not take the refresh lock {lock}; remove it if no run is active.")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def run_all(
    chosen: dict[str, Path],
    *,
    profile: str,
    env: dict[str, str],
    record_dir: Path,
    timeout: int = CELL_TIMEOUT,
    in_place: bool = False,
    output_dir: Path | None = None,
) -> int:
    """Execute the `chosen` notebooks one after the other, print the results table, and
    return the exit status (0, 1 when a notebook failed, 130 on Ctrl-C). With `in_place` an
    executed notebook replaces its source, unless it failed; otherwise copies go to
    `output_dir` (default build/notebooks/). A notebook and its results file change together:
    one that fails or is interrupted leaves both as they were."""
    failed_dir = paths.build_dir() / "notebooks"
    output_dir = failed_dir if output_dir is None else Path(output_dir)
    guard.check_notebooks(chosen)
    guard.check_writable(
        record_dir / profile,
        failed_dir,
        guard.log_dir(),
        *({path.parent for path in chosen.values()} if in_place else {output_dir}),
    )
    with guard.own_interrupt_handler():
        return _run_each(chosen, profile, env, record_dir, timeout, in_place, output_dir)


def _run_each(chosen, profile, env, record_dir, timeout, in_place, output_dir) -> int:
    from tqdm.auto import tqdm

    from dlhw import results

    failed, finished, seconds_by_question = {}, {}, {}
    failed_dir = paths.build_dir() / "notebooks"
    pending = None  # the results of the notebook now running, as they were before it
    load_at_start, run_started = runfile.load_average(), time.perf_counter()
    print(f"Profile {profile}: running {', '.join(chosen)}", file=sys.stderr)
    progress = tqdm(chosen.items(), desc="notebooks", unit="nb", file=sys.stderr)
    try:
        for question, path in progress:
            recorded = record_dir / profile / f"{question}.json"
            pending = guard.ResultsSnapshot(recorded)
            started = time.time()
            ok, error, seconds, notebook = execute(path, timeout, env)
            if ok and recorded.is_file() and recorded.stat().st_mtime >= started:
                try:
                    render_brief(question, notebook, recorded)
                except DlhwError as exc:  # the executed notebook is kept (as a failed run's)
                    ok, error = False, f"{question}: its cell 1 could not be rendered: {exc}"
            if in_place and not ok:
                target = failed_dir / path.name
                note = f"; {path} left unchanged, the failed run's copy is {target}"
            else:
                target, note = (path if in_place else output_dir / path.name), ""
            _commit(question, notebook, target, pending, ok, finished)
            pending = None
            seconds_by_question[question] = seconds
            status = "ok" if ok else "FAILED"
            tqdm.write(f"{question} {status} in {seconds:.0f} s -> {target}{note}", file=sys.stderr)
            if not ok:
                failed[question] = error
                tqdm.write(error, file=sys.stderr)
    except KeyboardInterrupt:
        guard.ignore_interrupts()
        progress.close()
        return _interrupted_report(chosen, finished, pending)
    print(results.markdown_table(profile, questions=chosen, stale=failed, folder=record_dir))
    for line in ledger_lines(chosen, record_dir / profile, failed):
        print(line)
    written = runfile.write(
        record_dir,
        profile,
        seconds_by_question,
        total_s=time.perf_counter() - run_started,
        failed=list(failed),
        load_at_start=load_at_start,
    )
    print(f"results recorded in {record_dir}; times in {paths.relative(written)}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _commit(question, notebook, target: Path, pending, ok: bool, finished: dict) -> None:
    """Write the executed notebook to `target` and note `question` as finished, with Ctrl-C
    held back until both are done; a failed notebook's results, and any results whose
    notebook cannot be written, are put back as they were."""
    with guard.held_interrupt():  # the notebook and its results, together
        try:
            if not ok:
                pending.restore()
            files.atomic_write_notebook(notebook, target)
        except OSError as exc:
            pending.restore()
            raise guard.write_failed(target, exc, list(finished)) from None
        finished[question] = target


def _interrupted_report(chosen, finished: dict[str, Path], pending) -> int:
    """After Ctrl-C: put back the results of the notebook that was running, and say in one
    line which notebooks finished (and where they went) and which did not."""
    if pending is not None:
        pending.restore()
    done = ", ".join(f"{q} (-> {paths.relative(target)})" for q, target in finished.items())
    rest = [q for q in chosen if q not in finished]
    print(
        f"\ninterrupted: finished {done or 'none'}; not finished {', '.join(rest) or 'none'}"
        " (their notebooks and results are as they were).",
        file=sys.stderr,
    )
    return 130


def render_brief(question: str, notebook, recorded: Path) -> bool:
    """Render `question`'s "Answer in brief" from the results file `recorded` into
    `notebook`; a question without a template is left alone. Returns whether it changed."""
    from dlhw import briefs, declarations

    if question not in declarations.ALL:
        return False
    source = paths.relative(recorded)
    payload = briefs.load_payload(recorded)
    return briefs.set_brief(notebook, briefs.render_brief(question, payload, str(source)))


def ledger_lines(chosen: dict[str, Path], folder: Path, failed: dict[str, str]) -> list[str]:
    """Per question this run recorded, its ledger's counts as that run's numbers give them,
    then, for a run of another profile than the committed one, each computed verdict beside the
    committed full run's: same, indistinguishable at this size, or differs."""
    from dlhw import briefs, declarations

    lines = []
    for question in chosen:
        recorded = folder / f"{question}.json"
        if question in failed or question not in declarations.ALL or not recorded.is_file():
            continue
        payload = briefs.load_payload(recorded)
        counts = briefs.counts(briefs.ledger(question, briefs.context(payload)))
        lines.append(f"{question}, the written answer checked: {counts}.")
        reference = paths.results_dir() / profiles.DEFAULT / f"{question}.json"
        if payload.get("profile") == profiles.DEFAULT or not reference.is_file():
            continue
        full = briefs.load_payload(reference)
        for claim, mine, theirs, status in briefs.against_reference(question, payload, full):
            lines.append(
                f"  {claim:6s} this run: {mine:18s} committed full run: {theirs:18s} {status}"
            )
    return lines
