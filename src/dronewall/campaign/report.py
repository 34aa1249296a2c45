"""``campaign.html``: one self-contained page of a campaign's distributions and per-run figures.

Data layout
-----------
Reads the campaign table (:data:`dronewall.campaign.rows.SCHEMA`: one row per run and threat,
run-level columns repeated) and the list of failed runs. Threat statistics are over all rows with a
threat; run statistics over one row per seed. Figures are matplotlib PNGs drawn on their own Agg
canvas (no pyplot, no global state) and inlined as base64 ``data:`` URIs, so the page needs no
other file. Times are seconds from the threat's appearance; costs EUR; GOSPA metres.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pyarrow as pa

    from dronewall.campaign.runner import RunFailure

F64 = NDArray[np.float64]
DASH = "–"

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
tr.failed td { background: #fdecea; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.85em; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
.bad { color: #b00020; font-weight: 600; }
footer { margin-top: 2em; color: #888; font-size: 0.8em; }
"""

#: (column, label) of the three time distributions.
TIME_COLUMNS = (
    ("time_to_detect_s", "time to detect"),
    ("time_to_confirm_s", "time to confirm"),
    ("time_to_alert_s", "time to alert (warning+)"),
)


def _values(rows: Sequence[Mapping[str, Any]], column: str) -> F64:
    """The non-null values of ``column`` as a float array."""
    return np.array([float(r[column]) for r in rows if r[column] is not None], dtype=np.float64)


def _png(fig: Figure) -> str:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _hist(ax: Axes, values: F64, title: str, xlabel: str, note: str = "") -> None:
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    if values.size == 0:
        ax.text(0.5, 0.5, "no value", ha="center", va="center", transform=ax.transAxes)
        ax.set_yticks([])
        return
    bins = min(30, max(5, int(np.sqrt(values.size)) + 1))
    ax.hist(values, bins=bins, color="#4c72b0", edgecolor="white")
    ax.axvline(float(np.median(values)), color="#d62728", lw=1.2, label="median")
    ax.set_ylabel("count")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=8, loc="upper right")
    if note:
        ax.text(0.98, 0.75, note, ha="right", va="top", transform=ax.transAxes, fontsize=8)


def times_png(threats: Sequence[Mapping[str, Any]]) -> str:
    """Histograms of the times to detect, confirm and alert (s from appearance), base64 PNG."""
    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 3)
    for ax, (col, label) in zip(axes, TIME_COLUMNS, strict=True):
        v = _values(threats, col)
        never = len(threats) - v.size
        _hist(ax, v, label, "s from appearance", f"never: {never} of {len(threats)}")
    fig.tight_layout()
    return _png(fig)


def outcomes_png(threats: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]]) -> str:
    """Leakers per run (how many runs had 0, 1, ... leakers) and the threats' outcomes."""
    fig = Figure(figsize=(10, 3.4))
    ax1, ax2 = fig.subplots(1, 2)
    leakers = np.array([int(r["leakers"]) for r in runs], dtype=np.int64)
    ax1.set_title("leakers per run", fontsize=10)
    if leakers.size:
        counts = np.bincount(leakers)
        colours = ["#1a7f37"] + ["#d62728"] * (counts.size - 1)
        ax1.bar(np.arange(counts.size), counts, color=colours)
        ax1.set_xticks(np.arange(counts.size))
        ax1.set_xlim(-0.6, max(counts.size, 4) - 0.4)
    ax1.set_xlabel("threats that reached their target's core")
    ax1.set_ylabel("runs")
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))
    names = ("defeated", "leaked", "left")
    shares = [sum(1 for t in threats if t["outcome"] == n) for n in names]
    ax2.set_title("outcome of the threats", fontsize=10)
    ax2.bar(names, shares, color=["#1a7f37", "#d62728", "#7f7f7f"])
    ax2.set_ylabel("threats")
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    return _png(fig)


def runs_png(runs: Sequence[Mapping[str, Any]]) -> str:
    """Histograms of false alerts per hour, cost-exchange ratio and mean GOSPA over the runs."""
    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 3)
    _hist(axes[0], _values(runs, "false_alerts_per_hour"), "false alerts per hour", "1/h")
    _hist(axes[1], _values(runs, "cost_exchange_ratio"), "cost-exchange ratio",
          "defence cost / threat cost")  # fmt: skip
    _hist(axes[2], _values(runs, "gospa_mean_m"), "mean GOSPA (whole picture)", "m")
    fig.tight_layout()
    return _png(fig)


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return DASH
    if isinstance(v, float):
        return f"{v:,.{digits}f}" if np.isfinite(v) else DASH
    return escape(str(v))


