"""Command line: `dlhw run`, `list`, `results`, `brief`, `claims`, `tune` (or `python -m dlhw`).

`dlhw run` executes each question notebook in a fresh kernel with nbclient, shows progress per
notebook and per cell, carries on past a failing notebook, and ends with the results table.
`dlhw tune` runs the Q1 search in one process, or as the chief or a worker of a distributed
search (see `dlhw.distributed`), and writes the best hyperparameters and the trials to JSON.
Heavy libraries are imported inside the commands, so `dlhw --help` answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from dlhw import files, paths, profiles
from dlhw.errors import DlhwError

README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"
_NOTEBOOK = re.compile(r"^(Q\d+)_.+\.ipynb$")

CELL_TIMEOUT = 3600  # seconds per cell: Q1's four searches took 40 minutes on 2 cores


class CliError(DlhwError):
    """A usage problem reported as one line, without a traceback."""


def discover(folder: Path) -> dict[str, Path]:
    """Return the question notebooks in `folder` (`Q<n>_<title>.ipynb`), keyed by question."""
    if not folder.is_dir():
        raise CliError(f"notebook folder {folder} does not exist.")
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
            raise CliError(f"no notebook for question {item!r}; available: {valid}.")
        chosen[key] = available[key]
    return chosen


def _title(path: Path) -> str:
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
    goes, so that a failed run never replaces a good one. Ctrl-C shuts the kernel down and
    propagates as KeyboardInterrupt."""
    import nbformat
    from nbclient import NotebookClient
    from tqdm.auto import tqdm

    notebook = nbformat.read(path, as_version=4)
    n_code = sum(1 for cell in notebook.cells if cell.cell_type == "code")
    bar = tqdm(total=n_code, desc=f"  {path.stem}", unit="cell", leave=False, file=sys.stderr)

    def advance(**_: object) -> None:
        bar.update(1)

    class LiveClient(NotebookClient):
        """Shows the notebook's own printed lines (trials, epochs) under the bar as they come,
        so that a cell running for minutes is seen to progress."""

        def output(self, outs, msg, display_id, cell_index):
            content = msg.get("content", {})
            if msg.get("msg_type") == "stream" and content.get("name") == "stdout":
                for line in content.get("text", "").splitlines():
                    if line.strip():
                        tqdm.write(f"    {line[:160]}", file=sys.stderr)
            return super().output(outs, msg, display_id, cell_index)

    client = LiveClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_executed=advance,
        extra_arguments=[
            # Load TensorFlow while the kernel starts, so that its C++ start-up lines (the
            # oneDNN notice, written before TF_CPP_MIN_LOG_LEVEL is read) stay out of the cells.
            "--IPKernelApp.exec_lines=import tensorflow",
            # No "running over TCP without encryption" warning on the console (loopback only).
            "--IPKernelApp.log_level=ERROR",
        ],
    )
    start = time.perf_counter()
    ok, error = True, ""
    try:
        client.execute(env=env)
    except KeyboardInterrupt:
        _shutdown(client)
        raise
    except Exception as exc:  # CellExecutionError, CellTimeoutError, DeadKernelError
        ok, error = False, _error_summary(notebook, exc)
    finally:
        bar.close()
    # While a kernel runs, nbclient 0.11 handles SIGINT and SIGTERM itself: it shuts the
    # kernel down, records that here, and reports the running cell as failed. That is an
    # interrupt, not a failed notebook: pass it on as one.
    if getattr(client, "_async_cleanup_kernel_future", None) is not None:
        raise KeyboardInterrupt
    return ok, error, time.perf_counter() - start, notebook


