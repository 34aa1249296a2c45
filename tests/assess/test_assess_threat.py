from __future__ import annotations

import numpy as np
import pytest
from assess_helpers import make_tracks

from dronewall.assess.geometry import site_geometry
from dronewall.assess.threat import (
    ThreatConfig,
    arrival_score,
    explain,
    rank_threats,
    threat_scores,
)
from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import Identity, ObjectClass

SITES = np.array([[0.0, 0.0, 0.0], [30000.0, 0.0, 0.0]])
ALERT = np.array([5000.0, 5000.0])
CORE = np.array([1500.0, 1500.0])
VALUE = np.array([100.0, 50.0])


def scores(x, p_uas, identity=None):
    tr = make_tracks(0.0, x)
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITES, ALERT, CORE)
    n = len(tr)
    ident = (
        np.full(n, int(Identity.UNKNOWN), np.int8)
        if identity is None
        else np.asarray(identity, np.int8)
    )
    return threat_scores(g, np.asarray(p_uas, float), ident, ALERT, CORE, VALUE, ThreatConfig()), g


def test_closing_drone_outranks_receding_one() -> None:
    s, _ = scores([[4000, 0, 100, -15, 0, 0], [4000, 0, 100, 15, 0, 0]], [0.9, 0.9])
    assert s[0, 0] > s[1, 0] + 0.1


def test_ordering_by_proximity_probability_value_and_protection() -> None:
    s, _ = scores(
        [
            [1000, 0, 100, 0, 0, 0],  # in core
            [4000, 0, 100, 0, 0, 0],  # alert ring
            [12000, 0, 100, 0, 0, 0],  # outside
            [1000, 0, 100, 0, 0, 0],  # in core, bird-like
            [1000, 0, 100, 0, 0, 0],  # in core, neutral
            [31000, 0, 100, 0, 0, 0],  # in core of the low-value site
        ],
        [0.9, 0.9, 0.9, 0.1, 0.9, 0.9],
        [1, 1, 1, 1, int(Identity.NEUTRAL), 1],
    )
    assert s[0, 0] > s[1, 0] > s[2, 0] > 0
    assert s[3, 0] < s[0, 0] / 5
    assert s[4].max() == 0.0
    assert s[0, 0] > s[5, 1]  # same geometry, the nuclear-value site weighs more
    assert np.all((s >= 0) & (s <= 1))
    assert s[0, 0] == np.float64(0.9)  # p_uas x 1 x value 1


def test_explanation_reads_plainly() -> None:
    text = explain(ObjectClass.QUADCOPTER, 0.82, "Kleine-Brogel", 2300.0, 300.0, 95.0, False, -10.0)
    assert text == "quadcopter-like (p=0.82), 2.3 km from Kleine-Brogel, CPA 300 m in 95 s"
    assert "receding" in explain(ObjectClass.FPV, 0.5, "Doel", 800.0, 800.0, 0.0, False, 12.0)
    assert "inside the core" in explain(ObjectClass.FPV, 0.5, "Doel", 800.0, 800.0, 0.0, True, 0.0)


def test_ranked_list_is_sorted_and_skips_tentative_and_protected() -> None:
    x = [
        [4000, 0, 100, 15, 0, 0],
        [4000, 0, 100, -15, 0, 0],
        [1000, 0, 100, 0, 0, 0],
        [900, 0, 100, 0, 0, 0],
    ]
    s, g = scores(x, [0.9] * 4, [1, 1, 1, int(Identity.FRIEND)])
    probs = np.zeros((4, len(ObjectClass)))
    probs[:, ObjectClass.QUADCOPTER] = 0.9
    probs[:, ObjectClass.BIRD] = 0.1
    entries = rank_threats(
        track_id=np.array([10, 11, 12, 13]),
        eligible=np.array([True, True, False, True]),
        score=s,
        class_probs=probs,
        identity=np.array([1, 1, 1, int(Identity.FRIEND)], np.int8),
        geometry=g,
        site_ids=("a", "b"),
        site_names=("A", "B"),
        min_score=0.05,
    )
    assert [e.track_id for e in entries] == [11, 10]  # closing first; tentative/friend left out
    assert [e.rank for e in entries] == [1, 2]
    assert entries[0].site_id == "a"
    assert entries[0].explanation.startswith("quadcopter-like (p=0.90)")


