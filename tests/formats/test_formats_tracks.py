"""The track output format: one line per track per time, read back to the same table."""

from __future__ import annotations

import dataclasses
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import InputError
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.formats import read_tracks, remote_id_ident, write_track_header, write_tracks
from dronewall.geo.frames import LocalFrame

ORIGIN = LocalFrame(51.17, 5.47, 70.0)
T0 = 1_762_286_400.0
SENSORS = ["radar-north", "rf-gate", "adsb", "eo-1"]


def random_table(rng: np.random.Generator, n: int, t: float) -> TrackTable:
    A = rng.normal(size=(n, 6, 6)) * np.array([30.0, 30.0, 10.0, 3.0, 3.0, 1.0])[:, None]
    return TrackTable(
        t=t,
        track_id=rng.choice(10_000, n, replace=False).astype(np.int64),
        status=rng.integers(0, 3, n).astype(np.int8),
        x=np.column_stack([rng.uniform(-5e3, 5e3, (n, 3)), rng.normal(0, 20, (n, 3))]),
        P=A @ np.swapaxes(A, 1, 2),
        t_first=t - rng.uniform(0, 100, n),
        t_update=t - rng.uniform(0, 5, n),
        hits=rng.integers(1, 100, n).astype(np.int32),
        misses=rng.integers(0, 5, n).astype(np.int32),
        ident=rng.choice([-1, 0x4CA2B1, remote_id_ident("rid")], n).astype(np.int64),
        rcs_dbsm=np.where(rng.random(n) < 0.5, rng.normal(-15, 5, n), np.nan),
        sensors=rng.integers(0, 1 << len(SENSORS), n).astype(np.int64),
        truth=rng.integers(-1, 20, n).astype(np.int32),
    )


def assert_same_table(a: TrackTable, b: TrackTable) -> None:
    assert a.t == b.t
    for name in ("track_id", "status", "hits", "misses", "ident", "sensors", "truth"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("x", "P", "t_first", "t_update", "rcs_dbsm"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), sizes=st.lists(st.integers(1, 8), max_size=4))
def test_writing_then_reading_tracks_gives_the_same_tables(seed: int, sizes: list[int]) -> None:
    rng = np.random.default_rng(seed)
    tables = [random_table(rng, n, T0 + k) for k, n in enumerate(sizes)]
    fp = io.StringIO()
    write_track_header(fp, ORIGIN, frame_name="kb")
    for table in tables:
        assert write_tracks(fp, table, ORIGIN, frame_name="kb", sensor_ids=SENSORS) == len(table)
    back = read_tracks(fp.getvalue().splitlines(), sensor_ids=SENSORS)
    assert back.frame == ORIGIN
    assert len(back.tables) == len(tables)
    for got, want in zip(back.tables, tables, strict=True):
        assert_same_table(got, want)


def test_a_track_line_carries_enu_wgs84_velocity_covariance_and_labels() -> None:
    table = random_table(np.random.default_rng(3), 2, T0)
    table = dataclasses.replace(table, status=np.array([1, 2], np.int8))
    fp = io.StringIO()
    write_track_header(fp, ORIGIN)
    write_tracks(fp, table, ORIGIN, sensor_ids=SENSORS, classes=["quadcopter", None])
    head, frame, first, second = (json.loads(line) for line in fp.getvalue().splitlines())
    assert head == {"type": "format", "name": "dronewall.tracks", "version": 1}
    assert frame["type"] == "frame"
    assert first["t"] == T0
    assert first["status"] == TrackStatus.CONFIRMED.label
    assert second["status"] == "coasting"
    assert first["position"]["frame"] == "local"
    assert first["position"]["east_m"] == table.x[0, 0]
    lla = ORIGIN.enu_to_lla(table.x[0, :3])
    wgs = first["position_wgs84"]
    assert [wgs["lat_deg"], wgs["lon_deg"], wgs["alt_m"]] == pytest.approx(lla.tolist())
    assert first["velocity"]["up_m_s"] == table.x[0, 5]
    assert np.array(first["cov"]).shape == (6, 6)
    bits = int(table.sensors[0])
    assert first["sensors"] == [s for i, s in enumerate(SENSORS) if bits >> i & 1]
    assert first["class"] == "quadcopter"
    assert "class" not in second
    back = read_tracks(fp.getvalue().splitlines(), sensor_ids=SENSORS)
    assert back.classes == [("quadcopter", None)]


def test_sensors_without_an_id_table_are_indices() -> None:
    table = random_table(np.random.default_rng(4), 3, T0)
    fp = io.StringIO()
    write_tracks(fp, table, ORIGIN)
    lines = fp.getvalue().splitlines()
    rec = json.loads(lines[0])
    assert rec["sensors"] == [i for i in range(len(SENSORS)) if int(table.sensors[0]) >> i & 1]
    assert_same_table(read_tracks(lines).tables[0], table)


def test_the_reader_is_strict_and_names_the_line() -> None:
    with pytest.raises(InputError) as err:
        read_tracks(['{"type": "format", "name": "dronewall.tracks", "version": 1}', "{oops"])
    assert err.value.line == 2
    with pytest.raises(InputError, match="status"):
        read_tracks(
            [
                json.dumps(
                    {
                        "t": T0,
                        "track": 1,
                        "status": "lost",
                        "position": {"east_m": 0, "north_m": 0, "up_m": 0},
                        "velocity": {"east_m_s": 0, "north_m_s": 0, "up_m_s": 0},
                        "cov": [[0] * 6] * 6,
                    }
                )
            ]
        )
