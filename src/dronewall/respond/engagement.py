"""Engagement advice: which fire unit and effector to propose against which threat, and why.

Decision support only: every :class:`Recommendation` is a proposal that a person approves or
rejects (see :mod:`dronewall.respond.decision`). Nothing is ever proposed against civil,
cooperative or friendly traffic: :func:`enforce_hard_rule` is applied last to every output.

Data layout
-----------
Fire-unit state is a struct of arrays over ``U`` units: ``pos_enu (U, 3)`` m, ``rounds_left (U,)``
float64 (``inf`` for an unlimited magazine), ``busy_until (U,)`` and ``reload_until (U,)`` UTC epoch
s; effector properties per unit (envelope, speed, reaction, cost, ``pk (U, C)``) likewise.
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
caught; nor can it beyond ``max_time_to_intercept_s``. Expected
kill probability ``Pk = Σ_c p(c | track) · pk(effector, c)`` (zero for a jammer without an RF cue
on the track). Options are ranked by *(late, cost / Pk, layer, −Pk)*: an intercept due after the
track reaches the core comes last, then the cheapest cost per expected kill with ``Pk ≥ min_pk``,
the cheaper layer on a tie.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.assessor import Assessment
from dronewall.assess.classify import UAS_MASK
from dronewall.assess.geometry import approx_height_m
from dronewall.assess.threat import format_distance, is_protected
from dronewall.core.errors import ConfigError, DronewallError, InputError
from dronewall.core.taxonomy import Identity, Layer, ObjectClass
from dronewall.core.tracks import TrackTable
from dronewall.geo.frames import LocalFrame
from dronewall.world.catalogue import EffectorType
from dronewall.world.deployment import FireUnitSpec, RulesOfEngagement

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
IntP = NDArray[np.intp]
B = NDArray[np.bool_]

log = logging.getLogger(__name__)

#: Identity codes that may ever be engaged.
ENGAGEABLE_IDENTITIES: frozenset[Identity] = frozenset({Identity.SUSPECT, Identity.HOSTILE})

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
        Least threat score (at the most-threatened site) for a track to be considered.
    min_pk : float
        Floor on expected Pk: cheaper options below it are not "effective".
    max_time_to_intercept_s : float
        Options further than this in time are dropped, s.
    max_alternatives : int
        Alternatives listed in a recommendation.
    proposal_ttl_s : float
        How long an unanswered proposal blocks new ones for its track, s (match the operator's).
    reengage_delay_s : float
        Time after the effect before the same track may be proposed again (kill assessment), s.
    jammer_requires_rf_cue : bool
        A jammer is proposed only for a track with an RF cue. When False, its Pk is weighted by
        the probability of the RF-emitting classes instead.
    """

    min_threat_score: float = 0.3
    min_pk: float = 0.3
    max_time_to_intercept_s: float = 1200.0
    max_alternatives: int = 6
    proposal_ttl_s: float = 60.0
    reengage_delay_s: float = 5.0
    jammer_requires_rf_cue: bool = True

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_threat_score <= 1.0:
            raise ConfigError("must lie in [0, 1]", field="min_threat_score")
        if not 0.0 < self.min_pk <= 1.0:
            raise ConfigError("must lie in (0, 1]", field="min_pk")
        if self.max_alternatives < 0:
            raise ConfigError("must be >= 0", field="max_alternatives")
        for name in ("max_time_to_intercept_s", "proposal_ttl_s"):
            if not getattr(self, name) > 0:
                raise ConfigError("must be positive", field=name)
        if self.reengage_delay_s < 0:
            raise ConfigError("must be >= 0", field="reengage_delay_s")


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
        Reaction plus fly-out, from ``t``, s.
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
    """

    def __init__(
        self,
        fire_units: Sequence[FireUnitSpec],
        frame: LocalFrame,
        roe: RulesOfEngagement,
        config: EngagementConfig | None = None,
    ) -> None:
        self.config = EngagementConfig() if config is None else config
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
        self.cost_eur: F64 = np.array([x.cost_per_engagement_eur for x in e], np.float64)
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
        self._proposals: dict[str, Recommendation] = {}
        self._engaged_until: dict[int, float] = {}
        self._n_recs = 0
        self._n_engagements = 0

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
    def intercept(self, pos: F64, vel: F64) -> tuple[F64, F64, B]:
        """Predicted intercept of every track by every unit.

        The fixed point of ``t = τ + ‖p + v t − q‖ / w`` solved exactly: the smallest ``t ≥ τ``
        with ``‖d + v t‖² = w² (t − τ)²``, ``d = p − q``, i.e. the root of
        ``(v·v − w²) t² + 2 (d·v + w² τ) t + (d·d − w² τ²) = 0``; ``t = τ`` for ``w = inf``.

        Parameters
        ----------
        pos, vel : (N, 3) float64
            Track positions (m) and velocities (m/s), ENU.

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
        point = pos[:, None, :] + v * t_pt[..., None]
        return t_go, point, converged

    def feasibility(
        self, t: float, tracks: TrackTable, assessment: Assessment, rows: IntP
    ) -> Feasibility:
        """Batched feasibility of the tracks ``rows`` (indices into ``tracks``) and every unit."""
        cfg, roe = self.config, self.roe
        x = tracks.x[rows]
        t_go, point, catch = self.intercept(x[:, :3], x[:, 3:6])
        t_go = np.where(catch, t_go, np.inf)
        n, u = t_go.shape
        rel = point - self.pos_enu[None, :, :]
        slant = np.linalg.norm(rel, axis=-1)
        h = approx_height_m(point.reshape(-1, 3), self.frame.h_m).reshape(n, u)
        h_rel = h - self.unit_h_m[None, :]
        range_ok = (slant >= self.min_range_m) & (slant <= self.max_range_m)
        alt_ok = (h_rel >= self.min_alt_m) & (h_rel <= self.max_alt_m)
        free = self.rounds_left - self.reserved()
        stock = np.broadcast_to(free[None, :] >= 1.0, (n, u))
        ready = np.broadcast_to(
            ((self.busy_until <= t) & (self.reload_until <= t))[None, :], (n, u)
        )
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
        ttc = assessment.time_to_core_s[rows]
        top = assessment.top_site[rows]
        ttc_top = (
            np.where(top >= 0, ttc[np.arange(n), np.maximum(top, 0)], np.inf)
            if ttc.shape[1]
            else np.full(n, np.inf)
        )
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
            return "unit busy or reloading"
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
        rows = np.flatnonzero(eligible)
        if rows.size == 0 or not self.units:
            return []
        rows = rows[np.lexsort((tracks.track_id[rows], -assessment.score[rows]))]
        f = self.feasibility(t, tracks, assessment, rows)
        feasible = f.feasible
        pk = f.pk
        with np.errstate(divide="ignore"):
            per_kill = np.where(pk > 0, self.cost_eur[None, :] / np.where(pk > 0, pk, 1.0), np.inf)
        used: set[int] = set()
        recs: list[Recommendation] = []
        for i, r in enumerate(rows):  # engageable tracks only: a handful per tick
            order = np.lexsort(
                (f.t_go[i], -pk[i], self.layer, per_kill[i], f.late[i], ~feasible[i])
            )
            choice = next((int(k) for k in order if feasible[i, k] and int(k) not in used), None)
            if choice is None:
                continue
            used.add(choice)
            recs.append(
                self._make(
                    t, tracks, assessment, int(r), i, choice, order, f, per_kill, feasible, used
                )
            )
        return self._final_check(t, recs, tracks, assessment)

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
    ) -> Recommendation:
        e = self.effectors[k]
        pk = float(f.pk[i, k])
        t_go = float(f.t_go[i, k])
        oc = ObjectClass(int(assessment.object_class[r]))
        p_oc = float(assessment.class_probs[r, int(oc)])
        top = int(assessment.top_site[r])
        site_id = assessment.site_ids[top] if top >= 0 else ""
        alts = []
        for kk in order:
            kk = int(kk)
            if kk == k:
                continue
            if feasible[i, kk]:
                if kk in used:
                    why = "unit already proposed against another track this tick"
                elif bool(f.late[i, kk]) and not bool(f.late[i, k]):
                    why = "intercept after the track would reach the core"
                else:
                    why = (
                        f"costlier per expected kill ({per_kill[i, kk]:,.0f} EUR vs "
                        f"{per_kill[i, k]:,.0f} EUR)"
                    )
            else:
                why = self._why_not(f, i, kk)
            ee = self.effectors[kk]
            alts.append(
                Alternative(
                    fire_unit_id=self.unit_ids[kk],
                    effector_id=ee.id,
                    layer=ee.layer,
                    pk=float(f.pk[i, kk]),
                    cost_eur=float(self.cost_eur[kk]),
                    time_to_intercept_s=float(f.t_go[i, kk]),
                    why_not=why,
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
            f"({per_kill[i, k]:,.0f} EUR per expected kill), intercept in {t_go:.0f} s at "
            f"{format_distance(float(f.slant[i, k]))}{late}; cheapest effective option"
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
            time_to_intercept_s=t_go,
            intercept_enu=(float(pt[0]), float(pt[1]), float(pt[2])),
            identity=Identity(int(assessment.identity[r])),
            object_class=oc,
            threat_score=float(assessment.score[r]),
            reason=reason,
            alternatives=tuple(alts),
        )

    def _final_check(
        self, t: float, recs: list[Recommendation], tracks: TrackTable, assessment: Assessment
    ) -> list[Recommendation]:
        """The one exit of :meth:`recommend`: hard rule, then stock and envelope re-checks."""
        out = []
        free = self.rounds_left - self.reserved()
        for rec in enforce_hard_rule(recs, tracks, assessment):
            k = self.unit_ids.index(rec.fire_unit_id)
            pt = np.array(rec.intercept_enu)
            slant = float(np.linalg.norm(pt - self.pos_enu[k]))
            h = float(approx_height_m(pt[None, :], self.frame.h_m)[0] - self.unit_h_m[k])
            ok = (
                free[k] >= 1.0
                and self.busy_until[k] <= t
                and self.reload_until[k] <= t
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
            out.append(rec)
        return out

    # --------------------------------------------------------------- commit
    def commit(self, rec: Recommendation, t: float) -> Engagement:
        """Commit an approved proposal: spend a round, occupy the unit until the effect.

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
                "fire unit not ready", field="fire_unit_id", actual=rec.fire_unit_id
            )
        del self._proposals[rec.id]
        t_effect = t + rec.time_to_intercept_s
        self.rounds_left[k] -= 1.0
        self.busy_until[k] = t_effect
        if self.rounds_left[k] < 1.0:
            self.reload_until[k] = t_effect + self.reload_s[k]
        self._engaged_until[rec.track_id] = t_effect + self.config.reengage_delay_s
        self._n_engagements += 1
        return Engagement(
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