def _shutdown(client) -> None:
    """Stop the kernel of an interrupted run (nbclient may not get to it)."""
    from jupyter_core.utils import run_sync

    manager = getattr(client, "km", None)
    if manager is None:
        return
    try:
        run_sync(manager.shutdown_kernel)(now=True)
    except Exception:  # already gone
        pass


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
                raise CliError(
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
        raise CliError(f"could not take the refresh lock {lock}; remove it if no run is active.")
    try:
        yield lock
    finally:
        lock.unlink(missing_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    profile = profiles.get(args.profile or os.environ.get(profiles.ENV_VAR) or profiles.DEFAULT)
    if args.timeout is not None and args.timeout <= 0:
        raise CliError(f"--timeout must be a positive number of seconds, got {args.timeout}.")
    if args.force and not args.in_place:
        raise CliError("--force only applies to --in-place.")
    if args.in_place and profile.name != profiles.DEFAULT and not args.force:
        raise CliError(
            f"--in-place rewrites the committed notebooks, which hold the {profiles.DEFAULT} "
            f"profile's outputs (results/{profiles.DEFAULT}/ and the README describe them); "
            f"refusing to overwrite them with the {profile.name} profile. Drop --in-place to "
            f"get executed copies in build/notebooks/, or add --force to overwrite anyway."
        )
    chosen = select(discover(Path(args.notebooks)), args.questions)
    if not chosen:
        raise CliError(f"no question notebooks (Q<n>_*.ipynb) in {args.notebooks}.")
    # Only a full refresh in place records into the committed results/; every other run
    # records under build/results/, so it never changes what the README describes.
    record_dir = paths.results_dir() if args.in_place else paths.run_results_dir()
    env = {
        **os.environ,
        profiles.ENV_VAR: profile.name,
        paths.RECORD_ENV: str(record_dir),
        # Level 3 drops TensorFlow's C++ log below FATAL: with op determinism on, every fit
        # logs a harmless "NodeDef mentions attribute use_unbounded_threadpool" error line.
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3"),
    }
    lock = refresh_lock(paths.build_dir()) if args.in_place else nullcontext()
    with lock:
        return _run_all(args, profile.name, chosen, env, record_dir)


def _run_all(args, profile: str, chosen: dict[str, Path], env, record_dir: Path) -> int:
    from tqdm.auto import tqdm

    from dlhw import results

    failed, done = {}, []
    print(f"Profile {profile}: running {', '.join(chosen)}", file=sys.stderr)
    failed_dir = paths.build_dir() / "notebooks"
    try:
        for question, path in tqdm(chosen.items(), desc="notebooks", unit="nb", file=sys.stderr):
            started = time.time()
            ok, error, seconds, notebook = execute(path, args.timeout, env)
            recorded = record_dir / profile / f"{question}.json"
            if ok and recorded.is_file() and recorded.stat().st_mtime >= started:
                _brief(question, notebook, recorded)
            if args.in_place and not ok:
                target = failed_dir / path.name
                note = f"; {path} left unchanged, the failed run's copy is {target}"
            else:
                target, note = (path if args.in_place else Path(args.output_dir) / path.name), ""
            files.atomic_write_notebook(notebook, target)
            status = "ok" if ok else "FAILED"
            tqdm.write(f"{question} {status} in {seconds:.0f} s -> {target}{note}", file=sys.stderr)
            done.append(question)
            if not ok:
                failed[question] = error
                tqdm.write(error, file=sys.stderr)
    except KeyboardInterrupt:
        rest = [q for q in chosen if q not in done]
        print(
            f"\ninterrupted: finished {', '.join(done) or 'none'}; not finished "
            f"{', '.join(rest)} (their notebooks and results are as they were).",
            file=sys.stderr,
        )
        return 130
    print(results.markdown_table(profile, questions=chosen, stale=failed, folder=record_dir))
    print(f"results recorded in {record_dir}", file=sys.stderr)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _brief(question: str, notebook, recorded: Path) -> bool:
    """Render `question`'s "Answer in brief" from the results file `recorded` into
    `notebook`; a question without a template is left alone. Returns whether it changed."""
    from dlhw import briefs

    if question not in briefs.TEMPLATES:
        return False
    source = paths.relative(recorded)
    metrics = briefs.load_payload(recorded)["metrics"]
    return briefs.set_brief(notebook, briefs.render_brief(question, metrics, str(source)))


def cmd_brief(args: argparse.Namespace) -> int:
    import nbformat

    folder = paths.results_dir() / profiles.DEFAULT
    for question, path in discover(Path(args.notebooks)).items():
        recorded = folder / f"{question}.json"
        if not recorded.is_file():
            print(f"{question}: no {recorded}; brief left as it is", file=sys.stderr)
            continue
        notebook = nbformat.read(path, as_version=4)
        changed = _brief(question, notebook, recorded)
        if changed:
            files.atomic_write_notebook(notebook, path)
        print(f"{question}: {'rendered' if changed else 'unchanged'} -> {path}", file=sys.stderr)
    return 0


def cmd_book(args: argparse.Namespace) -> int:
    from dlhw import book

    index = book.build(Path(args.output) if args.output else None)
    print(f"book written: open {index}")
    return 0


def cmd_claims(args: argparse.Namespace) -> int:
    from dlhw import claims

    verdicts = claims.check_project()
    print(claims.report(verdicts, verbose=not args.quiet))
    return 1 if any(v.matched is None for v in verdicts) else 0


def cmd_list(args: argparse.Namespace) -> int:
    for question, path in discover(Path(args.notebooks)).items():
        print(f"{question}  {path.name}  {_title(path)}")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from dlhw import results

    name = profiles.get(args.profile).name
    if args.local and args.update_readme:
        raise CliError("--update-readme shows the committed results; drop --local.")
    folder = paths.run_results_dir() if args.local else paths.results_dir()
    table = results.markdown_table(name, folder=folder)
    kind = "your own runs" if args.local else "the committed results"
    print(f"{kind}: {folder / name}", file=sys.stderr)
    if args.update_readme:
        readme = paths.project_root() / "README.md"
        text = readme.read_text(encoding="utf-8")
        if README_START not in text or README_END not in text:
            raise CliError(f"{readme} has no {README_START} ... {README_END} section.")
        head, rest = text.split(README_START, 1)
        _, tail = rest.split(README_END, 1)
        text = f"{head}{README_START}\n{table}{README_END}{tail}"
        text = _readme_questions(text, name, folder)
        files.atomic_write_text(readme, text)
        print(f"updated {readme}")
    else:
        print(table, end="")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from dlhw import results

    sides = []
    for folder in (Path(args.first), Path(args.second)):
        found = results.load_all(args.profile, folder)
        if not found:
            raise CliError(f"{folder / args.profile} holds no recorded results.")
        sides.append(found)
    problems, compared = results.compare(*sides)
    for line in problems:
        print(line)
    verdict = "differ" if problems else "agree"
    print(
        f"{args.first} and {args.second} ({args.profile}): {compared} non-timing values "
        f"compared, {len(problems)} differences: the results {verdict}."
    )
    return 1 if problems else 0


def _readme_questions(text: str, profile: str, folder: Path) -> str:
    """Replace the README's questions section with the briefs rendered from `folder`."""
    from dlhw import briefs, results

    if briefs.README_START not in text or briefs.README_END not in text:
        raise CliError(f"README.md has no {briefs.README_START} ... {briefs.README_END} section.")
    names = {q: p.name for q, p in discover(paths.notebooks_dir()).items()}
    section = briefs.render_readme(results.load_all(profile, folder), names)
    head, rest = text.split(briefs.README_START, 1)
    _, tail = rest.split(briefs.README_END, 1)
    return f"{head}{briefs.README_START}\n{section}{briefs.README_END}{tail}"


TUNER_KINDS = ("random", "grid", "bayesian", "hyperband")  # dlhw.tuning.KINDS, without Keras


def _tune_checks(args: argparse.Namespace, role) -> None:
    """Refuse option values and combinations that would fail later, or hang."""
    for name in ("trials", "budget_epochs", "max_epochs"):
        value = getattr(args, name)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            raise CliError(f"{flag} must be a positive integer, got {value}.")
    if args.max_retries < 0:
        raise CliError(f"--max-retries must be >= 0, got {args.max_retries}.")
    for name in ("worker_timeout", "heartbeat", "connect_timeout"):
        if getattr(args, name) <= 0:
            flag = "--" + name.replace("_", "-")
            raise CliError(
                f"{flag} must be a positive number of seconds, got {getattr(args, name)}."
            )
    if args.heartbeat * 2 > args.worker_timeout:
        raise CliError(
            f"--worker-timeout ({args.worker_timeout} s) must be at least twice --heartbeat "
            f"({args.heartbeat} s), or live workers would be declared lost."
        )
    if role.name == "worker":
        if args.overwrite:
            raise CliError("--overwrite is for the chief (or a local search), not a worker.")
        if args.output is not None:
            raise CliError("--output is written by the chief (or a local search), not a worker.")


def cmd_tune(args: argparse.Namespace) -> int:
    from dlhw import distributed

    profile = profiles.get(args.profile or os.environ.get(profiles.ENV_VAR) or profiles.DEFAULT)
    try:
        role = distributed.make_role(
            args.role, port=args.port, chief=args.chief, worker_id=args.worker_id, host=args.host
        )
    except distributed.DistributedError as exc:
        raise CliError(str(exc)) from exc
    _tune_checks(args, role)
    if role.name == "chief":  # before the slow imports, so that a busy port fails at once
        try:
            distributed.check_port_free(role.host, role.port)
        except distributed.DistributedError as exc:
            raise CliError(str(exc)) from exc
    budget = args.budget_epochs or profile.tuner_budget_epochs
    max_epochs = args.max_epochs or profile.tuner_max_epochs
    directory = Path(args.directory or paths.build_dir() / "tune" / profile.name)
    output = Path(args.output or directory / f"{args.kind}_result.json")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    settings = {
        "kind": args.kind,
        "profile": profile.name,
        "budget_epochs": budget,
        "max_epochs": max_epochs,
        "seed": args.seed,
        "max_trials": args.trials,
    }
    print(
        f"dlhw tune: {role.name} ({role.tuner_id}), {args.kind}, profile {profile.name}, "
        f"budget {budget} epochs, directory {directory}",
        file=sys.stderr,
    )

    from dlhw import repro, tuning

    repro.seed_everything(args.seed)
    strategy = None if role.name == "chief" else distributed.choose_strategy(args.strategy)

    def build_tuner():
        kwargs = {"max_retries_per_trial": args.max_retries, "distribution_strategy": strategy}
        if args.trials is not None:
            kwargs["max_trials"] = args.trials
        try:
            return tuning.make_tuner(
                args.kind,
                tuning.CNNHyperModel(),
                budget_epochs=budget,
                max_epochs=max_epochs,
                directory=directory,
                seed=args.seed,
                overwrite=args.overwrite and role.name != "worker",
                **kwargs,
            )
        except ValueError as exc:
            raise CliError(str(exc)) from exc

    search_args, search_kwargs = (), {}
    if role.name != "chief":  # the chief never trains, so it never loads data
        data = tuning.search_data(profile)
        search_args = (data.x_search, data.y_search)
        search_kwargs = {
            "validation_data": (data.x_val, data.y_val),
            "epochs": max_epochs,
            "verbose": 0,
        }
    start = time.perf_counter()
    try:
        result = distributed.run_search(
            build_tuner,
            role,
            settings=settings,
            search_args=search_args,
            search_kwargs=search_kwargs,
            resume=not args.overwrite,
            worker_timeout=args.worker_timeout,
            heartbeat=args.heartbeat,
            connect_timeout=args.connect_timeout,
        )
    except distributed.DistributedError as exc:
        raise CliError(str(exc)) from exc
    except Exception as exc:
        if type(exc).__module__.startswith("grpc"):  # the chief went away for too long
            raise CliError(f"lost the chief at {role.address}: {exc}") from exc
        raise
    if result is None:  # a worker: the chief writes the results
        return 0
    result = {
        "kind": args.kind,
        "role": role.name,
        "seconds": round(time.perf_counter() - start, 1),
        "settings": settings,
        **result,
    }
    files.atomic_write_text(output, json.dumps(result, indent=1, default=str))
    print(
        f"best {result['objective']} {result['best_score']} "
        f"({result['completed']} completed, {result['failed']} failed) -> {output}"
    )
    return 0


def _non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (a seed)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlhw", description="Run and check the deep-learning homework notebooks."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    notebooks_help = "folder of the Q<n>_*.ipynb notebooks (default: notebooks/)"
    default_nb = str(paths.notebooks_dir())

    run = sub.add_parser("run", help="execute notebooks and print the results table")
    run.add_argument("questions", nargs="*", help="questions to run, e.g. Q7 Q3 (default: all)")
    run.add_argument(
        "--profile",
        choices=list(profiles.PROFILES),
        help=f"run sizes (default: ${profiles.ENV_VAR} or {profiles.DEFAULT})",
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--in-place", action="store_true", help="rewrite the committed notebooks (maintainers)"
    )
    where.add_argument(
        "--output-dir",
        default=str(paths.build_dir() / "notebooks"),
        help="where executed copies go (default: build/notebooks/)",
    )
    run.add_argument(
        "--force",
        action="store_true",
        help="with --in-place: allow a profile other than full (overwrites the stored record)",
    )
    run.add_argument(
        "--timeout",
        type=int,
        default=CELL_TIMEOUT,
        help=f"seconds allowed per cell (default: {CELL_TIMEOUT}; Q1's full search cell took "
        "40 minutes on 2 cores)",
    )
    run.add_argument("--notebooks", default=default_nb, help=notebooks_help)
    run.set_defaults(func=cmd_run)

    lst = sub.add_parser("list", help="list the notebooks and their questions")
    lst.add_argument("--notebooks", default=default_nb, help=notebooks_help)
    lst.set_defaults(func=cmd_list)

    res = sub.add_parser("results", help="print the recorded results as a markdown table")
    res.add_argument("--profile", default="full", choices=list(profiles.PROFILES))
    res.add_argument(
        "--update-readme", action="store_true", help="rewrite the README's results section"
    )
    res.add_argument(
        "--local",
        action="store_true",
        help="show what your own runs recorded (build/results/) instead of the committed ones",
    )
    res.set_defaults(func=cmd_results)

    comp = sub.add_parser(
        "compare",
        help="compare two folders of recorded results, timings excepted (exit 1 on a difference)",
    )
    comp.add_argument("first", help="a results folder, such as build/results")
    comp.add_argument("second", help="another results folder")
    comp.add_argument("--profile", default="smoke", choices=list(profiles.PROFILES))
    comp.set_defaults(func=cmd_compare)

    brief = sub.add_parser(
        "brief", help="re-render each notebook's Answer in brief from results/full/"
    )
    brief.add_argument("--notebooks", default=default_nb, help=notebooks_help)
    brief.set_defaults(func=cmd_brief)

    book = sub.add_parser(
        "book", help="render the committed notebooks to static HTML with an index (offline)"
    )
    book.add_argument("--output", help="folder of the book (default: build/book/)")
    book.set_defaults(func=cmd_book)

    claims = sub.add_parser(
        "claims",
        help="check every number quoted in the notebooks' prose and the README against the "
        "recorded results and printed outputs (exit 1 on any that does not trace)",
    )
    claims.add_argument("--quiet", action="store_true", help="list only what does not trace")
    claims.set_defaults(func=cmd_claims)

    tune = sub.add_parser(
        "tune",
        help="run the Q1 search outside a notebook: alone, or as a chief or a worker",
        description="Run the Q1 KerasTuner search (the notebook's hypermodel and data). "
        "Alone by default; for a distributed search start one `--role chief --port P` and "
        "any number of `--role worker --chief HOST:P --worker-id N` sharing --directory.",
    )
    tune.add_argument(
        "--kind", default="random", choices=TUNER_KINDS, help="tuner (default: random)"
    )
    tune.add_argument(
        "--profile",
        choices=list(profiles.PROFILES),
        help=f"data and epoch sizes (default: ${profiles.ENV_VAR} or {profiles.DEFAULT})",
    )
    tune.add_argument("--trials", type=int, help="trials to run (default: budget / max epochs)")
    tune.add_argument("--budget-epochs", type=int, help="epochs in total (default: the profile's)")
    tune.add_argument("--max-epochs", type=int, help="epochs of one trial (default: the profile's)")
    tune.add_argument(
        "--directory",
        help="tuning state, shared by chief and workers (default: build/tune/<profile>/)",
    )
    tune.add_argument("--output", help="result JSON (default: <directory>/<kind>_result.json)")
    tune.add_argument(
        "--seed", type=_non_negative_int, default=42, help="seed of the tuner and of Keras"
    )
    tune.add_argument("--overwrite", action="store_true", help="start afresh instead of resuming")
    tune.add_argument(
        "--max-retries",
        type=int,
        default=1,
        help="reruns of a trial that crashed or lost its worker (default: 1)",
    )
    tune.add_argument(
        "--strategy",
        default="auto",
        choices=["auto", "none", "mirrored"],
        help="tf.distribute strategy per trial (auto: MirroredStrategy on >= 2 GPUs)",
    )
    dist = tune.add_argument_group("distributed search")
    dist.add_argument("--role", choices=["chief", "worker"], help="omit for a one-process search")
    dist.add_argument("--port", type=int, help="chief: port to listen on")
    dist.add_argument(
        "--host",
        help="chief: address to bind (default 127.0.0.1; 0.0.0.0 for workers on other machines)",
    )
    dist.add_argument("--chief", metavar="HOST:PORT", help="worker: the chief's address")
    dist.add_argument("--worker-id", type=int, help="worker: a number unique among the workers")
    dist.add_argument(
        "--worker-timeout",
        type=float,
        default=60.0,
        help="chief: seconds without heartbeat before a worker is lost (default 60)",
    )
    dist.add_argument(
        "--heartbeat",
        type=float,
        default=5.0,
        help="worker: seconds between heartbeats (default 5)",
    )
    dist.add_argument(
        "--connect-timeout",
        type=float,
        default=600.0,
        help="worker: seconds to wait for the chief (default 600)",
    )
    tune.set_defaults(func=cmd_tune)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `dlhw` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DlhwError as exc:  # every error raised on purpose; its message says what to do
        print(f"dlhw: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
