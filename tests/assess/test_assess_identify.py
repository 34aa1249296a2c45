from __future__ import annotations

import numpy as np
from assess_helpers import FRAME, SITE, make_tracks

from dronewall.assess.geometry import site_geometry
from dronewall.assess.identify import IdentityConfig, RuleIdentifier
from dronewall.core.taxonomy import Identity

SITE_ENU = FRAME.lla_to_enu(np.array([[SITE.lat_deg, SITE.lon_deg, 0.0]]))
ALERT = np.array([SITE.alert_radius_m])
CORE = np.array([SITE.core_radius_m])


def step(rid: RuleIdentifier, t, x, p_uas, **kw):
    tr = make_tracks(t, x, **kw)
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITE_ENU, ALERT, CORE)
    return rid.update(t, tr, np.asarray(p_uas, float), g)


def test_adsb_track_is_neutral_and_friendly_list_gives_friend() -> None:
    rid = RuleIdentifier(IdentityConfig(friendly_icao=frozenset({0x44A001})))
    ids = step(rid, 0.0, [[100, 0, 100, 0, 0, 0]] * 2, [0.99, 0.99], ident=[0x4CA123, 0x44A001])
    assert list(ids) == [Identity.NEUTRAL, Identity.FRIEND]


def test_protection_lasts_for_the_track_life() -> None:
    rid = RuleIdentifier(IdentityConfig())
    step(rid, 0.0, [[20000, 0, 500, 0, 0, 0]], [0.0], ident=[0x4CA123])
    # correlation lost, now UAS-like inside the core for minutes: still neutral
    for k in range(1, 300, 10):
        ids = step(rid, float(k), [[100, 0, 100, 0, 0, 0]], [0.99], ident=[-1])
        assert ids[0] == Identity.NEUTRAL


def test_unknown_suspect_hostile_ladder() -> None:
    rid = RuleIdentifier(IdentityConfig(loiter_s=60.0))
    x = [
        [20000, 0, 100, 0, 0, 0],  # far, UAS-like: unknown
        [4000, 0, 100, 0, 0, 0],  # in alert radius, UAS-like: suspect
        [1000, 0, 100, 0, 0, 0],  # in core: hostile
        [1000, 0, 100, 0, 0, 0],  # in core but bird-like: unknown
        [8000, 0, 100, -40, 0, 0],  # outside, due in the core in ~160 s: suspect
    ]
    ids = step(rid, 0.0, x, [0.9, 0.9, 0.9, 0.1, 0.9])
    assert list(ids) == [
        Identity.UNKNOWN,
        Identity.SUSPECT,
        Identity.HOSTILE,
        Identity.UNKNOWN,
        Identity.SUSPECT,
    ]


def test_loitering_in_the_alert_radius_turns_hostile() -> None:
    rid = RuleIdentifier(IdentityConfig(loiter_s=60.0))
    x = [[4000, 0, 100, 0, 0, 0]]
    assert step(rid, 0.0, x, [0.9])[0] == Identity.SUSPECT
    assert step(rid, 59.0, x, [0.9])[0] == Identity.SUSPECT
    assert step(rid, 60.0, x, [0.9])[0] == Identity.HOSTILE


def test_tentative_tracks_are_pending_and_hysteresis_holds() -> None:
    rid = RuleIdentifier(IdentityConfig())
    x = [[4000, 0, 100, 0, 0, 0]]
    assert step(rid, 0.0, x, [0.9], confirmed=[False])[0] == Identity.PENDING
    assert step(rid, 1.0, x, [0.9])[0] == Identity.SUSPECT
    assert step(rid, 2.0, x, [0.5])[0] == Identity.SUSPECT  # above release 0.4: held
    assert step(rid, 3.0, x, [0.3])[0] == Identity.UNKNOWN  # re-classified: released
