"""The EO/IR class cue end to end: camera -> detection batch -> detection file -> track."""

from __future__ import annotations

import io

import numpy as np

from dronewall.core.measurements import NO_CUE
from dronewall.core.taxonomy import ObjectClass
from dronewall.formats.detections import read_detections, write_detections
from dronewall.geo.frames import LocalFrame
from dronewall.sensors import EoirCamera, Scene, SensorSpec, build_sensor
from dronewall.tracking import MultiSensorTracker

FRAME = LocalFrame(51.17, 5.47)
FPV = int(ObjectClass.FPV)


def camera() -> EoirCamera:
    spec = SensorSpec(
        id="cam",
        kind="eoir",
        lat_deg=51.17,
        lon_deg=5.47,
        h_m=0.0,
        params={"max_targets": 1000, "dwell_updates": 1000},
    )
    cam = build_sensor(spec, index=0, frame=FRAME)
    assert isinstance(cam, EoirCamera)
    return cam


def scene(pos: np.ndarray, cls: int) -> Scene:
    k = pos.shape[0]
    return Scene(
        pos=pos,
        vel=np.zeros((k, 3)),
        alive=np.ones(k, bool),
        rcs_m2=np.full(k, 0.01),
        rf_protocol=np.full(k, -1, np.int16),
        icao=np.full(k, -1, np.int64),
        object_class=np.full(k, cls, np.int8),
    )


def test_the_batch_carries_the_class_cue_of_each_row() -> None:
    cam = camera()
    # near (recognised most of the time) and at the edge of recognition
    pos = np.array([[0.0, r, 50.0] for r in np.repeat([300.0, 1200.0], 200)])
    obs = cam.observe_detail(0.0, scene(pos, FPV), np.random.default_rng(1))
    cue = obs.batch.cue
    np.testing.assert_array_equal(cue, obs.attributes["class_cue"])
    assert set(np.unique(cue)) == {NO_CUE, FPV}  # both recognised and unrecognised rows
    near = obs.batch.truth < 200
    assert np.mean(cue[near] == FPV) > np.mean(cue[~near] == FPV)


def test_the_cue_survives_the_detection_file() -> None:
    cam = camera()
    pos = np.array([[0.0, 300.0, 50.0], [30.0, 400.0, 60.0], [0.0, 1500.0, 60.0]])
    batch = cam.observe(0.0, scene(pos, FPV), np.random.default_rng(2))
    assert (batch.cue == FPV).any()
    buf = io.StringIO()
    write_detections(buf, batch, FRAME, ["cam"])
    assert '"class_cue":"fpv"' in buf.getvalue()
    back = read_detections(buf.getvalue().splitlines(), frame=FRAME)
    assert not back.errors
    np.testing.assert_array_equal(back.batch.cue, batch.cue)


def test_an_unknown_class_cue_in_a_file_is_a_line_error() -> None:
    line = (
        '{"t": 0, "sensor": "cam", "kind": "position", "class_cue": "ufo",'
        ' "position": {"lat_deg": 51.17, "lon_deg": 5.47, "alt_m": 50},'
        ' "std": [5, 5, 5]}'
    )
    res = read_detections([line], frame=FRAME)
    assert res.bad_lines == 1
    assert "class_cue" in str(res.errors[0])


def test_the_tracker_counts_each_tracks_cues() -> None:
    cam = camera()
    # two FPVs hovering in view, near and farther: two tracks, cues counted per track and class
    pos = np.array([[0.0, 300.0, 50.0], [40.0, 900.0, 60.0]])
    rng = np.random.default_rng(5)
    tracker = MultiSensorTracker()
    cued = np.zeros(2, np.int64)
    for k in range(20):
        t = float(k)
        batch = cam.observe(t, scene(pos, FPV), rng)
        cued += np.bincount(batch.truth[batch.cue == FPV], minlength=2)
        tracker.step(batch, t=t)
    tracks = tracker.snapshot(19.0)
    assert len(tracks) == 2
    order = np.argsort(tracks.truth)
    counts = tracks.cue_counts[order]
    np.testing.assert_array_equal(counts[:, FPV], cued)
    assert counts.sum() == cued.sum()  # no other class
    assert cued[0] > cued[1]
