"""``dronewall ingest`` end to end on local sockets, against the shared captures.

The live path must give what the recorded path gives: the SBS log pushed over TCP decodes to the
same records as ``replay-capture`` of the file, garbage on the stream is counted and the records
around it kept; a TCP client input reconnects; SAPIENT nodes are served; tracks are published as
CoT and ASTERIX CAT 062 that our own decoders read back.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "adapters"))
from adapters_helpers import shared

from dronewall.adapters.asterix import AsterixDecoder
from dronewall.adapters.cot import CotDecoder
from dronewall.core.errors import ConfigError
from dronewall.formats import read_detections, read_tracks
from dronewall.pipeline.capture import replay_capture
from dronewall.pipeline.ingest import Ingest
from dronewall.pipeline.schema import IngestConfig, load_ingest_config

SBS = ("adsb-beast-sbs", "ulss7_beast_decoded_sbs.txt")
BEAST = ("adsb-beast-sbs", "ulss7-beast-bin-utc--1522782148.beast")


def _udp_sink() -> tuple[socket.socket, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 23)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.05)
    return sock, sock.getsockname()[1]


def _drain(sock: socket.socket) -> list[bytes]:
    out = []
    while True:
        try:
            out.append(sock.recv(65535))
        except TimeoutError:
            return out


def _run(
    config: dict[str, Any], record_dir: Path, client: Callable[[Ingest], Awaitable[None]]
) -> tuple[Ingest, dict[str, Any]]:
    ingest = Ingest(IngestConfig.model_validate(config), record_dir=record_dir)

    async def main() -> dict[str, Any]:
        task = asyncio.create_task(ingest.run())
        await asyncio.wait_for(ingest.started.wait(), 10)
        try:
            await client(ingest)
            await asyncio.sleep(4 * ingest.config.frame_period_s)
        finally:
            ingest.stop()
        return await asyncio.wait_for(task, 20)

    return ingest, asyncio.run(main())


def test_sbs_over_tcp_equals_the_replayed_file_and_tracks_are_published(tmp_path: Path) -> None:
    text = shared(*SBS).read_bytes()
    cot_sink, cot_port = _udp_sink()
    cat_sink, cat_port = _udp_sink()
    config = {
        "inputs": [{"name": "adsb", "format": "sbs", "listen": "tcp://127.0.0.1:0"}],
        "frame_period_s": 0.2,
        "clock": "data",
        "publish": {
            "cot": [f"udp://127.0.0.1:{cot_port}"],
            "asterix_cat062": [{"url": f"udp://127.0.0.1:{cot_port + 0}", "sac": 1, "sic": 2}],
        },
    }
    config["publish"]["asterix_cat062"][0]["url"] = f"udp://127.0.0.1:{cat_port}"
    garbage = b"MSG,3,1,1,ZZZZZZ,1,not,a,date\r\n\x00\xff junk\r\n"
    half = text.index(b"\n", len(text) // 2) + 1

    async def client(ingest: Ingest) -> None:
        bound = ingest.inputs[0].bound
        assert bound is not None
        _, writer = await asyncio.open_connection(*bound)
        for part in (text[:half], garbage, text[half:]):
            for i in range(0, len(part), 7000):  # chunks that cut lines anywhere
                writer.write(part[i : i + 7000])
                await writer.drain()
        writer.close()
        await writer.wait_closed()

    try:
        _, summary = _run(config, tmp_path / "live", client)
        cot = _drain(cot_sink)
        cat = _drain(cat_sink)
    finally:
        cot_sink.close()
        cat_sink.close()
    replay = replay_capture(shared(*SBS), tmp_path / "replay").summary

    adsb = summary["inputs"][0]
    assert adsb["connections"] == 1
    assert adsb["bytes"] == len(text) + len(garbage)
    assert adsb["records"] == replay["records"] == 728
    assert adsb["decode"]["good"] == replay["decode"]["good"]
    assert adsb["decode"]["bad"] == replay["decode"]["bad"] + 2  # the two garbage lines
    assert summary["detections"] == 728
    assert summary["records_refused"] == 0
    # what was recorded is a detection file that reads back whole
    recorded = read_detections(tmp_path / "live" / "detections.jsonl")
    assert recorded.detections == 728
    assert recorded.bad_lines == 0
    tracks = read_tracks(tmp_path / "live" / "tracks.jsonl")
    assert 8 <= summary["tracks_confirmed"] <= 20  # 11 aircraft in the log
    assert len(tracks.tables) >= 10
    # published: CoT events and CAT 062 blocks that our decoders read back as positions
    (out,) = summary["cot_outputs"]
    assert out["sent"] + out["dropped"] == summary["published_cot"]  # none lost unaccounted
    assert 0 < len(cot) <= out["sent"]  # a burst of 10 minutes of data overflows UDP buffers
    decoder = CotDecoder(transport="datagram", ignore_uid_prefixes=(), reject_stale=False)
    back = [r for d in cot for r in decoder.feed(d, 0.0)]
    assert len(back) == len(cot)
    assert decoder.log.bad == 0
    assert cat
    asterix = AsterixDecoder()
    positions = [r for d in cat for r in asterix.feed(d, summary_time(recorded))]
    assert 0 < len(positions) <= summary["published_cat062"]
    assert asterix.log.bad == 0
    assert all(r["kind"] == "position" for r in positions)


def summary_time(recorded: Any) -> float:
    """A reception time on the day of the data (CAT 062 carries only the time of day)."""
    return float(recorded.batch.t[-1])


def test_tcp_client_input_reconnects_and_counts_every_frame(tmp_path: Path) -> None:
    data = shared(*BEAST).read_bytes()
    served: list[int] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served.append(1)
        if len(served) == 1:
            writer.write(data)  # the whole log, then hang up: the client must come back
        await writer.drain()
        writer.close()

    async def client(ingest: Ingest) -> None:
        for _ in range(60):
            if ingest.inputs[0].connections >= 2:
                return
            await asyncio.sleep(0.1)

    async def with_server() -> tuple[Ingest, dict[str, Any]]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        config = {
            "inputs": [
                {
                    "name": "beast-rx",
                    "format": "beast",
                    "connect": f"tcp://127.0.0.1:{port}",
                    # the log's own 12 MHz clock, as for the file (live default: reception time)
                    "options": {"clock": "counter", "start_epoch": 1522782148.0},
                }
            ],
            "frame_period_s": 0.2,
        }
        ingest = Ingest(IngestConfig.model_validate(config), record_dir=tmp_path / "b")
        task = asyncio.create_task(ingest.run())
        await asyncio.wait_for(ingest.started.wait(), 10)
        await client(ingest)
        ingest.stop()
        summary = await asyncio.wait_for(task, 20)
        server.close()
        await server.wait_closed()
        return ingest, summary

    _, summary = asyncio.run(with_server())
    beast = summary["inputs"][0]
    assert beast["connections"] >= 2
    assert beast["bytes"] == len(data)
    assert beast["decode"]["good"] == 13948  # every frame of the log (as replayed from file)
    assert beast["decode"]["bad"] == 0
    assert beast["records"] == 728  # the positions of the file replay


def test_sapient_nodes_are_served_and_their_detections_recorded(tmp_path: Path) -> None:
    pytest.importorskip("google.protobuf")
    from pyproj import Transformer

    from dronewall.adapters.sapient import frame, parse_json, parse_payload

    folder = shared("sapient-dstl-bsi-flex-335-v2", "valid")
    registration, _ = parse_json((folder / "Registration.FullMesssage.json").read_text())
    detection, _ = parse_json((folder / "DetectionReport.FullMessage.json").read_text())
    assert registration is not None
    assert detection is not None
    e, n = Transformer.from_crs("EPSG:4326", "EPSG:32630", always_xy=True).transform(-2.0, 51.0)
    detection.detection_report.location.x, detection.detection_report.location.y = e, n
    detection.node_id = registration.node_id
    acks: list[Any] = []

    async def client(ingest: Ingest) -> None:
        bound = ingest.inputs[0].bound
        assert bound is not None
        reader, writer = await asyncio.open_connection(*bound)
        writer.write(frame(registration))
        n_bytes = int.from_bytes(await asyncio.wait_for(reader.readexactly(4), 5), "little")
        acks.append(parse_payload(await asyncio.wait_for(reader.readexactly(n_bytes), 5)))
        writer.write(frame(detection) + b"\x05\x00\x00\x00garbage")
        await writer.drain()
        await asyncio.sleep(0.3)
        writer.close()

    config = {
        "inputs": [{"name": "nodes", "format": "sapient", "listen": "tcp://127.0.0.1:0"}],
        "frame_period_s": 0.2,
    }
    _, summary = _run(config, tmp_path / "s", client)
    assert acks[0].registration_ack.acceptance
    nodes = summary["inputs"][0]
    assert nodes["records"] == 1
    assert nodes["decode"]["bad"] >= 1  # the garbage frame
    lines = (tmp_path / "s" / "detections.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["position"]["lat_deg"] == pytest.approx(51.0, abs=1e-7)
    assert record["position"]["lon_deg"] == pytest.approx(-2.0, abs=1e-7)


def test_config_errors_name_the_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "ingest.yaml"
    path.write_text(
        "inputs:\n"
        "  - name: a\n"
        "    format: sbs\n"
        "    listen: tcp://0.0.0.0:30003\n"
        "  - name: b\n"
        "    format: mode-s-magic\n"
        "    listen: udp://0.0.0.0:9\n"
    )
    with pytest.raises(ConfigError) as info:
        load_ingest_config(path)
    assert info.value.line == 6
    assert info.value.field == "inputs.1.format"
    assert "unknown format" in str(info.value)
    path.write_text("inputs:\n  - {name: a, format: sapient, connect: tcp://h:1}\n")
    with pytest.raises(ConfigError, match="SAPIENT nodes connect to us"):
        load_ingest_config(path)
    path.write_text("inputs:\n  - {name: a, format: sbs}\n")
    with pytest.raises(ConfigError, match="exactly one of listen"):
        load_ingest_config(path)
    path.write_text("inputs:\n  - {name: a, format: netrid, listen: udp://h:1}\n")
    with pytest.raises(ConfigError, match="capture files only"):
        load_ingest_config(path)
