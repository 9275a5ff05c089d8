"""Who a process is in a search (local, chief, worker), its KerasTuner environment, and the
checks that make a wrong address or a busy port fail at once rather than hang later.

Light: gRPC and TensorFlow are imported inside the functions that need them. Messages name
the settings fields (`dlhw.tuning.TuneSettings`) as `` `field` `` or `field=value`.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from dlhw.checks import non_negative_int
from dlhw.errors import DlhwError
from dlhw.tuning.settings import STRATEGIES

ENV_TUNER_ID = "KERASTUNER_TUNER_ID"
ENV_ORACLE_IP = "KERASTUNER_ORACLE_IP"
ENV_ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
ROLES = ("local", "chief", "worker")
CHIEF_ID = "chief"
_TAKES = {"local": set(), "chief": {"port", "host"}, "worker": {"chief", "worker_id"}}


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
            f"`chief` must be HOST:PORT (for example 10.0.0.5:8000 or 127.0.0.1:8000), "
            f"got {text!r}."
        )
    return host, _check_port_number(int(port), "`chief`'s port")


def make_role(
    role: str | None,
    *,
    port: int | None = None,
    chief: str | None = None,
    worker_id: int | None = None,
    host: str | None = None,
) -> Role:
    """Validate the role settings of a search and return the Role they describe.

    `role=None` is a local search. A chief needs `port` (and binds `host`, default 127.0.0.1);
    a worker needs `chief` (`HOST:PORT`) and a `worker_id` >= 0. Settings that belong to the
    other role are refused, so that a mistyped command fails here rather than hanging later.
    """
    name = role or "local"
    if name not in ROLES:
        raise DistributedError(f"`role` must be one of chief, worker (or None), got {role!r}.")
    given = {"port": port, "chief": chief, "worker_id": worker_id, "host": host}
    extra = [f"`{key}`" for key, value in given.items() if value is not None]
    extra = [text for text in extra if text.strip("`") not in _TAKES[name]]
    if extra:
        what = "a local search (no `role`)" if name == "local" else f"role={name!r}"
        raise DistributedError(
            f"{', '.join(extra)} cannot be used with {what}; "
            "a chief takes `port` (and `host`), a worker takes chief=HOST:PORT and `worker_id`."
        )
    if name == "local":
        return Role("local")
    if name == "chief":
        if port is None:
            raise DistributedError("role='chief' needs port=P (the port the chief listens on).")
        return Role("chief", host or "127.0.0.1", _check_port_number(port, "`port`"), CHIEF_ID)
    if chief is None:
        raise DistributedError(
            "role='worker' needs chief=HOST:PORT, the address of the chief "
            "(started with role='chief' and port=PORT)."
        )
    if worker_id is None:
        raise DistributedError(
            "role='worker' needs worker_id=N (a number unique among the workers, >= 0)."
        )
    non_negative_int(worker_id, "`worker_id`", DistributedError)
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
    _check_port_number(port, "`port`")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise DistributedError(f"host={host!r} is not a valid address: {exc}.") from exc
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as exc:
            raise DistributedError(
                f"port {port} on {host} is not available ({exc.strerror}): another chief or "
                "program is using it. Pick another `port`, or stop that process."
            ) from exc


def wait_for_chief(host: str, port: int, timeout: float) -> None:
    """Block until the chief's gRPC server answers at `host:port`, or raise after `timeout` s."""
    import grpc

    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError as exc:
        raise DistributedError(
            f"no chief answered at {host}:{port} within {timeout:.0f} s. Start it first (with "
            f"role='chief' and port={port}; host=0.0.0.0 to accept other machines), check the "
            "address and the firewall, or raise `connect_timeout`."
        ) from exc
    finally:
        channel.close()


def choose_strategy(name: str = "auto"):
    """A `tf.distribute` strategy for each trial's model: `auto` is MirroredStrategy over all
    visible GPUs when there are several, else None (plain Keras); `none` is None; `mirrored`
    forces MirroredStrategy (over the CPU when no GPU is visible)."""
    if name not in STRATEGIES:
        valid = ", ".join(STRATEGIES)
        raise DistributedError(f"`strategy` must be one of {valid}, got {name!r}.")
    if name == "none":
        return None
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if name == "auto" and len(gpus) < 2:
        return None
    return tf.distribute.MirroredStrategy()
