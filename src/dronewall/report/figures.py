"""The report's figures, drawn with matplotlib's Agg canvas and returned as PNG bytes.

Data layout
-----------
Both figures read a :class:`~dronewall.report.data.RunData`. Map coordinates are WGS84 longitude
(x) and latitude (y) in degrees, drawn with the aspect ``1 / cos(latitude)`` so that a metre east
and a metre north have the same length at the centre. Timeline x is minutes since the run's
``t0``. Trajectories are decimated to at most :data:`MAX_POINTS` points each before drawing.

No pyplot: figures are :class:`matplotlib.figure.Figure` objects on their own Agg canvas, so no
global state or GUI backend is touched and a report can be made from any thread.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from numpy.typing import NDArray
from pyproj import Geod

from dronewall.core.taxonomy import AlertLevel
from dronewall.picture import Event
from dronewall.report.data import RunData
from dronewall.world import basemap_path

F64 = NDArray[np.float64]

MAX_POINTS = 300
"""Most points drawn per trajectory."""
MAX_TIMELINE_ROWS = 40
"""Most tracks shown as rows of the timeline (the earliest to have an event)."""

ALLEGIANCE_COLOURS = {
    "hostile": "#d62728",
    "civil": "#1f77b4",
    "friend": "#17becf",
    "nature": "#6b8e23",
}
UNKNOWN_COLOUR = "#7f7f7f"
LEVEL_COLOURS = {
    AlertLevel.WATCH: "#f2d024",
    AlertLevel.WARNING: "#f28e2b",
    AlertLevel.ALARM: "#d62728",
}
BELGIUM_BOX = (2.3, 49.3, 6.6, 51.7)
"""lon_min, lat_min, lon_max, lat_max of the overview panel."""
DEFEATED = frozenset(
    {"defeated", "killed", "kill", "hit", "destroyed", "neutralised", "neutralized"}
)

_GEOD = Geod(ellps="WGS84")


# --------------------------------------------------------------------------------------------
# helpers


@lru_cache(maxsize=2)
def _countries(path: Path) -> tuple[tuple[str, Any], ...]:
    """``(name, valid geometry)`` of each country in the base map GeoJSON."""
    with path.open(encoding="utf-8") as fh:
        data = json.load(fh)
    out = []
    for feat in data["features"]:
        geom = shapely.make_valid(shapely.geometry.shape(feat["geometry"]))
        out.append((str(feat.get("properties", {}).get("name", "")), geom))
    return tuple(out)


def _polygons(geom: Any) -> Iterable[Any]:
    if isinstance(geom, shapely.Polygon):
        if not geom.is_empty:
            yield geom
    elif hasattr(geom, "geoms"):
        for g in geom.geoms:
            yield from _polygons(g)


def _polygon_path(poly: Any) -> MplPath:
    rings = [np.asarray(poly.exterior.coords)] + [np.asarray(r.coords) for r in poly.interiors]
    return MplPath.make_compound_path(
        *(MplPath(r[:, :2], closed=True) for r in rings if len(r) >= 3)
    )


def _draw_basemap(ax: Any, box: tuple[float, float, float, float], highlight: str | None) -> None:
    """Country outlines clipped to ``box`` (which also drops far-away overseas parts)."""
    for name, geom in _countries(basemap_path()):
        clipped = shapely.clip_by_rect(geom, *box)
        for poly in _polygons(clipped):
            ax.add_patch(
                PathPatch(
                    _polygon_path(poly),
                    facecolor="#eef0e6" if name == highlight else "#f7f7f4",
                    edgecolor="#8c8c8c",
                    linewidth=0.6,
                    zorder=0,
                )
            )


def _decimate(n: int, limit: int = MAX_POINTS) -> NDArray[np.intp]:
    """Indices of at most ``limit`` points of ``n``, always keeping the last."""
    if n <= limit:
        return np.arange(n)
    idx = np.linspace(0, n - 1, limit).round().astype(np.intp)
    return np.unique(idx)


def _rings(lat: F64, lon: F64, radius_m: F64, n: int = 73) -> F64:
    """Geodesic circles ``(K, n, 2)`` of ``(lon, lat)`` around K centres."""
    k = lat.shape[0]
    az = np.linspace(0.0, 360.0, n)
    lons, lats, _ = _GEOD.fwd(
        np.repeat(lon, n), np.repeat(lat, n), np.tile(az, k), np.repeat(radius_m, n)
    )
    return np.stack([np.asarray(lons), np.asarray(lats)], axis=-1).reshape(k, n, 2)


def _col(rows: Sequence[dict[str, Any]], key: str) -> F64:
    return np.array([np.nan if r.get(key) is None else r[key] for r in rows], dtype=np.float64)


def _png(fig: Figure, dpi: int) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


def alert_level(payload: dict[str, Any]) -> AlertLevel | None:
    """The alert level of an alert event's payload (a label or an int), ``None`` if unreadable."""
    v = payload.get("level")
    try:
        if isinstance(v, str):
            return AlertLevel[v.upper()]
        if isinstance(v, int | float) and not isinstance(v, bool):
            return AlertLevel(int(v))
    except (KeyError, ValueError):
        return None
    return None


