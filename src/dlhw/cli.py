"""Command line: `dlhw run`, `list`, `results`, `brief`, `claims`, `tune` (or `python -m dlhw`).

`dlhw run` executes each question notebook in a fresh kernel with nbclient (`dlhw.runner`),
shows progress per notebook and per cell, carries on past a failing notebook, and ends with the
results table. This module only turns flags into calls and prints; errors become one line.
`dlhw tune` runs the Q1 search in one process, or as the chief or a worker of a distributed
search (see `dlhw.tuning.distributed`), and writes the best hyperparameters and the trials to JSON.
Heavy libraries are imported inside the commands, so `dlhw --help` answers at once.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from contextlib import nullcontext
from dataclasses import fields
from pathlib import Path

from dlhw import files, paths, profiles, runner, tuning
from dlhw.checks import non_negative_int
from dlhw.errors import DlhwError
from dlhw.runner import CELL_TIMEOUT, discover

FIRST_LOOK = "quick"  # the profile of `dlhw run` without --profile or DLHW_PROFILE


class CliError(DlhwError):
    """A usage problem reported as one line, without a traceback."""


def cmd_run(args: argparse.Namespace) -> int:
    # A newcomer's `dlhw run Q7` is a first look (quick); `--in-place` refreshes the committed
    # notebooks, which hold the full profile's outputs.
    fallback = profiles.DEFAULT if args.in_place else FIRST_LOOK
    profile = profiles.get(args.profile or os.environ.get(profiles.ENV_VAR) or fallback)
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
    chosen = runner.select(discover(Path(args.notebooks)), args.questions)
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
    lock = runner.refresh_lock(paths.build_dir()) if args.in_place else nullcontext()
    with lock:
        return runner.run_all(
            chosen,
            profile=profile.name,
            env=env,
            record_dir=record_dir,
            timeout=args.timeout,
            in_place=args.in_place,
            output_dir=Path(args.output_dir),
        )


def cmd_brief(args: argparse.Namespace) -> int:
    import nbformat

    folder = paths.results_dir() / profiles.DEFAULT
    for question, path in discover(Path(args.notebooks)).items():
        recorded = folder / f"{question}.json"
        if not recorded.is_file():
            print(f"{question}: no {recorded}; brief left as it is", file=sys.stderr)
            continue
        notebook = nbformat.read(path, as_version=4)
        changed = runner.render_brief(question, notebook, recorded)
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
    from dlhw import claims, ledger_check

    verdicts = claims.check_project()
    print(claims.report(verdicts, verbose=not args.quiet))
    words = ledger_check.check_words()
    for line in words:
        print(line)
    print(
        f"{len(words)} problems with verdicts, generated text or narration "
        "(stale cell 1 or README answers, a quoted verdict its numbers contradict, history)."
    )
    return 1 if words or any(v.matched is None for v in verdicts) else 0


def cmd_list(args: argparse.Namespace) -> int:
    for question, path in discover(Path(args.notebooks)).items():
        print(f"{question}  {path.name}  {runner.title(path)}")
    return 0


def cmd_results(args: argparse.Namespace) -> int:
    from dlhw import declarations, results

    name = profiles.get(args.profile).name
    if args.local and args.update_readme:
        raise CliError("--update-readme shows the committed results; drop --local.")
    folder = paths.run_results_dir() if args.local else paths.results_dir()
    labels = {q: {m.name: m.label for m in d.metrics} for q, d in declarations.ALL.items()}
    table = results.markdown_table(name, folder=folder, labels=labels)
    kind = "your own runs" if args.local else "the committed results"
    print(f"{kind}: {folder / name}", file=sys.stderr)
    if args.update_readme:
        from dlhw import briefs

        names = {q: p.name for q, p in discover(paths.notebooks_dir()).items()}
        written = briefs.update_pages(
            paths.project_root(), table, results.load_all(name, folder), names
        )
        print(f"updated {' and '.join(str(p) for p in written)}")
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


def _as_flags(message: str) -> str:
    """A `dlhw.tuning` message with the settings fields it names (`field`, field=value)
    written as this command's flags (--field, --field value)."""
    flags = {f.name: "--" + f.name.replace("_", "-") for f in fields(tuning.TuneSettings)}
    names = "|".join(flags)

    def valued(match: re.Match) -> str:
        return flags[match[1]] if match[3] == "True" else f"{flags[match[1]]} {match[3]}"

    message = re.sub(rf"\b({names})=('?)([^'\s,;)]*)\2", valued, message)
    return re.sub(rf"`({names})`", lambda match: flags[match[1]], message)


def cmd_tune(args: argparse.Namespace) -> int:
    names = [f.name for f in fields(tuning.TuneSettings)]
    settings = tuning.TuneSettings(**{name: getattr(args, name) for name in names})
    try:
        result, output = tuning.tune(settings)
    except DlhwError as exc:
        raise CliError(_as_flags(str(exc))) from exc
    if result is not None:  # a worker writes nothing: the chief does
        print(
            f"best {result['objective']} {result['best_score']} "
            f"({result['completed']} completed, {result['failed']} failed) -> {output}"
        )
    return 0


