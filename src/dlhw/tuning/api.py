"""`tune(settings)`: what `dlhw tune` does, as one library call.

The settings (`TuneSettings`) are checked first, and a chief's port before anything slow is
imported; then the Q1 search runs in this process's role (`distributed.run_search`) and the
chief (or a local search) writes its result to `output`. Progress goes to `log` (stderr).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from dlhw import files, paths, profiles
from dlhw.errors import DlhwError
from dlhw.tuning.distributed.roles import DistributedError, Role, check_port_free
from dlhw.tuning.distributed.search import log_to_stderr
from dlhw.tuning.settings import TuneSettings


class Tuned(NamedTuple):
    """What `tune` returns: the result written to `output` (None for a worker, which writes
    nothing: the chief does)."""

    result: dict[str, Any] | None
    output: Path | None


@dataclass(frozen=True)
class _Plan:
    """The settings with every default resolved against the profile."""

    profile: profiles.Profile
    budget_epochs: int
    max_epochs: int
    directory: Path
    output: Path

    def recorded(self, settings: TuneSettings) -> dict[str, Any]:
        """What the chief records and every worker must match (`dlhw_tune.json`)."""
        return {
            "kind": settings.kind,
            "profile": self.profile.name,
            "budget_epochs": self.budget_epochs,
            "max_epochs": self.max_epochs,
            "seed": settings.seed,
            "max_trials": settings.trials,
        }


def _plan(settings: TuneSettings) -> _Plan:
    profile = profiles.get(settings.profile) if settings.profile else profiles.current()
    directory = Path(settings.directory or paths.build_dir() / "tune" / profile.name)
    return _Plan(
        profile=profile,
        budget_epochs=settings.budget_epochs or profile.tuner_budget_epochs,
        max_epochs=settings.max_epochs or profile.tuner_max_epochs,
        directory=directory,
        output=Path(settings.output or directory / f"{settings.kind}_result.json"),
    )


def _tuner_factory(settings: TuneSettings, role: Role, plan: _Plan):
    """`build_tuner()` for `run_search`: the budgeted tuner over `CNNHyperModel`."""
    from dlhw.tuning.distributed.roles import choose_strategy
    from dlhw.tuning.spaces import CNNHyperModel
    from dlhw.tuning.tuners import make_tuner

    strategy = None if role.name == "chief" else choose_strategy(settings.strategy)
    extra = {"max_retries_per_trial": settings.max_retries, "distribution_strategy": strategy}
    if settings.trials is not None:
        extra["max_trials"] = settings.trials
    return functools.partial(
        make_tuner,
        settings.kind,
        CNNHyperModel(),
        budget_epochs=plan.budget_epochs,
        max_epochs=plan.max_epochs,
        directory=plan.directory,
        seed=settings.seed,
        overwrite=settings.overwrite,
        **extra,
    )


def _search_arguments(role: Role, plan: _Plan) -> tuple[tuple, dict[str, Any]]:
    """`tuner.search`'s data and options; none for the chief, which never trains."""
    if role.name == "chief":
        return (), {}
    from dlhw.tuning.data import search_data

    data = search_data(plan.profile)
    options = {"validation_data": (data.x_val, data.y_val), "epochs": plan.max_epochs}
    return (data.x_search, data.y_search), {**options, "verbose": 0}


def _prepared_search(settings: TuneSettings, role: Role, plan: _Plan, log):
    """Seed, build the data, and return `run()`: this process's part of the search."""
    from dlhw import repro
    from dlhw.tuning.distributed.search import run_search

    repro.seed_everything(settings.seed)
    build_tuner = _tuner_factory(settings, role, plan)
    search_args, search_kwargs = _search_arguments(role, plan)
    return functools.partial(
        run_search,
        build_tuner,
        role,
        settings=plan.recorded(settings),
        search_args=search_args,
        search_kwargs=search_kwargs,
        resume=not settings.overwrite,
        worker_timeout=settings.worker_timeout,
        heartbeat=settings.heartbeat,
        connect_timeout=settings.connect_timeout,
        log=log,
    )


def tune(settings: TuneSettings, *, log=log_to_stderr) -> Tuned:
    """Run the Q1 search as `settings` say (see `TuneSettings`): alone, as the chief, or as a
    worker. Writes the result JSON to the output path (local, chief) and returns it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before TensorFlow loads, if it has not
    role = settings.checked_role()
    if role.name == "chief":  # before the slow imports, so that a busy port fails at once
        check_port_free(role.host, role.port)
    plan = _plan(settings)
    log(
        f"dlhw tune: {role.name} ({role.tuner_id}), {settings.kind}, profile "
        f"{plan.profile.name}, budget {plan.budget_epochs} epochs, directory {plan.directory}"
    )
    run = _prepared_search(settings, role, plan, log)
    from dlhw.timing import seconds  # Keras: only once the settings are known to be good

    found: list[dict[str, Any] | None] = []
    try:
        took = seconds(lambda: found.append(run()))
    except Exception as exc:
        if isinstance(exc, DlhwError) or not type(exc).__module__.startswith("grpc"):
            raise
        raise DistributedError(f"lost the chief at {role.address}: {exc}") from exc  # gone long
    if found[0] is None:  # a worker: the chief writes the results
        return Tuned(None, None)
    result = {
        "kind": settings.kind,
        "role": role.name,
        "seconds": round(took, 1),
        "settings": plan.recorded(settings),
        **found[0],
    }
    files.atomic_write_text(plan.output, json.dumps(result, indent=1, default=str))
    return Tuned(result, plan.output)
