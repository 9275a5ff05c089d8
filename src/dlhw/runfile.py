"""The run file: how long a `dlhw run` took, notebook by notebook, and on what.

`dlhw run` writes `<results folder>/<profile>/run.json` when every notebook it was asked for
has run (never on Ctrl-C): seconds per notebook, the total, the Python version, the CPU count,
the date and the load average when it started (a busy machine's times say little). The
maintainers commit a fresh clone's quick run as `results/run-quick.json`; the README's "how
long `make run` takes" line is rendered from it, so the time a newcomer is promised is one
that was measured.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from dlhw import files, paths
from dlhw.errors import DlhwError

NAME = "run.json"
COMMITTED = "run-quick.json"  # under results/: the fresh-clone quick run the README quotes
README_START, README_END = "<!-- quick-run:start -->", "<!-- quick-run:end -->"


class RunFileError(DlhwError):
    """A run file that cannot be read, named with what to do."""


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages, where the platform has them."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def write(
    folder: Path,
    profile: str,
    seconds: dict[str, float],
    *,
    total_s: float,
    failed: list[str],
    load_at_start: list[float] | None,
) -> Path:
    """Write the run file of a run that went to its end into `folder/<profile>/run.json`:
    `seconds` per notebook (its kernel's start included), `total_s` the whole run's."""
    payload = {
        "profile": profile,
        "seconds": {question: round(value, 1) for question, value in seconds.items()},
        "total_s": round(total_s, 1),
        "failed": failed,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load_average_at_start": load_at_start,
    }
    return files.atomic_write_text(
        Path(folder) / profile / NAME, json.dumps(payload, indent=2) + "\n"
    )


def read(path: Path) -> dict[str, Any]:
    """A run file as `write` left it; a RunFileError naming the file when it is damaged."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(payload, dict):
            raise ValueError("not a JSON object")
        payload["seconds"], payload["total_s"]  # noqa: B018 - the two fields rendered
    except (OSError, ValueError, KeyError) as exc:
        raise RunFileError(
            f"{paths.relative(Path(path))} is not a run file ({exc}); copy a fresh one from "
            f"build/results/quick/{NAME} after `make run`."
        ) from None
    return payload


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def render_readme_line(payload: dict[str, Any] | None) -> str:
    """The README's sentence on how long `make run` took, from the committed run file."""
    if payload is None:
        return f"`make run`'s time is not measured yet (no `results/{COMMITTED}`).\n"
    parts = ", ".join(f"{q} {round(s)} s" for q, s in payload["seconds"].items())
    load = payload.get("load_average_at_start")
    idle = f", load average {load[0]} when it started" if load else ""
    failed = payload.get("failed") or []
    note = f"; {', '.join(failed)} failed in that run" if failed else ""
    return (
        f"`make run` took {_duration(payload['total_s'])} from a fresh clone after `make install` "
        f"(the `{payload['profile']}` profile: {parts}; {payload['cpu_count']} CPUs, Python "
        f"{payload['python']}{idle}{note}; `results/{COMMITTED}`). `make full` takes hours on "
        "a CPU: see [docs/notebooks.md](docs/notebooks.md).\n"
    )


def committed() -> dict[str, Any] | None:
    """The committed quick run (`results/run-quick.json`), or None when there is none."""
    path = paths.results_dir() / COMMITTED
    return read(path) if path.is_file() else None
