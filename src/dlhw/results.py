"""Recorded metrics: `record("Q7", {...})` writes `<folder>/<profile>/Q7.json`.

The folder is `build/results/` for every run (a notebook in Jupyter, `dlhw run`), and the
committed `results/` only for the maintainers' refresh, `dlhw run --in-place` (see
`dlhw.paths.run_results_dir`). Files are written atomically.

Each file holds the question's metrics (exactly the keys its declaration lists, see
`dlhw.declare`), the profile, the wall time of the notebook (seconds since its kernel started)
and the library versions that produced it. The notebook passes its declaration: this module is
shared ground and imports no question.
"""

from __future__ import annotations

import json
import math
import platform
import re
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from dlhw import files, paths, profiles
from dlhw.declare import Declaration, DeclarationError
from dlhw.errors import DlhwError

_QUESTION = re.compile(r"^Q\d+$")
_IMPORT_TIME = time.time()


class ResultsError(DlhwError, ValueError):
    """Metrics that cannot be recorded (unknown question, missing keys, not JSON numbers)."""


def _plain(value: Any, where: str) -> Any:
    """Convert NumPy scalars/arrays to JSON types; reject NaN, infinities and objects."""
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(list(value))]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(float(value)):
            raise ResultsError(f"{where} is {value}: record finite numbers only.")
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise ResultsError(f"{where} has type {type(value).__name__}: record numbers, text or dicts.")


def wall_time_seconds() -> float:
    """Seconds since this process (the notebook's kernel) started."""
    try:
        import psutil

        return time.time() - psutil.Process().create_time()
    except Exception:  # psutil missing or restricted: fall back to dlhw's import time
        return time.time() - _IMPORT_TIME


def versions() -> dict[str, str]:
    """Versions of Python and of the libraries that produced a result."""
    found = {"python": platform.python_version()}
    for name, module in (
        ("tensorflow", "tensorflow"),
        ("keras", "keras"),
        ("keras_tuner", "keras_tuner"),
    ):
        try:
            found[name] = __import__(module).__version__
        except Exception:
            found[name] = "not installed"
    return found


def machine() -> dict[str, Any]:
    """Where a measurement ran: CPU count, platform, and the `versions()` of the libraries."""
    import os

    return {"cpu_count": os.cpu_count(), "platform": platform.platform(), **versions()}


def record(
    question: str,
    metrics: dict[str, Any],
    *,
    declared: Declaration,
    profile: str | None = None,
) -> Path:
    """Write `metrics` for `question` to `<run_results_dir>/<profile>/<question>.json`
    atomically; return the path. `declared` is the question's declaration
    (`dlhw.declarations.Q7`): a metric it lists but `metrics` lacks, or one it does not list,
    is an error here, before anything is written."""
    if not isinstance(question, str) or not _QUESTION.match(question):
        raise ResultsError(f"question must look like 'Q7', got {question!r}.")
    if not isinstance(metrics, dict):
        raise ResultsError(f"metrics must be a dict, got {type(metrics).__name__}.")
    if not isinstance(declared, Declaration) or declared.question != question:
        raise ResultsError(
            f"declared must be {question}'s declaration (dlhw.declarations.{question}), "
            f"got {getattr(declared, 'question', type(declared).__name__)!r}."
        )
    try:
        declared.check_metrics(metrics)
    except DeclarationError as exc:
        raise ResultsError(str(exc)) from None
    active = profiles.get(profile) if profile else profiles.current()
    payload = {
        "question": question,
        "profile": active.name,
        "wall_time_s": round(wall_time_seconds(), 1),
        "versions": versions(),
        "metrics": _plain(metrics, question),
    }
    out = paths.run_results_dir() / active.name / f"{question}.json"
    return files.atomic_write_text(out, json.dumps(payload, indent=2, sort_keys=False) + "\n")


def read_payload(path: Path) -> dict[str, Any]:
    """A results file as `record` wrote it; a ResultsError naming the file and the fix when it
    is not valid JSON or holds no `metrics` (a file cut short or edited by hand)."""
    fix = (
        f"restore it (`git checkout -- {path.name}` in its folder, for a committed file) or "
        f"re-run its notebook (`dlhw run {path.stem}`)."
    )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ResultsError(
            f"{path} is not valid JSON ({exc.msg}, line {exc.lineno}): {fix}"
        ) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("metrics"), dict):
        raise ResultsError(f"{path} holds no `metrics`: {fix}")
    return payload


