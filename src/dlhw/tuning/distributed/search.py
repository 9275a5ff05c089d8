"""One process's part of a search, whatever its role: `run_search`."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from dlhw.tuning.distributed.records import summary, write_settings
from dlhw.tuning.distributed.roles import Role, apply_environment, check_port_free, wait_for_chief


def log_to_stderr(line: str) -> None:
    """The default `log`: one line to stderr (stdout stays for results)."""
    print(line, file=sys.stderr, flush=True)


def _atomic_state_files() -> None:
    """KerasTuner's state files written atomically in this process, so that one killed
    mid-write (a chief stopped with SIGKILL) leaves them whole for a restart to reload."""
    from dlhw.tuning import _keras_tuner

    _keras_tuner.atomic_state_files()


def run_search(
    build_tuner: Callable[[], Any],
    role: Role,
    *,
    settings: Mapping[str, Any],
    search_args: tuple = (),
    search_kwargs: Mapping[str, Any] | None = None,
    resume: bool = True,
    worker_timeout: float = 60.0,
    heartbeat: float = 5.0,
    connect_timeout: float = 600.0,
    idle_wait: float = 1.0,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any] | None:
    """Run this process's part of a search; return `summary()` (local, chief) or None (worker).

    `build_tuner()` builds the KerasTuner tuner; it is called after the role's environment is
    set, because KerasTuner reads it in the tuner's constructor. `search_args/kwargs` go to
    `tuner.search` (data, epochs, ...); a chief never loads data. `settings` (tuner kind,
    profile, seed, ...) are recorded by the chief and checked by every worker."""
    _atomic_state_files()
    log = log or log_to_stderr
    if role.name == "worker":
        from dlhw.tuning.distributed.worker import run_worker

        wait_for_chief(role.host, role.port, connect_timeout)
        apply_environment(role)
        run_worker(
            build_tuner,
            role,
            settings=settings,
            search_args=search_args,
            search_kwargs=search_kwargs or {},
            heartbeat=heartbeat,
            connect_timeout=connect_timeout,
            log=log,
        )
        return None
    from dlhw.tuning.distributed import chief

    if role.name == "chief":
        check_port_free(role.host, role.port)
    apply_environment(role)
    tuner = build_tuner()
    write_settings(tuner.project_dir, settings, resume=resume)
    if role.name == "local":
        chief.install_progress(tuner.oracle, log)
        tuner.search(*search_args, **(search_kwargs or {}))
    else:
        tuner.save()
        chief.serve(
            tuner.oracle,
            role.host,
            role.port,
            worker_timeout=worker_timeout,
            idle_wait=idle_wait,
            log=log,
            before_create=tuner.pre_create_trial,
        )
    return summary(tuner.oracle)
