"""Distributed tuning on KerasTuner's own chief/worker engine, made fault tolerant.

KerasTuner runs the oracle in a chief process behind gRPC; workers pull trials from it and all
share one tuning directory. Three of its gaps are closed here without replacing its scheduler:
a worker that dies keeps its trial "ongoing" forever, so the chief never exits (here the chief
watches heartbeats and ends a lost worker's trial as INVALID: retried by another worker while
`max_retries_per_trial` allows, else recorded FAILED); a worker that finds the trial budget
spent exits while another's trial may still need a retry (here it waits); and a late result
for a trial already given to someone else could complete it twice (here it is ignored).
Roles (`KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP`, `KERASTUNER_ORACLE_PORT`), option and
port checks, and `run_search`, which runs one process's part of a search, live here too; gRPC,
TensorFlow and KerasTuner are imported only when needed.
"""

from __future__ import annotations

import collections
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dlhw import files
from dlhw.errors import DlhwError

ENV_TUNER_ID = "KERASTUNER_TUNER_ID"
ENV_ORACLE_IP = "KERASTUNER_ORACLE_IP"
ENV_ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
ROLES = ("local", "chief", "worker")
STRATEGIES = ("auto", "none", "mirrored")
CHIEF_ID = "chief"
SETTINGS_FILE = "dlhw_tune.json"
EVENTS_FILE = "dlhw_events.jsonl"
_METADATA_KEY = "dlhw-tuner-id"


class DistributedError(DlhwError, ValueError):
    """A usage, connection or search-stopping problem, reported as one line (no traceback)."""


@dataclass(frozen=True)
class Role:
    """Who this process is in a search: `local` (no gRPC), the `chief` or a `worker`.

    `host`/`port` are where the chief listens (chief) or is reached (worker).
    """

    name: str
    host: str = ""
    port: int = 0
    tuner_id: str = "tuner0"

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def environ(self) -> dict[str, str]:
        """The KerasTuner environment variables of this role (none for `local`)."""
        if self.name == "local":
            return {}
        return {
            ENV_TUNER_ID: self.tuner_id,
            ENV_ORACLE_IP: self.host,
            ENV_ORACLE_PORT: str(self.port),
        }


def _check_port_number(port: object, argument: str) -> int:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise DistributedError(f"{argument} must be a port number in 1..65535, got {port!r}.")
    return port


def parse_chief_address(text: str) -> tuple[str, int]:
    """Split `HOST:PORT` (or `[IPv6]:PORT`) into host and port, with a clear error."""
    text = str(text).strip()
    host, sep, port = text.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit():
        raise DistributedError(
            f"--chief must be HOST:PORT (for example 10.0.0.5:8000 or 127.0.0.1:8000), "
            f"got {text!r}."
        )
    return host, _check_port_number(int(port), "--chief's port")


def make_role(
    role: str | None,
    *,
    port: int | None = None,
    chief: str | None = None,
    worker_id: int | None = None,
    host: str | None = None,
) -> Role:
    """Validate the role options of `dlhw tune` and return the Role they describe.

    `role=None` is a local search. A chief needs `port` (and binds `host`, default 127.0.0.1);
    a worker needs `chief` (`HOST:PORT`) and a `worker_id` >= 0. Options that belong to the
    other role are refused, so that a mistyped command fails here rather than hanging later.
    """
    name = role or "local"
    if name not in ROLES:
        raise DistributedError(f"--role must be one of chief, worker (or omitted), got {role!r}.")
    given = {"--port": port, "--chief": chief, "--worker-id": worker_id, "--host": host}
    allowed = {
        "local": set(),
        "chief": {"--port", "--host"},
        "worker": {"--chief", "--worker-id"},
    }[name]
    extra = [flag for flag, value in given.items() if value is not None and flag not in allowed]
    if extra:
        what = "a local search (no --role)" if name == "local" else f"--role {name}"
        raise DistributedError(
            f"{', '.join(extra)} cannot be used with {what}; "
            "a chief takes --port (and --host), a worker takes --chief HOST:PORT and --worker-id."
        )
    if name == "local":
        return Role("local")
    if name == "chief":
        if port is None:
            raise DistributedError("--role chief needs --port P (the port the chief listens on).")
        return Role("chief", host or "127.0.0.1", _check_port_number(port, "--port"), CHIEF_ID)
    if chief is None:
        raise DistributedError(
            "--role worker needs --chief HOST:PORT, the address of the chief "
            "(started with `dlhw tune --role chief --port PORT`)."
        )
    if worker_id is None:
        raise DistributedError(
            "--role worker needs --worker-id N (a number unique among the workers, >= 0)."
        )
    if isinstance(worker_id, bool) or not isinstance(worker_id, int) or worker_id < 0:
        raise DistributedError(f"--worker-id must be an integer >= 0, got {worker_id!r}.")
    chief_host, chief_port = parse_chief_address(chief)
    return Role("worker", chief_host, chief_port, f"worker{worker_id}")


