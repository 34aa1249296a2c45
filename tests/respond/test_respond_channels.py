"""Fire channels: a unit engages up to ``channels`` targets at once, proposals included."""

from __future__ import annotations

import numpy as np
import pytest
from respond_helpers import FRAME, make_case, unit

from dronewall.respond.engagement import EngagementAdvisor, EngagementConfig, EngagementError
from dronewall.world import RulesOfEngagement, load_world

# Three quadcopters 3 km out on different bearings, inbound at 12 m/s.
X = [
    [3000.0, 0.0, 150.0, -12.0, 0.0, 0.0],
    [0.0, 3000.0, 150.0, 0.0, -12.0, 0.0],
    [-3000.0, 0.0, 150.0, 12.0, 0.0, 0.0],
]


def post(channels: int) -> EngagementAdvisor:
    return EngagementAdvisor(
        [unit("int-1", "interceptor-drone", channels=channels)],
        FRAME,
        RulesOfEngagement(),
        EngagementConfig(approval_s=15.0),
    )


def test_every_effector_type_states_its_channels_with_a_source() -> None:
    for e in load_world().effectors.values():
        assert e.channels >= 1
        assert "channels" in e.sources


@pytest.mark.parametrize("channels", [1, 2, 3])
def test_a_post_takes_as_many_targets_at_once_as_it_has_channels(channels: int) -> None:
    adv = post(channels)
    tracks, a = make_case(X, track_id=[1, 2, 3])
    recs = []
    for t in (0.0, 1.0, 2.0, 3.0):  # one new proposal per unit per tick
        recs += adv.recommend(t, tracks, a)
    assert len(recs) == min(channels, 3)
    # approved: each goes out on its own channel, none finds the post busy
    engs = [adv.commit(r, 15.0 + i) for i, r in enumerate(recs)]
    assert len({e.track_id for e in engs}) == len(engs)
    # every channel is in flight: another target waits for the first effect
    assert adv.ready_in(20.0)[0] == pytest.approx(min(e.t_effect for e in engs) - 20.0)
    assert adv.recommend(20.0, tracks, a) == []


def test_commit_beyond_the_channels_is_refused() -> None:
    adv = post(1)
    tracks, a = make_case(X[:2], track_id=[1, 2])
    (rec,) = adv.recommend(0.0, tracks, a)
    eng = adv.commit(rec, 15.0)
    # a second proposal forced onto the busy post (as a stale approval would be) is refused
    adv.busy_until[0] = -np.inf
    adv._in_flight[0] = []
    (rec2,) = adv.recommend(16.0, tracks, a)
    adv.busy_until[0] = eng.t_effect
    with pytest.raises(EngagementError, match="channel"):
        adv.commit(rec2, 31.0)


def test_channels_must_be_positive() -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="channels"):
        replace(load_world().effectors["piorun"], channels=0)
