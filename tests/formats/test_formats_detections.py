"""The detection file format: each kind to the right z and R, the lenient reader, the writer."""

from __future__ import annotations

import gzip
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.core.errors import InputError
from dronewall.core.measurements import DetectionBatch, MeasurementKind, RfProtocol
from dronewall.formats import (
    ICAO_LIMIT,
    DetectionReader,
    read_detections,
    remote_id_ident,
    write_detections,
)
from dronewall.geo.frames import LocalFrame, enu_rotation, lla_to_ecef

ORIGIN = LocalFrame(51.17, 5.47, 70.0)
FRAME = {"type": "frame", "name": "kb", "lat_deg": 51.17, "lon_deg": 5.47, "alt_m": 70.0}
D = math.pi / 180.0
T0 = 1_762_286_400.0


def jl(*records: dict[str, Any] | str) -> list[str]:
    """JSON lines of records (strings are taken as they are)."""
    return [r if isinstance(r, str) else json.dumps(r) for r in records]


def at_origin(**kw: float) -> dict[str, Any]:
    return {"frame": "kb", "east_m": 0.0, "north_m": 0.0, "up_m": 10.0, **kw}


def det(kind: str, **fields: Any) -> dict[str, Any]:
    return {"t": T0, "sensor": "s1", "kind": kind, **fields}


# ------------------------------------------------------------------ each kind


def test_polar_in_its_sensor_frame_is_converted_to_radians_with_the_covariance_scaled() -> None:
    cov = [[25.0, 0.5, 0.0], [0.5, 0.09, 0.01], [0.0, 0.01, 0.25]]
    f = read_detections(
        jl(
            FRAME,
            det(
                "polar",
                sensor_pos=at_origin(),
                polar={
                    "range_m": 2500.0,
                    "azimuth_deg": 47.5,
                    "elevation_deg": 2.5,
                    "range_rate_m_s": -14.0,
                    "range_rate_std_m_s": 0.5,
                },
                cov=cov,
                rcs_m2=0.02,
                snr_db=14.0,
            ),
        )
    )
    assert f.bad_lines == 0, f.errors
    b = f.batch
    assert b.kind.tolist() == [MeasurementKind.POLAR]
    np.testing.assert_allclose(b.z[0], [2500.0, 47.5 * D, 2.5 * D], rtol=1e-15)
    S = np.diag([1.0, D, D])
    np.testing.assert_allclose(b.R[0], S @ np.array(cov) @ S, rtol=1e-15)
    np.testing.assert_allclose(b.sensor_pos[0], [0.0, 0.0, 10.0])
    assert b.range_rate[0] == -14.0
    assert b.range_rate_var[0] == 0.25
    assert (b.rcs_m2[0], b.snr_db[0]) == (0.02, 14.0)
    assert f.frame == ORIGIN
    assert f.frames == {"kb": ORIGIN}


def test_a_2d_radar_plot_has_a_nan_elevation_and_no_elevation_noise() -> None:
    f = read_detections(
        jl(
            FRAME,
            det(
                "polar",
                sensor_pos=at_origin(),
                polar={"range_m": 900.0, "azimuth_deg": 300.0, "elevation_deg": None},
                std=[10.0, 1.0],
            ),
        )
    )
    b = f.batch
    assert b.z[0, 0] == 900.0
    assert b.z[0, 1] == pytest.approx(300.0 * D)
    assert math.isnan(b.z[0, 2])
    np.testing.assert_allclose(b.R[0], np.diag([100.0, D * D, 0.0]), rtol=1e-15)
    assert math.isnan(b.range_rate[0])
    assert math.isnan(b.range_rate_var[0])


@pytest.mark.parametrize("elevation", [None, 12.0])
def test_bearing_with_and_without_elevation(elevation: float | None) -> None:
    bearing: dict[str, Any] = {"azimuth_deg": 123.0}
    if elevation is not None:
        bearing["elevation_deg"] = elevation
    std = [3.0] if elevation is None else [3.0, 5.0]
    f = read_detections(
        jl(
            FRAME,
            det("bearing", sensor_pos=at_origin(), bearing=bearing, std=std, protocol="elrs"),
        )
    )
    b = f.batch
    assert b.kind.tolist() == [MeasurementKind.BEARING]
    assert b.z[0, 0] == pytest.approx(123.0 * D)
    assert math.isnan(b.z[0, 2])
    expected = np.zeros((3, 3))
    expected[0, 0] = (3.0 * D) ** 2
    if elevation is None:
        assert math.isnan(b.z[0, 1])
    else:
        assert b.z[0, 1] == pytest.approx(12.0 * D)
        expected[1, 1] = (5.0 * D) ** 2
    np.testing.assert_allclose(b.R[0], expected, rtol=1e-15)
    assert b.protocol[0] == RfProtocol.ELRS


