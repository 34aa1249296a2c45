"""Tracking: motion models and the IMM, measurement models, gating, GNN and JPDA association, and
the multi-sensor tracker.

Pure batched kernels (:mod:`~dronewall.tracking.kalman`, :mod:`~dronewall.tracking.measurement`,
:mod:`~dronewall.tracking.imm`, :mod:`~dronewall.tracking.gating`,
:mod:`~dronewall.tracking.jpda`, :mod:`~dronewall.tracking.triangulation`) under small components
(:class:`GNNAssociator`, :class:`ChiSquareGate`, :class:`InteractingMultipleModel`) under one
tracker (:class:`MultiSensorTracker`), which turns :class:`~dronewall.core.DetectionBatch` frames
into :class:`~dronewall.core.TrackTable` snapshots, plus bearing-only tracks
(:class:`BearingOnlyTracker`) for objects only one passive sensor hears.
"""

from dronewall.core.attribution import attribute_bearings
from dronewall.tracking.association import Assignment, GNNAssociator
from dronewall.tracking.bank import TrackBank
from dronewall.tracking.bearing_only import (
    BearingOnlyConfig,
    BearingOnlyTracker,
    BearingTrackTable,
)
from dronewall.tracking.gating import ChiSquareGate, chi2_threshold, euclidean_candidates
from dronewall.tracking.imm import (
    InteractingMultipleModel,
    ModeSwitching,
    drone_imm,
    imm_combine,
    imm_mix,
    imm_mix_predict,
    imm_predict,
    imm_update_probabilities,
    single_model,
    turn_rate_update,
)
from dronewall.tracking.jpda import JPDAAssociator, JPDAResult, jpda_probabilities
from dronewall.tracking.kalman import (
    H_POSITION,
    cholesky3,
    innovation,
    kalman_predict,
    kalman_update,
    mahalanobis_pairs,
    mahalanobis_pairwise,
)
from dronewall.tracking.measurement import (
    MeasurementPrediction,
    PairStatistics,
    initial_state,
    pair_statistics,
    predict_measurement,
)
from dronewall.tracking.models import (
    AdaptiveTurnModel,
    CoordinatedTurnModel,
    HoverModel,
    MotionModel,
    NearlyConstantVelocityModel,
    ncv_process_noise,
    ncv_transition,
)
from dronewall.tracking.tracker import MultiSensorTracker, TrackerConfig
from dronewall.tracking.triangulation import pair_bearings, triangulate

__all__ = [
    "H_POSITION",
    "AdaptiveTurnModel",
    "Assignment",
    "BearingOnlyConfig",
    "BearingOnlyTracker",
    "BearingTrackTable",
    "ChiSquareGate",
    "CoordinatedTurnModel",
    "GNNAssociator",
    "HoverModel",
    "InteractingMultipleModel",
    "JPDAAssociator",
    "JPDAResult",
    "MeasurementPrediction",
    "ModeSwitching",
    "MotionModel",
    "MultiSensorTracker",
    "NearlyConstantVelocityModel",
    "PairStatistics",
    "TrackBank",
    "TrackerConfig",
    "attribute_bearings",
    "chi2_threshold",
    "cholesky3",
    "drone_imm",
    "euclidean_candidates",
    "imm_combine",
    "imm_mix",
    "imm_mix_predict",
    "imm_predict",
    "imm_update_probabilities",
    "initial_state",
    "innovation",
    "jpda_probabilities",
    "kalman_predict",
    "kalman_update",
    "mahalanobis_pairs",
    "mahalanobis_pairwise",
    "ncv_process_noise",
    "ncv_transition",
    "pair_bearings",
    "pair_statistics",
    "predict_measurement",
    "single_model",
    "triangulate",
    "turn_rate_update",
]
