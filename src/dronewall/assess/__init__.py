"""Assess stage: classify tracks, give them an identity, score threats to sites, raise alerts.

Entry point: :class:`Assessor` (``assess(t, tracks, detections) -> Assessment``). The parts are
usable alone: :class:`BayesClassifier`, :class:`RuleIdentifier`, :func:`site_geometry`,
:func:`threat_scores`, :class:`AlertManager`. The default classifier is
:class:`TrainedClassifier` (a model trained on simulated runs, shipped as a JSON data file and
evaluated in numpy; docs/classifier.md); :class:`BayesClassifier` is the hand-made one.
"""

from dronewall.assess.alerts import AlertConfig, AlertEvent, AlertEventKind, AlertManager
from dronewall.assess.assessor import AssessConfig, Assessment, Assessor
from dronewall.assess.classify import (
    AIRCRAFT_CLASSES,
    UAS_MASK,
    BayesClassifier,
    ClassifierConfig,
    ClassifierOutput,
    ClassModel,
    TrackClassifierModel,
    TrainedClassifier,
    TrainedClassifierConfig,
    build_class_model,
    default_model_path,
    load_model,
    rf_cues,
)
from dronewall.assess.features import FEATURE_NAMES, FeatureConfig, TrackFeatures
from dronewall.assess.geometry import SiteGeometry, approx_height_m, site_geometry
from dronewall.assess.identify import IdentityConfig, RuleIdentifier
from dronewall.assess.threat import (
    ThreatConfig,
    ThreatEntry,
    is_protected,
    rank_threats,
    threat_scores,
)

__all__ = [
    "AIRCRAFT_CLASSES",
    "FEATURE_NAMES",
    "UAS_MASK",
    "AlertConfig",
    "AlertEvent",
    "AlertEventKind",
    "AlertManager",
    "AssessConfig",
    "Assessment",
    "Assessor",
    "BayesClassifier",
    "ClassModel",
    "ClassifierConfig",
    "ClassifierOutput",
    "FeatureConfig",
    "IdentityConfig",
    "RuleIdentifier",
    "SiteGeometry",
    "ThreatConfig",
    "ThreatEntry",
    "TrackClassifierModel",
    "TrackFeatures",
    "TrainedClassifier",
    "TrainedClassifierConfig",
    "approx_height_m",
    "build_class_model",
    "default_model_path",
    "is_protected",
    "load_model",
    "rank_threats",
    "rf_cues",
    "site_geometry",
    "threat_scores",
]
