"""One run, end to end: simulate → sense → track → assess → respond → record → report.

The loop is tick by tick (``scenario.tick_s``). Per tick ``t``:

1. ``Simulation.sense(k)``: the detections received during the tick;
2. ``MultiSensorTracker.step`` and ``snapshot(t)``: the track table;
3. ``Assessor.assess``: classes, identities, threats, alert events;
4. ``EngagementAdvisor.recommend``: proposals into the ``DecisionBook``; the simulated operator
   answers them by its stated policy; approved ones are committed to their fire unit;
5. engagements whose effect time has come are resolved: the outcome is drawn from the assumed Pk of
   the effector against the *true* object behind the track, and a defeated object is removed from
   the simulation (this step, and scoring, are the only readers of truth);
6. detections, truth, track updates and events are appended to the event store, one transaction
   per block of ticks.

At the end ``summary.json`` is written and the report is built from the store, all inside an
atomic run folder.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from dronewall.assess import AlertEvent, AlertEventKind, Assessment, Assessor
from dronewall.core.measurements import DetectionBatch
from dronewall.core.taxonomy import (
    PROTECTED_IDENTITIES,
    AlertLevel,
    Allegiance,
    Identity,
    ObjectClass,
)
from dronewall.core.tracks import TrackTable
from dronewall.picture import Event, EventStore
from dronewall.pipeline.evaluation import EvaluationConfig, RunEvaluator
from dronewall.pipeline.output import atomic_directory
from dronewall.report import write_report
from dronewall.respond import (
    DecisionBook,
    DecisionState,
    Engagement,
    EngagementAdvisor,
    EngagementConfig,
    EngagementError,
    Recommendation,
    SimulatedOperator,
    engagement_pk,
)
from dronewall.sim import Scenario, Simulation, load_scenario
from dronewall.tracking import MultiSensorTracker, TrackerConfig
from dronewall.world import World, load_world

#: Ticks written to the store per transaction.
FLUSH_TICKS = 60
_OUTCOME_STREAM = 0x0E7C0E


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run produced: its summary (as in ``summary.json``), its folder and its wall time."""

    summary: dict[str, Any]
    out_dir: Path
    wall_s: float


