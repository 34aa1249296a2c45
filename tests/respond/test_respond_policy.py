"""The firing doctrines of the advice: cost-aware (the default) against most-capable-first.

Most-capable-first is the baseline of the cost-exchange benchmark: per track the most capable unit
that can engage it now (highest expected Pk), whatever it costs. It shares everything else with the
cost-aware advice: eligibility, the hard rule, envelopes, stocks, one proposal per unit per tick,
rules of engagement and shoot-look-shoot.
"""

from __future__ import annotations

import numpy as np
import pytest
from respond_helpers import FRAME, LAT, LON, make_case, one_hot, unit

from dronewall.core.errors import ConfigError
from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import Identity, ObjectClass
from dronewall.respond import EngagementAdvisor, EngagementConfig
from dronewall.world import NoFireZone, RulesOfEngagement

MCF = "most-capable-first"
GUN_AND_MISSILES = [
    unit("int-1", "interceptor-drone"),
    unit("gun-1", "skynex-35mm"),
    unit("pio-1", "piorun"),
    unit("nas-1", "nasams-aim120"),
]
DECOY = one_hot(ObjectClass.DECOY, 0.9)
# A Gerbera-class decoy (9.2 kEUR) 3.5 km east, inbound at 45 m/s: 44 s from the 1.5 km core, in
# reach of the interceptor drone, the gun (4 km), Piorun (6.5 km) and NASAMS (2-25 km).
DECOY_IN = [[3500.0, 0.0, 300.0, -45.0, 0.0, 0.0]]
QUAD_IN = [[2500.0, 0.0, 150.0, -12.0, 0.0, 0.0]]


def advisor(units=GUN_AND_MISSILES, roe=None, **cfg) -> EngagementAdvisor:
    # these cases are placed for an instant approval; test_respond_approval.py covers approval_s
    cfg.setdefault("approval_s", 0.0)
    return EngagementAdvisor(units, FRAME, roe or RulesOfEngagement(), EngagementConfig(**cfg))


def test_missile_against_a_cheap_decoy_under_most_capable_first_gun_under_cost_aware() -> None:
    tracks, a = make_case(DECOY_IN, probs=[DECOY])
    units = [unit("gun-1", "skynex-35mm"), unit("nas-1", "nasams-aim120")]
    (mcf,) = advisor(units, policy=MCF).recommend(0.0, tracks, a)
    assert mcf.effector_id == "nasams-aim120"
    assert mcf.cost_eur == 1_000_000.0
    assert mcf.method == MCF
    assert "most-capable-first" in mcf.reason
    assert "gun-1" in mcf.reason  # the price of the doctrine: the cheaper unit is named
    (gun,) = mcf.alternatives
    assert gun.fire_unit_id == "gun-1"
    assert "less capable" in gun.why_not
    (ca,) = advisor(units).recommend(0.0, tracks, a)
    assert ca.effector_id == "skynex-35mm"
    assert ca.cost_eur == 60_000.0


def test_the_most_capable_is_the_highest_expected_pk_not_the_dearest() -> None:
    # against a quadcopter the gun (Pk 0.75) beats NASAMS and Piorun (0.5) and the interceptor (0.7)
    tracks, a = make_case(QUAD_IN)
    (rec,) = advisor(policy=MCF).recommend(0.0, tracks, a)
    assert rec.effector_id == "skynex-35mm"
    # with an RF link seen, the jammer (0.8) is the most capable of all
    tracks, a = make_case(QUAD_IN, rf=[int(RfProtocol.DJI_OCUSYNC)])
    units = [*GUN_AND_MISSILES, unit("jam-1", "rf-jammer")]
    (rec,) = advisor(units, policy=MCF).recommend(0.0, tracks, a)
    assert rec.effector_id == "rf-jammer"
    # against a decoy: NASAMS (0.9) before Piorun (0.85), the gun (0.8), the interceptor (0.7)
    tracks, a = make_case(DECOY_IN, probs=[DECOY])
    (rec,) = advisor(policy=MCF).recommend(0.0, tracks, a)
    assert rec.effector_id == "nasams-aim120"
    ranked = [alt.effector_id for alt in rec.alternatives]
    assert ranked == ["piorun", "skynex-35mm", "interceptor-drone"]


