"""A steppable run: the pipeline advanced one tick at a time from outside.

:class:`RunSession` owns one run's simulation, tracker, assessor, advisor, decision book and
evaluator, and its rows in an :class:`~dronewall.picture.EventStore`. Each :meth:`RunSession.step`
runs one tick ``t`` (``scenario.tick_s`` apart):

1. ``Simulation.sense(k)``: the detections received during the tick;
2. ``MultiSensorTracker.step`` and ``snapshot(t)``: the track table;
3. ``Assessor.assess``: classes, identities, threats, alert events;
4. ``EngagementAdvisor.recommend``: proposals into the ``DecisionBook``; the *operator* answers
   them; approved ones are committed to their fire unit;
5. engagements whose effect time has come are resolved: the outcome is drawn from the assumed Pk of
   the effector against the *true* object behind the track, and a defeated object is removed from
   the simulation (this step, and scoring, are the only readers of truth);
6. detections, truth, track updates and events are appended to the store, in one transaction
   (or in the caller's open :meth:`~dronewall.picture.EventStore.transaction`).

The operator is either :class:`~dronewall.respond.SimulatedOperator` (the scenario's stated
policy; batch runs) or :class:`HumanOperator` (people decide through :meth:`RunSession.approve` and
:meth:`RunSession.reject` between ticks; proposals nobody answered expire at their time to live).

Data layout: the tick's picture is returned as a :class:`TickResult` holding the pipeline's own
struct-of-arrays types (``TrackTable``, ``Assessment``) plus the ``(N, 3)`` WGS84 positions.
Thread safety: :attr:`RunSession.lock` serialises :meth:`step` against human decisions, so a web
service may step in a worker thread while requests approve or reject.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

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
from dronewall.respond import (
    DecisionBook,
    DecisionRecord,
    DecisionState,
    Engagement,
    EngagementAdvisor,
    EngagementConfig,
    EngagementError,
    Recommendation,
    SimulatedOperator,
    engagement_pk,
)
from dronewall.sim import Scenario, Simulation
from dronewall.tracking import MultiSensorTracker, TrackerConfig
from dronewall.world import World

_OUTCOME_STREAM = 0x0E7C0E


class Operator(Protocol):
    """Who answers engagement proposals: a stated policy or people."""

    def decide(
        self, t: float, book: DecisionBook, live_track_ids: Collection[int]
    ) -> list[DecisionRecord]:
        """The decision records to act on at tick ``t`` (APPROVED, REJECTED or EXPIRED)."""
        ...


#: Who signs the expiry of a proposal nobody answered.
SYSTEM = "system"


class HumanOperator:
    """People decide: decisions are written into the book as they are made (between ticks) and
    acted on at the next tick; proposals nobody answered within ``proposal_ttl_s``, or whose track
    is gone, are expired by the system.

    Parameters
    ----------
    proposal_ttl_s : float
        Time to live of a proposal, s.
    """

    def __init__(self, proposal_ttl_s: float) -> None:
        if not proposal_ttl_s > 0:
            raise ValueError("proposal_ttl_s must be positive")
        self.proposal_ttl_s = float(proposal_ttl_s)
        self._queued: list[DecisionRecord] = []

    def submit(self, record: DecisionRecord) -> None:
        """Queue a decision already written into the book, to be acted on at the next tick."""
        self._queued.append(record)

    def decide(
        self, t: float, book: DecisionBook, live_track_ids: Collection[int]
    ) -> list[DecisionRecord]:
        """The queued decisions, then the expiry of stale proposals."""
        out, self._queued = self._queued, []
        live = set(live_track_ids)
        for rec in book.in_state(DecisionState.PROPOSED):
            if rec.track_id not in live:
                out.append(book.expire(rec.id, t, f"track {rec.track_id} no longer exists", SYSTEM))
            elif t - rec.t > self.proposal_ttl_s:
                out.append(
                    book.expire(
                        rec.id, t, f"not answered within {self.proposal_ttl_s:.0f} s", SYSTEM
                    )
                )
        return out


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick produced.

    Attributes
    ----------
    k : int
        Tick index.
    t : float
        Tick time, UTC epoch s.
    tracks : TrackTable
        All ``N`` tracks (tentative included), as recorded.
    assessment : Assessment
        Rows aligned with ``tracks``.
    lla : (N, 3) float64
        WGS84 latitude, longitude (degrees) and height (m) of each track.
    events : list of Event
        The events recorded this tick.
    batch : DetectionBatch
        The detections received during the tick.
    """

    k: int
    t: float
    tracks: TrackTable
    assessment: Assessment
    lla: np.ndarray
    events: list[Event]
    batch: DetectionBatch

    @property
    def n_detections(self) -> int:
        """Detections received during the tick."""
        return len(self.batch)


