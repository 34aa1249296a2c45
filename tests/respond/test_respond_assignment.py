"""Engagement advice by weapon-target assignment: the cost trap, shoot-look-shoot, solvers."""

from __future__ import annotations

import numpy as np
import pytest
from respond_helpers import FRAME, make_case, one_hot, tick_of, unit
from respond_helpers import plan_of_first as plan

import dronewall.respond.engagement as engagement_mod
from dronewall.core.errors import ConfigError, DronewallError
from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.respond import EngagementAdvisor, EngagementConfig, EngagementError
from dronewall.world import RulesOfEngagement

# A Shahed-class munition (about 30 kEUR) 3.8 km out at 50 m/s, 46 s from the 1.5 km core.
SHAHED = [[3800.0, 0.0, 300.0, -50.0, 0.0, 0.0]]
LM = one_hot(ObjectClass.LOITERING_MUNITION, 0.9)
QUAD_IN = [[2500.0, 0.0, 150.0, -12.0, 0.0, 0.0]]  # 83 s from the core


def advisor(*units: tuple[str, str], site_values=None, **cfg: object) -> EngagementAdvisor:
    # these cases are placed for an instant approval; test_respond_approval.py covers approval_s
    cfg.setdefault("approval_s", 0.0)
    return EngagementAdvisor(
        [unit(uid, eff) for uid, eff in units],
        FRAME,
        RulesOfEngagement(),
        EngagementConfig(**cfg),  # type: ignore[arg-type]
        site_values=site_values,
    )


def test_cost_trap_a_cheap_munition_gets_the_gun_not_the_million_euro_missile() -> None:
    tracks, a = make_case(SHAHED, probs=[LM])
    units = (("gun-1", "skynex-35mm"), ("nas-1", "nasams-aim120"))
    adv = advisor(*units)
    f = adv.feasibility(0.0, tracks, a, np.array([0]))
    assert f.feasible[0].all()  # both can engage now: the choice is the assignment's
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "gun-1"
    assert rec.method == "vlsn"
    assert rec.threat_value == pytest.approx(0.8 * 100.0)
    assert "value points" in rec.reason
    nas = next(x for x in rec.alternatives if x.fire_unit_id == "nas-1")
    assert nas.pk > rec.pk  # the missile is surer ...
    assert "cost" in nas.why_not
    assert "EUR" in nas.why_not
    sol = adv.last_assignment
    assert sol is not None
    assert sol.shots_fired == 1
    # without the cost weight, shot by shot, the assignment walks into the trap: the surest
    # single shot is the missile (as plans, gun-then-missile and missile-then-gun are equally
    # sure, 0.98, so cost alone separates them)
    (rec0,) = advisor(*units, cost_weight_per_eur=0.0, plan_follow_up=False).recommend(
        0.0, tracks, a
    )
    assert rec0.fire_unit_id == "nas-1"
    # and with the missile alone, it is fired: nothing cheaper can stop the munition
    (rec1,) = advisor(("nas-1", "nasams-aim120")).recommend(0.0, tracks, a)
    assert rec1.fire_unit_id == "nas-1"


def test_follow_up_plan_is_what_keeps_the_cheap_layer() -> None:
    # quadcopter 83 s out: the interceptor drone (Pk 0.7, 2.3 kEUR) backed up by the gun if it
    # misses, against the gun (Pk 0.75, 60 kEUR): the plans are almost equally sure
    tracks, a = make_case(QUAD_IN)
    units = (("int-1", "interceptor-drone"), ("gun-1", "skynex-35mm"))
    adv = advisor(*units)
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "int-1"
    adv = advisor(*units)  # a fresh one: ``adv`` now holds int-1 for its proposal
    plan_pk, plan_cost, f = plan(adv, tracks, a)
    p_int, p_gun = f.pk[0]
    assert plan_pk[0, 0] == pytest.approx(p_int + (1 - p_int) * p_gun)  # gun backs up
    assert plan_cost[0, 0] == pytest.approx(2300.0 + (1 - p_int) * 60000.0)
    assert plan_pk[0, 0] > p_int
    # single-shot values (no follow-up): the gun's 5 % more Pk outweighs its cost
    (rec1,) = advisor(*units, plan_follow_up=False).recommend(0.0, tracks, a)
    assert rec1.fire_unit_id == "gun-1"


