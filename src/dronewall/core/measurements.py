"""The measurement batch: what every sensor model and adapter produces, and the tracker consumes.

Data layout
-----------
A :class:`DetectionBatch` is a struct of arrays over ``M`` detections (rows), batch-first, float64
unless stated. All positions are in the run's local ENU frame (metres; east, north, up from the
frame origin, see :mod:`dronewall.geo`). Time is float64 seconds since the UTC epoch.

=================  ===========  ============================================================
field              shape        meaning
=================  ===========  ============================================================
``t``              (M,)         measurement time, UTC epoch seconds
``sensor``         (M,) int32   index of the sensor in the run's sensor table
``kind``           (M,) int8    :class:`MeasurementKind`
``z``              (M, 3)       the measured values, by kind (see below)
``R``              (M, 3, 3)    measurement noise covariance of ``z`` (SI units, rad for angles)
``sensor_pos``     (M, 3)       sensor position in ENU at ``t``
``rcs_m2``         (M,)         radar cross-section estimate, NaN when not measured
``snr_db``         (M,)         signal-to-noise ratio, NaN when not measured
``ident``          (M,) int64   cooperative identity: ICAO 24-bit address, Remote ID hash; -1 none
``protocol``       (M,) int16   RF protocol / emitter code (:class:`RfProtocol`); -1 none
``truth``          (M,) int32   simulation truth object index, -1 for clutter or unknown.
                                For evaluation only: no tracking or assessment code may read it.
``t_received``     (M,)         time the detection reached the system, s (``>= t`` when late)
``range_rate``     (M,)         ``POLAR`` only: measured range rate, m/s (positive opening);
                                NaN when not measured
``range_rate_var`` (M,)         its noise variance, m²/s²; NaN when not measured
``cue``            (M,) int8    class cue: the :class:`~dronewall.core.taxonomy.ObjectClass`
                                code an EO/IR operator recognised in the picture; -1 none
                                (not recognised, or a sensor that gives no cue). Optional
                                in the constructor: omitted, it is all -1
=================  ===========  ============================================================

``z`` by kind:

* ``POSITION``: ``(east, north, up)`` metres, ``R`` a full 3x3 covariance.
* ``BEARING``: ``(azimuth, elevation, nan)`` radians from ``sensor_pos``; azimuth clockwise from
  north, elevation above the local horizontal; ``R[:2, :2]`` used, ``R[2, 2]`` is 0. An elevation of
  NaN means azimuth only.
* ``POLAR``: ``(range, azimuth, elevation)`` of a radar plot from ``sensor_pos``: slant range in
  metres, angles as for ``BEARING``; ``R`` the full 3x3 covariance in (m, rad, rad). An elevation of
  NaN means a 2D radar: the range is then taken as the horizontal range and the altitude is not
  observed. An optional range rate comes in its own columns, its noise independent of ``z``'s.
* ``SIGHTING``: a person's report: ``(east, north, up)`` of the reported position with a large
  ``R``; ``t`` is the time the event was *seen*, :attr:`DetectionBatch.t_received` the time the
  report reached the system.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
I32 = NDArray[np.int32]
I16 = NDArray[np.int16]
I8 = NDArray[np.int8]
B = NDArray[np.bool_]

NO_CUE = -1
"""Value of :attr:`DetectionBatch.cue` for "no class cue"."""

_CUE_UNSET: I8 = np.full(0, NO_CUE, dtype=np.int8)
_CUE_UNSET.setflags(write=False)


class MeasurementKind(IntEnum):
    """What ``z`` of a detection row holds."""

    POSITION = 0
    BEARING = 1
    SIGHTING = 2
    POLAR = 3


class RfProtocol(IntEnum):
    """Codes of the RF links an RF detector recognises (``protocol`` column)."""

    NONE = -1
    DJI_OCUSYNC = 0
    WIFI = 1
    ANALOG_FPV = 2
    ELRS = 3
    MILITARY_DATALINK = 4


@dataclass(frozen=True, slots=True)
class DetectionBatch:
    """``M`` detections as a struct of arrays. See the module docstring for the layout."""

    t: F64
    sensor: I32
    kind: I8
    z: F64
    R: F64
    sensor_pos: F64
    rcs_m2: F64
    snr_db: F64
    ident: I64
    protocol: I16
    truth: I32
    t_received: F64
    range_rate: F64
    range_rate_var: F64
    cue: I8 = field(default_factory=lambda: _CUE_UNSET)

    def __post_init__(self) -> None:
        m = self.t.shape[0]
        if self.cue is _CUE_UNSET:
            # the optional column: every constructor that predates it keeps working
            object.__setattr__(self, "cue", np.full(m, NO_CUE, dtype=np.int8))
        expected = {
            "t": (m,),
            "sensor": (m,),
            "kind": (m,),
            "z": (m, 3),
            "R": (m, 3, 3),
            "sensor_pos": (m, 3),
            "rcs_m2": (m,),
            "snr_db": (m,),
            "ident": (m,),
            "protocol": (m,),
            "truth": (m,),
            "t_received": (m,),
            "range_rate": (m,),
            "range_rate_var": (m,),
            "cue": (m,),
        }
        for name, shape in expected.items():
            actual = getattr(self, name).shape
            if actual != shape:
                raise ValueError(f"DetectionBatch.{name} has shape {actual}, expected {shape}")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @classmethod
    def build(
        cls,
        *,
        t: F64,
        sensor: I32 | int,
        kind: I8 | MeasurementKind,
        z: F64,
        R: F64,
        sensor_pos: F64,
        rcs_m2: F64 | None = None,
        snr_db: F64 | None = None,
        ident: I64 | None = None,
        protocol: I16 | None = None,
        truth: I32 | None = None,
        t_received: F64 | None = None,
        range_rate: F64 | None = None,
        range_rate_var: F64 | None = None,
        cue: I8 | None = None,
    ) -> DetectionBatch:
        """Make a batch, broadcasting scalars and filling optional columns with their null value."""
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        m = t.shape[0]

        def col(v: object, dtype: type, fill: float | int) -> NDArray[np.generic]:
            if v is None:
                return np.full(m, fill, dtype=dtype)
            return np.broadcast_to(np.asarray(v, dtype=dtype), (m,)).copy()

        return cls(
            t=t,
            sensor=col(sensor, np.int32, -1).astype(np.int32),
            kind=col(int(kind) if isinstance(kind, MeasurementKind) else kind, np.int8, 0).astype(
                np.int8
            ),
            z=np.asarray(z, dtype=np.float64).reshape(m, 3),
            R=np.broadcast_to(np.asarray(R, dtype=np.float64), (m, 3, 3)).copy(),
            sensor_pos=np.broadcast_to(np.asarray(sensor_pos, dtype=np.float64), (m, 3)).copy(),
            rcs_m2=col(rcs_m2, np.float64, np.nan).astype(np.float64),
            snr_db=col(snr_db, np.float64, np.nan).astype(np.float64),
            ident=col(ident, np.int64, -1).astype(np.int64),
            protocol=col(protocol, np.int16, -1).astype(np.int16),
            truth=col(truth, np.int32, -1).astype(np.int32),
            t_received=col(t if t_received is None else t_received, np.float64, np.nan).astype(
                np.float64
            ),
            range_rate=col(range_rate, np.float64, np.nan).astype(np.float64),
            range_rate_var=col(range_rate_var, np.float64, np.nan).astype(np.float64),
            cue=col(cue, np.int8, NO_CUE).astype(np.int8),
        )

    @classmethod
    def empty(cls) -> DetectionBatch:
        """A batch with no rows."""
        e = np.empty(0)
        return cls.build(
            t=e,
            sensor=0,
            kind=MeasurementKind.POSITION,
            z=np.empty((0, 3)),
            R=np.empty((0, 3, 3)),
            sensor_pos=np.empty((0, 3)),
        )

    def select(self, index: NDArray[np.bool_] | NDArray[np.intp]) -> DetectionBatch:
        """Rows picked by a boolean mask or an integer index, as a new batch."""
        return DetectionBatch(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def concat(cls, batches: Sequence[DetectionBatch]) -> DetectionBatch:
        """Rows of several batches, in order."""
        parts = [b for b in batches if len(b)]
        if not parts:
            return cls.empty()
        if len(parts) == 1:
            return parts[0]
        return cls(
            **{
                f.name: np.concatenate([getattr(b, f.name) for b in parts], axis=0)
                for f in fields(cls)
            }
        )

    def sorted_by_time(self) -> DetectionBatch:
        """Rows in ascending ``t`` (stable, so equal times keep their order)."""
        return self.select(np.argsort(self.t, kind="stable"))
