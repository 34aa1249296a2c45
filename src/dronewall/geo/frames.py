"""Geodetic frames: WGS84 geodetic (lat, lon, h) <-> ECEF <-> a local ENU tangent plane.

Data layout
-----------
Batched over rows: ``lla`` is ``(N, 3)`` with latitude and longitude in **degrees** and the
ellipsoidal height in metres (WGS84, EPSG:4979); ``ecef`` and ``enu`` are ``(N, 3)`` in metres. A
single point may be given as a ``(3,)`` vector; the result then has shape ``(3,)`` too.

Maths
-----
ECEF comes from pyproj (EPSG:4979 -> EPSG:4978). With the frame origin at geodetic latitude
``phi``, longitude ``lam`` and ECEF position ``o``, ENU is the rotation

.. math::  enu = R (ecef - o), \\quad
    R = \\begin{pmatrix} -\\sin\\lambda & \\cos\\lambda & 0 \\\\
        -\\sin\\phi\\cos\\lambda & -\\sin\\phi\\sin\\lambda & \\cos\\phi \\\\
        \\cos\\phi\\cos\\lambda & \\cos\\phi\\sin\\lambda & \\sin\\phi \\end{pmatrix}

and back ``ecef = R^T enu + o``. Directions (velocities, covariances) rotate with ``R`` alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer

F64 = NDArray[np.float64]


@lru_cache(maxsize=1)
def _lla_to_ecef() -> Transformer:
    return Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


@lru_cache(maxsize=1)
def _ecef_to_lla() -> Transformer:
    return Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=True)


def _rows(a: ArrayLike) -> tuple[F64, bool]:
    arr = np.asarray(a, dtype=np.float64)
    if arr.shape == (3,):
        return arr.reshape(1, 3), True
    if arr.ndim != 2 or arr.shape[1] != 3:
        raise ValueError(f"expected shape (3,) or (N, 3), got {arr.shape}")
    return arr, False


def lla_to_ecef(lla: ArrayLike) -> F64:
    """WGS84 ``(lat_deg, lon_deg, h_m)`` rows to ECEF metres."""
    p, single = _rows(lla)
    x, y, z = _lla_to_ecef().transform(p[:, 1], p[:, 0], p[:, 2])
    out = np.column_stack([x, y, z]).astype(np.float64)
    return out[0] if single else out


def ecef_to_lla(ecef: ArrayLike) -> F64:
    """ECEF metres to WGS84 ``(lat_deg, lon_deg, h_m)`` rows."""
    p, single = _rows(ecef)
    lon, lat, h = _ecef_to_lla().transform(p[:, 0], p[:, 1], p[:, 2])
    out = np.column_stack([lat, lon, h]).astype(np.float64)
    return out[0] if single else out


def enu_rotation(lat_deg: float, lon_deg: float) -> F64:
    """The 3x3 rotation ``R`` taking ECEF difference vectors to ENU at a geodetic point."""
    phi, lam = np.radians(lat_deg), np.radians(lon_deg)
    sp, cp, sl, cl = np.sin(phi), np.cos(phi), np.sin(lam), np.cos(lam)
    return np.array(
        [[-sl, cl, 0.0], [-sp * cl, -sp * sl, cp], [cp * cl, cp * sl, sp]], dtype=np.float64
    )


@dataclass(frozen=True, slots=True)
class LocalFrame:
    """A local East-North-Up tangent frame at a WGS84 origin (degrees, metres)."""

    lat_deg: float
    lon_deg: float
    h_m: float = 0.0
    _R: F64 = field(init=False, repr=False, compare=False)
    _o: F64 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat_deg <= 90.0:
            raise ValueError(f"origin latitude {self.lat_deg} outside [-90, 90] degrees")
        if not -180.0 <= self.lon_deg <= 180.0:
            raise ValueError(f"origin longitude {self.lon_deg} outside [-180, 180] degrees")
        object.__setattr__(self, "_R", enu_rotation(self.lat_deg, self.lon_deg))
        object.__setattr__(self, "_o", lla_to_ecef([self.lat_deg, self.lon_deg, self.h_m]))

    @property
    def rotation(self) -> F64:
        """ECEF -> ENU rotation matrix (3, 3)."""
        return self._R

    def ecef_to_enu(self, ecef: ArrayLike) -> F64:
        p, single = _rows(ecef)
        out = (p - self._o) @ self._R.T
        return out[0] if single else out

    def enu_to_ecef(self, enu: ArrayLike) -> F64:
        p, single = _rows(enu)
        out = p @ self._R + self._o
        return out[0] if single else out

    def lla_to_enu(self, lla: ArrayLike) -> F64:
        """WGS84 ``(lat_deg, lon_deg, h_m)`` rows to ENU metres in this frame."""
        return self.ecef_to_enu(lla_to_ecef(lla))

    def enu_to_lla(self, enu: ArrayLike) -> F64:
        """ENU metres in this frame to WGS84 ``(lat_deg, lon_deg, h_m)`` rows."""
        return ecef_to_lla(self.enu_to_ecef(enu))


def polar_to_enu_jacobian(r: NDArray[np.float64], az: NDArray[np.float64],
                          el: NDArray[np.float64]) -> NDArray[np.float64]:  # fmt: skip
    """``J = ∂(e, n, u)/∂(r, az, el)`` of ``e = r cos(el) sin(az)``, ``n = r cos(el) cos(az)``,
    ``u = r sin(el)`` (azimuth clockwise from north), shape ``(M, 3, 3)``, columns r, az, el."""
    sa, ca, se, ce = np.sin(az), np.cos(az), np.sin(el), np.cos(el)
    J = np.empty((r.shape[0], 3, 3))
    J[:, :, 0] = np.stack([sa * ce, ca * ce, se], axis=-1)
    J[:, :, 1] = np.stack([r * ca * ce, -r * sa * ce, np.zeros_like(r)], axis=-1)
    J[:, :, 2] = np.stack([-r * sa * se, -r * ca * se, r * ce], axis=-1)
    return J
