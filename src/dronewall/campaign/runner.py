"""Monte Carlo campaigns: ``N`` seeded runs of one scenario on Dask.

Run ``i`` (``i = 0 .. N-1``) has seed ``seed0 + i`` and goes through the whole pipeline
(:func:`dronewall.pipeline.simulate`) on a Dask worker, with its own temporary event store that is
removed when the run ends; the worker sends back only the run's table rows
(:mod:`dronewall.campaign.rows`). The same seed gives the same rows (bar ``wall_time_s``) on any
worker, since every random draw of a run descends from its seed.

Where the runs go: a :class:`distributed.LocalCluster` of ``workers`` processes with one thread
each (default: one per core this process may use), or an existing Dask scheduler at ``scheduler``
(``tcp://host:8786``; its workers must have the same dronewall installed). The scenario is loaded
and validated here once and shipped to the workers as an object, so a scenario file need not exist
on other machines.

A run that raises is caught on its worker and comes back as a :class:`RunFailure` (seed, error,
traceback); a run whose worker process dies comes back as one too. Either way the other runs are
kept. The output folder is written atomically (:func:`dronewall.pipeline.atomic_directory`):

- ``campaign.parquet``: the rows (:data:`dronewall.campaign.rows.SCHEMA`), with the campaign's
  facts as JSON under the schema metadata key ``dronewall.campaign``;
- ``campaign.html``: a self-contained page of distributions and per-run figures;
- ``failures.json``: a list of ``{seed, error, traceback, worker}``, empty when all runs succeeded.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import logging
import math
import os
import tempfile
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

import dronewall
from dronewall.campaign.report import render_campaign
from dronewall.campaign.rows import object_facts, rows_to_table, run_rows
from dronewall.core.errors import InputError
from dronewall.pipeline import atomic_directory, simulate
from dronewall.sim import Scenario, Simulation, load_scenario
from dronewall.world import load_world
from dronewall.world.deployment import FiringDoctrine

#: A function that runs one seed of a scenario and returns its table rows.
RunFunction = Callable[[Scenario, int], list[dict[str, Any]]]

#: Engagement doctrines a campaign can run under (``EngagementConfig.policy``; a test pins the
#: two lists together, since ``campaign`` may not import ``respond``).
POLICIES: tuple[FiringDoctrine, ...] = get_args(FiringDoctrine)

#: Seconds to wait for a scheduler to answer and for its first worker.
CONNECT_TIMEOUT_S = 30.0
METADATA_KEY = "dronewall.campaign"


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A run that did not finish: its seed, ``"Type: message"`` and the formatted traceback."""

    seed: int
    error: str
    traceback: str
    worker: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class CampaignResult:
    """What a campaign produced.

    ``table`` holds the rows of the runs that succeeded; ``setup_s`` is the time to start (or reach)
    the cluster, ``compute_s`` from the first submission to the last result, ``wall_s`` the whole
    call including writing the output.
    """

    out_dir: Path
    table: pa.Table
    failures: tuple[RunFailure, ...]
    runs: int
    workers: int
    setup_s: float
    compute_s: float
    wall_s: float

    @property
    def ok_runs(self) -> int:
        return self.runs - len(self.failures)


def run_seed(scenario: Scenario, seed: int) -> list[dict[str, Any]]:
    """Run one seed through the whole pipeline and return its table rows.

    The event store lives in a temporary folder that is removed when the run ends. Target sites,
    unit costs and appearance times come from the run's truth table, rebuilt from the same seed
    (truth is drawn from the seed before the run starts and does not depend on what the run does;
    rebuilding it costs about 0.06 s, well under a per cent of a ``kleine-brogel-night`` run).
    """
    start = time.perf_counter()
    world = load_world()
    with tempfile.TemporaryDirectory(prefix="dronewall-campaign-") as tmp:
        summary = simulate(scenario, world, seed=seed, db_path=Path(tmp) / "events.sqlite")
    truth = Simulation(scenario, world, seed).truth
    facts = object_facts(truth, [s.id for s in scenario.sites], scenario.t0, scenario.tick_s)
    return run_rows(summary, facts, time.perf_counter() - start, policy=scenario.policy.engagement)


def _distributed() -> Any:
    """The ``distributed`` module, imported when first needed (it is slow to import), as ``Any``:
    its functions carry no annotations that ``mypy --strict`` would accept."""
    return importlib.import_module("distributed")


def _worker_address() -> str | None:
    try:
        return str(_distributed().get_worker().address)
    except ValueError:  # not running on a worker (called directly)
        return None


def warm_up() -> None:
    """Run on every worker before the first run: unpickling this function imports this module and
    with it the whole pipeline, and the world model is loaded (and cached), so that no run's wall
    time (nor a scaling benchmark) carries those one-off costs."""
    load_world()


