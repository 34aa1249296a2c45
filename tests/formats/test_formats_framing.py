"""Grouping a detection stream into tracker frames: boundaries, late rows, gaps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.formats import Frame, iter_frames

T0 = 1_762_286_400.0


def batch(times: list[float]) -> DetectionBatch:
    m = len(times)
    return DetectionBatch.build(
        t=np.array(times),
        sensor=0,
        kind=MeasurementKind.POSITION,
        z=np.zeros((m, 3)),
        R=np.eye(3),
        sensor_pos=np.zeros(3),
        truth=np.arange(m, dtype=np.int32),  # row numbers, to follow the rows
    )


def summary(frames: list[Frame]) -> list[tuple[float, list[int]]]:
    return [(f.t_end - T0, f.batch.truth.tolist()) for f in frames]


def test_frames_end_on_multiples_of_the_period_and_late_rows_join_the_current_frame() -> None:
    times = [0.1, 0.5, 1.2, 0.9, 1.99, 3.5, 3.0, 2.2]
    frames = list(iter_frames([batch([T0 + t for t in times])], 1.0))
    assert summary(frames) == [
        (1.0, [0, 1]),
        (2.0, [2, 3, 4]),  # 0.9 read after 1.2: late, kept in the frame being filled
        (3.0, []),  # a gap frame, so that tracks coast
        (4.0, [5, 6, 7]),  # 2.2 is late too
    ]


def test_a_row_on_a_boundary_opens_the_next_frame() -> None:
    frames = list(iter_frames([batch([T0 + 0.5, T0 + 1.0])], 1.0))
    assert summary(frames) == [(1.0, [0]), (2.0, [1])]


def test_long_gaps_yield_at_most_max_empty_frames() -> None:
    frames = list(iter_frames([batch([T0, T0 + 100.0])], 1.0, max_empty_frames=3))
    assert summary(frames) == [(1.0, [0]), (2.0, []), (3.0, []), (4.0, []), (101.0, [1])]


def test_no_rows_no_frames_and_a_bad_period_is_refused() -> None:
    assert list(iter_frames([DetectionBatch.empty()], 1.0)) == []
    with pytest.raises(ValueError, match="period"):
        list(iter_frames([batch([T0])], 0.0))


@settings(max_examples=60, deadline=None)
@given(
    offsets=st.lists(st.floats(0.0, 20.0), min_size=1, max_size=40),
    cuts=st.lists(st.integers(0, 40), max_size=6),
    period=st.sampled_from([0.25, 1.0, 2.5]),
)
def test_the_frames_do_not_depend_on_how_the_stream_is_cut_into_batches(
    offsets: list[float], cuts: list[int], period: float
) -> None:
    whole = batch([T0 + o for o in offsets])
    bounds = sorted({0, len(offsets), *(c for c in cuts if c <= len(offsets))})
    parts = [whole.select(np.arange(a, b)) for a, b in itertools.pairwise(bounds)]
    one = summary(list(iter_frames([whole], period)))
    many = summary(list(iter_frames(parts, period)))
    assert one == many
    # every row exactly once, in stream order; frame ends strictly increasing
    assert [r for _, rows in one for r in rows] == list(range(len(offsets)))
    ends = [e for e, _ in one]
    assert ends == sorted(set(ends))
    # no row is in a frame that ends before its time
    for f in iter_frames([whole], period):
        assert (f.batch.t < f.t_end + 1e-6).all()
