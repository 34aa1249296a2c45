"""Assess stage: classify tracks, give them an identity, score threats to sites, raise alerts.

Entry point: :class:`Assessor` (``assess(t, tracks, detections) -> Assessment``). The parts are
usable alone: :class:`BayesClassifier`, :class:`RuleIdentifier`, :func:`site_geometry`,
:func:`threat_scores`, :class:`AlertManager`.
"""

from dronewall.assess.alerts import AlertConfig, AlertEvent, AlertEventKind, AlertManager
from dronewall.assess.assessor import AssessConfig, Assessment, Assessor
from dronewall.assess.classify import (
    UAS_MASK,
    BayesClassifier,
    ClassifierConfig,
    ClassifierOutput,
    ClassModel,
    build_class_model,
    rf_cues,
)
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
    "IdentityConfig",
    "RuleIdentifier",
    "SiteGeometry",
    "ThreatConfig",
    "ThreatEntry",
    "approx_height_m",
    "build_class_model",
    "is_protected",
    "rank_threats",
    "rf_cues",
    "site_geometry",
    "threat_scores",
]
