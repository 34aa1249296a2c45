"""The served picture: track frames, alerts and proposals as the API shows them.

Live and replay share this module. Alerts and proposals are *folded* from the run's
:class:`~dronewall.picture.Event` records in order (the same events the store keeps), so a live
picture and a replay of its store agree. Tracks come as a :class:`TrackFrame`: columns (lists of
equal length, one entry per track) built from the pipeline's ``TrackTable`` and ``Assessment`` in a
live run, or from the store's track snapshots at a time ``T`` in a replay.

Data layout
-----------
``TrackFrame.cols`` maps each of :data:`COLUMNS` (plus ``class_confidence`` and ``site``) to a list
of ``N`` JSON values; ``labels[i]`` are the releasability labels of track ``i``. Positions are WGS84
(degrees, metres); velocities ENU m/s; ``sigma_h_m = sqrt((P_ee + P_nn) / 2)``, the RMS of the two
horizontal position standard deviations (m).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.core.taxonomy import Identity, ObjectClass
from dronewall.core.tracks import TrackStatus
from dronewall.picture import Event, TrackUpdates
from dronewall.pipeline.session import TickResult
from dronewall.service.auth import Principal
from dronewall.service.releasability import TrackLabeler

#: The columns of the WebSocket track messages, in order.
COLUMNS: tuple[str, ...] = (
    "track_id",
    "status",
    "lat",
    "lon",
    "alt_m",
    "ve",
    "vn",
    "vu",
    "sigma_h_m",
    "object_class",
    "identity",
    "threat",
)
_EXTRA = ("class_confidence", "site")
_STATUS = [s.label for s in TrackStatus]
_CLASS = [c.label for c in ObjectClass]
_IDENT = [i.label for i in Identity]


def _round(a: NDArray[np.float64], nd: int) -> list[float | None]:
    """Rounded floats for JSON; non-finite values become ``None``."""
    r = np.round(a, nd)
    return [float(v) if math.isfinite(v) else None for v in r.tolist()]


@dataclass(frozen=True, slots=True)
class TrackFrame:
    """``N`` tracks at time ``t`` as API columns, with their releasability labels."""

    t: float
    cols: dict[str, list[Any]]
    labels: list[tuple[str, ...]]

    def __len__(self) -> int:
        return len(self.labels)

    @classmethod
    def empty(cls, t: float) -> TrackFrame:
        return cls(t, {c: [] for c in (*COLUMNS, *_EXTRA)}, [])

    @classmethod
    def build(
        cls,
        t: float,
        track_id: NDArray[np.int64],
        status: Sequence[str],
        lla: NDArray[np.float64],
        vel: NDArray[np.float64],
        var_en: NDArray[np.float64],
        object_class: Sequence[str],
        class_confidence: NDArray[np.float64],
        identity: Sequence[str],
        threat: NDArray[np.float64],
        site: Sequence[str | None],
        labels: list[tuple[str, ...]],
    ) -> TrackFrame:
        """Columns from arrays: ``lla (N, 3)``, ``vel (N, 3)`` ENU m/s, ``var_en (N, 2)`` the
        east and north position variances (m²)."""
        sigma = np.sqrt(np.clip(var_en.sum(axis=1) / 2.0, 0.0, None)) if len(labels) else var_en
        cols: dict[str, list[Any]] = {
            "track_id": [int(v) for v in track_id.tolist()],
            "status": list(status),
            "lat": _round(lla[:, 0], 7),
            "lon": _round(lla[:, 1], 7),
            "alt_m": _round(lla[:, 2], 1),
            "ve": _round(vel[:, 0], 2),
            "vn": _round(vel[:, 1], 2),
            "vu": _round(vel[:, 2], 2),
            "sigma_h_m": _round(sigma.reshape(-1), 1),
            "object_class": list(object_class),
            "identity": list(identity),
            "threat": _round(threat, 4),
            "class_confidence": _round(class_confidence, 4),
            "site": list(site),
        }
        return cls(float(t), cols, labels)

    @classmethod
    def from_tick(cls, res: TickResult, labeler: TrackLabeler) -> TrackFrame:
        """The frame of a live tick (every track, tentative ones included)."""
        tr, a = res.tracks, res.assessment
        n = len(tr)
        if n == 0:
            return cls.empty(res.t)
        cls_idx = a.object_class.astype(np.intp)
        top = a.top_site
        return cls.build(
            res.t,
            tr.track_id,
            [_STATUS[int(s)] for s in tr.status.tolist()],
            res.lla,
            tr.x[:, 3:6],
            np.stack([tr.P[:, 0, 0], tr.P[:, 1, 1]], axis=1),
            [_CLASS[int(c)] for c in cls_idx.tolist()],
            a.class_probs[np.arange(n), cls_idx],
            [_IDENT[int(i)] for i in a.identity.tolist()],
            a.score,
            [a.site_ids[int(s)] if s >= 0 else None for s in top.tolist()],
            labeler.labels_of(tr.sensors),
        )

    @classmethod
    def from_updates(
        cls,
        up: TrackUpdates,
        t: float,
        labels_of: Mapping[int, tuple[str, ...]],
        fallback: tuple[str, ...],
    ) -> TrackFrame:
        """The frame of the latest snapshot at or before ``t`` among store rows ``up``."""
        if len(up) == 0:
            return cls.empty(t)
        keep = np.flatnonzero(up.t == up.t.max())
        ids = up.track_id[keep]
        return cls.build(
            float(up.t[keep[0]]),
            ids,
            [_STATUS[int(s)] for s in up.status[keep].tolist()],
            up.lla[keep],
            up.x[keep, 3:6],
            np.stack([up.pos_cov[keep, 0, 0], up.pos_cov[keep, 1, 1]], axis=1),
            [str(v) for v in up.object_class[keep].tolist()],
            up.class_prob[keep],
            [str(v) for v in up.identity[keep].tolist()],
            up.threat[keep],
            [None] * keep.size,
            [labels_of.get(int(i), fallback) for i in ids.tolist()],
        )

    def visible(self, who: Principal) -> NDArray[np.intp]:
        """Rows ``who`` is cleared for."""
        return np.array(
            [i for i, lab in enumerate(self.labels) if who.cleared_for(lab)], dtype=np.intp
        )

    def columns(self, rows: Iterable[int]) -> dict[str, list[Any]]:
        """The WebSocket columns of ``rows``."""
        idx = list(rows)
        return {c: [self.cols[c][i] for i in idx] for c in COLUMNS}

    def records(self, rows: Iterable[int]) -> list[dict[str, Any]]:
        """One REST ``Track`` object per row."""
        out = []
        for i in rows:
            rec = {c: self.cols[c][i] for c in (*COLUMNS, *_EXTRA)}
            rec["releasability"] = list(self.labels[i])
            out.append(rec)
        return out

    def changed_rows(self, prev: TrackFrame | None) -> tuple[set[int], set[int]]:
        """Rows new or different from ``prev`` (by ``track_id``), and the ids ``prev`` had and this
        frame has not."""
        ids = self.cols["track_id"]
        if prev is None:
            return set(range(len(ids))), set()
        prev_row = {tid: i for i, tid in enumerate(prev.cols["track_id"])}
        changed: set[int] = set()
        names = (*COLUMNS[1:], *_EXTRA)
        for i, tid in enumerate(ids):
            j = prev_row.pop(tid, None)
            if (
                j is None
                or prev.labels[j] != self.labels[i]
                or any(self.cols[c][i] != prev.cols[c][j] for c in names)
            ):
                changed.add(i)
        return changed, set(prev_row)


@dataclass(slots=True)
class Folded:
    """Alerts and proposals folded from events, with the ids changed since the last drain."""

    proposal_ttl_s: float
    track_labels: dict[int, tuple[str, ...]]
    fallback: tuple[str, ...]
    report_labels: tuple[str, ...]
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    proposals: dict[str, dict[str, Any]] = field(default_factory=dict)
    engagement_of: dict[str, str] = field(default_factory=dict)
    changed_alerts: set[str] = field(default_factory=set)
    changed_proposals: set[str] = field(default_factory=set)

    def labels_of_track(self, track_id: int | None) -> tuple[str, ...]:
        if track_id is None or track_id < 0:
            return self.report_labels
        return self.track_labels.get(track_id, self.fallback)

    def fold(self, events: Iterable[Event]) -> None:
        """Apply events in order."""
        for ev in events:
            p = ev.payload
            if ev.kind in ("alert", "sighting_alert"):
                self._alert(ev, p)
            elif ev.kind == "recommendation":
                rid = str(p.get("recommendation_id", ""))
                self.proposals[rid] = {
                    "proposal_id": rid,
                    "t": ev.t,
                    "track_id": ev.track_id,
                    "site": ev.site_id,
                    "effector": p.get("effector_id"),
                    "fire_unit": p.get("fire_unit_id"),
                    "layer": p.get("layer"),
                    "pk": p.get("pk"),
                    "cost_eur": p.get("cost_eur"),
                    "state": "proposed",
                    "expires_t": ev.t + self.proposal_ttl_s,
                    "explanation": p.get("reason", ""),
                    "alternatives": [
                        {
                            "effector": a.get("effector_id"),
                            "fire_unit": a.get("fire_unit_id"),
                            "pk": a.get("pk"),
                            "cost_eur": a.get("cost_eur"),
                            "why_not": a.get("why_not", ""),
                        }
                        for a in p.get("alternatives", [])
                        if isinstance(a, Mapping)
                    ],
                    "decided_by": None,
                    "decision_reason": None,
                    "outcome": None,
                    "releasability": list(self.labels_of_track(ev.track_id)),
                }
                self.changed_proposals.add(rid)
            elif ev.kind == "decision":
                rid = str(p.get("recommendation_id", ""))
                self.decide(rid, str(p.get("state", "")), str(p.get("who", "")), p.get("why"))
            elif ev.kind == "engagement":
                rid = str(p.get("recommendation_id", ""))
                self.engagement_of[str(p.get("engagement_id", ""))] = rid
                self._set(rid, state="executed")
            elif ev.kind == "outcome":
                rid = self.engagement_of.get(str(p.get("engagement_id", "")), "")
                self._set(rid, state="assessed", outcome=p.get("outcome"))

    def decide(self, rid: str, state: str, who: str, why: Any) -> None:
        """A decision on proposal ``rid`` (also applied at once when a person decides)."""
        self._set(rid, state=state, decided_by=who, decision_reason=why)

    def _set(self, rid: str, **values: Any) -> None:
        prop = self.proposals.get(rid)
        if prop is None:
            return
        if any(prop.get(k) != v for k, v in values.items()):
            prop.update(values)
            self.changed_proposals.add(rid)

    def _alert(self, ev: Event, p: Mapping[str, Any]) -> None:
        site = ev.site_id or ""
        if ev.kind == "sighting_alert":
            aid = f"report-{p.get('report_id', -1)}-{site}"
        else:
            aid = f"track-{ev.track_id}-{site}"
        change = str(p.get("change", ""))
        level = str(p.get("level", "none"))
        active = level != "none" and change not in ("cleared", "report-expired")
        old = self.alerts.get(aid)
        raised_again = old is not None and not old["active"] and active
        alert = {
            "alert_id": aid,
            "t": ev.t,
            "level": level,
            "kind": change,
            "track_id": ev.track_id,
            "site": ev.site_id,
            "text": str(p.get("reason", "")),
            "active": active,
            "acknowledged": False if old is None or raised_again else old["acknowledged"],
            "acknowledged_by": None if old is None or raised_again else old["acknowledged_by"],
            "releasability": list(self.labels_of_track(ev.track_id)),
        }
        self.alerts[aid] = alert
        self.changed_alerts.add(aid)

    def acknowledge(self, aid: str, who: str) -> dict[str, Any]:
        """Mark an alert acknowledged by ``who``."""
        alert = self.alerts[aid]
        alert["acknowledged"] = True
        alert["acknowledged_by"] = who
        self.changed_alerts.add(aid)
        return alert

    def relabel(self, track_labels: Mapping[int, tuple[str, ...]]) -> None:
        """Refresh the labels of alerts and proposals of tracks whose labels changed."""
        for store, changed in (
            (self.alerts, self.changed_alerts),
            (self.proposals, self.changed_proposals),
        ):
            for key, item in store.items():
                tid = item.get("track_id")
                if tid is not None and tid in track_labels:
                    new = list(track_labels[tid])
                    if item["releasability"] != new:
                        item["releasability"] = new
                        changed.add(key)

    def drain(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The alerts and proposals changed since the last drain."""
        alerts = [self.alerts[a] for a in sorted(self.changed_alerts)]
        props = [self.proposals[p] for p in sorted(self.changed_proposals)]
        self.changed_alerts.clear()
        self.changed_proposals.clear()
        return alerts, props