def test_a_follow_up_is_judged_where_the_target_will_be() -> None:
    # the munition 3.5 km out at 50 m/s, 40 s from the core, with a 1 s approval: both units can
    # engage now, and the gun's effect (9 s), the look (5 s) and the missile's time to go from
    # now (18 s) add up to 32 s, in time. But after the gun's miss the target is 700 m closer:
    # the missile would meet it about 1,950 m out, inside its 2 km minimum range. The gun's
    # plan has no follow-up; the missile's has the gun behind it.
    units = (("gun-1", "skynex-35mm"), ("nas-1", "nasams-aim120"))
    tracks, a = make_case([[3500.0, 0.0, 300.0, -50.0, 0.0, 0.0]], probs=[LM])
    adv = advisor(*units, approval_s=1.0)
    plan_pk, plan_cost, f = plan(adv, tracks, a)
    assert f.feasible[0].all()
    p_gun, p_nas = f.pk[0]
    assert f.t_go[0, 0] + adv.config.reengage_delay_s + f.t_go[0, 1] < 40.0
    assert plan_pk[0, 0] == pytest.approx(p_gun)
    assert plan_cost[0, 0] == pytest.approx(adv.cost_eur[0])
    assert plan_pk[0, 1] == pytest.approx(p_nas + (1 - p_nas) * p_gun)
    # the follow-up's own check, at its time: the missile after the gun's look is inside 2 km
    look = f.t_go[0, 0] + adv.config.reengage_delay_s
    later = adv.feasibility(0.0, tracks, a, np.array([0]), np.array([[look, look]]))
    assert not later.range_ok[0, 1]
    assert later.slant[0, 1] < adv.min_range_m[1]
    # 500 m further out the missile meets it outside its minimum range: it backs up the gun
    tracks, a = make_case([[4000.0, 0.0, 300.0, -50.0, 0.0, 0.0]], probs=[LM])
    plan_pk, _, f = plan(advisor(*units, approval_s=1.0), tracks, a)
    assert plan_pk[0, 0] == pytest.approx(p_gun + (1 - p_gun) * p_nas)


def test_plans_of_several_tracks_are_those_of_each_alone() -> None:
    # the batched follow-up (one evaluation over every (track, first unit) pair) gives each
    # track the plan it has alone
    units = (("gun-1", "skynex-35mm"), ("nas-1", "nasams-aim120"), ("int-1", "interceptor-drone"))
    xs = [
        [3500.0, 0.0, 300.0, -50.0, 0.0, 0.0],
        [0.0, 4000.0, 300.0, 0.0, -50.0, 0.0],
        [-2500.0, 0.0, 150.0, 12.0, 0.0, 0.0],
    ]
    tracks, a = make_case(xs, probs=[LM, LM, one_hot(ObjectClass.QUADCOPTER)])
    adv = advisor(*units, approval_s=1.0)
    tick = tick_of(adv, tracks, a, np.arange(3))
    f = tick.f
    both_pk, both_cost = adv.plan_values(tick)
    assert (both_pk > f.pk * f.feasible + 1e-9).any()  # some plan has a follow-up
    for i in range(3):
        one, cost_one, _ = plan(adv, *make_case([xs[i]], probs=[a.class_probs[i]]))
        np.testing.assert_allclose(both_pk[i], one[0], rtol=1e-12)
        np.testing.assert_allclose(both_cost[i], cost_one[0], rtol=1e-12)