def outcome_result(payload: dict[str, Any]) -> str:
    """``"defeated"``, ``"missed"`` or the raw result word of an outcome event (lower case)."""
    v = payload.get("result", payload.get("outcome", ""))
    word = str(v).lower()
    if word in DEFEATED:
        return "defeated"
    return word or "unknown"


def decision_approved(payload: dict[str, Any]) -> bool | None:
    """Whether a decision event approved the engagement (``approved`` bool, or ``decision`` /
    ``state`` a word), ``None`` if it does not say."""
    if isinstance(payload.get("approved"), bool):
        return bool(payload["approved"])
    word = str(payload.get("decision", payload.get("state", ""))).lower()
    if word in ("approved", "approve", "yes"):
        return True
    if word in ("rejected", "reject", "denied", "expired", "no"):
        return False
    return None


def _event_position(
    ev: Event,
    tracks: dict[int, tuple[F64, F64]],
    objects: dict[str, tuple[F64, F64]],
    sites: dict[str, tuple[float, float]],
) -> tuple[float, float] | None:
    """``(lon, lat)`` of an event: its payload's ``lat``/``lon``, else its track at that time,
    else the truth object its payload names (``object_id``), else its site."""
    lat, lon = ev.payload.get("lat"), ev.payload.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lon), float(lat)
    candidates = []
    if ev.track_id is not None and ev.track_id in tracks:
        candidates.append(tracks[ev.track_id])
    obj = ev.payload.get("object_id")
    if isinstance(obj, str) and obj in objects:
        candidates.append(objects[obj])
    for t, lla in candidates:
        i = int(np.clip(np.searchsorted(t, ev.t, side="right") - 1, 0, t.size - 1))
        if np.isfinite(lla[i, :2]).all():
            return float(lla[i, 1]), float(lla[i, 0])
    if ev.site_id is not None and ev.site_id in sites:
        return sites[ev.site_id]
    return None


# --------------------------------------------------------------------------------------------
# the map


