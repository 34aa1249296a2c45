"""Campaigns on a real Dask cluster: rows, reproducibility, failed runs, output files, the command.

One local cluster of two worker processes (one thread each) serves the module; campaigns reach it
through its scheduler address, as they would a cluster of many machines. Runs are of a 60 s test
scenario (tests/campaign/tiny-raid.yaml), most cut to 20 s, to keep the module at a few seconds of
CPU per run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import cloudpickle
import pyarrow.parquet as pq
import pytest
import typer
from distributed import LocalCluster
from typer.testing import CliRunner

from dronewall.campaign.cli import register
from dronewall.campaign.rows import NONDETERMINISTIC_COLUMNS, SCHEMA
from dronewall.campaign.runner import (
    POLICIES,
    CampaignResult,
    run_campaign,
    run_seed,
    with_policy,
)
from dronewall.core.errors import InputError, ScenarioNotFoundError
from dronewall.respond.engagement import EngagementPolicy
from dronewall.sim import Scenario, load_scenario
from dronewall.world import load_world

TINY = Path(__file__).with_name("tiny-raid.yaml")
FAILING_SEED = 3
ABORTED_SEED = 4


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    """Address of a real local Dask scheduler with two single-threaded worker processes."""
    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # a free local port: 8787 may be taken
        silence_logs=40,
    )
    # The failing run function below lives in this test module, which the workers cannot import:
    # it travels by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    try:
        yield str(cluster.scheduler_address)
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
        cluster.close()


class AbortedRunError(BaseException):
    """Not an ``Exception``: it escapes the run's own guard and fails the Dask task itself, as a
    dead worker or a lost task would."""


def fail_two_seeds(scenario: Scenario, seed: int) -> list[dict[str, Any]]:
    """Run the pipeline, except that seed ``FAILING_SEED`` raises and seed ``ABORTED_SEED`` fails
    its Dask task (injected failures)."""
    if seed == FAILING_SEED:
        raise RuntimeError(f"injected failure for seed {seed}")
    if seed == ABORTED_SEED:
        raise AbortedRunError(f"injected task failure for seed {seed}")
    return run_seed(scenario, seed)


def _by_seed(rows: list[dict[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        clean = {k: v for k, v in r.items() if k not in NONDETERMINISTIC_COLUMNS}
        out.setdefault(int(r["seed"]), []).append(clean)
    return out


@pytest.fixture(scope="module")
def first(scheduler: str, tmp_path_factory: pytest.TempPathFactory) -> CampaignResult:
    """Seeds 0, 1, 2 of the tiny scenario, its first 20 s."""
    out = tmp_path_factory.mktemp("campaign") / "first"
    return run_campaign(TINY, runs=3, out=out, scheduler=scheduler, duration_s=20.0)


def test_campaign_writes_one_row_per_run_and_threat(first: CampaignResult) -> None:
    assert first.failures == ()
    assert first.workers == 2
    table = pq.read_table(first.out_dir / "campaign.parquet")
    assert table.schema.remove_metadata() == SCHEMA
    rows = table.to_pylist()
    # two hostile quadcopters per run: tiny-quad-1 and tiny-quad-2 (which starts at 10 s)
    assert [(r["seed"], r["threat_id"]) for r in rows] == [
        (seed, threat) for seed in (0, 1, 2) for threat in ("tiny-quad-1", "tiny-quad-2")
    ]
    for r in rows:
        assert r["scenario"] == "tiny-raid"
        assert r["policy"] == "cost-aware"  # the scenario's (the default)
        assert r["sim_duration_s"] == 20.0
        assert r["threat_target"] == "kleine-brogel"
        assert r["outcome"] in {"defeated", "leaked", "left"}
        assert r["detections"] > 0
        assert r["wall_time_s"] > 0
        # a quadcopter 1.5-2 km out in the drone radar's cover is seen within a few seconds
        assert r["time_to_detect_s"] is not None
        assert 0.0 <= r["time_to_detect_s"] < 5.0
    meta = json.loads(table.schema.metadata[b"dronewall.campaign"])
    assert (meta["runs"], meta["seed0"], meta["failed_seeds"]) == (3, 0, [])
    assert meta["policy"] == "cost-aware"
    assert json.loads((first.out_dir / "failures.json").read_text()) == []
    page = (first.out_dir / "campaign.html").read_text()
    assert page.count("data:image/png;base64,") == 3
    assert "Every run finished" in page
    assert not list(first.out_dir.parent.glob(".first.partial-*"))  # written atomically


def test_same_seed_same_rows_and_a_failed_run_loses_nothing_else(
    first: CampaignResult, scheduler: str, tmp_path: Path
) -> None:
    # Seeds 1, 2 again, on whichever workers; seed 3 raises, seed 4 fails its Dask task.
    second = run_campaign(
        TINY,
        runs=4,
        seed0=1,
        out=tmp_path / "second",
        scheduler=scheduler,
        duration_s=20.0,
        run_one=fail_two_seeds,
    )
    before, after = _by_seed(first.table.to_pylist()), _by_seed(second.table.to_pylist())
    assert sorted(after) == [1, 2]  # the failed run has no rows; the others are all there
    assert after[1] == before[1]
    assert after[2] == before[2]
    assert before[0] != before[1]  # and the seed matters

    failure, aborted = second.failures
    assert failure.seed == FAILING_SEED
    assert failure.error == "RuntimeError: injected failure for seed 3"
    assert "fail_two_seeds" in failure.traceback
    assert failure.worker is not None
    assert aborted.seed == ABORTED_SEED
    assert aborted.error == "AbortedRunError: injected task failure for seed 4"
    assert "fail_two_seeds" in aborted.traceback  # the worker's traceback comes along
    saved = json.loads((tmp_path / "second" / "failures.json").read_text())
    assert [(f["seed"], f["error"]) for f in saved] == [(3, failure.error), (4, aborted.error)]
    assert "fail_two_seeds" in saved[0]["traceback"]
    page = (tmp_path / "second" / "campaign.html").read_text()
    assert "seed 3" in page
    assert "injected failure for seed 3" in page
    meta = json.loads(pq.read_schema(tmp_path / "second" / "campaign.parquet").metadata[
        b"dronewall.campaign"])  # fmt: skip
    assert meta["failed_seeds"] == [3, 4]


def test_command_runs_a_campaign_and_exit_codes_tell(scheduler: str, tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    runner = CliRunner()
    out = tmp_path / "cli"
    ok = runner.invoke(
        app,
        [str(TINY), "--runs", "2", "--scheduler", scheduler, "--out", str(out), "--seed0", "5",
         "--duration", "8", "--quiet"],
        terminal_width=200,
    )  # fmt: skip
    assert ok.exit_code == 0, ok.output
    assert "2 of 2" in ok.output
    assert "campaign.html" in ok.output
    assert pq.read_table(out / "campaign.parquet").column("seed").to_pylist() == [5, 5, 6, 6]

    assert "engagement policy" in ok.output

    base = tmp_path / "baseline"
    mcf = runner.invoke(
        app,
        [str(TINY), "--runs", "1", "--scheduler", scheduler, "--out", str(base), "--seed0", "5",
         "--duration", "8", "--policy", "most-capable-first", "--quiet"],
        terminal_width=200,
    )  # fmt: skip
    assert mcf.exit_code == 0, mcf.output
    assert "most-capable-first" in mcf.output
    table = pq.read_table(base / "campaign.parquet")
    assert set(table.column("policy").to_pylist()) == {"most-capable-first"}
    assert json.loads(table.schema.metadata[b"dronewall.campaign"])["policy"] == (
        "most-capable-first"
    )
    bad_policy = runner.invoke(
        app, [str(TINY), "--runs", "1", "--policy", "cheapest", "--out", str(tmp_path / "z")]
    )
    assert bad_policy.exit_code == 2
    assert "--policy" in bad_policy.output
    assert not (tmp_path / "z").exists()

    missing = runner.invoke(app, ["no-such-scenario", "--runs", "2", "--out", str(tmp_path / "x")])
    assert missing.exit_code == 2
    assert "no-such-scenario" in missing.output
    bad = runner.invoke(app, [str(TINY), "--runs", "0", "--out", str(tmp_path / "y")])
    assert bad.exit_code == 2
    assert "--runs" in bad.output
    assert not (tmp_path / "x").exists()
    assert not (tmp_path / "y").exists()


def test_bad_arguments_are_refused_before_anything_runs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="--workers"):
        run_campaign(TINY, runs=1, out=tmp_path / "a", workers=2, scheduler="tcp://x:1")
    with pytest.raises(InputError, match="--seed0"):
        run_campaign(TINY, runs=1, out=tmp_path / "a", seed0=-1)
    with pytest.raises(InputError, match="--duration"):
        run_campaign(TINY, runs=1, out=tmp_path / "a", duration_s=float("nan"))
    with pytest.raises(InputError, match="--policy"):  # refused before the scenario is read
        run_campaign(tmp_path / "none.yaml", runs=1, out=tmp_path / "a", policy="cheapest")
    with pytest.raises(ScenarioNotFoundError):
        run_campaign(tmp_path / "none.yaml", runs=1, out=tmp_path / "a")
    assert not (tmp_path / "a").exists()


def test_unreachable_scheduler_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("dronewall.campaign.runner.CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run_campaign(TINY, runs=1, out=tmp_path / "a", scheduler="tcp://127.0.0.1:9")
    assert not (tmp_path / "a").exists()


def test_default_local_cluster(tmp_path: Path) -> None:
    result = run_campaign(TINY, runs=1, out=tmp_path / "local", workers=1, duration_s=5.0)
    assert (result.workers, result.failures) == (1, ())
    assert result.table.column("seed").to_pylist() == [0, 0]


def test_with_policy_sets_the_doctrine_and_knows_every_one() -> None:
    assert get_args(EngagementPolicy) == POLICIES  # campaign may not import respond: pinned here
    scenario = load_scenario(TINY, load_world())
    baseline = with_policy(scenario, "most-capable-first")
    assert baseline.policy.engagement == "most-capable-first"
    assert scenario.policy.engagement == "cost-aware"  # the original is untouched
    assert baseline.policy.approve_delay_s == scenario.policy.approve_delay_s
    assert baseline.objects == scenario.objects
    with pytest.raises(InputError, match="unknown engagement policy"):
        with_policy(scenario, "cheapest-first")
