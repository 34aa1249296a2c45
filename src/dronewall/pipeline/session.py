"""A steppable run: the pipeline advanced one tick at a time from outside.

A run has two halves. A *detection source* gives the detections of each tick: the simulation
(:class:`RunSession`) or a stream of recorded or live detections cut into frames
(:class:`StreamSession`, used by ``dronewall replay-capture`` and ``dronewall ingest``). The
*picture steps* (:class:`PictureLoop`), the same for both, turn them into the picture:

1. ``MultiSensorTracker.step`` and ``snapshot(t)``: the track table;
2. ``Assessor.assess``: classes, identities, threats, alert events;
3. ``EngagementAdvisor.recommend``: proposals into the ``DecisionBook``; the *operator* answers
   them; approved ones are committed to their fire unit;
4. engagements whose effect time has come are resolved by the run's :class:`Referee`, when it has
   one: in a simulation the outcome is drawn from the assumed Pk of the effector against the *true*
   object behind the track, and a defeated object is removed from the simulation (this, and
   scoring, are the only readers of truth). Without truth (captures, live inputs) nothing observes
   the effect: the outcome is recorded as ``unknown``;
5. detections, truth (simulation only), track updates and events are appended to the store, in one
   transaction (or in the caller's open :meth:`~dronewall.picture.EventStore.transaction`).

The operator is either :class:`~dronewall.respond.SimulatedOperator` (the scenario's stated
policy; simulated batch runs only) or :class:`HumanOperator` (people decide through
:meth:`RunSession.approve` and :meth:`RunSession.reject` between ticks; proposals nobody answered
expire at their time to live). A :class:`StreamSession` always has a :class:`HumanOperator`: on
real data the advice is decision support only, and in a replay, where no person answers, its
proposals simply expire.

Data layout: the tick's picture is returned as a :class:`TickResult` holding the pipeline's own
struct-of-arrays types (``TrackTable``, ``Assessment``) plus the ``(N, 3)`` WGS84 positions.
Thread safety: :attr:`RunSession.lock` serialises :meth:`step` against human decisions, so a web
service may step in a worker thread while requests approve or reject.
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from dronewall.assess import AlertEvent, AlertEventKind, Assessment, Assessor
from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import (
    PROTECTED_IDENTITIES,
    AlertLevel,
    Allegiance,
    Identity,
    ObjectClass,
)
from dronewall.core.tracks import TrackTable
from dronewall.geo.frames import LocalFrame
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
from dronewall.sensors.base import SensorSpec
from dronewall.sim import Scenario, Simulation
from dronewall.tracking import MultiSensorTracker, TrackerConfig
from dronewall.world import World
from dronewall.world.catalogue import ObjectType, Site
from dronewall.world.deployment import FireUnitSpec, OperatorPolicy, RulesOfEngagement

_OUTCOME_STREAM = 0x0E7C0E

#: Largest distance, m, from an effect's aim point (the engaged track's position when the effect
#: lands) to the object it can destroy: the basket in which an interceptor's or a missile's
#: seeker, or a gun's fire control, acquires its target (A: the drone radar's tracks are within
#: tens of metres where the effectors engage; a long-range track 100-200 m off across the
#: beam at 30-60 km is still inside it).
CAPTURE_RADIUS_M = 250.0


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


class Referee(Protocol):
    """The truth side of a run (a simulation): scoring and the outcome of engagements.

    ``truth`` arguments are the truth index of the object behind a track (``-1``: none known). A
    run without truth (captures, live inputs) has no referee.
    """

    def protected(self, truth: int) -> bool:
        """The object is civil or friendly (a proposal against it counts as against civil)."""
        ...

    def observe_alert(self, t: float, truth: int) -> None:
        """An alert rose to WARNING or above on a track of ``truth``."""
        ...

    def observe_engagement(self, truth: int, effector_id: str) -> None:
        """An engagement was committed against ``truth``."""
        ...

    def resolve(
        self, k: int, t: float, eng: Engagement, truth: int, aim_enu: np.ndarray | None
    ) -> bool:
        """The effect of ``eng`` lands at tick ``k``: True when it destroyed the object.

        ``aim_enu (3,)`` is where the engaged track is at ``t`` (``None``: the track is gone,
        and ``truth`` is the object it was on when the engagement was committed).
        """
        ...

    def observe_tick(
        self, k: int, t: float, batch: DetectionBatch, tracks: TrackTable, ledger: _Ledger
    ) -> list[Event]:
        """Score the tick; the events it gives (leaks into a site's core)."""
        ...

    def record(self, store: EventStore, run_id: int, k: int, t: float) -> None:
        """Append the tick's truth to the store."""
        ...


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
    engagements_by_effector: Counter[str] = field(default_factory=Counter)
    """Engagements committed per effector type id (``Engagement.effector_id``)."""
    cost_by_effector_eur: dict[str, float] = field(default_factory=dict)
    """Their cost per effector type id, EUR (sums to ``defence_cost_eur``)."""
    alert_events: int = 0
    sighting_events: int = 0
    leaked: set[int] = field(default_factory=set)
    warnings: list[AlertEvent] = field(default_factory=list)
    """Alerts raised or escalated to WARNING or above (track and report alerts)."""
    proposals: list[Recommendation] = field(default_factory=list)

    def count_engagement(self, eng: Engagement) -> None:
        """Count a committed engagement, in all and by its effector type."""
        self.engagements += 1
        self.defence_cost_eur += eng.cost_eur
        self.engagements_by_effector[eng.effector_id] += 1
        by_cost = self.cost_by_effector_eur
        by_cost[eng.effector_id] = by_cost.get(eng.effector_id, 0.0) + eng.cost_eur

    def by_effector(self) -> dict[str, Any]:
        """The summary keys of the engagements by effector type id, sorted by id:
        ``engagements_by_effector`` (count) and ``cost_by_effector_eur`` (EUR)."""
        return {
            "engagements_by_effector": dict(sorted(self.engagements_by_effector.items())),
            "cost_by_effector_eur": dict(sorted(self.cost_by_effector_eur.items())),
        }


class PictureLoop:
    """The picture steps of a run, shared by every detection source: track, assess, advise,
    decide, resolve effects, record (the module docstring).

    Parameters
    ----------
    sites, fire_units, roe, policy
        The defended area: protected sites, fire units, rules of engagement, and the policy whose
        ``proposal_ttl_s`` and ``engagement`` doctrine the advice uses.
    frame : LocalFrame
        The ENU frame of the detections and tracks.
    store : EventStore
        Where the run is recorded; :meth:`begin` opens the run.
    operator : Operator
        Who answers the proposals.
    objects : mapping, optional
        The object catalogue of the class model (default: the world's).
    rf_sensors : frozenset of int, optional
        Sensor indices of the RF detectors (None: any bearing with a protocol code is an RF cue).
    tracker_config : TrackerConfig, optional
        Default: the drone defaults.
    """

    def __init__(
        self,
        *,
        sites: Sequence[Site],
        fire_units: Sequence[FireUnitSpec],
        roe: RulesOfEngagement,
        policy: OperatorPolicy,
        frame: LocalFrame,
        store: EventStore,
        operator: Operator,
        objects: Mapping[str, ObjectType] | None = None,
        rf_sensors: frozenset[int] | None = None,
        tracker_config: TrackerConfig | None = None,
    ) -> None:
        self.frame = frame
        self.store = store
        self.tracker = MultiSensorTracker(tracker_config)
        self.assessor = Assessor(sites, frame, objects=objects, rf_sensors=rf_sensors)
        self.advisor = EngagementAdvisor(
            fire_units,
            frame,
            roe,
            EngagementConfig(
                proposal_ttl_s=policy.proposal_ttl_s,
                approval_s=policy.approve_delay_s,
                # the scenario's policy.engagement (OperatorPolicy validates it; typed str there)
                policy=policy.engagement,
            ),
            site_values={s.id: s.value for s in sites},
            threat_config=self.assessor.config.threat,
        )
        self.book = DecisionBook()
        self.operator = operator
        self.ledger = _Ledger()
        self.run_id = -1

    def begin(self, *, name: str, seed: int, t0: float, config: Mapping[str, Any]) -> int:
        """Record the start of the run in the store (the tracker's configuration added)."""
        f = self.frame
        self.run_id = self.store.begin_run(
            scenario=name,
            seed=seed,
            t0=t0,
            origin_lla=[f.lat_deg, f.lon_deg, f.h_m],
            config={**config, "tracker": _config_dict(self.tracker.config)},
        )
        return self.run_id

    def step(
        self, k: int, t: float, batch: DetectionBatch, referee: Referee | None = None
    ) -> TickResult:
        """Run the picture steps on the detections ``batch`` of tick ``k`` closed at ``t``."""
        tracker, assessor, advisor = self.tracker, self.assessor, self.advisor
        book, ledger = self.book, self.ledger
        tracker.step(batch, t=t)
        tracks = tracker.snapshot(t)
        assessment = assessor.assess(t, tracks, batch)
        events: list[Event] = []
        live_ids = tracks.track_id.tolist()
        if referee is not None:
            truth_of = dict(zip(live_ids, tracks.truth.tolist(), strict=True))
        else:  # no truth: nothing reads the truth column of a recorded stream
            truth_of = dict.fromkeys(live_ids, -1)

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
                ev.kind in (AlertEventKind.RAISED, AlertEventKind.ESCALATED)
                and ev.level >= AlertLevel.WARNING
                and ev.previous < AlertLevel.WARNING
            ):
                ledger.warnings.append(ev)
                if ev.track_id >= 0 and referee is not None:
                    referee.observe_alert(t, truth_of.get(ev.track_id, -1))

        # Respond: proposals, the operator's answers, commitments.
        recs = advisor.recommend(t, tracks, assessment)
        for rec in recs:
            book.propose(rec)
            ledger.recommendations += 1
            ledger.proposals.append(rec)
            tru = truth_of.get(rec.track_id, -1)
            civil = Identity(rec.identity) in PROTECTED_IDENTITIES or (
                tru >= 0 and referee is not None and referee.protected(tru)
            )
            ledger.against_civil += int(civil)
            events.append(_recommendation_event(rec, civil))
        for record in self.operator.decide(t, book, set(truth_of)):
            rid = record.recommendation_id
            rec = book.recommendation(rid)
            events.append(_decision_event(record, rec))
            if record.state is DecisionState.APPROVED:
                try:
                    eng = advisor.commit(rec, t)
                except EngagementError as exc:
                    why = f"could not be executed: {exc.message}"
                    lapsed = book.expire(rid, t, why, "fire-unit")
                    advisor.release(rid)
                    events.append(_decision_event(lapsed, rec))
                    continue
                book.execute(eng)
                ledger.count_engagement(eng)
                tru = truth_of.get(eng.track_id, -1)
                ledger.pending.append((eng, tru))
                if referee is not None:
                    referee.observe_engagement(tru, eng.effector_id)
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

        # Effects that land now: with truth, the outcome is drawn against the true object.
        due = [(e, tru) for e, tru in ledger.pending if e.t_effect <= t]
        row_of = {tid: i for i, tid in enumerate(live_ids)} if due else {}
        ledger.pending = [(e, tru) for e, tru in ledger.pending if e.t_effect > t]
        for eng, tru_at_commit in due:
            if referee is not None:
                row = row_of.get(eng.track_id)
                aim = None if row is None else tracks.x[row, :3]
                killed = referee.resolve(k, t, eng, tru_at_commit, aim)
                outcome = "killed" if killed else "missed"
                who = "simulation"
                why = (
                    "target destroyed"
                    if killed
                    else "target survived (or no object behind the track)"
                )
            else:
                outcome, who = "unknown", "fire-unit"
                why = "no kill assessment: the effect is not observed by this run"
            book.assess(eng.recommendation_id, t, outcome, who, why)
            # the look of shoot-look-shoot: after a miss the track may be proposed again
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
        if referee is not None:
            events.extend(referee.observe_tick(k, t, batch, tracks, ledger))
        lla = self.frame.enu_to_lla(tracks.x[:, :3]) if len(tracks) else np.empty((0, 3))
        store, run_id = self.store, self.run_id
        store.append_detections(run_id, batch)
        if referee is not None:
            referee.record(store, run_id, k, t)
        _record_picture(store, run_id, t, tracks, assessment, lla, events)
        return TickResult(k, t, tracks, assessment, lla, events, batch)


