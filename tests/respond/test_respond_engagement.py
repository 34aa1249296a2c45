from __future__ import annotations

import numpy as np
import pytest
from respond_helpers import EFFECTORS, FRAME, LAT, LON, make_case, one_hot, unit

from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import Identity, Layer, ObjectClass
from dronewall.respond import (
    EngagementAdvisor,
    EngagementConfig,
    EngagementError,
    engagement_pk,
)
from dronewall.world import NoFireZone, RulesOfEngagement

LAYERED = [
    unit("jam-1", "rf-jammer"),
    unit("int-1", "interceptor-drone"),
    unit("gun-1", "skynex-35mm"),
    unit("pio-1", "piorun"),
    unit("nas-1", "nasams-aim120"),
]
QUAD_IN = [[2500.0, 0.0, 150.0, -12.0, 0.0, 0.0]]  # 83 s from the core (1.5 km)
QUAD_IN_CLOSE = [[2000.0, 0.0, 150.0, -12.0, 0.0, 0.0]]  # 42 s
QUAD_NORTH = [[0.0, 2500.0, 150.0, 0.0, -12.0, 0.0]]
QUAD_NORTH_CLOSE = [[0.0, 2000.0, 150.0, 0.0, -12.0, 0.0]]
SHAHED_IN = [[6000.0, 0.0, 300.0, -50.0, 0.0, 0.0]]


def advisor(units=LAYERED, roe=None, **cfg) -> EngagementAdvisor:
    # these cases are placed for an instant approval; test_respond_approval.py covers approval_s
    cfg.setdefault("approval_s", 0.0)
    return EngagementAdvisor(units, FRAME, roe or RulesOfEngagement(), EngagementConfig(**cfg))


def test_quadcopter_with_rf_link_gets_the_jammer() -> None:
    tracks, a = make_case(QUAD_IN, rf=[RfProtocol.DJI_OCUSYNC])
    (rec,) = advisor().recommend(0.0, tracks, a)
    assert rec.effector_id == "rf-jammer"
    assert rec.layer == Layer.EW
    assert rec.cost_eur == 0.0
    assert rec.pk >= 0.3
    assert {alt.fire_unit_id for alt in rec.alternatives} >= {"int-1", "pio-1"}
    assert all(alt.why_not for alt in rec.alternatives)


def test_quadcopter_without_rf_cue_gets_an_interceptor_drone_not_a_missile() -> None:
    tracks, a = make_case(QUAD_IN)
    (rec,) = advisor().recommend(0.0, tracks, a)
    assert rec.effector_id == "interceptor-drone"
    jam = next(x for x in rec.alternatives if x.effector_id == "rf-jammer")
    assert "RF" in jam.why_not
    pio = next(x for x in rec.alternatives if x.effector_id == "piorun")
    assert "costlier" in pio.why_not


def test_shahed_without_rf_link_never_gets_the_jammer() -> None:
    lm = one_hot(ObjectClass.LOITERING_MUNITION, 0.9)
    for rf in (-2, int(RfProtocol.MILITARY_DATALINK)):  # even a (wrongly paired) RF cue
        tracks, a = make_case(SHAHED_IN, probs=[lm], rf=[rf])
        (rec,) = advisor().recommend(0.0, tracks, a)
        assert rec.effector_id != "rf-jammer"
        assert rec.effector_id == "interceptor-drone"
    assert engagement_pk(EFFECTORS["rf-jammer"], ObjectClass.LOITERING_MUNITION, -1) == 0.0


def test_engagement_pk_for_the_simulation() -> None:
    jam = EFFECTORS["rf-jammer"]
    assert engagement_pk(jam, ObjectClass.FPV, -1) == 0.0  # fibre-optic FPV
    assert engagement_pk(jam, ObjectClass.FPV, int(RfProtocol.ANALOG_FPV)) == pytest.approx(0.7)
    assert engagement_pk(EFFECTORS["piorun"], ObjectClass.AIRLINER, -1) == 0.0
    assert engagement_pk(EFFECTORS["coyote"], ObjectClass.LOITERING_MUNITION, -1) == pytest.approx(
        0.85
    )


