"""Settings of the picture service (one frozen dataclass, validated on construction)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dronewall.core.errors import ConfigError

if TYPE_CHECKING:
    from dronewall.pipeline.session import RunSession

#: Allowed replay / live speeds (x real time).
SPEED_MIN = 0.1
SPEED_MAX = 100.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSettings:
    """What the service serves and how.

    What is served is the ``mode`` of ``GET /api/v1/health``: ``live`` for a ``scenario``,
    ``replay`` for a ``replay``, ``idle`` for neither (until ``POST /api/v1/scenario/start``);
    :class:`dronewall.service.runtime.IngestSettings` (live sensor inputs) gives ``ingest``.

    Attributes
    ----------
    scenario : str or None
        A built-in scenario name or a scenario file, run live through the pipeline.
    replay : Path or None
        A recorded run folder holding ``events.sqlite`` (or the store file itself), replayed.
    db : str or None
        Event store of the live run: an SQLAlchemy URL or a path; ``None``: a fresh SQLite file in
        a new temporary run folder.
    speed : float
        Live run speed, x real time (0.1 .. 100).
    seed : int
        Seed of the live run.
    tokens : Path or None
        YAML token file (``tokens: [{token, user, role, clearances}]``); ``None``: one random
        admin token per start (:attr:`dronewall.service.app.ServiceState.admin_token`).
    autostart : bool
        Start the live run at once; otherwise it waits for ``POST /api/v1/scenario/start``.
    static_dir : Path or None
        Web assets served at ``/``; ``None``: the package's ``static`` folder.
    on_finish : callable or None
        Called (in a worker thread) with the finished :class:`RunSession` and its summary when a
        live run reaches its last tick, after the summary is recorded (``demo`` writes the run
        folder and report there).
    """

    scenario: str | None = None
    replay: Path | None = None
    db: str | None = None
    speed: float = 1.0
    seed: int = 0
    tokens: Path | None = None
    autostart: bool = True
    static_dir: Path | None = None
    on_finish: Callable[[RunSession, dict[str, object]], None] | None = None

    def __post_init__(self) -> None:
        if self.scenario is not None and self.replay is not None:
            raise ConfigError("give a scenario or a replay, not both", field="replay")
        if not SPEED_MIN <= float(self.speed) <= SPEED_MAX:
            raise ConfigError(
                "speed out of range",
                field="speed",
                expected=f"{SPEED_MIN} .. {SPEED_MAX}",
                actual=str(self.speed),
            )