class _SimulationReferee:
    """The :class:`Referee` of a simulated run: truth, scoring and the outcome draw.

    The outcome draw uses common random numbers: the ``n``-th shot to land on truth object ``i``
    in the run of seed ``s`` kills when ``u(s, i, n) < Pk``, where ``u`` is a uniform of its own
    generator, seeded ``[s, stream, i, n]``. It does not depend on what else the run fired or in
    what order, so two doctrines compared on one seed meet the same luck: a shot of higher Pk
    kills whenever a lower-Pk shot at that point would have (a monotone coupling). Each draw is
    still Bernoulli(Pk), independent over objects and shots; the paired differences between
    doctrines then measure the doctrines, not which run drew the lucky numbers (common random
    numbers, Law, *Simulation Modeling and Analysis*, 5th ed., 2015, sec. 11.2).
    """

    def __init__(self, sim: Simulation, evaluator: RunEvaluator, seed: int) -> None:
        self.sim = sim
        self.evaluator = evaluator
        self.seed = int(seed)
        #: (n_objects,) shots whose outcome has been drawn against each truth object so far.
        self.shots = np.zeros(len(sim.truth.ids), np.int64)

    def outcome_draw(self, truth: int) -> float:
        """The uniform of the next shot to land on truth object ``truth`` (counts the shot)."""
        n = int(self.shots[truth])
        self.shots[truth] = n + 1
        return float(np.random.default_rng([self.seed, _OUTCOME_STREAM, truth, n]).random())

    def protected(self, truth: int) -> bool:
        return int(self.sim.truth.allegiance[truth]) in _PROTECTED_ALLEGIANCE

    def observe_alert(self, t: float, truth: int) -> None:
        self.evaluator.observe_alert(t, truth)

    def observe_engagement(self, truth: int, effector_id: str) -> None:
        self.evaluator.observe_engagement(truth, effector_id)

    def object_at(self, k: int, aim_enu: np.ndarray | None, truth: int) -> int:
        """The object an effect aimed at ``aim_enu`` lands on at tick ``k`` (``-1``: none).

        The effector is guided to where the track is, not to the object the track's history
        was mostly made of: the nearest object alive within :data:`CAPTURE_RADIUS_M` of the aim
        point. A track's truth label is a majority vote over its whole life, so a track that
        followed a munition for minutes and then, the munition destroyed, went on with the
        decoy flying beside it keeps the munition's label for as long again (traced on
        ``eastern-flank-raid`` seed 8: three shots at such a track were drawn against the dead
        munition and missed by rule while the decoy flew into the core). With no aim point (the
        track is gone) the object the track was on at the commit, if it is still alive.
        """
        alive = self.sim.truth.alive[k]
        if aim_enu is None or not np.all(np.isfinite(aim_enu)):
            return truth if truth >= 0 and bool(alive[truth]) else -1
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            return -1
        d = np.linalg.norm(self.sim.truth.pos[k, idx] - aim_enu[None, :], axis=1)
        j = int(np.argmin(d))
        return int(idx[j]) if d[j] <= CAPTURE_RADIUS_M else -1

    def resolve(
        self, k: int, t: float, eng: Engagement, truth: int, aim_enu: np.ndarray | None
    ) -> bool:
        sim = self.sim
        killed = False
        truth = self.object_at(k, aim_enu, truth)
        if truth >= 0:
            effector = sim.world.effectors[eng.effector_id]
            pk = engagement_pk(
                effector,
                ObjectClass(int(sim.truth.object_class[truth])),
                # a jamming-immune object (autonomous, GNSS-independent) has no link to jam
                -1 if sim.truth.jam_immune[truth] else int(sim.truth.rf_protocol[truth]),
            )
            killed = self.outcome_draw(truth) < pk
        if killed:
            sim.kill(truth, t)
            self.evaluator.observe_defeat(t, truth)
        return killed

    def observe_tick(
        self, k: int, t: float, batch: DetectionBatch, tracks: TrackTable, ledger: _Ledger
    ) -> list[Event]:
        sim, evaluator = self.sim, self.evaluator
        evaluator.observe_detections(batch)
        evaluator.observe_tick(t, tracks, sim.truth.pos[k], sim.truth.alive[k])
        events = []
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
        return events

    def record(self, store: EventStore, run_id: int, k: int, t: float) -> None:
        tr = self.sim.truth
        pos, vel, alive = tr.pos[k], tr.vel[k], tr.alive[k]
        idx = np.flatnonzero(alive)
        if idx.size:
            store.append_truth(
                run_id,
                t,
                idx,
                np.hstack([pos[idx], vel[idx]]),
                self.sim.frame.enu_to_lla(pos[idx]),
            )


