"""``replay-capture``: every shared capture through its adapter, the detection reader and the
tracker; format detection; bad input; the CLI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))
from adapters_helpers import shared

from dronewall.adapters.registry import FORMATS, detect_format, get_format
from dronewall.cli import app
from dronewall.core.errors import ConfigError, InputError
from dronewall.formats import read_detections, read_tracks
from dronewall.pipeline.capture import replay_capture

CROATIA_RADAR = "{sac: 25, sic: %d, lat_deg: 45.74, lon_deg: 16.07, alt_m: 160.0}"
SICS = (11, 12, 13, 14, 201, 204, 205)  # the radars of cat_034_048.pcap (positions assumed)


@pytest.mark.parametrize(
    ("parts", "fmt"),
    [
        (("asterix-croatiacontrol", "cat_034_048.pcap"), "asterix"),
        (("asterix-croatiacontrol", "cat21_re.ast"), "asterix"),
        (("asterix-croatiacontrol", "cat048.raw"), "asterix"),
        (("adsb-beast-sbs", "ulss7_beast_decoded_sbs.txt"), "sbs"),
        (("adsb-beast-sbs", "beast_extract_71be34.beast"), "beast"),
        (("remoteid-opendroneid", "odid_wifi_bcn_sample.pcap"), "remoteid"),
        (("remoteid-opendroneid", "odid_bt5_lr_sample.pcapng"), "remoteid"),
        (("remoteid-dronecot-dronescout", "WiFi-beacon.json"), "remoteid"),
        (("netrid-interuss-test-flights", "zurich.json"), "netrid"),
    ],
)
def test_format_is_told_from_the_content(parts: tuple[str, str], fmt: str) -> None:
    assert detect_format(shared(*parts)) == fmt


def test_unknown_content_and_format_are_clear_errors(tmp_path: Path) -> None:
    odd = tmp_path / "notes.bin2"
    odd.write_bytes(b"\x00\x01 nothing known")
    with pytest.raises(InputError, match="give --format"):
        detect_format(odd)
    with pytest.raises(InputError, match="file not found"):
        detect_format(tmp_path / "missing.pcap")
    with pytest.raises(ConfigError, match="unknown wire format 'mode-s'"):
        get_format("mode-s")
    assert set(FORMATS) >= {"asterix", "sbs", "beast", "avr", "sapient", "cot", "remoteid"}


def test_sbs_and_beast_of_one_log_give_the_same_tracks(tmp_path: Path) -> None:
    sbs = replay_capture(shared("adsb-beast-sbs", "ulss7_beast_decoded_sbs.txt"), tmp_path / "s")
    beast = replay_capture(
        shared("adsb-beast-sbs", "ulss7-beast-bin-utc--1522782148.beast"),
        tmp_path / "b",
        options={"start_epoch": 1522782148.0},
    )
    assert sbs.summary["format"] == "sbs"
    assert beast.summary["format"] == "beast"
    assert sbs.summary["detections"] == beast.summary["detections"] == 728
    assert sbs.summary["decode"]["bad"] == 2  # the rendering tool's two trailer lines
    assert beast.summary["decode"]["bad"] == 0
    # the same aircraft become tracks either way (11 in the log)
    assert 9 <= beast.summary["tracks_confirmed"] <= 16
    assert abs(sbs.summary["tracks_confirmed"] - beast.summary["tracks_confirmed"]) <= 4
    for run in (sbs, beast):
        det = read_detections(run.out_dir / "detections.jsonl")
        assert det.bad_lines == 0
        assert det.detections == 728
        tracks = read_tracks(run.out_dir / "tracks.jsonl")
        assert tracks.tables
        summary = json.loads((run.out_dir / "summary.json").read_text())
        assert summary["records"] == 728


def test_asterix_radar_plots_need_the_radar_table(tmp_path: Path) -> None:
    path = shared("asterix-croatiacontrol", "cat_034_048.pcap")
    bare = replay_capture(path, tmp_path / "bare").summary
    assert bare["detections"] == 0
    assert any("not in the radar table" in i for i in bare["decode"]["first_issues"])
    radars = [
        {"sac": 25, "sic": sic, "lat_deg": 45.74, "lon_deg": 16.07, "alt_m": 160.0} for sic in SICS
    ]
    placed = replay_capture(path, tmp_path / "placed", options={"radars": radars}).summary
    assert placed["detections"] == 126  # 128 plots, 2 without a measured position
    assert placed["records_refused"] == 0
    with pytest.raises(ConfigError, match="radar must be a mapping"):
        replay_capture(path, tmp_path / "x", options={"radars": [3]})


def test_a_failed_replay_leaves_no_output(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match="date"):
        replay_capture(shared("asterix-croatiacontrol", "cat048.raw"), out)
    assert not out.exists()
    assert not list(tmp_path.iterdir())


def test_remote_id_capture_becomes_a_track(tmp_path: Path) -> None:
    run = replay_capture(shared("remoteid-opendroneid", "odid_wifi_bcn_sample.pcap"), tmp_path)
    assert run.summary["detections"] == 21
    assert run.summary["tracks_confirmed"] == 1
    det = read_detections(tmp_path / "detections.jsonl")
    assert det.sensor_ids == ("remoteid",)
    assert det.batch.ident[0] >= 0  # the serial number is the cooperative identity


def test_cli_replay_capture_with_an_options_file(tmp_path: Path) -> None:
    options = tmp_path / "radars.yaml"
    options.write_text("radars:\n" + "".join(f"  - {CROATIA_RADAR % sic}\n" for sic in SICS))
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "replay-capture",
            str(shared("asterix-croatiacontrol", "cat_034_048.pcap")),
            "--out",
            str(tmp_path / "run"),
            "--options",
            str(options),
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["detections"] == 126
    bad = runner.invoke(
        app,
        [
            "replay-capture",
            str(shared("asterix-croatiacontrol", "cat048.raw")),
            "--out",
            str(tmp_path / "raw"),
            "--option",
            "date=not-a-date",
        ],
    )
    assert bad.exit_code == 2
    assert "not an ISO date" in bad.output
    good = runner.invoke(
        app,
        [
            "replay-capture",
            str(shared("asterix-croatiacontrol", "cat048.raw")),
            "--out",
            str(tmp_path / "raw"),
            "--option",
            "date=2016-05-05",
            "--options",
            str(options),
        ],
    )
    assert good.exit_code == 0, good.output


def test_cli_ingest_runs_for_a_duration(tmp_path: Path) -> None:
    config = tmp_path / "ingest.yaml"
    config.write_text(
        "inputs:\n"
        "  - {name: radar, format: asterix, listen: 'udp://127.0.0.1:0'}\n"
        "  - {name: tak, format: cot, listen: 'udp://127.0.0.1:0'}\n"
        f"record_dir: {tmp_path / 'rec'}\n"
        "frame_period_s: 0.2\n"
    )
    result = CliRunner().invoke(app, ["ingest", str(config), "--duration", "1"])
    assert result.exit_code == 0, result.output
    assert "input radar (asterix): 127.0.0.1:" in result.output
    summary = json.loads((tmp_path / "rec" / "summary.json").read_text())
    assert [i["name"] for i in summary["inputs"]] == ["radar", "tak"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("inputs: []\n")
    result = CliRunner().invoke(app, ["ingest", str(bad)])
    assert result.exit_code == 2
    assert "inputs" in result.output


def test_a_record_that_is_not_strict_json_is_refused_and_counted(tmp_path: Path) -> None:
    import io
    import math

    from dronewall.formats import DetectionReader
    from dronewall.pipeline.capture import _tee, record_line

    good = {"t": 1.0, "sensor": "a", "kind": "position", "std": [5.0, 5.0, 5.0],
            "position": {"lat_deg": 51.0, "lon_deg": 4.0, "alt_m": 10.0}}  # fmt: skip
    bad = {**good, "position": {"lat_deg": math.nan, "lon_deg": 4.0, "alt_m": 10.0}}
    assert record_line(bad) is None
    fp = io.StringIO()
    reader = DetectionReader(_tee(iter([good, bad, good]), fp, [0]))
    batches = list(reader)
    assert sum(len(b) for b in batches) == 2
    assert reader.bad_lines == 1
    assert "must be finite" in reader.errors[0].reason
    assert len(fp.getvalue().splitlines()) == 3  # the format line and the two good records


@pytest.mark.parametrize(
    "parts",
    [
        ("asterix-croatiacontrol", "cat_034_048.pcap"),
        ("adsb-beast-sbs", "py1090_docs_sbs_excerpt.sbs"),
        ("remoteid-opendroneid", "odid_wifi_bcn_sample.pcap"),
    ],
)
def test_an_option_the_decoder_does_not_take_is_a_config_error(
    parts: tuple[str, str], tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="unexpected keyword argument 'foo'"):
        replay_capture(shared(*parts), tmp_path / "out", options={"foo": 1})
    assert not (tmp_path / "out").exists()