def test_equal_pk_goes_to_the_longest_reach() -> None:
    # AIM-9X and AIM-120 share a Pk table; the AMRAAM reaches 25 km against 10 km
    tracks, a = make_case(DECOY_IN, probs=[DECOY])
    units = [unit("nas-9x", "nasams-aim9x"), unit("nas-120", "nasams-aim120")]
    (rec,) = advisor(units, policy=MCF).recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "nas-120"
    assert "as capable" in rec.alternatives[0].why_not


def test_one_proposal_per_unit_per_tick_most_threatening_first() -> None:
    x = [*DECOY_IN, [0.0, 3500.0, 300.0, 0.0, -45.0, 0.0], [-3500.0, 0.0, 300.0, 45.0, 0, 0]]
    tracks, a = make_case(x, probs=[DECOY] * 3, score=[0.6, 0.9, 0.7])
    recs = advisor(policy=MCF).recommend(0.0, tracks, a)
    assert [(r.track_id, r.effector_id) for r in recs] == [
        (1, "nasams-aim120"),
        (2, "piorun"),
        (0, "skynex-35mm"),
    ]  # most threatening first, each unit once


def test_stock_is_respected_then_the_next_most_capable() -> None:
    units = [unit("pio-1", "piorun"), unit("nas-1", "nasams-aim120", magazine=1)]
    adv = advisor(units, policy=MCF)
    tracks, a = make_case(DECOY_IN, probs=[DECOY])
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "nas-1"
    adv.commit(rec, 1.0)
    assert adv.state().rounds_left[1] == 0.0
    tracks2, a2 = make_case(
        [[0.0, 3500.0, 300.0, 0.0, -45.0, 0.0]], probs=[DECOY], track_id=[7], t=2.0
    )
    (rec2,) = adv.recommend(2.0, tracks2, a2)
    assert rec2.fire_unit_id == "pio-1"
    nas = next(x for x in rec2.alternatives if x.fire_unit_id == "nas-1")
    assert "busy" in nas.why_not or "rounds" in nas.why_not
    # and a proposal holds its round: a second track in the same tick finds nothing left
    adv2 = advisor([unit("nas-1", "nasams-aim120", magazine=1)], policy=MCF)
    x = [*DECOY_IN, [0.0, 3500.0, 300.0, 0.0, -45.0, 0.0]]
    tracks, a = make_case(x, probs=[DECOY] * 2)
    assert len(adv2.recommend(0.0, tracks, a)) == 1
    assert adv2.recommend(1.0, tracks, a) == []


def test_envelope_out_of_reach_units_are_never_the_most_capable() -> None:
    # 2.5 km east and inbound: NASAMS would intercept inside its 2 km minimum range, so Piorun
    tracks, a = make_case([[2500.0, 0.0, 300.0, -45.0, 0.0, 0.0]], probs=[DECOY])
    (rec,) = advisor(policy=MCF).recommend(0.0, tracks, a)
    assert rec.effector_id == "piorun"
    nas = next(x for x in rec.alternatives if x.fire_unit_id == "nas-1")
    assert "outside" in nas.why_not
    # 30 km out: beyond every unit's reach now; nothing proposed (and nothing waited for)
    tracks, a = make_case([[30000.0, 0.0, 300.0, -45.0, 0.0, 0.0]], probs=[DECOY])
    adv = advisor(policy=MCF)
    assert adv.recommend(0.0, tracks, a) == []
    assert adv.deferrals() == ()