def _run_box(data: RunData) -> tuple[float, float, float, float]:
    """``(lon_min, lat_min, lon_max, lat_max)`` of the run area with a margin."""
    lons: list[F64] = []
    lats: list[F64] = []
    if data.sites:
        lat, lon = _col(data.sites, "lat"), _col(data.sites, "lon")
        r = np.nan_to_num(_col(data.sites, "alert_radius_m"), nan=0.0)
        ring = _rings(lat, lon, np.maximum(r, 1.0), n=9)
        lons.append(ring[..., 0].ravel())
        lats.append(ring[..., 1].ravel())
    for rows in (data.sensors, data.fire_units):
        if rows:
            lons.append(_col(rows, "lon"))
            lats.append(_col(rows, "lat"))
    trk = data.tracks.status != 0
    if trk.any():
        lons.append(data.tracks.lla[trk, 1])
        lats.append(data.tracks.lla[trk, 0])
    core_lon = np.concatenate(lons) if lons else np.empty(0)
    core_lat = np.concatenate(lats) if lats else np.empty(0)
    ok = np.isfinite(core_lon) & np.isfinite(core_lat)
    core_lon, core_lat = core_lon[ok], core_lat[ok]
    tl, tp = data.truth.lla[:, 1], data.truth.lla[:, 0]
    tok = np.isfinite(tl) & np.isfinite(tp)
    tl, tp = tl[tok], tp[tok]
    if core_lon.size:
        # truth counts only near the defended area, so an airliner far away does not zoom out
        lat_mid = float(np.mean(core_lat))
        dlat, dlon = 0.45, 0.45 / max(math.cos(math.radians(lat_mid)), 0.1)  # ~50 km
        near = (
            (tl > core_lon.min() - dlon)
            & (tl < core_lon.max() + dlon)
            & (tp > core_lat.min() - dlat)
            & (tp < core_lat.max() + dlat)
        )
        all_lon, all_lat = (
            np.concatenate([core_lon, tl[near]]),
            np.concatenate([core_lat, tp[near]]),
        )
    elif tl.size:
        all_lon, all_lat = tl, tp
    else:
        return BELGIUM_BOX
    x0, x1 = float(all_lon.min()), float(all_lon.max())
    y0, y1 = float(all_lat.min()), float(all_lat.max())
    coslat = max(math.cos(math.radians((y0 + y1) / 2)), 0.1)
    my = max(0.08 * (y1 - y0), 0.08 * (x1 - x0) * coslat, 0.03)  # >= ~3 km
    mx = my / coslat
    return (x0 - mx, y0 - my, x1 + mx, y1 + my)


