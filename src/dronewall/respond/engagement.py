"""Engagement advice: which fire unit and effector to propose against which threat, and why.

Decision support only: every :class:`Recommendation` is a proposal that a person approves or
rejects (see :mod:`dronewall.respond.decision`). Nothing is ever proposed against civil,
cooperative or friendly traffic: :func:`enforce_hard_rule` is applied last to every output.

Data layout
-----------
Fire-unit state is a struct of arrays over ``U`` units: ``pos_enu (U, 3)`` m, ``rounds_left (U,)``
float64 (``inf`` for an unlimited magazine), ``busy_until (U,)`` and ``reload_until (U,)`` UTC epoch
s; effector properties per unit (envelope, speed, reaction, cost, ``pk (U, C)``, ``channels (U,)``)
likewise. A unit engages up to ``channels`` targets at once (its effector type's fire channels):
the effect times of its engagements in flight are kept per unit, and ``busy_until`` is when the
next channel frees (``-inf`` while one is free). Outstanding proposals hold channels too, until
their predicted effect (:meth:`EngagementAdvisor.ready_in`).
Feasibility is computed batched over the ``(N, U)`` candidate tracks × units; objects are made
only for the few recommendations that come out.

Maths
-----
Predicted intercept point by fixed-point iteration on the time to go, with the target at constant
velocity from ``p, v`` and an effector of reaction ``τ`` and mean speed ``w`` at ``q``::

    t₀ = τ,   X_k = p + v t_k,   t_{k+1} = τ + ‖X_k − q‖ / w

Rather than iterate, :meth:`EngagementAdvisor.intercept` takes its fixed point exactly: the
smallest ``t ≥ τ`` with ``‖p − q + v t‖ = w (t − τ)``, a quadratic in ``t`` (``t = τ`` for effects
at light speed). No such root (a target fleeing faster than the effector) means it cannot be
caught; nor can it beyond ``max_time_to_intercept_s``. The launch is ``approval_s`` after the
proposal (a person approves it), so ``p`` is the track moved on by ``v · approval_s`` and the time
to go counted from the proposal includes the approval. Expected
kill probability ``Pk = Σ_c p(c | track) · pk(effector, c)`` (zero for a jammer without an RF cue
on the track). Options are ranked by *(late, cost / Pk, layer, −Pk)*: an intercept due after the
track reaches the core comes last, then the cheapest cost per expected kill with ``Pk ≥ min_pk``,
the cheaper layer on a tie.

Cost in time: the best option *now* is proposed only if no cheaper unit can still do the job.
For each unit, :meth:`EngagementAdvisor.wait_options` predicts (a few batched ``(n, U)``
evaluations) the earliest intercept after the unit is free (``busy_until``, ``reload_until``,
outstanding proposals, a reload when they hold its last rounds) and the target has entered its
envelope; if a cheaper unit's intercept is due before ``time_to_core − margin`` the track is
deferred (no proposal this tick; a :class:`Deferral` keeps why). An expensive effector
(``≥ expensive_cost_eur``) against a low-value class (quadcopter, FPV) is acceptable only when the
track is imminent (``time_to_core ≤ imminent_s``) or no cheaper unit can ever reach it. A track
within ``duplicate_radius_m`` and ``duplicate_speed_m_s`` of a track proposed or engaged (or decided
this tick) is taken for a duplicate of the same object and left alone. :func:`enforce_hard_rule`
stays the last filter.

Doctrine
--------
All of the above is the ``"cost-aware"`` policy (the default). ``EngagementConfig.policy =
"most-capable-first"`` is the baseline it is measured against: the same candidates, feasibility,
duplicates, shoot-look-shoot memory and exit (:meth:`EngagementAdvisor._final_check`), but each
track, most threatening first, takes the unit ranked first by
:meth:`EngagementAdvisor.capability_order` (feasible, timely, highest ``Pk``, longest reach,
highest layer, soonest), with no waiting and no regard to cost.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.assessor import Assessment
from dronewall.assess.classify import UAS_MASK
from dronewall.assess.geometry import approx_height_m
from dronewall.assess.threat import ThreatConfig, arrival_score, format_distance, is_protected
from dronewall.core.errors import ConfigError, DronewallError, InputError
from dronewall.core.taxonomy import Identity, Layer, ObjectClass
from dronewall.core.tracks import TrackTable
from dronewall.geo.frames import LocalFrame
from dronewall.respond.wta import WtaProblem, WtaSolution, greedy_wta, solve_wta
from dronewall.world.catalogue import EffectorType
from dronewall.world.deployment import FireUnitSpec, FiringDoctrine, RulesOfEngagement

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
IntP = NDArray[np.intp]
B = NDArray[np.bool_]

log = logging.getLogger(__name__)

#: Identity codes that may ever be engaged.
ENGAGEABLE_IDENTITIES: frozenset[Identity] = frozenset({Identity.SUSPECT, Identity.HOSTILE})

#: How :class:`EngagementAdvisor` shares its units among the tracks of a tick.
WtaAdviceMethod = Literal["vlsn", "milp", "greedy", "per-track"]
EngagementPolicy = FiringDoctrine
"""Firing doctrines of the advice (see :attr:`EngagementConfig.policy`)."""

#: Slack on envelope re-checks, m (round-off only).
_ENVELOPE_SLACK_M = 1e-6


class EngagementError(DronewallError, RuntimeError):
    """An engagement cannot be committed (unknown proposal, unit not ready, magazine empty)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class EngagementConfig:
    """Settings of :class:`EngagementAdvisor` (assumptions, A).

    Parameters
    ----------
    min_threat_score : float
        Least threat score (at the most-threatened site) for a track to be considered. The default
        0.4 is the raise threshold of the WARNING alert level (``AlertConfig.raise_thresholds``):
        nothing is proposed against a track before it could have raised a warning, so an
        operator never sees a proposal on a track that is only at WATCH.
    min_pk : float
        Floor on expected Pk: cheaper options below it are not "effective".
    max_time_to_intercept_s : float
        Options further than this in time are dropped, s.
    max_alternatives : int
        Alternatives listed in a recommendation.
    proposal_ttl_s : float
        How long an unanswered proposal blocks new ones for its track, s (match the operator's).
    reengage_delay_s : float
        The look delay of shoot-look-shoot: time after the effect (or after a reported miss)
        before the same track may be proposed again (kill assessment), s.
    jammer_requires_rf_cue : bool
        A jammer is proposed only for a track with an RF cue. When False, its Pk is weighted by
        the probability of the RF-emitting classes instead.
    predict_level : bool
        Predict intercepts with the track's vertical velocity set to zero. The tracker's climb rate
        is too noisy to extrapolate over a minute of fly-out (it put intercepts of cruising drones
        below ground, ruling out the slow, cheap interceptor drone); drones mostly cruise level.
    approval_s : float
        Expected time from a proposal to its launch: a person reads and approves it, s. Every
        intercept is predicted for a launch this long after the proposal (the target moves on
        meanwhile), so a shot, a cheaper unit waited for, or a shoot-look-shoot follow-up that
        only the approval would make too late is not counted as in time. The default, 20 s, is
        ``OperatorPolicy.approve_delay_s``'s default (A); a session passes its
        deployment's ``approve_delay_s`` (the simulated operator's delay, or on real data the
        area's expected approval time).
    engagement_margin_s : float
        Waiting for a cheaper unit is worth it only if its intercept (approval included) is due at
        least this long before a low-value track reaches the core, s.
    high_value_margin_s : float
        The same for every other class (a munition): room for a second shot, s.
    max_wait_s : float
        Longest wait for a busy, reloading or out-of-envelope cheaper unit that advice considers, s.
    wait_steps_s : tuple[float, ...]
        Extra delays after a unit is ready at which its feasibility is predicted (the target at
        constant velocity), s, ascending; catches a target that enters the envelope later.
    low_value_classes : frozenset[ObjectClass]
        Classes against which an expensive effector is acceptable only when the threat is
        imminent or no cheaper unit can ever reach it.
    expensive_cost_eur : float
        An engagement costing at least this much is "expensive", EUR.
    imminent_s : float
        A track due in the core within this time is imminent, s (0 inside the core).
    duplicate_radius_m : float
        A track this close to a track proposed or engaged within ``duplicate_window_s`` ...
    duplicate_speed_m_s : float
        ... whose velocity differs by no more than this is taken for a duplicate track of the
        same object and not proposed again, m and m/s.
    duplicate_window_s : float
        How long a proposal or engagement keeps claiming its object after it ends, s.
    wta_method : {"vlsn", "milp", "greedy", "per-track"}
        How the units are shared among the tracks of one tick. ``"vlsn"`` (default): the
        weapon-target assignment (:mod:`dronewall.respond.wta`) by very large-scale neighbourhood
        search; ``"milp"``: the exact MILP when the problem has at most ``milp_max_pairs``
        feasible pairs, else VLSN; ``"greedy"``: maximum marginal return; ``"per-track"``: the
        cheapest feasible unit per expected kill, track by track (no joint assignment). A solver
        error falls back to the greedy.
    cost_weight_per_eur : float
        ``λ`` of the assignment objective ``Σ V S + λ Σ c``, value points per EUR (a value point:
        threat score × site value, site values 0-100). Default 3e-5 (A): one point weighs
        about 33 kEUR and a fully threatened top-value site (100 points) 3.3 MEUR, so a 1 MEUR
        missile is proposed only where it saves at least 30 points of expected threat value
        (a munition scoring 0.35 or more at a top-value site that nothing cheaper can stop),
        and a cheaper layer wins whenever the missile's extra kill probability saves less than
        its extra cost weighs. The value was chosen so that, with the shoot-look-shoot plans
        below, the advice keeps the cheapest effective layer when a follow-up is in time and
        still fires the missile against a munition nothing else can stop; see docs/wta.md.
    default_site_value : float
        Site value (0-100) used when the advisor is not given the sites' values (A).
    wta_time_limit_s : float
        Time budget of the VLSN / MILP solve per tick, s.
    milp_max_pairs : int
        Largest number of feasible (unit, track) pairs handed to the MILP.
    max_shots_per_track : int
        Most new proposals against one track per tick (1: shoot-look-shoot; 2 or more allows a
        salvo where the assignment finds it worth its cost).
    exclude_failed_effector : bool
        Shoot-look-shoot: after an engagement against a track is assessed missed, the effector
        type that missed is not proposed against that track again; the next option is.
    policy : {"cost-aware", "most-capable-first"}
        The firing doctrine the advice follows. ``"cost-aware"`` (default): the assignment
        objective above, the cheapest effective layer first. ``"most-capable-first"``: the
        baseline the cost-exchange benchmark compares against (issue 5), the most capable
        effector in reach first, whatever it costs.
    plan_follow_up : bool
        The assignment weighs each (unit, track) as a shoot-look-shoot plan: the shot now and,
        if it misses, the cheapest effective follow-up that can still intercept before the
        track reaches the core (:meth:`EngagementAdvisor.plan_values`). False: the single shot
        (``pk`` = the feasible Pk). The follow-up is what lets a cheap layer that can be backed
        up win over an expensive one that is only slightly surer.
    last_chance_surest : bool
        A track's last chance has come when no unit that can engage it now, in time, leaves
        time for a follow-up after a miss (no plan of :meth:`EngagementAdvisor.plan_values` has
        one). Then the assignment weighs each of those units at the cost of the cheapest of
        them, so that among the units left free by other tracks the surest is chosen: cost is
        traded against time while a miss can still be made good, never against the surety of
        the last shot before the core. Whether that shot is worth firing at all is still
        weighed, at the cheapest unit's price and against the value the track threatens on
        arrival (:meth:`EngagementAdvisor.arrival_values`): a site of low value does not get a
        missile when the missile is the only unit in time. The advice does not wait for a
        cheaper unit then; a low-value class not yet imminent keeps its veto on expensive
        units. On the eastern flank it took the cost-aware advice's extra leakers from +1.17 to
        +0.17 per run at 0.47 of the baseline's cost per defeat over 6 seeds (benchmarks/
        RESULTS.md, "The last chance"); over 12 paired seeds with common random numbers the
        difference is +0.33 (95 % CI -0.17 - +0.83) at 0.468, and +0.58 (+0.08 - +1.25) at
        0.385 with the follow-ups judged at their own time. False: every shot is weighed at
        its own cost and current threat value.
    queue_waits : bool
        Waits for a cheaper unit are booked in order of the tracks' deadlines
        (:meth:`EngagementAdvisor.queued_waits`): a track waits for a busy or not yet reaching
        unit only if the unit can still serve it in time after the more urgent tracks that
        wait for it. False: each wait is judged alone, as if the unit were free for every
        track.
    """

    min_threat_score: float = 0.4
    min_pk: float = 0.3
    max_time_to_intercept_s: float = 1200.0
    max_alternatives: int = 6
    proposal_ttl_s: float = 60.0
    reengage_delay_s: float = 5.0
    jammer_requires_rf_cue: bool = True
    predict_level: bool = True
    approval_s: float = 20.0
    engagement_margin_s: float = 30.0
    high_value_margin_s: float = 60.0
    max_wait_s: float = 900.0
    wait_steps_s: tuple[float, ...] = (0.0, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0)
    low_value_classes: frozenset[ObjectClass] = frozenset({ObjectClass.QUADCOPTER, ObjectClass.FPV})
    expensive_cost_eur: float = 100_000.0
    imminent_s: float = 60.0
    duplicate_radius_m: float = 100.0
    duplicate_speed_m_s: float = 25.0
    duplicate_window_s: float = 30.0
    wta_method: WtaAdviceMethod = "vlsn"
    policy: EngagementPolicy = "cost-aware"
    cost_weight_per_eur: float = 3e-5
    default_site_value: float = 100.0
    wta_time_limit_s: float = 0.2
    milp_max_pairs: int = 400
    max_shots_per_track: int = 1
    exclude_failed_effector: bool = True
    plan_follow_up: bool = True
    last_chance_surest: bool = True
    queue_waits: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_threat_score <= 1.0:
            raise ConfigError("must lie in [0, 1]", field="min_threat_score")
        if not 0.0 < self.min_pk <= 1.0:
            raise ConfigError("must lie in (0, 1]", field="min_pk")
        if not (math.isfinite(self.approval_s) and self.approval_s >= 0.0):
            raise ConfigError("must be finite and >= 0", field="approval_s")
        if self.max_alternatives < 0:
            raise ConfigError("must be >= 0", field="max_alternatives")
        for name in ("max_time_to_intercept_s", "proposal_ttl_s"):
            if not getattr(self, name) > 0:
                raise ConfigError("must be positive", field=name)
        for name in (
            "reengage_delay_s",
            "engagement_margin_s",
            "high_value_margin_s",
            "max_wait_s",
            "expensive_cost_eur",
            "imminent_s",
            "duplicate_radius_m",
            "duplicate_speed_m_s",
            "duplicate_window_s",
        ):
            if not getattr(self, name) >= 0:
                raise ConfigError("must be >= 0", field=name)
        if self.policy not in get_args(EngagementPolicy):
            raise ConfigError(
                f"unknown engagement policy; expected one of {get_args(EngagementPolicy)}",
                field="policy",
                actual=repr(self.policy),
            )
        if self.wta_method not in get_args(WtaAdviceMethod):
            raise ConfigError(
                "unknown assignment method",
                field="wta_method",
                expected="|".join(get_args(WtaAdviceMethod)),
                actual=repr(self.wta_method),
            )
        if not (np.isfinite(self.cost_weight_per_eur) and self.cost_weight_per_eur >= 0):
            raise ConfigError("must be finite and >= 0", field="cost_weight_per_eur")
        if not 0.0 <= self.default_site_value <= 100.0:
            raise ConfigError("must lie in [0, 100]", field="default_site_value")
        if not self.wta_time_limit_s > 0:
            raise ConfigError("must be positive", field="wta_time_limit_s")
        if self.milp_max_pairs < 1:
            raise ConfigError("must be >= 1", field="milp_max_pairs")
        if self.max_shots_per_track < 1:
            raise ConfigError("must be >= 1", field="max_shots_per_track")
        steps = self.wait_steps_s
        if not steps or steps[0] != 0.0 or any(b <= a for a, b in pairwise(steps)):
            raise ConfigError("must start at 0 and ascend", field="wait_steps_s")


