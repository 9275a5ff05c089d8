"""dlhw.tuning.distributed: roles and their errors, the fault-tolerant chief, and real processes.

The process tests start a chief and workers over 127.0.0.1 with a tiny hypermodel defined
here (this file is also their entry point: `python tests/test_distributed.py --role ...`).
Every wait has a timeout, so a hang fails the test instead of blocking CI.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from dlhw.tuning import _keras_tuner as kt, distributed as dist
from dlhw.tuning.distributed import chief

HERE = Path(__file__).resolve()
PROJECT = "tiny"
EXIT_TIMEOUT = 150  # seconds any process of a test may take before the test fails


# --- the tiny search run by the subprocesses ---------------------------------------------


def tiny_tuner(directory, trials, *, overwrite=False, max_retries=0, delay=0.0, **kwargs):
    """A RandomSearch over a 2-hyperparameter MLP on 64 seeded rows; `delay` s per trial."""
    import keras
    import keras_tuner

    class TinyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            model = keras.Sequential(
                [
                    keras.Input((4,)),
                    keras.layers.Dense(hp.Int("units", 2, 64), activation="relu"),
                    keras.layers.Dense(1),
                ]
            )
            lr = hp.Float("lr", 1e-3, 1e-1, sampling="log")
            model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
            return model

        def fit(self, hp, model, *args, **fit_kwargs):
            time.sleep(delay)  # stands in for real training time
            return model.fit(*args, **fit_kwargs)

    return keras_tuner.RandomSearch(
        TinyHyperModel(),
        objective="val_loss",
        max_trials=trials,
        seed=1,
        directory=str(directory),
        project_name=PROJECT,
        overwrite=overwrite,
        max_retries_per_trial=max_retries,
        **kwargs,
    )


def tiny_data():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5, 0.0], dtype="float32")
    return (x[:48], y[:48]), {"validation_data": (x[48:], y[48:]), "epochs": 2, "verbose": 0}


def free_port(host: str = "127.0.0.1") -> int:
    """An unused TCP port on `host`, chosen by the operating system."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def main(argv=None) -> int:
    """Entry point of the test processes: one role of a tiny search."""
    p = argparse.ArgumentParser()
    p.add_argument("--directory", required=True)
    p.add_argument("--trials", type=int, default=4)
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--role")
    p.add_argument("--port", type=int)
    p.add_argument("--chief")
    p.add_argument("--worker-id", type=int)
    p.add_argument("--max-retries", type=int, default=0)
    p.add_argument("--worker-timeout", type=float, default=60.0)
    p.add_argument("--output")
    a = p.parse_args(argv)
    role = dist.make_role(a.role, port=a.port, chief=a.chief, worker_id=a.worker_id)
    data, fit_kwargs = tiny_data() if role.name != "chief" else ((), {})
    result = dist.run_search(
        lambda: tiny_tuner(a.directory, a.trials, max_retries=a.max_retries, delay=a.delay),
        role,
        settings={"kind": "random", "seed": 1, "max_trials": a.trials},
        search_args=data,
        search_kwargs=fit_kwargs,
        worker_timeout=a.worker_timeout,
        heartbeat=0.5,
        connect_timeout=60.0,
        idle_wait=0.3,
    )
    if a.output and result is not None:
        Path(a.output).write_text(json.dumps(result, default=str))
    return 0


# --- helpers for the process tests -------------------------------------------------------