def test_wgs84_position_becomes_enu_with_its_covariance_rotated_into_the_frame() -> None:
    lla = [51.20, 5.52, 950.0]
    cov = [[900.0, 100.0, 0.0], [100.0, 400.0, 0.0], [0.0, 0.0, 2500.0]]
    f = read_detections(
        jl(
            FRAME,
            det(
                "position",
                position={"lat_deg": lla[0], "lon_deg": lla[1], "alt_m": lla[2]},
                cov=cov,
                icao="4ca2b1",
            ),
        )
    )
    b = f.batch
    np.testing.assert_allclose(b.z[0], ORIGIN.lla_to_enu(lla), atol=1e-6)
    M = ORIGIN.rotation @ enu_rotation(lla[0], lla[1]).T
    np.testing.assert_allclose(b.R[0], M @ np.array(cov) @ M.T, rtol=1e-12, atol=1e-9)
    assert np.trace(b.R[0]) == pytest.approx(np.trace(cov))
    assert not np.allclose(b.R[0], cov)  # 4 km away the axes really are turned
    assert b.ident[0] == 0x4CA2B1
    assert np.isnan(b.sensor_pos[0]).all()  # position reports need no sensor position


def test_a_2d_position_has_nan_up_and_no_vertical_noise() -> None:
    f = read_detections(
        jl(
            FRAME,
            det("position", position={"frame": "kb", "east_m": 5.0, "north_m": 6.0}, std=[3, 4]),
            det(
                "position",
                position={"lat_deg": 51.18, "lon_deg": 5.48, "alt_m": None},
                std=[3, 4],
            ),
        )
    )
    assert f.bad_lines == 0, f.errors
    b = f.batch
    np.testing.assert_array_equal(b.z[0], [5.0, 6.0, np.nan])
    np.testing.assert_array_equal(b.R[0], np.diag([9.0, 16.0, 0.0]))
    assert np.isnan(b.z[1, 2])
    np.testing.assert_allclose(
        b.z[1, :2], ORIGIN.lla_to_enu([51.18, 5.48, ORIGIN.h_m])[:2], atol=1e-6
    )
    assert (b.R[1, 2, :] == 0.0).all()
    assert (b.R[1, :, 2] == 0.0).all()
    assert np.trace(b.R[1]) == pytest.approx(25.0)


def test_positions_in_another_declared_frame_are_converted_through_ecef() -> None:
    other = LocalFrame(51.25, 5.60, 20.0)
    p = [100.0, -250.0, 300.0]
    f = read_detections(
        jl(
            FRAME,
            {"type": "frame", "name": "far", "lat_deg": 51.25, "lon_deg": 5.60, "alt_m": 20.0},
            det(
                "position",
                position={"frame": "far", "east_m": p[0], "north_m": p[1], "up_m": p[2]},
                std=[5, 5, 5],
                sensor_pos={"frame": "far", "east_m": 0.0, "north_m": 0.0, "up_m": 0.0},
            ),
        )
    )
    b = f.batch
    np.testing.assert_allclose(b.z[0], ORIGIN.ecef_to_enu(other.enu_to_ecef(p)), atol=1e-6)
    np.testing.assert_allclose(b.sensor_pos[0], ORIGIN.lla_to_enu([51.25, 5.60, 20.0]), atol=1e-6)
    np.testing.assert_allclose(b.R[0], 25.0 * np.eye(3), atol=1e-9)  # isotropic stays isotropic


