"""The run report: one self-contained HTML file from a run directory.

:func:`write_report` reads ``run_dir/summary.json`` and the run's record from
``run_dir/events.sqlite`` or the store it was recorded in elsewhere (see
:mod:`dronewall.report.data`) and writes ``run_dir/report.html``: a title, the metrics table, the
threats table, a map and a timeline (PNG, embedded as base64 ``data:`` URIs), and the first
:data:`MAX_EVENT_ROWS` alert / recommendation / decision / engagement / outcome / leak events
(in time order).
CSS is inline; the file references nothing outside itself, so it can be mailed or archived as
is. Every text from the run is HTML-escaped.
"""

from __future__ import annotations

import base64
import math
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from html import escape
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from dronewall.core.errors import DronewallError
from dronewall.picture import Event, EventStore
from dronewall.report.data import SUMMARY_FILE, RunData, load_run, load_summary, read_run
from dronewall.report.figures import alert_level, map_png, timeline_png

REPORT_FILE = "report.html"
MAX_EVENT_ROWS = 200
TABLE_KINDS = (
    "alert",
    "sighting_alert",
    "recommendation",
    "decision",
    "engagement",
    "outcome",
    "leak",
)
"""Event kinds listed in the events table (track births and deaths are left out)."""

DASH = "—"

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.meta { color: #555; font-size: 0.9em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85em; }
.outcome-defeated { color: #1a7f37; font-weight: 600; }
.outcome-leaked { color: #b00020; font-weight: 600; }
.level-alarm { color: #b00020; font-weight: 600; }
.level-warning { color: #c25e00; }
footer { margin-top: 2em; color: #888; font-size: 0.8em; }
"""


def mmss(seconds: float | None) -> str:
    """``mm:ss`` of a number of seconds (minutes may exceed 59; negative gets a ``-``)."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    sign = "-" if seconds < 0 else ""
    s = round(abs(seconds))
    return f"{sign}{s // 60:02d}:{s % 60:02d}"


def _num(v: Any, unit: str = "", digits: int = 4) -> str:
    if v is None:
        return DASH
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v}{unit}"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        if abs(v) >= 10**digits:
            return f"{v:,.0f}{unit}"
        return f"{v:.{digits}g}{unit}"
    return escape(str(v))


def _eur(v: Any) -> str:
    if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
        return f"{v:,.0f} €"
    return _num(v)


class Num(str):
    """An escaped table cell to right-align (numbers, times)."""

    __slots__ = ()


def _n(text: str) -> Num:
    return Num(text)


def _table(head: Sequence[str], rows: Iterable[Sequence[str]], cls: str) -> str:
    """An HTML table; ``head`` is escaped here, the cells of ``rows`` must be escaped already."""
    h = "".join(f"<th>{escape(c)}</th>" for c in head)
    lines = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{c}</td>' if isinstance(c, Num) else f"<td>{c}</td>" for c in row
        )
        lines.append(f"<tr>{cells}</tr>")
    body = "\n".join(lines)
    return f'<table class="{cls}"><thead><tr>{h}</tr></thead>\n<tbody>\n{body}\n</tbody></table>'


_EXTRA_LABELS = {
    "objects": "Simulated objects",
    "hostile_objects": "Hostile objects",
    "engagements": "Engagements",
    "tick_s": "Tick (s)",
    "wall_time_s": "Wall-clock time of the run (s)",
    "siap": "SIAP track-quality measures",
    "tracker_counters": "Tracker counters",
}
_KNOWN_KEYS = {
    "scenario", "seed", "sim_duration_s", "detections", "tracks_confirmed", "gospa_mean",
    "gospa_by_allegiance", "threats", "alerts_true", "alerts_false", "recommendations",
    "recommendations_against_civil", "defence_cost_eur", "threat_cost_eur", "run_id",
    "definitions", "engagements_by_effector", "cost_by_effector_eur",
}  # fmt: skip


def _breakdown(v: Any, fmt: Callable[[Any], str], *, largest_first: bool = False) -> str | None:
    """``{name: number}`` as "name value, ..." (in its order, or largest first); None if ``v``
    is not such a map."""
    if not isinstance(v, dict) or not v:
        return None
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in v.values()):
        return None
    items = list(v.items())
    if largest_first:
        items.sort(key=lambda kv: (-kv[1], str(kv[0])))
    return ", ".join(f"{escape(str(k))} {fmt(x)}" for k, x in items)


def _gospa_cells(g: dict[str, Any], p: Any) -> str:
    """GOSPA parts: ``total`` in metres, the three terms in m^p (their sum is total^p)."""
    unit = " m" if p in (None, 1, 1.0) else " m²" if p in (2, 2.0) else f" m^{_num(p)}"
    parts = [f"total {_num(g.get('total'), ' m')}"]
    parts += [f"{k} {_num(g.get(k), unit)}" for k in ("localisation", "missed", "false")]
    counts = [
        f"{name} {_num(g.get(k), digits=3)}"
        for k, name in (("n_missed", "missed objects"), ("n_false", "false tracks"))
        if g.get(k) is not None
    ]
    return "; ".join(parts) + (f" (mean {', '.join(counts)})" if counts else "")


def _metrics(data: RunData) -> str:
    s = data.summary
    rows: list[tuple[str, str]] = [
        ("Scenario", escape(str(s.get("scenario")))),
        ("Seed", _num(s.get("seed"))),
        (
            "Simulated duration",
            f"{mmss(s.get('sim_duration_s'))} ({_num(s.get('sim_duration_s'), ' s')})",
        ),
        ("Detections", _num(s.get("detections"))),
        ("Confirmed tracks", _num(s.get("tracks_confirmed"))),
    ]
    notes: list[str] = []
    gospa = s.get("gospa_mean")
    if isinstance(gospa, dict):
        params = ", ".join(
            f"{name} = {_num(gospa.get(key))}"
            for key, name in (("c_m", "c"), ("p", "p"), ("alpha", "α"))
            if gospa.get(key) is not None
        )
        label = "GOSPA, mean over time" + (f" ({params})" if params else "")
        rows.append((label, _gospa_cells(gospa, gospa.get("p"))))
        for key in ("units", "truth_set"):
            if isinstance(gospa.get(key), str):
                notes.append(f"GOSPA {key.replace('_', ' ')}: {escape(gospa[key])}.")
        groups = s.get("gospa_by_allegiance")
        if isinstance(groups, dict):
            for name, g in groups.items():
                if isinstance(g, dict):
                    rows.append((f"GOSPA, mean, {name} objects", _gospa_cells(g, gospa.get("p"))))
    rows += [
        ("Alerts on true threats", _num(s.get("alerts_true"))),
        ("False alerts", _num(s.get("alerts_false"))),
        ("Engagement recommendations", _num(s.get("recommendations"))),
        ("Recommendations against civil traffic", _num(s.get("recommendations_against_civil"))),
        ("Defence cost", _eur(s.get("defence_cost_eur"))),
        ("Cost of the threats", _eur(s.get("threat_cost_eur"))),
    ]
    for key, label, fmt in (
        ("engagements_by_effector", "Engagements by effector", _num),
        ("cost_by_effector_eur", "Defence cost by effector", _eur),
    ):
        cell = _breakdown(s.get(key), fmt, largest_first=True)
        if cell is not None:
            rows.append((label, cell))
    d, t = s.get("defence_cost_eur"), s.get("threat_cost_eur")
    if isinstance(d, int | float) and isinstance(t, int | float) and d > 0 and t > 0:
        rows.append(("Cost exchange ratio (defence cost / threat cost)", _num(d / t, digits=3)))
    for key, v in s.items():
        if key in _KNOWN_KEYS:
            continue
        if v is None or isinstance(v, str | int | float | bool):
            rows.append((_EXTRA_LABELS.get(key, key), _num(v)))
        elif (cell := _breakdown(v, _num)) is not None:
            rows.append((_EXTRA_LABELS.get(key, key), cell))
    if isinstance(s.get("definitions"), str):
        notes.insert(0, f"Definitions: {escape(s['definitions'])}.")
    table = _table(("Metric", "Value"), ((escape(k), v) for k, v in rows), "metrics")
    return table + "".join(f'\n<p class="meta">{n}</p>' for n in notes)


_THREAT_TIMES = (
    ("first_detected_s", "First detected"),
    ("first_confirmed_s", "First confirmed"),
    ("first_alert_s", "First alert"),
    ("reached_core_s", "Reached core"),
    ("defeated_s", "Defeated"),
)


def _threats(data: RunData) -> str:
    threats = data.summary.get("threats")
    if not threats:
        return "<p>No threats listed in the summary.</p>"
    # the first three times always; the later ones when the summary has them
    times = [
        (k, h) for i, (k, h) in enumerate(_THREAT_TIMES) if i < 3 or any(k in t for t in threats)
    ]
    rows = []
    for th in threats:
        eb = th.get("engaged_by")
        engaged = DASH if not eb else escape(eb if isinstance(eb, str) else ", ".join(eb))
        outcome = str(th.get("outcome") or DASH)
        cls = (
            "outcome-defeated"
            if outcome.lower() in ("defeated", "killed", "destroyed")
            else "outcome-leaked"
            if outcome.lower() in ("leaked", "leak", "hit")
            else ""
        )
        rows.append(
            (
                escape(str(th.get("id", DASH))),
                escape(str(th.get("class", DASH))),
                *(_n(mmss(th.get(k))) for k, _ in times),
                engaged,
                f'<span class="{cls}">{escape(outcome)}</span>' if cls else escape(outcome),
            )
        )
    head = ("Threat", "Class", *(h for _, h in times), "Engaged by", "Outcome")
    note = '<p class="meta">Times are mm:ss from the start of the run.</p>'
    return _table(head, rows, "threats") + "\n" + note


def _details(ev: Event, t0: float) -> str:
    """The payload as ``key=value; ...`` (escaped); epoch times ``t_*`` as mm:ss from ``t0``."""
    parts = []
    level = alert_level(ev.payload) if ev.kind in ("alert", "sighting_alert") else None
    for k, v in ev.payload.items():
        if k == "level" and level is not None:
            cls = f"level-{level.label}"
            parts.append(f'level=<span class="{cls}">{escape(level.label)}</span>')
            continue
        if isinstance(v, float) and (k == "t" or k.startswith("t_")) and v > 1e8:
            text = mmss(v - t0)
        elif isinstance(v, float):
            text = f"{v:.6g}"
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            text = f"[{len(v)} entries]"
        elif isinstance(v, dict | list):
            text = str(v)
            text = text if len(text) <= 60 else text[:57] + "..."
        else:
            text = str(v)
        parts.append(f"{escape(str(k))}={escape(text)}")
    return "; ".join(parts)


def _events(data: RunData) -> str:
    evs = sorted((e for e in data.events if e.kind in TABLE_KINDS), key=lambda e: e.t)
    if not evs:
        return "<p>No alerts, recommendations, decisions, engagements, outcomes or leaks.</p>"
    shown = evs[:MAX_EVENT_ROWS]
    note = (
        f'<p class="meta">The first {len(shown)} of {len(evs)} events.</p>'
        if len(evs) > len(shown)
        else f'<p class="meta">{len(evs)} events.</p>'
    )
    rows = (
        (
            _n(mmss(e.t - data.t0)),
            escape(e.kind.replace("_", " ")),
            _n(DASH if e.track_id is None else str(e.track_id)),
            escape(e.site_id or DASH),
            _details(e, data.t0),
        )
        for e in shown
    )
    return note + _table(("Time", "Event", "Track", "Site", "Details"), rows, "events")


def _img(png: bytes, alt: str, caption: str) -> str:
    b64 = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{b64}" alt="{escape(alt)}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def render_report(data: RunData) -> str:
    """The report of a loaded run as one HTML document (a string)."""
    s, run = data.summary, data.run
    title = f"dronewall run report: {s['scenario']} (seed {s['seed']})"
    try:
        dw_version = version("dronewall")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        dw_version = "unknown"
    generated = datetime.now(UTC).isoformat(timespec="seconds")
    meta = (
        f"Run {run.run_id} of <code>{escape(str(data.run_dir))}</code> · started "
        f"{escape(run.started_utc)} · finished {escape(run.finished_utc or DASH)} · status "
        f"{escape(run.status)} · simulated time t0 = "
        f"{escape(datetime.fromtimestamp(run.t0, UTC).isoformat(timespec='seconds'))}, duration "
        f"{mmss(data.t_end - data.t0)}"
    )
    n_obj, n_trk = len(data.objects), len(set(data.tracks.track_id.tolist()))
    map_caption = (
        f"Left: the run area, with {n_obj} simulated objects (thin lines, by truth allegiance) "
        f"and {n_trk} tracks (dashed: confirmed part). Right: where the run area (red box) lies."
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>{escape(title)}</h1>
<p class="meta">{meta}</p>
</header>
<section id="metrics">
<h2>Metrics</h2>
{_metrics(data)}
</section>
<section id="threats">
<h2>Threats</h2>
{_threats(data)}
</section>
<section id="map">
<h2>Map</h2>
{_img(map_png(data), "map of the run area", map_caption)}
</section>
<section id="timeline">
<h2>Timeline</h2>
{_img(timeline_png(data), "timeline of alerts and engagements",
      "Alert level per track over time (bars) and the response to it (markers).")}
</section>
<section id="events">
<h2>Events</h2>
{_events(data)}
</section>
<footer>Generated {escape(generated)} by dronewall {escape(dw_version)} from the run's event store
and summary. Base map: Natural Earth (public domain), via world-atlas.</footer>
</body>
</html>
"""  # fmt: skip


def write_report(run_dir: Path, store: str | os.PathLike[str] | EventStore | None = None) -> Path:
    """Write ``run_dir/report.html`` from the run's summary and event store; return its path.

    Parameters
    ----------
    run_dir
        The run folder: ``summary.json`` names the run (``run_id``, else its scenario and seed).
    store
        Where the run is recorded. ``None`` (default): ``run_dir/events.sqlite``. A path or an
        ``EventStore.open`` URL (``postgresql://...``) for a run recorded elsewhere (``--db``, an
        ingest's ``store:``), opened for reading and closed again; or an open
        :class:`~dronewall.picture.EventStore`, read and left open.

    The file is replaced atomically: a reader never sees half a report, and a failure leaves the
    previous report as it was.

    Raises
    ------
    InputError
        ``summary.json`` is missing or malformed (the error names the file and field).
    StoreError
        The store is missing, unreachable, of another schema version or lacks the run (the error
        names the file or URL, without password).
    """
    run_dir = Path(run_dir)
    if store is None:
        data = load_run(run_dir)
    elif isinstance(store, EventStore):
        data = read_run(store, run_dir, load_summary(run_dir / SUMMARY_FILE))
    else:
        summary = load_summary(run_dir / SUMMARY_FILE)
        where = store if isinstance(store, str) else Path(store)
        with EventStore.open(where, create=False) as opened:
            data = read_run(opened, run_dir, summary)
    out = run_dir / REPORT_FILE
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(render_report(data), encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def try_write_report(
    run_dir: Path, store: str | os.PathLike[str] | EventStore | None = None
) -> tuple[Path | None, str | None]:
    """:func:`write_report`, for the end of a recording: ``(path, None)``, or ``(None, why)``
    when the report could not be written (a store error, an unreadable summary, a full disk).

    The run's data is in its store already; the report is derived from it and can be written
    again later (``dronewall report RUN_DIR [--db STORE]``), so a recorder logs ``why`` and
    keeps what it wrote instead of failing.
    """
    try:
        return write_report(run_dir, store), None
    except (DronewallError, OSError) as exc:
        return None, str(exc)


def rebuild_command(run_dir: Path, elsewhere: bool) -> str:
    """The command that writes ``run_dir``'s report again from its store (``--db`` when the run
    was recorded elsewhere than ``run_dir/events.sqlite``), for messages."""
    return f"dronewall report {run_dir}" + (" --db STORE" if elsewhere else "")