def _stats_row(label: str, v: F64, n: int, unit: str) -> str:
    cells = [escape(label), f"{v.size} of {n}" if n else DASH]
    if v.size:
        p10, med, p90 = np.percentile(v, [10, 50, 90])
        cells += [_fmt(float(x), 2) for x in (np.mean(v), p10, med, p90)]
    else:
        cells += [DASH] * 4
    return (
        f"<tr><td>{cells[0]}</td>"
        + "".join(f'<td class="num">{c}</td>' for c in cells[1:])
        + f"<td>{escape(unit)}</td></tr>"
    )


def _key_figures(threats: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]]) -> str:
    head = ("<tr><th>figure</th><th>with a value</th><th>mean</th><th>10 %</th><th>median</th>"
            "<th>90 %</th><th>unit</th></tr>")  # fmt: skip
    body = [_stats_row(label, _values(threats, col), len(threats), "s") for col, label in
            TIME_COLUMNS]  # fmt: skip
    for col, label, unit in (
        ("leakers", "leakers per run", "threats"),
        ("defeated", "threats defeated per run", "threats"),
        ("false_alerts_per_hour", "false alerts per hour", "1/h"),
        ("engagements", "engagements per run", ""),
        ("defence_cost_eur", "defence cost per run", "EUR"),
        ("cost_exchange_ratio", "cost-exchange ratio", ""),
        ("gospa_mean_m", "mean GOSPA, whole picture", "m"),
        ("gospa_hostile_m", "mean GOSPA, hostile objects", "m"),
        ("wall_time_s", "wall time per run", "s"),
    ):
        body.append(_stats_row(label, _values(runs, col), len(runs), unit))
    return f"<table>{head}{''.join(body)}</table>"


def _pairs(v: Any) -> list[tuple[str, float]]:
    """A map cell as (key, value) pairs: arrow gives a list of tuples, a Python row a dict."""
    if v is None:
        return []
    items = v.items() if isinstance(v, Mapping) else v
    return [(str(k), float(x)) for k, x in items]


def _by_effector(runs: Sequence[Mapping[str, Any]]) -> str:
    """Engagements and their cost per effector type over all runs, costliest first."""
    count: dict[str, float] = {}
    cost: dict[str, float] = {}
    for r in runs:
        for k, n in _pairs(r.get("engagements_by_effector")):
            count[k] = count.get(k, 0.0) + n
        for k, c in _pairs(r.get("cost_by_effector_eur")):
            cost[k] = cost.get(k, 0.0) + c
    if not count:
        return "<p>No engagement in any run.</p>"
    total = sum(cost.values())
    head = ("<tr><th>effector</th><th>engagements</th><th>cost, EUR</th>"
            "<th>share of the cost</th></tr>")  # fmt: skip
    body = []
    for k in sorted(count, key=lambda e: (-cost.get(e, 0.0), e)):
        c = cost.get(k, 0.0)
        share = f"{100.0 * c / total:.1f} %" if total > 0 else DASH
        body.append(
            f'<tr><td>{escape(k)}</td><td class="num">{int(count[k])}</td>'
            f'<td class="num">{c:,.0f}</td><td class="num">{share}</td></tr>'
        )
    return f"<table>{head}{''.join(body)}</table>"