def test_sighting_with_iso_times_seen_and_received() -> None:
    f = read_detections(
        jl(
            FRAME,
            det(
                "sighting",
                t="2025-11-04T19:58:10Z",
                t_received="2025-11-04T20:01:40.5+00:00",
                position={"frame": "kb", "east_m": 800.0, "north_m": 1200.0, "up_m": None},
                std=[300.0, 300.0],
            ),
        )
    )
    b = f.batch
    assert b.kind.tolist() == [MeasurementKind.SIGHTING]
    assert b.t[0] == pytest.approx(1762286290.0)
    assert b.t_received[0] - b.t[0] == pytest.approx(210.5)
    assert math.isnan(b.z[0, 2])


def _bearing_lines(sensor: dict[str, float], az: float, el: float) -> list[str]:
    return jl(
        FRAME,
        det(
            "bearing",
            sensor_pos=sensor,
            bearing={"azimuth_deg": az, "elevation_deg": el},
            cov=[[4.0, 1.0], [1.0, 9.0]],
        ),
    )


def test_angles_of_a_distant_wgs84_sensor_are_turned_onto_the_frame_axes() -> None:
    """The bearing is measured on true north and the horizontal at the sensor, 30 km away; in the
    frame it must point at the same place, and R must follow the Jacobian of the rotation."""
    sensor = {"lat_deg": 51.30, "lon_deg": 5.80, "alt_m": 40.0}
    az, el = 60.0, 10.0
    b = read_detections(_bearing_lines(sensor, az, el)).batch
    # the direction, through ECEF
    s_ecef = lla_to_ecef([sensor["lat_deg"], sensor["lon_deg"], sensor["alt_m"]])
    u_local = np.array(
        [np.sin(az * D) * np.cos(el * D), np.cos(az * D) * np.cos(el * D), np.sin(el * D)]
    )
    target = s_ecef + enu_rotation(sensor["lat_deg"], sensor["lon_deg"]).T @ (1000.0 * u_local)
    d = ORIGIN.ecef_to_enu(target) - b.sensor_pos[0]
    assert b.z[0, 0] == pytest.approx(math.atan2(d[0], d[1]), abs=1e-12)
    assert b.z[0, 1] == pytest.approx(math.atan2(d[2], math.hypot(d[0], d[1])), abs=1e-12)
    assert abs(b.z[0, 0] - az * D) > 1e-3  # the rotation is not negligible here
    # the covariance: J R Jᵀ with J by finite differences of the reader itself
    h = 1e-4
    plus_az = read_detections(_bearing_lines(sensor, az + h, el)).batch.z[0, :2]
    plus_el = read_detections(_bearing_lines(sensor, az, el + h)).batch.z[0, :2]
    J = np.column_stack([plus_az - b.z[0, :2], plus_el - b.z[0, :2]]) / (h * D)
    R_in = np.array([[4.0, 1.0], [1.0, 9.0]]) * D * D
    np.testing.assert_allclose(b.R[0, :2, :2], J @ R_in @ J.T, rtol=1e-5)
    assert (b.R[0, 2] == 0.0).all()


def test_angles_of_a_sensor_at_the_frame_origin_are_not_turned() -> None:
    f = read_detections(
        _bearing_lines({"lat_deg": 51.17, "lon_deg": 5.47, "alt_m": 70.0}, 60.0, 10.0)
    )
    assert f.batch.z[0, 0] == 60.0 * D
    assert f.batch.z[0, 1] == 10.0 * D


# ------------------------------------------------------------------ ids, sensors, frames


def test_identities_icao_remote_id_and_raw_ident() -> None:
    serial = "1581F5FJD228400100"
    f = read_detections(
        jl(
            FRAME,
            det("position", position=at_origin(), std=[1, 1, 1], icao="4CA2B1"),
            det("position", position=at_origin(), std=[1, 1, 1], icao="000001"),
            det("position", position=at_origin(), std=[1, 1, 1], remote_id=serial),
            det("position", position=at_origin(), std=[1, 1, 1], ident=123456789012),
            det("position", position=at_origin(), std=[1, 1, 1]),
        )
    )
    assert f.batch.ident.tolist() == [0x4CA2B1, 1, remote_id_ident(serial), 123456789012, -1]


def test_remote_id_hash_is_pinned_and_never_an_icao_address() -> None:
    # Pinned: files and stores written today must give the same ident tomorrow.
    assert remote_id_ident("1581F5FJD228400100") == 8742799836490308000
    for serial in ["", "a", "A", "1581F5FJD228400100 ", "é" * 40, *map(str, range(500))]:
        assert ICAO_LIMIT <= remote_id_ident(serial) < 2**63