def test_explanation_names_every_factor_when_given() -> None:
    text = explain(
        ObjectClass.QUADCOPTER, 0.82, "Kleine-Brogel", 2300.0, 300.0, 95.0, False, -10.0,
        time_to_core_s=120.0, heading_off_deg=4.0, loiter_s=0.0, height_m=150.0, site_value=100.0,
    )  # fmt: skip
    assert text == (
        "quadcopter-like (p=0.82), 2.3 km from Kleine-Brogel, CPA 300 m in 95 s; due in the "
        "core in 120 s; heading 4° off the site; 150 m up (low); site value 100"
    )
    away = explain(
        ObjectClass.FPV, 0.5, "Doel", 800.0, 800.0, 0.0, False, 12.0,
        time_to_core_s=float("inf"), loiter_s=95.0, height_m=60.0,
    )  # fmt: skip
    assert "not heading into the core" in away
    assert "loitering for 95 s" in away
    assert "(very low)" in away


def test_explainer_ranks_every_track_site_pair_and_tells_loitering() -> None:
    from dronewall.assess.threat import ThreatExplainer

    ex = ThreatExplainer(
        site_ids=("a", "b"), site_names=("A", "B"), site_enu=SITES, alert_radius_m=ALERT,
        site_value=VALUE,
    )  # fmt: skip
    # 0 hovers 2 km from A; 1 flies straight at A from 4 km; 2 crosses B's alert ring fast
    x = [[2000, 0, 100, 0.3, 0, 0], [4000, 0, 100, -15, 0, 0], [30000, 4000, 900, 40, 0, 0]]
    idn = np.full(3, int(Identity.SUSPECT), np.int8)
    probs = np.zeros((3, len(ObjectClass)))
    probs[:, ObjectClass.QUADCOPTER] = 0.9
    probs[:, ObjectClass.BIRD] = 0.1
    entries = ()
    for k in range(0, 91, 10):
        xk = [[*(np.array(r[:3]) + k * np.array(r[3:])), *r[3:]] for r in x]  # constant velocity
        tr = make_tracks(float(k), xk)
        s, g = scores(xk, [0.9] * 3)
        entries = ex.update(
            float(k), tr.x[:, :3], tr.x[:, 3:6], track_id=tr.track_id, eligible=np.ones(3, bool),
            score=s, class_probs=probs, identity=idn, geometry=g, min_score=0.01,
        )  # fmt: skip
    assert [e.score for e in entries] == sorted((e.score for e in entries), reverse=True)
    assert [e.rank for e in entries] == list(range(1, len(entries) + 1))
    pairs = {(e.track_id, e.site_id): e for e in entries}
    assert len(pairs) == len(entries)  # one entry per (track, site) pair above the floor
    assert {(0, "a"), (1, "a"), (2, "b")} <= set(pairs)
    hover, inbound, fast = pairs[(0, "a")], pairs[(1, "a")], pairs[(2, "b")]
    assert hover.loiter_s == 90.0
    assert "loitering for 90 s" in hover.explanation
    assert inbound.loiter_s == 0.0  # flying in, not loitering
    assert inbound.heading_off_deg == pytest.approx(0.0, abs=1e-6)
    assert "heading 0° off the site" in inbound.explanation
    assert fast.loiter_s == 0.0
    assert fast.altitude_band == "medium"
    assert "site value 50" in fast.explanation
    assert "due in the core in" in inbound.explanation


def _inbound(x_m: float, speed_m_s: float, config: ThreatConfig) -> tuple[float, float]:
    """Score and time to core of a track at ``(x, 0)`` flying at the top-value site's centre."""
    tr = make_tracks(0.0, [[x_m, 0, 300, -speed_m_s, 0, 0]])
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITES[:1], ALERT[:1], CORE[:1])
    s = threat_scores(g, np.ones(1), np.ones(1, np.int8), ALERT[:1], CORE[:1], VALUE[:1], config)
    return float(s[0, 0]), float(g.time_to_core_s[0, 0])