@dataclass(frozen=True, slots=True, kw_only=True)
class Alternative:
    """An option that was not chosen, and why."""

    fire_unit_id: str
    effector_id: str
    layer: Layer
    pk: float
    cost_eur: float
    time_to_intercept_s: float
    why_not: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    """A proposal to engage one track with one fire unit; a person must approve it.

    Attributes
    ----------
    id : str
        Unique within the advisor's life.
    t : float
        When proposed, UTC epoch s.
    track_id : int
        Target track.
    site_id : str
        The site it threatens most (``""`` if none).
    fire_unit_id, effector_id : str
        Proposed unit and its effector type.
    layer : Layer
        Effector layer.
    pk : float
        Expected kill probability ``Σ_c p(c) pk(c)`` (assumed Pk values).
    cost_eur : float
        Cost of the engagement, EUR.
    time_to_intercept_s : float
        Reaction plus fly-out, from the launch, s: the effect is due this long after the
        approval. The intercept was predicted for a launch ``EngagementConfig.approval_s`` after
        ``t``.
    intercept_enu : tuple[float, float, float]
        Predicted intercept point, ENU m.
    identity : Identity
        Track identity when proposed.
    object_class : ObjectClass
        Most probable class when proposed.
    threat_score : float
        Threat score when proposed.
    reason : str
        Plain words.
    alternatives : tuple[Alternative, ...]
        Other options, best first, with why each was not chosen.
    threat_value : float
        Value at stake ``V`` = threat score × site value (value points; 0 when not computed).
    method : str
        How the unit was chosen: the assignment solver (``"vlsn"``, ``"milp"``, ``"greedy"``)
        or ``"per-track"``.
    previous_misses : int
        Engagements of this track assessed missed before this proposal (shoot-look-shoot).
    """

    id: str
    t: float
    track_id: int
    site_id: str
    fire_unit_id: str
    effector_id: str
    layer: Layer
    pk: float
    cost_eur: float
    time_to_intercept_s: float
    intercept_enu: tuple[float, float, float]
    identity: Identity
    object_class: ObjectClass
    threat_score: float
    reason: str
    alternatives: tuple[Alternative, ...] = ()
    threat_value: float = 0.0
    method: str = "per-track"
    previous_misses: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Deferral:
    """A track deliberately left without a proposal this tick, and why (for explanations).

    Attributes
    ----------
    t : float
        Tick time, UTC epoch s.
    track_id : int
        The track.
    declined_effector_id : str
        The option available now that was not proposed (``""`` if none).
    waiting_for_unit_id : str
        The cheaper unit being waited for (``""`` if none).
    ready_in_s : float
        When that unit is predicted to engage, from ``t``, s (``inf`` if none).
    time_to_core_s : float
        The track's time to the core of its top site, s (``inf`` if never).
    reason : str
        Plain words.
    """

    t: float
    track_id: int
    declined_effector_id: str
    waiting_for_unit_id: str
    ready_in_s: float
    time_to_core_s: float
    reason: str


@dataclass(frozen=True, slots=True)
class WaitOptions:
    """What each unit could do later for each of ``n`` tracks; every field ``(n, U)``.

    ``done_s`` is the earliest predicted intercept time from now (waiting for the unit to be ready
    and the target to enter its envelope) that beats the deadline ``time to core − margin``
    (``inf`` if none within ``max_wait_s``); ``start_s`` the wait before that engagement starts;
    ``reach_s`` the earliest predicted intercept time, late or not (``inf`` if the unit cannot
    engage the track within ``max_wait_s`` at all).
    """

    done_s: F64
    start_s: F64
    reach_s: F64

    @property
    def in_time(self) -> B:
        """The unit can still engage before the deadline."""
        out: B = np.isfinite(self.done_s)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Engagement:
    """An approved engagement, committed to a fire unit."""

    id: str
    recommendation_id: str
    t_approved: float
    t_effect: float
    fire_unit_id: str
    effector_id: str
    track_id: int
    site_id: str
    pk: float
    cost_eur: float
    intercept_enu: tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class Feasibility:
    """Batched feasibility of ``n`` tracks against ``U`` units; every field ``(n, U)``.

    ``t_go`` s, ``point (n, U, 3)`` ENU m, ``slant`` m, ``h_rel`` m above the unit, ``pk`` expected
    kill probability, ``late`` intercept after the track would reach the core, ``nfz_index`` the
    no-fire zone hit (-1 none); the booleans are the individual checks.
    """

    t_go: F64
    point: F64
    slant: F64
    h_rel: F64
    pk: F64
    late: B
    ready: B
    stock: B
    roe: B
    nfz_ok: B
    rf_ok: B
    range_ok: B
    alt_ok: B
    catch: B
    pk_ok: B
    nfz_index: IntP

    @property
    def feasible(self) -> B:
        """Every check passed."""
        out: B = np.logical_and.reduce(
            [
                self.ready,
                self.stock,
                self.roe,
                self.nfz_ok,
                self.rf_ok,
                self.range_ok,
                self.alt_ok,
                self.catch,
                self.pk_ok,
            ]
        )
        return out


@dataclass(frozen=True, slots=True)
class FireUnitState:
    """A snapshot of the fire units, ``(U,)`` arrays in the advisor's unit order."""

    ids: tuple[str, ...]
    pos_enu: F64
    rounds_left: F64
    busy_until: F64
    reload_until: F64


@dataclass(frozen=True, slots=True, kw_only=True)
class _Tick:
    """What :meth:`EngagementAdvisor.recommend` computed for the ``n`` candidate tracks."""

    t: float
    tracks: TrackTable
    assessment: Assessment
    rows: IntP
    f: Feasibility
    w: WaitOptions
    feasible: B
    per_kill: F64
    ttc_top: F64
    deadline: F64
    imminent: B
    low_value: B
    expensive: B
    same_object: B


def engagement_pk(effector: EffectorType, true_class: ObjectClass, true_rf_protocol: int) -> float:
    """Kill probability of one engagement against a real object, for drawing simulated outcomes.

    Parameters
    ----------
    effector : EffectorType
        The effector used.
    true_class : ObjectClass
        What the target really is.
    true_rf_protocol : int
        Its real RF link code (:class:`~dronewall.core.measurements.RfProtocol`), ``-1`` none.

    Returns
    -------
    float
        ``effector.pk[true_class]`` (0 when absent); 0 for a jammer (``rf_link_only``) against an
        object with no RF link (fibre-optic, autonomous, non-drone). Every Pk is an assumption.
    """
    if effector.rf_link_only and true_rf_protocol < 0:
        return 0.0
    return float(effector.pk.get(true_class, 0.0))


def time_to_core_top(assessment: Assessment, rows: IntP) -> F64:
    """Time to the core of each track's most-threatened site, ``(n,)`` s (``inf`` without one)."""
    ttc = assessment.time_to_core_s[rows]
    top = assessment.top_site[rows]
    n = rows.shape[0]
    if not ttc.shape[1]:
        return np.full(n, np.inf)
    out: F64 = np.where(top >= 0, ttc[np.arange(n), np.maximum(top, 0)], np.inf)
    return out


def _padded(ends: Sequence[Sequence[float]], width: int) -> F64:
    """Hold end times per unit as ``(U, H)``, each row sorted ascending after ``-inf`` padding.

    ``H = max(width, longest row)``, so the last column is a unit's latest end and column
    ``H − c`` its ``c``-th latest (``-inf`` when it has fewer than ``c``).
    """
    h = max(width, max((len(r) for r in ends), default=0))
    out = np.full((len(ends), h), -np.inf)
    for k, row in enumerate(ends):
        out[k, h - len(row) :] = row
    out.sort(axis=1)
    return out


def _channel_free_at(ends: F64, channels: I64) -> F64:
    """When a unit of ``channels (U,)`` has a free channel, given its holds ``ends (U, H)``.

    With ``m`` holds ending ``e₁ ≤ … ≤ e_m`` and ``c`` channels: ``e_{m−c+1}`` (the ``c``-th
    latest), ``-inf`` when ``m < c`` (a channel is free now). ``ends`` comes from
    :func:`_padded` with ``H ≥ max(channels)``.
    """
    out: F64 = ends[np.arange(ends.shape[0]), ends.shape[1] - channels]
    return out


def _never_later(n: int, u: int) -> WaitOptions:
    """Wait options of ``n`` tracks and ``u`` units when no unit is ever waited for."""
    never = np.full((n, u), np.inf)
    return WaitOptions(done_s=never, start_s=never, reach_s=never)


def _is_jammer(e: EffectorType) -> bool:
    return e.rf_link_only or (not e.kinetic and e.layer == Layer.EW)


