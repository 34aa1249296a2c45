from __future__ import annotations

import numpy as np
import pytest
from assess_helpers import FRAME, SITE, make_tracks

from dronewall.assess.geometry import site_geometry
from dronewall.assess.identify import IdentityConfig, RuleIdentifier
from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import Identity
from dronewall.world import load_world

SITE_ENU = FRAME.lla_to_enu(np.array([[SITE.lat_deg, SITE.lon_deg, 0.0]]))
ALERT = np.array([SITE.alert_radius_m])
CORE = np.array([SITE.core_radius_m])


def step(rid: RuleIdentifier, t, x, p_uas, **kw):
    """One update; tracks have a minute of history unless ``t_first`` says otherwise."""
    kw.setdefault("t_first", t - 60.0)
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


def test_a_young_track_stays_unknown_until_its_class_has_evidence() -> None:
    """A drone-like track near the site is SUSPECT, and in the core HOSTILE, only once it has
    ``min_evidence_s`` of history: at 2-7 s of age the classifier calls bird tracks drones
    (mass-sighting-hoax with its flock)."""
    rid = RuleIdentifier(IdentityConfig(min_evidence_s=10.0))
    x = [[4000, 0, 100, 0, 0, 0], [1000, 0, 100, 0, 0, 0]]
    for t in (0.0, 3.0, 9.0):
        assert list(step(rid, t, x, [0.9, 0.9], t_first=0.0)) == [Identity.UNKNOWN] * 2
    assert list(step(rid, 10.0, x, [0.9, 0.9], t_first=0.0)) == [
        Identity.SUSPECT,
        Identity.HOSTILE,
    ]
    with pytest.raises(ConfigError, match="min_evidence_s"):
        IdentityConfig(min_evidence_s=-1.0)


def test_a_young_track_surely_faster_than_any_bird_needs_no_history() -> None:
    """A munition's re-started track at 50 m/s is SUSPECT at once; a young track whose 30 m/s
    is poorly known (a bird's track at 3 s of age can show that) waits for its evidence."""
    rid = RuleIdentifier(IdentityConfig())
    x = [[8000, 0, 300, -50, 0, 0]]  # due in the core in ~150 s
    assert step(rid, 3.0, x, [0.9], t_first=0.0, vel_var=4.0)[0] == Identity.SUSPECT
    rid = RuleIdentifier(IdentityConfig())
    x = [[4000, 0, 100, -30, 0, 0]]
    assert step(rid, 3.0, x, [0.9], t_first=0.0, vel_var=100.0)[0] == Identity.UNKNOWN


def test_only_a_track_surely_faster_than_any_bird_closes_from_the_long_horizon() -> None:
    """``fast_closing_horizon_s`` (here 600 s) for a track surely faster than any bird: a 50 m/s
    munition 400 s from the core is SUSPECT; a 15 m/s UAS-like track 400 s out (6 km, outside
    the alert radius) stays UNKNOWN until it is due within ``closing_horizon_s`` (180 s)."""
    cfg = IdentityConfig(fast_closing_horizon_s=600.0)
    assert cfg.closing_horizon_s < 400.0 < cfg.fast_closing_horizon_s
    core = float(CORE[0])
    munition = [[core + 50.0 * 400.0, 0, 300, -50.0, 0, 0]]
    drone = [[core + 15.0 * 400.0, 0, 100, -15.0, 0, 0]]
    assert drone[0][0] > ALERT[0]
    assert step(RuleIdentifier(cfg), 0.0, munition, [0.9], vel_var=4.0)[0] == Identity.SUSPECT
    assert step(RuleIdentifier(cfg), 0.0, drone, [0.9], vel_var=4.0)[0] == Identity.UNKNOWN
    # a 25 m/s track whose speed is known to ±10 m/s is not surely faster than a bird
    unsure = [[core + 25.0 * 400.0, 0, 100, -25.0, 0, 0]]
    assert step(RuleIdentifier(cfg), 0.0, unsure, [0.9], vel_var=100.0)[0] == Identity.UNKNOWN
    assert step(RuleIdentifier(cfg), 0.0, unsure, [0.9], vel_var=1.0)[0] == Identity.SUSPECT
    # a caller's own speed test is used as given (the assessor computes it once per tick)
    rid = RuleIdentifier(cfg)
    tr = make_tracks(0.0, unsure, vel_var=100.0, t_first=-60.0)
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITE_ENU, ALERT, CORE)
    assert rid.update(0.0, tr, np.array([0.9]), g, fast=np.ones(1, bool))[0] == Identity.SUSPECT
    with pytest.raises(ValueError, match="fast has shape"):
        rid.update(0.0, tr, np.array([0.9]), g, fast=np.ones(2, bool))
    # the default: the fast horizon is the slow one's
    short = IdentityConfig()
    assert short.fast_closing_horizon_s == short.closing_horizon_s
    assert step(RuleIdentifier(short), 0.0, munition, [0.9], vel_var=4.0)[0] == Identity.UNKNOWN
    with pytest.raises(ConfigError, match="fast_closing_horizon_s"):
        IdentityConfig(fast_closing_horizon_s=0.0)