def test_a_timely_unit_before_a_more_capable_late_one() -> None:
    # a decoy 400 m from the core edge (9 s): Piorun (Pk 0.85, 10 s reaction) would intercept
    # after it reaches the core, the gun (0.8, 5 s) before: the gun is proposed
    tracks, a = make_case([[1900.0, 0.0, 300.0, -45.0, 0.0, 0.0]], probs=[DECOY])
    adv = advisor([unit("pio-1", "piorun"), unit("gun-1", "skynex-35mm")], policy=MCF)
    f = adv.feasibility(0.0, tracks, a, np.array([0]))
    assert f.late[0].tolist() == [True, False]
    assert f.pk[0, 0] > f.pk[0, 1]
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.effector_id == "skynex-35mm"
    (pio,) = rec.alternatives
    assert "after the track would reach the core" in pio.why_not
    # with no timely unit at all, the most capable late one is still proposed
    (late,) = advisor([unit("pio-1", "piorun")], policy=MCF).recommend(0.0, tracks, a)
    assert late.effector_id == "piorun"
    assert "no timely option" in late.reason


def test_rules_of_engagement_and_no_fire_zones_bind_the_doctrine() -> None:
    tracks, a = make_case(QUAD_IN, rf=[0])
    units = [*GUN_AND_MISSILES, unit("jam-1", "rf-jammer")]
    (rec,) = advisor(units, RulesOfEngagement(jamming_allowed=False), policy=MCF).recommend(
        0.0, tracks, a
    )
    assert rec.effector_id == "skynex-35mm"
    (rec,) = advisor(units, RulesOfEngagement(kinetic_allowed=False), policy=MCF).recommend(
        0.0, tracks, a
    )
    assert rec.effector_id == "rf-jammer"
    tracks, a = make_case(QUAD_IN)  # no RF cue, kinetic forbidden: nothing
    assert (
        advisor(roe=RulesOfEngagement(kinetic_allowed=False), policy=MCF).recommend(0.0, tracks, a)
        == []
    )
    town = NoFireZone(  # every kinetic intercept of the inbound drone lands in the town
        name="Peer",
        lat_deg=LAT,
        lon_deg=LON + 2300.0 / (111_200.0 * np.cos(np.radians(LAT))),
        radius_m=1200.0,
    )
    assert (
        advisor(roe=RulesOfEngagement(no_fire_zones=(town,)), policy=MCF).recommend(0.0, tracks, a)
        == []
    )


@pytest.mark.parametrize("policy", ["cost-aware", MCF])
def test_never_against_civil_friendly_or_cooperative_tracks(policy: str) -> None:
    x = DECOY_IN * 5
    probs = [DECOY] * 4 + [one_hot(ObjectClass.LIGHT_AIRCRAFT)]
    tracks, a = make_case(
        x,
        ident=[0x4CA123, -1, -1, -1, -1],
        probs=probs,
        identity=[
            int(Identity.HOSTILE),  # with an ADS-B address
            int(Identity.NEUTRAL),
            int(Identity.FRIEND),
            int(Identity.ASSUMED_FRIEND),
            int(Identity.HOSTILE),  # a light aircraft: not a UAS
        ],
    )
    assert advisor(policy=policy).recommend(0.0, tracks, a) == []


def test_shoot_look_shoot_moves_to_the_next_most_capable() -> None:
    adv = advisor(policy=MCF)
    tracks, a = make_case(DECOY_IN, probs=[DECOY])
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.effector_id == "nasams-aim120"
    eng = adv.commit(rec, 0.0)
    adv.record_outcome(eng.id, eng.t_effect, "missed")
    t = eng.t_effect + adv.config.reengage_delay_s + 1.0
    tracks, a = make_case([[2450.0, 0.0, 300.0, -45.0, 0.0, 0.0]], probs=[DECOY], t=t)
    (again,) = adv.recommend(t, tracks, a)
    assert again.effector_id == "piorun"
    assert again.previous_misses == 1
    nas = next(x for x in again.alternatives if x.fire_unit_id == "nas-1")
    assert "missed" in nas.why_not


def test_unknown_policy_is_refused() -> None:
    with pytest.raises(ConfigError, match="policy"):
        EngagementConfig(policy="cheapest-first")  # type: ignore[arg-type]
