"""``dronewall track``: a detection file in, confirmed tracks out; exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from dronewall.cli import app
from dronewall.formats import read_tracks
from dronewall.geo.frames import LocalFrame

runner = CliRunner()
T0 = 1_762_286_400.0
SITE = LocalFrame(51.17, 5.47, 70.0)
SECONDS = 25


def truth(t: float) -> tuple[np.ndarray, np.ndarray]:
    """ENU positions of the two straight targets at time ``t``: a radar one and an ADS-B one."""
    s = t - T0
    a = np.array([-1000.0, 0.0, 100.0]) + s * np.array([20.0, 0.0, 0.0])
    b = np.array([0.0, -1500.0, 200.0]) + s * np.array([0.0, 25.0, 1.0])
    return a, b


def detection_file(path: Path, *, bad: bool = True) -> Path:
    rng = np.random.default_rng(7)
    at_site = {"frame": "site", "east_m": 0.0, "north_m": 0.0, "up_m": 10.0}
    lines: list[str] = [
        json.dumps(
            {"type": "frame", "name": "site", "lat_deg": 51.17, "lon_deg": 5.47, "alt_m": 70}
        ),
        json.dumps({"type": "sensor", "id": "radar-1", "position": at_site}),
    ]
    for k in range(SECONDS):
        t = T0 + k + 0.3
        a, b = truth(t)
        za = a + rng.normal(0.0, 5.0, 3)
        lines.append(
            json.dumps(
                {
                    "t": t,
                    "sensor": "radar-1",
                    "kind": "position",
                    "position": {"frame": "site", "east_m": za[0], "north_m": za[1], "up_m": za[2]},
                    "std": [5.0, 5.0, 5.0],
                    "rcs_m2": 0.05,
                }
            )
        )
        lla = SITE.enu_to_lla(b + rng.normal(0.0, 8.0, 3))
        rec: dict[str, Any] = {
            "t": t + 0.2,
            "sensor": "adsb",
            "kind": "position",
            "position": {"lat_deg": lla[0], "lon_deg": lla[1], "alt_m": lla[2]},
            "std": [8.0, 8.0, 8.0],
            "icao": "4CA2B1",
        }
        lines.append(json.dumps(rec))
        # an azimuth-only RF bearing of target a, from the radar's site: fused into a's track
        az = float(np.degrees(np.arctan2(a[0], a[1])) % 360.0)
        lines.append(
            json.dumps(
                {
                    "t": t,
                    "sensor": "rf-1",
                    "kind": "bearing",
                    "sensor_pos": at_site,
                    "bearing": {"azimuth_deg": az},
                    "std": [3.0],
                    "protocol": "dji-ocusync",
                }
            )
        )
        if bad and k in (3, 11):
            lines.append('{"t": 17622864, "sensor": "radar-1", "kind": "position"')
            lines.append(json.dumps({**rec, "std": [8.0, 8.0]}))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(*args: str | Path) -> Any:
    return runner.invoke(app, ["track", *map(str, args)], terminal_width=200)


def test_two_straight_targets_come_out_as_two_confirmed_tracks_near_truth(tmp_path: Path) -> None:
    src = detection_file(tmp_path / "det.jsonl")
    out = tmp_path / "out" / "tracks.jsonl"
    result = run("--input", src, "--output", out)
    assert result.exit_code == 0, result.output
    # bad lines reported on stderr with line numbers and reasons, the run goes on
    assert "4 bad line(s)" in result.stderr
    assert "not valid JSON" in result.stderr
    assert "std: expected 3 values" in result.stderr
    assert "line 15:" in result.stderr
    for word in ("detections", "frames", "tracks confirmed", "scans/s", "elapsed"):
        assert word in result.stdout
    assert sorted(p.name for p in out.parent.iterdir()) == ["tracks.jsonl"]  # no temp file left

    tf = read_tracks(out)
    assert tf.frame == SITE
    assert len(tf.tables) >= SECONDS - 5
    last = tf.tables[-1]
    assert last.t == T0 + SECONDS
    assert len(last) == 2
    assert set(last.status.tolist()) == {1}  # confirmed
    a, b = truth(last.t)
    for i in range(2):
        dist = min(np.linalg.norm(last.x[i, :3] - a), np.linalg.norm(last.x[i, :3] - b))
        assert dist < 30.0
    adsb = int(np.argmin(np.linalg.norm(last.x[:, :3] - b, axis=1)))
    assert last.ident[adsb] == 0x4CA2B1
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    sensors = {tuple(r["sensors"]) for r in lines if "track" in r}
    assert sensors == {("radar-1", "rf-1"), ("adsb",)}


def test_all_tracks_writes_tentative_tracks_too(tmp_path: Path) -> None:
    src = detection_file(tmp_path / "det.jsonl", bad=False)
    run("--input", src, "--output", tmp_path / "confirmed.jsonl")
    result = run("--input", src, "--output", tmp_path / "all.jsonl", "--all-tracks")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    statuses = [t.status.tolist() for t in read_tracks(tmp_path / "all.jsonl").tables]
    assert statuses[0] == [0, 0]  # the first frame: tentative
    confirmed = read_tracks(tmp_path / "confirmed.jsonl").tables
    assert confirmed[0].t > T0 + 1  # confirmed only after M of N frames


def test_a_config_file_changes_the_tracker(tmp_path: Path) -> None:
    src = detection_file(tmp_path / "det.jsonl", bad=False)
    cfg = tmp_path / "tracker.yaml"
    cfg.write_text("confirm_m: 6\nconfirm_n: 6\n", encoding="utf-8")
    run("--input", src, "--output", tmp_path / "default.jsonl")
    result = run("--input", src, "--output", tmp_path / "slow.jsonl", "--config", cfg)
    assert result.exit_code == 0, result.output
    first_default = read_tracks(tmp_path / "default.jsonl").tables[0].t
    first_slow = read_tracks(tmp_path / "slow.jsonl").tables[0].t
    assert first_slow > first_default  # 6 of 6 needs more frames than 3 of 5


def test_frame_period_groups_detections(tmp_path: Path) -> None:
    src = detection_file(tmp_path / "det.jsonl", bad=False)
    result = run("--input", src, "--output", tmp_path / "t.jsonl", "--frame-period", "5")
    assert result.exit_code == 0, result.output
    times = [t.t - T0 for t in read_tracks(tmp_path / "t.jsonl").tables]
    assert all(x % 5.0 == 0.0 for x in times)


def test_a_missing_input_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    result = run("--input", tmp_path / "none.jsonl", "--output", out)
    assert result.exit_code == 2
    assert "none.jsonl" in result.output
    assert "file not found" in result.output
    assert not out.exists()
    result = run("--input", tmp_path, "--output", out)
    assert result.exit_code == 2
    assert "not a file" in result.output


def test_a_bad_config_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    src = detection_file(tmp_path / "det.jsonl", bad=False)
    cfg = tmp_path / "tracker.yaml"
    cfg.write_text("q_horizontal: 9\nconfirm_mm: 3\n", encoding="utf-8")
    out = tmp_path / "t.jsonl"
    result = run("--input", src, "--output", out, "--config", cfg)
    assert result.exit_code == 2
    assert f"{cfg}:2" in result.output
    assert "confirm_mm" in result.output
    assert not out.exists()


@pytest.mark.parametrize("period", ["0", "-1", "nan"])
def test_a_bad_frame_period_exits_2(tmp_path: Path, period: str) -> None:
    src = detection_file(tmp_path / "det.jsonl", bad=False)
    result = run("--input", src, "--output", tmp_path / "t.jsonl", "--frame-period", period)
    assert result.exit_code == 2
    assert "frame period" in result.output


def test_a_file_of_only_bad_lines_is_processed_with_exit_0(tmp_path: Path) -> None:
    src = tmp_path / "det.jsonl"
    src.write_text("nope\n{}\n", encoding="utf-8")
    out = tmp_path / "t.jsonl"
    result = run("--input", src, "--output", out)
    assert result.exit_code == 0, result.output
    assert "2 bad line(s)" in result.stderr
    assert "line 2: t: missing" in result.stderr
    assert out.read_text() == ""