class Cluster:
    """Processes of one test; all are killed at the end, whatever happened."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port: int | None = None  # chosen when the first chief starts
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen:
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
        cmd = [sys.executable, str(HERE), "--directory", str(self.directory), *args]
        log = open(self.directory.parent / f"{name}.log", "w")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        return self.procs[name]

    def chief(self, *args: str, name: str = "chief") -> subprocess.Popen:
        """Start a chief and wait until it serves; a restarted chief keeps the first's port."""
        out = self.directory.parent / f"{name}.json"

        def launch(port: int) -> subprocess.Popen:
            return self.start(
                name, "--role", "chief", "--port", str(port), "--output", str(out), *args
            )

        if self.port is not None:
            return launch(self.port)
        proc, self.port = start_chief(launch, lambda: self.log(name))
        return proc

    def worker(self, n: int, *args: str) -> subprocess.Popen:
        address = f"127.0.0.1:{self.port}"
        return self.start(
            f"worker{n}", "--role", "worker", "--chief", address, "--worker-id", str(n), *args
        )

    def log(self, name: str) -> str:
        return (self.directory.parent / f"{name}.log").read_text()

    def wait_all(self, timeout: float = EXIT_TIMEOUT) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        codes = {}
        for name, proc in self.procs.items():
            try:
                codes[name] = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                logs = {n: self.log(n)[-1500:] for n in self.procs}
                pytest.fail(f"{name} did not exit within {timeout} s; logs: {logs}")
        return codes

    def close(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def events(self) -> list[dict]:
        return dist.read_events(self.directory / PROJECT)

    def result(self, name: str = "chief") -> dict:
        return json.loads((self.directory.parent / f"{name}.json").read_text())


@pytest.fixture()
def cluster(tmp_path):
    (tmp_path / "tune").mkdir()
    c = Cluster(tmp_path / "tune")
    yield c
    c.close()


def completions(events: list[dict]) -> list[str]:
    return [e["trial"] for e in events if e["event"] == "end" and e["status"] == "COMPLETED"]


def start_chief(
    launch: Callable[[int], subprocess.Popen], output: Callable[[], str], tries: int = 3
) -> tuple[subprocess.Popen, int]:
    """Start a chief on a free port and wait until it answers. A port is free when chosen but
    bound by the chief seconds later: if another process took it in between (the chief exits
    saying the port "is not available"), start again on a new one."""
    for _ in range(tries):
        port = free_port()
        proc = launch(port)
        deadline = time.monotonic() + EXIT_TIMEOUT
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                dist.wait_for_chief("127.0.0.1", port, timeout=1.0)
            except dist.DistributedError:
                continue
            if proc.poll() is None:  # it answers, and it is ours
                return proc, port
        if proc.poll() is None:
            proc.kill()
            pytest.fail(f"the chief did not serve within {EXIT_TIMEOUT} s: {output()[-1500:]}")
        if "is not available" not in output():
            pytest.fail(f"the chief exited with {proc.returncode}: {output()[-1500:]}")
    pytest.fail(f"no free port held for the chief in {tries} tries")


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.2)


# --- roles and options (fast) ------------------------------------------------------------


def test_roles_set_the_keras_tuner_environment():
    chief = dist.make_role("chief", port=8123)
    worker = dist.make_role("worker", chief="10.0.0.5:8123", worker_id=2)
    assert chief.environ() == {
        "KERASTUNER_TUNER_ID": "chief",
        "KERASTUNER_ORACLE_IP": "127.0.0.1",
        "KERASTUNER_ORACLE_PORT": "8123",
    }
    assert worker.environ() == {
        "KERASTUNER_TUNER_ID": "worker2",
        "KERASTUNER_ORACLE_IP": "10.0.0.5",
        "KERASTUNER_ORACLE_PORT": "8123",
    }
    env = {"KERASTUNER_TUNER_ID": "stale", "KERASTUNER_ORACLE_IP": "1.2.3.4", "PATH": "x"}
    assert dist.apply_environment(dist.make_role(None), env) == {}
    assert env == {"PATH": "x"}  # a local search never joins a leftover chief
    dist.apply_environment(worker, env)
    assert env["KERASTUNER_TUNER_ID"] == "worker2" and env["PATH"] == "x"
    assert dist.parse_chief_address("[::1]:9000") == ("::1", 9000)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"role": "worker", "worker_id": 0}, "role='worker' needs chief=HOST:PORT"),
        ({"role": "worker", "chief": "h:1"}, "role='worker' needs worker_id=N"),
        ({"role": "worker", "chief": "h", "worker_id": 0}, "`chief` must be HOST:PORT"),
        ({"role": "worker", "chief": "h:70000", "worker_id": 0}, "port must be a port number"),
        (
            {"role": "worker", "chief": "h:1", "worker_id": -1},
            "`worker_id` must be a non-negative integer",
        ),
        ({"role": "worker", "chief": "h:1", "worker_id": 0, "port": 5}, "`port` cannot be used"),
        ({"role": "chief"}, "role='chief' needs port=P"),
        ({"role": "chief", "port": 0}, "`port` must be a port number in 1..65535"),
        (
            {"role": "chief", "port": 80, "worker_id": 1},
            "`worker_id` cannot be used with role='chief'",
        ),
        ({"role": None, "port": 80}, "cannot be used with a local search"),
        ({"role": "boss"}, "`role` must be one of chief, worker"),
    ],
)
def test_bad_role_options_are_named(kwargs, message):
    role = kwargs.pop("role")
    with pytest.raises(dist.DistributedError, match=message.replace("(", r"\(")):
        dist.make_role(role, **kwargs)