def _non_negative_int(text: str) -> int:
    """argparse type: an integer >= 0 (a seed), checked by `checks.non_negative_int`."""
    try:
        return non_negative_int(int(text), "the value")
    except ValueError:  # not an integer, or one below 0
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None


def _add_distributed_flags(dist, d) -> None:
    """The `distributed search` flags of `dlhw tune`, defaults from `TuneSettings` `d`."""
    dist.add_argument("--role", choices=["chief", "worker"], help="omit for a one-process search")
    dist.add_argument("--port", type=int, help="chief: port to listen on")
    dist.add_argument(
        "--host",
        help="chief: address to bind (default 127.0.0.1; 0.0.0.0 for workers on other machines)",
    )
    dist.add_argument("--chief", metavar="HOST:PORT", help="worker: the chief's address")
    dist.add_argument("--worker-id", type=int, help="worker: a number unique among the workers")
    seconds = {
        "--worker-timeout": (
            d.worker_timeout,
            "chief: seconds without heartbeat before a worker is lost",
        ),
        "--heartbeat": (d.heartbeat, "worker: seconds between heartbeats"),
        "--connect-timeout": (d.connect_timeout, "worker: seconds to wait for the chief"),
    }
    for flag, (default, text) in seconds.items():
        dist.add_argument(flag, type=float, default=default, help=f"{text} (default {default:g})")


def _add_tune_parser(sub) -> None:
    """`dlhw tune`: one flag per `tuning.TuneSettings` field, with its defaults."""
    d = tuning.TuneSettings()
    tune = sub.add_parser(
        "tune",
        help="run the Q1 search outside a notebook: alone, or as a chief or a worker",
        description="Run the Q1 KerasTuner search (the notebook's hypermodel and data). "
        "Alone by default; for a distributed search start one `--role chief --port P` and "
        "any number of `--role worker --chief HOST:P --worker-id N` sharing --directory.",
    )
    tune.add_argument(
        "--kind", default=d.kind, choices=tuning.KINDS, help=f"tuner (default: {d.kind})"
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
        "--seed", type=_non_negative_int, default=d.seed, help="seed of the tuner and of Keras"
    )
    tune.add_argument("--overwrite", action="store_true", help="start afresh instead of resuming")
    tune.add_argument(
        "--max-retries",
        type=int,
        default=d.max_retries,
        help=f"reruns of a trial that crashed or lost its worker (default: {d.max_retries})",
    )
    tune.add_argument(
        "--strategy",
        default=d.strategy,
        choices=tuning.STRATEGIES,
        help="tf.distribute strategy per trial (auto: MirroredStrategy on >= 2 GPUs)",
    )
    _add_distributed_flags(tune.add_argument_group("distributed search"), d)
    tune.set_defaults(func=cmd_tune)


NOTEBOOKS_HELP = "folder of the Q<n>_*.ipynb notebooks (default: notebooks/)"


def _add_notebooks_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notebooks", default=str(paths.notebooks_dir()), help=NOTEBOOKS_HELP)


def _add_run_parser(sub) -> None:
    run = sub.add_parser("run", help="execute notebooks and print the results table")
    run.add_argument("questions", nargs="*", help="questions to run, e.g. Q7 Q3 (default: all)")
    run.add_argument(
        "--profile",
        choices=list(profiles.PROFILES),
        help=f"run sizes (default: ${profiles.ENV_VAR}, else {FIRST_LOOK}; with --in-place "
        f"{profiles.DEFAULT}, and another profile needs --force)",
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
    _add_notebooks_flag(run)
    run.set_defaults(func=cmd_run)


def _add_list_parser(sub) -> None:
    lst = sub.add_parser("list", help="list the notebooks and their questions")
    _add_notebooks_flag(lst)
    lst.set_defaults(func=cmd_list)


def _add_results_parsers(sub) -> None:
    """`results` (the table, the README) and `compare` (two folders of results)."""
    res = sub.add_parser("results", help="print the recorded results as a markdown table")
    res.add_argument("--profile", default="full", choices=list(profiles.PROFILES))
    res.add_argument(
        "--update-readme",
        action="store_true",
        help="rewrite the README's answers and docs/metrics.md's table",
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


def _add_page_parsers(sub) -> None:
    """`brief`, `book` and `claims`: what graders read, rendered and checked."""
    brief = sub.add_parser(
        "brief", help="re-render each notebook's Answer in brief from results/full/"
    )
    _add_notebooks_flag(brief)
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


def build_parser() -> argparse.ArgumentParser:
    """The `dlhw` command line: one sub-command a job; each adds its own flags."""
    parser = argparse.ArgumentParser(
        prog="dlhw", description="Run and check the deep-learning homework notebooks."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (
        _add_run_parser,
        _add_list_parser,
        _add_results_parsers,
        _add_page_parsers,
        _add_tune_parser,
    ):
        add(sub)
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