def _run_table(
    rows: Sequence[Mapping[str, Any]], runs: Sequence[Mapping[str, Any]], failed: Mapping[int, str]
) -> str:
    per_seed: dict[int, list[Mapping[str, Any]]] = {}
    for r in rows:
        per_seed.setdefault(int(r["seed"]), []).append(r)
    cols = ("seed", "threats", "detected", "confirmed", "alerted", "leakers", "defeated",
            "false alerts/h", "engagements", "defence cost EUR", "cost-exchange", "GOSPA m",
            "wall s")  # fmt: skip
    out = ["<table><tr>" + "".join(f"<th>{escape(c)}</th>" for c in cols) + "</tr>"]
    by_seed = {int(r["seed"]): r for r in runs}
    for seed in sorted(set(by_seed) | set(failed)):
        if seed in failed:
            out.append(f'<tr class="failed"><td class="num">{seed}</td>'
                       f'<td colspan="{len(cols) - 1}" class="bad">failed: '
                       f"{escape(failed[seed])}</td></tr>")  # fmt: skip
            continue
        r = by_seed[seed]
        threats = [t for t in per_seed[seed] if t["threat_id"] is not None]
        cells = [
            str(seed),
            str(len(threats)),
            str(sum(t["first_detected_s"] is not None for t in threats)),
            str(sum(t["first_confirmed_s"] is not None for t in threats)),
            str(sum(t["first_alert_s"] is not None for t in threats)),
            str(r["leakers"]),
            str(r["defeated"]),
            _fmt(r["false_alerts_per_hour"]),
            str(r["engagements"]),
            _fmt(r["defence_cost_eur"], 0),
            _fmt(r["cost_exchange_ratio"], 3),
            _fmt(r["gospa_mean_m"]),
            _fmt(r["wall_time_s"], 2),
        ]
        out.append("<tr>" + "".join(f'<td class="num">{c}</td>' for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _failures(failures: Sequence[RunFailure]) -> str:
    if not failures:
        return "<p>Every run finished.</p>"
    parts = [f'<p class="bad">{len(failures)} run(s) failed; the others are kept.</p>']
    for f in failures:
        where = f" on {escape(f.worker)}" if f.worker else ""
        parts.append(
            f"<details><summary>seed {f.seed}{where}: {escape(f.error)}</summary>"
            f"<pre>{escape(f.traceback)}</pre></details>"
        )
    return "".join(parts)


def render_campaign(
    table: pa.Table, failures: Sequence[RunFailure], meta: Mapping[str, Any]
) -> str:
    """The page of a campaign: its facts, key figures, distributions, per-run table, failures."""
    rows = table.to_pylist()
    threats = [r for r in rows if r["threat_id"] is not None]
    seen: set[int] = set()
    runs = []
    for r in rows:
        if int(r["seed"]) not in seen:
            seen.add(int(r["seed"]))
            runs.append(r)
    failed = {f.seed: f.error for f in failures}
    name = str(meta.get("scenario", "?"))
    title = f"dronewall campaign: {name}"
    n_runs = int(meta.get("runs", len(runs) + len(failed)))
    facts = (
        f"{escape(str(meta.get('description', '')))}<br>"
        f"{n_runs} runs (seeds {meta.get('seed0', 0)} to {int(meta.get('seed0', 0)) + n_runs - 1})"
        f", {len(runs)} finished, "
        + (f'<span class="bad">{len(failed)} failed</span>' if failed else "0 failed")
        + f" · {len(threats)} threat rows · simulated {_fmt(meta.get('duration_s'), 0)} s per run"
        f" · engagement policy {escape(str(meta.get('policy', 'cost-aware')))}"
        f" · {escape(str(meta.get('workers', '?')))} workers ({escape(str(meta.get('scheduler')))})"
        f" · runs took {_fmt(meta.get('compute_s'), 1)} s · created "
        f"{escape(str(meta.get('created_utc', '')))}"
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
<p class="meta">{facts}</p>
</header>
<section id="figures">
<h2>Key figures</h2>
{_key_figures(threats, runs)}
<p class="meta">Times are seconds from the threat's appearance; "with a value" counts threats
(or runs) for which the event happened at all. Run figures count each run once.</p>
<h3>Engagements by effector, all runs</h3>
{_by_effector(runs)}
</section>
<section id="times">
<h2>Time to detect, confirm and alert</h2>
<figure><img alt="distributions of the times to detect, confirm and alert"
src="data:image/png;base64,{times_png(threats)}"><figcaption>Over all threats of all finished
runs; red line: median.</figcaption></figure>
</section>
<section id="outcomes">
<h2>Leakers and outcomes</h2>
<figure><img alt="leakers per run and outcomes" src="data:image/png;base64,{outcomes_png(threats,
runs)}"><figcaption>Left: how many runs had 0, 1, 2, ... leakers. Right: outcome of every
threat.</figcaption></figure>
</section>
<section id="runs-figures">
<h2>False alerts, cost exchange, GOSPA</h2>
<figure><img alt="false alerts per hour, cost-exchange ratio and GOSPA over the runs"
src="data:image/png;base64,{runs_png(runs)}"><figcaption>One value per run. Cost-exchange ratio:
what the defence spent on engagements over what the run's hostile objects cost.</figcaption>
</figure>
</section>
<section id="failures">
<h2>Failed runs</h2>
{_failures(failures)}
</section>
<section id="runs">
<h2>Runs</h2>
{_run_table(rows, runs, failed)}
</section>
<footer>Generated by dronewall {escape(str(meta.get("dronewall_version", "")))} ·
definitions in docs/campaign.md; the data are in campaign.parquet beside this page.</footer>
</body>
</html>
"""  # fmt: skip
