"""The approval time in the advice: each launch is predicted ``approval_s`` after its proposal."""

from __future__ import annotations

import math

import numpy as np
import pytest
from respond_helpers import FRAME, make_case, plan_of_first, unit

from dronewall.core.errors import ConfigError
from dronewall.respond.engagement import EngagementAdvisor, EngagementConfig
from dronewall.world import RulesOfEngagement

INT_AND_GUN = [unit("int-1", "interceptor-drone"), unit("gun-1", "skynex-35mm")]
SPEED = 12.0  # m/s, inbound along -x; the site's core is 1.5 km round the origin


def quad_in(x_m: float) -> list[list[float]]:
    return [[x_m, 0.0, 150.0, -SPEED, 0.0, 0.0]]


def advisor(approval_s: float, units=INT_AND_GUN) -> EngagementAdvisor:
    return EngagementAdvisor(
        units, FRAME, RulesOfEngagement(), EngagementConfig(approval_s=approval_s)
    )


def plan(adv: EngagementAdvisor, x_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(plan Pk, single-shot Pk, feasible) of each unit against one inbound quadcopter."""
    tracks, a = make_case(quad_in(x_m))
    plan_pk, _, f = plan_of_first(adv, tracks, a)
    return plan_pk[0], f.pk[0], f.feasible[0]


def test_launch_is_predicted_after_the_approval() -> None:
    tracks, a = make_case(quad_in(3000.0))
    (now,) = advisor(0.0).recommend(0.0, tracks, a)
    (late,) = advisor(20.0).recommend(0.0, tracks, a)
    assert now.fire_unit_id == late.fire_unit_id == "int-1"
    # the intercept point is where the target is at approval + launch-to-intercept time
    for rec, approval in ((now, 0.0), (late, 20.0)):
        due = approval + rec.time_to_intercept_s
        assert rec.intercept_enu[0] == pytest.approx(3000.0 - SPEED * due, abs=1e-6)
    # launched 20 s later the target is 240 m closer: a shorter fly-out, a later effect
    assert late.time_to_intercept_s < now.time_to_intercept_s
    assert 20.0 + late.time_to_intercept_s > now.time_to_intercept_s
    assert "20 s to approve" in late.reason


def test_approval_decides_whether_the_cheap_layer_has_a_follow_up() -> None:
    # 2.5 km out, 83 s from the core: the interceptor drone (2.3 kEUR) backed up by the gun if it
    # misses is the advice when approval is instant; with 20 s per approval the gun's follow-up
    # would be due after the core, so the interceptor is a lone shot and the surer gun wins
    p_plan, p_one, ok = plan(advisor(0.0), 2500.0)
    assert ok.all()
    assert p_plan[0] == pytest.approx(p_one[0] + (1.0 - p_one[0]) * p_one[1])
    p_plan, p_one, ok = plan(advisor(20.0), 2500.0)
    assert ok.all()
    assert p_plan[0] == pytest.approx(p_one[0])  # no follow-up in time
    tracks, a = make_case(quad_in(2500.0))
    assert [r.fire_unit_id for r in advisor(0.0).recommend(0.0, tracks, a)] == ["int-1"]
    assert [r.fire_unit_id for r in advisor(20.0).recommend(0.0, tracks, a)] == ["gun-1"]
    # 3 km out (125 s) the follow-up fits after both approvals: the cheap layer again
    p_plan, p_one, _ = plan(advisor(20.0), 3000.0)
    assert p_plan[0] == pytest.approx(p_one[0] + (1.0 - p_one[0]) * p_one[1])
    tracks, a = make_case(quad_in(3000.0))
    assert [r.fire_unit_id for r in advisor(20.0).recommend(0.0, tracks, a)] == ["int-1"]


def test_a_shot_only_an_instant_approval_makes_timely_is_late() -> None:
    # the interceptor drone alone, 2.1 km out (50 s from the core)
    tracks, a = make_case(quad_in(2100.0))
    rows = np.array([0])
    only_int = [unit("int-1", "interceptor-drone")]
    assert not advisor(0.0, only_int).feasibility(0.0, tracks, a, rows).late[0, 0]
    assert advisor(20.0, only_int).feasibility(0.0, tracks, a, rows).late[0, 0]


def test_commit_puts_the_effect_after_the_real_approval() -> None:
    adv = advisor(20.0, [unit("int-1", "interceptor-drone", channels=1), INT_AND_GUN[1]])
    tracks, a = make_case(quad_in(3000.0))
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "int-1"
    # held by the outstanding proposal until its expected effect, approval included
    assert adv.ready_in(0.0)[0] == pytest.approx(20.0 + rec.time_to_intercept_s)
    eng = adv.commit(rec, 12.0)  # approved sooner than expected
    assert eng.t_effect == pytest.approx(12.0 + rec.time_to_intercept_s)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_approval_time_must_be_finite_and_not_negative(bad: float) -> None:
    with pytest.raises(ConfigError) as err:
        EngagementConfig(approval_s=bad)
    assert err.value.field == "approval_s"


def test_a_unit_holding_a_proposal_is_not_proposed_for_another_track() -> None:
    # One Piorun post, two munitions-like tracks inbound at 4 km on different bearings: the
    # first proposal holds the post until its predicted effect; a second proposal on it would
    # be approved only to find the post busy (found on eastern-flank-raid: approved, never fired).
    adv = EngagementAdvisor(
        [unit("piorun-1", "piorun", magazine=4)],
        FRAME,
        RulesOfEngagement(),
        EngagementConfig(approval_s=15.0),
    )
    first, a1 = make_case([[4000.0, 0.0, 300.0, -50.0, 0.0, 0.0]], track_id=[1])
    (rec,) = adv.recommend(0.0, first, a1)
    assert rec.fire_unit_id == "piorun-1"
    assert adv.ready_in(0.0)[0] == pytest.approx(15.0 + rec.time_to_intercept_s)
    both, a2 = make_case(
        [[3950.0, 0.0, 300.0, -50.0, 0.0, 0.0], [0.0, 4000.0, 300.0, 0.0, -50.0, 0.0]],
        t=1.0,
        track_id=[1, 2],
    )
    assert adv.recommend(1.0, both, a2) == []  # track 1 is proposed, the post is held for it
    f = adv.feasibility(1.0, both, a2, np.array([1]))
    assert not f.ready[0, 0]  # the post itself is held ...
    assert f.stock[0, 0]  # ... though rounds are left
    adv.release(rec.id)  # the operator rejects the first proposal: the post is free again
    (again,) = adv.recommend(1.0, both, a2)
    assert again.fire_unit_id == "piorun-1"
