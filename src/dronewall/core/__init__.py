"""Core vocabulary shared by every stage: errors, the measurement batch, the track table, codes."""

from dronewall.core.errors import (
    ConfigError,
    DronewallError,
    InputError,
    ScenarioNotFoundError,
    StoreError,
)
from dronewall.core.measurements import DetectionBatch, MeasurementKind, RfProtocol
from dronewall.core.taxonomy import (
    PROTECTED_IDENTITIES,
    UAS_CLASSES,
    AlertLevel,
    Allegiance,
    Identity,
    Layer,
    ObjectClass,
)
from dronewall.core.tracks import TrackStatus, TrackTable

__all__ = [
    "PROTECTED_IDENTITIES",
    "UAS_CLASSES",
    "AlertLevel",
    "Allegiance",
    "ConfigError",
    "DetectionBatch",
    "DronewallError",
    "Identity",
    "InputError",
    "Layer",
    "MeasurementKind",
    "ObjectClass",
    "RfProtocol",
    "ScenarioNotFoundError",
    "StoreError",
    "TrackStatus",
    "TrackTable",
]
