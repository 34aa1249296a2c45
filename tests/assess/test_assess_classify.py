from __future__ import annotations

import numpy as np
import pytest
from assess_helpers import make_tracks, rf_bearing

from dronewall.assess.classify import (
    UAS_MASK,
    BayesClassifier,
    ClassifierConfig,
    build_class_model,
    rf_cues,
)
from dronewall.core.errors import ConfigError
from dronewall.core.measurements import DetectionBatch, RfProtocol
from dronewall.core.taxonomy import ObjectClass
from dronewall.world import load_world

EMPTY = DetectionBatch.empty()


def classifier(**kw: float) -> BayesClassifier:
    cfg = ClassifierConfig(**kw)
    return BayesClassifier(build_class_model(load_world().objects, cfg), cfg)


def run(clf: BayesClassifier, x, rcs, ident=None, ticks=20, det=lambda t: EMPTY):
    out = None
    for k in range(ticks):
        t = float(k)
        out = clf.update(t, make_tracks(t, x, rcs=rcs, ident=ident), det(t))
    assert out is not None
    return out


def test_probabilities_are_distributions() -> None:
    out = run(classifier(), [[0, 0, 100, 5, 0, 0], [0, 0, 9000, 200, 0, 0]], [-20, 20], ticks=3)
    assert out.probs.shape == (2, len(ObjectClass))
    assert np.allclose(out.probs.sum(axis=1), 1.0)
    assert np.all(out.probs >= 0)
    assert np.allclose(out.p_uas, out.probs[:, UAS_MASK].sum(axis=1))


def test_kinematic_signatures() -> None:
    x = [
        [1000, 0, 80, 0.5, 0.3, 0.0],  # hovering small thing
        [5000, 0, 9000, 210, 0, 0],  # airliner at cruise
        [8000, 0, 400, -50, 0, 0],  # Shahed-like: 50 m/s, mid RCS
    ]
    out = run(classifier(), x, [-20, 20, -5])
    cls = np.argmax(out.probs, axis=1)
    assert cls[0] == ObjectClass.QUADCOPTER
    assert cls[1] == ObjectClass.AIRLINER
    assert out.p_uas[2] > 0.6
    assert out.p_uas[1] < 0.01


def test_cooperative_ident_means_an_aircraft_class() -> None:
    # slow and small, but an ADS-B address is correlated: aircraft classes only
    out = run(classifier(), [[0, 0, 500, 45, 0, 0]], [5.0], ident=[0x4CA123])
    p = out.probs[0]
    assert p[ObjectClass.LIGHT_AIRCRAFT] + p[ObjectClass.AIRLINER] > 0.99


def test_rf_cue_turns_a_bird_like_track_into_a_drone() -> None:
    x = [[3000, 0, 100, -15, 0, 0]]
    plain = run(classifier(), x, [-20])
    assert np.argmax(plain.probs[0]) == ObjectClass.BIRD
    cued = run(
        classifier(),
        x,
        [-20],
        det=lambda t: rf_bearing(t, [3000 - 15 * t, 0, 100], [0, -2000, 5], RfProtocol.DJI_OCUSYNC),
    )
    assert np.argmax(cued.probs[0]) == ObjectClass.QUADCOPTER
    assert cued.p_uas[0] > 0.9
    assert cued.rf_protocol[0] == RfProtocol.DJI_OCUSYNC


def test_rf_gate_rejects_a_bearing_far_off_the_track() -> None:
    pos = np.array([[3000.0, 0.0, 100.0], [0.0, 3000.0, 100.0]])
    on = rf_bearing(0.0, pos[0], [0, 0, 0], RfProtocol.ELRS, offset_deg=1.0)
    off = rf_bearing(0.0, pos[0], [0, 0, 0], RfProtocol.ELRS, offset_deg=10.0)
    assert list(rf_cues(pos, on, 3.0, None)) == [RfProtocol.ELRS, -2]
    assert list(rf_cues(pos, off, 3.0, None)) == [-2, -2]
    # only declared RF sensors count when a set is given
    assert list(rf_cues(pos, on, 3.0, frozenset({1}))) == [-2, -2]


def test_rf_memory_expires() -> None:
    clf = classifier(rf_memory_s=10.0)
    x = [[3000, 0, 100, 0, 0, 0]]
    clf.update(0.0, make_tracks(0.0, x), rf_bearing(0.0, x[0][:3], [0, 0, 0], RfProtocol.WIFI))
    assert clf.update(5.0, make_tracks(5.0, x), EMPTY).rf_protocol[0] == RfProtocol.WIFI
    assert clf.update(11.0, make_tracks(11.0, x), EMPTY).rf_protocol[0] == -2


def test_fusion_smooths_a_single_odd_look() -> None:
    clf = classifier()
    hover = [[1000, 0, 80, 0.3, 0.0, 0.0]]
    for k in range(30):
        out = clf.update(float(k), make_tracks(float(k), hover, rcs=[-20]), EMPTY)
    assert np.argmax(out.probs[0]) == ObjectClass.QUADCOPTER
    odd = clf.update(30.0, make_tracks(30.0, [[1000, 0, 80, 60.0, 0, 0]], rcs=[-20]), EMPTY)
    assert np.argmax(odd.probs[0]) == ObjectClass.QUADCOPTER  # one look at 60 m/s is not enough
    fresh = classifier().update(
        0.0, make_tracks(0.0, [[1000, 0, 80, 60.0, 0, 0]], rcs=[-20]), EMPTY
    )
    assert np.argmax(fresh.probs[0]) != ObjectClass.QUADCOPTER


def test_state_is_keyed_by_track_id_and_forgets_deleted_tracks() -> None:
    clf = classifier()
    hover = [1000, 0, 80, 0.3, 0.0, 0.0]
    fast = [1000, 0, 3000, 60.0, 0, 0]
    for k in range(20):
        clf.update(float(k), make_tracks(float(k), [hover], rcs=[-20], track_id=[5]), EMPTY)
    # a new track 6 takes the row of deleted track 5: it must not inherit 5's evidence
    out = clf.update(20.0, make_tracks(20.0, [fast, hover], rcs=[0, -20], track_id=[6, 5]), EMPTY)
    first = classifier().update(0.0, make_tracks(0.0, [fast], rcs=[0]), EMPTY)
    assert np.allclose(out.probs[0], first.probs[0])
    assert np.argmax(out.probs[1]) == ObjectClass.QUADCOPTER


def test_config_is_validated() -> None:
    with pytest.raises(ConfigError):
        ClassifierConfig(tau_s=0.0)
    with pytest.raises(ConfigError):
        ClassifierConfig(priors={ObjectClass.BIRD: 1.0})
