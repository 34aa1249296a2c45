"""The assess stage as one component: classify → geometry → identify → score → alert.

Data layout
-----------
:meth:`Assessor.assess` takes the tracker's snapshot (a :class:`~dronewall.core.tracks.TrackTable`
of ``N`` tracks) and the tick's :class:`~dronewall.core.measurements.DetectionBatch`, and returns an
:class:`Assessment`: a frozen struct of arrays whose rows are aligned with the track table (same
order, same ``track_id``) and whose ``(N, S)`` columns follow :attr:`Assessment.site_ids`, plus the
tick's alert events and ranked threat list as small tuples of frozen dataclasses. ``truth`` columns
are never read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.alerts import AlertConfig, AlertEvent, AlertManager
from dronewall.assess.classify import (
    BayesClassifier,
    ClassifierConfig,
    TrainedClassifier,
    TrainedClassifierConfig,
    build_class_model,
)
from dronewall.assess.geometry import SiteGeometry, site_geometry
from dronewall.assess.identify import (
    IdentityConfig,
    RuleIdentifier,
    has_evidence,
    surely_faster_than_birds,
)
from dronewall.assess.threat import (
    ThreatConfig,
    ThreatEntry,
    explain,
    is_protected,
    rank_threats,
    threat_scores,
)
from dronewall.core.errors import ConfigError, InputError
from dronewall.core.measurements import DetectionBatch
from dronewall.core.taxonomy import AlertLevel, ObjectClass
from dronewall.core.tracks import TrackTable
from dronewall.geo.frames import LocalFrame
from dronewall.world.catalogue import ObjectType, Site
from dronewall.world.load import load_world

F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
I16 = NDArray[np.int16]
I64 = NDArray[np.int64]
IntP = NDArray[np.intp]
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessConfig:
    """Settings of every part of the assess stage.

    ``classifier_kind`` chooses the classifier: ``"trained"`` (default; the shipped model,
    :class:`~dronewall.assess.classify.TrainedClassifier`, set by ``trained``) or ``"rules"`` (the
    earlier hand-made naive Bayes, :class:`~dronewall.assess.classify.BayesClassifier`, set by
    ``classifier``).
    """

    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    identity: IdentityConfig = field(default_factory=IdentityConfig)
    threat: ThreatConfig = field(default_factory=ThreatConfig)
    alerts: AlertConfig = field(default_factory=AlertConfig)
    trained: TrainedClassifierConfig = field(default_factory=TrainedClassifierConfig)
    classifier_kind: str = "trained"

    def __post_init__(self) -> None:
        if self.classifier_kind not in ("trained", "rules"):
            raise ConfigError(
                "unknown classifier",
                field="classifier_kind",
                expected="trained or rules",
                actual=repr(self.classifier_kind),
            )
        for name, kind in (
            ("classifier", ClassifierConfig),
            ("trained", TrainedClassifierConfig),
            ("identity", IdentityConfig),
            ("threat", ThreatConfig),
            ("alerts", AlertConfig),
        ):
            if not isinstance(getattr(self, name), kind):
                raise ConfigError(f"expected a {kind.__name__}", field=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    """The assess stage's output for one tick; rows aligned with the input track table.

    Attributes
    ----------
    t : float
        Tick time, UTC epoch s.
    site_ids : tuple[str, ...]
        The ``S`` sites, the column order of the ``(N, S)`` fields.
    track_id : (N,) int64
        Track ids, as in the track table.
    confirmed : (N,) bool
        Confirmed or coasting (the tracks downstream acts on).
    class_probs : (N, C) float64
        Class probabilities, :class:`~dronewall.core.taxonomy.ObjectClass` column order.
    object_class : (N,) int8
        Most probable class.
    p_uas : (N,) float64
        Probability mass on UAS classes.
    rf_protocol : (N,) int16
        RF protocol cued to the track recently (-1 unknown protocol, -2 none).
    identity : (N,) int8
        :class:`~dronewall.core.taxonomy.Identity` codes.
    threat : (N, S) float64
        Threat scores in [0, 1].
    range_m, cpa_m, tcpa_s, time_to_core_s : (N, S) float64
        Horizontal geometry against each site (m, s; ``inf`` never enters the core).
    inside_alert, inside_core : (N, S) bool
        Inside each site's alert / core radius.
    top_site : (N,) intp
        Column of the most-threatened site, ``-1`` when no site scores above 0.
    score : (N,) float64
        Threat score at that site (0 when none).
    events : tuple[AlertEvent, ...]
        Alert changes of this tick.
    threats : tuple[ThreatEntry, ...]
        Ranked threat list (confirmed tracks), highest first.
    """

    t: float
    site_ids: tuple[str, ...]
    track_id: I64
    confirmed: B
    class_probs: F64
    object_class: I8
    p_uas: F64
    rf_protocol: I16
    identity: I8
    threat: F64
    range_m: F64
    cpa_m: F64
    tcpa_s: F64
    time_to_core_s: F64
    inside_alert: B
    inside_core: B
    top_site: IntP
    score: F64
    events: tuple[AlertEvent, ...] = ()
    threats: tuple[ThreatEntry, ...] = ()

    def __post_init__(self) -> None:
        n, s = self.track_id.shape[0], len(self.site_ids)
        for name in (
            "confirmed",
            "object_class",
            "p_uas",
            "rf_protocol",
            "identity",
            "top_site",
            "score",
        ):
            if getattr(self, name).shape != (n,):
                raise InputError(f"Assessment.{name} must have shape ({n},)")
        if self.class_probs.shape != (n, len(ObjectClass)):
            raise InputError(f"Assessment.class_probs must have shape ({n}, {len(ObjectClass)})")
        for name in (
            "threat",
            "range_m",
            "cpa_m",
            "tcpa_s",
            "time_to_core_s",
            "inside_alert",
            "inside_core",
        ):
            if getattr(self, name).shape != (n, s):
                raise InputError(f"Assessment.{name} must have shape ({n}, {s})")

    def __len__(self) -> int:
        return int(self.track_id.shape[0])


class Assessor:
    """The assess stage: stateful per run, one :meth:`assess` call per tick.

    Parameters
    ----------
    sites : Sequence[Site]
        Protected sites; converted to ENU once here.
    frame : LocalFrame
        The run's ENU frame.
    config : AssessConfig or None
        Settings; defaults throughout when ``None``.
    objects : Mapping[str, ObjectType] or None
        Object catalogue for the class model; ``None`` takes ``load_world().objects``.
    rf_sensors : frozenset[int] or None
        Sensor indices of the RF detectors; ``None`` treats any bearing row carrying a protocol
        code as an RF cue.
    """

    def __init__(
        self,
        sites: Sequence[Site],
        frame: LocalFrame,
        config: AssessConfig | None = None,
        *,
        objects: Mapping[str, ObjectType] | None = None,
        rf_sensors: frozenset[int] | None = None,
    ) -> None:
        self.config = AssessConfig() if config is None else config
        self.frame = frame
        self.sites = tuple(sites)
        s = len(self.sites)
        self.site_ids = tuple(x.id for x in self.sites)
        self.site_names = tuple(x.name for x in self.sites)
        if len(set(self.site_ids)) != s:
            raise ConfigError("site ids must be unique", field="sites")
        lla = np.array([[x.lat_deg, x.lon_deg, 0.0] for x in self.sites]).reshape(s, 3)
        self.site_enu: F64 = frame.lla_to_enu(lla) if s else np.empty((0, 3))
        self.alert_radius_m: F64 = np.array([x.alert_radius_m for x in self.sites], np.float64)
        self.core_radius_m: F64 = np.array([x.core_radius_m for x in self.sites], np.float64)
        self.site_value: F64 = np.array([x.value for x in self.sites], np.float64)
        self.classifier: BayesClassifier | TrainedClassifier
        if self.config.classifier_kind == "rules":
            self.classifier = BayesClassifier(
                build_class_model(
                    load_world().objects if objects is None else objects, self.config.classifier
                ),
                self.config.classifier,
                origin_h_m=frame.h_m,
                rf_sensors=rf_sensors,
            )
        else:
            self.classifier = TrainedClassifier(
                None, self.config.trained, origin_h_m=frame.h_m, rf_sensors=rf_sensors
            )
        self.identifier = RuleIdentifier(self.config.identity)
        self.alerts = AlertManager(
            site_ids=self.site_ids,
            site_names=self.site_names,
            site_enu=self.site_enu,
            alert_radius_m=self.alert_radius_m,
            config=self.config.alerts,
        )

    def geometry(self, tracks: TrackTable) -> SiteGeometry:
        """``(N, S)`` geometry of the tracks against the sites."""
        return site_geometry(
            tracks.x[:, :3],
            tracks.x[:, 3:6],
            self.site_enu,
            self.alert_radius_m,
            self.core_radius_m,
        )

    def assess(self, t: float, tracks: TrackTable, detections: DetectionBatch) -> Assessment:
        """Assess the tracks at ``t``.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s (the snapshot time of ``tracks``).
        tracks : TrackTable
            The tracker's snapshot, all live tracks (tentative included).
        detections : DetectionBatch
            The tick's detections (RF bearings and human sightings are read).

        Returns
        -------
        Assessment
            Rows aligned with ``tracks``.
        """
        cls = self.classifier.update(t, tracks, detections)
        geo = self.geometry(tracks)
        fast = surely_faster_than_birds(tracks, self.config.identity)  # once per tick
        identity = self.identifier.update(t, tracks, cls.p_uas, geo, fast=fast)
        score = threat_scores(
            geo,
            cls.p_uas,
            identity,
            self.alert_radius_m,
            self.core_radius_m,
            self.site_value,
            self.config.threat,
            fast=fast,
        )
        n, s = score.shape
        object_class = np.argmax(cls.probs, axis=1).astype(np.int8)
        if s:
            best = np.argmax(score, axis=1)
            top = score[np.arange(n), best]
            top_site = np.where(top > 0.0, best, -1).astype(np.intp)
        else:
            top = np.zeros(n)
            top_site = np.full(n, -1, np.intp)
        confirmed = tracks.confirmed
        protected = is_protected(identity)

        def reason(i: int, j: int) -> str:
            c = int(object_class[i])
            return explain(
                ObjectClass(c),
                float(cls.probs[i, c]),
                self.site_names[j],
                float(geo.range_m[i, j]),
                float(geo.cpa_m[i, j]),
                float(geo.tcpa_s[i, j]),
                bool(geo.inside_core[i, j]),
                float(geo.range_rate_m_s[i, j]),
            )

        events = self.alerts.update(
            t,
            track_id=tracks.track_id,
            eligible=confirmed,
            protected=protected,
            score=score,
            explain=reason,
            max_level=np.where(
                has_evidence(t, tracks, self.config.identity, fast),
                int(AlertLevel.ALARM),
                int(AlertLevel.WATCH),
            ).astype(np.int8),
        )
        events += self.alerts.update_reports(t, detections, tracks, confirmed & ~protected)
        threats = rank_threats(
            track_id=tracks.track_id,
            eligible=confirmed,
            score=score,
            class_probs=cls.probs,
            identity=identity,
            geometry=geo,
            site_ids=self.site_ids,
            site_names=self.site_names,
            min_score=self.config.threat.min_listed_score,
            max_listed=self.config.threat.max_listed,
        )
        return Assessment(
            t=t,
            site_ids=self.site_ids,
            track_id=tracks.track_id.copy(),
            confirmed=confirmed,
            class_probs=cls.probs,
            object_class=object_class,
            p_uas=cls.p_uas,
            rf_protocol=cls.rf_protocol,
            identity=identity,
            threat=score,
            range_m=geo.range_m,
            cpa_m=geo.cpa_m,
            tcpa_s=geo.tcpa_s,
            time_to_core_s=geo.time_to_core_s,
            inside_alert=geo.inside_alert,
            inside_core=geo.inside_core,
            top_site=top_site,
            score=top,
            events=tuple(events),
            threats=threats,
        )
