from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from assess_helpers import make_tracks, rf_bearing

from dronewall.assess.classify import (
    AIRCRAFT_CLASSES,
    UAS_MASK,
    BayesClassifier,
    ClassifierConfig,
    TrainedClassifier,
    TrainedClassifierConfig,
    build_class_model,
    default_model_path,
    load_model,
    rf_cues,
)
from dronewall.assess.features import FEATURE_NAMES, N_FEATURES
from dronewall.core.errors import ConfigError
from dronewall.core.measurements import DetectionBatch, MeasurementKind, RfProtocol
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


def test_a_cooperative_drones_link_cues_only_its_own_track() -> None:
    """The detector decodes a hobby drone's Remote ID at 3 km and hears its link there; a bird's
    track lies on the same line at 1.5 km. The link is the drone's: it cues the track holding
    that Remote ID, never the bird's (seen on ``hobby-drone-park`` with birds, where the bird's
    track became a quadcopter from the drone's link)."""
    rid = (1 << 40) + 3
    pos = np.array([[1500.0, 0.0, 60.0], [3000.0, 0.0, 90.0]])  # the bird, the drone
    link = rf_bearing(0.0, pos[1], [0, 0, 0], RfProtocol.DJI_OCUSYNC)
    beacon = DetectionBatch.build(
        t=np.array([0.0]),
        sensor=7,
        kind=MeasurementKind.POSITION,
        z=pos[1:2],
        R=np.diag([3.0**2, 3.0**2, 5.0**2]),
        sensor_pos=np.zeros(3),
        ident=np.array([rid]),
    )
    both = DetectionBatch.concat([link, beacon])
    # without the beacon the link is anybody's on the line
    assert list(rf_cues(pos, link, 3.0, None)) == [RfProtocol.DJI_OCUSYNC] * 2
    assert list(rf_cues(pos, both, 3.0, None, np.array([-1, rid]))) == [
        -2,
        RfProtocol.DJI_OCUSYNC,
    ]
    # the drone's Remote ID track not (yet) there: the link cues nobody
    assert list(rf_cues(pos, both, 3.0, None, np.array([-1, -1]))) == [-2, -2]


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


# ---------------------------------------------------------------------------------------------
# The trained classifier (shipped model file)
# ---------------------------------------------------------------------------------------------

ICAO = 0x4CA123
REMOTE_ID = (1 << 40) + 12345
BIRD_LIKE = [[1000.0, 0.0, 60.0, 9.0, 4.0, 0.3]]  # slow, low, small: a bird or a small drone


def trained(**kw: float) -> TrainedClassifier:
    return TrainedClassifier(config=TrainedClassifierConfig(**kw))


def run_trained(clf, x, rcs, ident=None, ticks=30, det=lambda t: EMPTY, t0=0.0):
    out = None
    for k in range(ticks):
        t = t0 + float(k)
        out = clf.update(t, make_tracks(t, x, rcs=rcs, ident=ident), det(t))
    assert out is not None
    return out


def test_model_file_loads_and_matches_the_feature_list() -> None:
    model = load_model()
    assert model.features == FEATURE_NAMES
    assert model.classes == tuple(c.label for c in ObjectClass)
    assert model.coef.shape == (len(ObjectClass), N_FEATURES + model.knot.shape[0])
    assert model.temperature > 0
    rows = model.training["rows_per_class"]
    assert isinstance(rows, dict)
    assert set(rows) == {c.label for c in ObjectClass}
    assert min(rows.values()) > 0  # every class was trained on


def test_a_model_of_other_features_or_broken_is_refused(tmp_path) -> None:
    doc = json.loads(default_model_path().read_text(encoding="utf-8"))
    bad = dict(doc, features=doc["features"][:-1])
    p = tmp_path / "m.json"
    p.write_text(json.dumps(bad))
    with pytest.raises(ConfigError, match="feature list") as e:
        load_model(p)
    assert e.value.field == "features"
    assert str(p) in str(e.value)
    p.write_text(json.dumps(dict(doc, coef=doc["coef"][:-1])))
    with pytest.raises(ConfigError) as e:
        load_model(p)
    assert e.value.field == "coef"
    p.write_text("{not json")
    with pytest.raises(ConfigError, match="not JSON"):
        load_model(p)
    with pytest.raises(ConfigError, match="not found"):
        load_model(tmp_path / "absent.json")


def test_trained_probabilities_are_distributions() -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack(
        [rng.uniform(-5e3, 5e3, (40, 2)), rng.uniform(0, 1e4, 40), rng.normal(0, 60, (40, 3))]
    )
    rcs = np.where(rng.random(40) < 0.3, np.nan, rng.uniform(-30, 30, 40))
    out = run_trained(trained(), x, rcs, ticks=5)
    assert out.probs.shape == (40, len(ObjectClass))
    assert np.allclose(out.probs.sum(axis=1), 1.0)
    assert np.all(out.probs >= 0)
    assert np.allclose(out.p_uas, out.probs[:, UAS_MASK].sum(axis=1))