class SessionError(EngagementError):
    """A decision the session cannot take (no such proposal, not pending, run finished)."""


class RunSession:
    """One run, advanced tick by tick by its owner.

    Creating a session records the run's set-up in ``store`` (``begin_run``, sites, sensors, fire
    units, objects); :meth:`step` runs and records one tick; :meth:`finish` writes the summary.

    Parameters
    ----------
    scenario, world
        What to run.
    seed : int
        Seed of the simulation and of the outcome draws.
    store : EventStore
        Where the run is recorded (the caller opens and closes it).
    operator : Operator, optional
        Default: the scenario's :class:`~dronewall.respond.SimulatedOperator` policy.
    """

    def __init__(
        self,
        scenario: Scenario,
        world: World,
        *,
        seed: int,
        store: EventStore,
        operator: Operator | None = None,
        tracker_config: TrackerConfig | None = None,
        evaluation: EvaluationConfig | None = None,
    ) -> None:
        self.scenario = scenario
        self.world = world
        self.seed = int(seed)
        self.store = store
        self.lock = threading.RLock()
        self.sim = sim = Simulation(scenario, world, seed)
        frame = sim.frame
        truth = sim.truth
        self.tracker = MultiSensorTracker(tracker_config)
        rf_sensors = frozenset(s.index for s in sim.sensors if s.kind == "rf")
        self.assessor = Assessor(
            scenario.sites, frame, objects=world.objects, rf_sensors=rf_sensors
        )
        self.advisor = EngagementAdvisor(
            scenario.fire_units,
            frame,
            scenario.roe,
            EngagementConfig(
                proposal_ttl_s=scenario.policy.proposal_ttl_s, policy=scenario.policy.engagement
            ),
            site_values={s.id: s.value for s in scenario.sites},
        )
        self.book = DecisionBook()
        self.operator: Operator = (
            SimulatedOperator(scenario.policy) if operator is None else operator
        )
        self.outcome_rng = np.random.default_rng([seed, _OUTCOME_STREAM])
        site_enu = frame.lla_to_enu(
            np.array([[s.lat_deg, s.lon_deg, 0.0] for s in scenario.sites]).reshape(-1, 3)
        )
        self.evaluator = RunEvaluator(
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
        self.ledger = _Ledger()
        self.n_detections = 0
        self.k = 0
        self.last: TickResult | None = None
        self.finished = False
        self.run_id = store.begin_run(
            scenario=scenario.name,
            seed=seed,
            t0=scenario.t0,
            origin_lla=[frame.lat_deg, frame.lon_deg, frame.h_m],
            config={
                "scenario_source": scenario.source,
                "duration_s": scenario.duration_s,
                "tick_s": scenario.tick_s,
                "tracker": _config_dict(self.tracker.config),
                "policy": _config_dict(scenario.policy),
            },
        )
        _record_setup(store, self.run_id, scenario, sim)

    @property
    def n_ticks(self) -> int:
        """Number of ticks of the run."""
        return self.sim.n_ticks

    @property
    def done(self) -> bool:
        """True once every tick has run."""
        return self.k >= self.sim.n_ticks

    @property
    def t(self) -> float:
        """Time of the last tick run (the scenario start before the first), UTC epoch s."""
        return self.scenario.t0 if self.last is None else self.last.t

    @property
    def t_end(self) -> float:
        """Time of the last tick, UTC epoch s."""
        return float(self.sim.times[-1])

    def step(self) -> TickResult:
        """Run and record the next tick."""
        with self.lock:
            if self.done:
                raise SessionError("the run has no ticks left", field="tick", actual=str(self.k))
            k = self.k
            with self.store.transaction():
                res = _tick(
                    k,
                    self.sim,
                    self.tracker,
                    self.assessor,
                    self.advisor,
                    self.book,
                    self.operator,
                    self.outcome_rng,
                    self.evaluator,
                    self.ledger,
                    self.store,
                    self.run_id,
                )
            self.n_detections += res.n_detections
            self.k = k + 1
            self.last = res
            return res

    def _decide(self, proposal_id: str, approve: bool, who: str, why: str) -> DecisionRecord:
        if not isinstance(self.operator, HumanOperator):
            raise SessionError(
                "this run's proposals are answered by the simulated operator policy",
                field="operator",
            )
        if not who.strip() or not why.strip():
            raise SessionError("a decision needs a who and a why", field="reason")
        with self.lock:
            try:
                state = self.book.state_of(proposal_id)
            except KeyError:
                raise SessionError("no such proposal", field="id", actual=proposal_id) from None
            if state is not DecisionState.PROPOSED or self.finished:
                raise SessionError(
                    "the proposal is not pending",
                    field="state",
                    expected=str(DecisionState.PROPOSED),
                    actual=str(state),
                )
            move = self.book.approve if approve else self.book.reject
            record = move(proposal_id, self.t, who, why)
            self.operator.submit(record)
            return record

    def approve(self, proposal_id: str, who: str, why: str) -> DecisionRecord:
        """A person approves a pending proposal (human operator only); it is committed to its
        fire unit at the next tick. :class:`SessionError` if not pending."""
        return self._decide(proposal_id, True, who, why)

    def reject(self, proposal_id: str, who: str, why: str) -> DecisionRecord:
        """A person rejects a pending proposal (human operator only)."""
        return self._decide(proposal_id, False, who, why)

    def summary(self) -> dict[str, Any]:
        """The run's summary so far (as in ``summary.json``, without the wall time)."""
        with self.lock:
            out = _summary(
                self.scenario, self.seed, self.sim, self.evaluator, self.ledger, self.n_detections
            )
            # Rows the tracker refused (non-finite values), late detections used, merges, ...
            out["tracker_counters"] = dict(sorted(self.tracker.counters.items()))
            return out

    def finish(self, summary: dict[str, Any], status: str = "finished") -> None:
        """Record the end of the run with ``summary`` (from :meth:`summary`, plus anything)."""
        with self.lock:
            self.store.finish_run(self.run_id, summary, status)
            self.finished = True


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


def _tick(
    k: int,
    sim: Simulation,
    tracker: MultiSensorTracker,
    assessor: Assessor,
    advisor: EngagementAdvisor,
    book: DecisionBook,
    operator: Operator,
    outcome_rng: np.random.Generator,
    evaluator: RunEvaluator,
    ledger: _Ledger,
    store: EventStore,
    run_id: int,
) -> TickResult:
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
                t=record.t,
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
                # a jamming-immune object (autonomous, GNSS-independent) has no link to jam
                -1 if sim.truth.jam_immune[tru] else int(sim.truth.rf_protocol[tru]),
            )
            killed = bool(outcome_rng.random() < pk)
        if killed:
            sim.kill(tru, t)
            evaluator.observe_defeat(t, tru)
        outcome = "killed" if killed else "missed"
        why = "target destroyed" if killed else "target survived (or no object behind the track)"
        book.assess(eng.recommendation_id, t, outcome, "simulation", why)
        # the look of shoot-look-shoot: after a miss the track may be proposed again (next option)
        advisor.record_outcome(eng.id, t, outcome)
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
    lla = sim.frame.enu_to_lla(tracks.x[:, :3]) if len(tracks) else np.empty((0, 3))
    _record_tick(store, run_id, t, sim, batch, tracks, assessment, lla, pos, vel, alive, events)
    return TickResult(k, t, tracks, assessment, lla, events, batch)


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
    lla: np.ndarray,
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
            lla,
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