def test_envelope_range_and_altitude() -> None:
    far = [[60000.0, 0.0, 300.0, -40.0, 0.0, 0.0]]  # beyond every envelope in this deployment
    tracks, a = make_case(far)
    assert advisor().recommend(0.0, tracks, a) == []
    high = [[2500.0, 0.0, 2000.0, -12.0, 0.0, 0.0]]  # above the jammer's 1500 m
    tracks, a = make_case(high, rf=[0])
    (rec,) = advisor().recommend(0.0, tracks, a)
    assert rec.effector_id != "rf-jammer"
    close = [[30.0, 0.0, 60.0, 0.0, 0.0, 0.0]]  # 67 m away: inside both minimum ranges
    tracks, a = make_case(close)
    assert (
        advisor(units=[unit("int-1", "interceptor-drone"), unit("pio-1", "piorun")]).recommend(
            0.0, tracks, a
        )
        == []
    )


def test_too_fast_target_cannot_be_caught() -> None:
    # fleeing at 120 m/s from an 87 m/s interceptor drone
    tracks, a = make_case([[3000.0, 0.0, 300.0, 120.0, 0.0, 0.0]])
    assert advisor(units=[unit("int-1", "interceptor-drone")]).recommend(0.0, tracks, a) == []


def test_roe_kinetic_and_jamming() -> None:
    tracks, a = make_case(QUAD_IN, rf=[0])
    (rec,) = advisor(roe=RulesOfEngagement(kinetic_allowed=False)).recommend(0.0, tracks, a)
    assert rec.effector_id == "rf-jammer"
    tracks, a = make_case(QUAD_IN)  # no RF cue, kinetic forbidden: nothing left
    assert advisor(roe=RulesOfEngagement(kinetic_allowed=False)).recommend(0.0, tracks, a) == []
    tracks, a = make_case(QUAD_IN, rf=[0])
    (rec,) = advisor(roe=RulesOfEngagement(jamming_allowed=False)).recommend(0.0, tracks, a)
    assert rec.effector_id == "interceptor-drone"


def test_min_identity_hostile_skips_suspects() -> None:
    tracks, a = make_case(QUAD_IN * 2, identity=[int(Identity.SUSPECT), int(Identity.HOSTILE)])
    recs = advisor(roe=RulesOfEngagement(min_identity=Identity.HOSTILE)).recommend(0.0, tracks, a)
    assert [r.track_id for r in recs] == [1]


def test_no_fire_zone_blocks_kinetic_intercepts_inside_it() -> None:
    # a town 2 km east of the base: every kinetic intercept of the inbound drone lands there
    town = NoFireZone(
        name="Peer",
        lat_deg=LAT,
        lon_deg=LON + 2300.0 / (111_200.0 * np.cos(np.radians(LAT))),
        radius_m=1200.0,
    )
    tracks, a = make_case(QUAD_IN)
    units = [unit("int-1", "interceptor-drone"), unit("gun-1", "skynex-35mm")]
    assert (
        advisor(units=units, roe=RulesOfEngagement(no_fire_zones=(town,))).recommend(0.0, tracks, a)
        == []
    )
    assert len(advisor(units=units).recommend(0.0, tracks, a)) == 1
    tracks, a = make_case(QUAD_IN, rf=[0])  # the jammer is not kinetic: allowed
    (rec,) = advisor(
        units=[*units, unit("jam-1", "rf-jammer")], roe=RulesOfEngagement(no_fire_zones=(town,))
    ).recommend(0.0, tracks, a)
    assert rec.effector_id == "rf-jammer"


def test_adsb_or_protected_or_non_uas_tracks_are_never_engaged() -> None:
    x = QUAD_IN * 4
    probs = [one_hot(ObjectClass.QUADCOPTER)] * 3 + [one_hot(ObjectClass.BIRD)]
    # identities say HOSTILE, but: an ADS-B address, a NEUTRAL, a FRIEND, a bird
    tracks, a = make_case(
        x,
        ident=[0x4CA123, -1, -1, -1],
        probs=probs,
        identity=[
            int(Identity.HOSTILE),
            int(Identity.NEUTRAL),
            int(Identity.FRIEND),
            int(Identity.HOSTILE),
        ],
    )
    assert advisor().recommend(0.0, tracks, a) == []


def test_not_proposed_twice_and_released_proposals_come_back() -> None:
    adv = advisor()
    tracks, a = make_case(QUAD_IN)
    (rec,) = adv.recommend(0.0, tracks, a)
    assert adv.recommend(1.0, tracks, a) == []
    adv.release(rec.id)
    (again,) = adv.recommend(2.0, tracks, a)
    assert again.id != rec.id
    # the proposal times out by itself after proposal_ttl_s
    assert adv.recommend(61.0, tracks, a) == []
    assert len(adv.recommend(62.5, tracks, a)) == 1


