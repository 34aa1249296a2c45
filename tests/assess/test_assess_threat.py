from __future__ import annotations

import numpy as np
import pytest
from assess_helpers import make_tracks

from dronewall.assess.geometry import site_geometry
from dronewall.assess.threat import ThreatConfig, explain, rank_threats, threat_scores
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