def map_png(data: RunData, *, dpi: int = 100) -> bytes:
    """The run area (sites, sensors, fire units, truth, confirmed tracks, outcomes, leaks) and an
    overview of Belgium showing where it is, as PNG bytes."""
    box = _run_box(data)
    lat_mid = (box[1] + box[3]) / 2
    aspect = 1.0 / max(math.cos(math.radians(lat_mid)), 0.1)

    # Fixed placement (constrained layout costs ~0.3 s on a busy map): the run area on the left,
    # sized to its aspect; the overview and the legend in a column on the right.
    width_in = 12.0
    main_w = 0.64 * width_in
    ratio = (box[3] - box[1]) * aspect / (box[2] - box[0])
    height_in = float(np.clip(main_w * ratio / 0.88, 5.5, 11.0))
    fig = Figure(figsize=(width_in, height_in))
    ax = fig.add_axes((0.06, 0.07, 0.64, 0.86))
    ax.set_anchor("W")
    ov = fig.add_axes((0.74, 0.52, 0.24, 0.42))
    ov.set_anchor("N")

    _draw_basemap(ax, box, highlight="Belgium")
    handles: list[Any] = []

    # truth, coloured by allegiance
    allegiance = {int(o["idx"]): str(o["allegiance"]) for o in data.objects}
    segs: dict[str, list[F64]] = {}
    for idx, (_, lla) in data.truth_trajectories().items():
        if lla.shape[0] < 2:
            continue
        keep = _decimate(lla.shape[0])
        segs.setdefault(allegiance.get(idx, "unknown"), []).append(lla[keep][:, [1, 0]])
    for name, lines in segs.items():
        colour = ALLEGIANCE_COLOURS.get(name, UNKNOWN_COLOUR)
        ax.add_collection(
            LineCollection(lines, colors=colour, linewidths=1.8, alpha=0.55, zorder=2)
        )
        handles.append(Line2D([], [], color=colour, lw=1.8, alpha=0.55, label=f"truth: {name}"))

    # confirmed tracks
    trk_lines = []
    for _, (_, lla) in data.track_trajectories(confirmed_only=True).items():
        if lla.shape[0] >= 2:
            trk_lines.append(lla[_decimate(lla.shape[0])][:, [1, 0]])
    if trk_lines:
        ax.add_collection(
            LineCollection(trk_lines, colors="#222222", linewidths=0.7, linestyles="--", zorder=3)
        )
        handles.append(Line2D([], [], color="#222222", lw=0.7, ls="--", label="confirmed track"))

    # sites with alert and core rings
    if data.sites:
        lat, lon = _col(data.sites, "lat"), _col(data.sites, "lon")
        ring_styles: tuple[tuple[str, dict[str, Any], str], ...] = (
            ("alert_radius_m", {"color": "#f28e2b", "ls": "--", "lw": 1.0}, "site alert radius"),
            ("core_radius_m", {"color": "#d62728", "ls": "-", "lw": 1.0}, "site core radius"),
        )
        for key, style, label in ring_styles:
            r = _col(data.sites, key)
            ok = np.isfinite(r) & (r > 0)
            if ok.any():
                ring = _rings(lat[ok], lon[ok], r[ok])
                ax.add_collection(
                    LineCollection(
                        list(ring),
                        colors=style["color"],
                        linestyles=style["ls"],
                        linewidths=style["lw"],
                        zorder=4,
                    )
                )
                handles.append(Line2D([], [], label=label, **style))
        ax.scatter(lon, lat, marker="*", s=110, c="black", zorder=6)
        handles.append(
            Line2D([], [], ls="", marker="*", ms=10, color="black", label="protected site")
        )
        for row in data.sites:
            if box[0] <= row["lon"] <= box[2] and box[1] <= row["lat"] <= box[3]:
                ax.annotate(
                    str(row["name"]),
                    (row["lon"], row["lat"]),
                    xytext=(5, 5),
                    textcoords="offset points",
                    fontsize=8,
                    zorder=7,
                    clip_on=True,
                )

    if data.sensors:
        ax.scatter(
            _col(data.sensors, "lon"), _col(data.sensors, "lat"), marker="^", s=45,
            c="#2ca02c", edgecolors="black", linewidths=0.5, zorder=6,
        )  # fmt: skip
        handles.append(
            Line2D([], [], ls="", marker="^", ms=7, color="#2ca02c", mec="black", label="sensor")
        )
    if data.fire_units:
        ax.scatter(
            _col(data.fire_units, "lon"), _col(data.fire_units, "lat"), marker="D", s=38,
            c="#9467bd", edgecolors="black", linewidths=0.5, zorder=6,
        )  # fmt: skip
        handles.append(
            Line2D([], [], ls="", marker="D", ms=6, color="#9467bd", mec="black", label="fire unit")
        )

    # outcomes and leaks
    all_tracks = data.track_trajectories(confirmed_only=False)
    truth_traj = data.truth_trajectories()
    by_object = {
        str(o["object_id"]): truth_traj[int(o["idx"])]
        for o in data.objects
        if int(o["idx"]) in truth_traj
    }
    site_pos = {str(s["site_id"]): (float(s["lon"]), float(s["lat"])) for s in data.sites}
    marks: dict[str, list[tuple[float, float]]] = {"defeated": [], "missed": [], "leak": []}
    for ev in data.events:
        if ev.kind == "outcome":
            res = outcome_result(ev.payload)
            bucket = "defeated" if res == "defeated" else "missed"
        elif ev.kind == "leak":
            bucket = "leak"
        else:
            continue
        pos = _event_position(ev, all_tracks, by_object, site_pos)
        if pos is not None:
            marks[bucket].append(pos)
    mark_style: dict[str, tuple[dict[str, Any], str]] = {
        "defeated": ({"marker": "X", "s": 90, "c": "black", "linewidths": 0.6}, "defeated"),
        "missed": (
            {"marker": "o", "s": 60, "facecolors": "none", "edgecolors": "black"},
            "engagement missed",
        ),
        "leak": ({"marker": "$!$", "s": 160, "c": "#d62728"}, "leaked"),
    }
    for bucket, pts in marks.items():
        if pts:
            xy = np.asarray(pts)
            style, label = mark_style[bucket]
            ax.scatter(xy[:, 0], xy[:, 1], zorder=8, **style)
            handles.append(ax.scatter([], [], label=label, **style))

    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect(aspect)
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.set_title("Run area")
    ax.tick_params(labelsize=8)
    if handles:
        fig.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0.74, 0.48), fontsize=8,
            frameon=False, ncols=2 if len(handles) > 12 else 1,
        )  # fmt: skip

    # overview of Belgium with the run area
    ob = BELGIUM_BOX
    ob = (min(ob[0], box[0]) - 0.1, min(ob[1], box[1]) - 0.1, max(ob[2], box[2]) + 0.1,
          max(ob[3], box[3]) + 0.1)  # fmt: skip
    _draw_basemap(ov, ob, highlight="Belgium")
    ov.add_patch(
        Rectangle(
            (box[0], box[1]), box[2] - box[0], box[3] - box[1],
            fill=False, edgecolor="#d62728", linewidth=1.5, zorder=5,
        )
    )  # fmt: skip
    ov.set_xlim(ob[0], ob[2])
    ov.set_ylim(ob[1], ob[3])
    ov.set_aspect(1.0 / math.cos(math.radians((ob[1] + ob[3]) / 2)))
    ov.set_title("Where (Belgium)")
    ov.tick_params(labelsize=7)
    ov.text(
        0.02, 0.01, "Base map: Natural Earth (public domain)", transform=ov.transAxes, fontsize=6,
        color="#666666",
    )  # fmt: skip
    return _png(fig, dpi)


