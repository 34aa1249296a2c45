"""Track-quality and EO/IR-cue features of :class:`~dronewall.assess.features.TrackFeatures`."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from assess_helpers import make_tracks

from dronewall.assess.features import FEATURE_NAMES, FeatureConfig, TrackFeatures
from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import ObjectClass
from dronewall.core.tracks import N_CUE_CLASSES

COL = {name: j for j, name in enumerate(FEATURE_NAMES)}
QUAD = [[500.0, 0.0, 80.0, 5.0, 0.0, 0.0]]


def test_cue_features_are_the_shares_of_each_class_among_the_cues() -> None:
    t = 100.0
    tracks = make_tracks(t, QUAD * 3, t_first=80.0)
    counts = np.zeros((3, N_CUE_CLASSES), np.int32)
    counts[1, int(ObjectClass.QUADCOPTER)] = 3
    counts[1, int(ObjectClass.BIRD)] = 1
    counts[2, int(ObjectClass.BIRD)] = 7
    tracks = dataclasses.replace(tracks, cue_counts=counts)
    x = TrackFeatures().update(t, tracks, np.full(3, -2, np.int16))
    cue = x[:, COL["cue_quadcopter"] : COL["cue_clutter"] + 1]
    np.testing.assert_allclose(cue[0], 0.0)  # never cued: no information
    assert cue[1, int(ObjectClass.QUADCOPTER)] == pytest.approx(0.75)
    assert cue[1, int(ObjectClass.BIRD)] == pytest.approx(0.25)
    assert cue[2, int(ObjectClass.BIRD)] == pytest.approx(1.0)
    np.testing.assert_allclose(x[:, COL["log_cues"]], np.log1p([0.0, 4.0, 7.0]))


def test_quality_features_saturate() -> None:
    t = 100.0
    tracks = make_tracks(t, QUAD * 3, t_first=t - 50.0)
    hits = np.array([1, 10, 400], np.int32)
    t_update = np.array([t, t - 5.0, t - 100.0])
    tracks = dataclasses.replace(tracks, hits=hits, t_update=t_update)
    cfg = FeatureConfig()
    x = TrackFeatures(cfg).update(t, tracks, np.full(3, -2, np.int16))
    np.testing.assert_allclose(x[:, COL["hits_sat"]], np.minimum(hits, cfg.hits_sat) / cfg.hits_sat)
    np.testing.assert_allclose(
        x[:, COL["hit_rate_hz"]], np.minimum(hits / 50.0, cfg.hit_rate_cap_hz)
    )
    np.testing.assert_allclose(x[:, COL["stale"]], [0.0, 5.0 / cfg.stale_s, 1.0])
    # a track born this tick: the hit rate is taken over at least one second
    young = make_tracks(t, QUAD, t_first=t)
    y = TrackFeatures().update(t, young, np.full(1, -2, np.int16))
    assert y[0, COL["hit_rate_hz"]] == pytest.approx(min(10.0, cfg.hit_rate_cap_hz))


@pytest.mark.parametrize("name", ["hits_sat", "hit_rate_cap_hz", "stale_s"])
def test_quality_settings_are_validated(name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        FeatureConfig(**{name: 0.0})