class _LoopParts:
    """The picture steps' parts of a session's :class:`PictureLoop`, read by the service and
    the benchmarks (``session.tracker``, ``session.book``, ...), for both detection sources."""

    loop: PictureLoop

    @property
    def tracker(self) -> MultiSensorTracker:
        return self.loop.tracker

    @property
    def assessor(self) -> Assessor:
        return self.loop.assessor

    @property
    def advisor(self) -> EngagementAdvisor:
        return self.loop.advisor

    @property
    def book(self) -> DecisionBook:
        return self.loop.book

    @property
    def ledger(self) -> _Ledger:
        return self.loop.ledger


class RunSession(_LoopParts):
    """One simulated run, advanced tick by tick by its owner.

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
        self.loop = PictureLoop(
            sites=scenario.sites,
            fire_units=scenario.fire_units,
            roe=scenario.roe,
            policy=scenario.policy,
            frame=frame,
            store=store,
            operator=SimulatedOperator(scenario.policy) if operator is None else operator,
            objects=world.objects,
            rf_sensors=frozenset(s.index for s in sim.sensors if s.kind == "rf"),
            tracker_config=tracker_config,
        )
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
        self.referee = _SimulationReferee(sim, self.evaluator, seed)
        self.n_detections = 0
        self.k = 0
        self.last: TickResult | None = None
        self.finished = False
        self.run_id = self.loop.begin(
            name=scenario.name,
            seed=seed,
            t0=scenario.t0,
            config={
                "scenario_source": scenario.source,
                "duration_s": scenario.duration_s,
                "tick_s": scenario.tick_s,
                "policy": _config_dict(scenario.policy),
            },
        )
        _record_setup(store, self.run_id, scenario, sim)

    @property
    def operator(self) -> Operator:
        return self.loop.operator

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
                res = self.loop.step(k, float(self.sim.times[k]), self.sim.sense(k), self.referee)
            self.n_detections += res.n_detections
            self.k = k + 1
            self.last = res
            return res

    def approve(self, proposal_id: str, who: str, why: str) -> DecisionRecord:
        """A person approves a pending proposal (human operator only); it is committed to its
        fire unit at the next tick. :class:`SessionError` if not pending."""
        return _decide(self, proposal_id, True, who, why)

    def reject(self, proposal_id: str, who: str, why: str) -> DecisionRecord:
        """A person rejects a pending proposal (human operator only)."""
        return _decide(self, proposal_id, False, who, why)

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


class StreamSession(_LoopParts):
    """A run over detections that come from outside (a capture or live inputs), with no truth.

    The defended area (sites, fire units, rules of engagement, the proposal time to live and the
    engagement doctrine) is a scenario's; what it flies is not used. Each :meth:`step` is one
    frame of the stream: the picture steps run on its detections; proposals wait for a person
    (:meth:`approve`, :meth:`reject`) and expire at their time to live.

    Parameters
    ----------
    area : Scenario
        The defended area.
    world : World
        The world model (object catalogue of the class model).
    store : EventStore
        Where the run is recorded (the caller opens and closes it).
    frame : LocalFrame
        The ENU frame of the detections.
    t0 : float
        Start of the run, UTC epoch s.
    tick_s : float
        The frame period, s.
    source : str
        What is replayed or ingested (a file, an ingest configuration), recorded with the run.
    tracker_config : TrackerConfig, optional
    """

    def __init__(
        self,
        area: Scenario,
        world: World,
        *,
        store: EventStore,
        frame: LocalFrame,
        t0: float,
        tick_s: float,
        source: str,
        tracker_config: TrackerConfig | None = None,
    ) -> None:
        self.scenario = area
        self.world = world
        self.store = store
        self.frame = frame
        self.t0 = float(t0)
        self.tick_s = float(tick_s)
        self.lock = threading.RLock()
        self.operator = HumanOperator(area.policy.proposal_ttl_s)
        self.loop = PictureLoop(
            sites=area.sites,
            fire_units=area.fire_units,
            roe=area.roe,
            policy=area.policy,
            frame=frame,
            store=store,
            operator=self.operator,
            objects=world.objects,
            tracker_config=tracker_config,
        )
        self.n_detections = 0
        self.k = 0
        self.last: TickResult | None = None
        self.finished = False
        self._sensors: list[str] = []
        self.run_id = self.loop.begin(
            name=area.name,
            seed=0,
            t0=self.t0,
            config={
                "scenario_source": area.source,
                "source": source,
                "duration_s": 0.0,
                "tick_s": self.tick_s,
                "policy": _config_dict(area.policy),
                "truth": False,
            },
        )
        store.add_sites(self.run_id, area.sites)
        store.add_fire_units(self.run_id, area.fire_units)

    @property
    def t(self) -> float:
        """Time of the last frame (the start before the first), UTC epoch s."""
        return self.t0 if self.last is None else self.last.t

    def step(self, batch: DetectionBatch, t: float, sensor_ids: Sequence[str]) -> TickResult:
        """Run and record one frame closed at ``t``.

        ``sensor_ids[i]`` names sensor index ``i`` of the batch (a detection reader's table);
        sensors seen for the first time are recorded (their position from their detections).
        """
        with self.lock:
            if self.finished:
                raise SessionError("the run is finished", field="tick", actual=str(self.k))
            with self.store.transaction():
                self._add_sensors(batch, sensor_ids)
                res = self.loop.step(self.k, float(t), batch)
            self.n_detections += res.n_detections
            self.k += 1
            self.last = res
            return res

    def _add_sensors(self, batch: DetectionBatch, sensor_ids: Sequence[str]) -> None:
        new = range(len(self._sensors), len(sensor_ids))
        if not new:
            return
        area = {s.id: s for s in self.scenario.sensors}
        rows = []
        for i in new:
            sid = sensor_ids[i]
            rows.append(_stream_sensor_row(i, sid, batch, self.frame, area.get(sid)))
            self._sensors.append(sid)
        self.store.add_sensors(self.run_id, rows)

    def approve(self, proposal_id: str, who: str, why: str) -> DecisionRecord:
        """A person approves a pending proposal; committed to its fire unit at the next frame."""
        return _decide(self, proposal_id, True, who, why)

    def reject(self, proposal_id: str, who: str, why: str) -> DecisionRecord:
        """A person rejects a pending proposal."""
        return _decide(self, proposal_id, False, who, why)

    def summary(self) -> dict[str, Any]:
        """The run's summary so far: what was seen, the alerts and the proposals, by name."""
        with self.lock:
            return _stream_summary(self)

    def finish(self, summary: dict[str, Any], status: str = "finished") -> None:
        """Record the end of the run with ``summary`` (from :meth:`summary`, plus anything)."""
        with self.lock:
            self.store.finish_run(self.run_id, summary, status)
            self.finished = True


def _decide(
    session: RunSession | StreamSession, proposal_id: str, approve: bool, who: str, why: str
) -> DecisionRecord:
    operator = session.operator
    if not isinstance(operator, HumanOperator):
        raise SessionError(
            "this run's proposals are answered by the simulated operator policy",
            field="operator",
        )
    if not who.strip() or not why.strip():
        raise SessionError("a decision needs a who and a why", field="reason")
    with session.lock:
        book = session.book
        try:
            state = book.state_of(proposal_id)
        except KeyError:
            raise SessionError("no such proposal", field="id", actual=proposal_id) from None
        if state is not DecisionState.PROPOSED or session.finished:
            raise SessionError(
                "the proposal is not pending",
                field="state",
                expected=str(DecisionState.PROPOSED),
                actual=str(state),
            )
        move = book.approve if approve else book.reject
        record = move(proposal_id, session.t, who, why)
        operator.submit(record)
        return record


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


def _decision_event(record: DecisionRecord, rec: Recommendation) -> Event:
    """The audit event of a decision on ``rec`` (approved, rejected, expired or lapsed)."""
    return Event(
        t=record.t,
        kind="decision",
        track_id=rec.track_id,
        site_id=rec.site_id or None,
        payload={
            "recommendation_id": record.recommendation_id,
            "state": str(record.state),
            "who": record.who,
            "why": record.why,
            "effector_id": rec.effector_id,
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


def _record_picture(
    store: EventStore,
    run_id: int,
    t: float,
    tracks: TrackTable,
    assessment: Assessment,
    lla: np.ndarray,
    events: list[Event],
) -> None:
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
        **ledger.by_effector(),
        "defence_cost_eur": ledger.defence_cost_eur,
        "threat_cost_eur": evaluator.threat_cost_eur(),
        "definitions": (
            "times in seconds from the scenario start; first_alert_s is the first alert of level "
            "warning or above; outcome defeated/leaked (entered the target site's core)/left; "
            "alerts_true/false count raises to warning or above on tracks of hostile / other "
            "objects; engagements_by_effector and cost_by_effector_eur break engagements and "
            "defence_cost_eur (EUR) down by effector type id"
        ),
    }


def _config_dict(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in getattr(obj, "__dataclass_fields__", {}):
        v = getattr(obj, name)
        if isinstance(v, bool | int | str) or (isinstance(v, float) and math.isfinite(v)):
            out[name] = v
    return out


#: Sensor kind of a stream sensor, told from the measurement kind of its first detection.
_KIND_OF_MEASUREMENT = {
    int(MeasurementKind.POLAR): "radar",
    int(MeasurementKind.BEARING): "rf",
    int(MeasurementKind.SIGHTING): "sightings",
}
#: Idents below this are ADS-B ICAO addresses (24 bits); above, broadcast Remote ID numbers.
_ICAO_LIMIT = 1 << 24


def _stream_sensor_row(
    idx: int,
    sensor_id: str,
    batch: DetectionBatch,
    frame: LocalFrame,
    declared: SensorSpec | None,
) -> dict[str, Any]:
    """The store row of a sensor first seen in ``batch``.

    A sensor of the area with the same id gives its kind and position. Otherwise the kind follows
    its first detection (a radar plot, an RF bearing, a sighting; a position is ``adsb`` with an
    ICAO ident, ``rf`` with a Remote ID, else ``position``) and the position is the sensor
    position of its detections; when they carry none (ADS-B, Remote ID, network feeds) the
    sensor is recorded at the frame's origin: the store needs a place, and the frame's origin is
    the defended area's.
    """
    if declared is not None:
        return {
            "idx": idx,
            "sensor_id": sensor_id,
            "kind": declared.kind,
            "lat": declared.lat_deg,
            "lon": declared.lon_deg,
            "h_m": declared.h_m,
        }
    rows = np.flatnonzero(batch.sensor == idx)
    kind = "position"
    lat, lon, h = frame.lat_deg, frame.lon_deg, frame.h_m
    if rows.size:
        first = int(rows[0])
        code = int(batch.kind[first])
        ident = int(batch.ident[first])
        kind = _KIND_OF_MEASUREMENT.get(code, "position")
        if code == int(MeasurementKind.POSITION) and ident >= 0:
            kind = "adsb" if ident < _ICAO_LIMIT else "rf"
        placed = rows[np.isfinite(batch.sensor_pos[rows]).all(axis=1)]
        if placed.size:
            lat, lon, h = (float(v) for v in frame.enu_to_lla(batch.sensor_pos[int(placed[0])]))
    return {"idx": idx, "sensor_id": sensor_id, "kind": kind, "lat": lat, "lon": lon, "h_m": h}


def _stream_summary(session: StreamSession) -> dict[str, Any]:
    """What a stream run saw and advised, by name (see ``docs/ingest.md``)."""
    ledger, book, t0 = session.ledger, session.book, session.t0
    last = session.last
    identities: Counter[str] = Counter()
    classes: Counter[str] = Counter()
    if last is not None and len(last.tracks):
        keep = last.tracks.confirmed
        identities.update(Identity(int(i)).label for i in last.assessment.identity[keep])
        classes.update(ObjectClass(int(c)).label for c in last.assessment.object_class[keep])
    return {
        "scenario": session.scenario.name,
        "seed": 0,
        "run_id": session.run_id,
        "area": session.scenario.source,
        "truth": False,
        "sim_duration_s": 0.0 if last is None else round(last.t - t0, 3),
        "tick_s": session.tick_s,
        "frames": session.k,
        "detections": session.n_detections,
        "tracks_confirmed": len(ledger.confirmed),
        "identities_at_end": dict(sorted(identities.items())),
        "classes_at_end": dict(sorted(classes.items())),
        "alerts_warning": len(ledger.warnings),
        "alerts": [
            {
                "t_s": round(ev.t - t0, 3),
                "track_id": ev.track_id,
                "site": ev.site_id,
                "level": ev.level.label,
                "change": ev.kind.value,
                "score": round(float(ev.score), 4),
                "reason": ev.reason,
            }
            for ev in ledger.warnings
        ],
        "recommendations": ledger.recommendations,
        "recommendations_against_protected": ledger.against_civil,
        "proposals": [
            {
                "id": rec.id,
                "t_s": round(rec.t - t0, 3),
                "track_id": rec.track_id,
                "site": rec.site_id,
                "fire_unit": rec.fire_unit_id,
                "effector": rec.effector_id,
                "identity": Identity(rec.identity).label,
                "class": ObjectClass(int(rec.object_class)).label,
                "threat_score": round(float(rec.threat_score), 4),
                "state": str(book.state_of(rec.id)),
            }
            for rec in ledger.proposals
        ],
        "engagements": ledger.engagements,
        **ledger.by_effector(),
        "defence_cost_eur": ledger.defence_cost_eur,
        "tracker_counters": dict(sorted(session.tracker.counters.items())),
        "definitions": (
            "times in seconds from the start of the stream; alerts are raises to warning or "
            "above; proposals are decision support: with no person answering they expire at the "
            "area's proposal_ttl_s; no truth, so no scoring and no outcome; engagements (those "
            "a person approved) by effector type id in engagements_by_effector, their cost in "
            "cost_by_effector_eur and defence_cost_eur (EUR)"
        ),
    }
