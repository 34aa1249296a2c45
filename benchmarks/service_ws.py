"""The picture service's WebSocket stream under load: 1,000 tracks at 1 Hz to 20 clients.

Issue 6 target: the server-side delta latency p99 under 100 ms and the server under half a core.

Three processes on 127.0.0.1:

* **server**: the real app (:func:`dronewall.service.create_app`) under uvicorn (``ws =
  websockets-sansio``, as ``dronewall serve``; per-message deflate on, uvicorn's default). A
  synthetic live source replaces the pipeline: ``N`` tracks around a Benelux site move every tick
  (constant velocity plus a random acceleration, so that *every* track changes every tick); each
  tick is a real :class:`~dronewall.pipeline.session.TickResult` (a ``TrackTable``, an
  ``Assessment``, WGS84 positions from the site's ENU frame) handed to
  :meth:`ServiceState.apply`, the very method the live runner calls: frame building,
  releasability labels, the alert/proposal fold, and :class:`StreamHub` fan-out. The pipeline
  itself (simulation, tracking, assessment) is not run: it is measured in ``bench_demo.py`` and
  ``tracking_vs_stonesoup.py``; this measures the service.
* **clients**: ``--clients`` WebSocket connections (the ``websockets`` library, asyncio, one
  process; they offer per-message deflate as browsers do, unless ``--no-deflate``), all with the
  full demo clearances except ``--nl-clients`` cleared for NL only (so the hub builds two messages
  per tick, one per clearance set). Each client stamps the wall clock on receipt before parsing;
  the first client of each clearance set parses every message and rebuilds the picture (sequence
  and track count checked), the others read only the header (``type``, ``seq``, ``t``): twenty
  full parses in one client process would delay the later stamps by tens of milliseconds.
* **orchestrator** (this process): starts both, waits ``--warmup`` seconds, then marks a
  ``--duration`` window in which it reads the server's CPU time from ``/proc/<pid>/stat``.

Measured in the window:

* server-side delta latency: ``StreamHub.latencies`` (``publish`` entered -> ``send_text``
  returned, one sample per client per message), plus ``apply`` (frame + fold + publish) per tick;
* end to end: receipt wall clock minus the tick time ``t`` in the message, which the source stamps
  with the wall clock just before ``apply`` (same machine, same clock);
* message sizes: JSON text per delta, and the bytes the client socket received per message (after
  deflate, with WebSocket framing);
* server CPU: ``(utime + stime)`` of the server process over the window / wall time, in cores; the
  synthetic source's own CPU (thread time of the motion model) is reported apart.

Synthetic traffic (all assumptions, A): positions uniform within ``--radius-km`` (25 km) of the
Kleine-Brogel site (coordinates from the world data, tagged there), heights 30-1,500 m, ground
speeds 5-40 m/s (small UAS to light aircraft), accelerations N(0, 1 m/s²) per axis per tick,
horizontal sigma 5-60 m; 70 % of tracks seen by Belgian sensors only, 20 % by the Dutch sensor
only, 10 % by both ([NATO]); track status 90 % confirmed, 5 % tentative, 5 % coasting.

Run: ``.venv/bin/python benchmarks/service_ws.py [--tracks 1000 --clients 20 --warmup 15
--duration 60]``. Prints a markdown section for benchmarks/RESULTS.md (``--out FILE`` also writes
it). ``--server-only-profile SECONDS`` is not offered: profile with
``py-spy record --pid <server pid>`` (the pid is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

SITE_ID = "kleine-brogel"
#: The start of every stream message (``json.dumps`` with compact separators, keys in order).
HEADER = re.compile(r'\{"type":"(?P<type>\w+)","seq":(?P<seq>\d+),"t":(?P<t>[^,]+),')
DEFLATE = {
    "uvicorn": "uvicorn's default (zlib level 6, memLevel 5), as `dronewall serve` runs",
    "off": "off (`ws_per_message_deflate=False`)",
    "level1": "zlib level 1 (experiment)",
}
#: Sensors of the synthetic deployment: 3 Belgian, 1 Dutch (labels as the service derives them).
SENSOR_LABELS: tuple[tuple[str, ...], ...] = (("BE", "NATO"),) * 3 + (("NATO", "NL"),)


# --------------------------------------------------------------------------- machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_avg() -> str:
    a, b, c = os.getloadavg()
    return f"{a:.2f}, {b:.2f}, {c:.2f}"


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # after the ")" field 3 (state) is index 0; utime is field 14, stime 15
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- synthetic source


class SyntheticSource:
    """``n`` tracks moving around a site; :meth:`tick` returns a real ``TickResult``.

    State ``x (n, 6)``: ENU position (m) and velocity (m/s) in the site's local frame; each tick
    ``v += a dt``, ``p += v dt`` with ``a ~ N(0, 1 m/s²)`` per horizontal axis; heights are kept
    within 30-1,500 m, tracks leaving ``radius`` are turned back towards the site.
    """

    def __init__(self, n: int, radius_m: float, seed: int) -> None:
        from dronewall.core.taxonomy import Identity, ObjectClass
        from dronewall.core.tracks import TrackStatus
        from dronewall.geo.frames import LocalFrame
        from dronewall.world import load_world

        site = load_world().sites[SITE_ID]
        self.site_id = site.id
        self.frame = LocalFrame(site.lat_deg, site.lon_deg, 0.0)
        self.rng = np.random.default_rng(seed)
        rng = self.rng
        self.n = n
        self.radius_m = radius_m
        r = radius_m * np.sqrt(rng.random(n))
        ang = rng.uniform(0.0, 2.0 * np.pi, n)
        speed = rng.uniform(5.0, 40.0, n)
        heading = rng.uniform(0.0, 2.0 * np.pi, n)
        self.x = np.zeros((n, 6))
        self.x[:, 0] = r * np.sin(ang)
        self.x[:, 1] = r * np.cos(ang)
        self.x[:, 2] = rng.uniform(30.0, 1500.0, n)
        self.x[:, 3] = speed * np.sin(heading)
        self.x[:, 4] = speed * np.cos(heading)
        self.x[:, 5] = rng.normal(0.0, 0.5, n)
        self.track_id = np.arange(1, n + 1, dtype=np.int64)
        u = rng.random(n)
        self.status = np.where(
            u < 0.90, TrackStatus.CONFIRMED, np.where(u < 0.95, TrackStatus.TENTATIVE, 2)
        ).astype(np.int8)
        u = rng.random(n)
        be = 0b0111 & (1 << rng.integers(0, 3, n))  # one of the Belgian sensors
        self.sensors = np.where(u < 0.7, be, np.where(u < 0.9, 0b1000, be | 0b1000)).astype(
            np.int64
        )
        self.sigma_m = rng.uniform(5.0, 60.0, n)
        self.n_class = len(ObjectClass)
        self.object_class = rng.integers(0, self.n_class, n).astype(np.int8)
        self.identity = rng.integers(0, len(Identity), n).astype(np.int8)
        self.t_first = np.full(n, time.time())
        self.k = 0
        self.gen_cpu_s = 0.0  # thread CPU spent in the motion model

    def tick(self, dt: float) -> Any:
        """Advance ``dt`` seconds and return the ``TickResult`` stamped now (wall clock)."""
        from dronewall.assess.assessor import Assessment
        from dronewall.core.measurements import DetectionBatch
        from dronewall.core.tracks import TrackTable
        from dronewall.pipeline.session import TickResult

        c0 = time.thread_time()
        n, x, rng = self.n, self.x, self.rng
        x[:, 3:5] += rng.normal(0.0, 1.0, (n, 2)) * dt
        x[:, 5] = np.clip(x[:, 5] + rng.normal(0.0, 0.2, n) * dt, -5.0, 5.0)
        rng_h = np.hypot(x[:, 0], x[:, 1])
        out = rng_h > self.radius_m  # turn back towards the site
        x[out, 3:5] = -np.abs(x[out, 3:5]) * np.sign(x[out, 0:2])
        x[:, 0:3] += x[:, 3:6] * dt
        x[:, 2] = np.clip(x[:, 2], 30.0, 1500.0)
        lla = self.frame.enu_to_lla(x[:, 0:3])
        sig = self.sigma_m * rng.uniform(0.9, 1.1, n)
        P = np.zeros((n, 6, 6))
        P[:, 0, 0] = P[:, 1, 1] = sig**2
        P[:, 2, 2] = (2.0 * sig) ** 2
        P[:, 3, 3] = P[:, 4, 4] = P[:, 5, 5] = 4.0
        probs = rng.dirichlet(np.ones(self.n_class), n)
        probs[np.arange(n), self.object_class] += 1.0
        probs /= probs.sum(axis=1, keepdims=True)
        rng_h = np.hypot(x[:, 0], x[:, 1])
        threat = np.clip(np.exp(-rng_h / 5000.0) + rng.normal(0.0, 0.01, n), 0.0, 1.0)[:, None]
        self.k += 1
        self.gen_cpu_s += time.thread_time() - c0
        t = time.time()
        tracks = TrackTable(
            t=t,
            track_id=self.track_id,
            status=self.status,
            x=x.copy(),
            P=P,
            t_first=self.t_first,
            t_update=np.full(n, t),
            hits=np.full(n, self.k + 3, np.int32),
            misses=np.zeros(n, np.int32),
            ident=np.full(n, -1, np.int64),
            rcs_dbsm=np.full(n, np.nan),
            sensors=self.sensors,
            truth=np.full(n, -1, np.int32),
        )
        false = np.zeros((n, 1), bool)
        a = Assessment(
            t=t,
            site_ids=(self.site_id,),
            track_id=self.track_id,
            confirmed=self.status != 0,
            class_probs=probs,
            object_class=self.object_class,
            p_uas=probs[:, :5].sum(axis=1),
            rf_protocol=np.full(n, -2, np.int16),
            identity=self.identity,
            threat=threat,
            range_m=rng_h[:, None],
            cpa_m=rng_h[:, None],
            tcpa_s=np.zeros((n, 1)),
            time_to_core_s=np.full((n, 1), np.inf),
            inside_alert=false,
            inside_core=false,
            top_site=np.where(threat[:, 0] > 0.0, 0, -1).astype(np.intp),
            score=threat[:, 0],
        )
        return TickResult(
            k=self.k, t=t, tracks=tracks, assessment=a, lla=lla, events=[],
            batch=DetectionBatch.empty(),
        )  # fmt: skip


def install_view(state: Any, source: SyntheticSource, store_dir: Path) -> None:
    """Serve ``source`` as a live run: a :class:`RunView` with no session (the source steps)."""
    from dronewall.picture import EventStore
    from dronewall.service.picture import Folded, TrackFrame
    from dronewall.service.releasability import TrackLabeler
    from dronewall.service.runtime import RunView

    labeler = TrackLabeler(SENSOR_LABELS)
    lat, lon = source.frame.lat_deg, source.frame.lon_deg
    sensors = [
        {"id": f"s{i}", "kind": "radar", "lat": lat, "lon": lon, "h_m": 10.0,
         "max_range_m": 30_000.0, "status": "ok", "last_report_t": None,
         "releasability": list(lab)}
        for i, lab in enumerate(SENSOR_LABELS)
    ]  # fmt: skip
    t0 = time.time()
    state.view = RunView(
        run_id=0,
        name=f"synthetic-{source.n}",
        t_start=t0,
        t_end=t0 + 86_400.0,
        tick_s=1.0,
        store=EventStore.open(store_dir / "synthetic.sqlite"),
        sites=[],
        sensors=sensors,
        fire_units=[],
        zones=[],
        labeler=labeler,
        folded=Folded(
            proposal_ttl_s=60.0,
            track_labels={},
            fallback=labeler.fallback,
            report_labels=labeler.fallback,
        ),
        frame=TrackFrame.empty(t0),
    )
    state.mode = "live"
    state.running = True


# --------------------------------------------------------------------------- server process


def level1_protocol() -> type:
    """uvicorn's websockets-sansio protocol with per-message deflate at zlib level 1 (uvicorn's
    own: level 6, memLevel 5, 12-bit windows). An experiment for the fix proposal: it replaces
    the sans-I/O connection uvicorn builds in ``__init__`` (an internal of uvicorn 0.3x)."""
    import logging

    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
    from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
    from websockets.server import ServerProtocol

    class Level1(WebSocketsSansIOProtocol):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.conn = ServerProtocol(
                extensions=[
                    ServerPerMessageDeflateFactory(
                        server_max_window_bits=12,
                        client_max_window_bits=12,
                        compress_settings={"memLevel": 5, "level": 1},
                    )
                ],
                max_size=self.config.ws_max_size,
                logger=logging.getLogger("uvicorn.error"),
            )

    return Level1


def run_server(args: argparse.Namespace) -> None:
    import uvicorn

    from dronewall.service import ServiceSettings, create_app

    work = Path(tempfile.mkdtemp(prefix="dw-bench-ws-"))
    app = create_app(ServiceSettings(tokens=Path(args.tokens), autostart=False))
    state = app.state.service
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
        ws="websockets-sansio" if args.server_deflate != "level1" else level1_protocol(),
        ws_per_message_deflate=args.server_deflate != "off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    source = SyntheticSource(args.tracks, args.radius_km * 1000.0, args.seed)
    period = 1.0 / args.rate
    applies: list[float] = []
    marks: dict[str, Any] = {}

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        nxt = loop.time()
        while True:
            nxt += period
            await asyncio.sleep(max(0.0, nxt - loop.time()))
            res = source.tick(period)
            a0 = time.perf_counter()
            state.apply(res)
            applies.append(time.perf_counter() - a0)

    def on_command(cmd: str) -> None:
        if cmd == "mark":
            state.hub.latencies.clear()
            applies.clear()
            marks.update(t=time.time(), os=os.times(), gen=source.gen_cpu_s, seq=state.hub.seq)
        elif cmd == "stop":
            ot = os.times()
            cpu = (ot.user + ot.system) - (marks["os"].user + marks["os"].system)
            out = {
                "wall_s": time.time() - marks["t"],
                "cpu_s": cpu,
                "gen_cpu_s": source.gen_cpu_s - marks["gen"],
                "ticks": state.hub.seq - marks["seq"],
                "latencies_s": list(state.hub.latencies),
                "apply_s": list(applies),
                "clients": len(state.hub),
            }
            print("RESULT " + json.dumps(out), flush=True)
        elif cmd == "exit":
            server.should_exit = True

    async def main() -> None:
        loop = asyncio.get_running_loop()
        serve = loop.create_task(server.serve())
        while not server.started:
            if serve.done():
                serve.result()
                return
            await asyncio.sleep(0.02)
        install_view(state, source, work)
        tick_task = loop.create_task(ticker())

        def read_stdin() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(on_command, line.strip())

        threading.Thread(target=read_stdin, daemon=True).start()
        print(f"READY {port} {os.getpid()}", flush=True)
        await serve
        tick_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await tick_task

    try:
        asyncio.run(main())
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --------------------------------------------------------------------------- clients process


def run_clients(args: argparse.Namespace) -> None:
    from websockets.asyncio.client import ClientConnection, connect

    class Counting(ClientConnection):
        """Counts the bytes the socket delivers (after deflate, WebSocket framing included)."""

        wire = 0

        def data_received(self, data: bytes) -> None:
            self.wire += len(data)
            super().data_received(data)

    # rows: client, seq, t, t_recv, json_chars, wire_bytes, n_tracks, n_removed
    rows: list[tuple[int, int, float, float, int, int, int, int]] = []
    problems: list[str] = []
    final_counts: list[int] = []
    stop = asyncio.Event()
    ready = 0

    async def client(i: int, token: str, verify: bool) -> None:
        nonlocal ready
        url = f"ws://127.0.0.1:{args.port}/api/v1/stream?token={token}"
        async with connect(
            url,
            compression=None if args.no_deflate else "deflate",
            max_size=None,
            create_connection=Counting,
            ping_interval=None,
        ) as ws:
            assert isinstance(ws, Counting)
            snap = json.loads(await ws.recv())
            if snap["type"] != "snapshot":
                problems.append(f"client {i}: first message {snap['type']!r}")
            known = set(snap["tracks"]["track_id"])
            seq = int(snap["seq"])
            ready += 1
            last_wire = ws.wire
            recv = asyncio.ensure_future(ws.recv())
            halt = asyncio.ensure_future(stop.wait())
            while True:
                done, _ = await asyncio.wait({recv, halt}, return_when=asyncio.FIRST_COMPLETED)
                if recv not in done:
                    recv.cancel()
                    break
                try:
                    text = recv.result()
                except Exception as exc:  # closed by the server (1013 too slow, or shut down)
                    problems.append(f"client {i}: {type(exc).__name__}: {exc}")
                    break
                t_recv = time.time()
                if not isinstance(text, str):
                    problems.append(f"client {i}: a binary message")
                    continue
                wire, last_wire = ws.wire - last_wire, ws.wire
                recv = asyncio.ensure_future(ws.recv())
                if not verify:  # the header only: parsing 20 messages would delay the stamps
                    head = HEADER.match(text)
                    if head is None:
                        problems.append(f"client {i}: unexpected message {text[:60]!r}")
                        continue
                    if int(head["seq"]) != seq + 1:
                        problems.append(f"client {i}: seq {head['seq']} after {seq}")
                    seq = int(head["seq"])
                    if head["type"] == "delta" and head["t"] != "null":
                        rows.append((i, seq, float(head["t"]), t_recv, len(text), wire, -1, -1))
                    continue
                msg = json.loads(text)
                if msg["seq"] != seq + 1:
                    problems.append(f"client {i}: seq {msg['seq']} after {seq}")
                seq = int(msg["seq"])
                ids = msg["tracks"]["track_id"]
                known.difference_update(msg["removed"])
                known.update(ids)
                if msg.get("t") is not None:
                    rows.append(
                        (i, seq, float(msg["t"]), t_recv, len(text), wire, len(ids),
                         len(msg["removed"]))
                    )  # fmt: skip
            halt.cancel()
            if verify:
                final_counts.append(len(known))

    async def main() -> None:
        tokens = ["nl-viewer-token"] * args.nl_clients + ["viewer-token"] * (
            args.clients - args.nl_clients
        )
        first = {tok: tokens.index(tok) for tok in tokens}  # one verifying client per token
        tasks = [
            asyncio.ensure_future(client(i, tok, first[tok] == i)) for i, tok in enumerate(tokens)
        ]
        while ready < len(tokens):
            if any(t.done() for t in tasks):
                for t in tasks:
                    if t.done():
                        t.result()
            await asyncio.sleep(0.05)
        print("CONNECTED", flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.readline)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        Path(args.result).write_text(
            json.dumps({"rows": rows, "problems": problems, "known": final_counts})
        )
        print("DONE", flush=True)

    asyncio.run(main())


# --------------------------------------------------------------------------- orchestrator


def pct(a: Sequence[float] | NDArray[np.float64], qs: Sequence[float]) -> list[float]:
    arr = np.asarray(a, dtype=np.float64)
    return [float(np.percentile(arr, q)) if arr.size else float("nan") for q in qs]


def expect(proc: subprocess.Popen[str], word: str, timeout_s: float) -> str:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"a benchmark process exited before {word!r} (rc {proc.poll()})")
        if line.startswith(word):
            return line[len(word) :].strip()
    raise RuntimeError(f"no {word!r} within {timeout_s:.0f} s")


def orchestrate(args: argparse.Namespace, argv: list[str]) -> str:
    from dronewall.service.testing import demo_tokens_file

    load_start = load_avg()
    tokens = demo_tokens_file()
    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--tracks", str(args.tracks), "--seed", str(args.seed), "--rate", str(args.rate),
              "--server-deflate", args.server_deflate]  # fmt: skip
    server = subprocess.Popen(
        [*me, "--role", "server", "--tokens", str(tokens), "--radius-km", str(args.radius_km),
         *common],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    clients: subprocess.Popen[str] | None = None
    try:
        port_s, pid_s = expect(server, "READY", 120).split()
        server_pid = int(pid_s)
        print(f"server pid {server_pid} on port {port_s}", file=sys.stderr)
        result = tokens.parent / "clients.json"
        clients = subprocess.Popen(
            [*me, "--role", "clients", "--port", port_s, "--clients", str(args.clients),
             "--nl-clients", str(args.nl_clients), "--result", str(result),
             *(["--no-deflate"] if args.no_deflate else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        expect(clients, "CONNECTED", 120)
        print(f"{args.clients} clients connected; warm-up {args.warmup:.0f} s", file=sys.stderr)
        time.sleep(args.warmup)
        assert server.stdin is not None
        assert clients.stdin is not None
        server.stdin.write("mark\n")
        server.stdin.flush()
        t0, cpu0, ccpu0 = time.time(), proc_cpu_s(server_pid), proc_cpu_s(clients.pid)
        load_mid = load_avg()
        print(f"measuring {args.duration:.0f} s (load {load_mid})", file=sys.stderr)
        time.sleep(args.duration)
        t1, cpu1, ccpu1 = time.time(), proc_cpu_s(server_pid), proc_cpu_s(clients.pid)
        server.stdin.write("stop\n")
        server.stdin.flush()
        srv = json.loads(expect(server, "RESULT", 60))
        clients.stdin.write("stop\n")
        clients.stdin.flush()
        expect(clients, "DONE", 60)
        cli = json.loads(result.read_text())
        server.stdin.write("exit\n")
        server.stdin.flush()
        load_end = load_avg()
    finally:
        for p in (clients, server):
            if p is not None:
                with contextlib.suppress(Exception):
                    p.wait(30)
                if p.poll() is None:
                    p.kill()
        shutil.rmtree(tokens.parent, ignore_errors=True)

    wall = t1 - t0
    cores = (cpu1 - cpu0) / wall
    rows = np.array(cli["rows"], dtype=np.float64).reshape(-1, 8)
    in_win = (rows[:, 2] >= t0) & (rows[:, 2] <= t1) if rows.size else np.zeros(0, bool)
    w = rows[in_win]
    e2e = w[:, 3] - w[:, 2]
    lat = np.asarray(srv["latencies_s"])
    app_s = np.asarray(srv["apply_s"])
    full = w[w[:, 6] == args.tracks] if w.size else w  # the verifying clients' rows
    part = w[(w[:, 6] >= 0) & (w[:, 6] != args.tracks)] if w.size else w
    ms = [50, 95, 99]

    def fmt_ms(v: Sequence[float]) -> str:
        return " / ".join(f"{x * 1e3:.1f}" for x in v)

    lat_p = pct(lat, ms)
    cmd = " ".join(shlex.quote(a) for a in [".venv/bin/python", "benchmarks/service_ws.py", *argv])
    ok_lat = lat_p[2] < 0.100
    ok_cpu = cores < 0.5
    lines = [
        "## Picture service WebSocket stream (issue 6: 1,000 tracks at 1 Hz to 20 clients)",
        "",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Machine: {cpu_model()}, "
        f"{os.cpu_count()} cores (shared), Python {platform.python_version()}. Load average "
        f"(1, 5, 15 min) at start {load_start}; at the window's start {load_mid}; at the end "
        f"{load_end}.",
        "",
        f"Command: `{cmd}`",
        "",
        f"Set-up: the real app (`create_app`) under uvicorn on 127.0.0.1 (websockets-sansio, "
        f"server per-message deflate: {DEFLATE[args.server_deflate]}, clients "
        f"{'do not offer it' if args.no_deflate else 'offer it'}), {args.tracks} synthetic "
        f"tracks within {args.radius_km:.0f} km of Kleine-Brogel moving at {args.rate:g} Hz "
        f"(every track changes every tick) fed through `ServiceState.apply`; {args.clients} "
        f"WebSocket clients in another process ({args.clients - args.nl_clients} cleared for "
        f"BE/NL/LU/NATO, {args.nl_clients} for NL only: two clearance sets). Warm-up "
        f"{args.warmup:.0f} s, then a {wall:.1f} s window ({srv['ticks']} messages).",
        "",
        "| measure | p50 / p95 / p99 (ms) | max (ms) | samples |",
        "|---|---|---|---|",
        f"| server-side delta latency (publish -> send_text returned, per client) | "
        f"**{fmt_ms(lat_p)}** | {lat.max() * 1e3:.1f} | {lat.size} |",
        f"| `ServiceState.apply` per tick (frame + fold + build messages + enqueue) | "
        f"{fmt_ms(pct(app_s, ms))} | {app_s.max() * 1e3:.1f} | {app_s.size} |",
        f"| end to end (tick stamped -> client received, all clients) | {fmt_ms(pct(e2e, ms))} "
        f"| {e2e.max() * 1e3 if e2e.size else float('nan'):.1f} | {e2e.size} |",
        "",
        "| message sizes (median per delta) | JSON text | on the wire (client socket) | tracks |",
        "|---|---|---|---|",
    ]
    for label, sel in (("full clearance", full), ("NL only", part)):
        if sel.size:
            lines.append(
                f"| {label} | {np.median(sel[:, 4]) / 1e3:.1f} kB | "
                f"{np.median(sel[:, 5]) / 1e3:.1f} kB | "
                f"{sel[:, 6].min():.0f}-{sel[:, 6].max():.0f} |"
            )
    lines += [
        "",
        f"Server CPU over the window: **{cores:.3f} cores** (`/proc/<pid>/stat`; in-process "
        f"`os.times()`: {srv['cpu_s'] / srv['wall_s']:.3f}), of which the synthetic source's "
        f"motion model {srv['gen_cpu_s'] / wall:.3f}. Clients process: "
        f"{(ccpu1 - ccpu0) / wall:.3f} cores.",
        "",
        f"Targets: server-side p99 < 100 ms: **{'met' if ok_lat else 'MISSED'}**; server < 0.5 "
        f"core: **{'met' if ok_cpu else 'MISSED'}**.",
    ]
    if cli["problems"]:
        lines += ["", "Client problems: " + "; ".join(cli["problems"][:10])]
    lines.append(
        f"Tracks known to each client at the end (snapshot + deltas): {sorted(set(cli['known']))}."
    )
    text = "\n".join(lines) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return text


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--tracks", type=int, default=1000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--nl-clients", type=int, default=2, help="clients cleared for NL only")
    ap.add_argument("--rate", type=float, default=1.0, help="ticks per second")
    ap.add_argument("--warmup", type=float, default=15.0, help="s before measuring")
    ap.add_argument("--duration", type=float, default=60.0, help="s measured")
    ap.add_argument("--radius-km", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-deflate", action="store_true", help="clients do not offer deflate")
    ap.add_argument(
        "--server-deflate",
        choices=("uvicorn", "off", "level1"),
        default="uvicorn",
        help="server per-message deflate: uvicorn's default (as `dronewall serve`), off, or "
        "zlib level 1 (an experiment)",
    )
    ap.add_argument("--out", help="also write the markdown section to this file")
    ap.add_argument("--role", choices=("orchestrator", "server", "clients"), default="orchestrator")
    ap.add_argument("--tokens", help=argparse.SUPPRESS)
    ap.add_argument("--port", help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if not 0 <= args.nl_clients <= args.clients:
        ap.error("--nl-clients must be between 0 and --clients")
    if args.role == "server":
        run_server(args)
    elif args.role == "clients":
        run_clients(args)
    else:
        print(orchestrate(args, argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