def enforce_hard_rule(
    recs: Sequence[Recommendation], tracks: TrackTable, assessment: Assessment
) -> list[Recommendation]:
    """Drop every recommendation that the hard rule forbids; the last filter on every output.

    A recommendation survives only if its track is in the table and, at this tick, the track's
    identity is SUSPECT or HOSTILE (never one of
    :data:`~dronewall.core.taxonomy.PROTECTED_IDENTITIES`), it carries no cooperative ident
    (``ident < 0``), and its most probable class is a UAS class.

    Parameters
    ----------
    recs : Sequence[Recommendation]
        Candidate output.
    tracks : TrackTable
        The snapshot the recommendations were made from.
    assessment : Assessment
        Its assessment (rows aligned with ``tracks``).

    Returns
    -------
    list[Recommendation]
        The allowed recommendations, in input order.
    """
    if not np.array_equal(tracks.track_id, assessment.track_id):
        log.error("hard rule: assessment rows do not match the track table; nothing allowed")
        return []
    row = {int(tid): i for i, tid in enumerate(tracks.track_id)}
    out = []
    for rec in recs:
        i = row.get(rec.track_id)
        if i is None:
            log.error("hard rule: recommendation %s for an unknown track dropped", rec.id)
            continue
        ident = int(assessment.identity[i])
        allowed = (
            ident in {int(x) for x in ENGAGEABLE_IDENTITIES}
            and not bool(is_protected(assessment.identity[i : i + 1])[0])
            and int(tracks.ident[i]) < 0
            and bool(UAS_MASK[int(assessment.object_class[i])])
        )
        if allowed:
            out.append(rec)
        else:
            log.error("hard rule: recommendation %s against track %d dropped", rec.id, rec.track_id)
    return out


