"""The chief of a distributed search: KerasTuner's Oracle service made fault tolerant.

KerasTuner runs the oracle in a chief process behind gRPC; workers pull trials from it. Three
of its gaps are closed here without replacing its scheduler: a worker that dies keeps its trial
"ongoing" forever, so the chief never exits (here the chief watches heartbeats and ends a lost
worker's trial as INVALID: retried by another worker while `max_retries_per_trial` allows,
else recorded FAILED); a worker that finds the trial budget spent exits while another's trial
may still need a retry (here it waits); and a late result for a trial already given to someone
else could complete it twice (here it is ignored). `clock` and `sleep` are injectable, so tests
drive heartbeats and waits without real time passing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures

import grpc

from dlhw.tuning import _keras_tuner as kt
from dlhw.tuning.distributed.records import EVENTS_FILE, append_event
from dlhw.tuning.distributed.roles import DistributedError

METADATA_KEY = "dlhw-tuner-id"  # the gRPC metadata that names the calling worker
STATUS = kt.TrialStatus
Log = Callable[[str], None]


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


class ProgressDisplay(kt.Display):
    """One line per finished trial, instead of KerasTuner's chatty display (chief, local)."""

    def __init__(self, oracle, log: Log, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(oracle, verbose=0)
        self.log, self.clock = log, clock
        self.owners: dict[str, str] = {}  # trial id -> worker running it (chief)
        self.begun: dict[str, float] = {}

    def on_trial_begin(self, trial) -> None:
        self.begun[trial.trial_id] = self.clock()

    def on_trial_end(self, trial) -> None:
        began = self.begun.pop(trial.trial_id, None)
        seconds = None if began is None else self.clock() - began
        self.log(_trial_line(self.oracle, trial, seconds, self.owners.get(trial.trial_id)))


def install_progress(oracle, log: Log, clock=time.monotonic) -> ProgressDisplay:
    """Make `oracle` print one line per finished trial to `log`; return that display."""
    display = ProgressDisplay(oracle, log, clock)
    kt.replace_display(oracle, display)
    return display


def caller(context) -> str | None:
    """The tuner id a call's metadata names (None for a plain KerasTuner worker)."""
    for key, value in context.invocation_metadata() or ():
        if key == METADATA_KEY:
            return value
    return None


def _pass_through(name: str):
    """An RPC that only records the caller as alive, then runs KerasTuner's own method."""
    method = getattr(kt.OracleServicer, name)

    def rpc(self, request, context):
        with self.lock:
            self.seen(context)
            return method(self, request, context)

    rpc.__name__ = name
    return rpc


class Servicer(kt.OracleServicer):
    """KerasTuner's Oracle service plus heartbeats (any call counts), trial ownership and the
    chief's own loop (`reap`, `finished`). All state changes run under one lock: the server's
    pool has several threads. Events go to `dlhw_events.jsonl` in the oracle's project."""

    GetSpace = _pass_through("GetSpace")
    UpdateSpace = _pass_through("UpdateSpace")
    GetTrial = _pass_through("GetTrial")

    def __init__(
        self,
        oracle,
        *,
        worker_timeout: float = 60.0,
        idle_wait: float = 1.0,
        log: Log = print,
        before_create: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(oracle)
        self.worker_timeout, self.idle_wait, self.log = worker_timeout, idle_wait, log
        self.before_create, self.clock, self.sleep = before_create, clock, sleep
        self.display = install_progress(oracle, log, clock)
        self.events = kt.project_dir(oracle) / EVENTS_FILE
        self.lock = threading.RLock()
        self.last_seen: dict[str, float] = {}
        self.error: BaseException | None = None

    # bookkeeping
    def event(self, kind: str, **fields) -> None:
        append_event(self.events, {"time": round(time.time(), 3), "event": kind, **fields})

    def seen(self, context, tuner_id: str | None = None) -> str | None:
        tuner_id = tuner_id or caller(context)
        if tuner_id:
            self.last_seen[tuner_id] = self.clock()
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
        queued = trial_id in kt.retry_queue(self.oracle)
        if owner is None and queued and tuner_id not in self.oracle.ongoing_trials:
            self._adopt(trial_id, tuner_id)
            return True
        self.event("stale", trial=trial_id, tuner=tuner_id, owner=owner)
        self.log(f"trial {trial_id}: ignored a stale report from {tuner_id} (owner: {owner})")
        return False

    def _adopt(self, trial_id: str, tuner_id: str) -> None:
        kt.unqueue(self.oracle, trial_id)
        trial = self.oracle.trials[trial_id]
        trial.status = STATUS.RUNNING
        self.oracle.ongoing_trials[tuner_id] = trial
        self.oracle.tuner_ids.add(tuner_id)
        self.display.owners[trial_id] = tuner_id
        self.event("adopt", trial=trial_id, tuner=tuner_id)
        self.log(f"trial {trial_id}: late result from {tuner_id} accepted (it was queued)")

    # gRPC methods with more to do than the pass-through ones
    def CreateTrial(self, request, context):
        tuner_id = request.tuner_id
        with self.lock:
            self.seen(context, tuner_id)
            before = {t.trial_id for t in self.oracle.ongoing_trials.values()}
            if self.before_create is not None and tuner_id not in self.oracle.ongoing_trials:
                self.before_create()  # the chief tuner's pre_create_trial: budget caps
            trial = self.oracle.create_trial(tuner_id)
            if trial.status == STATUS.STOPPED and self.oracle.ongoing_trials:
                # Keep this worker: a running trial may still fail and need a retry.
                self.oracle.tuner_ids.add(tuner_id)
                trial = kt.Trial(self.oracle.get_space(), status=STATUS.IDLE)
            elif trial.status == STATUS.STOPPED:
                self.stop_triggered = True
                self.event("stop", tuner=tuner_id)
            elif trial.status == STATUS.RUNNING:
                self.display.owners[trial.trial_id] = tuner_id
                kind = "resume" if trial.trial_id in before else "start"
                self.event(kind, trial=trial.trial_id, tuner=tuner_id)
            response = kt.service().CreateTrialResponse(trial=trial.to_proto())
        if trial.status == STATUS.IDLE:
            self.sleep(self.idle_wait)  # outside the lock: the worker asks again afterwards
        return response

    def UpdateTrial(self, request, context):
        with self.lock:
            tuner_id = self.seen(context)
            if not self.accept(request.trial_id, tuner_id):
                trial = self.oracle.get_trial(request.trial_id)
                return kt.service().UpdateTrialResponse(trial=trial.to_proto())
            return super().UpdateTrial(request, context)

    def EndTrial(self, request, context):
        with self.lock:
            tuner_id = self.seen(context)
            trial_id = request.trial.trial_id
            if not self.accept(trial_id, tuner_id):
                return kt.service().EndTrialResponse()
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

    def GetBestTrials(self, request, context):
        with self.lock:
            self.seen(context)
            if request.num_trials == 0:  # a worker's heartbeat: nothing to send
                return kt.service().GetBestTrialsResponse(trials=[])
            return super().GetBestTrials(request, context)

    # the chief's own loop
    def reap(self) -> None:
        """End the trial of every worker silent for more than `worker_timeout` seconds."""
        now = self.clock()
        with self.lock:
            for tuner_id in sorted(self.oracle.tuner_ids):
                silent = now - self.last_seen.setdefault(tuner_id, now)
                if silent > self.worker_timeout:
                    self._lose(tuner_id, silent)

    def _lose(self, tuner_id: str, silent: float) -> None:
        self.oracle.tuner_ids.discard(tuner_id)
        trial = self.oracle.ongoing_trials.get(tuner_id)
        self.event("lost", tuner=tuner_id, trial=trial and trial.trial_id)
        if trial is None:
            self.log(f"{tuner_id} lost (no heartbeat for {silent:.0f} s), no trial held")
            return
        trial.status = STATUS.INVALID
        trial.message = f"worker {tuner_id} lost: no heartbeat for {silent:.0f} s"
        try:
            self.oracle.end_trial(trial)
        except RuntimeError as exc:  # too many consecutive failed trials
            self.error = exc
        retried = trial.trial_id in kt.retry_queue(self.oracle)
        self.event("end", trial=trial.trial_id, tuner=tuner_id, status=trial.status)
        self.log(
            f"{tuner_id} lost (no heartbeat for {silent:.0f} s): trial "
            f"{trial.trial_id} " + ("queued for a retry" if retried else "FAILED")
        )

    def finished(self) -> bool:
        """Done: every trial ended (or a worker was told to stop) and every worker left."""
        with self.lock:
            oracle = self.oracle
            all_ended = bool(oracle.max_trials) and (
                len(oracle.end_order) >= oracle.max_trials and not kt.retry_queue(oracle)
            )
            return self.error is not None or (
                (self.stop_triggered or all_ended)
                and not oracle.ongoing_trials
                and not oracle.tuner_ids
            )

    def tidy_retry_queue(self) -> None:
        """Take ended trials off the retry queue (a chief killed between two of its writes)."""
        for trial_id in kt.retry_queue(self.oracle):
            if self.oracle.trials[trial_id].status in ("COMPLETED", "FAILED"):
                kt.unqueue(self.oracle, trial_id)
                if trial_id not in self.oracle.end_order:
                    self.oracle.end_order.append(trial_id)

    def fail_queued(self) -> None:
        """Nothing can run a queued retry any more: record each as FAILED, then save."""
        with self.lock:
            for trial_id in kt.retry_queue(self.oracle):
                trial = self.oracle.trials[trial_id]
                trial.status = "FAILED"
                trial.message = (trial.message or "") + "\nno worker left to retry it"
                kt.unqueue(self.oracle, trial_id)
                self.oracle.end_order.append(trial_id)
                kt.save_trial(self.oracle, trial)
                self.event("end", trial=trial_id, tuner=None, status="FAILED")
            self.oracle.save()


def _start_server(servicer: Servicer, host: str, port: int) -> grpc.Server:
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16), options=[("grpc.so_reuseport", 0)]
    )
    kt.add_servicer(servicer, server)
    try:
        bound = server.add_insecure_port(f"{host}:{port}")
    except RuntimeError as exc:
        bound, reason = 0, exc
    else:
        reason = "bind failed"
    if not bound:
        raise DistributedError(f"port {port} on {host} is not available ({reason}).")
    servicer.tidy_retry_queue()
    server.start()
    return server


