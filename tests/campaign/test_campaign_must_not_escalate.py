"""The library's must-not-escalate scenarios over a campaign of seeds, not one lucky run (slow).

Issue 4: "In the campaign of ``mass-sighting-hoax`` sightings raise only unconfirmed-report alerts,
never a confirmed hostile track or an engagement recommendation; in ``hobby-drone-park`` no
engagement is recommended." A single seed once passed while other seeds proposed to jam a hobby
drone (a false track built from the RF detector's bearings), so both are checked on several seeds
on a real local Dask cluster. Each run checks its own event store before the store is removed; a
violated rule fails that run, and the campaign reports it with its seed and the reason.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cloudpickle
import pytest
from distributed import LocalCluster

from dronewall.campaign.rows import object_facts, run_rows
from dronewall.campaign.runner import run_campaign
from dronewall.pipeline.run import simulate
from dronewall.sim import Scenario, Simulation
from dronewall.world import load_world

pytestmark = pytest.mark.slow


class EscalationError(AssertionError):
    """A run escalated what it must not."""


def checked_run(scenario: Scenario, seed: int) -> list[dict[str, Any]]:
    """One seed through the whole pipeline, its event store checked against the scenario's rule.

    Both scenarios: no recommendation at all (so none against the civil drones either) and no
    track ever identified hostile. ``mass-sighting-hoax`` also: no track alert, only sighting
    (unconfirmed report) alerts.
    """
    start = time.perf_counter()
    world = load_world()
    with tempfile.TemporaryDirectory(prefix="dronewall-escalation-") as tmp:
        db = Path(tmp) / "events.sqlite"
        summary = simulate(scenario, world, seed=seed, db_path=db)
        con = sqlite3.connect(db)
        try:
            kinds = dict(con.execute("select kind, count(*) from events group by kind").fetchall())
            hostile = con.execute(
                "select count(distinct track_id) from track_updates"
                " where status > 0 and identity = 'hostile'"
            ).fetchone()[0]
            proposed = con.execute(
                "select track_id, payload from events where kind = 'recommendation' limit 3"
            ).fetchall()
        finally:
            con.close()
    problems = []
    if summary["recommendations"] or kinds.get("recommendation", 0):
        problems.append(f"{summary['recommendations']} recommendation(s), e.g. {proposed}")
    if summary["engagements"]:
        problems.append(f"{summary['engagements']} engagement(s)")
    if hostile:
        problems.append(f"{hostile} track(s) identified hostile")
    if scenario.name == "mass-sighting-hoax":
        if kinds.get("alert", 0):
            problems.append(
                f"{kinds['alert']} track alert(s): a report alone must stay unconfirmed"
            )
        if kinds.get("sighting_alert", 0) == 0:
            problems.append("no sighting alert: the public's reports never reached the picture")
    if problems:
        raise EscalationError(f"{scenario.name} seed {seed}: " + "; ".join(problems))
    truth = Simulation(scenario, world, seed).truth
    facts = object_facts(truth, [s.id for s in scenario.sites], scenario.t0, scenario.tick_s)
    return run_rows(summary, facts, time.perf_counter() - start)


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """A real local Dask scheduler with two single-threaded worker processes."""
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=40,
    )
    # checked_run lives in this test module, which the workers cannot import: send it by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        yield str(cluster.scheduler_address)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        cluster.close()


@pytest.mark.parametrize(
    ("name", "seed0", "runs"),
    [
        # seed 0 is the single-run test's (tests/sim); seed 4 proposed to jam a hobby drone
        # before tentative tracks needed a position fix to be confirmed
        ("hobby-drone-park", 1, 4),
        ("mass-sighting-hoax", 1, 3),
    ],
)
def test_campaign_never_escalates(
    scheduler: str, tmp_path: Path, name: str, seed0: int, runs: int
) -> None:
    result = run_campaign(
        name, runs=runs, seed0=seed0, out=tmp_path / name, scheduler=scheduler, run_one=checked_run
    )
    assert [f"{f.seed}: {f.error}" for f in result.failures] == []
    rows = result.table.to_pylist()
    assert sorted({int(r["seed"]) for r in rows}) == list(range(seed0, seed0 + runs))
    assert all(r["recommendations_against_civil"] == 0 for r in rows)
    assert all(r["engagements"] == 0 for r in rows)