def test_plan_never_counts_on_the_type_that_missed() -> None:
    # two guns of one type and an interceptor post, the munition 46 s out: a second burst of the
    # gun type is in time, but a miss bars skynex-35mm from the track (exclude_failed_effector)
    tracks, a = make_case(SHAHED, probs=[LM])
    units = (("gun-1", "skynex-35mm"), ("gun-2", "skynex-35mm"), ("int-1", "interceptor-drone"))
    plan_pk, plan_cost, f = plan(advisor(*units), tracks, a)
    assert f.feasible[0, :2].all()
    p_gun = f.pk[0, 0]
    assert plan_pk[0, 0] == pytest.approx(p_gun)  # gun-2 is no follow-up of gun-1
    assert plan_cost[0, 0] == pytest.approx(60000.0)
    # when a miss does not bar the type, the same unit's second burst (or gun-2) backs it up
    plan_pk2, plan_cost2, _ = plan(advisor(*units, exclude_failed_effector=False), tracks, a)
    assert plan_pk2[0, 0] == pytest.approx(p_gun + (1 - p_gun) * p_gun)
    assert plan_cost2[0, 0] == pytest.approx(60000.0 * (2 - p_gun))
    # after a real miss the advice indeed refuses both guns: the plan matched what it does
    adv = advisor(*units)
    (rec,) = adv.recommend(0.0, tracks, a)
    eng = adv.commit(rec, 0.0)
    adv.record_outcome(eng.id, eng.t_effect, "missed")
    look = eng.t_effect + adv.config.reengage_delay_s + 0.5
    for again in adv.recommend(look, tracks, a):
        assert not again.effector_id.startswith("skynex")


def test_last_chance_is_not_traded_against_cost() -> None:
    # the munition 28 s from the core: the gun (7 s to intercept) or the missile (17 s), and
    # after a miss of either (a 5 s look, a 1 s approval) the other would be too late: the
    # last chance
    units = (("gun-1", "skynex-35mm"), ("nas-1", "nasams-aim120"))
    tracks, a = make_case([[2900.0, 0.0, 300.0, -50.0, 0.0, 0.0]], probs=[LM])
    plan_pk, _, f = plan(advisor(*units, approval_s=1.0), tracks, a)
    assert f.feasible[0].all()
    np.testing.assert_allclose(plan_pk[0], f.pk[0])  # no plan has a follow-up
    assert f.pk[0, 1] > f.pk[0, 0]
    (rec,) = advisor(*units, approval_s=1.0).recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "nas-1"  # the surer shot
    assert "last chance" in rec.reason
    assert "60,000 EUR" in rec.reason  # weighed at the gun's price
    gun = next(x for x in rec.alternatives if x.fire_unit_id == "gun-1")
    assert "last chance" in gun.why_not
    # weighing every shot at its own cost, the gun's 10 % less Pk saves the missile
    (rec0,) = advisor(*units, approval_s=1.0, last_chance_surest=False).recommend(0.0, tracks, a)
    assert rec0.fire_unit_id == "gun-1"
    # 40 s out the gun can back up a missile miss: no last chance, and the cheaper gun leads
    tracks, a = make_case([[3500.0, 0.0, 300.0, -50.0, 0.0, 0.0]], probs=[LM])
    (rec1,) = advisor(*units, approval_s=1.0).recommend(0.0, tracks, a)
    assert rec1.fire_unit_id == "gun-1"
    assert "last chance" not in rec1.reason
    # whether to fire at all is still weighed: at a low-value site the cheapest unit in time
    # prices the last shot, and a missile alone does not pay
    tracks, a = make_case([[2900.0, 0.0, 300.0, -50.0, 0.0, 0.0]], probs=[LM])
    lone = advisor(("nas-1", "nasams-aim120"), approval_s=1.0, site_values={"kb": 10.0})
    assert lone.recommend(0.0, tracks, a) == []
    # with the gun in time the shot pays, and it is the surer missile: the doctrine's price,
    # which a planner who will not pay it turns off with last_chance_surest=False
    with_gun = advisor(*units, approval_s=1.0, site_values={"kb": 10.0}).recommend(0.0, tracks, a)
    assert [r.fire_unit_id for r in with_gun] == ["nas-1"]


