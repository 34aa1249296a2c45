"""Cost-aware advice in time: wait for a cheaper unit when it can still make it; duplicates."""

from __future__ import annotations

import numpy as np
import pytest
from respond_helpers import FRAME, make_case, one_hot, unit

from dronewall.core.errors import ConfigError
from dronewall.core.measurements import RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.respond import EngagementAdvisor, EngagementConfig
from dronewall.world import RulesOfEngagement

# Core radius 1.5 km at the origin (respond_helpers.make_case).
QUAD_FAR = [4000.0, 0.0, 150.0, -12.0, 0.0, 0.0]  # 208 s from the core
QUAD_CLOSE = [2000.0, 0.0, 150.0, -12.0, 0.0, 0.0]  # 42 s: imminent
SHAHED = [6000.0, 0.0, 300.0, -50.0, 0.0, 0.0]  # 90 s
LM = one_hot(ObjectClass.LOITERING_MUNITION, 0.9)


def advisor(*units: tuple[str, str], **cfg: object) -> EngagementAdvisor:
    # these cases are placed for an instant approval; test_respond_approval.py covers approval_s
    cfg.setdefault("approval_s", 0.0)
    return EngagementAdvisor(
        [unit(uid, eff) for uid, eff in units],
        FRAME,
        RulesOfEngagement(),
        EngagementConfig(**cfg),  # type: ignore[arg-type]
    )


def busy(adv: EngagementAdvisor, uid: str, until: float) -> None:
    adv.busy_until[adv.unit_ids.index(uid)] = until


def test_far_quadcopter_waits_for_the_busy_interceptor_drone() -> None:
    adv = advisor(("int-1", "interceptor-drone"), ("pio-1", "piorun"))
    busy(adv, "int-1", 30.0)
    tracks, a = make_case([QUAD_FAR])
    assert adv.recommend(0.0, tracks, a) == []
    (d,) = adv.deferrals()
    assert d.track_id == 0
    assert d.declined_effector_id == "piorun"
    assert d.waiting_for_unit_id == "int-1"
    assert 30.0 < d.ready_in_s < d.time_to_core_s - 30.0
    assert "int-1" in d.reason
    # once the interceptor drone is free it is proposed, and the deferral is gone
    (rec,) = adv.recommend(31.0, tracks, a)
    assert rec.effector_id == "interceptor-drone"
    assert adv.deferrals() == ()


def test_close_quadcopter_gets_the_missile_when_the_interceptor_is_busy() -> None:
    adv = advisor(("int-1", "interceptor-drone"), ("pio-1", "piorun"))
    busy(adv, "int-1", 30.0)
    tracks, a = make_case([QUAD_CLOSE])
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.effector_id == "piorun"
    assert "cannot engage before the track is due in the core" in rec.reason
    alt = next(x for x in rec.alternatives if x.fire_unit_id == "int-1")
    assert "busy" in alt.why_not
    assert "free in 30 s" in alt.why_not


def test_far_quadcopter_gets_no_missile_even_if_the_cheaper_unit_is_late() -> None:
    # the interceptor drone reloads for 10 min: too late for the deadline, but it can still reach
    # the drone, which is not imminent: hold the missile back until it is
    adv = advisor(("int-1", "interceptor-drone"), ("pio-1", "piorun"))
    adv.reload_until[0] = 600.0
    adv.rounds_left[0] = 0.0
    tracks, a = make_case([QUAD_FAR])
    assert adv.recommend(0.0, tracks, a) == []
    (d,) = adv.deferrals()
    assert d.declined_effector_id == "piorun"
    assert "imminent" in d.reason
    # no cheaper unit can ever reach it: the missile is acceptable
    adv = advisor(("pio-1", "piorun"))
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.effector_id == "piorun"


def test_jammer_waited_for_until_the_drone_enters_its_range() -> None:
    # RF-linked drone at 4.6 km, the jammer reaches 4 km: wait rather than fire a missile
    adv = advisor(("jam-1", "rf-jammer"), ("pio-1", "piorun"))
    tracks, a = make_case([[4600.0, 0.0, 150.0, -12.0, 0.0, 0.0]], rf=[RfProtocol.DJI_OCUSYNC])
    assert adv.recommend(0.0, tracks, a) == []
    (d,) = adv.deferrals()
    assert d.waiting_for_unit_id == "jam-1"


