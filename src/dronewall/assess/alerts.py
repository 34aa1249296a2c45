"""Alerts per (track, site) with hysteresis, and unconfirmed reports from human sightings.

Data layout
-----------
The level state is ``(K, S) int8`` over the ``K`` tracks known at the last tick and the ``S``
sites, with a ``(K, S)`` float64 "below the lower threshold since" clock (NaN when not running),
keyed by ``track_id`` (see :mod:`dronewall.assess.keyed`). Scores come in as ``(N, S)``. What goes
out is a short tuple of :class:`AlertEvent` (frozen dataclasses), only where something changed.

Hysteresis
----------
Level ``L ∈ {WATCH, WARNING, ALARM}`` has a raise threshold ``r_L`` and a lower threshold
``c_L < r_L``. Each tick, with ``up = #{L : score ≥ r_L}`` and ``support = #{L : score ≥ c_L}``:

* ``up > level``: raise to ``up`` at once (RAISED from NONE, else ESCALATED);
* ``support < level``: start (or keep) the hold clock; once the score has stayed below ``c_level``
  for ``hold_s``, lower to ``support`` (LOWERED, or CLEARED at NONE);
* else stop the hold clock.

A score that wanders between ``c_L`` and ``r_L`` never toggles the level, and an event is emitted
only on a change, so alerts do not flap nor repeat. Episodes are kept in an :class:`AlertBook`
(``AlertManager.book``): one alert per (track, site, level) episode, re-opened rather than
repeated when it re-triggers within ``retrigger_hold_s`` of its close (the event then carries the
same ``alert_id`` and ``new_alert=False``), and acknowledged by a person (who, when).
A track that turns protected (NEUTRAL, FRIEND) is cleared at once; a track that disappears from
the table is cleared with reason "track deleted".

Human sightings
---------------
A ``SIGHTING`` row whose reported position lies within a site's alert radius opens an unconfirmed
report (REPORT_UNCONFIRMED, level WATCH; it never makes a track, an identity or a hostile). Reports
of the same site within ``dedup_radius_m`` and ``dedup_window_s`` (seen time) of an earlier one are
merged into it silently. Each tick a report is checked against the confirmed, non-protected tracks
propagated back to the seen time at constant velocity: a track within ``corroboration_sigma`` of
the report (Mahalanobis distance with ``S = R_xy + P_xy + Δt² P_v,xy``) corroborates it
(REPORT_CORROBORATED, carrying that track's id). Reports still unconfirmed ``report_ttl_s``
after they arrived expire (REPORT_EXPIRED, level NONE).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.keyed import match_ids
from dronewall.assess.threat import format_distance
from dronewall.core.errors import ConfigError, InputError
from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import AlertLevel
from dronewall.core.tracks import TrackTable

F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]


class AlertEventKind(StrEnum):
    """What happened to an alert."""

    RAISED = "raised"
    ESCALATED = "escalated"
    LOWERED = "lowered"
    CLEARED = "cleared"
    REPORT_UNCONFIRMED = "report-unconfirmed"
    REPORT_CORROBORATED = "report-corroborated"
    REPORT_EXPIRED = "report-expired"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertEvent:
    """One alert change, for the picture, the log and the operator.

    Attributes
    ----------
    kind : AlertEventKind
        What happened.
    t : float
        When (UTC epoch s).
    track_id : int
        The track; ``-1`` for a report no track corroborates.
    site_id : str
        The site.
    level, previous : AlertLevel
        Level after and before the change.
    score : float
        Threat score at the change (0 for reports).
    reason : str
        Plain words.
    report_id : int
        The report, for report events; ``-1`` for track alerts.
    alert_id : str
        The alert of the :class:`AlertBook` this event belongs to (track alerts; ``""`` else).
    new_alert : bool
        The event opened a new alert; False for a re-trigger of an alert closed less than
        ``retrigger_hold_s`` ago (same id, its acknowledgement kept) and for other events.
    """

    kind: AlertEventKind
    t: float
    track_id: int
    site_id: str
    level: AlertLevel
    previous: AlertLevel
    score: float
    reason: str
    report_id: int = -1
    alert_id: str = ""
    new_alert: bool = False


@dataclass(slots=True, kw_only=True)
class AlertRecord:
    """One alert episode of a (track, site, level), with its acknowledgement."""

    alert_id: str
    track_id: int
    site_id: str
    level: AlertLevel
    t_opened: float
    t_closed: float = float("nan")
    retriggers: int = 0
    acknowledged_by: str = ""
    acknowledged_t: float = float("nan")

    @property
    def is_open(self) -> bool:
        """Not closed (the track still holds this level or above at the site)."""
        return bool(np.isnan(self.t_closed))


class AlertBook:
    """Alerts as episodes: de-duplicated per (track, site, level), acknowledged by people.

    An episode opens when a track reaches a level at a site and closes when it falls below it.
    A re-trigger of the same (track, site, level) within ``retrigger_hold_s`` of the close
    reopens the same alert (no new alert for the operator; an acknowledgement stands).
    """

    def __init__(self, retrigger_hold_s: float) -> None:
        self.retrigger_hold_s = retrigger_hold_s
        self._alerts: dict[str, AlertRecord] = {}
        self._last: dict[tuple[int, str, int], str] = {}
        self._n = 0

    def open(self, t: float, track_id: int, site_id: str, level: AlertLevel) -> tuple[str, bool]:
        """Open (or re-open) the alert of ``(track, site, level)``: ``(alert_id, is_new)``."""
        key = (track_id, site_id, int(level))
        prev = self._alerts.get(self._last.get(key, ""))
        if prev is not None:
            if prev.is_open:
                return prev.alert_id, False
            if t - prev.t_closed <= self.retrigger_hold_s:
                prev.t_closed = float("nan")
                prev.retriggers += 1
                return prev.alert_id, False
        self._n += 1
        rec = AlertRecord(
            alert_id=f"alert-{self._n:06d}", track_id=track_id, site_id=site_id, level=level,
            t_opened=t,
        )  # fmt: skip
        self._alerts[rec.alert_id] = rec
        self._last[key] = rec.alert_id
        return rec.alert_id, True

    def close_above(self, t: float, track_id: int, site_id: str, level: AlertLevel) -> str:
        """Close the open alerts of ``(track, site)`` above ``level``; the highest one's id."""
        out = ""
        for lv in range(int(level) + 1, int(AlertLevel.ALARM) + 1):
            rec = self._alerts.get(self._last.get((track_id, site_id, lv), ""))
            if rec is not None and rec.is_open:
                rec.t_closed = t
                out = rec.alert_id
        return out

    def acknowledge(self, alert_id: str, who: str, t: float) -> AlertRecord:
        """A person acknowledges an alert (who, when); the first acknowledgement is kept."""
        rec = self._alerts.get(alert_id)
        if rec is None:
            raise InputError("unknown alert", field="alert_id", actual=alert_id)
        if not who.strip():
            raise InputError("an acknowledgement needs a who", field="who")
        if not rec.acknowledged_by:
            rec.acknowledged_by = who
            rec.acknowledged_t = t
        return rec

    def get(self, alert_id: str) -> AlertRecord:
        """The alert with this id."""
        return self._alerts[alert_id]

    def alerts(self) -> tuple[AlertRecord, ...]:
        """Every alert, oldest first."""
        return tuple(self._alerts.values())

    def open_alerts(self) -> tuple[AlertRecord, ...]:
        """Alerts still open."""
        return tuple(r for r in self._alerts.values() if r.is_open)

    def unacknowledged(self) -> tuple[AlertRecord, ...]:
        """Open alerts nobody has acknowledged, highest level first."""
        return tuple(
            sorted(
                (r for r in self._alerts.values() if r.is_open and not r.acknowledged_by),
                key=lambda r: (-int(r.level), r.t_opened),
            )
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertConfig:
    """Thresholds of :class:`AlertManager` (assumptions, A).

    Parameters
    ----------
    raise_thresholds : tuple[float, float, float]
        Scores that raise WATCH, WARNING, ALARM at once (increasing).
    lower_thresholds : tuple[float, float, float]
        Scores below which each level may be lowered after ``hold_s`` (each below its raise one).
    hold_s : float
        How long the score must stay low before a level is lowered, s.
    dedup_radius_m, dedup_window_s : float
        Sightings this close in space and seen time to an earlier report of the site are merged.
    corroboration_sigma : float
        Mahalanobis gate of a track corroborating a report (≈ 2σ).
    corroboration_window_s : float
        Furthest a track is propagated back to a report's seen time, s.
    report_ttl_s : float
        Life of an unconfirmed report after it arrived, s.
    retrigger_hold_s : float
        A (track, site, level) alert re-triggered within this time after it closed is the same
        alert (:class:`AlertBook`), s.
    """

    raise_thresholds: tuple[float, float, float] = (0.2, 0.4, 0.7)
    lower_thresholds: tuple[float, float, float] = (0.12, 0.3, 0.55)
    hold_s: float = 15.0
    dedup_radius_m: float = 1500.0
    dedup_window_s: float = 600.0
    corroboration_sigma: float = 2.0
    corroboration_window_s: float = 300.0
    report_ttl_s: float = 900.0
    retrigger_hold_s: float = 60.0

    def __post_init__(self) -> None:
        r, c = self.raise_thresholds, self.lower_thresholds
        if not (0.0 < r[0] < r[1] < r[2] <= 1.0) or not (c[0] < c[1] < c[2]):
            raise ConfigError("thresholds must increase within (0, 1]", field="raise_thresholds")
        if any(not 0.0 <= lo < hi for lo, hi in zip(c, r, strict=True)):
            raise ConfigError(
                "each lower threshold must lie in [0, its raise threshold)",
                field="lower_thresholds",
                actual=str(c),
            )
        for name in (
            "dedup_radius_m",
            "dedup_window_s",
            "corroboration_sigma",
            "corroboration_window_s",
            "report_ttl_s",
        ):
            if not getattr(self, name) > 0:
                raise ConfigError("must be positive", field=name)
        if self.hold_s < 0:
            raise ConfigError("must be >= 0", field="hold_s")
        if not self.retrigger_hold_s >= 0:
            raise ConfigError("must be >= 0", field="retrigger_hold_s")


@dataclass(slots=True, kw_only=True)
class _Report:
    report_id: int
    site: int
    t_seen: float
    t_received: float
    pos: F64
    cov_xy: F64
    count: int = 1
    corroborated_by: int = -1


class AlertManager:
    """Alert levels per (track, site) with hysteresis, and reports from human sightings.

    Parameters
    ----------
    site_ids, site_names : tuple[str, ...]
        The ``S`` sites.
    site_enu : (S, 3) float64
        Site centres, ENU m.
    alert_radius_m : (S,) float64
        Alert radii, m.
    config : AlertConfig
        Thresholds.
    """

    def __init__(
        self,
        *,
        site_ids: tuple[str, ...],
        site_names: tuple[str, ...],
        site_enu: F64,
        alert_radius_m: F64,
        config: AlertConfig,
    ) -> None:
        self.site_ids = site_ids
        self.site_names = site_names
        self.site_enu = site_enu
        self.alert_radius_m = alert_radius_m
        self.config = config
        s = len(site_ids)
        self._raise = np.asarray(config.raise_thresholds)
        self._lower = np.asarray(config.lower_thresholds)
        self._ids: I64 = np.empty(0, np.int64)
        self._level: I8 = np.empty((0, s), np.int8)
        self._below_since: F64 = np.empty((0, s))
        self._reports: list[_Report] = []
        self._next_report = 1
        self.book = AlertBook(config.retrigger_hold_s)

    def levels(self, track_id: I64) -> I8:
        """Current levels ``(N, S)`` of the given tracks (NONE for unknown ids)."""
        found, row = match_ids(self._ids, track_id)
        out = np.zeros((track_id.shape[0], len(self.site_ids)), np.int8)
        out[found] = self._level[row[found]]
        return out

    def update(
        self,
        t: float,
        *,
        track_id: I64,
        eligible: B,
        protected: B,
        score: F64,
        explain: Callable[[int, int], str],
        max_level: I8 | None = None,
    ) -> list[AlertEvent]:
        """Advance the track alerts to ``t``.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s.
        track_id : (N,) int64
            All live tracks; known ids missing here are cleared as deleted.
        eligible : (N,) bool
            Tracks that may hold alerts (confirmed); others count as score 0.
        protected : (N,) bool
            Tracks with a protected identity: cleared at once.
        score : (N, S) float64
            Threat scores.
        explain : Callable[[int, int], str]
            Plain-words reason for (track row, site column), called only for events.
        max_level : (N,) int8, optional
            The highest level each track may be raised to now (an :class:`AlertLevel`; the
            assess stage holds a track younger than its evidence age at WATCH). A level already
            above it is kept.

        Returns
        -------
        list[AlertEvent]
            The changes, in (track, site) order; deletions first.
        """
        cfg = self.config
        n, s = score.shape
        events: list[AlertEvent] = []
        found, row = match_ids(self._ids, track_id)
        gone = ~np.isin(self._ids, track_id)
        for k, j in zip(*np.nonzero(self._level[gone] > 0), strict=True):
            tid = int(self._ids[gone][k])
            events.append(
                AlertEvent(
                    kind=AlertEventKind.CLEARED,
                    t=t,
                    track_id=tid,
                    site_id=self.site_ids[j],
                    level=AlertLevel.NONE,
                    previous=AlertLevel(int(self._level[gone][k, j])),
                    score=0.0,
                    reason="track deleted",
                    alert_id=self.book.close_above(t, tid, self.site_ids[j], AlertLevel.NONE),
                )
            )
        prev = np.zeros((n, s), np.int8)
        prev[found] = self._level[row[found]]
        since = np.full((n, s), np.nan)
        since[found] = self._below_since[row[found]]

        sc = np.where(eligible[:, None] & ~protected[:, None], score, 0.0)
        up = (sc[..., None] >= self._raise).sum(axis=-1).astype(np.int8)
        if max_level is not None:
            up = np.minimum(up, max_level[:, None]).astype(np.int8)
        support = (sc[..., None] >= self._lower).sum(axis=-1).astype(np.int8)
        rising = up > prev
        falling = ~rising & (support < prev)
        since = np.where(falling, np.where(np.isnan(since), t, since), np.nan)
        lower_now = falling & (t - since >= cfg.hold_s)
        new = np.where(rising, up, np.where(lower_now, support, prev)).astype(np.int8)
        since = np.where(lower_now, np.nan, since)
        drop = protected[:, None] & (prev > 0)
        new[drop] = 0
        since[drop] = np.nan

        for i, j in zip(*np.nonzero(new != prev), strict=True):  # changes only: a few per tick
            lv, pv = AlertLevel(int(new[i, j])), AlertLevel(int(prev[i, j]))
            if drop[i, j]:
                kind, why = AlertEventKind.CLEARED, "identified as protected (neutral or friend)"
            elif lv > pv:
                kind = AlertEventKind.RAISED if pv == AlertLevel.NONE else AlertEventKind.ESCALATED
                why = explain(int(i), int(j))
            else:
                kind = AlertEventKind.CLEARED if lv == AlertLevel.NONE else AlertEventKind.LOWERED
                why = f"score below {self._lower[pv - 1]:.2f} for {cfg.hold_s:.0f} s; " + explain(
                    int(i), int(j)
                )
            tid, sid = int(track_id[i]), self.site_ids[j]
            if lv > pv:
                alert_id, is_new = self.book.open(t, tid, sid, lv)
            else:
                alert_id, is_new = self.book.close_above(t, tid, sid, lv), False
            events.append(
                AlertEvent(
                    kind=kind,
                    t=t,
                    track_id=tid,
                    site_id=sid,
                    level=lv,
                    previous=pv,
                    score=float(sc[i, j]),
                    reason=why if is_new or lv <= pv else why + " (re-triggered: same alert)",
                    alert_id=alert_id,
                    new_alert=is_new,
                )
            )
        self._ids = track_id.copy()
        self._level = new
        self._below_since = since
        return events

    def update_reports(
        self, t: float, detections: DetectionBatch, tracks: TrackTable, candidate: B
    ) -> list[AlertEvent]:
        """Open reports from new sightings, corroborate or expire open ones.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s.
        detections : DetectionBatch
            The tick's detections; only ``SIGHTING`` rows are read.
        tracks : TrackTable
            Live tracks, ``N`` rows.
        candidate : (N,) bool
            Tracks that may corroborate a report: confirmed and not protected.

        Returns
        -------
        list[AlertEvent]
            Report events.
        """
        events: list[AlertEvent] = []
        if len(detections) and self.site_ids:
            events.extend(self._open_reports(t, detections))
        events.extend(self._corroborate(t, tracks, candidate))
        return events

    def _open_reports(self, t: float, detections: DetectionBatch) -> list[AlertEvent]:
        cfg = self.config
        sighting = np.flatnonzero(detections.kind == int(MeasurementKind.SIGHTING))
        if sighting.size == 0:
            return []
        pos = detections.z[sighting]
        d = np.hypot(
            pos[:, None, 0] - self.site_enu[None, :, 0], pos[:, None, 1] - self.site_enu[None, :, 1]
        )  # (M, S)
        inside = d <= self.alert_radius_m[None, :]
        d_in = np.where(inside, d, np.inf)
        events = []
        for m, row in enumerate(sighting):  # human reports: a handful at most
            j = int(np.argmin(d_in[m]))
            if not np.isfinite(d_in[m, j]):
                continue
            t_seen = float(detections.t[row])
            t_rx = float(detections.t_received[row])
            t_rx = t if not np.isfinite(t_rx) else t_rx
            p = pos[m].copy()
            dup = next(
                (
                    r
                    for r in self._reports
                    if r.site == j
                    and abs(r.t_seen - t_seen) <= cfg.dedup_window_s
                    and float(np.hypot(*(r.pos[:2] - p[:2]))) <= cfg.dedup_radius_m
                ),
                None,
            )
            if dup is not None:
                dup.count += 1
                continue
            rep = _Report(
                report_id=self._next_report,
                site=j,
                t_seen=t_seen,
                t_received=t_rx,
                pos=p,
                cov_xy=detections.R[row, :2, :2].copy(),
            )
            self._next_report += 1
            self._reports.append(rep)
            late = t_rx - t_seen
            events.append(
                AlertEvent(
                    kind=AlertEventKind.REPORT_UNCONFIRMED,
                    t=t,
                    track_id=-1,
                    site_id=self.site_ids[j],
                    level=AlertLevel.WATCH,
                    previous=AlertLevel.NONE,
                    score=0.0,
                    reason=(
                        f"unconfirmed report by a person, {format_distance(float(d[m, j]))} "
                        f"from {self.site_names[j]}, seen {late:.0f} s before it arrived; "
                        "no track yet"
                    ),
                    report_id=rep.report_id,
                )
            )
        return events

    def _corroborate(self, t: float, tracks: TrackTable, candidate: B) -> list[AlertEvent]:
        cfg = self.config
        events: list[AlertEvent] = []
        keep: list[_Report] = []
        cand = np.flatnonzero(candidate)
        for rep in self._reports:  # open reports: a handful at most; tracks vectorised
            if rep.corroborated_by >= 0:
                if t - rep.t_received < cfg.report_ttl_s:
                    keep.append(rep)  # kept for de-duplication only
                continue
            dt = t - rep.t_seen
            if cand.size and 0.0 <= dt <= cfg.corroboration_window_s:
                x = tracks.x[cand]
                p_back = x[:, :2] - x[:, 3:5] * dt  # (K, 2)
                cov = rep.cov_xy[None] + tracks.P[cand, :2, :2] + dt * dt * tracks.P[cand, 3:5, 3:5]
                nu = p_back - rep.pos[None, :2]
                a, b, c = cov[:, 0, 0], cov[:, 0, 1], cov[:, 1, 1]
                det = a * c - b * b
                with np.errstate(divide="ignore", invalid="ignore"):
                    d2 = (c * nu[:, 0] ** 2 - 2 * b * nu[:, 0] * nu[:, 1] + a * nu[:, 1] ** 2) / det
                d2 = np.where(det > 0, d2, np.inf)
                existed = tracks.t_first[cand] <= rep.t_seen + cfg.corroboration_window_s
                d2 = np.where(existed, d2, np.inf)
                k = int(np.argmin(d2))
                if d2[k] <= cfg.corroboration_sigma**2:
                    rep.corroborated_by = int(tracks.track_id[cand[k]])
                    events.append(
                        AlertEvent(
                            kind=AlertEventKind.REPORT_CORROBORATED,
                            t=t,
                            track_id=rep.corroborated_by,
                            site_id=self.site_ids[rep.site],
                            level=AlertLevel.WATCH,
                            previous=AlertLevel.WATCH,
                            score=0.0,
                            reason=(
                                f"report corroborated by track {rep.corroborated_by} "
                                f"at {np.sqrt(d2[k]):.1f} sigma ({rep.count} report(s))"
                            ),
                            report_id=rep.report_id,
                        )
                    )
                    keep.append(rep)
                    continue
            if t - rep.t_received >= cfg.report_ttl_s:
                events.append(
                    AlertEvent(
                        kind=AlertEventKind.REPORT_EXPIRED,
                        t=t,
                        track_id=-1,
                        site_id=self.site_ids[rep.site],
                        level=AlertLevel.NONE,
                        previous=AlertLevel.WATCH,
                        score=0.0,
                        reason=(
                            f"no track corroborated the report within {cfg.report_ttl_s:.0f} s "
                            f"({rep.count} report(s))"
                        ),
                        report_id=rep.report_id,
                    )
                )
                continue
            keep.append(rep)
        self._reports = keep
        return events

    def open_reports(self) -> tuple[tuple[int, str, int], ...]:
        """Unconfirmed reports still open: ``(report_id, site_id, number of reports merged)``."""
        return tuple(
            (r.report_id, self.site_ids[r.site], r.count)
            for r in self._reports
            if r.corroborated_by < 0
        )