def test_last_shot_is_weighed_against_the_value_on_arrival() -> None:
    # the missile alone, 28 s out, at a site of value 60: scored 0.5 now the munition is worth
    # 30 points, and 0.85 x 30 does not pay the missile's 30 points of cost; inside the core it
    # would score p_uas x 0.8, about 44 points, and there the last shot pays
    tracks, a = make_case([[2900.0, 0.0, 300.0, -50.0, 0.0, 0.0]], probs=[LM], score=[0.5])
    sites = {"kb": 60.0}
    adv = advisor(("nas-1", "nasams-aim120"), site_values=sites)
    rows = np.array([0])
    assert adv.threat_values(a, rows)[0] == pytest.approx(30.0)
    arrive = adv.arrival_values(a, rows)[0]
    assert arrive == pytest.approx(float(a.p_uas[0]) * 0.8 * 60.0)
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "nas-1"
    assert rec.threat_value == pytest.approx(arrive)
    assert "last chance" in rec.reason
    off = advisor(("nas-1", "nasams-aim120"), site_values=sites, last_chance_surest=False)
    assert off.recommend(0.0, tracks, a) == []
    # a track that will not enter the core is valued as it scores now
    tracks, a = make_case([[2900.0, 0.0, 300.0, 0.0, 50.0, 0.0]], probs=[LM], score=[0.5])
    assert adv.arrival_values(a, rows)[0] == pytest.approx(30.0)


def test_low_value_site_does_not_pay_for_a_missile_and_says_so() -> None:
    tracks, a = make_case(SHAHED, probs=[LM])
    adv = advisor(("nas-1", "nasams-aim120"), site_values={"kb": 10.0})
    assert adv.recommend(0.0, tracks, a) == []
    (d,) = adv.deferrals()
    assert "pays its cost" in d.reason
    assert d.declined_effector_id == "nasams-aim120"
    with pytest.raises(ConfigError):
        advisor(("nas-1", "nasams-aim120"), site_values={"kb": 150.0})


def test_shoot_look_shoot_after_a_miss_moves_to_the_next_option() -> None:
    units = (("jam-1", "rf-jammer"), ("int-1", "interceptor-drone"))
    adv = advisor(*units)
    tracks, a = make_case(QUAD_IN, rf=[RfProtocol.DJI_OCUSYNC])
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "jam-1"
    eng = adv.commit(rec, 2.0)
    assert adv.unassessed() == (eng,)
    adv.record_outcome(eng.id, eng.t_effect, "missed")
    look = eng.t_effect + adv.config.reengage_delay_s
    assert adv.reengage_at(0) == pytest.approx(look)
    assert adv.misses(0) == 1
    assert adv.failed_effectors(0) == {"rf-jammer"}
    assert adv.recommend(look - 1.0, tracks, a) == []  # still looking
    (again,) = adv.recommend(look + 0.5, tracks, a)
    assert again.fire_unit_id == "int-1"  # not the jammer that failed
    assert again.previous_misses == 1
    assert "re-engagement after 1 missed" in again.reason
    jam = next(x for x in again.alternatives if x.fire_unit_id == "jam-1")
    assert "missed this track" in jam.why_not
    with pytest.raises(EngagementError):
        adv.record_outcome(eng.id, look, "missed")  # already assessed
    with pytest.raises(EngagementError):
        adv.record_outcome("eng-999999", look, "killed")


def test_the_same_effector_may_fire_again_when_configured() -> None:
    adv = advisor(("jam-1", "rf-jammer"), exclude_failed_effector=False)
    tracks, a = make_case(QUAD_IN, rf=[RfProtocol.DJI_OCUSYNC])
    (rec,) = adv.recommend(0.0, tracks, a)
    eng = adv.commit(rec, 0.0)
    adv.record_outcome(eng.id, eng.t_effect, "missed")
    (again,) = adv.recommend(eng.t_effect + 6.0, tracks, a)
    assert again.fire_unit_id == "jam-1"