def serve(oracle, host: str, port: int, *, poll: float = 0.5, **servicer_kwargs) -> None:
    """Host `oracle` on `host:port` until every trial is done and every worker has left.

    Replaces `keras_tuner`'s `oracle_chief.start_server` (same service, same protocol, so
    plain KerasTuner workers also work) with: a thread pool, heartbeats, lost-worker handling
    and an exit once the search is over. `servicer_kwargs` go to `Servicer`: `worker_timeout`,
    `idle_wait`, `log`, `clock`, `sleep`, and `before_create`, which runs before each new trial
    is made; the chief passes its tuner's `pre_create_trial`, which KerasTuner calls only in
    the process that runs `search`, a worker, where the oracle is a proxy.
    """
    servicer = Servicer(oracle, **servicer_kwargs)
    with kt.quiet_condition_print():
        server = _start_server(servicer, host, port)
        servicer.event("serve", host=host, port=port, trials=len(oracle.trials))
        servicer.log(
            f"chief listening on {host}:{port} ({len(oracle.end_order)} trials already done)"
        )
        try:
            while not servicer.finished():
                servicer.sleep(poll)
                servicer.reap()
        finally:
            server.stop(grace=2).wait()
    if servicer.error is not None:  # KerasTuner's limit on consecutive failed trials
        raise DistributedError(f"the search stopped: {servicer.error}")
    servicer.fail_queued()
