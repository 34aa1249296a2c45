"""The trained classifier's fusion restarts at the look at which a track is confirmed."""

from __future__ import annotations

import numpy as np
from assess_helpers import make_tracks

from dronewall.assess.classify import TrainedClassifier, TrainedClassifierConfig
from dronewall.core.measurements import DetectionBatch

EMPTY = DetectionBatch.empty()
QUAD = [[800.0, 300.0, 70.0, 6.0, 2.0, 0.3]]


def _run(restart: bool) -> tuple[np.ndarray, np.ndarray]:
    clf = TrainedClassifier(config=TrainedClassifierConfig(restart_on_confirm=restart))
    probs = []
    for k in range(8):
        t = 100.0 + k
        tracks = make_tracks(t, QUAD, rcs=[-18.0], confirmed=[k >= 4], t_first=100.0)
        probs.append(clf.update(t, tracks, EMPTY).probs[0])
    # the per-look posterior of the confirming look, from a fresh classifier fed the same looks
    ref = TrainedClassifier(config=TrainedClassifierConfig(restart_on_confirm=restart))
    for k in range(5):
        t = 100.0 + k
        tracks = make_tracks(t, QUAD, rcs=[-18.0], confirmed=[k >= 4], t_first=100.0)
        look, _ = ref.look_logprob(t, tracks, EMPTY)
    p_look = np.exp(look[0] - look[0].max())
    return np.array(probs), p_look / p_look.sum()


def test_the_confirming_look_restarts_the_fusion() -> None:
    probs, p_look = _run(restart=True)
    np.testing.assert_allclose(probs[4], p_look, atol=1e-12)
    kept, _ = _run(restart=False)
    # without the restart the tentative looks still weigh in
    assert np.abs(kept[4] - p_look).max() > 1e-6
    # before confirmation both are the same fusion
    np.testing.assert_allclose(probs[:4], kept[:4], atol=1e-12)