def test_killed_track_is_left_alone_unless_it_shows_up_again() -> None:
    adv = advisor(("int-1", "interceptor-drone"))
    tracks, a = make_case(QUAD_IN)
    (rec,) = adv.recommend(0.0, tracks, a)
    eng = adv.commit(rec, 0.0)
    adv.record_outcome(eng.id, eng.t_effect, "killed")
    assert adv.reengage_at(0) == float("inf")
    t1 = eng.t_effect + 20.0
    coasting, a1 = make_case(QUAD_IN, t=t1)  # t_update stays at the snapshot of make_case
    coasting = coasting.__class__(
        **{**{k: getattr(coasting, k) for k in coasting.__dataclass_fields__}, "t_update": [0.0]}
    )
    assert adv.recommend(t1, coasting, a1) == []
    seen, a2 = make_case(QUAD_IN, t=t1)  # updated by a detection after the kill: alive
    assert len(adv.recommend(t1, seen, a2)) == 1


def test_milp_and_greedy_methods_and_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    tracks, a = make_case(
        [QUAD_IN[0], [0.0, 2500.0, 150.0, 0.0, -12.0, 0.0], SHAHED[0]],
        probs=[one_hot(ObjectClass.QUADCOPTER)] * 2 + [LM],
        score=[0.6, 0.7, 0.9],
    )
    units = (("int-1", "interceptor-drone"), ("gun-1", "skynex-35mm"), ("pio-1", "piorun"))
    picks = {}
    for method in ("vlsn", "milp", "greedy"):
        adv = advisor(*units, wta_method=method)
        recs = adv.recommend(0.0, tracks, a)
        picks[method] = sorted((r.track_id, r.fire_unit_id) for r in recs)
        sol = adv.last_assignment
        assert sol is not None
        assert sol.solver == method
        assert len({r.fire_unit_id for r in recs}) == len(recs)  # a unit at most once
        assert len({r.track_id for r in recs}) == len(recs)  # one shot per track per tick
    assert picks["milp"] == picks["vlsn"]  # VLSN finds the optimum of so small a problem
    assert advisor(*units, wta_method="milp").recommend(0.0, tracks, a)  # sanity
    assert adv.last_assignment is not None

    def broken(*_args: object, **_kw: object) -> None:
        raise DronewallError("solver exploded")

    monkeypatch.setattr(engagement_mod, "solve_wta", broken)
    adv = advisor(*units)
    recs = adv.recommend(0.0, tracks, a)
    assert recs
    assert adv.counters["wta_fallbacks"] >= 1
    assert adv.last_assignment is not None
    assert adv.last_assignment.solver == "greedy"


def test_salvo_only_when_allowed() -> None:
    tracks, a = make_case(SHAHED, probs=[LM], score=[1.0])
    units = (("gun-1", "skynex-35mm"), ("pio-1", "piorun"))
    (one,) = advisor(*units, cost_weight_per_eur=0.0).recommend(0.0, tracks, a)
    two = advisor(*units, cost_weight_per_eur=0.0, max_shots_per_track=2).recommend(0.0, tracks, a)
    assert {r.fire_unit_id for r in two} == {"gun-1", "pio-1"}
    assert one.fire_unit_id in {"gun-1", "pio-1"}


def test_config_checks() -> None:
    for bad in (
        {"wta_method": "simplex"},
        {"cost_weight_per_eur": -1.0},
        {"cost_weight_per_eur": float("nan")},
        {"default_site_value": 101.0},
        {"wta_time_limit_s": 0.0},
        {"milp_max_pairs": 0},
        {"max_shots_per_track": 0},
    ):
        with pytest.raises(ConfigError):
            EngagementConfig(**bad)  # type: ignore[arg-type]