@pytest.mark.parametrize("interceptor", ["absent", "reloading"])
def test_shahed_heading_for_the_core_gets_a_missile(interceptor: str) -> None:
    units = [("pio-1", "piorun"), ("nas-1", "nasams-aim120")]
    if interceptor != "absent":
        units.append(("int-1", "interceptor-drone"))
    adv = advisor(*units)
    if interceptor == "reloading":
        adv.reload_until[2] = 600.0
        adv.rounds_left[2] = 0.0
    tracks, a = make_case([SHAHED], probs=[LM])
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.effector_id in {"piorun", "nasams-aim120"}
    assert adv.deferrals() == ()


def test_shahed_far_out_waits_for_the_interceptor_drone_only_if_in_time() -> None:
    far = [[20000.0, 0.0, 300.0, -50.0, 0.0, 0.0]]  # 370 s from the core
    adv = advisor(("int-1", "interceptor-drone"), ("pio-1", "piorun"))
    busy(adv, "int-1", 20.0)
    tracks, a = make_case(far, probs=[LM])
    recs = adv.recommend(0.0, tracks, a)
    assert [r.effector_id for r in recs] in ([], ["interceptor-drone"])
    assert all(r.effector_id != "piorun" for r in recs)


def test_duplicate_tracks_of_one_object_get_one_proposal() -> None:
    x = [QUAD_CLOSE, [2050.0, 40.0, 150.0, -12.5, 0.5, 0.0], [2000.0, 900.0, 150.0, -12.0, 0, 0]]
    adv = advisor(("int-1", "interceptor-drone"), ("pio-1", "piorun"), ("gun-1", "skynex-35mm"))
    tracks, a = make_case(x, score=[0.9, 0.8, 0.7])
    recs = adv.recommend(0.0, tracks, a)
    assert sorted(r.track_id for r in recs) == [0, 2]  # 1 is 64 m from 0, same velocity
    (d,) = adv.deferrals()
    assert d.track_id == 1
    assert "duplicate" in d.reason
    # a later tick: the duplicate stays quiet while track 0 is claimed ...
    assert adv.recommend(1.0, tracks, a) == []
    assert [d.track_id for d in adv.deferrals()] == [1]
    # ... and not after the claim has lapsed (proposal released long ago)
    for r in recs:
        adv.release(r.id)
    again = adv.recommend(40.0, tracks, a)
    assert {r.track_id for r in again} >= {0}
    for r in again:  # rejected: the units they held are free
        adv.release(r.id)
    tracks1, a1 = make_case([x[1]], track_id=[1])
    assert len(adv.recommend(80.0, tracks1, a1)) == 1


def test_duplicate_needs_a_similar_velocity() -> None:
    x = [QUAD_CLOSE, [2050.0, 40.0, 150.0, 0.0, 12.0, 0.0]]  # 64 m apart, 17 m/s apart
    units = [("int-1", "interceptor-drone"), ("gun-1", "skynex-35mm")]
    tracks, a = make_case(x)
    for dv, duplicate in ((10.0, False), (20.0, True)):
        adv = advisor(*units, duplicate_speed_m_s=dv)
        recs = adv.recommend(0.0, tracks, a)
        assert recs[0].track_id == 0
        dup = [d for d in adv.deferrals() if "duplicate" in d.reason]
        assert [d.track_id for d in dup] == ([1] if duplicate else [])
        # not a duplicate: track 1 (flying away) gets its own answer, a unit or a deferral
        answered = {r.track_id for r in recs} | {d.track_id for d in adv.deferrals()}
        assert answered == {0, 1}
        # per track (no joint assignment) it waits for int-1, as it always did
        adv = advisor(*units, duplicate_speed_m_s=dv, wta_method="per-track")
        (rec,) = adv.recommend(0.0, tracks, a)
        (d,) = adv.deferrals()
        assert (rec.track_id, d.track_id) == (0, 1)
        assert ("duplicate" in d.reason) is duplicate


def test_config_checks() -> None:
    with pytest.raises(ConfigError):
        EngagementConfig(wait_steps_s=(5.0, 10.0))
    with pytest.raises(ConfigError):
        EngagementConfig(wait_steps_s=(0.0, 10.0, 10.0))
    with pytest.raises(ConfigError):
        EngagementConfig(engagement_margin_s=-1.0)
    assert np.isfinite(EngagementConfig().imminent_s)


def test_noisy_climb_rate_does_not_put_the_intercept_below_ground() -> None:
    # a cruising drone whose track shows -3 m/s: extrapolated over the interceptor drone's 60 s
    # fly-out it would be under ground; predicted level it is not
    x = [[3500.0, 0.0, 150.0, -12.0, 0.0, -3.0]]
    tracks, a = make_case(x)
    units = (("int-1", "interceptor-drone"), ("pio-1", "piorun"))
    (rec,) = advisor(*units).recommend(0.0, tracks, a)
    assert rec.effector_id == "interceptor-drone"
    assert advisor(*units, predict_level=False).recommend(0.0, tracks, a) == []