def test_every_rf_protocol_name_is_accepted() -> None:
    protos = [p for p in RfProtocol if p != RfProtocol.NONE]
    labels = [p.name.lower().replace("_", "-") for p in protos]
    f = read_detections(
        jl(
            FRAME,
            *(
                det(
                    "bearing",
                    sensor_pos=at_origin(),
                    bearing={"azimuth_deg": 1},
                    std=[1],
                    protocol=p,
                )
                for p in labels
            ),
        )
    )
    assert f.bad_lines == 0, f.errors
    assert f.batch.protocol.tolist() == [int(p) for p in protos]


def test_sensor_indices_follow_first_appearance_and_sensor_records_give_positions() -> None:
    rf_pos = {"lat_deg": 51.18, "lon_deg": 5.47, "alt_m": 70.0}
    radar_pos = {"lat_deg": 51.17, "lon_deg": 5.47, "alt_m": 80.0}
    f = read_detections(
        jl(
            {"type": "sensor", "id": "radar", "position": radar_pos},
            det("bearing", sensor="rf", sensor_pos=rf_pos, bearing={"azimuth_deg": 5}, std=[2]),
            det("bearing", sensor="ghost", bearing={"azimuth_deg": 5}, std=[2]),  # no position
            det("polar", sensor="radar", polar={"range_m": 100.0, "azimuth_deg": 0.0}, std=[1, 1]),
            det("bearing", sensor="rf", sensor_pos=rf_pos, bearing={"azimuth_deg": 5}, std=[2]),
        )
    )
    assert f.sensor_ids == ("radar", "rf")  # no index for a sensor whose only line was bad
    assert f.batch.sensor.tolist() == [1, 0, 1]
    assert [e.line for e in f.errors] == [3]
    assert f.errors[0].field == "sensor_pos"
    # the frame defaults to the first WGS84 sensor position: the radar's, from its record
    assert f.frame == LocalFrame(51.17, 5.47, 80.0)
    np.testing.assert_allclose(f.batch.sensor_pos[1], [0.0, 0.0, 0.0], atol=1e-9)


def test_the_callers_frame_wins_and_wgs84_files_default_to_the_first_sensor_position() -> None:
    lines = jl(
        det(
            "position",
            sensor_pos={"lat_deg": 51.0, "lon_deg": 5.0, "alt_m": 30.0},
            position={"lat_deg": 51.01, "lon_deg": 5.0, "alt_m": 130.0},
            std=[5, 5, 5],
        )
    )
    default = read_detections(lines)
    assert default.frame == LocalFrame(51.0, 5.0, 30.0)
    np.testing.assert_allclose(default.batch.sensor_pos[0], 0.0, atol=1e-9)
    given_frame = LocalFrame(50.9, 5.1, 0.0)
    mine = read_detections(lines, frame=given_frame)
    assert mine.frame == given_frame
    np.testing.assert_allclose(
        mine.batch.z[0], given_frame.lla_to_enu([51.01, 5.0, 130.0]), atol=1e-6
    )


# ------------------------------------------------------------------ bad lines

GOOD = det("position", position=at_origin(), std=[1, 1, 1])


def drop(key: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k != key}


def cov(c: list[list[float]]) -> dict[str, Any]:
    return {**drop("std"), "cov": c}


def pos(**point: Any) -> dict[str, Any]:
    return {**GOOD, "position": point}


def polar(std: list[float] | None = None, **values: Any) -> dict[str, Any]:
    return det("polar", sensor_pos=at_origin(), polar=values, std=std or [1, 1])


def bearing(std: list[float], **values: Any) -> dict[str, Any]:
    return det("bearing", sensor_pos=at_origin(), bearing=values, std=std)


