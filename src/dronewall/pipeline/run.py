"""One run, end to end: simulate → sense → track → assess → respond → record → report.

The tick loop itself is :class:`~dronewall.pipeline.session.RunSession` (one tick per ``step``);
here a batch run steps it to the end with the scenario's simulated operator policy, writing the
store :data:`FLUSH_TICKS` ticks per transaction. At the end ``summary.json`` is written and the
report is built from the store, all inside an atomic run folder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dronewall.picture import EventStore
from dronewall.pipeline.evaluation import EvaluationConfig
from dronewall.pipeline.output import atomic_directory
from dronewall.pipeline.session import RunSession
from dronewall.report import write_report
from dronewall.sim import Scenario, load_scenario
from dronewall.tracking import TrackerConfig
from dronewall.world import World, load_world

#: Ticks written to the store per transaction.
FLUSH_TICKS = 60


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run produced: its summary (as in ``summary.json``), its folder and its wall time."""

    summary: dict[str, Any]
    out_dir: Path
    wall_s: float


def run_scenario(
    source: str | Path,
    out: Path,
    *,
    seed: int = 0,
    progress: bool = False,
    world: World | None = None,
    tracker_config: TrackerConfig | None = None,
    evaluation: EvaluationConfig | None = None,
) -> RunResult:
    """Run a built-in scenario or a scenario file and write ``out`` (atomically).

    Writes ``out/summary.json``, ``out/events.sqlite`` and ``out/report.html``. A bad scenario
    raises before anything is written; any failure leaves a previous ``out`` untouched.
    """
    start = time.perf_counter()
    world = load_world() if world is None else world
    scenario = load_scenario(source, world)
    with atomic_directory(Path(out)) as work:
        summary = simulate(
            scenario,
            world,
            seed=seed,
            db_path=work / "events.sqlite",
            progress=progress,
            tracker_config=tracker_config,
            evaluation=evaluation,
        )
        (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        write_report(work)
    return RunResult(summary=summary, out_dir=Path(out), wall_s=time.perf_counter() - start)


def simulate(
    scenario: Scenario,
    world: World,
    *,
    seed: int,
    db_path: Path,
    progress: bool = False,
    tracker_config: TrackerConfig | None = None,
    evaluation: EvaluationConfig | None = None,
) -> dict[str, Any]:
    """Run the pipeline over a scenario, record it in ``db_path`` and return the summary.

    The scenario's simulated operator policy answers the proposals; ticks are written
    :data:`FLUSH_TICKS` per transaction.
    """
    wall0 = time.perf_counter()
    store = EventStore.open(db_path)
    try:
        session = RunSession(
            scenario,
            world,
            seed=seed,
            store=store,
            tracker_config=tracker_config,
            evaluation=evaluation,
        )
        with _progress(progress, scenario.name, session.n_ticks) as advance:
            while not session.done:
                with store.transaction():
                    for _ in range(min(FLUSH_TICKS, session.n_ticks - session.k)):
                        session.step()
                        advance()
        summary = session.summary()
        summary["wall_time_s"] = round(time.perf_counter() - wall0, 3)
        session.finish(summary)
    except BaseException:
        store.close()
        raise
    store.close()
    return summary


@contextmanager
def _progress(enabled: bool, name: str, total: int) -> Iterator[Any]:
    """A rich progress bar that only appears for runs longer than a second."""
    if not enabled:
        yield lambda: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} ticks"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    task = bar.add_task(name, total=total)
    started = time.perf_counter()
    shown = False

    def advance() -> None:
        nonlocal shown
        bar.advance(task)
        if not shown and time.perf_counter() - started > 1.0:
            bar.start()
            shown = True

    try:
        yield advance
    finally:
        if shown:
            bar.stop()
