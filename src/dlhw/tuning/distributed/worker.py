"""A worker of a distributed search: KerasTuner's own worker loop, with every call tagged with
the worker's id (so the chief knows who is alive and who owns a trial), a heartbeat thread, and
one line printed per trial it ends (the chief prints the search's lines)."""

from __future__ import annotations

import collections
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import grpc

from dlhw.tuning import _keras_tuner as kt
from dlhw.tuning.distributed.chief import METADATA_KEY
from dlhw.tuning.distributed.records import check_settings
from dlhw.tuning.distributed.roles import Role

_FIELDS = ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")


class _Details(collections.namedtuple("_Details", _FIELDS), grpc.ClientCallDetails):
    pass


class _TagCalls(grpc.UnaryUnaryClientInterceptor):
    """Adds the worker's id to every call's metadata; shows each finished call to `watch`."""

    def __init__(self, tuner_id: str, watch: Callable[[str, Any, Any], None] | None) -> None:
        self.tuner_id, self.watch = tuner_id, watch

    def intercept_unary_unary(self, continuation, details, request):
        values = {name: getattr(details, name, None) for name in _FIELDS}
        values["metadata"] = (*(details.metadata or ()), (METADATA_KEY, self.tuner_id))
        outcome = continuation(_Details(**values), request)
        if self.watch is not None and outcome.exception() is None:
            method = details.method
            self.watch(method.decode() if isinstance(method, bytes) else method, request, outcome)
        return outcome


def tagged_stub(role: Role, watch: Callable[[str, Any, Any], None] | None = None):
    """A stub of the chief's service whose every call names this worker (gRPC metadata);
    `watch(method, request, outcome)` sees each call that succeeded."""
    channel = grpc.intercept_channel(
        grpc.insecure_channel(role.address), _TagCalls(role.tuner_id, watch)
    )
    return kt.oracle_stub(channel)


class TrialReport:
    """Watches a worker's calls: one line to `log` for each trial the worker ends."""

    def __init__(self, tuner_id: str, log: Callable[[str], None], clock=time.monotonic) -> None:
        self.tuner_id, self.log, self.clock = tuner_id, log, clock
        self.started: dict[str, float] = {}

    def __call__(self, method: str, request, outcome) -> None:
        if method.endswith("/CreateTrial"):
            trial = outcome.result().trial
            if kt.TrialStatus.from_proto(trial.status) == kt.TrialStatus.RUNNING:
                self.started[trial.trial_id] = self.clock()
        elif method.endswith("/EndTrial"):
            trial_id = request.trial.trial_id
            status = kt.TrialStatus.from_proto(request.trial.status)
            seconds = self.clock() - self.started.pop(trial_id, self.clock())
            self.log(f"{self.tuner_id}: trial {trial_id} {status} in {seconds:.1f} s")


class Heartbeat:
    """A daemon thread that calls the chief every `interval` s so that it knows we are alive."""

    def __init__(self, stub, interval: float) -> None:
        self._request = kt.service().GetBestTrialsRequest(num_trials=0)
        self._stub, self._interval = stub, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dlhw-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._stub.GetBestTrials(self._request, timeout=max(self._interval, 5.0))
            except Exception:  # the chief restarting: KerasTuner's own calls wait for it
                pass

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def run_worker(
    build_tuner: Callable[[], Any],
    role: Role,
    *,
    settings: Mapping[str, Any],
    search_args: tuple,
    search_kwargs: Mapping[str, Any],
    heartbeat: float,
    connect_timeout: float,
    log: Callable[[str], None],
) -> None:
    """Search as `role` until the chief has no trial left. A tuner's `pre_create_trial` runs on
    the chief for a worker (`chief.serve`), where the real oracle is; here it sees a proxy."""
    with kt.client_timeout(connect_timeout), kt.quiet_condition_print():
        tuner = build_tuner()  # a chief gone for longer than connect_timeout ends the worker
        check_settings(tuner.project_dir, settings)
        kt.use_stub(tuner.oracle, tagged_stub(role, TrialReport(role.tuner_id, log)))
        with Heartbeat(tagged_stub(role), heartbeat):
            tuner.search(*search_args, **search_kwargs)
    log(f"{role.tuner_id}: no trials left, exiting")