class EngagementAdvisor:
    """Proposes engagements and keeps the fire units' state.

    Parameters
    ----------
    fire_units : Sequence[FireUnitSpec]
        Deployed units (their ids must be unique).
    frame : LocalFrame
        The run's ENU frame.
    roe : RulesOfEngagement
        What may be proposed.
    config : EngagementConfig or None
        Settings; defaults when ``None``.
    site_values : Mapping[str, float] or None
        Value (0-100) of each site by id, weighing the threats in the assignment; sites not
        listed (or all, when ``None``) take ``config.default_site_value``.

    Attributes
    ----------
    last_assignment : WtaSolution or None
        The assignment solved by the last :meth:`recommend` (``None`` when none was solved).
    counters : dict[str, int]
        ``wta_solves``, ``wta_fallbacks`` (solver errors answered by the greedy), ``outcomes``.
    """

    def __init__(
        self,
        fire_units: Sequence[FireUnitSpec],
        frame: LocalFrame,
        roe: RulesOfEngagement,
        config: EngagementConfig | None = None,
        *,
        site_values: Mapping[str, float] | None = None,
        threat_config: ThreatConfig | None = None,
    ) -> None:
        self.config = EngagementConfig() if config is None else config
        self.threat_config = ThreatConfig() if threat_config is None else threat_config
        self.site_values: dict[str, float] = {}
        for sid, v in (site_values or {}).items():
            if not 0.0 <= float(v) <= 100.0:
                raise ConfigError(
                    "must lie in [0, 100]", field=f"site_values[{sid!r}]", actual=str(v)
                )
            self.site_values[str(sid)] = float(v)
        self.roe = roe
        self.frame = frame
        self.units = tuple(fire_units)
        u = len(self.units)
        self.unit_ids = tuple(f.id for f in self.units)
        if len(set(self.unit_ids)) != u:
            raise ConfigError("fire unit ids must be unique", field="fire_units")
        self.effectors = tuple(f.effector for f in self.units)
        lla = np.array([[f.lat_deg, f.lon_deg, f.h_m] for f in self.units]).reshape(u, 3)
        self.pos_enu: F64 = frame.lla_to_enu(lla) if u else np.empty((0, 3))
        self.unit_h_m: F64 = approx_height_m(self.pos_enu, frame.h_m)
        mags = [f.magazine if f.magazine is not None else f.effector.magazine for f in self.units]
        self.magazine: F64 = np.array([np.inf if m is None else float(m) for m in mags])
        e = self.effectors
        self.min_range_m: F64 = np.array([x.min_range_m for x in e], np.float64)
        self.max_range_m: F64 = np.array([x.max_range_m for x in e], np.float64)
        self.min_alt_m: F64 = np.array([x.min_alt_m for x in e], np.float64)
        self.max_alt_m: F64 = np.array([x.max_alt_m for x in e], np.float64)
        self.speed_m_s: F64 = np.array([x.speed_m_s for x in e], np.float64)
        self.reaction_s: F64 = np.array([x.reaction_s for x in e], np.float64)
        self.reload_s: F64 = np.array([x.reload_s for x in e], np.float64)
        self.channels: I64 = np.array([x.channels for x in e], np.int64)
        self.cost_eur: F64 = np.array([x.cost_per_engagement_eur for x in e], np.float64)
        type_ids = np.array([x.id for x in e], dtype=object)
        self._same_type: B = type_ids[:, None] == type_ids[None, :]  # (U, U) same effector type
        self.kinetic: B = np.array([x.kinetic for x in e], np.bool_)
        self.jammer: B = np.array([_is_jammer(x) for x in e], np.bool_)
        self.layer: I64 = np.array([int(x.layer) for x in e], np.int64)
        self.pk_table: F64 = np.array([x.pk_vector() for x in e]).reshape(u, len(ObjectClass))
        nfz = roe.no_fire_zones
        nfz_lla = np.array([[z.lat_deg, z.lon_deg, 0.0] for z in nfz]).reshape(len(nfz), 3)
        self.nfz_enu: F64 = frame.lla_to_enu(nfz_lla) if nfz else np.empty((0, 3))
        self.nfz_radius_m: F64 = np.array([z.radius_m for z in nfz], np.float64)
        self.nfz_names = tuple(z.name for z in nfz)

        self.rounds_left: F64 = self.magazine.copy()
        self.busy_until: F64 = np.full(u, -np.inf)
        self.reload_until: F64 = np.full(u, -np.inf)
        self._in_flight: list[list[float]] = [[] for _ in range(u)]  # effect times per unit
        self._proposals: dict[str, Recommendation] = {}
        self._engaged_until: dict[int, float] = {}
        self._claims: dict[int, tuple[float, float, F64]] = {}
        self._deferrals: list[Deferral] = []
        self._n_recs = 0
        self._n_engagements = 0
        self._engagements: dict[str, Engagement] = {}
        self._failed: dict[int, dict[str, float]] = {}  # track -> effector id -> t of the miss
        self._misses: dict[int, int] = {}
        self._killed: dict[int, float] = {}  # track -> t of the kill assessment
        self.last_assignment: WtaSolution | None = None
        self.counters: dict[str, int] = {"wta_solves": 0, "wta_fallbacks": 0, "outcomes": 0}

    # ------------------------------------------------------------------ state
    def state(self) -> FireUnitState:
        """A copy of the fire-unit state."""
        return FireUnitState(
            ids=self.unit_ids,
            pos_enu=self.pos_enu.copy(),
            rounds_left=self.rounds_left.copy(),
            busy_until=self.busy_until.copy(),
            reload_until=self.reload_until.copy(),
        )

    def outstanding(self) -> tuple[Recommendation, ...]:
        """Proposals neither committed, released nor timed out."""
        return tuple(self._proposals.values())

    def reserved(self) -> F64:
        """Rounds held by outstanding proposals, per unit ``(U,)``."""
        out = np.zeros(len(self.units))
        for rec in self._proposals.values():
            out[self.unit_ids.index(rec.fire_unit_id)] += 1.0
        return out

    def advance(self, t: float) -> None:
        """Finish reloads, time out unanswered proposals and engagements due before ``t``."""
        done = (self.reload_until <= t) & (self.rounds_left < 1.0) & np.isfinite(self.magazine)
        self.rounds_left[done] = self.magazine[done]
        self.reload_until[done] = -np.inf
        ttl = self.config.proposal_ttl_s
        self._proposals = {k: r for k, r in self._proposals.items() if t - r.t < ttl}
        self._engaged_until = {k: v for k, v in self._engaged_until.items() if v > t}

    def release(self, recommendation_id: str) -> None:
        """Drop an outstanding proposal (rejected or expired), freeing its track and round."""
        self._proposals.pop(recommendation_id, None)

    def blocked_tracks(self, t: float) -> I64:
        """Track ids with an outstanding proposal or an engagement not yet assessed."""
        ids = {r.track_id for r in self._proposals.values()}
        ids |= {k for k, v in self._engaged_until.items() if v > t}
        return np.array(sorted(ids), dtype=np.int64)

    # ------------------------------------------------------------- feasibility
    def intercept(self, pos: F64, vel: F64, delay_s: F64 | None = None) -> tuple[F64, F64, B]:
        """Predicted intercept of every track by every unit.

        The fixed point of ``t = τ + ‖p + v t − q‖ / w`` solved exactly: the smallest ``t ≥ τ``
        with ``‖d + v t‖² = w² (t − τ)²``, ``d = p − q``, i.e. the root of
        ``(v·v − w²) t² + 2 (d·v + w² τ) t + (d·d − w² τ²) = 0``; ``t = τ`` for ``w = inf``.

        Parameters
        ----------
        pos, vel : (N, 3) float64
            Track positions (m) and velocities (m/s), ENU.
        delay_s : (U,) or (N, U) float64, or None
            Engage only after this wait per unit (or per track and unit), s: the target is first
            moved to ``p + v d`` and ``t_go`` counts from the end of the wait.

        Returns
        -------
        t_go : (N, U) float64
            Reaction plus fly-out time, s (``inf`` where the target cannot be caught).
        point : (N, U, 3) float64
            Intercept points, ENU m (the target's position at ``t_go``, capped at the time limit).
        converged : (N, U) bool
            False where the effector cannot catch the target.
        """
        cfg = self.config
        d = pos[:, None, :] - self.pos_enu[None, :, :]  # (N, U, 3)
        v = vel[:, None, :]
        if delay_s is not None:
            d = d + v * np.atleast_2d(delay_s)[:, :, None]
        tau = self.reaction_s[None, :]
        finite = np.isfinite(self.speed_m_s)[None, :]
        w2 = np.where(finite, self.speed_m_s[None, :], 1.0) ** 2
        vv = np.sum(v * v, axis=-1)
        a = vv - w2
        b = 2.0 * (np.sum(d * v, axis=-1) + w2 * tau)
        c = np.sum(d * d, axis=-1) - w2 * tau * tau
        disc = b * b - 4.0 * a * c
        sq = np.sqrt(np.maximum(disc, 0.0))
        linear = np.abs(a) < 1e-9 * w2
        safe_a = np.where(linear, 1.0, a)
        with np.errstate(divide="ignore", invalid="ignore"):
            r1 = (-b - sq) / (2.0 * safe_a)
            r2 = (-b + sq) / (2.0 * safe_a)
            r_lin = np.where(b != 0.0, -c / np.where(b != 0.0, b, 1.0), np.inf)
        tol = 1e-9
        ok1 = ~linear & (disc >= 0.0) & (r1 >= tau - tol)
        ok2 = ~linear & (disc >= 0.0) & (r2 >= tau - tol)
        okl = linear & (r_lin >= tau - tol)
        t_go = np.full(a.shape, np.inf)
        t_go = np.where(ok2, np.maximum(r2, tau), t_go)
        t_go = np.where(ok1, np.minimum(t_go, np.maximum(r1, tau)), t_go)
        t_go = np.where(okl, np.minimum(t_go, np.maximum(r_lin, tau)), t_go)
        t_go = np.where(finite, t_go, np.broadcast_to(tau, t_go.shape))
        converged = np.isfinite(t_go) & (t_go <= cfg.max_time_to_intercept_s)
        t_pt = np.where(converged, t_go, np.minimum(tau, cfg.max_time_to_intercept_s))
        point = d + self.pos_enu[None, :, :] + v * t_pt[..., None]
        return t_go, point, converged

    def feasibility(
        self,
        t: float,
        tracks: TrackTable,
        assessment: Assessment,
        rows: IntP,
        delay_s: F64 | None = None,
        *,
        stationary: bool = False,
    ) -> Feasibility:
        """Batched feasibility of the tracks ``rows`` (indices into ``tracks``) and every unit.

        Every launch is predicted ``approval_s`` after the proposal (the operator's approval): the
        target moves on at constant velocity meanwhile, and ``t_go`` counts from ``t``, approval
        included. With ``delay_s (U,)`` (s, each at least the unit's wait until ready, see
        :meth:`ready_in`) it is the feasibility of proposing after that wait (the unit ready and
        reloaded), approved ``approval_s`` later; ``delay_s (n, U)`` gives each track its own
        waits (a follow-up after each first shot's look, :meth:`plan_values`). ``stationary``
        predicts the target holding its position instead (a loitering drone).
        """
        cfg, roe = self.config, self.roe
        x = tracks.x[rows]
        vel = x[:, 3:6] * np.array([1.0, 1.0, 0.0]) if cfg.predict_level else x[:, 3:6]
        if stationary:
            vel = np.zeros_like(vel)
        lead = np.full((1, len(self.units)), cfg.approval_s)  # (1, U) or (n, U)
        if delay_s is not None:
            lead = lead + np.atleast_2d(delay_s)
        t_go, point, catch = self.intercept(x[:, :3], vel, lead)
        t_go = np.where(catch, t_go, np.inf) + lead
        n, u = t_go.shape
        rel = point - self.pos_enu[None, :, :]
        slant = np.linalg.norm(rel, axis=-1)
        h = approx_height_m(point.reshape(-1, 3), self.frame.h_m).reshape(n, u)
        h_rel = h - self.unit_h_m[None, :]
        range_ok = (slant >= self.min_range_m) & (slant <= self.max_range_m)
        alt_ok = (h_rel >= self.min_alt_m) & (h_rel <= self.max_alt_m)
        free = self.rounds_left - self.reserved()
        if delay_s is None:  # free now: not busy, not reloading, no outstanding proposal
            ready_u = self.ready_in(t) <= 0.0
        else:  # after ready_in(t) every unit is free and holds a round (reload included)
            ready_u = np.ones(u, np.bool_)
            free = np.where(delay_s >= self.ready_in(t), np.maximum(free, 1.0), free)
        stock = np.broadcast_to(np.atleast_2d(free) >= 1.0, (n, u))
        ready = np.broadcast_to(ready_u[None, :], (n, u))
        if self.nfz_enu.shape[0]:
            dz = np.hypot(
                point[:, :, None, 0] - self.nfz_enu[None, None, :, 0],
                point[:, :, None, 1] - self.nfz_enu[None, None, :, 1],
            )  # (n, U, Z)
            inside = dz <= self.nfz_radius_m[None, None, :]
            nfz_index = np.where(inside.any(axis=-1), np.argmax(inside, axis=-1), -1)
        else:
            nfz_index = np.full((n, u), -1)
        kin = self.kinetic[None, :]
        jam = self.jammer[None, :]
        nfz_ok = ~kin | (nfz_index < 0)
        roe_ok = np.broadcast_to(
            np.where(kin, roe.kinetic_allowed, True) & np.where(jam, roe.jamming_allowed, True),
            (n, u),
        )
        probs = assessment.class_probs[rows]
        pk = probs @ self.pk_table.T  # Σ_c p(c) pk(u, c)
        rf_seen = assessment.rf_protocol[rows] >= -1
        if cfg.jammer_requires_rf_cue:
            rf_ok = ~jam | rf_seen[:, None]
            pk = np.where(rf_ok, pk, 0.0)
        else:
            emitting = probs[:, UAS_MASK].sum(axis=1)  # upper bound when no cue
            rf_ok = np.ones((n, u), np.bool_)
            pk = np.where(jam & ~rf_seen[:, None], pk * np.minimum(emitting, 1.0)[:, None], pk)
        pk_ok = pk >= cfg.min_pk
        ttc_top = time_to_core_top(assessment, rows)
        late = (ttc_top[:, None] > 0.0) & (t_go > ttc_top[:, None])
        return Feasibility(
            t_go=t_go,
            point=point,
            slant=slant,
            h_rel=h_rel,
            pk=pk,
            late=late,
            ready=ready,
            stock=stock,
            roe=roe_ok,
            nfz_ok=nfz_ok,
            rf_ok=rf_ok,
            range_ok=range_ok,
            alt_ok=alt_ok,
            catch=catch,
            pk_ok=pk_ok,
            nfz_index=nfz_index.astype(np.intp),
        )

    def _why_not(self, f: Feasibility, i: int, k: int) -> str:
        e = self.effectors[k]
        if not f.ready[i, k]:
            return "unit busy, reloading or holding an outstanding proposal"
        if not f.stock[i, k]:
            return "no rounds left (magazine empty or held by other proposals)"
        if not f.roe[i, k]:
            return "kinetic fire not allowed by ROE" if e.kinetic else "jamming not allowed by ROE"
        if not f.rf_ok[i, k]:
            return "no RF link seen on the track: a jammer would be useless"
        if not f.catch[i, k]:
            return "cannot catch the target (too fast or too far)"
        if not f.range_ok[i, k]:
            return (
                f"intercept at {format_distance(float(f.slant[i, k]))}, outside "
                f"{format_distance(e.min_range_m)}-{format_distance(e.max_range_m)}"
            )
        if not f.alt_ok[i, k]:
            return (
                f"intercept height {float(f.h_rel[i, k]):.0f} m outside "
                f"{e.min_alt_m:.0f}-{e.max_alt_m:.0f} m"
            )
        if not f.nfz_ok[i, k]:
            return f"intercept point inside no-fire zone {self.nfz_names[int(f.nfz_index[i, k])]}"
        if not f.pk_ok[i, k]:
            return f"expected Pk {float(f.pk[i, k]):.2f} below floor {self.config.min_pk:.2f}"
        return ""

    # --------------------------------------------------------------- advice
    def recommend(
        self, t: float, tracks: TrackTable, assessment: Assessment
    ) -> list[Recommendation]:
        """Propose at most one engagement per eligible track, most threatening tracks first.

        Eligible: confirmed, identity SUSPECT/HOSTILE and at least ``roe.min_identity``, threat
        score ≥ ``min_threat_score``, no outstanding proposal or unassessed engagement, and the hard
        rule (no protected identity, no cooperative ident, a UAS class). Each unit takes at most
        one new proposal per call.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s.
        tracks : TrackTable
            The tracker's snapshot.
        assessment : Assessment
            Its assessment, rows aligned with ``tracks``.

        Returns
        -------
        list[Recommendation]
            New proposals, most threatening track first; each passed :func:`enforce_hard_rule`.
        """
        if not np.array_equal(tracks.track_id, assessment.track_id):
            raise InputError(
                "assessment rows do not match the track table",
                field="assessment.track_id",
                expected=f"{len(tracks)} rows in track order",
                actual=f"{len(assessment)} rows",
            )
        self.advance(t)
        cfg = self.config
        ident = assessment.identity
        eligible = (
            tracks.confirmed
            & np.isin(ident, [int(i) for i in ENGAGEABLE_IDENTITIES])
            & (ident >= int(self.roe.min_identity))
            & ~is_protected(ident)
            & (tracks.ident < 0)
            & UAS_MASK[assessment.object_class.astype(np.intp)]
            & (assessment.score >= cfg.min_threat_score)
            & ~np.isin(tracks.track_id, self.blocked_tracks(t))
        )
        self._deferrals = []
        self._forget_gone_tracks(tracks)
        eligible &= ~self._assessed_killed(tracks)
        self._update_claims(t, tracks)
        rows = np.flatnonzero(eligible)
        if rows.size == 0 or not self.units:
            return []
        rows = rows[np.lexsort((tracks.track_id[rows], -assessment.score[rows]))]
        rows = self._drop_claimed_duplicates(t, tracks, rows)
        if rows.size == 0:
            return []
        n, u = rows.shape[0], len(self.units)
        f = self.feasibility(t, tracks, assessment, rows)
        mcf = cfg.policy == "most-capable-first"
        # The most-capable-first doctrine never waits for a unit: what it could do later is moot.
        w = _never_later(n, u) if mcf else self.wait_options(t, tracks, assessment, rows)
        failed = self._failed_mask(tracks, rows)  # shoot-look-shoot: not that effector again
        feasible = f.feasible & ~failed
        if failed.any():
            w = WaitOptions(
                done_s=np.where(failed, np.inf, w.done_s),
                start_s=np.where(failed, np.inf, w.start_s),
                reach_s=np.where(failed, np.inf, w.reach_s),
            )
        pk = f.pk
        with np.errstate(divide="ignore"):
            per_kill = np.where(pk > 0, self.cost_eur[None, :] / np.where(pk > 0, pk, 1.0), np.inf)
        ttc_top = time_to_core_top(assessment, rows)
        deadline = ttc_top - self.margin_s(assessment, rows)
        imminent = ttc_top <= cfg.imminent_s
        low_value = np.isin(assessment.object_class[rows], [int(c) for c in cfg.low_value_classes])
        expensive = self.cost_eur >= cfg.expensive_cost_eur
        x = tracks.x[rows]
        same_object = (
            np.linalg.norm(x[:, None, :3] - x[None, :, :3], axis=-1) <= cfg.duplicate_radius_m
        ) & (np.linalg.norm(x[:, None, 3:6] - x[None, :, 3:6], axis=-1) <= cfg.duplicate_speed_m_s)
        if mcf or cfg.wta_method != "per-track":
            tick = _Tick(
                t=t,
                tracks=tracks,
                assessment=assessment,
                rows=rows,
                f=f,
                w=w,
                feasible=feasible,
                per_kill=per_kill,
                ttc_top=ttc_top,
                deadline=deadline,
                imminent=imminent,
                low_value=low_value,
                expensive=expensive,
                same_object=same_object,
            )
            chosen = self._most_capable_first(tick) if mcf else self._assign(tick)
            return self._final_check(t, chosen, tracks, assessment)
        decided = np.zeros(n, np.bool_)  # proposed or deferred this tick
        used: dict[int, float] = {}  # unit -> time to intercept of its proposal this tick
        recs: list[Recommendation] = []
        for i, r in enumerate(rows):  # engageable tracks only: a handful per tick
            tid = int(tracks.track_id[r])
            dup = np.flatnonzero(same_object[i] & decided)
            if dup.size:  # the most threatening track of the object speaks for it
                self._defer(
                    t,
                    tid,
                    ttc_top[i],
                    f"likely a duplicate track of track "
                    f"{int(tracks.track_id[rows[dup[0]]])}, decided this tick",
                )
                continue
            is_used = np.zeros(u, np.bool_)
            is_used[list(used)] = True
            done = w.done_s[i].copy()
            reach_s = w.reach_s[i].copy()
            for k, t_k in used.items():  # busy after this tick's proposal (approval not counted)
                due = t_k + float(f.t_go[i, k])
                reach_s[k] = due if feasible[i, k] else np.inf
                done[k] = due if feasible[i, k] and due <= deadline[i] else np.inf
            reach = np.isfinite(reach_s)
            order = np.lexsort(
                (f.t_go[i], -pk[i], self.layer, per_kill[i], f.late[i], ~feasible[i])
            )
            cheaper = per_kill[i][None, :] < per_kill[i][:, None]  # [k, kk]: kk cheaper than k
            veto = (
                expensive
                & bool(low_value[i] and not imminent[i])
                & (cheaper & reach[None, :]).any(axis=1)
            )
            open_now = feasible[i] & ~is_used
            best = next((int(k) for k in order if open_now[k]), None)
            if best is None:
                continue
            waiting = cheaper[best] & np.isfinite(done)
            if waiting.any():
                kk = int(np.argmin(np.where(waiting, done, np.inf)))
                self._defer(
                    t,
                    tid,
                    ttc_top[i],
                    f"{self.unit_ids[kk]} ({self.effectors[kk].name}, "
                    f"{per_kill[i, kk]:,.0f} EUR per expected kill) can intercept in "
                    f"{done[kk]:.0f} s, before the track is due in the core"
                    + (f" ({ttc_top[i]:.0f} s)" if np.isfinite(ttc_top[i]) else "")
                    + f"; {self.effectors[best].name} ({per_kill[i, best]:,.0f} EUR per "
                    "expected kill) not proposed",
                    declined=self.effectors[best].id,
                    waiting_for=self.unit_ids[kk],
                    ready_in=float(done[kk]),
                )
                decided[i] = True
                continue
            choice = next((int(k) for k in order if open_now[k] and not veto[k]), None)
            if choice is None:  # only expensive options against a low-value, distant target
                alt = int(np.argmin(np.where(cheaper[best] & reach, per_kill[i], np.inf)))
                self._defer(
                    t,
                    tid,
                    ttc_top[i],
                    f"{self.effectors[best].name} ({self.cost_eur[best]:,.0f} EUR) against a "
                    f"low-value {ObjectClass(int(assessment.object_class[r])).label} only "
                    f"when imminent (due in the core within {cfg.imminent_s:.0f} s) or out "
                    f"of every cheaper unit's reach; {self.unit_ids[alt]} can still reach it",
                    declined=self.effectors[best].id,
                    waiting_for=self.unit_ids[alt],
                    ready_in=float(reach_s[alt]),
                )
                decided[i] = True
                continue
            used[choice] = float(f.t_go[i, choice])
            decided[i] = True
            recs.append(
                self._make(
                    t,
                    tracks,
                    assessment,
                    int(r),
                    i,
                    choice,
                    order,
                    f,
                    per_kill,
                    feasible,
                    set(used),
                    bool(cheaper[choice].any() and (cheaper[choice] & reach).any()),
                    why=self._failed_why(tid),
                )
            )
        return self._final_check(t, recs, tracks, assessment)

    # ------------------------------------------------------- waiting, duplicates
    def ready_in(self, t: float) -> F64:
        """Wait until each unit is free with a round, ``(U,)`` s.

        A unit is free when one of its ``channels`` is: each engagement in flight holds one until
        its effect, each outstanding proposal one until its predicted effect (approved
        ``approval_s`` after it was made, or now if that time has passed: it may still be approved
        at any moment). With ``m`` such holds ending at ``e₁ ≤ … ≤ e_m`` and ``c`` channels, the
        unit is free now if ``m < c``, else at ``e_{m−c+1}``; and not before ``busy_until`` nor
        a reload, plus a reload after the last hold if the proposals hold its last rounds. A
        single-channel unit holding a proposal is therefore never free now.
        """
        holds = [[e for e in flying if e > t] for flying in self._in_flight]
        for rec in self._proposals.values():
            k = self.unit_ids.index(rec.fire_unit_id)
            launch = max(rec.t + self.config.approval_s, t)
            # at least 1 ms: a unit holding a proposal of a light-speed effect is not free now
            holds[k].append(launch + max(rec.time_to_intercept_s, 1e-3))
        ends = _padded(holds, int(self.channels.max(initial=1)))
        until = np.maximum(
            np.maximum(self.busy_until, self.reload_until), _channel_free_at(ends, self.channels)
        )
        last = ends[:, -1]  # the last hold ends (-inf: none): a reload starts after it
        dry = (self.rounds_left - self.reserved() < 1.0) & (self.reload_until <= t)
        until = np.where(dry, np.maximum(np.maximum(until, last), t) + self.reload_s, until)
        out: F64 = np.maximum(until - t, 0.0)
        return out

    def wait_options(
        self, t: float, tracks: TrackTable, assessment: Assessment, rows: IntP
    ) -> WaitOptions:
        """What each unit could do for each track if advice waited for it.

        For each delay ``d = ready_in(t) + s``, ``s`` in ``wait_steps_s`` and ``d ≤ max_wait_s``,
        the feasibility after the wait (:meth:`feasibility` with ``delay_s``); the earliest
        feasible ``d + t_go`` that is due before ``time_to_core − engagement_margin_s`` is kept.
        Whether a unit can reach the track at all (late or not) is judged under two hypotheses,
        constant velocity or loitering in place: constant velocity over ten minutes of reload
        flies an orbiting drone far out of every envelope. A handful of batched ``(n, U)``
        evaluations, no loop over tracks.
        """
        cfg = self.config
        n, u = rows.shape[0], len(self.units)
        base = self.ready_in(t)
        deadline = time_to_core_top(assessment, rows) - self.margin_s(assessment, rows)
        done = np.full((n, u), np.inf)
        start = np.full((n, u), np.inf)
        reach = np.full((n, u), np.inf)
        for step in cfg.wait_steps_s:
            delay = base + step
            within = delay <= cfg.max_wait_s
            if not within.any():
                break
            fw = self.feasibility(t, tracks, assessment, rows, delay)
            ok = fw.feasible & within[None, :]
            reach = np.where(ok & ~np.isfinite(reach), fw.t_go, reach)
            fs = self.feasibility(t, tracks, assessment, rows, delay, stationary=True)
            ok_s = fs.feasible & within[None, :]
            reach = np.where(ok_s & ~np.isfinite(reach), fs.t_go, reach)
            timely = ok & (fw.t_go <= deadline[:, None]) & ~np.isfinite(done)
            done = np.where(timely, fw.t_go, done)
            start = np.where(timely, delay[None, :], start)
        return WaitOptions(done_s=done, start_s=start, reach_s=reach)

    def margin_s(self, assessment: Assessment, rows: IntP) -> F64:
        """Least time between a waited-for intercept and the track reaching the core, ``(n,)`` s."""
        cfg = self.config
        low = np.isin(assessment.object_class[rows], [int(c) for c in cfg.low_value_classes])
        out: F64 = np.where(low, cfg.engagement_margin_s, cfg.high_value_margin_s)
        return out

    def deferrals(self) -> tuple[Deferral, ...]:
        """Tracks the last :meth:`recommend` deliberately left without a proposal, and why."""
        return tuple(self._deferrals)

    def _defer(
        self,
        t: float,
        track_id: int,
        time_to_core_s: float,
        reason: str,
        *,
        declined: str = "",
        waiting_for: str = "",
        ready_in: float = np.inf,
    ) -> None:
        log.debug("track %d deferred: %s", track_id, reason)
        self._deferrals.append(
            Deferral(
                t=t,
                track_id=track_id,
                declined_effector_id=declined,
                waiting_for_unit_id=waiting_for,
                ready_in_s=ready_in,
                time_to_core_s=float(time_to_core_s),
                reason=reason,
            )
        )

    def _update_claims(self, t: float, tracks: TrackTable) -> None:
        """Refresh the objects claimed by proposals and engagements (for duplicate tracks).

        A claim is ``track_id -> (t_last, t_state, x (6,))``: renewed while the track is blocked,
        its state refreshed while the track exists, dropped ``duplicate_window_s`` after its last
        renewal.
        """
        row = {int(tid): i for i, tid in enumerate(tracks.track_id)}
        blocked = {int(k) for k in self.blocked_tracks(t)}
        for tid in blocked:
            if tid in self._claims:
                _, t_state, x = self._claims[tid]
                self._claims[tid] = (t, t_state, x)
            elif tid in row:
                self._claims[tid] = (t, t, tracks.x[row[tid]].copy())
        for tid, (t_last, _, _) in list(self._claims.items()):
            if t - t_last > self.config.duplicate_window_s:
                del self._claims[tid]
            elif tid in row:
                self._claims[tid] = (t_last, t, tracks.x[row[tid]].copy())

    def _drop_claimed_duplicates(self, t: float, tracks: TrackTable, rows: IntP) -> IntP:
        """Rows that are no likely duplicate of an object already claimed (batched, ``(n, K)``)."""
        if not self._claims or rows.size == 0:
            return rows
        cfg = self.config
        ids = np.array(list(self._claims), np.int64)
        t_state = np.array([c[1] for c in self._claims.values()])
        xc = np.array([c[2] for c in self._claims.values()]).reshape(-1, 6)
        pos_c = xc[:, :3] + xc[:, 3:6] * (t - t_state)[:, None]  # (K, 3), constant velocity
        x = tracks.x[rows]
        dist = np.linalg.norm(x[:, None, :3] - pos_c[None, :, :], axis=-1)  # (n, K)
        dv = np.linalg.norm(x[:, None, 3:6] - xc[None, :, 3:6], axis=-1)
        dup = (
            (dist <= cfg.duplicate_radius_m)
            & (dv <= cfg.duplicate_speed_m_s)
            & (tracks.track_id[rows][:, None] != ids[None, :])
        )
        hit = dup.any(axis=1)
        for i in np.flatnonzero(hit):  # the few duplicates, for the explanation
            k = int(np.argmax(dup[i]))
            self._defer(
                t,
                int(tracks.track_id[rows[i]]),
                np.inf,
                f"likely a duplicate track of track {int(ids[k])} "
                f"({format_distance(float(dist[i, k]))} away), already proposed or engaged",
            )
        out: IntP = rows[~hit]
        return out

    def _make(
        self,
        t: float,
        tracks: TrackTable,
        assessment: Assessment,
        r: int,
        i: int,
        k: int,
        order: IntP,
        f: Feasibility,
        per_kill: F64,
        feasible: B,
        used: set[int],
        cheaper_too_late: bool = False,
        *,
        why: Mapping[int, str] | None = None,
        note: str | None = None,
        value: float = 0.0,
        method: str = "per-track",
    ) -> Recommendation:
        """One recommendation with its reason and alternatives.

        ``why`` overrides the reason an alternative unit was not chosen (unit index -> words);
        ``note`` replaces the closing clause of the reason (the assignment's own account).
        """
        e = self.effectors[k]
        pk = float(f.pk[i, k])
        approval = self.config.approval_s
        t_go = float(f.t_go[i, k])  # from t, approval included
        oc = ObjectClass(int(assessment.object_class[r]))
        p_oc = float(assessment.class_probs[r, int(oc)])
        top = int(assessment.top_site[r])
        site_id = assessment.site_ids[top] if top >= 0 else ""
        alts = []
        for kk in order:
            kk = int(kk)
            if kk == k:
                continue
            if why is not None and kk in why:
                why_kk = why[kk]
            elif feasible[i, kk]:
                if kk in used:
                    why_kk = "unit already proposed against another track this tick"
                elif bool(f.late[i, kk]) and not bool(f.late[i, k]):
                    why_kk = "intercept after the track would reach the core"
                else:
                    why_kk = (
                        f"costlier per expected kill ({per_kill[i, kk]:,.0f} EUR vs "
                        f"{per_kill[i, k]:,.0f} EUR)"
                    )
            else:
                why_kk = self._why_not(f, i, kk)
                if not f.ready[i, kk]:
                    why_kk += f" (free in {float(self.ready_in(t)[kk]):.0f} s)"
            ee = self.effectors[kk]
            alts.append(
                Alternative(
                    fire_unit_id=self.unit_ids[kk],
                    effector_id=ee.id,
                    layer=ee.layer,
                    pk=float(f.pk[i, kk]),
                    cost_eur=float(self.cost_eur[kk]),
                    time_to_intercept_s=float(f.t_go[i, kk]) - approval,
                    why_not=why_kk,
                )
            )
            if len(alts) >= self.config.max_alternatives:
                break
        late = " (after the track would reach the core: no timely option)" if f.late[i, k] else ""
        reason = (
            f"{Identity(int(assessment.identity[r])).label} {oc.label}-like (p={p_oc:.2f}), "
            f"threat {float(assessment.score[r]):.2f}"
            + (f" to {site_id}" if site_id else "")
            + f": {e.name} from {self.unit_ids[k]}, Pk {pk:.2f}, {self.cost_eur[k]:,.0f} EUR "
            f"({per_kill[i, k]:,.0f} EUR per expected kill), intercept in {t_go:.0f} s "
            f"({approval:.0f} s to approve) at {format_distance(float(f.slant[i, k]))}{late}; "
            + (
                note
                if note is not None
                else "cheaper units cannot engage before the track is due in the core"
                if cheaper_too_late
                else "cheapest effective option"
            )
        )
        tid = int(tracks.track_id[r])
        misses = self._misses.get(tid, 0)
        if misses:
            reason += (
                f"; re-engagement after {misses} missed engagement(s) "
                f"(look delay {self.config.reengage_delay_s:.0f} s)"
            )
        self._n_recs += 1
        pt = f.point[i, k]
        return Recommendation(
            id=f"rec-{self._n_recs:06d}",
            t=t,
            track_id=int(tracks.track_id[r]),
            site_id=site_id,
            fire_unit_id=self.unit_ids[k],
            effector_id=e.id,
            layer=e.layer,
            pk=pk,
            cost_eur=float(self.cost_eur[k]),
            time_to_intercept_s=t_go - approval,
            intercept_enu=(float(pt[0]), float(pt[1]), float(pt[2])),
            identity=Identity(int(assessment.identity[r])),
            object_class=oc,
            threat_score=float(assessment.score[r]),
            reason=reason,
            alternatives=tuple(alts),
            threat_value=value,
            method=method,
            previous_misses=misses,
        )

    def _final_check(
        self, t: float, recs: list[Recommendation], tracks: TrackTable, assessment: Assessment
    ) -> list[Recommendation]:
        """The one exit of :meth:`recommend`: hard rule, then stock and envelope re-checks."""
        out = []
        free = self.rounds_left - self.reserved()
        row_of = {int(tid): i for i, tid in enumerate(tracks.track_id)}
        for rec in enforce_hard_rule(recs, tracks, assessment):
            k = self.unit_ids.index(rec.fire_unit_id)
            pt = np.array(rec.intercept_enu)
            slant = float(np.linalg.norm(pt - self.pos_enu[k]))
            h = float(approx_height_m(pt[None, :], self.frame.h_m)[0] - self.unit_h_m[k])
            ok = (
                free[k] >= 1.0
                # a free channel, not reloading, not held by proposals (this call's included)
                and self.ready_in(t)[k] <= 0.0
                and self.min_range_m[k] - _ENVELOPE_SLACK_M <= slant
                and slant <= self.max_range_m[k] + _ENVELOPE_SLACK_M
                and self.min_alt_m[k] - _ENVELOPE_SLACK_M
                <= h
                <= self.max_alt_m[k] + _ENVELOPE_SLACK_M
                and (self.roe.kinetic_allowed or not self.kinetic[k])
                and (self.roe.jamming_allowed or not self.jammer[k])
            )
            if not ok:
                log.error("recommendation %s fails the stock/envelope/ROE re-check", rec.id)
                continue
            free[k] -= 1.0
            self._proposals[rec.id] = rec
            self._claims[rec.track_id] = (t, t, tracks.x[row_of[rec.track_id]].copy())
            out.append(rec)
        return out

    # --------------------------------------------------------------- commit
    def commit(self, rec: Recommendation, t: float) -> Engagement:
        """Commit an approved proposal: spend a round, hold a channel of the unit to the effect.

        Parameters
        ----------
        rec : Recommendation
            An outstanding proposal of this advisor.
        t : float
            Approval time, UTC epoch s.

        Returns
        -------
        Engagement
            With ``t_effect = t + time_to_intercept_s`` (reaction plus fly-out, as predicted).

        Raises
        ------
        EngagementError
            Unknown, released or timed-out proposal; unit busy, reloading or empty.
        """
        self.advance(t)
        if rec.id not in self._proposals:
            raise EngagementError(
                "no outstanding proposal with this id (released, expired or already committed)",
                field="recommendation.id",
                actual=rec.id,
            )
        k = self.unit_ids.index(rec.fire_unit_id)
        if self.busy_until[k] > t or self.reload_until[k] > t or self.rounds_left[k] < 1.0:
            raise EngagementError(
                "fire unit not ready (every channel busy, reloading or empty)",
                field="fire_unit_id",
                actual=rec.fire_unit_id,
            )
        del self._proposals[rec.id]
        t_effect = t + rec.time_to_intercept_s
        self.rounds_left[k] -= 1.0
        self._in_flight[k] = [e for e in self._in_flight[k] if e > t] + [t_effect]
        ends = _padded([self._in_flight[k]], int(self.channels[k]))
        self.busy_until[k] = _channel_free_at(ends, self.channels[k : k + 1])[0]
        if self.rounds_left[k] < 1.0:
            self.reload_until[k] = t_effect + self.reload_s[k]
        self._engaged_until[rec.track_id] = t_effect + self.config.reengage_delay_s
        self._n_engagements += 1
        eng = Engagement(
            id=f"eng-{self._n_engagements:06d}",
            recommendation_id=rec.id,
            t_approved=t,
            t_effect=t_effect,
            fire_unit_id=rec.fire_unit_id,
            effector_id=rec.effector_id,
            track_id=rec.track_id,
            site_id=rec.site_id,
            pk=rec.pk,
            cost_eur=rec.cost_eur,
            intercept_enu=rec.intercept_enu,
        )
        self._engagements[eng.id] = eng
        return eng

    # ------------------------------------------------------ shoot-look-shoot
    def record_outcome(self, engagement_id: str, t: float, outcome: str) -> None:
        """Kill assessment of a committed engagement: the look of shoot-look-shoot.

        ``"missed"``: the track may be proposed again ``reengage_delay_s`` (the look delay) after
        ``t``, and, with ``exclude_failed_effector``, never again with the effector type that
        missed it (the next option is proposed). ``"killed"``: the track is not proposed again
        unless it is updated by a detection more than the look delay after ``t`` (the kill
        assessment was wrong). ``"unknown"``: the track waits the look delay.

        Parameters
        ----------
        engagement_id : str
            An :class:`Engagement` returned by :meth:`commit`.
        t : float
            Time of the assessment, UTC epoch s.
        outcome : {"killed", "missed", "unknown"}
            As recorded in the decision book.

        Raises
        ------
        EngagementError
            Unknown (or already assessed) engagement, or an unknown outcome.
        """
        if outcome not in {"killed", "missed", "unknown"}:
            raise EngagementError(
                "unknown outcome", field="outcome", expected="killed, missed or unknown",
                actual=outcome,
            )  # fmt: skip
        eng = self._engagements.pop(engagement_id, None)
        if eng is None:
            raise EngagementError(
                "no committed, unassessed engagement with this id",
                field="engagement_id",
                actual=engagement_id,
            )
        self.counters["outcomes"] += 1
        tid = eng.track_id
        look = t + self.config.reengage_delay_s
        if outcome == "killed":
            self._killed[tid] = t
            self._engaged_until.pop(tid, None)
            return
        if outcome == "missed":
            self._misses[tid] = self._misses.get(tid, 0) + 1
            self._failed.setdefault(tid, {})[eng.effector_id] = t
        self._engaged_until[tid] = look

    def reengage_at(self, track_id: int) -> float:
        """Earliest time the track may be proposed again, UTC epoch s (``-inf``: now).

        ``inf`` while it is assessed killed and not seen since.
        """
        if track_id in self._killed:
            return np.inf
        return float(self._engaged_until.get(track_id, -np.inf))

    def misses(self, track_id: int) -> int:
        """Engagements of the track assessed missed so far."""
        return self._misses.get(track_id, 0)

    def failed_effectors(self, track_id: int) -> frozenset[str]:
        """Effector types that missed the track (excluded with ``exclude_failed_effector``)."""
        return frozenset(self._failed.get(track_id, {}))

    def unassessed(self) -> tuple[Engagement, ...]:
        """Committed engagements whose outcome has not been recorded."""
        return tuple(self._engagements.values())

    def _forget_gone_tracks(self, tracks: TrackTable) -> None:
        """Drop the shoot-look-shoot memory of deleted tracks (track ids are never reused)."""
        live = set(tracks.track_id.tolist())
        for memo in (self._failed, self._misses, self._killed):
            for tid in [k for k in memo if k not in live]:
                del memo[tid]

    def _assessed_killed(self, tracks: TrackTable) -> B:
        """``(N,)`` tracks assessed killed and not updated since (plus the look delay)."""
        out = np.zeros(len(tracks), np.bool_)
        if not self._killed:
            return out
        look = self.config.reengage_delay_s
        ids = np.fromiter(self._killed.keys(), np.int64, len(self._killed))
        t_kill = np.fromiter(self._killed.values(), np.float64, len(self._killed))
        order = np.argsort(ids)
        ids, t_kill = ids[order], t_kill[order]
        at = np.minimum(np.searchsorted(ids, tracks.track_id), ids.size - 1)
        hit = ids[at] == tracks.track_id
        seen_again = hit & (tracks.t_update > t_kill[at] + look)  # the kill was wrong
        for tid in tracks.track_id[seen_again].tolist():
            del self._killed[tid]
        out[:] = hit & ~seen_again
        return out

    def _failed_mask(self, tracks: TrackTable, rows: IntP) -> B:
        """``(n, U)`` pairs excluded because that effector type already missed the track."""
        out = np.zeros((rows.shape[0], len(self.units)), np.bool_)
        if not self.config.exclude_failed_effector or not self._failed:
            return out
        for i, r in enumerate(rows.tolist()):
            failed = self._failed.get(int(tracks.track_id[r]))
            if failed:
                out[i] = [e.id in failed for e in self.effectors]
        return out

    def _failed_why(self, track_id: int) -> dict[int, str]:
        """Why each excluded unit is not proposed (unit index -> words)."""
        failed = self._failed.get(track_id)
        if not failed or not self.config.exclude_failed_effector:
            return {}
        return {
            k: f"{e.name} missed this track at t={failed[e.id]:.0f}: shoot-look-shoot moves to "
            "the next option"
            for k, e in enumerate(self.effectors)
            if e.id in failed
        }

    # ------------------------------------------------------ joint assignment
    def _site_values(self, assessment: Assessment) -> F64:
        """``(S,)`` value of each assessed site, 0-100 (``default_site_value`` when not given)."""
        default = self.config.default_site_value
        return np.array(
            [self.site_values.get(sid, default) for sid in assessment.site_ids], np.float64
        )

    def threat_values(self, assessment: Assessment, rows: IntP) -> F64:
        """Value at stake per track, ``(n,)`` value points: threat score × top site value."""
        top = assessment.top_site[rows]
        per_site = self._site_values(assessment)
        value = np.where(top >= 0, per_site[np.maximum(top, 0)] if per_site.size else 0.0, 0.0)
        out: F64 = assessment.score[rows] * value
        return out

    def arrival_values(self, assessment: Assessment, rows: IntP) -> F64:
        """Value at stake on arrival, ``(n,)`` value points: for a track due in its top site's
        core, :func:`~dronewall.assess.threat.arrival_score` there × the site's value; else
        :meth:`threat_values`. Never below :meth:`threat_values`."""
        now = self.threat_values(assessment, rows)
        top = assessment.top_site[rows]
        per_site = self._site_values(assessment)
        if per_site.size == 0:
            return now
        j = np.maximum(top, 0)
        arrive = (
            arrival_score(
                assessment.p_uas[rows], assessment.identity[rows], per_site, self.threat_config
            )[np.arange(rows.shape[0]), j]
            * per_site[j]
        )
        due = (top >= 0) & np.isfinite(time_to_core_top(assessment, rows))
        out: F64 = np.where(due, np.maximum(now, arrive), now)
        return out

    def _solve(self, problem: WtaProblem) -> WtaSolution:
        """The configured solver; the greedy when it fails."""
        cfg = self.config
        self.counters["wta_solves"] += 1
        try:
            if cfg.wta_method == "greedy":
                return greedy_wta(problem)
            if cfg.wta_method == "milp" and int(problem.feasible.sum()) <= cfg.milp_max_pairs:
                return solve_wta(problem, "milp", time_limit_s=cfg.wta_time_limit_s)
            return solve_wta(problem, "vlsn", time_limit_s=cfg.wta_time_limit_s)
        except (DronewallError, ValueError, RuntimeError) as exc:  # HiGHS or a numerical failure
            self.counters["wta_fallbacks"] += 1
            log.warning("WTA solver %s failed (%s); greedy used", cfg.wta_method, exc)
            return greedy_wta(problem)

    def _assign(self, c: _Tick) -> list[Recommendation]:
        """Share the units among the tick's tracks by weapon-target assignment.

        Targets are the candidate tracks, weapons the units free now, one round each this tick.
        Before the solve, per (track, unit): a unit is not allowed when a cheaper unit (cost per
        expected kill) busy or out of reach now can still intercept before the deadline (wait
        for it), when it is expensive and the track a low-value class not yet imminent that a
        cheaper unit can still reach, or when it would intercept after the track reaches the
        core while a timely unit exists. At a track's last chance (``last_chance_surest``: no
        timely unit open now has a follow-up in its plan) every timely unit open now is allowed
        (no waiting), weighed at the cheapest one's cost so that the surest wins, and the track
        is valued on arrival (:meth:`arrival_values`). The solve
        minimises ``Σ V S + λ Σ c`` (module :mod:`dronewall.respond.wta`); a track given more
        than ``max_shots_per_track`` shots
        keeps its best and the problem is solved again without the others. After it, in threat
        order, a track is deferred when a cheaper unit proposed this tick to an earlier track
        can still take it in time afterwards.
        """
        cfg = self.config
        t, tracks, assessment, rows, f = c.t, c.tracks, c.assessment, c.rows, c.f
        n, u = rows.shape[0], len(self.units)
        tid = tracks.track_id[rows]
        open_now = c.feasible
        per_kill = c.per_kill
        cheaper = per_kill[:, None, :] < per_kill[:, :, None]  # [i, k, kk]: kk cheaper than k
        reach = np.isfinite(c.w.reach_s)
        later: B = np.isfinite(c.w.done_s) & ~open_now  # waitable: in time, not open now
        if cfg.queue_waits:  # a unit waited for by a more urgent track is booked for it
            wanted = np.any(cheaper & open_now[:, :, None], axis=1)  # (n, kk)
            later = self.queued_waits(c, later & wanted) | (later & ~wanted)
        waits: B = np.any(cheaper & later[:, None, :], axis=2)
        veto: B = (
            c.expensive[None, :]
            & (c.low_value & ~c.imminent)[:, None]
            & (cheaper & reach[:, None, :]).any(axis=2)
        )
        held: B = open_now & ~waits & ~veto
        timely = held & ~f.late
        allowed: B = held & (~f.late | ~timely.any(axis=1, keepdims=True))
        plan_pk, plan_cost = self.plan_values(c)
        last: B = np.zeros(n, np.bool_)
        last_price: F64 = np.zeros(n)  # (n,) EUR the last shot is weighed at
        if cfg.last_chance_surest:
            options = open_now & ~veto & ~f.late  # (n, U) timely now, not vetoed
            follow = options & (plan_pk > np.where(open_now, f.pk, 0.0) + 1e-12)
            last = np.any(options, axis=1) & ~np.any(follow, axis=1)
            allowed = np.where(last[:, None], options, allowed)
            last_price = np.min(np.where(options, self.cost_eur[None, :], np.inf), axis=1)
        values = self.threat_values(assessment, rows)
        if last.any():  # the last shot is weighed against what the track threatens on arrival
            values = np.where(last, self.arrival_values(assessment, rows), values)

        # Duplicates of a more threatening candidate, and tracks held back before the solve.
        keep = np.ones(n, np.bool_)
        active: B = np.any(open_now, axis=1) | np.any(np.isfinite(c.w.done_s), axis=1)
        for i in range(n):  # candidate tracks of a tick: a handful
            dup = np.flatnonzero(c.same_object[i, :i] & keep[:i] & active[:i])
            if dup.size:
                self._defer(
                    t,
                    int(tid[i]),
                    c.ttc_top[i],
                    f"likely a duplicate track of track {int(tid[dup[0]])}, decided this tick",
                )
                keep[i] = False
            elif open_now[i].any() and not allowed[i].any():
                self._defer_held(c, i, waits[i], veto[i], cheaper[i], reach[i])
        targets = np.flatnonzero(keep & allowed.any(axis=1))
        if targets.size == 0:
            self.last_assignment = None
            return []
        weapons = np.flatnonzero(allowed[targets].any(axis=0))
        ok = allowed[np.ix_(targets, weapons)].T  # (W, T)
        pk_wt = np.where(ok, plan_pk[np.ix_(targets, weapons)].T, 0.0)
        lam = cfg.cost_weight_per_eur
        cost_w = plan_cost[np.ix_(targets, weapons)].T
        if last.any():  # the last shot is priced at the cheapest timely unit's cost
            cost_w = np.where(last[targets][None, :], last_price[targets][None, :], cost_w)
        v_t = values[targets]
        problem = WtaProblem(values=v_t, pk=pk_wt, cost=cost_w, weight=lam, allowed=ok)
        sol = self._solve(problem)
        banned = np.zeros_like(ok)
        # Enforce the shots-per-track cap. Each pass bans at least one more allowed pair, so at
        # most ok.sum() passes; a re-solve may put other units on a capped track, so the loop
        # runs until no track is over the cap, not once per track.
        for _ in range(int(ok.sum()) + 1):
            over = np.flatnonzero(sol.counts.sum(axis=0) > cfg.max_shots_per_track)
            if over.size == 0:
                break
            for j in over:
                fired = np.flatnonzero(sol.counts[:, j] > 0)
                gain = v_t[j] * pk_wt[fired, j] - lam * cost_w[fired, j]
                banned[fired[np.argsort(-gain)[cfg.max_shots_per_track :]], j] = True
            problem = WtaProblem(
                values=v_t, pk=pk_wt, cost=cost_w, weight=lam, allowed=ok & ~banned
            )
            sol = self._solve(problem)
        self.last_assignment = sol
        method = sol.solver
        a = self._prefer_urgent(problem, sol.assignment, targets, weapons, per_kill)
        assigned_to = np.full(u, -1, np.intp)  # unit -> candidate row i
        assigned_to[weapons] = np.where(a >= 0, targets[np.maximum(a, 0)], -1)

        # Tracks the assignment left alone although they had allowed units.
        for jj, row_i in enumerate(targets.tolist()):
            if not (a == jj).any():
                self._defer_unassigned(c, row_i, allowed[row_i], assigned_to, values)

        recs: list[Recommendation] = []
        used: dict[int, float] = {}
        deferred_now: set[int] = set()
        order_pairs = sorted(
            ((int(i), int(k)) for k, i in enumerate(assigned_to) if i >= 0),
            key=lambda p: (p[0], -values[p[0]] * f.pk[p[0], p[1]] + lam * self.cost_eur[p[1]]),
        )
        for i, k in order_pairs:
            if i in deferred_now:
                continue
            wait_k = [
                kk
                for kk, t_kk in used.items()
                if cheaper[i, k, kk]
                and c.feasible[i, kk]
                and t_kk + float(f.t_go[i, kk]) <= c.deadline[i]
            ]
            if wait_k and not last[i]:
                kk = min(wait_k, key=lambda q: used[q] + float(f.t_go[i, q]))
                due = used[kk] + float(f.t_go[i, kk])
                self._defer(
                    t,
                    int(tid[i]),
                    c.ttc_top[i],
                    f"{self.unit_ids[kk]} ({self.effectors[kk].name}, {per_kill[i, kk]:,.0f} "
                    f"EUR per expected kill) can intercept in {due:.0f} s after its proposal "
                    f"this tick, before the track is due in the core; "
                    f"{self.effectors[k].name} not proposed",
                    declined=self.effectors[k].id,
                    waiting_for=self.unit_ids[kk],
                    ready_in=due,
                )
                deferred_now.add(i)
                continue
            used[k] = float(f.t_go[i, k])
            why = self._assignment_why(c, i, k, allowed, waits, veto, assigned_to, values, last)
            cheaper_too_late = bool(cheaper[i, k].any() and (cheaper[i, k] & reach[i]).any())
            v = float(values[i])
            p = float(f.pk[i, k])
            note = (
                f"assignment ({method}, {targets.size} track(s), {weapons.size} unit(s), "
                f"cost weight {lam:g} per EUR): saves {v * p:.1f} of {v:.1f} value points "
                f"for {lam * self.cost_eur[k]:.2f} points of cost"
            )
            if cheaper_too_late and not later[i].any():
                note += "; cheaper units cannot engage before the track is due in the core"
            if last[i]:
                note += (
                    "; last chance: no unit in time now would leave time for a follow-up after "
                    "a miss, so the surest timely unit is proposed, weighed at the cheapest "
                    f"timely unit's cost ({float(last_price[i]):,.0f} EUR)"
                )
            recs.append(
                self._make(
                    t,
                    tracks,
                    assessment,
                    int(rows[i]),
                    i,
                    k,
                    np.lexsort(
                        (f.t_go[i], -f.pk[i], self.layer, per_kill[i], f.late[i], ~c.feasible[i])
                    ),
                    f,
                    per_kill,
                    c.feasible,
                    set(),
                    cheaper_too_late,
                    why=why,
                    note=note,
                    value=v,
                    method=method,
                )
            )
        recs.sort(key=lambda rec: int(np.flatnonzero(tid == rec.track_id)[0]))
        return recs

    def queued_waits(self, c: _Tick, later: B) -> B:
        """Which waits for a unit still hold once more urgent tracks have booked it, ``(n, U)``.

        :meth:`wait_options` judges each (track, unit) wait alone: when three munitions all
        wait for the one interceptor-drone post, each is told it can be served in time, and the
        later ones reach their last chance with no cheap shot left (traced on
        ``eastern-flank-raid``). Here the tracks book, in order of their deadline (earliest
        first), the cheapest unit per expected kill they may wait for: a booking holds one of
        the unit's ``channels`` until its predicted effect ``done_s`` and takes one of its
        rounds. A later track's wait for that unit is delayed until a channel is free again
        (and, once its free rounds are booked, by a reload after the last booked effect); it
        holds only when the delayed intercept ``done_s + delay`` still beats the track's
        deadline. A greedy reservation over a handful of tracks, not an optimal schedule; the
        delay is conservative (an inbound target comes closer meanwhile, so the unit's time to
        go shrinks).

        Parameters
        ----------
        later : (n, U) bool
            The waits to judge: in time alone, not open now, cheaper than a unit open now.

        Returns
        -------
        (n, U) bool
            ``later`` without the waits the bookings of more urgent tracks make late.
        """
        ok: B = later.copy()
        if not later.any():
            return ok
        done, start = c.w.done_s, c.w.start_s
        free = self.rounds_left - self.reserved()
        rounds = np.where(free >= 1.0, np.floor(free), self.magazine)  # when its wait ends
        ends: list[list[float]] = [[] for _ in range(len(self.units))]  # booked effects, s
        width = int(self.channels.max(initial=1))
        waiting = np.flatnonzero(later.any(axis=1))  # only the tracks that may wait book
        for i in waiting[np.argsort(c.deadline[waiting], kind="stable")].tolist():  # in turn
            cand = np.flatnonzero(later[i])
            booked = _padded([ends[kk] for kk in cand.tolist()], width)  # (m, H), as holds
            at = _channel_free_at(booked, self.channels[cand])  # a channel free again
            dry = np.array([len(ends[kk]) for kk in cand.tolist()]) >= rounds[cand]
            # its rounds are booked: a reload after the last booked effect
            at = np.where(dry, np.maximum(at, booked[:, -1] + self.reload_s[cand]), at)
            delay = np.maximum(0.0, at - start[i, cand])
            timely = done[i, cand] + delay <= c.deadline[i]
            ok[i, cand] = timely
            if timely.any():
                j = int(np.argmin(np.where(timely, c.per_kill[i, cand], np.inf)))
                ends[int(cand[j])].append(float(done[i, cand[j]] + delay[j]))
        return ok

    def plan_values(self, c: _Tick) -> tuple[F64, F64]:
        """Kill probability and expected cost of each (track, unit) shoot-look-shoot plan.

        Plan ``k``: fire unit ``k`` now; if it misses, look for ``reengage_delay_s`` and fire the
        follow-up unit ``b`` (the cheapest per expected kill with ``Pk ≥ min_pk`` that can
        intercept before the track reaches the core: the same unit again if it has a second
        round, another unit when it is free by then). With ``exclude_failed_effector`` a miss
        of ``k`` bars its effector type from the track, so ``b`` is never of that type: a plan
        does not count on a follow-up the advice will refuse::

            P = p_k + (1 − p_k) p_b,     C = c_k + (1 − p_k) c_b        (P = p_k, C = c_k: no b)

        The follow-up is judged where and when it would be fired: proposed at
        ``s_k = t_go,k + reengage_delay_s`` (the first shot's effect and the look, from now) or
        when ``b`` is ready if later, plus each of ``wait_steps_s`` (a target that enters
        ``b``'s envelope later), approved ``approval_s`` after that, against the target moved on
        at constant velocity meanwhile: every check of :meth:`feasibility` (range, including
        the minimum range a target inside it has flown into, altitude, no-fire zones) at that
        time, and its intercept due before the track reaches the core. One batched evaluation
        per wait step over the ``(n·U)`` (track, first unit) pairs and the ``U`` units, each
        pair with its own delay. With ``plan_follow_up`` False, or when no follow-up is in time,
        the plan is the single shot.

        Returns
        -------
        pk, cost : (n, U) float64
            Plan kill probability and expected cost, EUR.
        """
        cfg = self.config
        f = c.f
        pk = np.where(c.feasible, f.pk, 0.0)
        cost = np.broadcast_to(self.cost_eur[None, :], pk.shape).astype(np.float64)
        if not cfg.plan_follow_up or pk.size == 0:
            return pk, cost
        n, u = pk.shape
        first = np.isfinite(f.t_go) & c.feasible  # (n, k)
        start = np.where(first, f.t_go + cfg.reengage_delay_s, 0.0)  # (n, k) look ends, s
        ready = self.ready_in(c.t)  # (b,)
        same = np.eye(u, dtype=np.bool_)[None, :, :]  # (1, k, b)
        # b = k is the same unit's next round: it holds its channel until the first effect
        base = np.where(same, start[:, :, None], np.maximum(start[:, :, None], ready))
        rows_kb = np.repeat(c.rows, u)  # (n·U,): row i repeated for each first unit k
        due = np.full((n, u, u), np.inf)  # (n, k, b) the follow-up's effect, s from now
        for step in cfg.wait_steps_s:
            delay = base + step
            todo = (
                ~np.isfinite(due)
                & first[:, :, None]
                & (delay - start[:, :, None] <= cfg.max_wait_s)
            )
            if not todo.any():
                break
            delay = np.where(todo, delay, 0.0)  # pairs already decided: any finite delay
            fb = self.feasibility(c.t, c.tracks, c.assessment, rows_kb, delay.reshape(n * u, u))
            t_b = fb.t_go.reshape(n, u, u)
            ok = todo & fb.feasible.reshape(n, u, u) & (t_b <= c.ttc_top[:, None, None])
            due = np.where(ok, t_b, due)
        free = self.rounds_left - self.reserved()
        enough = np.where(same, (free >= 2.0)[None, None, :], True)
        can = (
            np.isfinite(due) & enough & ~self._failed_mask(c.tracks, c.rows)[:, None, :]
        )  # (n, k, b)
        if cfg.exclude_failed_effector:  # if k misses, its type is barred
            can &= ~self._same_type[None, :, :]
        per_kill = np.where(can, c.per_kill[:, None, :], np.inf)
        b = np.argmin(per_kill, axis=2)  # (n, k)
        has = np.isfinite(np.take_along_axis(per_kill, b[..., None], axis=2)[..., 0])
        p_b = np.where(has, f.pk[np.arange(n)[:, None], b], 0.0)
        c_b = np.where(has, self.cost_eur[b], 0.0)
        plan_pk: F64 = np.where(c.feasible, pk + (1.0 - pk) * p_b, 0.0)
        plan_cost: F64 = cost + (1.0 - pk) * c_b
        return plan_pk, plan_cost

    @staticmethod
    def _prefer_urgent(
        problem: WtaProblem, assignment: I64, targets: IntP, weapons: IntP, per_kill: F64
    ) -> I64:
        """Break the assignment's ties in favour of the more threatening track.

        Two units whose swap leaves the objective unchanged (within 1e-9 relative) are swapped
        so that the earlier (more threatening) track holds the unit cheaper per expected kill
        for it: the later one can then wait for that unit (see :meth:`_assign`).
        """
        a = assignment.copy()
        base = problem.objective(problem.counts(a))
        tol = 1e-9 * max(1.0, abs(base))
        for _ in range(a.shape[0]):  # each swap moves a cheaper unit to an earlier track
            swapped = False
            for x in range(a.shape[0]):
                for y in range(a.shape[0]):
                    jx, jy = int(a[x]), int(a[y])
                    if jx < 0 or jy < 0 or jx <= jy:
                        continue  # x serves a later track than y
                    i_y = int(targets[jy])
                    if not per_kill[i_y, weapons[x]] < per_kill[i_y, weapons[y]]:
                        continue
                    if not (problem.feasible[x, jy] and problem.feasible[y, jx]):
                        continue
                    b = a.copy()
                    b[x], b[y] = jy, jx
                    if problem.objective(problem.counts(b)) <= base + tol:
                        a = b
                        swapped = True
            if not swapped:
                break
        return a

    def _net_gain(self, value: float, pk: float, k: int) -> float:
        return value * pk - self.config.cost_weight_per_eur * float(self.cost_eur[k])

    def _assignment_why(
        self,
        c: _Tick,
        i: int,
        k: int,
        allowed: B,
        waits: B,
        veto: B,
        assigned_to: IntP,
        values: F64,
        last: B,
    ) -> dict[int, str]:
        """Why each other unit was not chosen for candidate ``i`` (unit index -> words)."""
        f = c.f
        lam = self.config.cost_weight_per_eur
        tid = int(c.tracks.track_id[c.rows[i]])
        out = self._failed_why(tid)
        v = float(values[i])
        g_k = self._net_gain(v, float(f.pk[i, k]), k)
        for kk in range(len(self.units)):
            if kk == k or kk in out or not c.feasible[i, kk]:
                continue
            other = int(assigned_to[kk])
            p_kk = float(f.pk[i, kk])
            costlier = (
                f"costlier per expected kill ({c.per_kill[i, kk]:,.0f} EUR vs "
                f"{c.per_kill[i, k]:,.0f} EUR); "
                if c.per_kill[i, kk] > c.per_kill[i, k]
                else ""
            )
            if other >= 0 and other != i:
                out[kk] = (
                    f"assigned to track {int(c.tracks.track_id[c.rows[other]])} "
                    f"(value {float(values[other]):.1f} points, Pk {float(f.pk[other, kk]):.2f})"
                )
            elif last[i] and allowed[i, kk] and other < 0:
                out[kk] = (
                    f"last chance before the core: Pk {p_kk:.2f} against "
                    f"{float(f.pk[i, k]):.2f}; between units in time, cost is not weighed then"
                )
            elif waits[i, kk]:
                out[kk] = costlier + "held back: a cheaper unit can still intercept in time"
            elif veto[i, kk]:
                out[kk] = costlier + (
                    "expensive against a low-value class not yet imminent; a cheaper unit "
                    "can still reach it"
                )
            elif not allowed[i, kk] and bool(f.late[i, kk]):
                out[kk] = "intercept after the track would reach the core"
            elif other == i:
                out[kk] = "also assigned to this track (salvo)"
            else:
                dp = p_kk - float(f.pk[i, k])
                dc = float(self.cost_eur[kk] - self.cost_eur[k])
                if dp > 0 and dc > 0:
                    out[kk] = costlier + (
                        f"cost: Pk {p_kk:.2f} would save {v * dp:.1f} more value points, but its "
                        f"{dc:,.0f} EUR extra cost weighs {lam * dc:.1f} points"
                    )
                else:
                    out[kk] = costlier + (
                        f"lower net value: Pk {p_kk:.2f}, {float(self.cost_eur[kk]):,.0f} EUR, "
                        f"net {self._net_gain(v, p_kk, kk):.1f} vs {g_k:.1f} points"
                    )
        return out

    def _defer_held(self, c: _Tick, i: int, waits: B, veto: B, cheaper: B, reach: B) -> None:
        """Explain a track whose every open unit was held back before the assignment."""
        f = c.f
        tid = int(c.tracks.track_id[c.rows[i]])
        order = np.lexsort(
            (f.t_go[i], -f.pk[i], self.layer, c.per_kill[i], f.late[i], ~c.feasible[i])
        )
        best = next(int(k) for k in order if c.feasible[i, k])
        done = c.w.done_s[i]
        if waits[best]:
            wait = cheaper[best] & np.isfinite(done) & ~c.feasible[i]
            kk = int(np.argmin(np.where(wait, done, np.inf)))
            ttc = c.ttc_top[i]
            self._defer(
                c.t,
                tid,
                ttc,
                f"{self.unit_ids[kk]} ({self.effectors[kk].name}, "
                f"{c.per_kill[i, kk]:,.0f} EUR per expected kill) can intercept in "
                f"{done[kk]:.0f} s, before the track is due in the core"
                + (f" ({ttc:.0f} s)" if np.isfinite(ttc) else "")
                + f"; {self.effectors[best].name} ({c.per_kill[i, best]:,.0f} EUR per "
                "expected kill) not proposed",
                declined=self.effectors[best].id,
                waiting_for=self.unit_ids[kk],
                ready_in=float(done[kk]),
            )
            return
        alt = int(np.argmin(np.where(cheaper[best] & reach, c.per_kill[i], np.inf)))
        oc = ObjectClass(int(c.assessment.object_class[c.rows[i]]))
        self._defer(
            c.t,
            tid,
            c.ttc_top[i],
            f"{self.effectors[best].name} ({self.cost_eur[best]:,.0f} EUR) against a "
            f"low-value {oc.label} only when imminent (due in the core within "
            f"{self.config.imminent_s:.0f} s) or out of every cheaper unit's reach; "
            f"{self.unit_ids[alt]} can still reach it",
            declined=self.effectors[best].id,
            waiting_for=self.unit_ids[alt],
            ready_in=float(c.w.reach_s[i, alt]),
        )

    def _defer_unassigned(
        self, c: _Tick, i: int, allowed: B, assigned_to: IntP, values: F64
    ) -> None:
        """Explain a track the assignment left without a unit."""
        tid = int(c.tracks.track_id[c.rows[i]])
        units = np.flatnonzero(allowed)
        v = float(values[i])
        gains = [self._net_gain(v, float(c.f.pk[i, k]), int(k)) for k in units]
        best = int(units[int(np.argmax(gains))])
        if max(gains) <= 0.0:
            why = (
                f"no unit's expected saving pays its cost: {self.unit_ids[best]} would save "
                f"{v * float(c.f.pk[i, best]):.1f} of {v:.1f} value points for "
                f"{self.config.cost_weight_per_eur * self.cost_eur[best]:.1f} points of cost"
            )
        else:
            taken = [
                f"{self.unit_ids[k]} to track {int(c.tracks.track_id[c.rows[assigned_to[k]]])}"
                for k in units
                if assigned_to[k] >= 0
            ]
            why = (
                "its units serve more valuable tracks this tick: " + ", ".join(taken)
                if taken
                else f"at most {self.config.max_shots_per_track} shot(s) per track per tick"
            )
        self._defer(c.t, tid, c.ttc_top[i], why, declined=self.effectors[best].id)

    # ---------------------------------------------------- most capable first
    def capability_order(self, f: Feasibility, feasible: B, i: int) -> IntP:
        """Units ranked for candidate ``i`` by the most-capable-first doctrine, ``(U,)``.

        Feasible units first, then those that intercept before the track reaches the core, then
        the highest expected Pk, then the longest reach (``max_range_m``), then the higher layer,
        then the shortest time to intercept. Cost plays no part. Pk is compared to 1e-9 so that
        effectors with the same Pk table tie exactly.
        """
        pk = np.round(f.pk[i], 9)
        out: IntP = np.lexsort(
            (f.t_go[i], -self.layer, -self.max_range_m, -pk, f.late[i], ~feasible[i])
        )
        return out

    def _most_capable_first(self, c: _Tick) -> list[Recommendation]:
        """The most-capable-first doctrine: per track, most threatening first, the most capable
        unit that can engage it now, whatever its cost.

        The baseline of the cost-exchange benchmark (issue 5), what the issue criticises: the
        candidates, their feasibility (envelope, time to intercept, stock, unit ready, ROE,
        no-fire zones, RF cue for jammers, Pk floor), the shoot-look-shoot memory and the
        duplicate-track rules are those of the cost-aware advice (computed once in
        :meth:`recommend`, and :meth:`_final_check` with :func:`enforce_hard_rule` is the same
        exit). What differs is only the choice: :meth:`capability_order` instead of the
        assignment; no unit is held back for a cheaper one, no expensive effector is vetoed
        against a low-value class. Each unit takes at most one proposal per tick, each track one.
        """
        t, tracks, assessment, rows, f = c.t, c.tracks, c.assessment, c.rows, c.f
        n = rows.shape[0]
        tid = tracks.track_id[rows]
        values = self.threat_values(assessment, rows)
        decided = np.zeros(n, np.bool_)
        used: set[int] = set()
        recs: list[Recommendation] = []
        for i in range(n):  # candidate tracks of a tick, most threatening first: a handful
            dup = np.flatnonzero(c.same_object[i] & decided)
            if dup.size:  # the most threatening track of the object speaks for it
                self._defer(
                    t,
                    int(tid[i]),
                    c.ttc_top[i],
                    f"likely a duplicate track of track {int(tid[dup[0]])}, decided this tick",
                )
                continue
            if not c.feasible[i].any():
                continue
            order = self.capability_order(f, c.feasible, i)
            best = next((int(k) for k in order if c.feasible[i, k] and k not in used), None)
            decided[i] = True
            if best is None:
                taken = ", ".join(self.unit_ids[k] for k in order if c.feasible[i, k])
                self._defer(
                    t,
                    int(tid[i]),
                    c.ttc_top[i],
                    f"every unit that can engage it ({taken}) is proposed against a more "
                    "threatening track this tick",
                )
                continue
            used.add(best)
            recs.append(
                self._make(
                    t,
                    tracks,
                    assessment,
                    int(rows[i]),
                    i,
                    best,
                    order,
                    f,
                    c.per_kill,
                    c.feasible,
                    used,
                    why=self._capability_why(c, i, best, used),
                    note=self._capability_note(c, i, best),
                    value=float(values[i]),
                    method="most-capable-first",
                )
            )
        return recs

    def _capability_why(self, c: _Tick, i: int, k: int, used: set[int]) -> dict[int, str]:
        """Why each other feasible unit was not chosen under most-capable-first."""
        f = c.f
        out = self._failed_why(int(c.tracks.track_id[c.rows[i]]))
        p_k = float(f.pk[i, k])
        for kk in range(len(self.units)):
            if kk == k or kk in out or not c.feasible[i, kk]:
                continue
            p_kk = float(f.pk[i, kk])
            if kk in used:
                out[kk] = "unit already proposed against another track this tick"
            elif bool(f.late[i, kk]) and not bool(f.late[i, k]):
                out[kk] = "intercept after the track would reach the core"
            elif round(p_kk, 9) < round(p_k, 9):
                out[kk] = f"less capable: Pk {p_kk:.2f} against {p_k:.2f}"
            else:
                out[kk] = (
                    f"as capable (Pk {p_kk:.2f}) but shorter reach "
                    f"({format_distance(float(self.max_range_m[kk]))}) or a lower layer"
                )
        return out

    def _capability_note(self, c: _Tick, i: int, k: int) -> str:
        """The closing clause of a most-capable-first reason: the doctrine and its price."""
        note = "most capable effector in reach (doctrine most-capable-first; cost not weighed)"
        cheaper = c.feasible[i] & (c.per_kill[i] < c.per_kill[i, k])
        if cheaper.any():
            kk = int(np.argmin(np.where(cheaper, c.per_kill[i], np.inf)))
            note += (
                f"; {self.unit_ids[kk]} ({self.effectors[kk].name}) could engage at "
                f"{c.per_kill[i, kk]:,.0f} EUR per expected kill"
            )
        return note
