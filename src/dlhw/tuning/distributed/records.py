"""What a search keeps in its project folder besides KerasTuner's own files: the settings it
was started with (`dlhw_tune.json`, checked by every worker and on resume), the chief's event
log (`dlhw_events.jsonl`), and the summary a finished search returns."""

from __future__ import annotations

import collections
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dlhw import files
from dlhw.tuning.distributed.roles import DistributedError

SETTINGS_FILE = "dlhw_tune.json"
EVENTS_FILE = "dlhw_events.jsonl"


def write_settings(project_dir: str | Path, settings: Mapping[str, Any], *, resume: bool) -> None:
    """Record the search's settings in the tuning directory (chief or local).

    When resuming, settings that change what a trial means (all but `max_trials`) must match
    the recorded ones, else KerasTuner would mix two different searches in one directory.
    """
    path = Path(project_dir) / SETTINGS_FILE
    diff = _differences(path, settings) if resume and path.is_file() else ""
    if diff:
        raise DistributedError(
            f"{path.parent} holds a search with {diff}; resume it with the same settings, "
            "or pass overwrite=True (chief or local search) to start a new one."
        )
    files.atomic_write_text(path, json.dumps(dict(settings), indent=1, sort_keys=True))


def check_settings(project_dir: str | Path, settings: Mapping[str, Any]) -> None:
    """A worker's check that it runs the chief's search in the chief's (shared) directory."""
    path = Path(project_dir) / SETTINGS_FILE
    if not path.is_file():
        others = sorted(p.parent.name for p in path.parent.parent.glob(f"*/{SETTINGS_FILE}"))
        hint = ""
        if others:
            hint = f" The directory holds: {', '.join(others)}; is `kind` the chief's?"
        raise DistributedError(
            f"{path} not found: the chief writes it when it starts. Workers must see the "
            "chief's tuning directory (a shared filesystem, the same `directory` on every "
            "machine)." + hint
        )
    diff = _differences(path, settings)
    if diff:
        raise DistributedError(
            f"inconsistent options: the chief's search has {diff}; start the worker with the "
            "chief's options."
        )


def _differences(path: Path, wanted: Mapping[str, Any]) -> str:
    """The settings recorded in `path` that differ from `wanted`, as `key=value (this
    process: value)`; `max_trials` may differ (the chief decides it)."""
    recorded = json.loads(path.read_text(encoding="utf-8"))
    keys = sorted((set(recorded) | set(wanted)) - {"max_trials"})
    diff = [
        f"{key}={recorded.get(key)!r} (this process: {wanted.get(key)!r})"
        for key in keys
        if recorded.get(key) != wanted.get(key)
    ]
    return ", ".join(diff)


def append_event(path: Path, record: Mapping[str, Any]) -> None:
    """Append one event (a JSON line) to the chief's event log."""
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(dict(record)) + "\n")


def read_events(project_dir: str | Path) -> list[dict[str, Any]]:
    """The chief's event log (`start`, `end`, `lost`, `adopt`, `stale`, `stop`, `serve`)."""
    path = Path(project_dir) / EVENTS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def summary(oracle) -> dict[str, Any]:
    """The search's result: best hyperparameters and score, and one row per trial."""
    best = [t for t in oracle.get_best_trials(1) if t.status == "COMPLETED"]
    rows = []
    for trial_id in sorted(oracle.trials):
        trial = oracle.trials[trial_id]
        message = (trial.message or "").strip().splitlines()
        rows.append(
            {
                "trial_id": trial_id,
                "status": trial.status,
                "score": trial.score,
                "best_step": trial.best_step,
                "hyperparameters": dict(trial.hyperparameters.values),
                "message": message[-1] if message else None,  # the error's last line
            }
        )
    counts = collections.Counter(row["status"] for row in rows)
    return {
        "objective": oracle.objective.name,
        "direction": oracle.objective.direction,
        "max_trials": oracle.max_trials,
        "completed": counts.get("COMPLETED", 0),
        "failed": counts.get("FAILED", 0),
        "best_score": best[0].score if best else None,
        "best_trial_id": best[0].trial_id if best else None,
        "best_hyperparameters": dict(best[0].hyperparameters.values) if best else None,
        "trials": rows,
    }
