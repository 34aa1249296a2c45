"""The optional class-cue columns: ``DetectionBatch.cue`` and ``TrackTable.cue_counts``."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.core.measurements import NO_CUE, DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import ObjectClass
from dronewall.core.tracks import N_CUE_CLASSES, TrackStatus, TrackTable


def batch(m: int, cue: np.ndarray | None = None) -> DetectionBatch:
    return DetectionBatch.build(
        t=np.arange(m, dtype=np.float64),
        sensor=0,
        kind=MeasurementKind.POSITION,
        z=np.zeros((m, 3)),
        R=np.eye(3),
        sensor_pos=np.zeros(3),
        cue=cue,
    )


def test_cue_defaults_to_none_and_follows_select_and_concat() -> None:
    a = batch(3)
    assert a.cue.dtype == np.int8
    np.testing.assert_array_equal(a.cue, [NO_CUE] * 3)
    bird = int(ObjectClass.BIRD)
    b = batch(2, np.array([bird, NO_CUE], np.int8))
    both = DetectionBatch.concat([a, b])
    np.testing.assert_array_equal(both.cue, [-1, -1, -1, bird, -1])
    np.testing.assert_array_equal(both.select(np.array([3, 0])).cue, [bird, -1])
    np.testing.assert_array_equal(both.sorted_by_time().cue.shape, (5,))
    assert DetectionBatch.empty().cue.shape == (0,)


def test_a_constructor_without_the_cue_column_still_works() -> None:
    a = batch(4)
    cols = {name: getattr(a, name) for name in a.__dataclass_fields__ if name != "cue"}
    again = DetectionBatch(**cols)
    np.testing.assert_array_equal(again.cue, np.full(4, NO_CUE))
    # two batches made without the column do not share one array
    other = DetectionBatch(**cols)
    assert again.cue is not other.cue


def test_a_cue_column_of_the_wrong_length_is_refused() -> None:
    a = batch(3)
    cols = {name: getattr(a, name) for name in a.__dataclass_fields__}
    cols["cue"] = np.full(2, NO_CUE, np.int8)
    with pytest.raises(ValueError, match="cue"):
        DetectionBatch(**cols)


def table(n: int, cue_counts: np.ndarray | None = None) -> TrackTable:
    extra = {} if cue_counts is None else {"cue_counts": cue_counts}
    return TrackTable(
        t=0.0,
        track_id=np.arange(n, dtype=np.int64),
        status=np.full(n, int(TrackStatus.CONFIRMED), np.int8),
        x=np.zeros((n, 6)),
        P=np.tile(np.eye(6), (n, 1, 1)),
        t_first=np.zeros(n),
        t_update=np.zeros(n),
        hits=np.ones(n, np.int32),
        misses=np.zeros(n, np.int32),
        ident=np.full(n, -1, np.int64),
        rcs_dbsm=np.full(n, np.nan),
        sensors=np.zeros(n, np.int64),
        truth=np.full(n, -1, np.int32),
        **extra,
    )


def test_track_cue_counts_default_to_zero_and_follow_select() -> None:
    t = table(3)
    assert t.cue_counts.shape == (3, N_CUE_CLASSES) == (3, len(ObjectClass))
    assert not t.cue_counts.any()
    counts = np.zeros((3, N_CUE_CLASSES), np.int32)
    counts[2, int(ObjectClass.QUADCOPTER)] = 4
    s = table(3, counts).select(np.array([False, False, True]))
    np.testing.assert_array_equal(s.cue_counts[0], counts[2])
    assert TrackTable.empty(0.0).cue_counts.shape == (0, N_CUE_CLASSES)


def test_track_cue_counts_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(ValueError, match="cue_counts"):
        table(3, np.zeros((3, N_CUE_CLASSES - 1), np.int32))