def test_commit_spends_stock_and_schedules_reload() -> None:
    adv = advisor(
        units=[unit("int-1", "interceptor-drone", magazine=1, channels=1), unit("pio-1", "piorun")]
    )
    tracks, a = make_case(QUAD_IN)
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.fire_unit_id == "int-1"
    eng = adv.commit(rec, 10.0)
    assert eng.t_effect == pytest.approx(10.0 + rec.time_to_intercept_s)
    assert rec.time_to_intercept_s > EFFECTORS["interceptor-drone"].reaction_s
    st = adv.state()
    assert st.rounds_left[0] == 0.0
    assert st.busy_until[0] == eng.t_effect
    assert st.reload_until[0] == pytest.approx(
        eng.t_effect + EFFECTORS["interceptor-drone"].reload_s
    )
    with pytest.raises(EngagementError):
        adv.commit(rec, 11.0)  # already committed
    # a second drone from the north, 83 s from the core: the empty unit is not offered, and the
    # missile is held back while the drone is not imminent (the interceptor can still reach it)
    tracks2, a2 = make_case(QUAD_NORTH, track_id=[1])
    assert adv.recommend(12.0, tracks2, a2) == []
    (d,) = adv.deferrals()
    assert (d.track_id, d.declined_effector_id, d.waiting_for_unit_id) == (1, "piorun", "int-1")
    # the same drone 42 s from the core: the missile is the only timely option
    tracks2, a2 = make_case(QUAD_NORTH_CLOSE, track_id=[1])
    (rec2,) = adv.recommend(13.0, tracks2, a2)
    assert rec2.fire_unit_id == "pio-1"
    int_alt = next(x for x in rec2.alternatives if x.fire_unit_id == "int-1")
    assert "busy" in int_alt.why_not or "rounds" in int_alt.why_not
    # after the reload the interceptor drone is back
    adv.release(rec2.id)
    t_back = float(st.reload_until[0]) + 1.0
    (rec3,) = adv.recommend(t_back, tracks2, a2)
    assert rec3.fire_unit_id == "int-1"
    assert adv.state().rounds_left[0] == 1.0


def test_each_unit_takes_one_new_proposal_per_tick_most_threatening_first() -> None:
    # two drones close to the core: no time to wait for the interceptor drone's second sortie
    tracks, a = make_case([QUAD_IN_CLOSE[0], QUAD_NORTH_CLOSE[0]], score=[0.5, 0.9])
    adv = advisor(units=[unit("int-1", "interceptor-drone"), unit("pio-1", "piorun")])
    recs = adv.recommend(0.0, tracks, a)
    assert [r.track_id for r in recs] == [1, 0]  # most threatening first
    assert sorted(r.fire_unit_id for r in recs) == ["int-1", "pio-1"]  # each unit once
    # the joint assignment gives the surer unit to the more valuable track: 90 x 0.68 + 50 x 0.50
    # > 90 x 0.50 + 50 x 0.68 value points. Neither plan has a follow-up: the other unit is
    # taken, and a miss bars the missile's own type from the track (exclude_failed_effector)
    assert [r.fire_unit_id for r in recs] == ["int-1", "pio-1"]
    assert recs[0].pk > recs[1].pk
    assert all(r.method == "vlsn" and r.threat_value > 0 for r in recs)
    # track by track, the most threatening takes the cheapest unit
    adv = advisor(
        units=[unit("int-1", "interceptor-drone"), unit("pio-1", "piorun")], wta_method="per-track"
    )
    recs = adv.recommend(0.0, tracks, a)
    assert [(r.track_id, r.fire_unit_id) for r in recs] == [(1, "int-1"), (0, "pio-1")]


def test_low_threat_and_tentative_tracks_are_left_alone() -> None:
    tracks, a = make_case(QUAD_IN * 2, score=[0.1, 0.9], confirmed=[True, False])
    assert advisor().recommend(0.0, tracks, a) == []


def test_mismatched_assessment_is_an_error() -> None:
    _tracks, a = make_case(QUAD_IN)
    tracks2, _ = make_case(QUAD_IN, track_id=[5])
    with pytest.raises(ValueError, match="assessment rows"):
        advisor().recommend(0.0, tracks2, a)
