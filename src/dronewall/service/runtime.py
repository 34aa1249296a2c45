"""The service's state: the run it serves (live or replayed), the stream hub, the live runner.

One :class:`ServiceState` per app. All picture state is touched on the event loop thread only;
the pipeline tick runs in a worker thread (``asyncio.to_thread``) under the session's lock, and
its :class:`~dronewall.pipeline.session.TickResult` is applied back on the loop.

Live inputs (:class:`IngestSettings`, ``dronewall serve --ingest CONFIG``): an
:class:`~dronewall.pipeline.ingest.Ingest` with the configuration's defended area runs its own
event loop in a background thread; its ``on_tick`` hands each frame's ``TickResult`` (and, when a
sensor reports for the first time, the run's sensor rows) to the service loop
(``call_soon_threadsafe``), where :meth:`ServiceState.apply_stream` folds it as a scenario tick
is folded. The service is then in ``mode`` ``"ingest"``. The defended area (sites, no-fire zones,
fire units with their full magazines) is served from the start (:func:`area_view`, a view with no
run yet and no tracks); the run begins at the first frame with detections and its view
(:func:`stream_view`) replaces it. The frames come from the inputs, so the scenario controls
(start, pause, resume, speed) answer 409. When the service stops, the ingest writes
``record_dir/summary.json`` and ``report.html``, read back from its store wherever that is
(``record_dir/events.sqlite`` by default, or ``--db``, ``store:``).

Modes (``/api/v1/health`` ``mode``): ``idle`` (nothing loaded), ``live`` (a scenario run live),
``ingest`` (live inputs), ``replay`` (a recorded run, read-only).

Stores: a live run writes through the session's own :class:`~dronewall.picture.EventStore`; the
API reads the past (``?at=T``, histories) and writes the audit log through a second store on the
same database (its own connection pool), so that requests never share the writer's connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import tempfile
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

import dronewall
from dronewall.core.errors import ConfigError, DronewallError, StoreError
from dronewall.picture import EventStore
from dronewall.pipeline.area import load_area
from dronewall.pipeline.ingest import Ingest
from dronewall.pipeline.schema import IngestConfig, load_ingest_config
from dronewall.pipeline.session import HumanOperator, RunSession, StreamSession, TickResult
from dronewall.report.html import REPORT_FILE
from dronewall.service.audit import AuditLog
from dronewall.service.auth import Principal
from dronewall.service.picture import Folded, TrackFrame
from dronewall.service.releasability import (
    TrackLabeler,
    common_labels,
    nation_labels,
    nearest_nation,
)
from dronewall.service.settings import ServiceSettings
from dronewall.sim import Scenario, load_scenario
from dronewall.world import World, load_world

log = logging.getLogger(__name__)

#: Messages a WebSocket client may fall behind by before it is dropped.
CLIENT_QUEUE = 64
#: Points of the polygon drawn for a circular zone.
ZONE_POINTS = 48
#: Seconds to wait for the inputs of ``--ingest`` to open, and for them to close.
INGEST_TIMEOUT_S = 30.0
#: The answer of the scenario controls when the picture comes from live inputs.
NO_SCENARIO_CONTROL = "live inputs: no scenario control"
#: Modes in which a person acts on the picture (acknowledges alerts, decides proposals).
ACTIVE_MODES = frozenset({"live", "ingest"})


class ServiceError(DronewallError):
    """A request the service refuses; ``status`` is the HTTP status to answer with."""

    status: int = 400

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True, kw_only=True)
class IngestSettings(ServiceSettings):
    """Settings of a service over live inputs: :class:`ServiceSettings` plus ``ingest``.

    Attributes
    ----------
    ingest : Path
        An ingest configuration (docs/ingest.md) with an ``area:``; its inputs feed the map, and
        ``/api/v1/health`` says ``mode: "ingest"``. ``db`` (if given) overrides the
        configuration's ``store``; the default is ``record_dir/events.sqlite``. When the service
        stops, ``record_dir`` gets ``summary.json`` and ``report.html`` (read from the store,
        wherever it is).
    """

    ingest: Path | None = None

    def __post_init__(self) -> None:
        ServiceSettings.__post_init__(self)  # slotted dataclass: no zero-argument super()
        if self.ingest is None:
            raise ConfigError("no ingest configuration given", field="ingest")
        if self.scenario is not None or self.replay is not None:
            raise ConfigError(
                "give live inputs, a scenario or a replay: only one of them",
                field="ingest",
                actual=f"scenario={self.scenario!r}, replay={self.replay!s}",
            )


def load_ingest_area(path: Path, world: World) -> tuple[IngestConfig, Scenario]:
    """The ingest configuration at ``path`` and its defended area (``area:``, required here).

    Raises
    ------
    ConfigError
        The configuration is invalid, or has no ``area:`` (the map needs sites to defend).
    """
    cfg = load_ingest_config(path)
    if cfg.area is None:
        raise ConfigError(
            "the live map needs a defended area: add 'area:' (a built-in scenario name or an "
            "area file) to the ingest configuration",
            source=str(path),
            field="area",
            expected="a built-in scenario name or an area file",
            actual="missing",
        )
    return cfg, load_area(cfg.area, world, relative_to=Path(path).parent)


def _circle(lat: float, lon: float, radius_m: float) -> dict[str, Any]:
    """A GeoJSON polygon approximating a circle (spherical, R = 6371 km)."""
    ang = np.linspace(0.0, 2.0 * np.pi, ZONE_POINTS + 1)
    dlat = np.degrees(radius_m * np.cos(ang) / 6_371_000.0)
    dlon = np.degrees(radius_m * np.sin(ang) / (6_371_000.0 * math.cos(math.radians(lat))))
    ring = [[round(lon + b, 6), round(lat + a, 6)] for a, b in zip(dlat, dlon, strict=True)]
    ring[-1] = ring[0]
    return {"type": "Polygon", "coordinates": [ring]}


@dataclass(slots=True)
class RunView:
    """What is being served: one run's set-up, its folded events and its latest frame.

    ``run_id`` is ``None`` for the defended area of live inputs before their first frame
    (:func:`area_view`): no run is recorded yet, so there are no tracks, alerts or proposals.
    """

    run_id: int | None
    name: str
    t_start: float
    t_end: float
    tick_s: float
    store: EventStore
    sites: list[dict[str, Any]]
    sensors: list[dict[str, Any]]
    fire_units: list[dict[str, Any]]
    zones: list[dict[str, Any]]
    labeler: TrackLabeler
    folded: Folded
    frame: TrackFrame
    session: RunSession | StreamSession | None = None
    last_report: dict[int, float] = field(default_factory=dict)

    def frame_at(self, t: float) -> TrackFrame:
        """The recorded picture at ``t`` (clamped to the run so far)."""
        if self.run_id is None:
            return self.frame
        now = self.frame.t if self.session is not None else self.t_end
        t = min(max(t, self.t_start), now)
        up = self.store.track_updates(self.run_id, t_from=t - 0.999 * self.tick_s, t_to=t + 1e-6)
        return TrackFrame.from_updates(up, t, self.folded.track_labels, self.labeler.fallback)


def _sensor_row(
    sid: str, kind: str, lat: float, lon: float, h_m: float, max_range_m: float | None, sites: Any
) -> dict[str, Any]:
    rng = None if max_range_m is None or not math.isfinite(max_range_m) else float(max_range_m)
    return {
        "id": sid,
        "kind": kind,
        "lat": lat,
        "lon": lon,
        "h_m": h_m,
        "max_range_m": rng,
        "status": "ok",
        "last_report_t": None,
        "releasability": list(nation_labels(nearest_nation(lat, lon, sites))),
    }


def _site_row(s: Mapping[str, Any], country: str | None) -> dict[str, Any]:
    return {
        "id": s["id"],
        "name": s["name"],
        "kind": s.get("kind"),
        "lat": s["lat"],
        "lon": s["lon"],
        "alert_radius_m": s.get("alert_radius_m"),
        "core_radius_m": s.get("core_radius_m"),
        "value": s.get("value"),
        "releasability": list(nation_labels(country)),
    }


def _area_rows(
    sc: Scenario,
) -> tuple[
    list[tuple[float, float, str]],
    list[dict[str, Any]],
    list[dict[str, Any]],
    list[dict[str, Any]],
]:
    """Site nations, sites, fire units and no-fire zones of a scenario or defended area."""
    site_nat = [(s.lat_deg, s.lon_deg, s.country) for s in sc.sites]
    sites = [
        _site_row(
            {
                "id": s.id,
                "name": s.name,
                "kind": s.kind,
                "lat": s.lat_deg,
                "lon": s.lon_deg,
                "alert_radius_m": s.alert_radius_m,
                "core_radius_m": s.core_radius_m,
                "value": s.value,
            },
            s.country,
        )
        for s in sc.sites
    ]
    fire_units = [
        {
            "id": f.id,
            "effector": f.effector.id,
            "layer": f.effector.layer.label,
            "lat": f.lat_deg,
            "lon": f.lon_deg,
            "stock": None,
            "max_range_m": f.effector.max_range_m,
            "releasability": list(nation_labels(f.nation)),
        }
        for f in sc.fire_units
    ]
    zones = [
        {
            "name": z.name,
            "kind": "no-fire",
            "radius_m": z.radius_m,
            "geometry": _circle(z.lat_deg, z.lon_deg, z.radius_m),
            "releasability": list(nation_labels(nearest_nation(z.lat_deg, z.lon_deg, site_nat))),
        }
        for z in sc.roe.no_fire_zones
    ]
    return site_nat, sites, fire_units, zones


def _full_stock(sc: Scenario) -> list[int | None]:
    """Rounds each fire unit of ``sc`` holds before any engagement (``None``: unlimited)."""
    out: list[int | None] = []
    for f in sc.fire_units:
        m = f.magazine if f.magazine is not None else f.effector.magazine
        out.append(None if m is None else int(m))
    return out


def _folded(sensors: list[dict[str, Any]], proposal_ttl_s: float) -> tuple[TrackLabeler, Folded]:
    labeler = TrackLabeler([tuple(s["releasability"]) for s in sensors])
    reports = [tuple(s["releasability"]) for s in sensors if s["kind"] == "sightings"]
    folded = Folded(
        proposal_ttl_s=proposal_ttl_s,
        track_labels={},
        fallback=labeler.fallback,
        report_labels=common_labels(reports) if reports else labeler.fallback,
    )
    return labeler, folded


def _area_view(
    area: Scenario,
    reader: EventStore,
    area_rows: tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]],
    sensors: list[dict[str, Any]],
    *,
    run_id: int | None,
    t_start: float,
    t_end: float,
    tick_s: float,
    t_frame: float,
    session: RunSession | StreamSession | None,
) -> RunView:
    """A view over ``area``'s sites, fire units and zones (``area_rows``) and ``sensors``, with
    an empty picture at ``t_frame``: what the live, live-inputs and area-only views share."""
    sites, fire_units, zones = area_rows
    labeler, folded = _folded(sensors, area.policy.proposal_ttl_s)
    return RunView(
        run_id=run_id,
        name=area.name,
        t_start=t_start,
        t_end=t_end,
        tick_s=tick_s,
        store=reader,
        sites=sites,
        sensors=sensors,
        fire_units=fire_units,
        zones=zones,
        labeler=labeler,
        folded=folded,
        frame=TrackFrame.empty(t_frame),
        session=session,
    )


def live_view(session: RunSession, reader: EventStore) -> RunView:
    """The view of a live session."""
    sc, sim = session.scenario, session.sim
    site_nat, sites, fire_units, zones = _area_rows(sc)
    sensors = [
        _sensor_row(s.id, s.kind, s.lat_deg, s.lon_deg, s.h_m, s.max_range_m, site_nat)
        for s in sim.sensors
    ]
    return _area_view(
        sc,
        reader,
        (sites, fire_units, zones),
        sensors,
        run_id=session.run_id,
        t_start=sc.t0,
        t_end=session.t_end,
        tick_s=sc.tick_s,
        t_frame=sc.t0,
        session=session,
    )


def _stream_sensor_rows(
    rows: list[dict[str, Any]], site_nat: list[tuple[float, float, str]]
) -> list[dict[str, Any]]:
    return [
        _sensor_row(
            str(s["sensor_id"]),
            str(s["kind"]),
            float(s["lat"]),
            float(s["lon"]),
            float(s.get("h_m") or 0.0),
            s.get("max_range_m"),
            site_nat,
        )
        for s in rows
    ]


def stream_view(
    session: StreamSession, reader: EventStore, sensor_rows: list[dict[str, Any]] | None = None
) -> RunView:
    """The view of a session over live inputs (:class:`StreamSession`).

    Sites, fire units and no-fire zones are the defended area's (``session.scenario``); the
    sensors are those the session has recorded so far (``sensor_rows``: the store's ``sensors``
    rows of the run, by index; default: read from ``reader``), refreshed by
    :meth:`ServiceState.apply_stream` as new ones report. The run has no end: ``t_end`` follows
    the last frame.
    """
    sc = session.scenario
    site_nat, sites, fire_units, zones = _area_rows(sc)
    rows = reader.sensors(session.run_id) if sensor_rows is None else sensor_rows
    sensors = _stream_sensor_rows(rows, site_nat)
    return _area_view(
        sc,
        reader,
        (sites, fire_units, zones),
        sensors,
        run_id=session.run_id,
        t_start=session.t0,
        t_end=session.t,
        tick_s=session.tick_s,
        t_frame=session.t,
        session=session,
    )


def area_view(area: Scenario, reader: EventStore, t: float) -> RunView:
    """The view of live inputs before their first frame: the defended area, nothing else.

    Sites, fire units (with full magazines) and no-fire zones are ``area``'s; no sensor has
    reported yet, no run is recorded (``run_id`` ``None``), the picture is empty at ``t`` (UTC
    epoch s, the service's start). :meth:`ServiceState.apply_stream` replaces it by the run's
    :func:`stream_view` at the first frame.
    """
    _, sites, fire_units, zones = _area_rows(area)
    for row, stock in zip(fire_units, _full_stock(area), strict=True):
        row["stock"] = stock
    return _area_view(
        area,
        reader,
        (sites, fire_units, zones),
        [],
        run_id=None,
        t_start=t,
        t_end=t,
        tick_s=1.0,
        t_frame=t,
        session=None,
    )


def _public_url(url: str) -> str:
    """An endpoint URL as a person may see it: without user name or password."""
    parts = urlsplit(url)
    if parts.hostname is None or "@" not in parts.netloc:
        return url
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def replay_view(store: EventStore, world: World) -> RunView:
    """The view of the last run recorded in ``store``, at its end."""
    runs = store.runs()
    if not runs:
        raise StoreError("the event store holds no run", source=store.source)
    run = runs[-1]
    rid = run.run_id
    site_rows = store.sites(rid)
    countries = {sid: s.country for sid, s in world.sites.items()}
    site_nat = [
        (float(s["lat"]), float(s["lon"]), countries.get(s["site_id"], "")) for s in site_rows
    ]
    site_nat = [x for x in site_nat if x[2]]
    sites = [_site_row({**s, "id": s["site_id"]}, countries.get(s["site_id"])) for s in site_rows]
    sensors = [
        _sensor_row(
            s["sensor_id"],
            s["kind"],
            s["lat"],
            s["lon"],
            s.get("h_m") or 0.0,
            s.get("max_range_m"),
            site_nat,
        )
        for s in store.sensors(rid)
    ]
    nations: dict[str, str] = {}
    zones: list[dict[str, Any]] = []
    policy_ttl = float(run.config.get("policy", {}).get("proposal_ttl_s", 60.0))
    src = run.config.get("scenario_source")
    with contextlib.suppress(DronewallError, OSError, ValueError):
        sc = load_area(str(src) if src else run.scenario, world)
        nations = {f.id: f.nation for f in sc.fire_units}
        zones = [
            {
                "name": z.name,
                "kind": "no-fire",
                "radius_m": z.radius_m,
                "geometry": _circle(z.lat_deg, z.lon_deg, z.radius_m),
                "releasability": list(
                    nation_labels(nearest_nation(z.lat_deg, z.lon_deg, site_nat))
                ),
            }
            for z in sc.roe.no_fire_zones
        ]
    fire_units = [
        {
            "id": f["fire_unit_id"],
            "effector": f["effector_id"],
            "layer": f["layer"],
            "lat": f["lat"],
            "lon": f["lon"],
            "stock": f.get("magazine"),
            "max_range_m": (
                world.effectors[f["effector_id"]].max_range_m
                if f["effector_id"] in world.effectors
                else None
            ),
            "releasability": list(
                nation_labels(
                    nations.get(f["fire_unit_id"])
                    or nearest_nation(float(f["lat"]), float(f["lon"]), site_nat)
                )
            ),
        }
        for f in store.fire_units(rid)
    ]
    labeler = TrackLabeler([tuple(s["releasability"]) for s in sensors])
    reports = [tuple(s["releasability"]) for s in sensors if s["kind"] == "sightings"]
    folded = Folded(
        proposal_ttl_s=policy_ttl,
        track_labels={},
        fallback=labeler.fallback,
        report_labels=common_labels(reports) if reports else labeler.fallback,
    )
    folded.fold(store.events(rid))
    folded.drain()
    for e in store.audit_entries():
        if e["action"] == "acknowledge" and e["item"] in folded.alerts:
            folded.acknowledge(e["item"], e["user"])
    folded.drain()
    duration = float(run.config.get("duration_s", 0.0))
    tick_s = float(run.config.get("tick_s", 1.0))
    last = store.track_updates(rid, t_from=run.t0 + duration - 2 * tick_s)
    t_end = float(last.t.max()) if len(last) else run.t0 + duration
    view = RunView(
        run_id=rid,
        name=run.scenario,
        t_start=run.t0,
        t_end=t_end,
        tick_s=tick_s,
        store=store,
        sites=sites,
        sensors=sensors,
        fire_units=fire_units,
        zones=zones,
        labeler=labeler,
        folded=folded,
        frame=TrackFrame.empty(t_end),
    )
    view.frame = view.frame_at(t_end)
    return view


class _Client:
    __slots__ = ("clearances", "queue")

    def __init__(self, clearances: frozenset[str]) -> None:
        self.clearances = clearances
        self.queue: asyncio.Queue[tuple[float, str] | None] = asyncio.Queue(CLIENT_QUEUE)


class StreamHub:
    """WebSocket fan-out: one delta message per tick per clearance set, shared by its clients.

    For each clearance set the hub remembers which track ids its clients were last sent, so that a
    track that leaves their view (deleted, or no longer releasable to them) is listed in
    ``removed``.
    """

    def __init__(self) -> None:
        self.seq = 0
        self._clients: set[_Client] = set()
        self._visible: dict[frozenset[str], set[int]] = {}
        #: Server-side delta latency samples, s: tick applied -> message handed to the socket.
        self.latencies: deque[float] = deque(maxlen=100_000)

    def __len__(self) -> int:
        return len(self._clients)

    def connect(
        self, who: Principal, view: RunView | None, status: dict[str, Any]
    ) -> tuple[_Client, str]:
        """Register a client; return it and its snapshot message (JSON)."""
        client = _Client(who.clearances)
        self._clients.add(client)
        if view is None:
            tracks: dict[str, list[Any]] = TrackFrame.empty(0.0).columns([])
            alerts: list[dict[str, Any]] = []
            props: list[dict[str, Any]] = []
            t = status.get("t")
            ids: set[int] = set()
        else:
            rows = view.frame.visible(who).tolist()
            tracks = view.frame.columns(rows)
            ids = set(tracks["track_id"])
            alerts = [a for a in view.folded.alerts.values() if who.cleared_for(a["releasability"])]
            props = [
                p for p in view.folded.proposals.values() if who.cleared_for(p["releasability"])
            ]
            t = view.frame.t if view.run_id is not None else status.get("t")
        vis = self._visible.setdefault(who.clearances, set(ids))
        vis.clear()
        vis.update(ids)
        msg = {
            "type": "snapshot",
            "seq": self.seq,
            "t": t,
            "tracks": tracks,
            "alerts": alerts,
            "proposals": props,
            "status": status,
        }
        return client, json.dumps(msg, separators=(",", ":"))

    def disconnect(self, client: _Client) -> None:
        self._clients.discard(client)

    def publish(
        self,
        frame: TrackFrame | None,
        prev: TrackFrame | None,
        alerts: list[dict[str, Any]],
        props: list[dict[str, Any]],
        status: dict[str, Any],
    ) -> None:
        """Send one delta to every client (a status-only delta when ``frame`` is None)."""
        t0 = time.perf_counter()
        self.seq += 1
        changed, _gone = frame.changed_rows(prev) if frame is not None else (set(), set())
        by_group: dict[frozenset[str], str] = {}
        for client in list(self._clients):
            key = client.clearances
            text = by_group.get(key)
            if text is None:
                text = by_group[key] = self._delta(key, frame, changed, alerts, props, status)
            try:
                client.queue.put_nowait((t0, text))
            except asyncio.QueueFull:
                log.warning("a WebSocket client fell %d messages behind; dropped", CLIENT_QUEUE)
                self._clients.discard(client)
                with contextlib.suppress(asyncio.QueueEmpty):
                    client.queue.get_nowait()
                client.queue.put_nowait(None)

    def _delta(
        self,
        clearances: frozenset[str],
        frame: TrackFrame | None,
        changed: set[int],
        alerts: list[dict[str, Any]],
        props: list[dict[str, Any]],
        status: dict[str, Any],
    ) -> str:
        def ok(labels: Any) -> bool:
            return not clearances.isdisjoint(labels)

        vis = self._visible.setdefault(clearances, set())
        if frame is None:
            tracks = TrackFrame.empty(0.0).columns([])
            removed: list[int] = []
            t = status.get("t")
        else:
            ids = frame.cols["track_id"]
            now_rows = [i for i, lab in enumerate(frame.labels) if ok(lab)]
            now_ids = {ids[i] for i in now_rows}
            rows = [i for i in now_rows if i in changed or ids[i] not in vis]
            removed = sorted(vis - now_ids)
            vis.clear()
            vis.update(now_ids)
            tracks = frame.columns(rows)
            t = frame.t
        msg = {
            "type": "delta",
            "seq": self.seq,
            "t": t,
            "tracks": tracks,
            "removed": removed,
            "alerts": [a for a in alerts if ok(a["releasability"])],
            "proposals": [p for p in props if ok(p["releasability"])],
            "status": status,
        }
        return json.dumps(msg, separators=(",", ":"))


class ServiceState:
    """Everything one app serves; built by :meth:`start`, torn down by :meth:`stop`."""

    def __init__(self, settings: ServiceSettings, world: World | None = None) -> None:
        self.settings = settings
        self.world = world or load_world()
        #: ``idle``, ``live`` (a scenario), ``ingest`` (live inputs) or ``replay``.
        self.mode = "idle"
        self.view: RunView | None = None
        self.speed = float(settings.speed)
        self.paused = False
        self.running = False
        self.hub = StreamHub()
        self.audit: AuditLog | None = None
        self._writer: EventStore | None = None
        self._reader: EventStore | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._db: str | None = None
        self.ticks_applied = 0
        # live inputs (IngestSettings): the ingest, its thread and event loop
        self.ingest: Ingest | None = None
        self.ingest_config: Path | None = None
        self.ingest_summary: dict[str, Any] | None = None
        self.ingest_report: Path | None = None
        self._ingest_thread: threading.Thread | None = None
        self._ingest_loop: asyncio.AbstractEventLoop | None = None
        self._ingest_ready = threading.Event()
        self._ingest_error: BaseException | None = None
        self._service_loop: asyncio.AbstractEventLoop | None = None
        self._known_sensors = 0

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        if self._reader is not None:
            return  # already started (a second lifespan on the same app)
        s = self.settings
        if s.replay is not None:
            path = Path(s.replay)
            db = path / "events.sqlite" if path.is_dir() else path
            store = await asyncio.to_thread(EventStore.open, db, create=False)
            self._reader = store
            self.audit = AuditLog(store)
            self.view = await asyncio.to_thread(replay_view, store, self.world)
            self.mode = "replay"
            return
        if isinstance(s, IngestSettings) and s.ingest is not None:
            await self._start_ingest(s.ingest)
            return
        if s.db is not None:
            self._db = s.db
        else:
            folder = Path(tempfile.mkdtemp(prefix="dronewall-serve-"))
            self._db = str(folder / "events.sqlite")
        self._writer = await asyncio.to_thread(EventStore.open, self._db)
        self._reader = await asyncio.to_thread(EventStore.open, self._db, create=False)
        self.audit = AuditLog(self._reader)
        if s.scenario is not None:
            await self.load(s.scenario, s.seed)
            if s.autostart:
                self.resume_running()

    async def stop(self) -> None:
        await self._halt()
        await self._stop_ingest()
        for store in (self._writer, self._reader):
            if store is not None:
                store.close()

    async def _halt(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.running = False

    async def load(self, scenario: str, seed: int) -> None:
        """Load a scenario as a new live run (not yet running); the previous one is ended."""
        if self.ingest is not None:
            raise ServiceError(409, NO_SCENARIO_CONTROL)
        await self._halt()
        if self._writer is None:
            raise ServiceError(409, "the service has no store to record a live run in")
        old = self.view.session if self.view is not None else None
        if old is not None and not old.finished:
            # a run stopped before its first tick has nothing to score
            summary = old.summary() if old.k > 0 else {"scenario": old.scenario.name}
            await asyncio.to_thread(old.finish, {**summary, "stopped_early": True, "ticks": old.k})
        world, writer = self.world, self._writer

        def make() -> RunSession:
            sc = load_scenario(scenario, world)
            return RunSession(
                sc,
                world,
                seed=seed,
                store=writer,
                operator=HumanOperator(sc.policy.proposal_ttl_s),
            )

        session = await asyncio.to_thread(make)
        assert self._reader is not None
        self.view = live_view(session, self._reader)
        self.mode = "live"
        self.paused = False
        self.hub.publish(TrackFrame.empty(session.t), None, [], [], self.status())

    def resume_running(self) -> None:
        """Start (or restart after a pause) the live runner task."""
        self.paused = False
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        self.running = True
        self._wake.set()

    # ------------------------------------------------------------------ ticking

    async def step(self) -> TickResult | None:
        """Run one tick now (in a worker thread) and publish it; ``None`` when the run is over."""
        view = self.view
        if view is None or view.session is None:
            raise ServiceError(409, "no live scenario is loaded")
        session = view.session
        if not isinstance(session, RunSession):
            raise ServiceError(409, NO_SCENARIO_CONTROL)
        if session.done:
            return None
        res = await asyncio.to_thread(session.step)
        self.apply(res)
        if session.k >= session.n_ticks:
            await self._finish(session)
        return res

    async def _finish(self, session: RunSession) -> None:
        summary = session.summary()
        await asyncio.to_thread(session.finish, summary)
        self.running = False
        self.hub.publish(None, None, [], [], self.status())
        cb = self.settings.on_finish
        if cb is not None:
            try:
                await asyncio.to_thread(cb, session, summary)
            except Exception:  # the service keeps serving what it has
                log.exception("the on_finish callback failed")

    # ------------------------------------------------------------------ live inputs

    async def _start_ingest(self, path: Path) -> None:
        """Open the inputs of the ingest configuration ``path`` in their own thread."""
        cfg, area = await asyncio.to_thread(load_ingest_area, path, self.world)
        ingest = Ingest(
            cfg, area=area, world=self.world, store=self.settings.db, on_tick=self._on_ingest_tick
        )
        where = ingest.store_at
        if isinstance(where, Path):
            where.parent.mkdir(parents=True, exist_ok=True)
        self._db = str(where)
        self._reader = await asyncio.to_thread(EventStore.open, where)
        self.audit = AuditLog(self._reader)
        self.ingest = ingest
        self.ingest_config = Path(path)
        self.mode = "ingest"
        # the defended area is known now: served before the first frame opens the run
        self.view = area_view(area, self._reader, time.time())
        self._service_loop = asyncio.get_running_loop()
        thread = threading.Thread(
            target=self._ingest_main, args=(ingest,), name="dronewall-ingest", daemon=True
        )
        self._ingest_thread = thread
        thread.start()
        await asyncio.to_thread(self._ingest_ready.wait, INGEST_TIMEOUT_S)
        if self._ingest_error is not None:
            raise self._ingest_error
        if not self._ingest_ready.is_set():
            await self._stop_ingest()
            raise ConfigError(
                f"the inputs did not open within {INGEST_TIMEOUT_S:.0f} s", source=str(path)
            )
        self.running = True

    def _ingest_main(self, ingest: Ingest) -> None:
        """The ingest thread: its own event loop, until :meth:`_stop_ingest`."""

        async def main() -> None:
            self._ingest_loop = asyncio.get_running_loop()
            task = asyncio.create_task(ingest.run())
            opened = asyncio.create_task(ingest.started.wait())
            await asyncio.wait({task, opened}, return_when=asyncio.FIRST_COMPLETED)
            opened.cancel()
            if not task.done():
                self._ingest_ready.set()
            self.ingest_summary = await task

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by start (before opening) or logged
            self._ingest_error = exc
            log.exception("the live inputs failed")
        finally:
            self._ingest_ready.set()
            loop = self._service_loop
            if loop is not None:
                with contextlib.suppress(RuntimeError):  # the service loop is closed
                    loop.call_soon_threadsafe(self._ingest_ended)

    def _ingest_ended(self) -> None:
        self.running = False
        self.hub.publish(None, None, [], [], self.status())

    async def _stop_ingest(self) -> None:
        thread, ingest, loop = self._ingest_thread, self.ingest, self._ingest_loop
        if thread is None or ingest is None:
            return
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the ingest loop has already ended
                loop.call_soon_threadsafe(ingest.stop)
        await asyncio.to_thread(thread.join, INGEST_TIMEOUT_S)
        self.running = False
        if thread.is_alive():
            log.warning("the live inputs did not close within %.0f s", INGEST_TIMEOUT_S)
            return
        self._ingest_thread = None  # closed: a second stop has nothing to do
        await self._report_ingest(ingest)

    async def _report_ingest(self, ingest: Ingest) -> None:
        """Note ``record_dir/report.html``, which the ingest writes when its run finishes
        (read back from its store, wherever that is: ``pipeline.ingest``)."""
        record_dir = ingest.record_dir
        if self.ingest_summary is None:
            log.warning("the live inputs failed: no report written in %s", record_dir)
            return
        if ingest.session is None:
            log.info("no frame arrived from the live inputs: no run recorded, no report")
            return
        report = record_dir / REPORT_FILE
        if ingest.report is None:  # the ingest has logged why, and how to write it later
            log.info("no report in %s", report)
            return
        self.ingest_report = ingest.report
        log.info("report of the live inputs' run written to %s", self.ingest_report)

    def _on_ingest_tick(self, res: TickResult) -> None:
        """``Ingest.on_tick``, in the ingest thread: hand the frame to the service loop."""
        ingest, loop = self.ingest, self._service_loop
        if ingest is None or ingest.session is None or loop is None:
            return
        session = ingest.session
        rows: list[dict[str, Any]] | None = None
        if len(res.batch) and int(res.batch.sensor.max()) >= self._known_sensors:
            # a sensor reported for the first time: the session has just recorded it
            rows = session.store.sensors(session.run_id)
            self._known_sensors = len(rows)
        with contextlib.suppress(RuntimeError):  # the service is shutting down
            loop.call_soon_threadsafe(self.apply_stream, session, res, rows)

    def apply_stream(
        self, session: StreamSession, res: TickResult, sensor_rows: list[dict[str, Any]] | None
    ) -> None:
        """Fold a frame of live inputs: the view is made at the first, its sensors grow."""
        view = self.view
        if view is None or view.session is not session:
            assert self._reader is not None
            view = self.view = stream_view(session, self._reader, sensor_rows)
        elif sensor_rows is not None and len(sensor_rows) > len(view.sensors):
            sc = session.scenario
            site_nat = [(s.lat_deg, s.lon_deg, s.country) for s in sc.sites]
            view.sensors = _stream_sensor_rows(sensor_rows, site_nat)
            labeler, folded = _folded(view.sensors, sc.policy.proposal_ttl_s)
            view.labeler = labeler
            view.folded.fallback = folded.fallback
            view.folded.report_labels = folded.report_labels
        view.t_end = res.t
        self.apply(res)

    def apply(self, res: TickResult) -> None:
        """Fold a tick into the served picture and send the deltas."""
        view = self.view
        assert view is not None
        prev = view.frame
        frame = TrackFrame.from_tick(res, view.labeler)
        labels = dict(zip(frame.cols["track_id"], frame.labels, strict=True))
        view.folded.track_labels.update(labels)
        view.folded.relabel(labels)
        view.folded.fold(res.events)
        if len(res.batch):
            sensor_t = res.batch.t
            for idx in np.unique(res.batch.sensor).tolist():
                view.last_report[int(idx)] = float(sensor_t[res.batch.sensor == idx].max())
        view.frame = frame
        alerts, props = view.folded.drain()
        self.ticks_applied += 1
        self.hub.publish(frame, prev, alerts, props, self.status())

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                view = self.view
                if view is None or not isinstance(view.session, RunSession) or view.session.done:
                    return
                if self.paused:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                started = loop.time()
                await self.step()
                while not self.paused:
                    left = view.tick_s / self.speed - (loop.time() - started)
                    if left <= 0:
                        break
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), left)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the live run failed")
            view = self.view
            if view is not None and view.session is not None and not view.session.finished:
                with contextlib.suppress(Exception):
                    view.session.finish(view.session.summary(), "failed")
            self.running = False

    # ------------------------------------------------------------------ controls

    def pause(self) -> None:
        self._require_live()
        self.paused = True
        self._wake.set()
        self.hub.publish(None, None, [], [], self.status())

    def resume(self) -> None:
        self._require_live()
        self.resume_running()
        self.hub.publish(None, None, [], [], self.status())

    def set_speed(self, speed: float) -> None:
        self._require_live()
        self.speed = float(speed)
        self._wake.set()
        self.hub.publish(None, None, [], [], self.status())

    def inputs(self) -> dict[str, Any]:
        """The live inputs of ``--ingest`` (``GET /api/v1/inputs``); empty in the other modes.

        Each input's counters so far, its endpoint (without credentials) and where it is bound;
        its releasability is that of a sensor at the area's origin (the nation of the nearest
        protected site, and NATO), as for a sensor that does not say where it stands.
        """
        ingest, view = self.ingest, self.view
        if ingest is None or view is None or ingest.area is None:
            return {"config": None, "area": None, "inputs": []}
        area = ingest.area
        site_nat = [(s.lat_deg, s.lon_deg, s.country) for s in area.sites]
        origin = area.frame
        labels = list(nation_labels(nearest_nation(origin.lat_deg, origin.lon_deg, site_nat)))
        out = []
        for i in ingest.inputs:
            spec = i.spec
            endpoint = spec.listen or spec.connect or ""
            out.append(
                {
                    "name": spec.name,
                    "format": spec.format,
                    "endpoint": _public_url(endpoint),
                    "bound": None if i.bound is None else f"{i.bound[0]}:{i.bound[1]}",
                    "connections": i.connections,
                    "records": i.records,
                    "bad": i.log.bad,
                    "releasability": labels,
                }
            )
        name = None if self.ingest_config is None else self.ingest_config.name
        return {"config": name, "area": area.name, "inputs": out}

    def _require_live(self) -> RunSession:
        if self.ingest is not None:
            raise ServiceError(409, NO_SCENARIO_CONTROL)
        view = self.view
        if self.mode != "live" or view is None or not isinstance(view.session, RunSession):
            raise ServiceError(409, f"no live scenario (the service is in {self.mode} mode)")
        return view.session

    # ------------------------------------------------------------------ reading

    def status(self) -> dict[str, Any]:
        view = self.view
        run = None if view is None or view.run_id is None else view
        return {
            "status": "ok",
            "version": dronewall.__version__,
            "mode": self.mode,
            "scenario": None if view is None else view.name,
            "run_id": None if run is None else run.run_id,
            "t": None if run is None else run.frame.t,
            "t_start": None if run is None else run.t_start,
            "t_end": None if run is None else run.t_end,
            "speed": self.speed,
            "paused": self.paused,
            "running": self.running,
        }

    def fire_units(self) -> list[dict[str, Any]]:
        view = self.view
        if view is None:
            return []
        if view.session is None:
            return view.fire_units
        left = view.session.advisor.rounds_left
        out = []
        for i, f in enumerate(view.fire_units):
            v = float(left[i]) if i < left.shape[0] else math.inf
            out.append({**f, "stock": int(v) if math.isfinite(v) else None})
        return out

    def sensors(self) -> list[dict[str, Any]]:
        view = self.view
        if view is None:
            return []
        return [
            {**s, "last_report_t": view.last_report.get(i, s["last_report_t"])}
            for i, s in enumerate(view.sensors)
        ]