def load_all(profile: str, folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Return the recorded payloads of `profile` in `folder` (default: the committed
    `results/`), keyed by question, in question order."""
    folder = (folder or paths.results_dir()) / profiles.get(profile).name
    found = {}
    files = [f for f in folder.glob("Q*.json") if _QUESTION.match(f.stem)]
    for file in sorted(files, key=lambda p: int(p.stem[1:])):
        found[file.stem] = read_payload(file)
    return found


def flatten(metrics: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """(name, value) pairs of nested metrics, names joined by dots."""
    rows = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(flatten(value, name + "."))
        else:
            rows.append((name, value))
    return rows


# Recorded values that measure time (and so differ from machine to machine and run to run).
TIMING = re.compile(
    r"(minutes|seconds|wall_time|speedup|latency|step_time|epoch_s|equal_positions_ratio"
    r"|projection_(ms|conv_ms|share))"
)


def compare(
    a: dict[str, dict[str, Any]],
    b: dict[str, dict[str, Any]],
    *,
    rtol: float = 1e-6,
    atol: float = 1e-6,
) -> tuple[list[str], int]:
    """Compare two `load_all` results, timings excepted: (differences, values compared).

    Numbers match within `rtol` (relative) or `atol` (absolute, for the ~1e-7 differences
    between two implementations, whose own last bits vary by library version); other values
    must be equal. A question or key present on one side only is a difference.
    """
    problems: list[str] = []
    compared = 0
    for question in sorted(set(a) | set(b), key=lambda q: int(q[1:])):
        if question not in a or question not in b:
            problems.append(f"{question}: recorded on one side only")
            continue
        left = dict(flatten(a[question]["metrics"]))
        right = dict(flatten(b[question]["metrics"]))
        for key in sorted(set(left) | set(right)):
            if TIMING.search(key):
                continue
            name = f"{question}.{key}"
            if key not in left or key not in right:
                problems.append(f"{name}: recorded on one side only")
                continue
            x, y = left[key], right[key]
            compared += 1
            if not _same(x, y, rtol, atol):
                problems.append(f"{name}: {fmt(x)} != {fmt(y)}")
    return problems, compared


def _same(x: Any, y: Any, rtol: float, atol: float) -> bool:
    """Numbers within the tolerances, lists element by element, anything else equal."""
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(_same(a, b, rtol, atol) for a, b in zip(x, y, strict=True))
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (x, y))
    return math.isclose(x, y, rel_tol=rtol, abs_tol=atol) if numbers else x == y


def fmt(value: Any) -> str:
    """A recorded value as the results table shows it (floats to 4 significant digits)."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def markdown_table(
    profile: str,
    questions: Iterable[str] | None = None,
    stale: Iterable[str] = (),
    folder: Path | None = None,
    labels: dict[str, dict[str, str]] | None = None,
) -> str:
    """A markdown table of the recorded metrics of `profile` (nested keys joined by dots).

    Read from `folder` (default: the committed `results/`). `questions` limits it to those
    questions; a question in `stale` is marked as an earlier result (its notebook failed in
    this run, so the file was not rewritten). `labels` (question -> metric -> label, from the
    declarations) adds a column with each top-level metric's human label.
    """
    payloads = load_all(profile, folder)
    if questions is not None:
        wanted = set(questions)
        payloads = {q: p for q, p in payloads.items() if q in wanted}
    if not payloads:
        return f"_No results recorded yet for the `{profile}` profile._\n"
    stale = set(stale)
    head = "| Question | Metric | Value |"
    lines = [head.replace(" Value |", " Meaning | Value |") if labels else head]
    lines.append("|---|---|---|---|" if labels else "|---|---|---|")

    def row(question: str, name: str, value: str, label: str = "") -> str:
        return (
            f"| {question} | {name} | {label} | {value} |"
            if labels
            else (f"| {question} | {name} | {value} |")
        )

    for question, payload in payloads.items():
        if question in stale:
            lines.append(row(question, "_stale: from an earlier run; this run failed_", ""))
        known = (labels or {}).get(question, {})
        for name, value in flatten(payload["metrics"]):
            lines.append(row(question, name, fmt(value), known.get(name.split(".")[0], "")))
        lines.append(row(question, "_notebook wall time (s)_", str(payload["wall_time_s"])))
    return "\n".join(lines) + "\n"