def test_unit_whose_last_round_is_held_counts_its_reload() -> None:
    adv = EngagementAdvisor(
        [unit("int-1", "interceptor-drone", magazine=1)],
        FRAME,
        RulesOfEngagement(),
        EngagementConfig(),
    )
    tracks, a = make_case([QUAD_FAR])
    (rec,) = adv.recommend(0.0, tracks, a)
    reload_s = adv.reload_s[0]
    # busy until the effect (approved approval_s after the proposal), then reloading
    approval = adv.config.approval_s
    assert approval > 0.0
    assert adv.ready_in(0.0)[0] == pytest.approx(approval + rec.time_to_intercept_s + reload_s)


def test_munitions_keep_a_wider_margin_than_quadcopters() -> None:
    # a Shahed 130 s from the core; the interceptor drone, free in 20 s, would hit it ~46 s before
    # the core: room enough under a 30 s margin, not under a munition's 60 s (a second shot)
    x = [[8000.0, 0.0, 300.0, -50.0, 0.0, 0.0]]
    units = (("int-1", "interceptor-drone"), ("nas-1", "nasams-aim120"))
    tracks, a = make_case(x, probs=[LM])
    adv = advisor(*units)
    assert adv.margin_s(a, np.array([0]))[0] == 60.0
    busy(adv, "int-1", 20.0)
    (rec,) = adv.recommend(0.0, tracks, a)
    assert rec.effector_id == "nasams-aim120"
    adv = advisor(*units, high_value_margin_s=30.0)
    busy(adv, "int-1", 20.0)
    assert adv.recommend(0.0, tracks, a) == []
    (d,) = adv.deferrals()
    assert d.waiting_for_unit_id == "int-1"
    assert d.declined_effector_id == "nasams-aim120"


def _two_munitions_one_interceptor(channels: int, **cfg: object) -> EngagementAdvisor:
    adv = EngagementAdvisor(
        [
            unit("int-1", "interceptor-drone", channels=channels),
            unit("nas-1", "nasams-aim120", de_m=-3000.0),
        ],
        FRAME,
        RulesOfEngagement(),
        EngagementConfig(approval_s=0.0, **cfg),  # type: ignore[arg-type]
    )
    busy(adv, "int-1", 20.0)
    return adv


# Two munitions 250 s and 261 s from the core; the interceptor drone, busy for 20 s, can serve
# either in time (intercepts in 128 s and 131 s), but one channel cannot serve both: the second
# would be launched only after the first's effect and hit it 22 s before the core, inside the
# 60 s margin of a munition.
TWO_MUNITIONS = [[14000.0, 0.0, 300.0, -50.0, 0.0, 0.0], [14500.0, 300.0, 300.0, -50.0, 0.0, 0.0]]


def test_two_munitions_do_not_both_wait_for_one_interceptor_channel() -> None:
    tracks, a = make_case(TWO_MUNITIONS, probs=[LM, LM], score=[0.9, 0.85])
    adv = _two_munitions_one_interceptor(1)
    (rec,) = adv.recommend(0.0, tracks, a)
    assert (rec.track_id, rec.effector_id) == (1, "nasams-aim120")
    (d,) = adv.deferrals()
    assert (d.track_id, d.waiting_for_unit_id) == (0, "int-1")  # the earlier deadline books it
    # judged alone, each wait is in time and both tracks wait for the one channel
    alone = _two_munitions_one_interceptor(1, queue_waits=False)
    assert alone.recommend(0.0, tracks, a) == []
    assert sorted((d.track_id, d.waiting_for_unit_id) for d in alone.deferrals()) == [
        (0, "int-1"),
        (1, "int-1"),
    ]


def test_two_channels_serve_two_waiting_munitions() -> None:
    tracks, a = make_case(TWO_MUNITIONS, probs=[LM, LM], score=[0.9, 0.85])
    adv = _two_munitions_one_interceptor(2)
    assert adv.recommend(0.0, tracks, a) == []
    assert sorted(d.waiting_for_unit_id for d in adv.deferrals()) == ["int-1", "int-1"]


def test_a_booked_last_round_makes_the_next_wait_include_the_reload() -> None:
    tracks, a = make_case(TWO_MUNITIONS, probs=[LM, LM], score=[0.9, 0.85])
    adv = _two_munitions_one_interceptor(2)
    adv.rounds_left[0] = 1.0  # two channels, one round: the second waits for a 600 s reload
    (rec,) = adv.recommend(0.0, tracks, a)
    assert (rec.track_id, rec.effector_id) == (1, "nasams-aim120")