def apply_environment(role: Role, environ: dict[str, str] | None = None) -> dict[str, str]:
    """Set (chief, worker) or clear (local) the KerasTuner variables in `environ`.

    A local search clears them so that variables left in the shell cannot turn it into a
    worker of some other chief. Returns the variables set.
    """
    environ = os.environ if environ is None else environ
    for key in (ENV_TUNER_ID, ENV_ORACLE_IP, ENV_ORACLE_PORT):
        environ.pop(key, None)
    values = role.environ()
    environ.update(values)
    return values


def check_port_free(host: str, port: int) -> None:
    """Raise a DistributedError if `host:port` cannot be bound (in use, or not our address).

    gRPC binds with SO_REUSEPORT, so two chiefs could otherwise share a port silently.
    """
    _check_port_number(port, "--port")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise DistributedError(f"--host {host!r} is not a valid address: {exc}.") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise DistributedError(
                f"port {port} on {host} is not available ({exc.strerror}): another chief or "
                "program is using it. Pick another --port, or stop that process."
            ) from exc


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port on `host`, chosen by the operating system (for tests and tools)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def wait_for_chief(host: str, port: int, timeout: float) -> None:
    """Block until the chief's gRPC server answers at `host:port`, or raise after `timeout` s."""
    import grpc

    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError as exc:
        raise DistributedError(
            f"no chief answered at {host}:{port} within {timeout:.0f} s. Start it first with "
            f"`dlhw tune --role chief --port {port} ...` (and --host 0.0.0.0 to accept other "
            "machines), check the address and the firewall, or raise --connect-timeout."
        ) from exc
    finally:
        channel.close()


def choose_strategy(name: str = "auto"):
    """A `tf.distribute` strategy for each trial's model: `auto` is MirroredStrategy over all
    visible GPUs when there are several, else None (plain Keras); `none` is None; `mirrored`
    forces MirroredStrategy (over the CPU when no GPU is visible)."""
    if name not in STRATEGIES:
        raise DistributedError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}.")
    if name == "none":
        return None
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto" and len(gpus) < 2:
        return None
    return tf.distribute.MirroredStrategy()


# --- settings shared through the tuning directory ----------------------------------------


def write_settings(project_dir: str | Path, settings: Mapping[str, Any], *, resume: bool) -> None:
    """Record the search's settings in the tuning directory (chief or local).

    When resuming, settings that change what a trial means (all but `max_trials`) must match
    the recorded ones, else KerasTuner would mix two different searches in one directory.
    """
    path = Path(project_dir) / SETTINGS_FILE
    if resume and path.is_file():
        recorded = json.loads(path.read_text(encoding="utf-8"))
        diff = _differences(recorded, settings, ignore={"max_trials"})
        if diff:
            raise DistributedError(
                f"{path.parent} holds a search with {diff}; resume it with the same options, "
                "or pass --overwrite (chief or local search) to start a new one."
            )
    files.atomic_write_text(path, json.dumps(dict(settings), indent=1, sort_keys=True))


def check_settings(project_dir: str | Path, settings: Mapping[str, Any]) -> None:
    """A worker's check that it runs the chief's search in the chief's (shared) directory."""
    path = Path(project_dir) / SETTINGS_FILE
    if not path.is_file():
        others = sorted(p.parent.name for p in path.parent.parent.glob(f"*/{SETTINGS_FILE}"))
        hint = (
            f" The directory holds: {', '.join(others)}; is --kind the chief's?" if others else ""
        )
        raise DistributedError(
            f"{path} not found: the chief writes it when it starts. Workers must see the "
            "chief's tuning directory (a shared filesystem, same --directory on every machine)."
            + hint
        )
    recorded = json.loads(path.read_text(encoding="utf-8"))
    diff = _differences(recorded, settings, ignore={"max_trials"})
    if diff:
        raise DistributedError(
            f"inconsistent options: the chief's search has {diff}; start the worker with the "
            "chief's options."
        )


