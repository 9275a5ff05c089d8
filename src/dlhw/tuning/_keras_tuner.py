"""KerasTuner's private internals, behind one door: the only module that imports
`keras_tuner.src` or touches an oracle's private state.

The distributed search (`dlhw.tuning.distributed`) extends KerasTuner's own chief/worker
engine, which has no public API for what it needs: the gRPC service and its messages, the
oracle's display, retry queue and trial files, the worker's client (its stub and timeout). All
of that is reached through the functions below, so a KerasTuner release that moves any of it
breaks here, in one place, with a message naming the supported range (`SUPPORTED`, the range
`pyproject.toml` declares; 1.4.7's private modules are identical to 1.4.8's, 1.4.0 lacks
`oracle_client.TIMEOUT`). Importing this module checks the installed version first.
"""

# ruff: noqa: E402  (the private imports follow the version check on purpose)

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import keras_tuner

from dlhw.errors import DlhwError

SUPPORTED = ">=1.4.7,<1.5"
_LOWEST, _BELOW = (1, 4, 7), (1, 5)


class KerasTunerVersionError(DlhwError, ImportError):
    """The installed KerasTuner is outside the range whose private modules this door knows."""


def check_version(version: str | None = None) -> None:
    """Raise KerasTunerVersionError unless `version` (default: the installed one) is in
    `SUPPORTED`."""
    version = keras_tuner.__version__ if version is None else version
    numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    if not _LOWEST <= numbers < _BELOW:
        raise KerasTunerVersionError(
            f"dlhw.tuning needs keras-tuner {SUPPORTED} (its distributed search extends "
            f"KerasTuner's private modules), found {version}; install one with "
            f"`pip install 'keras-tuner{SUPPORTED}'`."
        )


check_version()  # before the private imports, which a moved module would make fail obscurely

from keras_tuner.src import protos
from keras_tuner.src.distribute import oracle_chief, oracle_client
from keras_tuner.src.engine import conditions, oracle as oracle_module, trial as trial_module

OracleServicer = oracle_chief.OracleServicer  # the chief's gRPC service, subclassed
Display = oracle_module.Display  # an oracle's progress printer, subclassed
Trial = trial_module.Trial
TrialStatus = trial_module.TrialStatus


def service():
    """The module of the gRPC messages (`CreateTrialRequest`, ...)."""
    return protos.get_service()


def add_servicer(servicer, server) -> None:
    """Register `servicer` as the Oracle service of the gRPC `server`."""
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)


def oracle_stub(channel):
    """A client of the Oracle service over the gRPC `channel`."""
    return protos.get_service_grpc().OracleStub(channel)


# --- an oracle's private state -------------------------------------------------------------


def replace_display(oracle, new) -> None:
    """Make `new` the oracle's display, carrying over the current one's state."""
    new.set_state(oracle._display.get_state())
    oracle._display = new


def retry_queue(oracle) -> list[str]:
    """A copy of the ids of trials waiting for a retry (ended INVALID, retries left)."""
    return list(oracle._retry_queue)


def unqueue(oracle, trial_id: str) -> None:
    """Take `trial_id` off the retry queue (adopted, or recorded as ended)."""
    oracle._retry_queue.remove(trial_id)


def atomic_state_files() -> None:
    """Make KerasTuner write its state files (the oracle's, the tuner's, each trial's)
    atomically. Its `utils.save_json` truncates the file and then writes it, so a process
    killed in between (a chief stopped with SIGKILL) leaves an empty file that the next
    reload cannot parse; with a temporary file and a rename the old state stays whole.
    Local paths only (a `gs://` path keeps KerasTuner's writer). Idempotent."""
    import json

    from keras_tuner.src import utils

    from dlhw import files

    if getattr(utils.save_json, "atomic", False):
        return
    original = utils.save_json

    def save_json(path, obj):
        if "://" in str(path):
            return original(path, obj)
        text = json.dumps(obj)
        files.atomic_write_text(path, text)
        return text

    save_json.atomic = True
    utils.save_json = save_json


def project_dir(oracle) -> Path:
    """The oracle's project folder (its trials and the search's files)."""
    return Path(oracle._project_dir)


def save_trial(oracle, trial) -> None:
    """Write `trial`'s file (`trial_<id>/trial.json`) in the project folder."""
    oracle._save_trial(trial)


# --- a worker's client -------------------------------------------------------------------


def use_stub(client, stub) -> None:
    """Make a worker's OracleClient send its calls through `stub`."""
    client.stub = stub


@contextlib.contextmanager
def client_timeout(seconds: float) -> Iterator[None]:
    """Within the block a worker waits at most `seconds` for the chief on every call
    (KerasTuner's module-wide `oracle_client.TIMEOUT`, an hour, restored afterwards)."""
    before = oracle_client.TIMEOUT
    oracle_client.TIMEOUT = seconds
    try:
        yield
    finally:
        oracle_client.TIMEOUT = before


@contextlib.contextmanager
def quiet_condition_print() -> Iterator[None]:
    """Within the block, silence a left-over debug `print` in `conditions.Parent.to_proto`,
    which writes a conditional hyperparameter's value (e.g. `dense`) for every gRPC message.

    The method belongs to a class, so the patch holds for the whole process while the block
    runs (the chief's server threads and a worker's search need it); it is restored after.
    """
    original = conditions.Parent.to_proto

    def to_proto(self):
        with contextlib.redirect_stdout(io.StringIO()):
            return original(self)

    conditions.Parent.to_proto = to_proto
    try:
        yield
    finally:
        conditions.Parent.to_proto = original
