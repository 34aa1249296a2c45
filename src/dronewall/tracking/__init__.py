"""Tracking: NCV Kalman filtering, gating, GNN association and the multi-sensor tracker.

Pure batched kernels (:mod:`~dronewall.tracking.kalman`, :mod:`~dronewall.tracking.gating`) under
small components (:class:`GNNAssociator`, :class:`ChiSquareGate`) under one tracker
(:class:`MultiSensorTracker`), which turns :class:`~dronewall.core.DetectionBatch` frames into
:class:`~dronewall.core.TrackTable` snapshots.
"""

from dronewall.tracking.association import Assignment, GNNAssociator
from dronewall.tracking.bank import TrackBank
from dronewall.tracking.gating import ChiSquareGate, chi2_threshold, euclidean_candidates
from dronewall.tracking.kalman import (
    H_POSITION,
    cholesky3,
    innovation,
    kalman_predict,
    kalman_update,
    mahalanobis_pairs,
    mahalanobis_pairwise,
)
from dronewall.tracking.models import (
    NearlyConstantVelocityModel,
    ncv_process_noise,
    ncv_transition,
)
from dronewall.tracking.tracker import MultiSensorTracker, TrackerConfig

__all__ = [
    "H_POSITION",
    "Assignment",
    "ChiSquareGate",
    "GNNAssociator",
    "MultiSensorTracker",
    "NearlyConstantVelocityModel",
    "TrackBank",
    "TrackerConfig",
    "chi2_threshold",
    "cholesky3",
    "euclidean_candidates",
    "innovation",
    "kalman_predict",
    "kalman_update",
    "mahalanobis_pairs",
    "mahalanobis_pairwise",
    "ncv_process_noise",
    "ncv_transition",
]