def _differences(recorded: Mapping, wanted: Mapping, ignore: set[str]) -> str:
    keys = sorted((set(recorded) | set(wanted)) - ignore)
    diff = [
        f"{key}={recorded.get(key)!r} (this process: {wanted.get(key)!r})"
        for key in keys
        if recorded.get(key) != wanted.get(key)
    ]
    return ", ".join(diff)


# --- progress ----------------------------------------------------------------------------


def _trial_line(oracle, trial, seconds: float | None, who: str | None) -> str:
    done = len(getattr(oracle, "end_order", []))
    total = oracle.max_trials or "?"
    score = "" if trial.score is None else f" {oracle.objective.name}={trial.score:.4f}"
    took = "" if seconds is None else f" in {seconds:.1f} s"
    by = f" by {who}" if who else ""
    best = oracle.get_best_trials(1)
    best_text = ""
    if best and best[0].score is not None:
        best_text = f" (best {best[0].score:.4f})"
    note = ""
    if trial.status != "COMPLETED" and trial.message:
        note = " - " + trial.message.strip().splitlines()[-1][:120]
    return (
        f"[{done}/{total}] trial {trial.trial_id} {trial.status}{by}{took}{score}{best_text}{note}"
    )


def install_progress(oracle, log: Callable[[str], None]) -> None:
    """Replace the oracle's chatty display with one line per finished trial (chief, local)."""
    from keras_tuner.src.engine import oracle as oracle_module

    class ProgressDisplay(oracle_module.Display):
        def __init__(self, oracle) -> None:
            super().__init__(oracle, verbose=0)
            self.owners: dict[str, str] = {}  # trial id -> worker running it (chief)
            self.begun: dict[str, float] = {}

        def on_trial_begin(self, trial) -> None:
            self.begun[trial.trial_id] = time.monotonic()

        def on_trial_end(self, trial) -> None:
            began = self.begun.pop(trial.trial_id, None)
            seconds = None if began is None else time.monotonic() - began
            log(_trial_line(self.oracle, trial, seconds, self.owners.get(trial.trial_id)))

    display = ProgressDisplay(oracle)
    display.set_state(oracle._display.get_state())
    oracle._display = display


# --- the chief -----------------------------------------------------------------------------


def _caller(context) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == _METADATA_KEY:
            return value
    return None