def test_adsb_ident_dominates_but_remote_id_does_not_force_an_aircraft() -> None:
    aircraft = [int(c) for c in AIRCRAFT_CLASSES]
    plain = run_trained(trained(), BIRD_LIKE, [-23.0])
    assert plain.probs[0, aircraft].sum() < 0.5
    adsb = run_trained(trained(), BIRD_LIKE, [-23.0], ident=[ICAO])
    assert adsb.probs[0, aircraft].sum() > 0.99
    rid = run_trained(trained(), BIRD_LIKE, [-23.0], ident=[REMOTE_ID])
    assert rid.probs[0, aircraft].sum() < 0.5
    assert rid.p_uas[0] > plain.p_uas[0]  # a Remote ID broadcast is evidence of a drone


def test_fusion_converges_and_smooths_one_odd_look() -> None:
    clf = trained(tau_s=10.0)
    x = [[1000.0, 0.0, 300.0, 0.0, 45.0, 0.0]]  # steady 45 m/s at 300 m, mid RCS
    history = []
    for k in range(200):  # features include the track's log age, which settles slowly
        t = float(k)
        history.append(clf.update(t, make_tracks(t, x, rcs=[-5.0]), EMPTY).probs[0].copy())
    steady = history[-1]
    assert np.abs(history[-1] - history[-2]).max() < 1e-3  # converged
    steady_uas = history[-1][UAS_MASK].sum()
    assert steady_uas > 0.9  # a 45 m/s, -5 dBsm track at 300 m: a munition or decoy
    # one wild look (an airliner-like state for one tick) moves the fused belief only partly ...
    wild = [[1000.0, 0.0, 9000.0, 0.0, 220.0, 0.0]]
    odd = clf.update(200.0, make_tracks(200.0, wild, rcs=[20.0]), EMPTY)
    assert odd.p_uas[0] > 0.5
    # ... while a fresh track seeing that look alone believes it at once
    fresh = trained().update(200.0, make_tracks(200.0, wild, rcs=[20.0]), EMPTY)
    assert fresh.p_uas[0] < 0.1
    assert np.argmax(fresh.probs[0]) in (ObjectClass.AIRLINER, ObjectClass.LIGHT_AIRCRAFT)
    assert np.abs(odd.probs[0] - steady).sum() < np.abs(fresh.probs[0] - steady).sum()


def test_trained_state_is_keyed_by_track_id() -> None:
    clf = trained()
    fast = [0, 0, 300, 0, 45, 0]
    slow = [0, 0, 60, 0, 0.3, 0]
    for k in range(20):
        t = float(k)
        a = clf.update(t, make_tracks(t, [fast, slow], rcs=[-5, -20], track_id=[4, 9]), EMPTY)
    # same tracks in the other order: rows follow the ids
    t = 20.0
    b = clf.update(t, make_tracks(t, [slow, fast], rcs=[-20, -5], track_id=[9, 4]), EMPTY)
    assert np.allclose(b.probs[0], a.probs[1], atol=0.05)
    assert np.allclose(b.probs[1], a.probs[0], atol=0.05)


HELD_OUT_SEED = 7  # never trained or calibrated on (tools/train_classifier.py: 0, 1 and 2)
BIRD_BOUND = 0.97  # measured 0.997 (4438 rows)
UAS_BOUND = 0.90  # measured 0.954 (1264 rows)


def _held_out_rows(name: str, ticks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the simulator and tracker and classify as the assess stage does; truth labels rows."""
    from dronewall.sim import Simulation, load_scenario
    from dronewall.tracking import MultiSensorTracker

    world = load_world()
    path = default_model_path().parent / "training" / f"{name}.yaml"
    sim = Simulation(load_scenario(path, world), world, HELD_OUT_SEED)
    tracker = MultiSensorTracker()
    rf = frozenset(s.index for s in sim.sensors if s.kind == "rf")
    clf = TrainedClassifier(origin_h_m=sim.frame.h_m, rf_sensors=rf)
    cls = sim.truth.object_class.astype(np.int64)
    ys, ages, ps = [], [], []
    for k in range(ticks):
        t = float(sim.times[k])
        batch = sim.sense(k)
        tracker.step(batch, t=t)
        tracks = tracker.snapshot(t)
        probs = clf.update(t, tracks, batch).probs
        m = tracks.confirmed & (tracks.truth >= 0)
        ys.append(cls[tracks.truth[m]])
        ages.append(t - tracks.t_first[m])
        ps.append(probs[m])
    return np.concatenate(ys), np.concatenate(ages), np.concatenate(ps)


@pytest.mark.slow
def test_held_out_birds_and_drones_are_told_apart_and_calibrated() -> None:
    y, age, p = _held_out_rows("beauvechain-mix", 240)
    pred = np.argmax(p, axis=1)
    old = age >= 10.0
    bird = old & (y == int(ObjectClass.BIRD))
    uas = old & UAS_MASK[y]
    assert bird.sum() > 500
    assert uas.sum() > 200
    # measured on seed 7 (see docs/classifier.md); bounds leave a margin
    assert np.mean(pred[bird] == ObjectClass.BIRD) >= BIRD_BOUND
    assert np.mean(UAS_MASK[pred[uas]]) >= UAS_BOUND
    # calibrated-ish: in each confidence decile with enough rows, accuracy within 0.2 of confidence
    conf = p.max(axis=1)
    hit = pred == y
    edges = np.linspace(0, 1, 11)
    for lo, hi in itertools.pairwise(edges):
        m = (conf >= lo) & (conf < hi)
        if m.sum() >= 100:
            assert abs(conf[m].mean() - hit[m].mean()) < 0.2, (lo, conf[m].mean(), hit[m].mean())