I3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
BAD_LINES: list[tuple[dict[str, Any] | str, str]] = [
    ("{not json", "not valid JSON"),
    ("[1, 2, 3]", "a record must be a JSON object"),
    ({"type": "track"}, "type: unknown record type"),
    (drop("t"), "t: missing"),
    ({**GOOD, "t": "yesterday"}, "t: 'yesterday' is not an ISO 8601 time"),
    ({**GOOD, "t": "2025-11-04T20:00:00"}, "t: '2025-11-04T20:00:00' has no UTC offset"),
    ({**GOOD, "t": True}, "t: expected epoch seconds or an ISO 8601 string, got boolean"),
    ({**GOOD, "t": "NaN"}, "t: 'NaN' is not an ISO 8601 time"),
    ('{"t": NaN, "sensor": "s1", "kind": "position"}', "t: must be finite"),
    ({**GOOD, "sensor": 7}, "sensor: expected a string, got number"),
    ({**GOOD, "sensor": ""}, "sensor: must not be empty"),
    ({**GOOD, "kind": "lidar"}, "kind: unknown kind 'lidar'"),
    (drop("kind"), "kind: missing"),
    ({**GOOD, "polar": {"range_m": 1}}, "polar: not allowed with kind 'position'"),
    (drop("position"), "position: missing"),
    (pos(frame="nowhere", east_m=0, north_m=0), "position.frame: unknown frame 'nowhere'"),
    (pos(frame="kb", east_m="0", north_m=0), "position.east_m: expected a number, got string"),
    (pos(lat_deg=91.0, lon_deg=0.0), "position.lat_deg: 91.0 is outside [-90, 90]"),
    (pos(lat_deg=51.0, lon_deg=5.0, height=1), "position.height: unknown field"),
    ({**GOOD, "position": [1, 2, 3]}, "position: expected an object, got array"),
    ({**GOOD, "std": [1, 1]}, "std: expected 3 values (east, north, up), got 2"),
    ({**GOOD, "std": [1, -1, 1]}, "std[1]: -1.0 is outside [0, inf]"),
    ({**GOOD, "std": None}, "cov: missing: give 'cov' or 'std'"),
    ({**GOOD, "cov": I3}, "std: give either 'cov' or 'std', not both"),
    (cov([[1, 2, 0], [0, 1, 0], [0, 0, 1]]), "cov[1][0]: not symmetric"),
    (cov([[1, 2, 0], [2, 1, 0], [0, 0, 1]]), "cov: not positive semi-definite"),
    (
        cov([[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]),
        "cov: not positive semi-definite (negative determinant)",
    ),
    (cov([[-1, 0, 0], [0, 1, 0], [0, 0, 1]]), "cov[0][0]: variance -1.0 is negative"),
    (cov([[1, 0], [0, 1]]), "cov: expected an 3x3 array"),
    (cov([[1, 0, 0], [0, 1], [0, 0, 1]]), "cov[1]: expected a row of 3 numbers"),
    (cov([[1, 0, 0], [0, 1e400, 0], [0, 0, 1]]), "cov[1][1]: must be finite"),
    ({**GOOD, "rcs_m2": -0.1}, "rcs_m2: -0.1 is outside [0, inf]"),
    ({**GOOD, "protocol": "morse"}, "protocol: unknown protocol 'morse'"),
    ({**GOOD, "icao": "4CA2B"}, "icao: '4CA2B' is not 6 hex digits"),
    ({**GOOD, "icao": "4CA2BZ"}, "icao: '4CA2BZ' is not 6 hex digits"),
    ({**GOOD, "icao": "4CA2B1", "remote_id": "x"}, "remote_id: give at most one of icao"),
    ({**GOOD, "truth": 1.5}, "truth: expected an integer, got number"),
    ({**GOOD, "colour": "red"}, "colour: unknown field (vendor fields must start with 'x_')"),
    (polar(range_m=1, azimuth_deg=400), "polar.azimuth_deg: 400.0 is outside [-360, 360]"),
    (polar(range_m=-1, azimuth_deg=4), "polar.range_m: -1.0 is outside [0, inf]"),
    (
        polar(range_m=1, azimuth_deg=4, range_rate_m_s=3),
        "polar.range_rate_std_m_s: range_rate_m_s and range_rate_std_m_s go together",
    ),
    ({**polar(range_m=1, azimuth_deg=4), "sensor_pos": None}, "sensor_pos: missing"),
    (
        {**polar(range_m=1, azimuth_deg=4), "sensor_pos": {"lat_deg": 51.0, "lon_deg": 5.0}},
        "sensor_pos.alt_m: missing",
    ),
    (
        bearing([1, 1], azimuth_deg=4, elevation_deg=95),
        "bearing.elevation_deg: 95.0 is outside [-90, 90]",
    ),
    (bearing([1, 1], azimuth_deg=4), "std: expected 1 values (azimuth_deg), got 2"),
    (
        {**FRAME, "lat_deg": 50.0},
        "name: frame 'kb' was declared with another origin on line 1",
    ),
    ({k: v for k, v in FRAME.items() if k != "name"}, "name: missing"),
    ({"type": "sensor"}, "id: missing"),
    (
        {"type": "format", "name": "dronewall.detections", "version": 2},
        "version: version 2 is not supported",
    ),
]


def test_every_bad_line_is_reported_with_its_line_and_field_and_every_good_line_kept() -> None:
    lines: list[str] = jl(FRAME, GOOD)
    expected: list[tuple[int, str]] = []
    for record, reason in BAD_LINES:
        lines += jl(record)
        expected.append((len(lines), reason))
        lines += jl({**GOOD, "t": T0 + len(lines)})
    lines.append("   ")  # blank: skipped silently
    f = read_detections(lines)
    assert [
        (e.line, e.reason[: len(r)]) for e, (_, r) in zip(f.errors, expected, strict=False)
    ] == [(line, r) for line, r in expected]
    assert f.bad_lines == len(BAD_LINES)
    assert f.detections == len(BAD_LINES) + 1
    assert len(f.batch) == f.detections
    assert f.lines == len(lines)
    assert f.batch.t[1:].tolist() == [T0 + line for line, _ in expected]
    assert all(e.text for e in f.errors)
    assert f.errors[3].field == "t"


def test_max_errors_keeps_the_first_ones_and_counts_all() -> None:
    f = read_detections(jl(*["nope"] * 10, FRAME, GOOD), max_errors=3)
    assert [e.line for e in f.errors] == [1, 2, 3]
    assert f.bad_lines == 10
    assert len(f.batch) == 1


def test_invalid_utf8_and_bom_in_a_file(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    body = "\n".join(jl(FRAME, GOOD)).encode()
    path.write_bytes(b"\xef\xbb\xbf" + body + b'\n{"t": "\xff\xfe"}\n' + json.dumps(GOOD).encode())
    f = read_detections(path)
    assert f.detections == 2
    assert [e.line for e in f.errors] == [3]
    assert "not valid JSON" in f.errors[0].reason


def test_missing_or_unreadable_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found") as err:
        read_detections(tmp_path / "nope.jsonl")
    assert err.value.source == str(tmp_path / "nope.jsonl")
    with pytest.raises(InputError, match="cannot open"):
        read_detections(tmp_path)


# ------------------------------------------------------------------ streaming


def test_streaming_gives_batches_of_at_most_n_lines_that_add_up_to_the_whole() -> None:
    lines = jl(FRAME, *({**GOOD, "t": T0 + i} for i in range(10)), "bad", GOOD)
    whole = read_detections(lines)
    reader = DetectionReader(lines, chunk_lines=4)
    parts = list(reader)
    assert [len(p) for p in parts] == [3, 4, 3, 1]  # the frame record and the bad line take slots
    batch = DetectionBatch.concat(parts)
    np.testing.assert_array_equal(batch.t, whole.batch.t)
    assert reader.bad_lines == 1
    assert reader.lines == len(lines)
    with pytest.raises(RuntimeError):
        list(reader)


def test_gzip_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fp:
        fp.write("\n".join(jl(FRAME, GOOD, GOOD)) + "\n")
    assert read_detections(path).detections == 2


# ------------------------------------------------------------------ writer


def _random_batch(rng: np.random.Generator, m: int, n_sensors: int) -> DetectionBatch:
    kind = rng.choice(list(MeasurementKind), size=m).astype(np.int8)
    z = np.empty((m, 3))
    R = np.empty((m, 3, 3))
    for i, k in enumerate(kind):
        A = rng.normal(size=(3, 3))
        if k in (MeasurementKind.POSITION, MeasurementKind.SIGHTING):
            z[i] = rng.uniform(-5e3, 5e3, 3)
            A *= rng.uniform(1.0, 100.0)
            n_meas = 3 if rng.random() < 0.7 else 2
        elif k == MeasurementKind.POLAR:
            z[i] = [rng.uniform(0, 2e4), rng.uniform(-math.pi, 2 * math.pi), rng.uniform(-1.5, 1.5)]
            A = A * np.array([[10.0], [0.01], [0.01]])
            n_meas = 3 if rng.random() < 0.7 else 2
        else:
            z[i] = [rng.uniform(0, 2 * math.pi), rng.uniform(-1.5, 1.5), np.nan]
            A = A * 0.02
            n_meas = 2 if rng.random() < 0.6 else 1
        C = A @ A.T
        C[n_meas:, :] = 0.0
        C[:, n_meas:] = 0.0
        z[i, n_meas:] = np.nan
        R[i] = C
    is_polar = kind == MeasurementKind.POLAR
    rr = np.where(is_polar & (rng.random(m) < 0.5), rng.normal(0, 20, m), np.nan)
    needs_pos = (kind == MeasurementKind.POLAR) | (kind == MeasurementKind.BEARING)
    sensor_pos = rng.uniform(-2e3, 2e3, (m, 3))
    sensor_pos[~needs_pos & (rng.random(m) < 0.5)] = np.nan
    ident = rng.choice([-1, 0, 0x4CA2B1, ICAO_LIMIT - 1, remote_id_ident("x"), 2**63 - 1], size=m)
    t = T0 + np.sort(rng.uniform(0, 100, m))
    return DetectionBatch.build(
        t=t,
        sensor=rng.integers(0, n_sensors, m).astype(np.int32),
        kind=kind,
        z=z,
        R=R,
        sensor_pos=sensor_pos,
        rcs_m2=np.where(rng.random(m) < 0.5, rng.uniform(0, 10, m), np.nan),
        snr_db=np.where(rng.random(m) < 0.5, rng.normal(10, 5, m), np.nan),
        ident=ident.astype(np.int64),
        protocol=rng.choice([-1, *[int(p) for p in RfProtocol if p >= 0]], size=m).astype(np.int16),
        truth=rng.integers(-1, 50, m).astype(np.int32),
        t_received=t + np.where(rng.random(m) < 0.3, rng.uniform(0, 300, m), 0.0),
        range_rate=rr,
        range_rate_var=np.where(np.isfinite(rr), rng.uniform(0, 4, m), np.nan),
    )


def assert_same_batch(a: DetectionBatch, b: DetectionBatch) -> None:
    assert len(a) == len(b)
    for name in ("sensor", "kind", "ident", "protocol", "truth"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in (
        "t",
        "t_received",
        "sensor_pos",
        "rcs_m2",
        "snr_db",
        "range_rate",
        "range_rate_var",
    ):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(a.z, b.z, rtol=1e-12, atol=1e-15, err_msg="z")
    np.testing.assert_allclose(a.R, b.R, rtol=1e-12, atol=1e-18, err_msg="R")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(0, 30), n_sensors=st.integers(1, 4))
def test_writing_then_reading_gives_the_same_batch(seed: int, m: int, n_sensors: int) -> None:
    batch = _random_batch(np.random.default_rng(seed), m, n_sensors)
    sensor_ids = [f"sensor-{i}" for i in range(n_sensors)][::-1]
    fp = io.StringIO()
    write_detections(fp, batch, ORIGIN, sensor_ids, frame_name="kb")
    back = read_detections(fp.getvalue().splitlines())
    assert back.errors == ()
    assert back.frame == ORIGIN
    assert back.sensor_ids == tuple(sensor_ids)
    assert_same_batch(back.batch, batch)


def test_writing_to_a_path_is_atomic_and_reads_back(tmp_path: Path) -> None:
    batch = _random_batch(np.random.default_rng(1), 20, 2)
    path = tmp_path / "sub" / "d.jsonl"
    write_detections(path, batch, ORIGIN, ["a", "b"])
    assert [p.name for p in path.parent.iterdir()] == ["d.jsonl"]
    assert_same_batch(read_detections(path).batch, batch)
    with pytest.raises(ValueError, match="sensor indices"):
        write_detections(path, batch, ORIGIN, ["a"])
    assert_same_batch(read_detections(path).batch, batch)  # the failed write left it alone
    assert [p.name for p in path.parent.iterdir()] == ["d.jsonl"]