def _make_servicer(
    oracle, *, worker_timeout: float, idle_wait: float, events: Path, log, before_create=None
):
    """The chief's gRPC service: KerasTuner's OracleServicer plus heartbeats and ownership."""
    from keras_tuner.src import protos
    from keras_tuner.src.distribute import oracle_chief
    from keras_tuner.src.engine import trial as trial_module

    status = trial_module.TrialStatus
    service = protos.get_service()

    class Servicer(oracle_chief.OracleServicer):
        def __init__(self) -> None:
            super().__init__(oracle)
            self.lock = threading.RLock()
            self.last_seen: dict[str, float] = {}
            self.error: BaseException | None = None

        # bookkeeping
        def event(self, kind: str, **fields) -> None:
            record = {"time": round(time.time(), 3), "event": kind, **fields}
            with open(events, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

        def seen(self, context, tuner_id: str | None = None) -> str | None:
            tuner_id = tuner_id or _caller(context)
            if tuner_id:
                self.last_seen[tuner_id] = time.monotonic()
            return tuner_id

        def owner(self, trial_id: str) -> str | None:
            for tuner_id, trial in self.oracle.ongoing_trials.items():
                if trial.trial_id == trial_id:
                    return tuner_id
            return None

        def accept(self, trial_id: str, tuner_id: str | None) -> bool:
            """May `tuner_id` report on `trial_id`? Adopt an orphan awaiting its retry."""
            owner = self.owner(trial_id)
            if tuner_id is None or owner == tuner_id:
                return owner is not None or tuner_id is None
            if (
                owner is None
                and trial_id in self.oracle._retry_queue
                and (tuner_id not in self.oracle.ongoing_trials)
            ):
                self.oracle._retry_queue.remove(trial_id)
                trial = self.oracle.trials[trial_id]
                trial.status = status.RUNNING
                self.oracle.ongoing_trials[tuner_id] = trial
                self.oracle.tuner_ids.add(tuner_id)
                self.oracle._display.owners[trial_id] = tuner_id
                self.event("adopt", trial=trial_id, tuner=tuner_id)
                log(f"trial {trial_id}: late result from {tuner_id} accepted (it was queued)")
                return True
            self.event("stale", trial=trial_id, tuner=tuner_id, owner=owner)
            log(f"trial {trial_id}: ignored a stale report from {tuner_id} (owner: {owner})")
            return False

        # gRPC methods (all state changes under one lock; the pool has several threads)
        def GetSpace(self, request, context):
            with self.lock:
                self.seen(context)
                return super().GetSpace(request, context)

        def UpdateSpace(self, request, context):
            with self.lock:
                self.seen(context)
                return super().UpdateSpace(request, context)

        def CreateTrial(self, request, context):
            tuner_id = request.tuner_id
            with self.lock:
                self.seen(context, tuner_id)
                before = {t.trial_id for t in self.oracle.ongoing_trials.values()}
                if before_create is not None and tuner_id not in self.oracle.ongoing_trials:
                    before_create()  # e.g. the chief tuner's pre_create_trial: budget caps
                trial = self.oracle.create_trial(tuner_id)
                if trial.status == status.STOPPED and self.oracle.ongoing_trials:
                    # Keep this worker: a running trial may still fail and need a retry.
                    self.oracle.tuner_ids.add(tuner_id)
                    trial = trial_module.Trial(self.oracle.get_space(), status=status.IDLE)
                elif trial.status == status.STOPPED:
                    self.stop_triggered = True
                    self.event("stop", tuner=tuner_id)
                elif trial.status == status.RUNNING:
                    resumed = trial.trial_id in before
                    self.oracle._display.owners[trial.trial_id] = tuner_id
                    self.event(
                        "resume" if resumed else "start", trial=trial.trial_id, tuner=tuner_id
                    )
                response = service.CreateTrialResponse(trial=trial.to_proto())
            if trial.status == status.IDLE:
                time.sleep(idle_wait)  # outside the lock: the worker asks again afterwards
            return response

        def UpdateTrial(self, request, context):
            with self.lock:
                tuner_id = self.seen(context)
                if not self.accept(request.trial_id, tuner_id):
                    trial = self.oracle.get_trial(request.trial_id)
                    return service.UpdateTrialResponse(trial=trial.to_proto())
                return super().UpdateTrial(request, context)

        def EndTrial(self, request, context):
            with self.lock:
                tuner_id = self.seen(context)
                trial_id = request.trial.trial_id
                if not self.accept(trial_id, tuner_id):
                    return service.EndTrialResponse()
                try:
                    response = super().EndTrial(request, context)
                except RuntimeError as exc:  # too many consecutive failed trials
                    self.error = exc
                    raise
                trial = self.oracle.trials[trial_id]
                self.event(
                    "end", trial=trial_id, tuner=tuner_id, status=trial.status, score=trial.score
                )
                return response

        def GetTrial(self, request, context):
            with self.lock:
                self.seen(context)
                return super().GetTrial(request, context)

        def GetBestTrials(self, request, context):
            with self.lock:
                self.seen(context)
                if request.num_trials == 0:  # a worker's heartbeat: nothing to send
                    return service.GetBestTrialsResponse(trials=[])
                return super().GetBestTrials(request, context)

        # the chief's own loop
        def reap(self) -> None:
            """End the trial of every worker silent for more than `worker_timeout` seconds."""
            now = time.monotonic()
            with self.lock:
                for tuner_id in sorted(self.oracle.tuner_ids):
                    silent = now - self.last_seen.setdefault(tuner_id, now)
                    if silent <= worker_timeout:
                        continue
                    self.oracle.tuner_ids.discard(tuner_id)
                    trial = self.oracle.ongoing_trials.get(tuner_id)
                    self.event("lost", tuner=tuner_id, trial=trial and trial.trial_id)
                    if trial is None:
                        log(f"{tuner_id} lost (no heartbeat for {silent:.0f} s), no trial held")
                        continue
                    trial.status = status.INVALID
                    trial.message = f"worker {tuner_id} lost: no heartbeat for {silent:.0f} s"
                    try:
                        self.oracle.end_trial(trial)
                    except RuntimeError as exc:  # too many consecutive failed trials
                        self.error = exc
                    retried = trial.trial_id in self.oracle._retry_queue
                    self.event("end", trial=trial.trial_id, tuner=tuner_id, status=trial.status)
                    log(
                        f"{tuner_id} lost (no heartbeat for {silent:.0f} s): trial "
                        f"{trial.trial_id} " + ("queued for a retry" if retried else "FAILED")
                    )

        def finished(self) -> bool:
            """Done: every trial ended (or a worker was told to stop) and every worker left."""
            with self.lock:
                oracle = self.oracle
                all_ended = bool(oracle.max_trials) and (
                    len(oracle.end_order) >= oracle.max_trials and not oracle._retry_queue
                )
                return self.error is not None or (
                    (self.stop_triggered or all_ended)
                    and not oracle.ongoing_trials
                    and not oracle.tuner_ids
                )

    return Servicer()


def serve(
    oracle,
    host: str,
    port: int,
    *,
    worker_timeout: float = 60.0,
    idle_wait: float = 1.0,
    poll: float = 0.5,
    log: Callable[[str], None] = print,
    before_create: Callable[[], None] | None = None,
) -> None:
    """Host `oracle` on `host:port` until every trial is done and every worker has left.

    Replaces `keras_tuner`'s `oracle_chief.start_server` (same service, same protocol, so
    plain KerasTuner workers also work) with: a thread pool, heartbeats, lost-worker handling
    and an exit once the search is over. Events go to `dlhw_events.jsonl` in the project.
    `before_create()` runs before each new trial is made: the chief passes its tuner's
    `pre_create_trial`, which KerasTuner otherwise calls only on the workers' proxies.
    """
    from concurrent import futures

    import grpc
    from keras_tuner.src import protos

    events = Path(oracle._project_dir) / EVENTS_FILE
    servicer = _make_servicer(
        oracle,
        worker_timeout=worker_timeout,
        idle_wait=idle_wait,
        events=events,
        log=log,
        before_create=before_create,
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16), options=[("grpc.so_reuseport", 0)]
    )
    protos.get_service_grpc().add_OracleServicer_to_server(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        bound, reason = 0, exc
    else:
        reason = "bind failed"
    if not bound:
        raise DistributedError(f"port {port} on {host} is not available ({reason}).")
    for trial_id in list(oracle._retry_queue):  # a chief killed between two of its writes
        if oracle.trials[trial_id].status in ("COMPLETED", "FAILED"):
            oracle._retry_queue.remove(trial_id)
            if trial_id not in oracle.end_order:
                oracle.end_order.append(trial_id)
    server.start()
    servicer.event("serve", host=host, port=port, trials=len(oracle.trials))
    log(f"chief listening on {host}:{port} ({len(oracle.end_order)} trials already done)")
    try:
        while not servicer.finished():
            time.sleep(poll)
            servicer.reap()
    finally:
        server.stop(grace=2).wait()
    if servicer.error is not None:  # KerasTuner's limit on consecutive failed trials
        raise DistributedError(f"the search stopped: {servicer.error}")
    with servicer.lock:  # Nothing can run a queued retry any more: record it as failed.
        for trial_id in list(oracle._retry_queue):
            trial = oracle.trials[trial_id]
            trial.status = "FAILED"
            trial.message = (trial.message or "") + "\nno worker left to retry it"
            oracle._retry_queue.remove(trial_id)
            oracle.end_order.append(trial_id)
            oracle._save_trial(trial)
            servicer.event("end", trial=trial_id, tuner=None, status="FAILED")
        oracle.save()


# --- the worker ----------------------------------------------------------------------------


class _Heartbeat:
    """A daemon thread that calls the chief every `interval` s so that it knows we are alive."""

    def __init__(self, stub, interval: float) -> None:
        from keras_tuner.src import protos

        self._request = protos.get_service().GetBestTrialsRequest(num_trials=0)
        self._stub, self._interval = stub, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dlhw-heartbeat", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._stub.GetBestTrials(self._request, timeout=max(self._interval, 5.0))
            except Exception:  # the chief restarting: KerasTuner's own calls wait for it
                pass

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)