def test_port_in_use_is_reported():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(
            dist.DistributedError, match=f"port {port} on 127.0.0.1 is not available"
        ):
            dist.check_port_free("127.0.0.1", port)
    dist.check_port_free("127.0.0.1", free_port())


def test_worker_without_a_chief_fails_fast():
    with pytest.raises(dist.DistributedError, match="no chief answered at 127.0.0.1"):
        dist.wait_for_chief("127.0.0.1", free_port(), timeout=0.5)


def test_settings_must_match(tmp_path):
    tmp_path = tmp_path / "random"  # the chief's project folder: <directory>/<kind>
    settings = {"kind": "random", "seed": 1, "profile": "smoke", "max_trials": 4}
    with pytest.raises(dist.DistributedError, match="shared filesystem"):
        dist.check_settings(tmp_path, settings)
    dist.write_settings(tmp_path, settings, resume=True)
    dist.check_settings(tmp_path, {**settings, "max_trials": 9})  # the chief decides that
    with pytest.raises(dist.DistributedError, match="inconsistent options: .*kind='random'"):
        dist.check_settings(tmp_path, {**settings, "kind": "bayesian"})
    with pytest.raises(dist.DistributedError, match="overwrite=True"):
        dist.write_settings(tmp_path, {**settings, "seed": 2}, resume=True)
    dist.write_settings(tmp_path, {**settings, "seed": 2}, resume=False)
    with pytest.raises(dist.DistributedError, match="holds: random; is `kind` the chief's"):
        dist.check_settings(tmp_path.parent / "bayesian", settings)


def test_strategy_choice_on_cpu():
    with pytest.raises(dist.DistributedError, match="`strategy` must be one of auto, none"):
        dist.choose_strategy("tpu")
    assert dist.choose_strategy("none") is None
    assert dist.choose_strategy("auto") is None  # no GPU here (MirroredStrategy with >= 2)
    import tensorflow as tf

    assert isinstance(dist.choose_strategy("mirrored"), tf.distribute.MirroredStrategy)


# --- the chief's service, driven in-process (no sockets, no training) --------------------


class FakeContext:
    def __init__(self, tuner_id=None):
        self.metadata = () if tuner_id is None else ((chief.METADATA_KEY, tuner_id),)

    def invocation_metadata(self):
        return self.metadata


class FakeClock:
    """Seconds that pass only when a test says so (`advance`) or the code sleeps."""

    def __init__(self):
        self.now, self.slept = 1000.0, []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _servicer(tmp_path, trials=3, max_retries=0):
    tuner = tiny_tuner(tmp_path, trials, max_retries=max_retries)
    lines, clock = [], FakeClock()
    servicer = chief.Servicer(
        tuner.oracle,
        worker_timeout=5.0,
        idle_wait=0.25,
        log=lines.append,
        clock=clock,
        sleep=clock.sleep,
    )
    return tuner.oracle, servicer, lines


def _silence(servicer, *alive):
    """A minute passes, far past the 5 s timeout, in which only the `alive` workers call."""
    servicer.clock.advance(60.0)
    for tuner_id in alive:
        request = kt.service().GetBestTrialsRequest(num_trials=0)  # a heartbeat
        servicer.GetBestTrials(request, FakeContext(tuner_id))


def _create(servicer, tuner_id):
    request = kt.service().CreateTrialRequest(tuner_id=tuner_id)
    return kt.Trial.from_proto(servicer.CreateTrial(request, FakeContext(tuner_id)).trial)


