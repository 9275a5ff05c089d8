"""The settings of one `dlhw tune` run, in one dataclass: their defaults and their checks.

Light on purpose (no Keras, no gRPC): the command line builds its parser from these defaults
and refuses bad values before anything slow is imported. Messages name the fields as
`` `field` `` or `field=value`, which the command line shows as its flags.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dlhw.checks import non_negative_int, positive_int
from dlhw.errors import DlhwError

KINDS = ("random", "grid", "bayesian", "hyperband")
STRATEGIES = ("auto", "none", "mirrored")


class TuningError(DlhwError, ValueError):
    """A tuning argument or setting that cannot work, said with its name and the valid values."""


@dataclass(frozen=True)
class TuneSettings:
    """What `dlhw tune` runs: the Q1 search (`kind`, sizes from `profile` unless given), alone
    (`role=None`), as the chief of a distributed search (`port`, `host`) or as one of its
    workers (`chief` = "HOST:PORT", `worker_id`). `None` means: the profile's or the derived
    default (trials: budget / max epochs; `directory`: build/tune/<profile>; `output`:
    <directory>/<kind>_result.json; `profile`: $DLHW_PROFILE or full).
    """

    kind: str = "random"
    profile: str | None = None
    trials: int | None = None
    budget_epochs: int | None = None
    max_epochs: int | None = None
    directory: str | Path | None = None
    output: str | Path | None = None
    seed: int = 42
    overwrite: bool = False
    max_retries: int = 1
    strategy: str = "auto"
    role: str | None = None
    port: int | None = None
    host: str | None = None
    chief: str | None = None
    worker_id: int | None = None
    worker_timeout: float = 60.0
    heartbeat: float = 5.0
    connect_timeout: float = 600.0

    def checked_role(self):
        """The `Role` these settings describe, after every check (`check`)."""
        from dlhw.tuning.distributed.roles import make_role

        role = make_role(
            self.role, port=self.port, chief=self.chief, worker_id=self.worker_id, host=self.host
        )
        self.check(role.name)
        return role

    def check(self, role: str = "local") -> None:
        """Refuse values and combinations that would fail later, or hang (raise TuningError)."""
        if self.kind not in KINDS:
            raise TuningError(f"`kind` must be one of {', '.join(KINDS)}, got {self.kind!r}.")
        if self.strategy not in STRATEGIES:
            valid = ", ".join(STRATEGIES)
            raise TuningError(f"`strategy` must be one of {valid}, got {self.strategy!r}.")
        for name in ("trials", "budget_epochs", "max_epochs"):
            if getattr(self, name) is not None:
                positive_int(getattr(self, name), f"`{name}`", TuningError)
        non_negative_int(self.seed, "`seed`", TuningError)
        non_negative_int(self.max_retries, "`max_retries`", TuningError)
        for name in ("worker_timeout", "heartbeat", "connect_timeout"):
            if getattr(self, name) <= 0:
                raise TuningError(
                    f"`{name}` must be a positive number of seconds, got {getattr(self, name)}."
                )
        if self.heartbeat * 2 > self.worker_timeout:
            raise TuningError(
                f"`worker_timeout` ({self.worker_timeout} s) must be at least twice `heartbeat` "
                f"({self.heartbeat} s), or live workers would be declared lost."
            )
        if role == "worker" and self.overwrite:
            raise TuningError("`overwrite` is for the chief (or a local search), not a worker.")
        if role == "worker" and self.output is not None:
            raise TuningError("`output` is written by the chief (or a local search), not a worker.")