def _tagged_stub(role: Role):
    """A stub whose every call names this worker (gRPC metadata), for heartbeats/ownership."""
    import grpc
    from keras_tuner.src import protos

    fields = ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")

    class Details(collections.namedtuple("Details", fields), grpc.ClientCallDetails):
        pass

    class TagCalls(grpc.UnaryUnaryClientInterceptor):
        def intercept_unary_unary(self, continuation, details, request):
            values = {name: getattr(details, name, None) for name in fields}
            values["metadata"] = (*(details.metadata or ()), (_METADATA_KEY, role.tuner_id))
            return continuation(Details(**values), request)

    channel = grpc.intercept_channel(grpc.insecure_channel(role.address), TagCalls())
    return protos.get_service_grpc().OracleStub(channel)


def _report_trials(tuner, role: Role, log: Callable[[str], None]) -> None:
    """Print one line when this worker finishes a trial (the chief prints the search's lines)."""
    begin, end = tuner.on_trial_begin, tuner.on_trial_end
    started: dict[str, float] = {}

    def on_trial_begin(trial) -> None:
        started[trial.trial_id] = time.monotonic()
        begin(trial)

    def on_trial_end(trial) -> None:
        end(trial)
        seconds = time.monotonic() - started.pop(trial.trial_id, time.monotonic())
        log(f"{role.tuner_id}: trial {trial.trial_id} {trial.status} in {seconds:.1f} s")

    tuner.on_trial_begin, tuner.on_trial_end = on_trial_begin, on_trial_end