def test_inbound_floor_scores_a_fast_munition_by_its_time_to_the_core() -> None:
    on, off = ThreatConfig(), ThreatConfig(inbound_scale_s=0.0)
    # 50 m/s, 13 km out: 230 s to the core. The weighted sum alone is far below WARNING (0.4).
    s_on, ttc = _inbound(13000.0, 50.0, on)
    s_off, _ = _inbound(13000.0, 50.0, off)
    assert ttc == pytest.approx(230.0)
    assert s_off < 0.25
    assert s_on == pytest.approx(np.exp(-230.0 / on.inbound_scale_s))  # p_uas 1, value 100
    assert s_on >= 0.4
    # Where the floor reaches WARNING: 274 s before the core with the floor, 117 s without.
    xs = np.arange(1500.0, 30000.0, 50.0)
    reach_on = max(x for x in xs if _inbound(x, 50.0, on)[0] >= 0.4)
    reach_off = max(x for x in xs if _inbound(x, 50.0, off)[0] >= 0.4)
    assert (reach_on - 1500.0) / 50.0 == pytest.approx(274.0)
    assert (reach_off - 1500.0) / 50.0 == pytest.approx(117.0)


def test_inbound_floor_spares_what_will_not_enter_the_core() -> None:
    on, off = ThreatConfig(), ThreatConfig(inbound_scale_s=0.0)
    x = [
        [13000, 0, 300, 50, 0, 0],  # receding
        [13000, 3000, 300, -50, 0, 0],  # passing 3 km north of the centre, outside the core
        [13000, 0, 300, 0, 0, 0],  # hovering
    ]
    tr = make_tracks(0.0, x)
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITES, ALERT, CORE)
    args = (g, np.ones(3), np.ones(3, np.int8), ALERT, CORE, VALUE)
    assert np.all(np.isinf(g.time_to_core_s[:, 0]))
    s_on, s_off = threat_scores(*args, on), threat_scores(*args, off)
    np.testing.assert_array_equal(s_on[:, 0], s_off[:, 0])
    assert s_on[0, 1] > s_off[0, 1]  # the receding track flies into the second site's core


def test_inbound_floor_never_lowers_a_score_and_keeps_protection() -> None:
    rng = np.random.default_rng(5)
    n = 400
    x = np.column_stack(
        [
            rng.uniform(-40000, 40000, (n, 2)),
            rng.uniform(10, 3000, n),
            rng.uniform(-80, 80, (n, 2)),
            np.zeros(n),
        ]
    )
    tr = make_tracks(0.0, x)
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITES, ALERT, CORE)
    ident = rng.choice([int(Identity.UNKNOWN), int(Identity.HOSTILE), int(Identity.FRIEND)], n)
    args = (g, rng.uniform(0, 1, n), ident.astype(np.int8), ALERT, CORE, VALUE)
    on = threat_scores(*args, ThreatConfig())
    off = threat_scores(*args, ThreatConfig(inbound_scale_s=0.0))
    assert np.all(on >= off)
    assert np.all((on >= 0) & (on <= 1))
    assert np.all(on[ident == int(Identity.FRIEND)] == 0.0)
    assert np.any(on > off + 0.05)  # some tracks are on a course into a core