def _end(servicer, oracle, trial_id, tuner_id, loss=1.0):
    svc = kt.service()
    servicer.UpdateTrial(
        svc.UpdateTrialRequest(trial_id=trial_id, metrics={"val_loss": loss}, step=0),
        FakeContext(tuner_id),
    )
    trial = kt.Trial.from_proto(oracle.get_trial(trial_id).to_proto())  # the worker's copy
    trial.status = "COMPLETED"
    servicer.EndTrial(svc.EndTrialRequest(trial=trial.to_proto()), FakeContext(tuner_id))


@pytest.mark.slow
def test_lost_worker_trial_is_retried_by_another(tmp_path):
    oracle, servicer, lines = _servicer(tmp_path, trials=2, max_retries=1)
    t0 = _create(servicer, "worker0").trial_id
    t1 = _create(servicer, "worker1").trial_id
    _end(servicer, oracle, t1, "worker1", loss=0.5)
    idle = _create(servicer, "worker1")  # budget spent but t0 still running: wait, don't stop
    assert idle.status == "IDLE" and servicer.clock.slept == [0.25]  # the idle wait
    assert "worker1" in oracle.tuner_ids and not servicer.stop_triggered
    _silence(servicer, "worker1")  # worker0 went silent; worker1 kept calling
    servicer.reap()
    assert "worker0" not in oracle.tuner_ids and kt.retry_queue(oracle) == [t0]
    assert _create(servicer, "worker1").trial_id == t0  # the retry goes to the live worker
    _end(servicer, oracle, t0, "worker0")  # a late report from the lost worker: ignored
    assert oracle.trials[t0].status == "RUNNING"
    _end(servicer, oracle, t0, "worker1", loss=0.25)
    assert _create(servicer, "worker1").status == "STOPPED"
    assert servicer.finished()
    assert sorted(oracle.end_order) == [t0, t1] and oracle.trials[t0].status == "COMPLETED"
    assert any(f"trial {t0} COMPLETED by worker1" in line for line in lines)


@pytest.mark.slow
def test_lost_worker_trial_is_recorded_failed_without_retries(tmp_path):
    oracle, servicer, _ = _servicer(tmp_path, trials=2, max_retries=0)
    t0 = _create(servicer, "worker0").trial_id
    servicer.reap()
    assert oracle.trials[t0].status == "RUNNING"  # seen just now: not lost
    _silence(servicer)
    servicer.reap()
    assert oracle.trials[t0].status == "FAILED"
    assert "worker worker0 lost: no heartbeat" in oracle.trials[t0].message
    assert oracle.end_order == [t0] and not oracle.ongoing_trials
    saved = json.loads((kt.project_dir(oracle) / f"trial_{t0}" / "trial.json").read_text())
    assert saved["status"] == "FAILED"


@pytest.mark.slow
def test_late_result_of_a_queued_trial_is_adopted(tmp_path):
    oracle, servicer, _ = _servicer(tmp_path, trials=2, max_retries=1)
    t0 = _create(servicer, "worker0").trial_id
    _silence(servicer)
    servicer.reap()  # worker0 was only slow (e.g. a network partition)
    assert kt.retry_queue(oracle) == [t0]
    _end(servicer, oracle, t0, "worker0", loss=0.3)  # nobody took the retry yet: keep it
    assert oracle.trials[t0].status == "COMPLETED" and kt.retry_queue(oracle) == []


@pytest.mark.slow
def test_default_strategy_is_accepted(tmp_path):
    import tensorflow as tf

    tuner = tiny_tuner(tmp_path, 2, distribution_strategy=tf.distribute.get_strategy())
    result = dist.run_search(
        lambda: tuner,
        dist.make_role(None),
        settings={"kind": "random"},
        search_args=tiny_data()[0],
        search_kwargs=tiny_data()[1],
        log=lambda line: None,
    )
    assert result["completed"] == 2 and result["best_hyperparameters"]["units"] >= 2