def execute_run(
    run_one: RunFunction, scenario: Scenario, seed: int
) -> tuple[list[dict[str, Any]], RunFailure | None]:
    """The task a worker runs: ``run_one(scenario, seed)``, any exception turned into a failure."""
    try:
        rows = run_one(scenario, seed)
        if not isinstance(rows, list):
            raise TypeError(f"a run function must return a list of rows, not {type(rows)!r}")
        return rows, None
    except Exception as exc:  # the campaign keeps the other runs and reports this one
        return [], RunFailure(
            seed=seed,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
            worker=_worker_address(),
        )


def default_workers() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _check_policy(policy: str) -> None:
    if policy not in POLICIES:
        raise InputError(
            "unknown engagement policy",
            field="--policy",
            expected="|".join(POLICIES),
            actual=repr(policy),
        )


def with_policy(scenario: Scenario, policy: str) -> Scenario:
    """``scenario`` with its advice following the engagement doctrine ``policy``.

    Raises
    ------
    InputError
        ``policy`` is not one of :data:`POLICIES`.
    """
    _check_policy(policy)
    doctrine = next(p for p in POLICIES if p == policy)
    return dataclasses.replace(
        scenario, policy=dataclasses.replace(scenario.policy, engagement=doctrine)
    )


def _check_args(
    runs: int, workers: int | None, scheduler: str | None, seed0: int, duration_s: float | None
) -> None:
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise InputError("the number of runs must be a whole number >= 1", field="--runs",
                         expected=">= 1", actual=repr(runs))  # fmt: skip
    if workers is not None and (isinstance(workers, bool) or workers < 1):
        raise InputError("the number of workers must be >= 1", field="--workers",
                         expected=">= 1", actual=repr(workers))  # fmt: skip
    if workers is not None and scheduler is not None:
        raise InputError(
            "--workers sizes the local cluster; with --scheduler the runs use that cluster's "
            "workers",
            field="--workers",
            expected="either --workers or --scheduler",
        )
    if seed0 < 0:
        raise InputError("seeds must be non-negative", field="--seed0", expected=">= 0",
                         actual=repr(seed0))  # fmt: skip
    if duration_s is not None and not (math.isfinite(duration_s) and duration_s > 0):
        raise InputError("the duration must be finite and positive", field="--duration",
                         expected="> 0 s", actual=repr(duration_s))  # fmt: skip


@contextlib.contextmanager
def _client(workers: int, scheduler: str | None) -> Iterator[Any]:
    """A Dask client of a new local cluster, or of the scheduler at ``scheduler``."""
    dd = _distributed()
    if scheduler is not None:
        try:
            client = dd.Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except (OSError, ValueError) as exc:
            raise InputError(
                f"cannot reach the Dask scheduler: {exc}", field="--scheduler", actual=scheduler
            ) from exc
        try:
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
            except TimeoutError as exc:
                raise InputError(
                    f"the Dask scheduler has no worker after {CONNECT_TIMEOUT_S:g} s",
                    field="--scheduler",
                    actual=scheduler,
                ) from exc
            yield client
        finally:
            client.close()
        return
    cluster = dd.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free local port: 8787 may be taken
        silence_logs=logging.ERROR,
    )
    try:
        client = dd.Client(cluster, set_as_default=False)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def _progress_bar(console: Console | None, enabled: bool) -> Progress | None:
    if not enabled:
        return None
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs, [red]{task.fields[failed]} failed"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
    )


