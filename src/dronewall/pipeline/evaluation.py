"""Scoring a simulated run against its truth: the numbers of ``summary.json``.

This is the one place, with the simulator, that reads the ``truth`` columns of detections and
tracks. Definitions (all times in seconds from the scenario start):

``first_detected_s``
    first detection of the object by any sensor (a human sighting does not count).
``first_confirmed_s``
    first tick at which a confirmed or coasting track's majority truth is the object.
``first_alert_s``
    first alert of level ``WARNING`` or above raised on a track whose truth is the object.
``outcome``
    ``defeated`` when an engagement destroyed it; ``leaked`` when it entered the core of its target
    site (or of any site, for an object without a target) before being defeated; ``left`` otherwise.
``alerts_true`` / ``alerts_false``
    alerts of level ``WARNING`` or above raised (each (track, site) counted once per raise from
    below ``WARNING``) on tracks whose truth is / is not a hostile object.
GOSPA
    per tick, between confirmed tracks and the *detectable* truth: objects alive that had a
    position-giving detection (radar, EO/IR, ADS-B) in the last ``detectable_window_s`` seconds;
    ``alpha = 2``, cut-off ``c`` and order ``p`` stated in the summary. Positions in 3D ENU metres.
``gospa_by_allegiance``
    the same per allegiance (hostile, civil, nature): the detectable truth of that allegiance
    against the confirmed tracks whose majority truth is of that allegiance. False tracks (truth
    -1) belong to no group, so these parts show how well each kind of object is held, and the
    whole-picture GOSPA carries the false tracks.
``siap``
    the SIAP measures (:mod:`dronewall.metrics.siap`) between the same detectable truth and the
    confirmed tracks, a track associated with its nearest object within ``gospa_c_m``:
    completeness, ambiguity, spuriousness, positional accuracy, track-number changes per object
    hour and the longest-segment fraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.core.measurements import DetectionBatch, MeasurementKind
from dronewall.core.taxonomy import Allegiance, ObjectClass
from dronewall.core.tracks import TrackTable
from dronewall.metrics.gospa import GospaResult, gospa, mean_gospa
from dronewall.metrics.siap import SiapAccumulator

F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class EvaluationConfig:
    gospa_c_m: float = 100.0
    gospa_p: float = 2.0
    detectable_window_s: float = 10.0

    def __post_init__(self) -> None:
        if self.gospa_c_m <= 0 or self.gospa_p < 1 or self.detectable_window_s <= 0:
            raise ValueError("need gospa_c_m > 0, gospa_p >= 1, detectable_window_s > 0")


@dataclass(slots=True)
class RunEvaluator:
    """Accumulates per-object timelines, alert truth and GOSPA while a run goes on.

    Parameters
    ----------
    t0
        Scenario start, UTC epoch seconds.
    ids, object_class, allegiance, target_site, cost_eur
        Per truth object (K,): names, :class:`ObjectClass` codes, :class:`Allegiance` codes, target
        site index (-1 none), unit cost.
    site_enu, core_radius_m
        Site centres (S, 3) and core radii (S,) in the run's ENU frame.
    """

    t0: float
    ids: Sequence[str]
    object_class: NDArray[np.int8]
    allegiance: NDArray[np.int8]
    target_site: NDArray[np.int32]
    cost_eur: F64
    site_enu: F64
    core_radius_m: F64
    config: EvaluationConfig = field(default_factory=EvaluationConfig)
    first_detected: F64 = field(init=False)
    first_confirmed: F64 = field(init=False)
    first_alert: F64 = field(init=False)
    t_leak: F64 = field(init=False)
    t_defeated: F64 = field(init=False)
    last_position_detection: F64 = field(init=False)
    engaged_by: list[list[str]] = field(init=False)
    gospa_steps: list[GospaResult] = field(init=False)
    gospa_groups: dict[str, list[GospaResult]] = field(init=False)
    alerts_true: int = field(init=False, default=0)
    alerts_false: int = field(init=False, default=0)
    confirmed_track_ids: set[int] = field(init=False)
    siap_steps: SiapAccumulator = field(init=False)

    def __post_init__(self) -> None:
        k = len(self.ids)
        self.first_detected = np.full(k, np.nan)
        self.first_confirmed = np.full(k, np.nan)
        self.first_alert = np.full(k, np.nan)
        self.t_leak = np.full(k, np.nan)
        self.t_defeated = np.full(k, np.nan)
        self.last_position_detection = np.full(k, -np.inf)
        self.engaged_by = [[] for _ in range(k)]
        self.gospa_steps = []
        self.gospa_groups = {
            a.label: [] for a in (Allegiance.HOSTILE, Allegiance.CIVIL, Allegiance.NATURE)
        }
        self.confirmed_track_ids = set()
        self.siap_steps = SiapAccumulator(association_distance=self.config.gospa_c_m)

    @property
    def hostile(self) -> NDArray[np.bool_]:
        mask: NDArray[np.bool_] = self.allegiance == int(Allegiance.HOSTILE)
        return mask

    def observe_detections(self, batch: DetectionBatch) -> None:
        """Note first detections and position detections (for the detectable set)."""
        real = (batch.truth >= 0) & (batch.kind != int(MeasurementKind.SIGHTING))
        if not real.any():
            return
        idx, t = batch.truth[real], batch.t[real]
        first = np.full(len(self.ids), np.inf)
        np.minimum.at(first, idx, t)
        self.first_detected = np.fmin(self.first_detected, np.where(np.isinf(first), np.nan, first))
        pos = real & (batch.kind == int(MeasurementKind.POSITION))
        np.maximum.at(self.last_position_detection, batch.truth[pos], batch.t[pos])

    def observe_tick(
        self, t: float, tracks: TrackTable, truth_pos: F64, alive: NDArray[np.bool_]
    ) -> None:
        """Score one tick: confirmation times, leaks and GOSPA.

        ``truth_pos`` (K, 3) ENU and ``alive`` (K,) are the truth at ``t``.
        """
        conf = tracks.confirmed
        self.confirmed_track_ids.update(tracks.track_id[conf].tolist())
        seen = tracks.truth[conf & (tracks.truth >= 0)]
        if seen.size:
            newly = np.zeros(len(self.ids), bool)
            newly[seen] = True
            self.first_confirmed = np.where(
                newly & np.isnan(self.first_confirmed), t, self.first_confirmed
            )
        # Leaks: a live object inside its target's core (any site's core if it has no target).
        if self.site_enu.shape[0]:
            d = np.linalg.norm(truth_pos[:, None, :2] - self.site_enu[None, :, :2], axis=2)
            inside = d < self.core_radius_m[None, :]
            has_target = self.target_site >= 0
            in_target = np.zeros(len(self.ids), bool)
            in_target[has_target] = inside[has_target, self.target_site[has_target]]
            in_core = np.where(has_target, in_target, inside.any(axis=1))
            leak = (
                in_core & alive & self.hostile & np.isnan(self.t_leak) & np.isnan(self.t_defeated)
            )
            self.t_leak[leak] = t
        detectable = alive & (t - self.last_position_detection <= self.config.detectable_window_s)
        c, p = self.config.gospa_c_m, self.config.gospa_p
        self.gospa_steps.append(gospa(truth_pos[detectable], tracks.x[conf, :3], c, p))
        visible = np.flatnonzero(detectable)
        self.siap_steps.add(
            t, visible, truth_pos[visible], tracks.track_id[conf], tracks.x[conf, :3]
        )
        track_allegiance = np.where(
            tracks.truth >= 0, self.allegiance[np.maximum(tracks.truth, 0)], -1
        )
        for label, steps in self.gospa_groups.items():
            code = int(Allegiance[label.upper()])
            in_group = self.allegiance == code
            steps.append(
                gospa(
                    truth_pos[detectable & in_group],
                    tracks.x[conf & (track_allegiance == code), :3],
                    c,
                    p,
                )
            )

    def observe_alert(self, t: float, truth: int) -> None:
        """An alert of level WARNING or above was raised on a track whose truth is ``truth``."""
        if truth >= 0 and self.allegiance[truth] == int(Allegiance.HOSTILE):
            self.alerts_true += 1
            if np.isnan(self.first_alert[truth]):
                self.first_alert[truth] = t
        else:
            self.alerts_false += 1

    def observe_engagement(self, truth: int, effector_id: str) -> None:
        if truth >= 0 and effector_id not in self.engaged_by[truth]:
            self.engaged_by[truth].append(effector_id)

    def observe_defeat(self, t: float, truth: int) -> None:
        if np.isnan(self.t_defeated[truth]):
            self.t_defeated[truth] = t

    def gospa_by_allegiance(self) -> dict[str, dict[str, float]]:
        """Mean GOSPA per allegiance group (see the module docstring)."""
        out = {}
        for label, steps in self.gospa_groups.items():
            m = mean_gospa(steps)
            out[label] = {
                "total": m.total,
                "localisation": m.localisation,
                "missed": m.missed,
                "false": m.false,
                "n_missed": m.n_missed,
            }
        return out

    def gospa_mean(self) -> dict[str, Any]:
        m = mean_gospa(self.gospa_steps)
        return {
            "total": m.total,
            "localisation": m.localisation,
            "missed": m.missed,
            "false": m.false,
            "n_missed": m.n_missed,
            "n_false": m.n_false,
            "c_m": self.config.gospa_c_m,
            "p": self.config.gospa_p,
            "alpha": 2.0,
            "units": "total in m; localisation/missed/false in m^p (total^p = their sum)",
            "truth_set": (
                "alive objects with a position detection in the last "
                f"{self.config.detectable_window_s:g} s"
            ),
        }

    def siap(self) -> dict[str, Any]:
        """The run's SIAP measures (NaN, written as null, where undefined)."""
        r = self.siap_steps.result()

        def num(v: float) -> float | None:
            return None if not np.isfinite(v) else round(float(v), 6)

        return {
            "completeness": num(r.completeness),
            "ambiguity": num(r.ambiguity),
            "spuriousness": num(r.spuriousness),
            "positional_accuracy_m": num(r.positional_accuracy),
            "positional_accuracy_rms_m": num(r.positional_accuracy_rms),
            "track_number_changes": int(r.track_number_changes),
            "changes_per_object_hour": num(r.changes_per_object_hour),
            "longest_segment_fraction": num(r.longest_segment_fraction),
            "association_distance_m": self.config.gospa_c_m,
        }

    def threats(self) -> list[dict[str, Any]]:
        """Per hostile truth object, its timeline and outcome (seconds from start)."""

        def rel(v: float) -> float | None:
            return None if np.isnan(v) else round(float(v - self.t0), 3)

        out = []
        for i in np.flatnonzero(self.hostile).tolist():
            if not np.isnan(self.t_defeated[i]) and (
                np.isnan(self.t_leak[i]) or self.t_defeated[i] <= self.t_leak[i]
            ):
                outcome = "defeated"
            elif not np.isnan(self.t_leak[i]):
                outcome = "leaked"
            else:
                outcome = "left"
            out.append(
                {
                    "id": self.ids[i],
                    "class": ObjectClass(int(self.object_class[i])).label,
                    "first_detected_s": rel(self.first_detected[i]),
                    "first_confirmed_s": rel(self.first_confirmed[i]),
                    "first_alert_s": rel(self.first_alert[i]),
                    "reached_core_s": rel(self.t_leak[i]),
                    "defeated_s": rel(self.t_defeated[i]),
                    "engaged_by": list(self.engaged_by[i]),
                    "outcome": outcome,
                }
            )
        return out

    def threat_cost_eur(self) -> float:
        return float(self.cost_eur[self.hostile].sum())