# --- `dlhw tune` -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--role", "worker", "--worker-id", "1"], "--role worker needs --chief HOST:PORT"),
        (["--role", "chief"], "--role chief needs --port"),
        (["--chief", "h:1"], "--chief cannot be used with a local search"),
        (["--role", "worker", "--chief", "h:1", "--worker-id", "0", "--overwrite"], "--overwrite"),
        (["--trials", "0"], "--trials must be a positive integer, got 0"),
        (["--max-retries", "-1"], "--max-retries must be a non-negative integer, got -1"),
        (["--heartbeat", "40"], "--worker-timeout (60.0 s) must be at least twice --heartbeat"),
    ],
)
def test_tune_usage_errors(argv, message, capsys):
    from dlhw import cli

    assert cli.main(["tune", "--profile", "smoke", *argv]) == 2
    assert message in capsys.readouterr().err


def test_tune_port_in_use(capsys):
    from dlhw import cli

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["tune", "--role", "chief", "--port", str(port)]) == 2
    assert f"port {port} on 127.0.0.1 is not available" in capsys.readouterr().err


@pytest.mark.slow
def test_dlhw_tune_chief_and_worker_run_the_q1_search(tmp_path):
    common = ["--profile", "smoke", "--directory", str(tmp_path / "tune"), "--trials", "2"]
    common += ["--budget-epochs", "4"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    dlhw = [sys.executable, "-m", "dlhw", "tune", *common]
    logs = {name: tmp_path / f"{name}.log" for name in ("chief", "worker")}

    def launch(name: str, *args: str) -> subprocess.Popen:
        out = open(logs[name], "w")  # noqa: SIM115
        return subprocess.Popen([*dlhw, *args], stdout=out, stderr=subprocess.STDOUT, env=env)

    chief, port = start_chief(
        lambda p: launch("chief", "--role", "chief", "--port", str(p)), logs["chief"].read_text
    )
    address = f"127.0.0.1:{port}"
    worker = launch("worker", "--role", "worker", "--chief", address, "--worker-id", "0")
    try:
        chief.wait(timeout=EXIT_TIMEOUT)
        worker.wait(timeout=EXIT_TIMEOUT)
    finally:
        for proc in (chief, worker):
            proc.kill()
    chief_out, worker_out = logs["chief"].read_text(), logs["worker"].read_text()
    assert chief.returncode == 0 and worker.returncode == 0, chief_out[-2000:] + worker_out[-2000:]
    assert "[2/2] trial" in chief_out and "worker0: trial" in worker_out
    result = json.loads((tmp_path / "tune" / "random_result.json").read_text())
    assert result["completed"] == 2 and result["role"] == "chief"
    assert 0 <= result["best_score"] <= 1 and "learning_rate" in result["best_hyperparameters"]
    assert [row["status"] for row in result["trials"]] == ["COMPLETED", "COMPLETED"]


# --- real processes over 127.0.0.1 -------------------------------------------------------


@pytest.mark.slow
def test_chief_and_two_workers_finish_a_search(cluster):
    trials = 4
    cluster.chief("--trials", str(trials), "--delay", "0.5")
    cluster.worker(0, "--delay", "0.5")
    cluster.worker(1, "--delay", "0.5")
    codes = cluster.wait_all()
    assert codes == {"chief": 0, "worker0": 0, "worker1": 0}
    done = completions(cluster.events())
    assert sorted(done) == sorted(set(done)) and len(done) == trials  # each exactly once
    result = cluster.result()
    assert result["completed"] == trials and result["failed"] == 0
    assert len(result["trials"]) == trials and result["best_hyperparameters"] is not None
    assert cluster.log("chief").count(" COMPLETED by worker") == trials
    ran = {e["tuner"] for e in cluster.events() if e["event"] == "start"}
    assert ran <= {"worker0", "worker1"}


@pytest.mark.slow
def test_a_port_taken_before_the_chief_binds_it_is_retried(cluster, monkeypatch):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        offered = iter([taken])  # the first port offered is taken by the time the chief binds
        real = free_port
        monkeypatch.setitem(globals(), "free_port", lambda: next(offered, 0) or real())
        cluster.chief("--trials", "1")
        assert cluster.port not in (None, taken)  # the chief on `taken` exited; retried
    cluster.worker(0)
    assert cluster.wait_all() == {"chief": 0, "worker0": 0}


@pytest.mark.slow
def test_killed_worker_does_not_lose_its_trial(cluster):
    trials = 4
    # A heartbeat every 0.5 s; a worker silent for 10 s is lost: margin for a loaded machine.
    slow = ("--delay", "2", "--worker-timeout", "10", "--max-retries", "1")
    cluster.chief("--trials", str(trials), *slow)
    victim = cluster.worker(1, *slow)

    def victim_running():
        started = [e for e in cluster.events() if e["event"] == "start"]
        return any(e["tuner"] == "worker1" for e in started)

    # The victim holds a trial before the other worker exists, so it cannot drain the queue.
    wait_for(victim_running, 90, "worker1 to start a trial")
    cluster.worker(0, *slow)
    victim.send_signal(signal.SIGKILL)
    starts = [e for e in cluster.events() if e["event"] == "start" and e["tuner"] == "worker1"]
    lost_trial = starts[-1]["trial"]
    codes = cluster.wait_all()
    assert codes["chief"] == 0 and codes["worker0"] == 0 and codes["worker1"] == -signal.SIGKILL
    events = cluster.events()
    assert any(e["event"] == "lost" and e["tuner"] == "worker1" for e in events)
    done = completions(events)
    assert len(done) == len(set(done)) == trials  # the lost trial was re-run, once
    result = cluster.result()
    assert {row["status"] for row in result["trials"]} == {"COMPLETED"}
    assert lost_trial in done


@pytest.mark.slow
def test_restarted_chief_resumes_without_rerunning(cluster):
    chief = cluster.chief("--trials", "4", "--delay", "2")
    cluster.worker(0, "--delay", "2")
    wait_for(lambda: len(completions(cluster.events())) >= 2, 90, "two completed trials")
    chief.send_signal(signal.SIGKILL)  # the chief dies mid-search; the worker carries on
    chief.wait(timeout=10)
    first = completions(cluster.events())
    trial_files = {t: cluster.directory / PROJECT / f"trial_{t}" / "trial.json" for t in first}
    before = {t: path.read_text() for t, path in trial_files.items()}

    del cluster.procs["chief"]
    cluster.chief("--trials", "4", name="chief2")  # same port, same directory
    codes = cluster.wait_all()
    assert codes == {"worker0": 0, "chief2": 0}
    events = cluster.events()
    restart = max(i for i, e in enumerate(events) if e["event"] == "serve")
    rerun = [e["trial"] for e in events[restart:] if e["event"] == "start"]
    assert not set(rerun) & set(first)  # completed trials did not run again
    assert {t: path.read_text() for t, path in trial_files.items()} == before
    done = completions(events)
    assert len(done) == len(set(done)) == 4  # the trial in flight was finished once
    assert cluster.result("chief2")["completed"] == 4


# --- KerasTuner's internals behind one door ----------------------------------------------


def test_keras_tuner_versions_outside_the_range_are_refused():
    kt.check_version("1.4.7")
    kt.check_version("1.4.8")
    for version in ("1.4.0", "1.5.0", "2.0.1"):
        with pytest.raises(kt.KerasTunerVersionError, match=r"keras-tuner >=1\.4\.7,<1\.5"):
            kt.check_version(version)


def test_keras_tuner_patches_are_scoped():
    from keras_tuner.src.distribute import oracle_client
    from keras_tuner.src.engine import conditions

    timeout, to_proto = oracle_client.TIMEOUT, conditions.Parent.to_proto
    with kt.client_timeout(7.0), kt.quiet_condition_print():
        assert oracle_client.TIMEOUT == 7.0 and conditions.Parent.to_proto is not to_proto
    assert oracle_client.TIMEOUT == timeout and conditions.Parent.to_proto is to_proto


def test_only_one_module_reaches_into_keras_tuner():
    src = HERE.parents[1] / "src"
    users = [p.relative_to(src) for p in src.rglob("*.py") if "keras_tuner.src" in p.read_text()]
    assert users == [Path("dlhw/tuning/_keras_tuner.py")]


def test_tune_names_the_settings_fields():
    from dlhw import tuning

    with pytest.raises(dist.DistributedError, match="role='worker' needs chief=HOST:PORT"):
        tuning.tune(tuning.TuneSettings(role="worker", worker_id=1))
    with pytest.raises(tuning.TuningError, match="`trials` must be a positive integer, got 0"):
        tuning.tune(tuning.TuneSettings(trials=0))


if __name__ == "__main__":
    raise SystemExit(main())