def run_campaign(
    scenario: str | Path | Scenario,
    *,
    runs: int,
    out: Path,
    workers: int | None = None,
    scheduler: str | None = None,
    seed0: int = 0,
    duration_s: float | None = None,
    policy: str | None = None,
    progress: bool = False,
    console: Console | None = None,
    run_one: RunFunction = run_seed,
) -> CampaignResult:
    """Run seeds ``seed0 .. seed0 + runs - 1`` of ``scenario`` on Dask and write ``out``.

    Parameters
    ----------
    scenario
        A built-in scenario name, a scenario file or a loaded :class:`~dronewall.sim.Scenario`.
    runs
        Number of runs ``N``.
    out
        Folder to write (``campaign.parquet``, ``campaign.html``, ``failures.json``), replaced
        whole and atomically.
    workers
        Worker processes of the local cluster (one thread each); default :func:`default_workers`.
        Not allowed together with ``scheduler``.
    scheduler
        Address of an existing Dask scheduler to use instead of a local cluster.
    duration_s
        Simulate ``duration_s`` seconds instead of the scenario's ``duration_s`` (e.g. only the
        first minutes of it).
    policy
        The engagement doctrine of the advice, one of :data:`POLICIES` (``"cost-aware"``,
        ``"most-capable-first"``), instead of the scenario's ``policy.engagement``; ``None``
        keeps the scenario's.
    progress
        Show a progress bar of the runs (on ``console``, default stderr).
    run_one
        What runs one seed (default :func:`run_seed`); it must be picklable by reference or by
        value (cloudpickle), since it travels to the workers.

    Raises
    ------
    InputError
        for bad arguments or a scheduler that cannot be reached.
    ConfigError, ScenarioNotFoundError
        for a bad scenario (nothing is run).
    """
    started = time.perf_counter()
    _check_args(runs, workers, scheduler, seed0, duration_s)
    if policy is not None:
        _check_policy(policy)  # before the scenario is read and any cluster starts
    loaded = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, load_world())
    if duration_s is not None:
        loaded = dataclasses.replace(loaded, duration_s=float(duration_s))
    if policy is not None:
        loaded = with_policy(loaded, policy)
    seeds = list(range(seed0, seed0 + runs))
    rows: list[dict[str, Any]] = []
    failures: list[RunFailure] = []
    bar = _progress_bar(console, progress)
    token = uuid.uuid4().hex[:8]
    with _client(workers or default_workers(), scheduler) as client:
        client.run(warm_up)
        n_workers = len(client.nthreads())
        setup_s = time.perf_counter() - started
        t_submit = time.perf_counter()
        shipped = client.scatter(loaded, broadcast=True, hash=False)
        futures = [
            client.submit(
                execute_run, run_one, shipped, seed, key=f"dronewall-{loaded.name}-{seed}-{token}"
            )
            for seed in seeds
        ]
        seed_of = {f.key: seed for f, seed in zip(futures, seeds, strict=True)}
        _collect(client, futures, seed_of, rows, failures, bar, f"campaign {loaded.name}")
        compute_s = time.perf_counter() - t_submit

    failures.sort(key=lambda f: f.seed)
    meta = {
        "scenario": loaded.name,
        "description": loaded.description,
        "source": loaded.source,
        "duration_s": loaded.duration_s,
        "tick_s": loaded.tick_s,
        "policy": loaded.policy.engagement,
        "runs": runs,
        "seed0": seed0,
        "failed_seeds": [f.seed for f in failures],
        "workers": n_workers,
        "scheduler": scheduler or "local",
        "setup_s": round(setup_s, 3),
        "compute_s": round(compute_s, 3),
        "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "dronewall_version": dronewall.__version__,
    }
    table = rows_to_table(rows, {METADATA_KEY: json.dumps(meta)})
    with atomic_directory(Path(out)) as work:
        pq.write_table(table, work / "campaign.parquet")
        (work / "failures.json").write_text(
            json.dumps([f.as_dict() for f in failures], indent=2) + "\n", encoding="utf-8"
        )
        (work / "campaign.html").write_text(
            render_campaign(table, failures, meta), encoding="utf-8"
        )
    return CampaignResult(
        out_dir=Path(out),
        table=table,
        failures=tuple(failures),
        runs=runs,
        workers=n_workers,
        setup_s=setup_s,
        compute_s=compute_s,
        wall_s=time.perf_counter() - started,
    )


def _task_failure(fut: Any, seed: int) -> RunFailure:
    """The failure of a task that did not finish: its worker died (``KilledWorker`` after the
    scheduler's retries), it raised past :func:`execute_run`'s guard, or it was lost.

    The error is read with ``Future.exception()``, which returns it rather than raising it (a
    ``BaseException`` raised through the client's event loop would never reach this thread).
    """
    try:
        exc = fut.exception()
        tb = fut.traceback()
    except Exception as lost:  # cancelled: the scheduler forgot the task
        exc, tb = lost, lost.__traceback__
    if exc is None:  # pragma: no cover - the status said otherwise
        exc = RuntimeError(f"the task ended with status {fut.status!r}")
    return RunFailure(
        seed=seed,
        error=f"{type(exc).__name__}: {exc}",
        traceback="".join(traceback.format_exception(type(exc), exc, tb)),
    )


def _collect(
    client: Any,
    futures: list[Any],
    seed_of: dict[Any, int],
    rows: list[dict[str, Any]],
    failures: list[RunFailure],
    bar: Progress | None,
    title: str,
) -> None:
    """Gather results as runs complete, into ``rows`` and ``failures``, advancing the bar."""
    ctx = bar if bar is not None else contextlib.nullcontext()
    with ctx:
        task = bar.add_task(title, total=len(futures), failed=0) if bar is not None else None
        for fut in _distributed().as_completed(futures, loop=client.loop):
            seed = seed_of[fut.key]
            if fut.status == "finished":
                got, failure = fut.result()
            else:
                got, failure = [], _task_failure(fut, seed)
            fut.release()
            rows.extend(got)
            if failure is not None:
                failures.append(failure)
            if bar is not None and task is not None:
                if failure is not None:
                    bar.console.print(f"[red]run with seed {seed} failed:[/] "
                                      f"{escape(failure.error)}", highlight=False)  # fmt: skip
                bar.update(task, advance=1, failed=len(failures))
