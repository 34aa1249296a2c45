"""The rows of ``campaign.parquet``: one per run and threat, with the run's figures repeated.

Data layout
-----------
A campaign table has one row per (run, hostile object) in seed order, then in the order of the
run's ``summary["threats"]``. A run without any hostile object (a hoax, a hobby park) still gives
one row, whose threat columns are null, so that its run-level figures (false alerts, GOSPA, ...)
are never lost. Run-level columns repeat on every row of their run; take one row per ``seed``
(e.g. ``threat_index == 0 | threat_index is null``) before averaging them over runs.

Times are seconds. ``*_s`` columns without ``time_to_`` are measured from the scenario start (as in
``summary.json``); ``time_to_*_s`` from the object's appearance ``appeared_s``. Null means never.
Definitions of the run figures (see also :mod:`dronewall.pipeline.evaluation`):

``appeared_s``
    the start of the tick window in which the object first flies: ``t_k - tick_s`` for the first
    tick ``t_k`` at which the truth has it alive. A detection cannot come earlier, so the times to
    detect, confirm and alert are never negative and are exact to one tick.
``false_alerts_per_hour``
    ``alerts_false / (sim_duration_s / 3600)``: alerts of level warning or above raised on tracks
    whose truth is not a hostile object (or no object), per simulated hour.
``cost_exchange_ratio``
    ``defence_cost_eur / threat_cost_eur``: what the defence spent on engagements over what the
    run's hostile objects cost (all of them, defeated or not); above 1 the defender pays more. Null
    when the run has no hostile object.
``policy``
    the engagement doctrine of the run's advice (``EngagementConfig.policy``): ``cost-aware``
    (the default) or ``most-capable-first`` (the cost-exchange baseline).
``leakers``
    hostile objects of the run whose outcome is ``leaked`` (entered the core of their target site
    before any defeat).
``gospa_mean_m`` / ``gospa_hostile_m``
    the run's mean GOSPA (c = 100 m, p = 2, alpha = 2) of the whole picture / of the hostile
    objects only, metres.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from dronewall.core.taxonomy import Allegiance
from dronewall.sim import TruthTable

#: Columns, their arrow types and units / meaning (docs/campaign.md prints the same table).
COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("scenario", pa.string(), "scenario name"),
    ("policy", pa.string(), "engagement doctrine of the advice: cost-aware or most-capable-first"),
    ("seed", pa.int64(), "the run's random seed"),
    ("threat_index", pa.int32(), "position of the threat in the run (0, 1, ...); null: none"),
    ("threat_id", pa.string(), "hostile object id"),
    ("threat_class", pa.string(), "object class label (quadcopter, fixed-wing, ...)"),
    ("threat_target", pa.string(), "id of the site it is aimed at; null: none"),
    ("threat_unit_cost_eur", pa.float64(), "unit cost of the object, EUR"),
    ("appeared_s", pa.float64(), "s from start: the object starts to fly"),
    ("first_detected_s", pa.float64(), "s from start: first detection by a sensor (not sightings)"),
    ("first_confirmed_s", pa.float64(), "s from start: first confirmed track on it"),
    ("first_alert_s", pa.float64(), "s from start: first alert of level warning or above on it"),
    ("reached_core_s", pa.float64(), "s from start: entered its target's core"),
    ("defeated_s", pa.float64(), "s from start: destroyed by an engagement"),
    ("time_to_detect_s", pa.float64(), "first_detected_s - appeared_s"),
    ("time_to_confirm_s", pa.float64(), "first_confirmed_s - appeared_s"),
    ("time_to_alert_s", pa.float64(), "first_alert_s - appeared_s"),
    ("outcome", pa.string(), "defeated, leaked or left"),
    ("engaged_by", pa.list_(pa.string()), "effector types that engaged it"),
    ("sim_duration_s", pa.float64(), "simulated time of the run, s"),
    ("objects", pa.int64(), "simulated objects (all allegiances)"),
    ("hostile_objects", pa.int64(), "hostile objects (threats) of the run"),
    ("detections", pa.int64(), "detections received by the pipeline"),
    ("tracks_confirmed", pa.int64(), "tracks ever confirmed"),
    ("alerts_true", pa.int64(), "alerts (warning+) on hostile objects"),
    ("alerts_false", pa.int64(), "alerts (warning+) on anything else"),
    ("false_alerts_per_hour", pa.float64(), "alerts_false per simulated hour, 1/h"),
    ("recommendations", pa.int64(), "engagement recommendations made"),
    ("recommendations_against_civil", pa.int64(), "of which against civil or friendly objects"),
    ("engagements", pa.int64(), "engagements executed"),
    ("leakers", pa.int64(), "threats of the run that leaked"),
    ("defeated", pa.int64(), "threats of the run that were defeated"),
    ("defence_cost_eur", pa.float64(), "cost of the engagements, EUR"),
    (
        "engagements_by_effector",
        pa.map_(pa.string(), pa.int64()),
        "engagements executed per effector type id",
    ),
    (
        "cost_by_effector_eur",
        pa.map_(pa.string(), pa.float64()),
        "their cost per effector type id, EUR",
    ),
    ("threat_cost_eur", pa.float64(), "cost of the run's hostile objects, EUR"),
    ("cost_exchange_ratio", pa.float64(), "defence_cost_eur / threat_cost_eur"),
    ("gospa_mean_m", pa.float64(), "mean GOSPA of the whole picture, m"),
    ("gospa_hostile_m", pa.float64(), "mean GOSPA of the hostile objects, m"),
    ("wall_time_s", pa.float64(), "wall-clock time of the run on its worker, s"),
)

SCHEMA = pa.schema([pa.field(name, kind) for name, kind, _ in COLUMNS])
"""The arrow schema of ``campaign.parquet``."""

_NAMES = tuple(name for name, _, _ in COLUMNS)
#: Columns that describe a threat (null on the row of a run without threats).
THREAT_COLUMNS = _NAMES[_NAMES.index("threat_index") : _NAMES.index("engaged_by") + 1]
#: Columns that may differ between two runs of the same seed (everything else must not).
NONDETERMINISTIC_COLUMNS = ("wall_time_s",)


@dataclass(frozen=True, slots=True)
class ObjectFacts:
    """What the summary does not say about a run's objects, from its truth table.

    ``target`` (site id or ``None``), ``unit_cost_eur`` and ``appeared_s`` (see the module
    docstring) per object id.
    """

    target: Mapping[str, str | None]
    unit_cost_eur: Mapping[str, float]
    appeared_s: Mapping[str, float]


def object_facts(
    truth: TruthTable, site_ids: Sequence[str], t0: float, tick_s: float
) -> ObjectFacts:
    """Targets, unit costs and appearance times of the objects of ``truth`` (``alive`` is (T, K)).

    ``site_ids`` are the scenario's sites in order (``truth.target_site`` indexes them) and ``t0``
    the scenario start, UTC epoch seconds. An object never alive gets ``appeared_s = NaN``.
    """
    alive: NDArray[np.bool_] = truth.alive
    ever = alive.any(axis=0)
    first = np.argmax(alive, axis=0)
    appeared = np.where(ever, truth.times[first] - t0 - tick_s, np.nan)
    target: dict[str, str | None] = {}
    for obj_id, site in zip(truth.ids, truth.target_site.tolist(), strict=True):
        target[obj_id] = site_ids[site] if site >= 0 else None
    return ObjectFacts(
        target=target,
        unit_cost_eur=dict(zip(truth.ids, truth.cost_eur.tolist(), strict=True)),
        appeared_s=dict(zip(truth.ids, appeared.tolist(), strict=True)),
    )


def _num(value: Any) -> float | None:
    """A finite float, or ``None`` for missing / non-finite values."""
    if value is None:
        return None
    f = float(value)
    return f if math.isfinite(f) else None


def _since(t: float | None, t_appeared: float | None) -> float | None:
    if t is None or t_appeared is None:
        return None
    return round(t - t_appeared, 6)


def run_rows(
    summary: Mapping[str, Any],
    facts: ObjectFacts,
    wall_time_s: float,
    *,
    policy: str = "cost-aware",
) -> list[dict[str, Any]]:
    """The table rows of one run from its ``summary`` (as :func:`dronewall.pipeline.simulate`
    returns it) and the facts of its objects; ``policy`` is the engagement doctrine the run's
    advice followed (the scenario's ``policy.engagement``), which the summary does not carry.

    Raises ``KeyError`` naming the summary key that is missing (a pipeline that changed shape).
    """
    threats: list[Mapping[str, Any]] = list(summary["threats"])
    duration_s = float(summary["sim_duration_s"])
    alerts_false = int(summary["alerts_false"])
    defence = float(summary["defence_cost_eur"])
    threat_cost = float(summary["threat_cost_eur"])
    outcomes = [str(t["outcome"]) for t in threats]
    hostile_gospa = summary["gospa_by_allegiance"][Allegiance.HOSTILE.label]["total"]
    run: dict[str, Any] = {
        "scenario": str(summary["scenario"]),
        "policy": str(policy),
        "seed": int(summary["seed"]),
        "sim_duration_s": duration_s,
        "objects": int(summary["objects"]),
        "hostile_objects": int(summary["hostile_objects"]),
        "detections": int(summary["detections"]),
        "tracks_confirmed": int(summary["tracks_confirmed"]),
        "alerts_true": int(summary["alerts_true"]),
        "alerts_false": alerts_false,
        "false_alerts_per_hour": alerts_false / (duration_s / 3600.0) if duration_s > 0 else None,
        "recommendations": int(summary["recommendations"]),
        "recommendations_against_civil": int(summary["recommendations_against_civil"]),
        "engagements": int(summary["engagements"]),
        "leakers": outcomes.count("leaked"),
        "defeated": outcomes.count("defeated"),
        "defence_cost_eur": defence,
        "engagements_by_effector": {
            str(k): int(v) for k, v in sorted(summary["engagements_by_effector"].items())
        },
        "cost_by_effector_eur": {
            str(k): float(v) for k, v in sorted(summary["cost_by_effector_eur"].items())
        },
        "threat_cost_eur": threat_cost,
        "cost_exchange_ratio": defence / threat_cost if threat_cost > 0 else None,
        "gospa_mean_m": _num(summary["gospa_mean"]["total"]),
        "gospa_hostile_m": _num(hostile_gospa),
        "wall_time_s": float(wall_time_s),
    }
    if not threats:
        return [{**dict.fromkeys(THREAT_COLUMNS), **run}]
    rows = []
    for i, threat in enumerate(threats):
        obj_id = str(threat["id"])
        appeared = _num(facts.appeared_s.get(obj_id))
        detected = _num(threat["first_detected_s"])
        confirmed = _num(threat["first_confirmed_s"])
        alerted = _num(threat["first_alert_s"])
        rows.append(
            {
                "threat_index": i,
                "threat_id": obj_id,
                "threat_class": str(threat["class"]),
                "threat_target": facts.target.get(obj_id),
                "threat_unit_cost_eur": _num(facts.unit_cost_eur.get(obj_id)),
                "appeared_s": appeared,
                "first_detected_s": detected,
                "first_confirmed_s": confirmed,
                "first_alert_s": alerted,
                "reached_core_s": _num(threat["reached_core_s"]),
                "defeated_s": _num(threat["defeated_s"]),
                "time_to_detect_s": _since(detected, appeared),
                "time_to_confirm_s": _since(confirmed, appeared),
                "time_to_alert_s": _since(alerted, appeared),
                "outcome": str(threat["outcome"]),
                "engaged_by": [str(e) for e in threat["engaged_by"]],
                **run,
            }
        )
    return rows


def rows_to_table(rows: Sequence[Mapping[str, Any]], metadata: Mapping[str, str]) -> pa.Table:
    """An arrow table of ``SCHEMA`` from rows (missing keys are null), sorted by seed and threat."""
    ordered = sorted(
        rows,
        key=lambda r: (int(r["seed"]), -1 if r.get("threat_index") is None else r["threat_index"]),
    )
    columns = {name: [r.get(name) for r in ordered] for name in SCHEMA.names}
    table = pa.Table.from_pydict(columns, schema=SCHEMA)
    return table.replace_schema_metadata({k.encode(): v.encode() for k, v in metadata.items()})