def _quiet_condition_print() -> None:
    """Silence a left-over debug `print` in KerasTuner 1.4.8's `conditions.Parent.to_proto`,
    which writes a conditional hyperparameter's value (e.g. `dense`) for every gRPC message."""
    import contextlib
    import io

    from keras_tuner.src.engine import conditions

    original = conditions.Parent.to_proto
    if getattr(original, "quiet", False):
        return

    def to_proto(self):
        with contextlib.redirect_stdout(io.StringIO()):
            return original(self)

    to_proto.quiet = True
    conditions.Parent.to_proto = to_proto


# --- one entry point for every role -------------------------------------------------------


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
    profile, seed, ...) are recorded by the chief and checked by every worker.
    """
    log = log or (lambda line: print(line, file=sys.stderr, flush=True))
    search_kwargs = dict(search_kwargs or {})
    if role.name == "chief":
        check_port_free(role.host, role.port)
    if role.name == "worker":
        wait_for_chief(role.host, role.port, connect_timeout)
        from keras_tuner.src.distribute import oracle_client

        oracle_client.TIMEOUT = connect_timeout  # a chief gone for longer ends the worker
    apply_environment(role)
    if role.name != "local":
        _quiet_condition_print()
    tuner = build_tuner()
    if role.name == "worker":
        check_settings(tuner.project_dir, settings)
        tuner.oracle.stub = _tagged_stub(role)
        # The chief runs the tuner's pre_create_trial hook on the real oracle (see `serve`);
        # here `tuner.oracle` is only a gRPC proxy, which such hooks cannot use.
        tuner.pre_create_trial = lambda: None
        _report_trials(tuner, role, log)
        with _Heartbeat(_tagged_stub(role), heartbeat):
            tuner.search(*search_args, **search_kwargs)
        log(f"{role.tuner_id}: no trials left, exiting")
        return None
    write_settings(tuner.project_dir, settings, resume=resume)
    install_progress(tuner.oracle, log)
    if role.name == "local":
        tuner.search(*search_args, **search_kwargs)
    else:
        tuner.save()
        serve(
            tuner.oracle,
            role.host,
            role.port,
            worker_timeout=worker_timeout,
            idle_wait=idle_wait,
            log=log,
            before_create=tuner.pre_create_trial,
        )
    return summary(tuner.oracle)


def read_events(project_dir: str | Path) -> list[dict[str, Any]]:
    """The chief's event log (`start`, `end`, `lost`, `adopt`, `stale`, `stop`, `serve`)."""
    path = Path(project_dir) / EVENTS_FILE
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
