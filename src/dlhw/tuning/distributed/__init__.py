"""Distributed tuning on KerasTuner's own chief/worker engine, made fault tolerant.

- `roles`: who a process is (`make_role`), its environment, port and address checks (light).
- `records`: the settings file every worker checks, the chief's event log, the summary.
- `chief`: the Oracle service with heartbeats and trial ownership (`Servicer`, `serve`).
- `worker`: tagged calls, heartbeats, one line per trial.
- `search`: `run_search`, one process's part of a search in any role.

gRPC, TensorFlow and KerasTuner are imported only by `chief` and `worker`, and KerasTuner's
private modules only through `dlhw.tuning._keras_tuner`.
"""

from dlhw.tuning.distributed.records import (
    EVENTS_FILE,
    SETTINGS_FILE,
    check_settings,
    read_events,
    summary,
    write_settings,
)
from dlhw.tuning.distributed.roles import (
    CHIEF_ID,
    ENV_ORACLE_IP,
    ENV_ORACLE_PORT,
    ENV_TUNER_ID,
    ROLES,
    DistributedError,
    Role,
    apply_environment,
    check_port_free,
    choose_strategy,
    make_role,
    parse_chief_address,
    wait_for_chief,
)
from dlhw.tuning.distributed.search import run_search

__all__ = [
    "CHIEF_ID",
    "ENV_ORACLE_IP",
    "ENV_ORACLE_PORT",
    "ENV_TUNER_ID",
    "EVENTS_FILE",
    "ROLES",
    "SETTINGS_FILE",
    "DistributedError",
    "Role",
    "apply_environment",
    "check_port_free",
    "check_settings",
    "choose_strategy",
    "make_role",
    "parse_chief_address",
    "read_events",
    "run_search",
    "summary",
    "wait_for_chief",
    "write_settings",
]