def test_a_track_surely_faster_than_any_bird_is_warned_of_on_the_longer_scale() -> None:
    """``fast_inbound_scale_s`` (here 600 s) for a munition, ``inbound_scale_s`` (300 s) for the
    rest: at the top-value site a 50 m/s munition reaches WARNING (0.4) 550 s before the core
    (``600 ln 2.5``), the same track flagged slow only 275 s before it (``300 ln 2.5``)."""
    cfg = ThreatConfig(fast_inbound_scale_s=600.0)
    default = ThreatConfig()
    assert default.fast_inbound_scale_s == default.inbound_scale_s

    def reach_s(speed_m_s: float, fast: bool) -> float:
        xs = np.arange(1500.0, 40000.0, 25.0)
        x = np.column_stack(
            [
                xs,
                np.zeros((xs.size, 1)),
                np.full((xs.size, 1), 300.0),
                np.full((xs.size, 1), -speed_m_s),
                np.zeros((xs.size, 2)),
            ]
        )
        tr = make_tracks(0.0, x)
        g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITES[:1], ALERT[:1], CORE[:1])
        n = xs.size
        s = threat_scores(
            g,
            np.ones(n),
            np.ones(n, np.int8),
            ALERT[:1],
            CORE[:1],
            VALUE[:1],
            cfg,
            fast=np.full(n, fast),
        )
        return float((xs[s[:, 0] >= 0.4].max() - 1500.0) / speed_m_s)

    assert reach_s(50.0, True) == pytest.approx(600.0 * np.log(2.5), abs=0.5)
    assert reach_s(50.0, False) == pytest.approx(300.0 * np.log(2.5), abs=0.5)
    # a slow track's warning is set by the weighted sum near the site, not by the floor's scale
    assert reach_s(15.0, True) > reach_s(15.0, False)
    # fast=None is "no track is fast": the 300 s scale for all
    tr = make_tracks(0.0, [[20000, 0, 300, -50, 0, 0]])
    g = site_geometry(tr.x[:, :3], tr.x[:, 3:6], SITES[:1], ALERT[:1], CORE[:1])
    args = (g, np.ones(1), np.ones(1, np.int8), ALERT[:1], CORE[:1], VALUE[:1], cfg)
    assert threat_scores(*args)[0, 0] == threat_scores(*args, fast=np.zeros(1, bool))[0, 0]
    assert threat_scores(*args, fast=np.ones(1, bool))[0, 0] == pytest.approx(np.exp(-370 / 600))
    with pytest.raises(ValueError, match="fast has shape"):
        threat_scores(*args, fast=np.ones(2, bool))
    off = ThreatConfig(fast_inbound_scale_s=0.0)
    # no floor: the weighted sum alone, as with inbound_scale_s 0 for a slow track
    no_floor = threat_scores(*args[:-1], ThreatConfig(inbound_scale_s=0.0))[0, 0]
    assert threat_scores(*args[:-1], off, fast=np.ones(1, bool))[0, 0] == no_floor < 0.2


def test_inbound_scale_must_not_be_negative() -> None:
    with pytest.raises(ConfigError, match="inbound"):
        ThreatConfig(inbound_scale_s=-1.0)
    with pytest.raises(ConfigError, match="no inbound floor") as err:
        ThreatConfig(fast_inbound_scale_s=-5.0)
    assert "fast_inbound_scale_s" in str(err.value)


def test_arrival_score_is_the_score_inside_the_core_and_bounds_every_score() -> None:
    x = [
        [800, 0, 100, 0, 0, 0],  # inside the top-value core, hovering
        [6000, 0, 300, -50, 0, 0],  # a munition inbound, 90 s out
        [9000, 3000, 100, 15, 0, 0],  # receding
        [800, 0, 100, 0, 0, 0],  # a friend in the core
    ]
    p_uas = np.array([0.9, 1.0, 0.6, 0.9])
    ident = np.array([Identity.UNKNOWN, Identity.HOSTILE, Identity.SUSPECT, Identity.FRIEND])
    s, _ = scores(x, p_uas, ident)
    arrive = arrival_score(p_uas, ident.astype(np.int8), VALUE, ThreatConfig())
    # inside a core every kinematic term is 1: the arrival score is the score there
    assert arrive[0, 0] == pytest.approx(s[0, 0])
    assert arrive[0, 0] == pytest.approx(0.9 * 1.0)  # p_uas x value weight 1 at value 100
    assert arrive[1, 1] == pytest.approx(1.0 * (0.5 + 0.5 * 0.5))  # value 50 weighs 0.75
    assert np.all(arrive >= s - 1e-12)  # no course scores more than arriving
    assert s[1, 0] < arrive[1, 0]  # 90 s out the munition scores less than on arrival
    assert np.all(arrive[3] == 0.0)  # protected identities stay at 0
    # the default configuration is ThreatConfig()
    np.testing.assert_allclose(arrival_score(p_uas, ident.astype(np.int8), VALUE), arrive)