def test_the_bird_speed_bound_is_the_catalogues() -> None:
    bird = load_world().objects["bird"]
    assert IdentityConfig().bird_max_speed_m_s == bird.speed_max_m_s


def test_tentative_tracks_are_pending_and_hysteresis_holds() -> None:
    rid = RuleIdentifier(IdentityConfig())
    x = [[4000, 0, 100, 0, 0, 0]]
    assert step(rid, 0.0, x, [0.9], confirmed=[False])[0] == Identity.PENDING
    assert step(rid, 1.0, x, [0.9])[0] == Identity.SUSPECT
    assert step(rid, 2.0, x, [0.5])[0] == Identity.SUSPECT  # above release 0.4: held
    assert step(rid, 3.0, x, [0.3])[0] == Identity.UNKNOWN  # re-classified: released


# --- cooperative correlation and claim consistency -------------------------------------------

from dronewall.assess.identify import (  # noqa: E402
    ICAO_LIMIT,
    bearing_claim_residual,
    position_claim_nis,
)

RID = ICAO_LIMIT + 123_456_789  # a Remote ID number


def test_remote_id_drone_near_a_site_is_neutral() -> None:
    rid = RuleIdentifier(IdentityConfig(loiter_s=60.0))
    for k in range(0, 300, 10):  # in the core, UAS-like, for minutes: still neutral
        ids = step(rid, float(k), [[1000, 0, 80, 5, 0, 0]], [0.95], ident=[RID])
        assert ids[0] == Identity.NEUTRAL


def test_radar_track_correlated_with_a_remote_id_track_takes_its_identity() -> None:
    rid = RuleIdentifier(IdentityConfig(correlate_updates=3))
    x = [[3000, 0, 80, 5, 0, 0], [3020, 10, 85, 5.5, 0, 0], [3000, 900, 80, 5, 0, 0]]
    for k in range(3):
        ids = step(rid, float(k), x, [0.95] * 3, ident=[RID, -1, -1], track_id=[1, 2, 3])
        # the twin of the Remote ID track is neutral at once; the drone 900 m away is not
        assert list(ids) == [Identity.NEUTRAL, Identity.NEUTRAL, Identity.SUSPECT]
    # correlated for 3 updates: protected for life, even after the Remote ID track is gone
    ids = step(rid, 5.0, x[1:], [0.95] * 2, ident=[-1, -1], track_id=[2, 3])
    assert list(ids) == [Identity.NEUTRAL, Identity.SUSPECT]


def test_brief_correlation_gives_no_lifelong_protection() -> None:
    rid = RuleIdentifier(IdentityConfig(correlate_updates=3))
    x = [[3000, 0, 80, 5, 0, 0], [3020, 10, 85, 5.5, 0, 0]]
    assert step(rid, 0.0, x, [0.95] * 2, ident=[RID, -1], track_id=[1, 2])[1] == Identity.NEUTRAL
    assert step(rid, 1.0, x[1:], [0.95], ident=[-1], track_id=[2])[0] == Identity.SUSPECT


def test_velocity_gate_keeps_a_crossing_drone_apart() -> None:
    rid = RuleIdentifier(IdentityConfig())
    x = [[3000, 0, 80, 5, 0, 0], [3010, 0, 80, -12, 5, 0]]  # same place, other course
    ids = step(rid, 0.0, x, [0.95] * 2, ident=[RID, -1], track_id=[1, 2])
    assert list(ids) == [Identity.NEUTRAL, Identity.SUSPECT]


