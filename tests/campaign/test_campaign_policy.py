"""The two engagement doctrines on the same seeded raid: most-capable-first spends more.

One seed of ``eastern-flank-raid`` (Shahed-class munitions and decoys against Elsenborn and
Marche, 2,400 s) under each policy, through the campaign's own run function (the rows are those of
``campaign.parquet``; seed 0 is also a run of ``benchmarks/cost_exchange.py``). Slow: two whole
runs, one to two minutes each on one idle core, several on a loaded one.
"""

from __future__ import annotations

import pytest

from dronewall.campaign.runner import POLICIES, run_seed, with_policy
from dronewall.sim import load_scenario
from dronewall.world import load_world

SEED = 0


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_most_capable_first_spends_more_than_cost_aware_on_the_same_raid() -> None:
    world = load_world()
    raid = load_scenario("eastern-flank-raid", world)
    runs = {policy: run_seed(with_policy(raid, policy), SEED)[0] for policy in POLICIES}
    ca, mcf = runs["cost-aware"], runs["most-capable-first"]
    assert ca["policy"] == "cost-aware"
    assert mcf["policy"] == "most-capable-first"
    for run in (ca, mcf):
        assert run["recommendations_against_civil"] == 0
        assert run["hostile_objects"] == 24
    assert mcf["engagements"] > 0
    assert ca["engagements"] > 0
    # the same raid: the baseline fires missiles (about 1 MEUR a shot) first where the
    # cost-aware advice fires interceptor drones and guns (2.3-60 kEUR) and keeps the missile
    # for the last chance
    assert mcf["defence_cost_eur"] > 1.5 * ca["defence_cost_eur"]
    per_shot_mcf = mcf["defence_cost_eur"] / mcf["engagements"]
    per_shot_ca = ca["defence_cost_eur"] / ca["engagements"]
    assert per_shot_mcf > 1.5 * per_shot_ca
    # measured (seed 0, common random numbers): 7.08 MEUR for 23 defeats against 13.34 MEUR for
    # 24 (0.53); whether the cost-aware advice lets more through is a question for many seeds
    # (benchmarks/cost_exchange.py, benchmarks/RESULTS.md), not for one
    assert ca["defeated"] > 0
    assert mcf["defeated"] > 0
    per_defeat_ca = ca["defence_cost_eur"] / ca["defeated"]
    per_defeat_mcf = mcf["defence_cost_eur"] / mcf["defeated"]
    assert per_defeat_ca <= 0.6 * per_defeat_mcf
    # neither doctrine lets more than 2 of the 24 through on this seed
    assert ca["leakers"] <= 2
    assert mcf["leakers"] <= 2
