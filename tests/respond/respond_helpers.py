"""Builders shared by the respond tests: fire units at Kleine-Brogel, hand-made assessments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.assessor import Assessment
from dronewall.assess.geometry import site_geometry
from dronewall.core.taxonomy import Identity, ObjectClass
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.geo.frames import LocalFrame
from dronewall.respond import engagement as engagement_mod
from dronewall.respond.engagement import EngagementAdvisor, Feasibility
from dronewall.world import FireUnitSpec, load_world

LAT, LON = 51.1683, 5.47
FRAME = LocalFrame(LAT, LON, 0.0)
EFFECTORS = load_world().effectors
C = len(ObjectClass)


def unit(
    uid: str,
    effector: str,
    *,
    de_m: float = 0.0,
    dn_m: float = 0.0,
    magazine: int | None = None,
    channels: int | None = None,
) -> FireUnitSpec:
    """A fire unit ``de_m`` east, ``dn_m`` north of the site; ``channels`` overrides its type."""
    lat = LAT + dn_m / 111_200.0
    lon = LON + de_m / (111_200.0 * np.cos(np.radians(LAT)))
    eff = EFFECTORS[effector]
    if channels is not None:
        eff = replace(eff, channels=channels)
    return FireUnitSpec(id=uid, effector=eff, lat_deg=lat, lon_deg=lon, magazine=magazine)


def one_hot(cls: ObjectClass, p: float = 0.95) -> np.ndarray:
    v = np.full(C, (1.0 - p) / (C - 1))
    v[int(cls)] = p
    return v


def make_case(
    x: Sequence[Sequence[float]],
    *,
    t: float = 0.0,
    identity: Sequence[int] | None = None,
    probs: Sequence[np.ndarray] | np.ndarray | None = None,
    ident: Sequence[int] | None = None,
    rf: Sequence[int] | None = None,
    score: Sequence[float] | None = None,
    confirmed: Sequence[bool] | None = None,
    track_id: Sequence[int] | None = None,
) -> tuple[TrackTable, Assessment]:
    """A track table and a matching assessment against one site at the frame origin."""
    xa = np.asarray(x, float).reshape(-1, 6)
    n = xa.shape[0]
    status = np.full(n, int(TrackStatus.CONFIRMED), np.int8)
    if confirmed is not None:
        status[~np.asarray(confirmed, bool)] = int(TrackStatus.TENTATIVE)
    tid = np.arange(n, dtype=np.int64) if track_id is None else np.asarray(track_id, np.int64)
    tracks = TrackTable(
        t=t,
        track_id=tid,
        status=status,
        x=xa,
        P=np.tile(np.eye(6), (n, 1, 1)),
        t_first=np.zeros(n),
        t_update=np.full(n, t),
        hits=np.full(n, 10, np.int32),
        misses=np.zeros(n, np.int32),
        ident=np.full(n, -1, np.int64) if ident is None else np.asarray(ident, np.int64),
        rcs_dbsm=np.full(n, -20.0),
        sensors=np.zeros(n, np.int64),
        truth=np.full(n, -1, np.int32),
    )
    pr = (
        np.tile(one_hot(ObjectClass.QUADCOPTER), (n, 1))
        if probs is None
        else np.asarray(probs, float).reshape(n, C)
    )
    g = site_geometry(
        xa[:, :3], xa[:, 3:6], np.zeros((1, 3)), np.array([5000.0]), np.array([1500.0])
    )
    sc = np.full(n, 0.8) if score is None else np.asarray(score, float)
    a = Assessment(
        t=t,
        site_ids=("kb",),
        track_id=tid.copy(),
        confirmed=tracks.confirmed,
        class_probs=pr,
        object_class=np.argmax(pr, axis=1).astype(np.int8),
        p_uas=pr[:, :5].sum(axis=1),
        rf_protocol=np.full(n, -2, np.int16) if rf is None else np.asarray(rf, np.int16),
        identity=np.full(n, int(Identity.HOSTILE), np.int8)
        if identity is None
        else np.asarray(identity, np.int8),
        threat=sc[:, None],
        range_m=g.range_m,
        cpa_m=g.cpa_m,
        tcpa_s=g.tcpa_s,
        time_to_core_s=g.time_to_core_s,
        inside_alert=g.inside_alert,
        inside_core=g.inside_core,
        top_site=np.where(sc > 0, 0, -1).astype(np.intp),
        score=sc,
    )
    return tracks, a


def tick_of(
    adv: EngagementAdvisor, tracks: TrackTable, a: Assessment, rows: NDArray[np.intp]
) -> engagement_mod._Tick:
    """What ``recommend`` computes at t = 0 for the tracks ``rows`` (each its own object)."""
    f = adv.feasibility(0.0, tracks, a, rows)
    ttc = engagement_mod.time_to_core_top(a, rows)
    return engagement_mod._Tick(
        t=0.0,
        tracks=tracks,
        assessment=a,
        rows=rows,
        f=f,
        w=adv.wait_options(0.0, tracks, a, rows),
        feasible=f.feasible,
        per_kill=adv.cost_eur[None, :] / f.pk,
        ttc_top=ttc,
        deadline=ttc - 30.0,
        imminent=rows < 0,
        low_value=rows >= 0,
        expensive=adv.cost_eur >= 1e5,
        same_object=np.eye(rows.shape[0], dtype=np.bool_),
    )


def plan_of_first(
    adv: EngagementAdvisor, tracks: TrackTable, a: Assessment
) -> tuple[NDArray[np.float64], NDArray[np.float64], Feasibility]:
    """``plan_values`` of track row 0 at t = 0: plan Pk and cost ``(1, U)``, and feasibility."""
    tick = tick_of(adv, tracks, a, np.array([0]))
    plan_pk, plan_cost = adv.plan_values(tick)
    return plan_pk, plan_cost, tick.f