def test_icao_claim_with_a_drone_rcs_is_flagged_as_spoofed() -> None:
    rid = RuleIdentifier(IdentityConfig(spoof_updates=3))
    x = [[1000, 0, 120, 10, 0, 0], [1000, 500, 1500, 60, 0, 0]]
    for k in range(3):
        ids = step(rid, float(k), x, [0.9, 0.05], ident=[0x4CA123, 0x4CA124], rcs=[-20.0, 15.0])
    # the "airliner" with a small drone's echo in the core is not trusted; the real one is
    assert list(ids) == [Identity.HOSTILE, Identity.NEUTRAL]
    assert list(rid.spoofed_ids()) == [0]
    # flagged for life, even when the measurement is no longer contradicting
    ids = step(rid, 10.0, x, [0.9, 0.05], ident=[0x4CA123, 0x4CA124], rcs=[np.nan, 15.0])
    assert ids[0] == Identity.HOSTILE


def test_remote_id_on_a_fast_munition_is_not_trusted() -> None:
    rid = RuleIdentifier(IdentityConfig(spoof_updates=2))
    x = [[8000, 0, 300, -50, 0, 0]]  # 50 m/s straight at the site: a Shahed-class speed
    assert step(rid, 0.0, x, [0.95], ident=[RID])[0] == Identity.NEUTRAL  # one contradiction
    assert step(rid, 1.0, x, [0.95], ident=[RID])[0] == Identity.SUSPECT
    assert rid.contradicted.tolist() == [True]


def test_caller_contradiction_revokes_protection() -> None:
    rid = RuleIdentifier(IdentityConfig(spoof_updates=2))
    x = [[1000, 0, 80, 5, 0, 0]]
    assert step(rid, 0.0, x, [0.95], ident=[RID])[0] == Identity.NEUTRAL
    tr = make_tracks(1.0, x, ident=[RID])
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITE_ENU, ALERT, CORE)
    for t in (1.0, 2.0):
        ids = rid.update(t, tr, np.array([0.95]), g, contradicted=np.array([True]))
    assert ids[0] == Identity.HOSTILE


def test_position_claim_nis_flags_a_displaced_claim() -> None:
    rng = np.random.default_rng(0)
    m = 20_000
    true = rng.uniform(-3000, 3000, (m, 3))
    p_claim = np.tile(np.diag([16.0, 16.0, 36.0]), (m, 1, 1))
    r_meas = np.tile(np.diag([400.0, 400.0, 900.0]), (m, 1, 1))
    claim = true + rng.standard_normal((m, 3)) * np.sqrt([16.0, 16.0, 36.0])
    meas = true + rng.standard_normal((m, 3)) * np.sqrt([400.0, 400.0, 900.0])
    nis = position_claim_nis(claim, p_claim, meas, r_meas)
    assert np.mean(nis > 16.27) < 0.002  # honest claims pass the 99.9 % gate
    assert nis.mean() == pytest.approx(3.0, rel=0.03)  # chi-square with 3 dof
    spoofed = position_claim_nis(claim + np.array([300.0, 0.0, 0.0]), p_claim, meas, r_meas)
    assert np.mean(spoofed > 16.27) > 0.99


def test_bearing_claim_residual_is_standard_normal_when_honest() -> None:
    rng = np.random.default_rng(1)
    m = 20_000
    sensor = np.zeros((m, 3))
    true = np.column_stack([rng.uniform(500, 3000, m), rng.uniform(-3000, 3000, m), np.full(m, 80)])
    az = np.arctan2(true[:, 0], true[:, 1]) + rng.standard_normal(m) * np.radians(3.0)
    claim = true + np.column_stack([rng.standard_normal((m, 2)) * 4.0, np.zeros(m)])
    r = bearing_claim_residual(claim, np.full(m, 4.0), sensor, az, np.full(m, np.radians(3.0)))
    assert r.std() == pytest.approx(1.0, rel=0.03)
    moved = claim + np.array([0.0, 2000.0, 0.0])  # a claim 2 km off: the bearing refutes it
    r2 = bearing_claim_residual(moved, np.full(m, 4.0), sensor, az, np.full(m, np.radians(3.0)))
    assert np.mean(np.abs(r2) > 3.29) > 0.9
