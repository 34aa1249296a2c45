"""Campaign rows: from a run's summary and truth to the rows of campaign.parquet, and its page."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from dronewall.campaign.report import render_campaign
from dronewall.campaign.rows import (
    COLUMNS,
    SCHEMA,
    THREAT_COLUMNS,
    ObjectFacts,
    object_facts,
    rows_to_table,
    run_rows,
)
from dronewall.campaign.runner import RunFailure
from dronewall.sim import Simulation, load_scenario

TINY = Path(__file__).with_name("tiny-raid.yaml")


def _summary(threats: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "scenario": "s",
        "seed": 7,
        "sim_duration_s": 1800.0,
        "objects": 12,
        "hostile_objects": len(threats),
        "detections": 1000,
        "tracks_confirmed": 9,
        "gospa_mean": {"total": 42.5},
        "gospa_by_allegiance": {"hostile": {"total": 30.0}},
        "threats": threats,
        "alerts_true": 3,
        "alerts_false": 4,
        "recommendations": 5,
        "recommendations_against_civil": 0,
        "engagements": 2,
        "defence_cost_eur": 50_000.0,
        "engagements_by_effector": {"rf-jammer": 1, "interceptor-drone": 1},
        "cost_by_effector_eur": {"rf-jammer": 47_700.0, "interceptor-drone": 2_300.0},
        "threat_cost_eur": 40_000.0,
    }


THREATS = [
    {"id": "q1", "class": "quadcopter", "first_detected_s": 30.0, "first_confirmed_s": 40.0,
     "first_alert_s": 55.0, "reached_core_s": None, "defeated_s": 90.0,
     "engaged_by": ["rf-jammer"], "outcome": "defeated"},
    {"id": "q2", "class": "fixed-wing", "first_detected_s": 130.0, "first_confirmed_s": None,
     "first_alert_s": None, "reached_core_s": 300.0, "defeated_s": None, "engaged_by": [],
     "outcome": "leaked"},
]  # fmt: skip
FACTS = ObjectFacts(
    target={"q1": "doel", "q2": None},
    unit_cost_eur={"q1": 5000.0, "q2": 35000.0},
    appeared_s={"q1": 10.0, "q2": 100.0},
)


def test_one_row_per_threat_with_times_from_appearance_and_run_figures() -> None:
    rows = run_rows(_summary(THREATS), FACTS, wall_time_s=1.25)
    assert [r["threat_id"] for r in rows] == ["q1", "q2"]
    q1, q2 = rows
    assert (q1["time_to_detect_s"], q1["time_to_confirm_s"], q1["time_to_alert_s"]) == (
        20.0,
        30.0,
        45.0,
    )
    assert q2["time_to_detect_s"] == 30.0
    assert q2["time_to_confirm_s"] is None
    assert q2["time_to_alert_s"] is None
    assert q1["threat_target"] == "doel"
    assert q2["threat_target"] is None
    assert q2["threat_unit_cost_eur"] == 35000.0
    for r in rows:  # run-level figures repeat on every row of the run
        assert r["seed"] == 7
        assert r["false_alerts_per_hour"] == pytest.approx(4 / 0.5)
        assert r["cost_exchange_ratio"] == pytest.approx(50_000 / 40_000)
        assert (r["leakers"], r["defeated"]) == (1, 1)
        assert r["gospa_mean_m"] == 42.5
        assert r["gospa_hostile_m"] == 30.0
        assert r["wall_time_s"] == 1.25
        assert r["engagements_by_effector"] == {"interceptor-drone": 1, "rf-jammer": 1}
        assert sum(r["cost_by_effector_eur"].values()) == r["defence_cost_eur"]
        assert set(r) == set(SCHEMA.names)


def test_rows_carry_the_engagement_policy_of_the_run() -> None:
    default = run_rows(_summary(THREATS), FACTS, 1.0)
    assert {r["policy"] for r in default} == {"cost-aware"}
    baseline = run_rows(_summary(THREATS), FACTS, 1.0, policy="most-capable-first")
    assert {r["policy"] for r in baseline} == {"most-capable-first"}
    quiet = _summary([])
    (row,) = run_rows(quiet, ObjectFacts({}, {}, {}), 1.0, policy="most-capable-first")
    assert row["policy"] == "most-capable-first"  # a run column, never nulled with the threats
    table = rows_to_table(default + baseline, {})
    assert table.column("policy").type == pa.string()
    assert "policy" not in THREAT_COLUMNS


def test_a_run_without_threats_keeps_one_row_with_null_threat_columns() -> None:
    summary = _summary([])
    summary["threat_cost_eur"] = 0.0
    (row,) = run_rows(summary, ObjectFacts({}, {}, {}), wall_time_s=0.5)
    assert all(row[c] is None for c in THREAT_COLUMNS)
    assert row["cost_exchange_ratio"] is None  # nothing to exchange against
    assert row["alerts_false"] == 4
    assert row["leakers"] == 0


def test_a_summary_missing_a_key_names_it() -> None:
    summary = _summary(THREATS)
    del summary["alerts_false"]
    with pytest.raises(KeyError, match="alerts_false"):
        run_rows(summary, FACTS, wall_time_s=0.0)


def test_non_finite_gospa_becomes_null() -> None:
    summary = copy.deepcopy(_summary(THREATS))
    summary["gospa_mean"]["total"] = float("nan")
    assert run_rows(summary, FACTS, 0.0)[0]["gospa_mean_m"] is None


def test_table_has_the_schema_sorted_by_seed_then_threat_and_carries_metadata() -> None:
    a = run_rows(_summary(THREATS), FACTS, 1.0)
    late = _summary(THREATS)
    late["seed"] = 3
    b = run_rows(late, FACTS, 1.0)
    table = rows_to_table(list(reversed(a + b)), {"k": "v"})
    assert table.schema.remove_metadata() == SCHEMA
    assert table.schema.metadata == {b"k": b"v"}
    assert table.column("seed").to_pylist() == [3, 3, 7, 7]
    assert table.column("threat_index").to_pylist() == [0, 1, 0, 1]
    assert table.column("engaged_by").type == pa.list_(pa.string())
    # the by-effector maps survive the table, keys sorted
    assert table.column("engagements_by_effector").to_pylist()[0] == [
        ("interceptor-drone", 1),
        ("rf-jammer", 1),
    ]
    assert table.column("cost_by_effector_eur").type == pa.map_(pa.string(), pa.float64())
    assert len(COLUMNS) == len(set(SCHEMA.names))
    assert THREAT_COLUMNS[0] == "threat_index"
    assert THREAT_COLUMNS[-1] == "engaged_by"


def test_empty_table_keeps_its_schema() -> None:
    table = rows_to_table([], {})
    assert table.num_rows == 0
    assert table.schema == SCHEMA


def test_object_facts_from_truth() -> None:
    scenario = load_scenario(TINY)
    truth = Simulation(scenario, seed=0).truth
    facts = object_facts(truth, [s.id for s in scenario.sites], scenario.t0, scenario.tick_s)
    # tiny-quad-2 starts at 10 s: first alive at the tick t = 10 s, in the window (9, 10].
    assert facts.appeared_s["tiny-quad-1"] == 0.0
    assert facts.appeared_s["tiny-quad-2"] == 9.0
    assert facts.target["tiny-quad-1"] == "kleine-brogel"
    gull = next(i for i in truth.ids if i.startswith("tiny-gulls"))
    assert facts.target[gull] is None
    hostile_cost = [facts.unit_cost_eur[i] for i in ("tiny-quad-1", "tiny-quad-2")]
    assert all(np.isfinite(hostile_cost))
    assert min(hostile_cost) > 0


def test_page_shows_figures_failures_and_every_run() -> None:
    rows = run_rows(_summary(THREATS), FACTS, 1.0)
    quiet = _summary([])
    quiet["seed"] = 8
    rows += run_rows(quiet, ObjectFacts({}, {}, {}), 1.0)
    table = rows_to_table(rows, {})
    failure = RunFailure(seed=9, error="RuntimeError: <boom>", traceback="Traceback ...\n<boom>")
    page = render_campaign(table, [failure], {"scenario": "s", "runs": 3, "seed0": 7})
    assert page.count("data:image/png;base64,") == 3
    assert "seed 9" in page
    assert "RuntimeError: &lt;boom&gt;" in page
    assert "<boom>" not in page
    assert 'class="failed"' in page
    # three runs in the per-run table (7 and 8 finished, 9 failed)
    runs_section = page.split('<section id="runs">', 1)[1]
    for seed in (7, 8, 9):
        assert f'<td class="num">{seed}</td>' in runs_section
    # engagements by effector over the finished runs (7 and 8), costliest first
    figures = page.split('<section id="figures">', 1)[1].split("</section>", 1)[0]
    assert figures.index("rf-jammer") < figures.index("interceptor-drone")
    assert '<td class="num">2</td><td class="num">95,400</td><td class="num">95.4 %</td>' in (
        figures
    )


def test_page_of_a_campaign_where_every_run_failed() -> None:
    failures = [RunFailure(seed=s, error="KeyError: 'threats'", traceback="...") for s in (0, 1)]
    page = render_campaign(rows_to_table([], {}), failures, {"scenario": "s", "runs": 2})
    assert page.count("data:image/png;base64,") == 3  # empty figures say so, never crash
    assert page.count('class="failed"') == 2
    assert "2 run(s) failed" in page
    assert "No engagement in any run." in page
