"""Motion models: the nearly-constant-velocity (NCV) model in local ENU, batched over time steps.

Data layout
-----------
State ``x`` is ``(e, n, u, ve, vn, vu)``: position in metres and velocity in metres per second in
the run's local ENU frame. Time steps ``dt`` are a vector ``(N,)`` of seconds (one per track), and
the matrices come back batch-first: ``F (N, 6, 6)``, ``Q (N, 6, 6)``.

Maths
-----
Per axis the state is ``(p, v)`` driven by continuous white-noise acceleration of power spectral
density ``q`` (m²/s³) — the "continuous white noise acceleration" model of Bar-Shalom, Li &
Kirubarajan (2001, §6.2.2):

.. math::
    F_1(\\Delta t) = \\begin{pmatrix} 1 & \\Delta t \\\\ 0 & 1 \\end{pmatrix}, \\qquad
    Q_1(\\Delta t) = q \\begin{pmatrix} \\Delta t^3/3 & \\Delta t^2/2 \\\\
                                       \\Delta t^2/2 & \\Delta t \\end{pmatrix}

and the 3D matrices interleave three such axes in the ``(pos, vel)`` block layout, with ``q_h`` on
east and north and ``q_v`` on up. Because the noise is continuous, the model is consistent over
time: ``Q(a + b) = F(b) Q(a) F(b)^T + Q(b)``, so predicting once over ``a + b`` equals predicting
twice. The tracker relies on this to keep each track at its own last-update time and predict lazily.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import ConfigError

F64 = NDArray[np.float64]

#: Indices of the position and velocity components inside the state vector.
POS = slice(0, 3)
VEL = slice(3, 6)


def ncv_transition(dt: ArrayLike) -> F64:
    """State transition matrices of the NCV model.

    Parameters
    ----------
    dt : (N,) float, s
        Time steps; a scalar is treated as ``(1,)``.

    Returns
    -------
    F : (N, 6, 6) float
        ``F = [[I3, dt I3], [0, I3]]``.
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    n = dt.shape[0]
    F = np.broadcast_to(np.eye(6), (n, 6, 6)).copy()
    i = np.arange(3)
    F[:, i, i + 3] = dt[:, None]
    return F


def ncv_process_noise(dt: ArrayLike, q_horizontal: float, q_vertical: float) -> F64:
    """Process noise covariances of the NCV model (continuous white-noise acceleration).

    Parameters
    ----------
    dt : (N,) float, s
        Time steps; a scalar is treated as ``(1,)``. Negative steps are not meaningful.
    q_horizontal, q_vertical : float, m²/s³
        Power spectral density of the acceleration noise on east/north and on up.

    Returns
    -------
    Q : (N, 6, 6) float
        Symmetric positive semi-definite; zero for ``dt = 0``.
    """
    dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    n = dt.shape[0]
    q = np.array([q_horizontal, q_horizontal, q_vertical], dtype=np.float64)
    qpp = q * (dt[:, None] ** 3 / 3.0)  # (N, 3)
    qpv = q * (dt[:, None] ** 2 / 2.0)
    qvv = q * dt[:, None]
    Q = np.zeros((n, 6, 6))
    i = np.arange(3)
    Q[:, i, i] = qpp
    Q[:, i, i + 3] = qpv
    Q[:, i + 3, i] = qpv
    Q[:, i + 3, i + 3] = qvv
    return Q


@dataclass(frozen=True, slots=True, kw_only=True)
class NearlyConstantVelocityModel:
    """The NCV motion model in ENU with separate horizontal and vertical noise.

    Parameters
    ----------
    q_horizontal : float, m²/s³
        Acceleration noise spectral density on east and north. ``q Δt`` is the velocity variance
        added per step; the default 9 (about 3 m/s² of unmodelled acceleration over a 1 s step)
        suits small drones that turn and change speed within seconds.
    q_vertical : float, m²/s³
        Same on up; air objects change height more gently than heading.
    """

    q_horizontal: float = 9.0
    q_vertical: float = 2.0

    def __post_init__(self) -> None:
        for name in ("q_horizontal", "q_vertical"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0.0):
                raise ConfigError(
                    "process noise density must be finite and non-negative",
                    field=name,
                    expected=">= 0",
                    actual=repr(value),
                )

    def transition(self, dt: ArrayLike) -> F64:
        """``F (N, 6, 6)`` for time steps ``dt (N,)`` in seconds (see :func:`ncv_transition`)."""
        return ncv_transition(dt)

    def process_noise(self, dt: ArrayLike) -> F64:
        """``Q (N, 6, 6)`` for time steps ``dt (N,)`` in seconds (see :func:`ncv_process_noise`)."""
        return ncv_process_noise(dt, self.q_horizontal, self.q_vertical)

    def position_noise_trace(self, dt: F64) -> F64:
        """``tr Q_pp (N,)``, m²: the position part of the trace of ``Q``, for cheap gate radii."""
        return (2.0 * self.q_horizontal + self.q_vertical) * dt**3 / 3.0
