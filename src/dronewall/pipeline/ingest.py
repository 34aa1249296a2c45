"""Live inputs into the tracker: ``dronewall ingest CONFIG``.

One asyncio loop serves every input of the configuration (:mod:`dronewall.pipeline.schema`):

* ``listen: udp://host:port``: each datagram is one ``decoder.feed`` (ASTERIX, CoT, raw Remote ID);
* ``listen: tcp://host:port``: a server; every connection gets its own decoder (stream state is
  per connection), all sharing the input's :class:`~dronewall.adapters.base.DecodeLog`;
* ``connect: tcp://host:port``: a client that reconnects with exponential backoff (1 s to 30 s)
  (SBS, Beast and AVR receivers serve their streams this way);
* ``format: sapient``: a :class:`~dronewall.adapters.sapient.SapientServer` (registration,
  acknowledgements, tasks).

The decoders' detection records are queued. Every ``frame_period_s`` the queue is converted
(:meth:`~dronewall.formats.DetectionReader.read_records`: validation and WGS84 to the local
frame), the tracker is stepped and the tracks are written and published. With ``clock: wall`` a
frame closes at the wall-clock time of the tick; with ``clock: data`` at the latest detection time
seen (a recorded stream replayed over a socket at any speed).

With a defended area (``area:`` in the configuration) every frame goes through the whole
picture (:class:`~dronewall.pipeline.session.StreamSession`): classes, identities, threats to the
area's sites, alerts and engagement proposals (decision support; a proposal nobody answers expires
at its time to live), recorded in the event store (``store:``, default
``record_dir/events.sqlite``); ``record_dir/report.html`` is written from it at the end.

Everything decoded is recorded as it arrives: ``record_dir/detections.jsonl`` (a detection file,
replayable with ``dronewall track``), ``record_dir/tracks.jsonl`` (a track file) and, at the end,
``record_dir/summary.json``. Bad input is counted per input and never stops the loop; a decoder
that raises (a bug, not bad input) is counted as ``decoder_errors`` and its data dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.registry import LiveDecoder, make_decoder
from dronewall.core.measurements import DetectionBatch
from dronewall.core.taxonomy import ObjectClass
from dronewall.formats import DetectionReader, iter_frames, write_track_header, write_tracks
from dronewall.formats.detections import write_format_record
from dronewall.geo.frames import LocalFrame
from dronewall.picture import EventStore
from dronewall.pipeline.capture import STORE_FILE, record_line
from dronewall.pipeline.schema import IngestConfig, InputSpec
from dronewall.pipeline.session import StreamSession, TickResult
from dronewall.pipeline.stream import count_scans
from dronewall.report import rebuild_command, try_write_report
from dronewall.sim import Scenario
from dronewall.tracking import MultiSensorTracker, TrackerConfig
from dronewall.world import World, load_world

log = logging.getLogger(__name__)

MAX_REPORTED_ERRORS = 1000
BACKOFF_INITIAL_S = 1.0
BACKOFF_MAX_S = 30.0
READ_CHUNK = 65536


@dataclass
class InputState:
    """Counters of one input."""

    spec: InputSpec
    log: DecodeLog
    records: int = 0
    bytes: int = 0
    datagrams: int = 0
    connections: int = 0
    decoder_errors: int = 0
    bound: tuple[str, int] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.spec.name,
            "format": self.spec.format,
            "endpoint": self.spec.listen or self.spec.connect,
            "bound": None if self.bound is None else f"{self.bound[0]}:{self.bound[1]}",
            "bytes": self.bytes,
            "datagrams": self.datagrams,
            "connections": self.connections,
            "records": self.records,
            "decoder_errors": self.decoder_errors,
            "decode": self.log.summary(),
        }


@dataclass
class IngestStats:
    """Counters of the tracker side."""

    frames: int = 0
    scans: int = 0
    detections: int = 0
    records_refused: int = 0
    confirmed: set[int] = field(default_factory=set)
    track_lines: int = 0
    published_cot: int = 0
    published_cat062: int = 0


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, ingest: Ingest, state: InputState, decoder: LiveDecoder) -> None:
        self.ingest, self.state, self.decoder = ingest, state, decoder

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.state.datagrams += 1
        self.ingest._feed(self.state, self.decoder, data)


class Ingest:
    """The live ingest loop of one configuration (module docstring).

    Parameters
    ----------
    config : IngestConfig
    tracker_config : TrackerConfig, optional
        Default: the drone defaults.
    record_dir : Path, optional
        Overrides ``config.record_dir``.
    area : Scenario, optional
        The defended area (:func:`~dronewall.pipeline.area.load_area` of ``config.area``): with
        it the whole picture is built and recorded, not only tracks.
    world : World, optional
        Default: the packaged world model (with ``area``).
    store : str or Path, optional
        The event store of the picture: overrides ``config.store`` (default
        ``record_dir/events.sqlite``).
    on_tick : callable, optional
        Called with the :class:`~dronewall.pipeline.session.TickResult` of every frame of the
        picture (with ``area``), on the loop, after it is recorded: where a live map would
        publish it.
    """

    def __init__(
        self,
        config: IngestConfig,
        tracker_config: TrackerConfig | None = None,
        *,
        record_dir: Path | None = None,
        area: Scenario | None = None,
        world: World | None = None,
        store: str | Path | None = None,
        on_tick: Callable[[TickResult], None] | None = None,
    ) -> None:
        self.config = config
        self.on_tick = on_tick
        frame = None
        if config.frame is not None:
            frame = LocalFrame(config.frame.lat_deg, config.frame.lon_deg, config.frame.alt_m)
        elif area is not None:
            frame = area.frame
        self.area = area
        self.world = world if world is not None or area is None else load_world()
        self.tracker_config = tracker_config
        self.session: StreamSession | None = None
        self._store: EventStore | None = None
        self.report: Path | None = None  # record_dir/report.html once the run has finished
        self.report_error: str | None = None  # why it was not written
        self.reader = DetectionReader([], frame=frame, max_errors=MAX_REPORTED_ERRORS)
        self.tracker = MultiSensorTracker(tracker_config or TrackerConfig())
        self.record_dir = Path(record_dir if record_dir is not None else config.record_dir)
        where = store if store is not None else config.store
        self.store_at: str | Path = (
            self.record_dir / STORE_FILE if where is None else where if "://" in str(where)
            else Path(where)
        )  # fmt: skip
        self.inputs = [InputState(spec, DecodeLog(spec.name)) for spec in config.inputs]
        self.stats = IngestStats()
        self._pending: list[DetectionRecord] = []
        self._closers: list[Callable[[], Any]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._started = asyncio.Event()
        self._held = DetectionBatch.empty()
        self._det_fp: TextIO | None = None
        self._trk_fp: TextIO | None = None
        self._header_written = False
        self._senders: list[Any] = []
        self._cat062: list[tuple[Any, tuple[str, int], int, int]] = []
        self.sapient: Any = None  # the SapientServer of a sapient input, once started

    # ------------------------------------------------------------ inputs

    def _decoder(self, state: InputState) -> LiveDecoder:
        spec = state.spec
        return make_decoder(
            spec.format,
            source=spec.name,
            sensor=spec.sensor or spec.name,
            log=state.log,
            options=spec.options,
        )

    def _feed(self, state: InputState, decoder: LiveDecoder, data: bytes) -> None:
        state.bytes += len(data)
        try:
            records = decoder.feed(data, time.time())
        except Exception:  # a decoder bug must not stop the other inputs
            state.decoder_errors += 1
            log.exception("input %s: decoder raised", state.spec.name)
            return
        self._take(state, records)

    def _take(self, state: InputState, records: list[DetectionRecord]) -> None:
        state.records += len(records)
        self._pending.extend(records)
        if self._det_fp is not None:
            for r in records:
                line = record_line(r)
                if line is not None:  # else the reader refuses it too, and counts it
                    self._det_fp.write(line)

    async def _open(self, state: InputState) -> None:
        spec = state.spec
        if spec.format == "sapient":
            await self._open_sapient(state)
            return
        if spec.listen is not None:
            url = urlsplit(spec.listen)
            host, port = url.hostname or "127.0.0.1", int(url.port or 0)
            if url.scheme == "udp":
                loop = asyncio.get_running_loop()
                decoder = self._decoder(state)
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Udp(self, state, decoder), local_addr=(host, port)
                )
                state.bound = transport.get_extra_info("sockname")[:2]
                self._closers.append(transport.close)
            else:
                server = await asyncio.start_server(
                    lambda r, w: self._serve_tcp(state, r, w), host, port
                )
                state.bound = server.sockets[0].getsockname()[:2]
                self._closers.append(server.close)
        else:
            assert spec.connect is not None
            self._tasks.append(asyncio.create_task(self._client(state)))

    async def _serve_tcp(
        self, state: InputState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        state.connections += 1
        decoder = self._decoder(state)
        try:
            await self._pump(state, decoder, reader)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _pump(
        self, state: InputState, decoder: LiveDecoder, reader: asyncio.StreamReader
    ) -> None:
        while not self._stop.is_set():
            try:
                data = await reader.read(READ_CHUNK)
            except (ConnectionError, OSError):
                break
            if not data:
                break
            self._feed(state, decoder, data)
        flush = getattr(decoder, "flush", None)
        if callable(flush):
            try:
                tail = flush()
            except Exception:
                state.decoder_errors += 1
                log.exception("input %s: decoder flush raised", state.spec.name)
            else:
                if isinstance(tail, list):
                    self._take(state, tail)

    async def _client(self, state: InputState) -> None:
        assert state.spec.connect is not None
        url = urlsplit(state.spec.connect)
        delay = BACKOFF_INITIAL_S
        while not self._stop.is_set():
            try:
                reader, writer = await asyncio.open_connection(url.hostname, url.port)
            except OSError as exc:
                log.warning("input %s: cannot connect (%s); retry in %.0f s",
                            state.spec.name, exc, delay)  # fmt: skip
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(2 * delay, BACKOFF_MAX_S)
                continue
            delay = BACKOFF_INITIAL_S
            state.connections += 1
            try:
                await self._pump(state, self._decoder(state), reader)
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()

    async def _open_sapient(self, state: InputState) -> None:
        from dronewall.adapters.sapient import SapientServer

        assert state.spec.listen is not None
        url = urlsplit(state.spec.listen)
        server = SapientServer(
            url.hostname or "127.0.0.1",
            int(url.port or 0),
            on_records=lambda records: self._take(state, records),
            **state.spec.options,
        )
        server.log = state.log
        await server.start()
        state.bound = (url.hostname or "127.0.0.1", int(server.port))
        self.sapient = server

        async def stop() -> None:
            await server.stop()

        self._closers.append(stop)

    # ------------------------------------------------------------ outputs

    def _open_outputs(self) -> None:
        from dronewall.adapters.cot import CotSender

        for url in self.config.publish.cot:
            self._senders.append(CotSender(url))
        if self.config.publish.asterix_cat062:
            import socket

            for target in self.config.publish.asterix_cat062:
                parts = urlsplit(target.url)
                sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                address = (parts.hostname or "127.0.0.1", int(parts.port or 0))
                self._cat062.append((sock, address, target.sac, target.sic))

    def _publish(self, t: float) -> None:
        if not (self._senders or self._cat062) or self.reader.frame is None:
            return
        table = self.tracker.snapshot(t)
        table = table.select(table.confirmed)
        if not len(table):
            return
        frame = self.reader.frame
        if self._senders:
            from dronewall.adapters.cot import stale_seconds, tracks_to_cot

            events = tracks_to_cot(
                table, frame, now=t, stale_s=stale_seconds(self.config.frame_period_s)
            )
            for sender in self._senders:
                sender.send_many(events)
            self.stats.published_cot += len(events)
        if self._cat062:
            from dronewall.adapters.asterix_encode import encode_cat062

            for sock, address, sac, sic in self._cat062:
                data = encode_cat062(table, frame, sac, sic, max_block_octets=1400)
                offset = 0
                while offset < len(data):  # one data block per datagram
                    n = int.from_bytes(data[offset + 1 : offset + 3], "big")
                    with contextlib.suppress(OSError):
                        sock.sendto(data[offset : offset + n], address)
                    offset += n
                self.stats.published_cat062 += len(table)

    # ------------------------------------------------------------ frames

    def _frame(self, t_wall: float, *, final: bool = False) -> None:
        """One tick: convert what arrived, step the tracker, write and publish the tracks.

        ``clock: wall``: one tracker frame ending now. ``clock: data``: the data are cut into
        frames ``[k P, (k + 1) P)`` of their own time (:func:`~dronewall.formats.iter_frames`);
        the last, still open frame is held for the next tick (closed at the ``final`` one).
        """
        records, self._pending = self._pending, []
        bad_before = self.reader.bad_lines
        batch = self.reader.read_records(records)
        self.stats.records_refused += self.reader.bad_lines - bad_before
        self.stats.detections += len(batch)
        if self.config.clock == "wall":
            self._step(batch, t_wall)
            return
        combined = DetectionBatch.concat([self._held, batch])
        self._held = DetectionBatch.empty()
        frames = list(iter_frames([combined], self.config.frame_period_s)) if len(combined) else []
        if frames and not final:
            self._held = frames.pop().batch
        for frame in frames:
            self._step(frame.batch, frame.t_end)

    def _step(self, batch: DetectionBatch, t: float) -> None:
        if not len(batch) and not len(self.tracker):
            return
        classes: list[str | None] | None = None
        if self.area is not None and self.reader.frame is not None:
            res = self._session(t).step(batch, t, self.reader.sensor_ids)
            if self.on_tick is not None:
                self.on_tick(res)
            table = res.tracks
            keep = table.confirmed
            classes = [ObjectClass(int(c)).label for c in res.assessment.object_class[keep]]
        else:
            self.tracker.step(batch, t=t)
            table = self.tracker.snapshot(t)
        self.stats.frames += 1
        self.stats.scans += count_scans(batch)
        frame = self.reader.frame
        if frame is None or self._trk_fp is None:
            return
        if not self._header_written:
            write_track_header(self._trk_fp, frame)
            self._header_written = True
        self.stats.confirmed.update(table.track_id[table.confirmed].tolist())
        table = table.select(table.confirmed)
        self.stats.track_lines += write_tracks(
            self._trk_fp, table, frame, sensor_ids=self.reader.sensor_ids, classes=classes
        )
        self._trk_fp.flush()
        if self._det_fp is not None:
            self._det_fp.flush()
        self._publish(t)

    def _session(self, t: float) -> StreamSession:
        """The picture's session, begun at the first frame (closed at ``t``)."""
        if self.session is None:
            assert self.area is not None
            assert self.world is not None
            assert self.reader.frame is not None
            self._store = EventStore.open(self.store_at)
            self.session = StreamSession(
                self.area,
                self.world,
                store=self._store,
                frame=self.reader.frame,
                t0=t - self.config.frame_period_s,
                tick_s=self.config.frame_period_s,
                source=f"dronewall ingest: {', '.join(i.spec.name for i in self.inputs)}",
                tracker_config=self.tracker_config,
            )
            self.tracker = self.session.tracker
        return self.session

    def _finish_picture(self, summary: dict[str, Any], status: str) -> None:
        """Record the end of the picture's run and write ``record_dir/report.html`` from its store
        (wherever the store is). A report that cannot be written is logged and kept in
        ``report_error``: the run is in the store, and ``dronewall report`` writes it later."""
        session, store = self.session, self._store
        if session is None or store is None:
            return
        try:
            session.finish(summary, status)
        finally:
            store.close()
            self._store = None
        if status != "finished":
            return
        elsewhere = None if self.store_at == self.record_dir / STORE_FILE else self.store_at
        self.report, self.report_error = try_write_report(self.record_dir, elsewhere)
        if self.report_error is not None:  # the run is stored; only its page is missing
            log.error(
                "no report written in %s: %s; the run is recorded in %s, and '%s' writes the "
                "report from it",
                self.record_dir, self.report_error, _store_name(self.store_at),
                rebuild_command(self.record_dir, elsewhere is not None),
            )  # fmt: skip

    # ------------------------------------------------------------ run

    @property
    def started(self) -> asyncio.Event:
        """Set once every input is open (``InputState.bound`` filled)."""
        return self._started

    def stop(self) -> None:
        """Ask the loop to finish (from the loop; from a thread: call_soon_threadsafe)."""
        self._stop.set()

    async def run(self, duration_s: float | None = None) -> dict[str, Any]:
        """Serve the inputs until :meth:`stop`, SIGINT/SIGTERM or ``duration_s``; the summary."""
        self.record_dir.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, self._stop.set)
        started = time.time()
        with (
            (self.record_dir / "detections.jsonl").open("a", encoding="utf-8") as det_fp,
            (self.record_dir / "tracks.jsonl").open("a", encoding="utf-8") as trk_fp,
        ):
            self._det_fp, self._trk_fp = det_fp, trk_fp
            if det_fp.tell() == 0:
                write_format_record(det_fp)
            self._open_outputs()
            status = "failed"
            try:
                for state in self.inputs:
                    await self._open(state)
                self._started.set()
                period = self.config.frame_period_s
                next_tick = time.monotonic() + period
                while not self._stop.is_set():
                    if duration_s is not None and time.time() - started >= duration_s:
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(
                            self._stop.wait(), max(0.0, next_tick - time.monotonic())
                        )
                    next_tick += period
                    self._frame(time.time())
                self._stop.set()
                status = "finished"
            finally:
                await self._close()
                try:
                    self._frame(time.time(), final=True)  # what arrived while closing
                except BaseException:
                    status = "failed"
                    raise
                finally:
                    for sender in self._senders:
                        sender.flush(2.0)
                        sender.close()
                    for sock, *_ in self._cat062:
                        sock.close()
                    if status == "failed" and self.session is not None:
                        with contextlib.suppress(Exception):
                            self._finish_picture({"scenario": self.session.scenario.name}, status)
        summary = self.summary(time.time() - started)
        (self.record_dir / "summary.json").write_text(
            json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8"
        )
        self._finish_picture(summary, "finished")
        return summary

    async def _close(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for close in reversed(self._closers):
            result = close()
            if asyncio.iscoroutine(result):
                with contextlib.suppress(Exception):
                    await result

    def summary(self, elapsed_s: float) -> dict[str, Any]:
        """The ingest's counters; with an area, the picture's summary (alerts and proposals by
        name, :meth:`StreamSession.summary`) merged in."""
        s = self.stats
        frame = self.reader.frame
        picture: dict[str, Any] = {}
        if self.session is not None:
            picture = {**self.session.summary(), "store": _store_name(self.store_at)}
        elif self.area is not None:
            picture = {"scenario": self.area.name, "store": None, "run_id": None}
        return picture | {
            "elapsed_s": round(elapsed_s, 3),
            "inputs": [i.summary() for i in self.inputs],
            "detections": s.detections,
            "records_refused": s.records_refused,
            "first_refused": [str(e) for e in self.reader.errors[:20]],
            "frames": s.frames,
            "scans": s.scans,
            "tracks_confirmed": len(s.confirmed),
            "track_lines": s.track_lines,
            "published_cot": s.published_cot,
            "cot_outputs": [
                {"url": c.url, "sent": c.sent, "dropped": c.dropped, "errors": c.errors}
                for c in self._senders
            ],
            "published_cat062": s.published_cat062,
            "sensors": list(self.reader.sensor_ids),
            "frame": None
            if frame is None
            else {"lat_deg": frame.lat_deg, "lon_deg": frame.lon_deg, "h_m": frame.h_m},
            "tracker_counters": dict(self.tracker.counters),
        }


def _store_name(where: str | Path) -> str:
    """The store as a person may see it (an URL without its password)."""
    if isinstance(where, Path):
        return str(where)
    head, sep, rest = where.partition("://")
    creds, at, host = rest.rpartition("@")
    if at and ":" in creds:
        creds = creds.split(":", 1)[0] + ":***"
    return f"{head}{sep}{creds}{at}{host}"