def run_scenario(
    source: str | Path,
    out: Path,
    *,
    seed: int = 0,
    progress: bool = False,
    world: World | None = None,
    tracker_config: TrackerConfig | None = None,
    evaluation: EvaluationConfig | None = None,
) -> RunResult:
    """Run a built-in scenario or a scenario file and write ``out`` (atomically).

    Writes ``out/summary.json``, ``out/events.sqlite`` and ``out/report.html``. A bad scenario
    raises before anything is written; any failure leaves a previous ``out`` untouched.
    """
    start = time.perf_counter()
    world = load_world() if world is None else world
    scenario = load_scenario(source, world)
    with atomic_directory(Path(out)) as work:
        summary = simulate(
            scenario,
            world,
            seed=seed,
            db_path=work / "events.sqlite",
            progress=progress,
            tracker_config=tracker_config,
            evaluation=evaluation,
        )
        (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        write_report(work)
    return RunResult(summary=summary, out_dir=Path(out), wall_s=time.perf_counter() - start)


@dataclass(slots=True)
class _Ledger:
    """Per-run bookkeeping of the respond loop (small: a few proposals per minute)."""

    pending: list[tuple[Engagement, int]] = field(default_factory=list)
    confirmed: set[int] = field(default_factory=set)
    alerted: set[tuple[int, str]] = field(default_factory=set)
    recommendations: int = 0
    against_civil: int = 0
    engagements: int = 0
    defence_cost_eur: float = 0.0
    alert_events: int = 0
    sighting_events: int = 0
    leaked: set[int] = field(default_factory=set)


def simulate(
    scenario: Scenario,
    world: World,
    *,
    seed: int,
    db_path: Path,
    progress: bool = False,
    tracker_config: TrackerConfig | None = None,
    evaluation: EvaluationConfig | None = None,
) -> dict[str, Any]:
    """Run the pipeline over a scenario, record it in ``db_path`` and return the summary."""
    wall0 = time.perf_counter()
    sim = Simulation(scenario, world, seed)
    frame = sim.frame
    truth = sim.truth
    tracker = MultiSensorTracker(tracker_config)
    rf_sensors = frozenset(s.index for s in sim.sensors if s.kind == "rf")
    assessor = Assessor(scenario.sites, frame, objects=world.objects, rf_sensors=rf_sensors)
    advisor = EngagementAdvisor(
        scenario.fire_units,
        frame,
        scenario.roe,
        EngagementConfig(proposal_ttl_s=scenario.policy.proposal_ttl_s),
    )
    book = DecisionBook()
    operator = SimulatedOperator(scenario.policy)
    outcome_rng = np.random.default_rng([seed, _OUTCOME_STREAM])
    site_enu = frame.lla_to_enu(
        np.array([[s.lat_deg, s.lon_deg, 0.0] for s in scenario.sites]).reshape(-1, 3)
    )
    evaluator = RunEvaluator(
        t0=scenario.t0,
        ids=truth.ids,
        object_class=truth.object_class,
        allegiance=truth.allegiance,
        target_site=truth.target_site,
        cost_eur=truth.cost_eur,
        site_enu=site_enu,
        core_radius_m=np.array([s.core_radius_m for s in scenario.sites]),
        config=evaluation or EvaluationConfig(),
    )
    ledger = _Ledger()
    n_detections = 0

    store = EventStore.open(db_path)
    try:
        run_id = store.begin_run(
            scenario=scenario.name,
            seed=seed,
            t0=scenario.t0,
            origin_lla=[frame.lat_deg, frame.lon_deg, frame.h_m],
            config={
                "scenario_source": scenario.source,
                "duration_s": scenario.duration_s,
                "tick_s": scenario.tick_s,
                "tracker": _config_dict(tracker.config),
                "policy": _config_dict(scenario.policy),
            },
        )
        _record_setup(store, run_id, scenario, sim)
        with _progress(progress, scenario.name, sim.n_ticks) as advance:
            for block in range(0, sim.n_ticks, FLUSH_TICKS):
                with store.transaction():
                    for k in range(block, min(block + FLUSH_TICKS, sim.n_ticks)):
                        n_detections += _tick(
                            k,
                            sim,
                            tracker,
                            assessor,
                            advisor,
                            book,
                            operator,
                            outcome_rng,
                            evaluator,
                            ledger,
                            store,
                            run_id,
                        )
                        advance()
        summary = _summary(scenario, seed, sim, evaluator, ledger, n_detections)
        # Rows the tracker refused (non-finite values), late detections used, merges, ...
        summary["tracker_counters"] = dict(sorted(tracker.counters.items()))
        summary["wall_time_s"] = round(time.perf_counter() - wall0, 3)
        store.finish_run(run_id, summary)
    except BaseException:
        store.close()
        raise
    store.close()
    return summary


def _tick(
    k: int,
    sim: Simulation,
    tracker: MultiSensorTracker,
    assessor: Assessor,
    advisor: EngagementAdvisor,
    book: DecisionBook,
    operator: SimulatedOperator,
    outcome_rng: np.random.Generator,
    evaluator: RunEvaluator,
    ledger: _Ledger,
    store: EventStore,
    run_id: int,
) -> int:
    t = float(sim.times[k])
    batch = sim.sense(k)
    tracker.step(batch, t=t)
    tracks = tracker.snapshot(t)
    assessment = assessor.assess(t, tracks, batch)
    events: list[Event] = []
    truth_of = dict(zip(tracks.track_id.tolist(), tracks.truth.tolist(), strict=True))

    # Track life.
    for tid in tracks.track_id[tracks.confirmed].tolist():
        if tid not in ledger.confirmed:
            ledger.confirmed.add(tid)
            events.append(Event(t=t, kind="track_confirmed", track_id=tid))
    events.extend(
        Event(t=t, kind="track_deleted", track_id=int(tid)) for tid in tracker.deleted_ids
    )

    # Alerts.
    for ev in assessment.events:
        events.append(_alert_event(ev))
        if (
            ev.track_id >= 0
            and ev.kind in (AlertEventKind.RAISED, AlertEventKind.ESCALATED)
            and ev.level >= AlertLevel.WARNING
            and ev.previous < AlertLevel.WARNING
        ):
            evaluator.observe_alert(t, truth_of.get(ev.track_id, -1))

    # Respond: proposals, the operator's answers, commitments.
    recs = advisor.recommend(t, tracks, assessment)
    for rec in recs:
        book.propose(rec)
        ledger.recommendations += 1
        tru = truth_of.get(rec.track_id, -1)
        civil = Identity(rec.identity) in PROTECTED_IDENTITIES or (
            tru >= 0 and int(sim.truth.allegiance[tru]) in _PROTECTED_ALLEGIANCE
        )
        ledger.against_civil += int(civil)
        events.append(_recommendation_event(rec, civil))
    for record in operator.decide(t, book, set(truth_of)):
        rid = record.recommendation_id
        rec = book.recommendation(rid)
        events.append(
            Event(
                t=t,
                kind="decision",
                track_id=rec.track_id,
                site_id=rec.site_id or None,
                payload={
                    "recommendation_id": rid,
                    "state": str(record.state),
                    "who": record.who,
                    "why": record.why,
                    "effector_id": rec.effector_id,
                },
            )
        )
        if record.state is DecisionState.APPROVED:
            try:
                eng = advisor.commit(rec, t)
            except EngagementError as exc:
                book.expire(rid, t, f"could not be executed: {exc.message}", "fire-unit")
                advisor.release(rid)
                continue
            book.execute(eng)
            ledger.engagements += 1
            ledger.defence_cost_eur += eng.cost_eur
            tru = truth_of.get(eng.track_id, -1)
            ledger.pending.append((eng, tru))
            evaluator.observe_engagement(tru, eng.effector_id)
            events.append(
                Event(
                    t=t,
                    kind="engagement",
                    track_id=eng.track_id,
                    site_id=eng.site_id or None,
                    payload={
                        "engagement_id": eng.id,
                        "recommendation_id": rid,
                        "fire_unit_id": eng.fire_unit_id,
                        "effector_id": eng.effector_id,
                        "t_effect": eng.t_effect,
                        "pk": eng.pk,
                        "cost_eur": eng.cost_eur,
                    },
                )
            )
        elif record.state in (DecisionState.REJECTED, DecisionState.EXPIRED):
            advisor.release(rid)

    # Effects that land now: the outcome is drawn against the true object.
    due = [(e, tru) for e, tru in ledger.pending if e.t_effect <= t]
    ledger.pending = [(e, tru) for e, tru in ledger.pending if e.t_effect > t]
    for eng, tru_at_commit in due:
        tru = truth_of.get(eng.track_id, tru_at_commit)
        killed = False
        if tru >= 0 and sim.truth.alive[k, tru]:
            effector = sim.world.effectors[eng.effector_id]
            pk = engagement_pk(
                effector,
                ObjectClass(int(sim.truth.object_class[tru])),
                int(sim.truth.rf_protocol[tru]),
            )
            killed = bool(outcome_rng.random() < pk)
        if killed:
            sim.kill(tru, t)
            evaluator.observe_defeat(t, tru)
        outcome = "killed" if killed else "missed"
        why = "target destroyed" if killed else "target survived (or no object behind the track)"
        book.assess(eng.recommendation_id, t, outcome, "simulation", why)
        events.append(
            Event(
                t=t,
                kind="outcome",
                track_id=eng.track_id,
                site_id=eng.site_id or None,
                payload={
                    "engagement_id": eng.id,
                    "effector_id": eng.effector_id,
                    "outcome": outcome,
                },
            )
        )

    # Score and record.
    pos, vel, alive = sim.truth.pos[k], sim.truth.vel[k], sim.truth.alive[k]
    evaluator.observe_detections(batch)
    evaluator.observe_tick(t, tracks, pos, alive)
    for obj in np.flatnonzero(~np.isnan(evaluator.t_leak)).tolist():
        if obj not in ledger.leaked:
            ledger.leaked.add(obj)
            site = int(sim.truth.target_site[obj])
            events.append(
                Event(
                    t=t,
                    kind="leak",
                    site_id=sim.scenario.sites[site].id if site >= 0 else None,
                    payload={"object_id": sim.truth.ids[obj]},
                )
            )
    _record_tick(store, run_id, t, sim, batch, tracks, assessment, pos, vel, alive, events)
    return len(batch)


_PROTECTED_ALLEGIANCE = {int(Allegiance.CIVIL), int(Allegiance.FRIEND)}


def _alert_event(ev: AlertEvent) -> Event:
    report = ev.kind.value.startswith("report")
    return Event(
        t=ev.t,
        kind="sighting_alert" if report else "alert",
        track_id=ev.track_id if ev.track_id >= 0 else None,
        site_id=ev.site_id,
        payload={
            "change": ev.kind.value,
            "level": ev.level.label,
            "previous": ev.previous.label,
            "score": round(float(ev.score), 4),
            "reason": ev.reason,
            "report_id": ev.report_id,
        },
    )


def _recommendation_event(rec: Recommendation, civil: bool) -> Event:
    return Event(
        t=rec.t,
        kind="recommendation",
        track_id=rec.track_id,
        site_id=rec.site_id or None,
        payload={
            "recommendation_id": rec.id,
            "fire_unit_id": rec.fire_unit_id,
            "effector_id": rec.effector_id,
            "layer": rec.layer.label,
            "pk": round(float(rec.pk), 4),
            "cost_eur": rec.cost_eur,
            "time_to_intercept_s": round(float(rec.time_to_intercept_s), 2),
            "identity": Identity(rec.identity).label,
            "object_class": ObjectClass(int(rec.object_class)).label,
            "threat_score": round(float(rec.threat_score), 4),
            "reason": rec.reason,
            "alternatives": [
                {
                    "effector_id": a.effector_id,
                    "fire_unit_id": a.fire_unit_id,
                    "pk": round(float(a.pk), 4),
                    "cost_eur": a.cost_eur,
                    "why_not": a.why_not,
                }
                for a in rec.alternatives
            ],
            "against_protected": civil,
        },
    )


def _record_setup(store: EventStore, run_id: int, scenario: Scenario, sim: Simulation) -> None:
    store.add_sites(run_id, scenario.sites)
    store.add_sensors(
        run_id,
        [
            {
                "idx": s.index,
                "sensor_id": s.id,
                "kind": s.kind,
                "lat": s.lat_deg,
                "lon": s.lon_deg,
                "h_m": s.h_m,
                "max_range_m": s.max_range_m,
            }
            for s in sim.sensors
        ],
    )
    store.add_fire_units(run_id, scenario.fire_units)
    tr = sim.truth
    store.add_objects(
        run_id,
        [
            {
                "idx": i,
                "object_id": tr.ids[i],
                "type_id": tr.type_ids[i],
                "object_class": ObjectClass(int(tr.object_class[i])).label,
                "allegiance": Allegiance(int(tr.allegiance[i])).label,
                "target_site": (
                    scenario.sites[int(tr.target_site[i])].id if tr.target_site[i] >= 0 else None
                ),
                "icao": int(tr.icao[i]) if tr.icao[i] >= 0 else None,
                "rcs_m2": float(tr.rcs_m2[i]),
                "cost_eur": float(tr.cost_eur[i]),
            }
            for i in range(len(tr))
        ],
    )


def _record_tick(
    store: EventStore,
    run_id: int,
    t: float,
    sim: Simulation,
    batch: DetectionBatch,
    tracks: TrackTable,
    assessment: Assessment,
    pos: np.ndarray,
    vel: np.ndarray,
    alive: np.ndarray,
    events: list[Event],
) -> None:
    store.append_detections(run_id, batch)
    idx = np.flatnonzero(alive)
    if idx.size:
        store.append_truth(
            run_id,
            t,
            idx,
            np.hstack([pos[idx], vel[idx]]),
            sim.frame.enu_to_lla(pos[idx]),
        )
    if len(tracks):
        cls = assessment.object_class.astype(np.intp)
        store.append_track_updates(
            run_id,
            t,
            tracks,
            sim.frame.enu_to_lla(tracks.x[:, :3]),
            [ObjectClass(int(c)).label for c in cls],
            assessment.class_probs[np.arange(len(cls)), cls],
            [Identity(int(i)).label for i in assessment.identity],
            assessment.score,
        )
    if events:
        store.append_events(run_id, events)


def _summary(
    scenario: Scenario,
    seed: int,
    sim: Simulation,
    evaluator: RunEvaluator,
    ledger: _Ledger,
    n_detections: int,
) -> dict[str, Any]:
    return {
        "scenario": scenario.name,
        "seed": seed,
        "sim_duration_s": float(sim.times[-1] - scenario.t0),
        "tick_s": scenario.tick_s,
        "objects": len(sim.truth),
        "hostile_objects": int(evaluator.hostile.sum()),
        "detections": n_detections,
        "tracks_confirmed": len(ledger.confirmed),
        "gospa_mean": evaluator.gospa_mean(),
        "gospa_by_allegiance": evaluator.gospa_by_allegiance(),
        "siap": evaluator.siap(),
        "threats": evaluator.threats(),
        "alerts_true": evaluator.alerts_true,
        "alerts_false": evaluator.alerts_false,
        "recommendations": ledger.recommendations,
        "recommendations_against_civil": ledger.against_civil,
        "engagements": ledger.engagements,
        "defence_cost_eur": ledger.defence_cost_eur,
        "threat_cost_eur": evaluator.threat_cost_eur(),
        "definitions": (
            "times in seconds from the scenario start; first_alert_s is the first alert of level "
            "warning or above; outcome defeated/leaked (entered the target site's core)/left; "
            "alerts_true/false count raises to warning or above on tracks of hostile / other "
            "objects"
        ),
    }


def _config_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in getattr(obj, "__dataclass_fields__", {}):
        v = getattr(obj, name)
        if isinstance(v, bool | int | str) or (isinstance(v, float) and math.isfinite(v)):
            out[name] = v
    return out


@contextmanager
def _progress(enabled: bool, name: str, total: int) -> Iterator[Any]:
    """A rich progress bar that only appears for runs longer than a second."""
    if not enabled:
        yield lambda: None
        return
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} ticks"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        transient=True,
    )
    task = bar.add_task(name, total=total)
    started = time.perf_counter()
    shown = False

    def advance() -> None:
        nonlocal shown
        bar.advance(task)
        if not shown and time.perf_counter() - started > 1.0:
            bar.start()
            shown = True

    try:
        yield advance
    finally:
        if shown:
            bar.stop()
