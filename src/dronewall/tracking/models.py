"""Motion models in local ENU, batched over time steps: NCV, coordinated turn and hover.

Data layout
-----------
State ``x`` is ``(e, n, u, ve, vn, vu)``: position in metres and velocity in metres per second in
the run's local ENU frame. Every model here shares this 6-D state, so an interacting multiple
model (:mod:`dronewall.tracking.imm`) can hold all of its modes in one ``(N, r, 6)`` array. Time
steps ``dt`` are a vector ``(N,)`` of seconds (one per track), and the matrices come back
batch-first: ``F (N, 6, 6)``, ``Q (N, 6, 6)``. Every model satisfies the :class:`MotionModel`
protocol (``transition``, ``process_noise``, ``position_noise_trace``).

Maths
-----
Each model is a linear time-invariant SDE ``dx = A x dt + G dw`` with ``G = [0; I3]`` (noise enters
as acceleration) and ``w`` white of spectral density ``Q_c = diag(q_h, q_h, q_v)`` (m²/s³). Its
exact discretisation over a step ``Δt`` is

.. math::
    F(\\Delta t) = e^{A \\Delta t}, \\qquad
    Q(\\Delta t) = \\int_0^{\\Delta t} F(s)\\, G Q_c G^T F(s)^T \\, ds ,

which van Loan's method computes numerically; the models below write it in closed form. Because
the discretisation is exact, every model is consistent over time for steps of either sign:
``F(a + b) = F(b) F(a)`` and ``Q(a + b) = F(b) Q(a) F(b)^T + Q(b)``, so predicting once over
``a + b`` equals predicting twice. The tracker relies on this to keep each track at its own
last-update time and predict lazily. ``F(-Δt) = F(Δt)^{-1}`` exactly (backward prediction for
out-of-sequence measurements). ``Q(Δt)`` for ``Δt < 0`` is the same signed integral, i.e.
``Q(-Δt) = -F(-Δt) Q(Δt) F(-Δt)^T`` (negative semi-definite), the natural continuation of the NCV
polynomials; a retrodiction algorithm uses it or ``Q(|Δt|)`` as its derivation prescribes.

NCV (nearly constant velocity)
    ``A = [[0, I3], [0, 0]]``. Per axis the state is ``(p, v)`` driven by continuous white-noise
    acceleration of density ``q`` — the "continuous white noise acceleration" model of
    Bar-Shalom, Li & Kirubarajan (2001, §6.2.2):

    .. math::
        F_1(\\Delta t) = \\begin{pmatrix} 1 & \\Delta t \\\\ 0 & 1 \\end{pmatrix}, \\qquad
        Q_1(\\Delta t) = q \\begin{pmatrix} \\Delta t^3/3 & \\Delta t^2/2 \\\\
                                           \\Delta t^2/2 & \\Delta t \\end{pmatrix}

    and the 3D matrices interleave three such axes in the ``(pos, vel)`` block layout, with
    ``q_h`` on east and north and ``q_v`` on up.

CT (coordinated turn with known rate ω; Li & Jilkov 2003, "Survey of maneuvering target tracking I")
    Horizontally ``v̇ = ω J v`` with ``J = [[0, -1], [1, 0]]``, so the velocity rotates
    counter-clockwise (a left turn seen from above) for ``ω > 0``; vertically NCV. With
    ``θ = ω Δt``, ``R(θ) = [[cos θ, -sin θ], [sin θ, cos θ]]``:

    .. math::
        F_{vv} = R(\\theta), \\qquad
        F_{pv} = \\begin{pmatrix} \\sin\\theta/\\omega & -(1-\\cos\\theta)/\\omega \\\\
                                 (1-\\cos\\theta)/\\omega & \\sin\\theta/\\omega \\end{pmatrix}

    and the exact white-acceleration noise (isotropic ``q_h`` on east/north; every block of the
    form ``a I + b J``, which commute, so the integral is closed-form):

    .. math::
        Q_{pp} = 2 q_h \\Delta t^3 f_2(\\theta)\\, I, \\qquad
        Q_{vv} = q_h \\Delta t\\, I, \\qquad
        Q_{pv} = q_h \\Delta t^2 \\left(f_1(\\theta)\\, I - \\theta f_2(\\theta)\\, J\\right),

    with ``f1(θ) = (1 − cos θ)/θ²`` and ``f2(θ) = (θ − sin θ)/θ³``, evaluated as sinc products and
    a Taylor series near ``θ = 0`` so that ``ω → 0`` tends smoothly to NCV (``f1 → 1/2``,
    ``f2 → 1/6``) without cancellation.

Adaptive turn (the turn mode of an adaptive IMM; Munir & Atherton 1995)
    The CT model above with a rate per track, ``ω_k = ±clip(|ω̂_k|, ω_min, ω_max)`` from each
    track's turn-rate estimate: ``F (N, 6, 6)`` and ``Q (N, 6, 6)`` then differ per track as well
    as per step (:class:`AdaptiveTurnModel`).

Hover (integrated Ornstein–Uhlenbeck velocity; Singer 1970 with the roles of v and a moved down)
    Per axis ``ṗ = v``, ``v̇ = −v/τ + w``: the velocity is mean-reverting to zero with time
    constant ``τ`` (stationary velocity variance ``q τ / 2``) and the position integrates it, so a
    hovering or loitering-in-place drone wanders but does not coast away. With ``u = Δt/τ`` and
    ``a = 1 − e^{−u}`` (computed as ``−expm1(−u)``):

    .. math::
        F_1 = \\begin{pmatrix} 1 & \\tau a \\\\ 0 & 1 - a \\end{pmatrix}, \\quad
        Q_1 = q \\begin{pmatrix} \\tau^3 g(u) & \\tau^2 a^2/2 \\\\
                                 \\tau^2 a^2/2 & \\tau a (2 - a)/2 \\end{pmatrix},
        \\quad g(u) = u - a - a^2/2,

    with ``g(u) = u³/3 − u⁴/4 + 7u⁵/60 − …`` summed as a series for small ``|u|`` (the closed form
    cancels there). ``τ → ∞`` tends to NCV; ``Δt ≫ τ`` gives a velocity variance ``q τ/2`` and a
    position random walk of ``q τ²`` m² per second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import ConfigError

F64 = NDArray[np.float64]

#: Indices of the position and velocity components inside the state vector.
POS = slice(0, 3)
VEL = slice(3, 6)


@runtime_checkable
class MotionModel(Protocol):
    """A linear Gaussian motion model of the 6-D ENU state ``(e, n, u, ve, vn, vu)``.

    Every method takes time steps ``dt (K,)`` in seconds (a scalar is treated as ``(1,)``) of
    either sign and returns one matrix or number per step.
    """

    def transition(self, dt: ArrayLike) -> F64:
        """``F (K, 6, 6)``: ``x(t + dt) = F x(t)``; exact inverse for ``-dt``."""
        ...

    def process_noise(self, dt: ArrayLike) -> F64:
        """``Q (K, 6, 6)``: the signed integral ``∫₀^dt F(s) G Q_c Gᵀ F(s)ᵀ ds``; SPD for dt > 0."""
        ...

    def position_noise_trace(self, dt: F64) -> F64:
        """``tr Q_pp (K,)``, m²: the position part of the trace of ``Q(dt)``, for gate radii."""
        ...


def _as_steps(dt: ArrayLike) -> F64:
    out: F64 = np.atleast_1d(np.asarray(dt, dtype=np.float64))
    return out


def _require(value: float, name: str, ok: bool, expected: str, message: str) -> None:
    if not ok:
        raise ConfigError(message, field=name, expected=expected, actual=repr(value))


def _check_noise_density(value: float, name: str) -> None:
    _require(
        value,
        name,
        bool(np.isfinite(value) and value >= 0.0),
        ">= 0",
        "process noise density must be finite and non-negative",
    )


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


# --- coordinated turn -------------------------------------------------------------------------

#: Below this |θ| the series of f2(θ) = (θ − sin θ)/θ³ is used; the neglected θ¹⁰ term is < 1e-21
#: relative there, while the closed form loses about 1e-15/θ² relative just above it.
_F2_SERIES_MAX = 0.1
#: f2(θ) = Σ_k (−1)^k θ^{2k} / (2k + 3)!, k = 0..4.
_F2_COEFFS = tuple((-1.0) ** k / math.factorial(2 * k + 3) for k in range(5))


def _f1(theta: F64) -> F64:
    """``(1 − cos θ)/θ² = ½ sinc²(θ/2π)``, exact and smooth through ``θ = 0`` (value ½)."""
    s = np.sinc(theta / (2.0 * np.pi))
    out: F64 = 0.5 * s * s
    return out


def _f2(theta: F64) -> F64:
    """``(θ − sin θ)/θ³``: a Taylor series for ``|θ| < 0.1`` (value 1/6 at 0), closed form above."""
    t2 = theta * theta
    series = np.zeros_like(theta)
    for c in reversed(_F2_COEFFS):  # Horner in θ²
        series = series * t2 + c
    small = np.abs(theta) < _F2_SERIES_MAX
    safe = np.where(small, 1.0, theta)
    closed = (safe - np.sin(safe)) / safe**3
    out: F64 = np.where(small, series, closed)
    return out


def _steps_and_angles(dt: ArrayLike, turn_rate: ArrayLike) -> tuple[F64, F64]:
    """``dt (N,)`` and ``θ = ω Δt (N,)`` for a scalar rate or one rate per step (a single step
    is broadcast to the rates)."""
    dt = _as_steps(dt)
    w = np.asarray(turn_rate, dtype=np.float64)
    if w.ndim:
        if w.ndim != 1 or dt.shape[0] not in (1, w.shape[0]):
            raise ValueError(f"turn_rate {w.shape} must be a scalar or match dt {dt.shape}")
        dt = np.broadcast_to(dt, w.shape).copy()
    theta: F64 = w * dt
    return dt, theta


def ct_transition(dt: ArrayLike, turn_rate: ArrayLike) -> F64:
    """State transition matrices of the coordinated-turn model with known turn rate.

    Parameters
    ----------
    dt : (N,) float, s
        Time steps of either sign; a scalar is treated as ``(1,)``.
    turn_rate : float or (N,) float, rad/s
        ``ω``, one for all steps or one per step (the adaptive IMM's per-track rates); positive
        turns counter-clockwise seen from above (left).

    Returns
    -------
    F : (N, 6, 6) float
        Horizontal velocity rotated by ``R(ω Δt)``, horizontal position advanced by
        ``[[sin θ/ω, −(1−cos θ)/ω], [(1−cos θ)/ω, sin θ/ω]] v``, vertical NCV. Equals
        :func:`ncv_transition` for ``ω = 0`` and ``F(−Δt) = F(Δt)⁻¹``.
    """
    dt, theta = _steps_and_angles(dt, turn_rate)
    sin_w = dt * np.sinc(theta / np.pi)  # sin θ / ω
    half = np.sinc(theta / (2.0 * np.pi))
    cos_w = dt * (0.5 * theta) * half * half  # (1 − cos θ)/ω = 2 sin²(θ/2)/ω
    F = np.broadcast_to(np.eye(6), (dt.shape[0], 6, 6)).copy()
    F[:, 0, 3] = sin_w
    F[:, 0, 4] = -cos_w
    F[:, 1, 3] = cos_w
    F[:, 1, 4] = sin_w
    F[:, 2, 5] = dt
    c, s = np.cos(theta), np.sin(theta)
    F[:, 3, 3] = c
    F[:, 3, 4] = -s
    F[:, 4, 3] = s
    F[:, 4, 4] = c
    return F


def ct_process_noise(
    dt: ArrayLike, turn_rate: ArrayLike, q_horizontal: float, q_vertical: float
) -> F64:
    """Exact white-acceleration process noise of the coordinated-turn model.

    Parameters
    ----------
    dt : (N,) float, s
        Time steps; a scalar is treated as ``(1,)``. For ``Δt < 0`` the signed integral (see the
        module docstring).
    turn_rate : float or (N,) float, rad/s
        ``ω``, one for all steps or one per step.
    q_horizontal, q_vertical : float, m²/s³
        Acceleration noise spectral density on east/north (isotropic) and on up.

    Returns
    -------
    Q : (N, 6, 6) float
        ``Q_pp = 2 q_h Δt³ f2(θ) I2``, ``Q_pv = q_h Δt² (f1(θ) I2 − θ f2(θ) J)``,
        ``Q_vv = q_h Δt I2`` horizontally and the NCV block vertically; symmetric positive
        definite for ``Δt > 0`` and ``q > 0``; equal to :func:`ncv_process_noise` for ``ω = 0``.
    """
    dt, theta = _steps_and_angles(dt, turn_rate)
    dt2 = dt * dt
    f2 = _f2(theta)
    qpp = q_horizontal * 2.0 * dt2 * dt * f2
    qpv = q_horizontal * dt2 * _f1(theta)
    qpv_cross = q_horizontal * dt2 * theta * f2  # coefficient of −J in Q_pv
    Q = np.zeros((dt.shape[0], 6, 6))
    for p in (0, 1):
        Q[:, p, p] = qpp
        Q[:, p, p + 3] = qpv
        Q[:, p + 3, p] = qpv
        Q[:, p + 3, p + 3] = q_horizontal * dt
    # −θ f2 J = [[0, +θ f2], [−θ f2, 0]] in rows (e, n), columns (ve, vn)
    Q[:, 0, 4] = qpv_cross
    Q[:, 4, 0] = qpv_cross
    Q[:, 1, 3] = -qpv_cross
    Q[:, 3, 1] = -qpv_cross
    Q[:, 2, 2] = q_vertical * dt2 * dt / 3.0
    Q[:, 2, 5] = Q[:, 5, 2] = q_vertical * dt2 / 2.0
    Q[:, 5, 5] = q_vertical * dt
    return Q


def ct_position_noise_trace(
    dt: ArrayLike, turn_rate: float, q_horizontal: float, q_vertical: float
) -> F64:
    """``tr Q_pp (N,)`` of the coordinated turn, m²: ``4 q_h Δt³ f2(ω Δt) + q_v Δt³/3`` (the
    position block of :func:`ct_process_noise`, for gate radii)."""
    dt = _as_steps(dt)
    dt3 = dt * dt * dt
    out: F64 = 4.0 * q_horizontal * dt3 * _f2(turn_rate * dt) + (q_vertical * dt3 / 3.0)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CoordinatedTurnModel:
    """Horizontal coordinated turn at a known, fixed turn rate; NCV vertically.

    The velocity vector keeps its speed and rotates at ``ω``; unmodelled accelerations (a turn
    rate that differs from ``ω``, speed changes) enter as white acceleration noise and are
    discretised exactly through the turn dynamics (see the module docstring).

    Parameters
    ----------
    turn_rate : float, rad/s
        ``ω``, signed: positive is counter-clockwise seen from above (a left turn), negative a right
        turn. ``ω = 0`` is exactly :class:`NearlyConstantVelocityModel`.
    q_horizontal : float, m²/s³
        Acceleration noise spectral density on east and north.
    q_vertical : float, m²/s³
        Same on up.
    """

    turn_rate: float
    q_horizontal: float = 9.0
    q_vertical: float = 2.0

    def __post_init__(self) -> None:
        _require(
            self.turn_rate,
            "turn_rate",
            bool(np.isfinite(self.turn_rate)),
            "a finite rate in rad/s",
            "turn rate must be finite",
        )
        _check_noise_density(self.q_horizontal, "q_horizontal")
        _check_noise_density(self.q_vertical, "q_vertical")

    def transition(self, dt: ArrayLike) -> F64:
        """``F (N, 6, 6)`` for time steps ``dt (N,)`` in seconds (see :func:`ct_transition`)."""
        return ct_transition(dt, self.turn_rate)

    def process_noise(self, dt: ArrayLike) -> F64:
        """``Q (N, 6, 6)`` for time steps ``dt (N,)`` in seconds (see :func:`ct_process_noise`)."""
        return ct_process_noise(dt, self.turn_rate, self.q_horizontal, self.q_vertical)

    def position_noise_trace(self, dt: F64) -> F64:
        """``tr Q_pp (N,)``, m² (see :func:`ct_position_noise_trace`)."""
        return ct_position_noise_trace(dt, self.turn_rate, self.q_horizontal, self.q_vertical)


#: Default bounds on the rate of an :class:`AdaptiveTurnModel`, rad/s (also the defaults of
#: ``drone_imm(adaptive_turn=True)`` and ``TrackerConfig.imm_adaptive_min_rate``). The floor is the
#: fixed drone IMM's own turn rate, so that a straight-flying track's adaptive turn modes are the
#: default IMM's; above 1.5 rad/s no drone of the catalogue turns.
ADAPTIVE_MIN_RATE = 0.35
ADAPTIVE_MAX_RATE = 1.5


@dataclass(frozen=True, slots=True, kw_only=True)
class AdaptiveTurnModel:
    """Coordinated turn to one side whose rate is given per track at each prediction.

    The turn mode of an adaptive IMM (:func:`~dronewall.tracking.imm.drone_imm` with
    ``adaptive_turn=True``): the mode turns to ``side`` at ``|ω| = clip(|ω̂|, min_rate,
    max_rate)``, ``ω̂ (N,)`` each track's estimated turn rate
    (:func:`~dronewall.tracking.imm.turn_rate_update`), so that one left and one right mode follow
    a turn at any rate instead of a fixed grid. The maths are those of
    :class:`CoordinatedTurnModel` (:func:`ct_transition`, :func:`ct_process_noise`) with a rate per
    step; without rates (``turn_rate=None``) the model is the fixed-rate turn at
    ``side · nominal_rate``, so it also works wherever a plain :class:`MotionModel` is expected.

    Parameters
    ----------
    side : float
        ``+1`` turns left (counter-clockwise seen from above), ``-1`` right.
    nominal_rate : float, rad/s
        ``|ω|`` used when no per-track rates are given.
    min_rate, max_rate : float, rad/s
        Bounds on ``|ω|``: a straight-flying track (``ω̂ ≈ 0``) keeps its turn modes at
        ``min_rate``, ready for a turn, and a noisy estimate cannot spin them beyond ``max_rate``.
    q_horizontal, q_vertical : float, m²/s³
        Acceleration noise densities, as in :class:`CoordinatedTurnModel`.
    """

    side: float
    nominal_rate: float = 0.35
    min_rate: float = ADAPTIVE_MIN_RATE
    max_rate: float = ADAPTIVE_MAX_RATE
    q_horizontal: float = 9.0
    q_vertical: float = 2.0

    def __post_init__(self) -> None:
        _require(self.side, "side", self.side in (-1.0, 1.0), "+1 (left) or -1 (right)", "bad side")
        lo, hi = self.min_rate, self.max_rate
        _require(
            lo,
            "min_rate",
            bool(np.isfinite(lo) and np.isfinite(hi) and 0.0 < lo <= hi),
            "0 < min_rate <= max_rate, finite, rad/s",
            "turn rate bounds must be finite with 0 < min_rate <= max_rate",
        )
        _require(
            self.nominal_rate,
            "nominal_rate",
            bool(np.isfinite(self.nominal_rate) and self.nominal_rate > 0.0),
            "> 0 rad/s",
            "nominal turn rate must be finite and positive",
        )
        _check_noise_density(self.q_horizontal, "q_horizontal")
        _check_noise_density(self.q_vertical, "q_vertical")

    @property
    def turn_rate(self) -> float:
        """The signed nominal rate ``side · nominal_rate``, rad/s."""
        return self.side * self.nominal_rate

    def rates(self, turn_rate: ArrayLike | None) -> F64:
        """The signed rates the mode turns at: ``side · clip(|ω̂|, min_rate, max_rate)``, or the
        nominal rate for None (then a ``(1,)`` array)."""
        if turn_rate is None:
            return np.array([self.turn_rate])
        w = np.abs(np.atleast_1d(np.asarray(turn_rate, dtype=np.float64)))
        out: F64 = self.side * np.clip(
            np.nan_to_num(w, nan=self.nominal_rate), self.min_rate, self.max_rate
        )
        return out

    def transition(self, dt: ArrayLike, turn_rate: ArrayLike | None = None) -> F64:
        """``F (N, 6, 6)`` for steps ``dt (N,)`` s at per-step rates ``turn_rate (N,)`` rad/s
        (see :meth:`rates`, :func:`ct_transition`)."""
        w = self.rates(turn_rate)
        return ct_transition(dt, w if turn_rate is not None else float(w[0]))

    def process_noise(self, dt: ArrayLike, turn_rate: ArrayLike | None = None) -> F64:
        """``Q (N, 6, 6)`` for steps ``dt (N,)`` s at per-step rates ``turn_rate (N,)`` rad/s
        (see :meth:`rates`, :func:`ct_process_noise`)."""
        w = self.rates(turn_rate)
        return ct_process_noise(
            dt, w if turn_rate is not None else float(w[0]), self.q_horizontal, self.q_vertical
        )

    def position_noise_trace(self, dt: F64) -> F64:
        """``tr Q_pp (N,)``, m², at the smallest rate the mode may take (``min_rate``, or the
        nominal rate if smaller): an upper bound over all of them, ``f2(θ)`` falling with
        ``|θ|``; for gate radii."""
        w = min(self.min_rate, self.nominal_rate)
        return ct_position_noise_trace(dt, w, self.q_horizontal, self.q_vertical)


# --- hover: integrated Ornstein–Uhlenbeck velocity ---------------------------------------------

#: Below this |u| = |Δt|/τ the series of g(u) is used: its neglected u¹² term is < 1e-16 relative
#: there, while the closed form ``u − a − a²/2`` loses about 1e-15/u² relative just above it.
_G_SERIES_MAX = 0.05
#: g(u) = Σ_{k≥3} (−1)^k (2 − 2^{k−1}) u^k / k!, k = 3..11.
_G_COEFFS = tuple((-1.0) ** k * (2.0 - 2.0 ** (k - 1)) / math.factorial(k) for k in range(3, 12))


def _ou_g(u: F64) -> F64:
    """``g(u) = u − 2(1 − e^{−u}) + (1 − e^{−2u})/2 = u³/3 − u⁴/4 + …``, without cancellation."""
    series = np.zeros_like(u)
    for c in reversed(_G_COEFFS):  # Horner, then times u³
        series = series * u + c
    series = series * u * u * u
    a = -np.expm1(-u)
    closed = u - a - 0.5 * a * a
    out: F64 = np.where(np.abs(u) < _G_SERIES_MAX, series, closed)
    return out


def hover_transition(dt: ArrayLike, time_constant: float) -> F64:
    """State transition matrices of the hover (integrated Ornstein–Uhlenbeck) model.

    Parameters
    ----------
    dt : (N,) float, s
        Time steps of either sign; a scalar is treated as ``(1,)``.
    time_constant : float, s
        ``τ > 0``, the e-folding time of the velocity.

    Returns
    -------
    F : (N, 6, 6) float
        Per axis ``[[1, τ a], [0, 1 − a]]`` with ``a = 1 − e^{−Δt/τ}``; ``F(−Δt) = F(Δt)⁻¹``.
    """
    dt = _as_steps(dt)
    a = -np.expm1(-dt / time_constant)
    F = np.broadcast_to(np.eye(6), (dt.shape[0], 6, 6)).copy()
    i = np.arange(3)
    F[:, i, i + 3] = (time_constant * a)[:, None]
    F[:, i + 3, i + 3] = np.exp(-dt / time_constant)[:, None]  # not 1 − a: exact for dt ≫ τ
    return F


def hover_process_noise(
    dt: ArrayLike, time_constant: float, q_horizontal: float, q_vertical: float
) -> F64:
    """Exact process noise of the hover (integrated Ornstein–Uhlenbeck) model.

    Parameters
    ----------
    dt : (N,) float, s
        Time steps; a scalar is treated as ``(1,)``. For ``Δt < 0`` the signed integral.
    time_constant : float, s
        ``τ > 0``.
    q_horizontal, q_vertical : float, m²/s³
        Spectral density of the white acceleration driving the velocity on east/north and on up;
        the stationary velocity variance is ``q τ/2`` (m²/s²).

    Returns
    -------
    Q : (N, 6, 6) float
        Per axis ``q [[τ³ g(u), τ² a²/2], [τ² a²/2, τ a (2 − a)/2]]``; symmetric positive
        definite for ``Δt > 0`` and ``q > 0`` at any ``Δt/τ``.
    """
    dt = _as_steps(dt)
    tau = time_constant
    u = dt / tau
    a = -np.expm1(-u)
    q = np.array([q_horizontal, q_horizontal, q_vertical], dtype=np.float64)
    qpp = q * (tau**3 * _ou_g(u))[:, None]
    qpv = q * (0.5 * tau * tau * a * a)[:, None]
    qvv = q * (0.5 * tau * a * (2.0 - a))[:, None]
    Q = np.zeros((dt.shape[0], 6, 6))
    i = np.arange(3)
    Q[:, i, i] = qpp
    Q[:, i, i + 3] = qpv
    Q[:, i + 3, i] = qpv
    Q[:, i + 3, i + 3] = qvv
    return Q


@dataclass(frozen=True, slots=True, kw_only=True)
class HoverModel:
    """Nearly constant position: velocity decays to zero with time constant ``τ``.

    For a hovering quadcopter or a drone loitering in place: its velocity is a zero-mean
    Ornstein–Uhlenbeck process (gusts and station-keeping corrections) and its position the
    integral of it, so predictions stop after about ``τ`` of travel instead of coasting on.

    Parameters
    ----------
    time_constant : float, s
        ``τ > 0``, e-folding time of the velocity. The default 3 s: a station-keeping controller
        cancels a disturbance within a few seconds.
    q_horizontal : float, m²/s³
        White acceleration density on east and north; the stationary horizontal speed standard
        deviation per axis is ``sqrt(q τ / 2)``. The default 2/3 gives 1 m/s at ``τ = 3`` s.
    q_vertical : float, m²/s³
        Same on up; the default 1/6 gives 0.5 m/s at ``τ = 3`` s.
    """

    time_constant: float = 3.0
    q_horizontal: float = 2.0 / 3.0
    q_vertical: float = 1.0 / 6.0

    def __post_init__(self) -> None:
        tau = self.time_constant
        _require(
            tau,
            "time_constant",
            bool(np.isfinite(tau) and tau > 0.0),
            "> 0 s",
            "velocity time constant must be finite and positive",
        )
        _check_noise_density(self.q_horizontal, "q_horizontal")
        _check_noise_density(self.q_vertical, "q_vertical")

    def transition(self, dt: ArrayLike) -> F64:
        """``F (N, 6, 6)`` for time steps ``dt (N,)`` in seconds (see :func:`hover_transition`)."""
        return hover_transition(dt, self.time_constant)

    def process_noise(self, dt: ArrayLike) -> F64:
        """``Q (N, 6, 6)`` for ``dt (N,)`` in seconds (see :func:`hover_process_noise`)."""
        return hover_process_noise(dt, self.time_constant, self.q_horizontal, self.q_vertical)

    def position_noise_trace(self, dt: F64) -> F64:
        """``tr Q_pp (N,)``, m²: ``(2 q_h + q_v) τ³ g(Δt/τ)``."""
        dt = _as_steps(dt)
        tau = self.time_constant
        out: F64 = (2.0 * self.q_horizontal + self.q_vertical) * tau**3 * _ou_g(dt / tau)
        return out