# --------------------------------------------------------------------------------------------
# the timeline

_MARKED = ("recommendation", "decision", "engagement", "outcome", "leak", "sighting_alert")
_OFFSET = {
    "sighting_alert": 0.0,
    "recommendation": -0.24,
    "approved": -0.08,
    "refused": -0.08,
    "engagement": 0.08,
    "defeated": 0.24,
    "missed": 0.24,
    "leak": 0.0,
}


def timeline_png(data: RunData, *, dpi: int = 100) -> bytes:
    """Alert levels over time per track (coloured bars) with recommendations, decisions,
    engagements, outcomes and leaks as markers, as PNG bytes."""
    t0, t_end = data.t0, data.t_end
    interesting = [e for e in data.events if e.kind in ("alert", *_MARKED)]
    first_seen: dict[int | None, float] = {}
    important: set[int | None] = set()  # a response, or an alert above watch
    for ev in interesting:
        first_seen.setdefault(ev.track_id, ev.t)
        level = alert_level(ev.payload) if ev.kind == "alert" else None
        if ev.kind != "alert" or (level is not None and level > AlertLevel.WATCH):
            important.add(ev.track_id)
    all_rows = sorted((k for k in first_seen if k is not None), key=lambda k: first_seen[k])
    chosen = [k for k in all_rows if k in important][:MAX_TIMELINE_ROWS]
    chosen += [k for k in all_rows if k not in important][: MAX_TIMELINE_ROWS - len(chosen)]
    dropped = len(all_rows) - len(chosen)
    keys: list[int | None] = sorted(chosen, key=lambda k: first_seen[k])
    if None in first_seen:
        keys.append(None)
    row_of = {k: i for i, k in enumerate(keys)}
    ended: dict[int | None, float] = {}
    for e in data.events:
        if e.kind == "track_deleted" or (
            e.kind == "outcome" and outcome_result(e.payload) == "defeated"
        ):
            ended[e.track_id] = min(ended.get(e.track_id, math.inf), e.t)

    height = 1.6 + 0.28 * max(len(keys), 3)
    height = min(height, 14.0)
    fig = Figure(figsize=(12.0, height))
    ax = fig.add_axes((0.08, 0.55 / height, 0.74, 1.0 - 1.0 / height))
    handles: list[Any] = []

    # alert bars: each alert holds until the track's next alert, its deletion or defeat, or the end
    by_track: dict[int | None, list[Event]] = {}
    for ev in interesting:
        if ev.kind == "alert" and ev.track_id in row_of:
            by_track.setdefault(ev.track_id, []).append(ev)
    used_levels: set[AlertLevel] = set()
    for key, evs in by_track.items():
        evs.sort(key=lambda e: e.t)
        stop = min(ended.get(key, t_end), t_end) if key is not None else t_end
        for i, ev in enumerate(evs):
            level = alert_level(ev.payload)
            if level is None or level == AlertLevel.NONE:
                continue
            end = evs[i + 1].t if i + 1 < len(evs) else max(stop, ev.t)
            width = max((end - ev.t) / 60.0, 0.05)
            ax.broken_barh(
                [((ev.t - t0) / 60.0, width)],
                (row_of[key] - 0.35, 0.7),
                facecolors=LEVEL_COLOURS[level],
                edgecolor="none",
                zorder=1,
            )
            used_levels.add(level)
    for level in sorted(used_levels):
        handles.append(
            Rectangle((0, 0), 1, 1, color=LEVEL_COLOURS[level], label=f"alert: {level.label}")
        )

    styles: dict[str, tuple[dict[str, Any], str]] = {
        "sighting_alert": ({"marker": "s", "s": 30, "c": "#bcbd22"}, "sighting alert"),
        "recommendation": ({"marker": "^", "s": 40, "c": "#1f77b4"}, "recommendation"),
        "approved": ({"marker": "D", "s": 32, "c": "#2ca02c"}, "decision: approved"),
        "refused": ({"marker": "D", "s": 32, "c": "#7f7f7f"}, "decision: not approved"),
        "engagement": ({"marker": ">", "s": 44, "c": "#9467bd"}, "engagement"),
        "defeated": ({"marker": "X", "s": 70, "c": "black"}, "defeated"),
        "missed": (
            {"marker": "o", "s": 50, "facecolors": "none", "edgecolors": "black"},
            "missed",
        ),
        "leak": ({"marker": "$!$", "s": 140, "c": "black"}, "leaked"),
    }
    points: dict[str, list[tuple[float, float]]] = {k: [] for k in styles}
    for ev in interesting:
        if ev.kind == "alert" or ev.track_id not in row_of:
            continue
        if ev.kind == "decision":
            bucket = "refused" if decision_approved(ev.payload) is False else "approved"
        elif ev.kind == "outcome":
            bucket = "defeated" if outcome_result(ev.payload) == "defeated" else "missed"
        else:
            bucket = ev.kind
        # stagger the kinds within a row so that same-time markers stay visible
        points[bucket].append(((ev.t - t0) / 60.0, row_of[ev.track_id] + _OFFSET[bucket]))
    for bucket, pts in points.items():
        if pts:
            xy = np.asarray(pts)
            style, label = styles[bucket]
            ax.scatter(xy[:, 0], xy[:, 1], zorder=3, **style)
            handles.append(ax.scatter([], [], label=label, **style))

    ax.set_yticks(range(len(keys)))
    ax.set_yticklabels(
        ["no track (leaks, reports)" if k is None else f"track {k}" for k in keys], fontsize=7
    )
    ax.set_ylim(len(keys) - 0.5 if keys else 0.5, -0.5)
    span_min = max((t_end - t0) / 60.0, 1.0)
    ax.set_xlim(-0.01 * span_min, 1.015 * span_min)
    ax.set_xlabel("minutes since start of run")
    title = "Alerts, recommendations, decisions and outcomes"
    if dropped:
        title += f" ({len(chosen)} of {len(all_rows)} tracks; watch-only ones left out first)"
    if not keys:
        ax.text(0.5, 0.5, "no alerts or engagements in this run", ha="center", va="center",
                transform=ax.transAxes)  # fmt: skip
    ax.set_title(title)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    if handles:
        ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)

    return _png(fig, dpi)
