"""Interacting multiple model (IMM) kernels: mode switching, mixing, prediction, combination.

Data layout
-----------
Batch-first, float64. ``N`` tracks each carry ``r`` mode-conditioned estimates of the common 6-D
state ``(e, n, u, ve, vn, vu)`` (m, m/s, local ENU): mode probabilities ``mu (N, r)``, states
``x (N, r, 6)`` and covariances ``P (N, r, 6, 6)``. Mode transition matrices are ``Pi (N, r, r)``
with ``Pi[k, i, j] = P(mode j at t + Δt | mode i at t)``. Every kernel is a pure function; loops
run over the ``r`` modes (``r ≤ 4`` in practice), never over tracks.

Maths
-----
Mode switching is a continuous-time Markov chain with generator ``Λ (r, r)``: mode ``i`` lasts an
exponential time of mean ``T_i`` and then jumps to ``j ≠ i`` with probability ``p_ij``, so
``Λ_ii = −1/T_i``, ``Λ_ij = p_ij / T_i``, and over a step ``Π(Δt) = exp(Λ Δt)`` — exact for any
(irregular) revisit interval, unlike a fixed per-scan matrix.

One IMM cycle (Blom & Bar-Shalom 1988; Bar-Shalom, Li & Kirubarajan 2001, ch. 11):

1. Interaction (mixing)::

       c_j     = Σ_i Π_ij μ_i                            predicted mode probability
       μ_{i|j} = Π_ij μ_i / c_j                          mixing weights
       x0_j    = Σ_i μ_{i|j} x_i
       P0_j    = Σ_i μ_{i|j} (P_i + (x_i − x0_j)(x_i − x0_j)ᵀ)

2. Mode-matched prediction with each model ``j``: ``x⁻_j = F_j x0_j``,
   ``P⁻_j = F_j P0_j F_jᵀ + Q_j``; then the mode-matched update (any Kalman update, per mode)
   giving log-likelihoods ``ℓ_j = ln N(ν_j; 0, S_j)``.
3. Mode probability update: ``μ_j ∝ c_j exp(ℓ_j)`` (log-sum-exp, with a floor).
4. Output by moment matching: ``x = Σ_j μ_j x_j``, ``P = Σ_j μ_j (P_j + (x_j − x)(x_j − x)ᵀ)``.

Adaptive IMM
------------
A fixed turn rate loses when the target turns at another: the acceleration error of a rate
mismatch ``Δω`` is ``v |Δω|``. The adaptive IMM (AIMM, Munir & Atherton 1995, IEE Proc. Radar
Sonar Navig. 142(1), which re-centres its manoeuvre models on a running estimate of the target's
acceleration; Li & Jilkov 2005, "Survey of maneuvering target tracking V: multiple-model
methods", IEEE T-AES 41(4), on such adaptive model sets) keeps the 6-D state and moves the turn
modes instead: each track carries a turn-rate estimate ``ω̂ (N,)`` with variance ``σ²_ω (N,)``,
and its turn modes turn at ``±clip(|ω̂|, ω_min, ω_max)``
(:class:`~dronewall.tracking.models.AdaptiveTurnModel`), so that ``F_j`` and ``Q_j`` are
``(N, 6, 6)`` per track as well as per step. ``ω̂`` is a scalar Kalman filter per track on the
rotation of the IMM's combined velocity between updates (:func:`turn_rate_update`)::

    ω_m = atan2(v₀ × v₁, v₀ · v₁) / Δt       measured rate, v₀, v₁ the horizontal velocities
    R_ω = (σ²_φ₀ + σ²_φ₁) / Δt²              σ²_φ = (J v)ᵀ P_vv (J v) / |v|⁴, J = [[0, −1], [1, 0]]
    σ²_ω ← min(σ²_ω + q_ω Δt, σ²_max);  K = σ²_ω / (σ²_ω + R_ω)
    ω̂ ← clip(ω̂ + K (ω_m − ω̂), −ω_max, ω_max);  σ²_ω ← (1 − K) σ²_ω

(random-walk rate, ``q_ω`` in rad²/s³; ``σ_max`` the prior standard deviation of a new track,
so that a long coast does not leave a variance that lets one noisy heading set the rate; no
measurement below a minimum speed, where the heading is noise, nor where ``Δt ω_max ≥ π``, where
the rotation may have wrapped past ±π).

``σ²_ω`` is conservative, not a consistent variance: on constant turns at 0.3 and 1 rad/s
(20 m/s, 10 m fixes at 1 Hz, after 15 scans) the mean of ``(ω̂ − ω)² / σ²_ω`` was measured at
about 0.1, i.e. ``σ²_ω`` about 8-10 times too large. Two reasons: successive measurements share a
heading error (``v₁`` of one step is ``v₀`` of the next, and the filtered velocities are
correlated in time), which ``R_ω``, built as if the heading errors were independent and fresh at
each step, does not know; and at a turn's onset the filtered velocity lags the true one, so ``q_ω``
must be large enough to follow it. The filter is then slower than an optimal one, not
overconfident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import ConfigError
from dronewall.tracking.models import (
    ADAPTIVE_MAX_RATE,
    ADAPTIVE_MIN_RATE,
    AdaptiveTurnModel,
    CoordinatedTurnModel,
    HoverModel,
    MotionModel,
    NearlyConstantVelocityModel,
)

F64 = NDArray[np.float64]
#: ``(λ (r,), V (r, r), V⁻¹ (r, r))``, real when every eigenvalue is real, else complex.
_Eig = tuple[NDArray[np.inexact[Any]], NDArray[np.inexact[Any]], NDArray[np.inexact[Any]]]

#: Default floor on every mode probability after an update (see :func:`imm_update_probabilities`).
MODE_PROBABILITY_FLOOR = 1e-9

#: Above this condition number of the eigenvector matrix of ``Λ`` (nearly defective generator) the
#: transition matrices are computed with a batched Padé ``expm`` instead of the eigen-decomposition.
_EIG_COND_MAX = 1e8


def _symmetrise(P: F64) -> F64:
    out: F64 = 0.5 * (P + np.swapaxes(P, -1, -2))
    return out


def _eigendecomposition(Lam: F64) -> _Eig | None:
    """``Λ = V diag(λ) V⁻¹``, or None when ``V`` is too ill-conditioned (near-defective ``Λ``)."""
    lam, V = np.linalg.eig(Lam)
    with np.errstate(all="ignore"):
        cond = np.linalg.cond(V)
    # a NaN or infinite condition number (exactly defective Λ) also takes the expm path
    if not (np.isfinite(cond) and cond < _EIG_COND_MAX) or not np.all(np.isfinite(lam)):
        return None
    if np.all(np.abs(lam.imag) <= 1e-14 * np.abs(lam).max()):
        # real spectrum (always so for a reversible chain): stay in real arithmetic
        lam, V = lam.real, V.real
    try:
        Vinv = np.linalg.solve(V, np.eye(Lam.shape[0], dtype=V.dtype))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(Vinv)):
        return None
    return lam, V, Vinv


def _config_error(message: str, name: str, expected: str, actual: object) -> ConfigError:
    return ConfigError(message, field=name, expected=expected, actual=repr(actual))


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeSwitching:
    """A continuous-time Markov chain of motion modes, discretised exactly per time step.

    Parameters
    ----------
    mean_sojourn_s : (r,) tuple of float, s
        Mean time ``T_i`` spent in mode ``i`` before leaving it (exponentially distributed).
    jump_probabilities : (r, r) nested tuple of float, optional
        ``p_ij``: where a jump out of mode ``i`` lands; zero diagonal, rows summing to one. Default:
        uniform over the other modes, ``p_ij = 1/(r − 1)``. With the default the chain is
        reversible and spends the fraction ``T_i / Σ T`` of the time in mode ``i``.

    Notes
    -----
    Generator ``Λ_ii = −1/T_i``, ``Λ_ij = p_ij/T_i``. ``Λ = V diag(λ) V⁻¹`` is decomposed once at
    construction, so ``Π(Δt) = V diag(e^{λ Δt}) V⁻¹`` costs one batched ``(K, r, r)`` product; a
    nearly defective ``Λ`` falls back to :func:`scipy.linalg.expm` on the batch.
    """

    mean_sojourn_s: tuple[float, ...]
    jump_probabilities: tuple[tuple[float, ...], ...] | None = None
    _generator: F64 = field(init=False, repr=False, compare=False)
    _eig: _Eig | None = field(init=False, repr=False, compare=False)
    _stationary: F64 = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        T = np.asarray(self.mean_sojourn_s, dtype=np.float64)
        if T.ndim != 1 or T.shape[0] < 1:
            raise _config_error(
                "need one mean sojourn time per mode", "mean_sojourn_s", "(r,), r >= 1", T.shape
            )
        if not np.all(np.isfinite(T) & (T > 0.0)):
            raise _config_error(
                "mean sojourn times must be finite and positive",
                "mean_sojourn_s",
                "> 0 s",
                self.mean_sojourn_s,
            )
        r = T.shape[0]
        if self.jump_probabilities is None:
            p = (np.ones((r, r)) - np.eye(r)) / max(r - 1, 1)
        else:
            p = np.asarray(self.jump_probabilities, dtype=np.float64)
            if p.shape != (r, r):
                raise _config_error(
                    "jump probabilities must be an r x r matrix",
                    "jump_probabilities",
                    f"({r}, {r})",
                    p.shape,
                )
            if not (np.all(np.isfinite(p)) and np.all(p >= 0.0) and np.all(np.diag(p) == 0.0)):
                raise _config_error(
                    "jump probabilities must be finite, non-negative, with a zero diagonal",
                    "jump_probabilities",
                    "p_ij >= 0, p_ii = 0",
                    self.jump_probabilities,
                )
            if r > 1 and not np.allclose(p.sum(axis=1), 1.0, rtol=0.0, atol=1e-9):
                raise _config_error(
                    "each row of jump probabilities must sum to one",
                    "jump_probabilities",
                    "row sums 1",
                    p.sum(axis=1).tolist(),
                )
        set_ = object.__setattr__
        set_(self, "mean_sojourn_s", tuple(float(v) for v in T))
        if self.jump_probabilities is not None:
            set_(self, "jump_probabilities", tuple(tuple(float(v) for v in row) for row in p))
        Lam = p / T[:, None]
        Lam[np.diag_indices(r)] = -1.0 / T if r > 1 else 0.0
        Lam.setflags(write=False)
        set_(self, "_generator", Lam)
        set_(self, "_eig", _eigendecomposition(Lam))
        # π Λ = 0, Σ π = 1: least squares on the stacked system (unique when irreducible).
        A = np.vstack([Lam.T, np.ones((1, r))])
        b = np.zeros(r + 1)
        b[-1] = 1.0
        pi = np.clip(np.linalg.lstsq(A, b, rcond=None)[0], 0.0, None)
        pi = pi / pi.sum()
        pi.setflags(write=False)
        set_(self, "_stationary", pi)

    @property
    def n_modes(self) -> int:
        """``r``, the number of modes."""
        return len(self.mean_sojourn_s)

    @property
    def generator(self) -> F64:
        """``Λ (r, r)``, 1/s: off-diagonal jump rates, rows summing to zero (read-only)."""
        return self._generator

    def stationary_distribution(self) -> F64:
        """``π (r,)`` with ``π Λ = 0`` and ``Σ π = 1``: long-run fraction of time in each mode."""
        return self._stationary.copy()

    def transition_matrix(self, dt: ArrayLike) -> F64:
        """Mode transition matrices over time steps, ``Π(Δt) = exp(Λ Δt)``.

        Parameters
        ----------
        dt : (K,) float, s
            Time steps; a scalar is treated as ``(1,)``. For ``Δt < 0`` (backward prediction)
            the time-reversed chain at stationarity, ``Π̃_ij = π_j Π_ji(|Δt|) / π_i`` — the
            probability of having been in mode ``j`` ``|Δt|`` earlier given mode ``i`` now; for
            the default (reversible) chain this equals ``Π(|Δt|)``, and it is used as such when
            a reducible chain has a zero stationary probability.

        Returns
        -------
        Pi : (K, r, r) float
            Row-stochastic: ``Pi[k, i, j] = P(mode j at t + Δt_k | mode i at t)``; round-off
            negatives clipped to zero and rows renormalised. ``Π(0) = I``,
            ``Π(a + b) = Π(a) Π(b)`` for ``a, b ≥ 0``, and ``π Π(Δt) = π``.
        """
        dt = np.atleast_1d(np.asarray(dt, dtype=np.float64))
        tau = np.abs(dt)
        r = self.n_modes
        if r == 1:
            return np.ones((dt.shape[0], 1, 1))
        k = dt.shape[0]
        if self._eig is not None:
            lam, V, Vinv = self._eig
            E = np.exp(lam[None, :] * tau[:, None])  # (K, r)
            # V diag(E) V⁻¹ as one (K r, r) @ (r, r) product
            Pi = ((V[None, :, :] * E[:, None, :]).reshape(k * r, r) @ Vinv).real.reshape(k, r, r)
        else:
            Pi = np.asarray(scipy.linalg.expm(self._generator[None] * tau[:, None, None]))
        Pi = np.clip(Pi, 0.0, None)
        Pi[tau == 0.0] = np.eye(r)  # exactly, not up to round-off
        back = dt < 0.0
        pi = self._stationary
        if np.any(back) and np.all(pi > 0.0):
            rev = np.swapaxes(Pi[back], 1, 2) * pi[None, None, :] / pi[None, :, None]
            Pi[back] = rev
        out: F64 = Pi / Pi.sum(axis=2, keepdims=True)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractingMultipleModel:
    """A set of motion models that share the 6-D ENU state, and how a target switches between them.

    Parameters
    ----------
    models : tuple of MotionModel
        The ``r`` mode-matched models (each with ``transition``, ``process_noise``,
        ``position_noise_trace``).
    switching : ModeSwitching
        The mode Markov chain; its number of modes must be ``r``.
    initial_probabilities : (r,) tuple of float, optional
        Mode probabilities of a new track; non-negative, summing to one (renormalised). Default
        ``()``: the stationary distribution of ``switching`` (the long-run fraction of time targets
        spend in each mode), filled in at construction, so the field is always ``(r,)`` after it.
    mode_names : tuple of str, optional
        One short name per mode, for logs and pictures; default ``mode0``, ``mode1``, ...
    """

    models: tuple[MotionModel, ...]
    switching: ModeSwitching
    initial_probabilities: tuple[float, ...] = ()
    mode_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        r = len(self.models)
        if r < 1:
            raise _config_error("an IMM needs at least one model", "models", ">= 1 model", r)
        for k, m in enumerate(self.models):
            if not isinstance(m, MotionModel):
                raise _config_error(
                    "not a motion model (needs transition, process_noise, position_noise_trace)",
                    f"models[{k}]",
                    "MotionModel",
                    type(m).__name__,
                )
        if self.switching.n_modes != r:
            raise _config_error(
                "mode switching and models disagree on the number of modes",
                "switching.mean_sojourn_s",
                f"{r} modes",
                self.switching.n_modes,
            )
        mu0 = (
            np.asarray(self.initial_probabilities, dtype=np.float64)
            if len(self.initial_probabilities)
            else self.switching.stationary_distribution()
        )
        ok = (
            mu0.shape == (r,)
            and bool(np.all(np.isfinite(mu0) & (mu0 >= 0.0)))
            and math.isclose(float(mu0.sum()), 1.0, abs_tol=1e-6)
        )
        if not ok:
            raise _config_error(
                "initial mode probabilities must be r non-negative numbers summing to one",
                "initial_probabilities",
                f"({r},), >= 0, sum 1",
                self.initial_probabilities,
            )
        object.__setattr__(self, "initial_probabilities", tuple(float(v) for v in mu0 / mu0.sum()))
        names = self.mode_names or tuple(f"mode{k}" for k in range(r))
        if len(names) != r or len(set(names)) != r:
            raise _config_error(
                "need one distinct name per mode", "mode_names", f"{r} distinct names", names
            )
        object.__setattr__(self, "mode_names", tuple(names))

    @property
    def n_modes(self) -> int:
        """``r``, the number of modes."""
        return len(self.models)

    @property
    def adaptive(self) -> bool:
        """Whether a mode's rate is set per track (an
        :class:`~dronewall.tracking.models.AdaptiveTurnModel` among the models): the predictions
        then take each track's estimated turn rate (``turn_rate`` of :func:`imm_predict`)."""
        return any(isinstance(m, AdaptiveTurnModel) for m in self.models)

    def initial_mode_probabilities(self) -> F64:
        """``μ0 (r,)`` for a new track, as an array."""
        return np.asarray(self.initial_probabilities, dtype=np.float64)

    def transition_matrix(self, dt: ArrayLike) -> F64:
        """``Π (K, r, r)`` over ``dt (K,)`` s; see :meth:`ModeSwitching.transition_matrix`."""
        return self.switching.transition_matrix(dt)


def _mode_matrices(model: MotionModel, dt: F64, turn_rate: F64 | None) -> tuple[F64, F64]:
    """``F (N, 6, 6)``, ``Q (N, 6, 6)`` of one mode over ``dt (N,)``: an adaptive turn mode at
    the per-track rates ``turn_rate (N,)`` when given, every other model as it is."""
    if turn_rate is not None and isinstance(model, AdaptiveTurnModel):
        return model.transition(dt, turn_rate), model.process_noise(dt, turn_rate)
    return model.transition(dt), model.process_noise(dt)


def _track_rates(turn_rate: ArrayLike | None, n: int) -> F64 | None:
    if turn_rate is None:
        return None
    out: F64 = np.broadcast_to(np.asarray(turn_rate, dtype=np.float64), (n,))
    return out


def imm_mix(mu: F64, x: F64, P: F64, Pi: F64) -> tuple[F64, F64, F64]:
    """IMM interaction step: predicted mode probabilities and mixed initial conditions.

    Parameters
    ----------
    mu : (N, r) float
        Mode probabilities ``μ_i`` at the last update (rows sum to one).
    x : (N, r, 6) float
        Mode-conditioned states.
    P : (N, r, 6, 6) float
        Mode-conditioned covariances.
    Pi : (N, r, r) float
        Mode transition matrices over each track's step, ``Pi[k, i, j] = P(j | i)``.

    Returns
    -------
    mu_pred : (N, r) float
        ``c_j = Σ_i Π_ij μ_i``.
    x0 : (N, r, 6) float
        ``x0_j = Σ_i μ_{i|j} x_i`` with ``μ_{i|j} = Π_ij μ_i / c_j``.
    P0 : (N, r, 6, 6) float
        ``P0_j = Σ_i μ_{i|j} (P_i + (x_i − x0_j)(x_i − x0_j)ᵀ)``, symmetrised. A mode that no mode
        can reach (``c_j = 0``) keeps its own ``x_j``, ``P_j``.
    """
    mu = np.asarray(mu, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    Pi = np.asarray(Pi, dtype=np.float64)
    n, r, d = x.shape
    joint = Pi * mu[:, :, None]  # Π_ij μ_i, (N, i, j)
    c = joint.sum(axis=1)  # (N, j)
    reachable = c > 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        w = joint / c[:, None, :]
    w = np.where(reachable[:, None, :], w, np.eye(r)[None])  # μ_{i|j}, columns sum to one
    wT = np.swapaxes(w, 1, 2)  # (N, j, i)
    x0 = wT @ x  # (N, j, 6)
    P0 = (wT @ P.reshape(n, r, d * d)).reshape(n, r, d, d)
    D = x[:, None, :, :] - x0[:, :, None, :]  # (N, j, i, 6): x_i − x0_j
    WD = D * wT[..., None]
    P0 = P0 + np.swapaxes(WD, 2, 3) @ D  # Σ_i μ_{i|j} D Dᵀ
    return c, x0, _symmetrise(P0)


def imm_predict(
    imm: InteractingMultipleModel,
    x0: F64,
    P0: F64,
    dt: ArrayLike,
    *,
    turn_rate: ArrayLike | None = None,
) -> tuple[F64, F64]:
    """Mode-matched prediction: each mode's mixed estimate through its own model.

    Parameters
    ----------
    imm : InteractingMultipleModel
        Supplies ``F_j(Δt)`` and ``Q_j(Δt)`` for each of its ``r`` modes.
    x0 : (N, r, 6) float
        Mixed states.
    P0 : (N, r, 6, 6) float
        Mixed covariances.
    dt : (N,) or scalar float, s
        Per-track time steps (either sign; see :mod:`dronewall.tracking.models`).
    turn_rate : (N,) float, rad/s, optional
        Each track's estimated turn rate ``ω̂`` (adaptive IMM, :func:`turn_rate_update`): the
        :class:`~dronewall.tracking.models.AdaptiveTurnModel` modes turn at ``±clip(|ω̂|)``, so
        their ``F_j``, ``Q_j`` are per track. None: every mode at its own fixed parameters.

    Returns
    -------
    x_pred : (N, r, 6) float
        ``F_j x0_j``.
    P_pred : (N, r, 6, 6) float
        ``F_j P0_j F_jᵀ + Q_j``, symmetrised.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    P0 = np.asarray(P0, dtype=np.float64)
    n = x0.shape[0]
    dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), (n,))
    w = _track_rates(turn_rate, n)
    x_pred = np.empty_like(x0)
    P_pred = np.empty_like(P0)
    for j, model in enumerate(imm.models):  # over modes, never over tracks
        F, Q = _mode_matrices(model, dt, w)
        x_pred[:, j] = np.einsum("nab,nb->na", F, x0[:, j])  # x⁻ = F x
        P_pred[:, j] = F @ P0[:, j] @ np.swapaxes(F, 1, 2) + Q  # P⁻ = F P Fᵀ + Q
    return x_pred, _symmetrise(P_pred)


def imm_mix_predict(
    imm: InteractingMultipleModel,
    mu: F64,
    x: F64,
    P: F64,
    dt: ArrayLike,
    *,
    turn_rate: ArrayLike | None = None,
) -> tuple[F64, F64, F64]:
    """Transition matrices, interaction and mode-matched prediction in one call.

    Parameters
    ----------
    imm : InteractingMultipleModel
    mu : (N, r) float
        Mode probabilities at each track's last update.
    x : (N, r, 6) float
        Mode-conditioned states.
    P : (N, r, 6, 6) float
        Mode-conditioned covariances.
    dt : (N,) or scalar float, s
        Per-track time steps.
    turn_rate : (N,) float, rad/s, optional
        Per-track turn rates of the adaptive turn modes (see :func:`imm_predict`).

    Returns
    -------
    mu_pred : (N, r) float
        Predicted mode probabilities ``c_j``.
    x_pred : (N, r, 6) float
        Mode-matched predicted states.
    P_pred : (N, r, 6, 6) float
        Mode-matched predicted covariances.
    """
    mu = np.asarray(mu, dtype=np.float64)
    dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), (mu.shape[0],))
    Pi = imm.switching.transition_matrix(dt)
    mu_pred, x0, P0 = imm_mix(mu, x, P, Pi)
    x_pred, P_pred = imm_predict(imm, x0, P0, dt, turn_rate=turn_rate)
    return mu_pred, x_pred, P_pred


def imm_predicted_positions(
    imm: InteractingMultipleModel,
    mu: F64,
    x: F64,
    P: F64,
    dt: ArrayLike,
    *,
    turn_rate: ArrayLike | None = None,
) -> tuple[F64, F64]:
    """Position mean and per-axis variance of each mode's prediction, without the 6x6 products.

    The same numbers as the position part of :func:`imm_mix_predict` (mean ``m_j`` and the
    diagonal of the position block of ``P⁻_j``), for a search radius that must cover every mode's
    gate: with ``A_j = F_j[:3, :]`` (3 x 6), ``p_ij = A_j x_i`` and the mixing weights
    ``w_ij = μ_{i|j}``,

        m_j      = Σ_i w_ij p_ij                                        (= A_j x0_j)
        var_j,a  = Σ_i w_ij ((A_j P_i A_jᵀ)_aa + (p_ij − m_j)_a²) + Q_j,aa

    (the mixing spread passes through ``A_j`` term by term). Cost ``O(N r²)`` small products.

    Parameters
    ----------
    imm : InteractingMultipleModel
    mu : (N, r) float
        Mode probabilities at each track's last update.
    x : (N, r, 6) float
        Mode-conditioned states.
    P : (N, r, 6, 6) float
        Mode-conditioned covariances.
    dt : (N,) or scalar float, s
        Per-track time steps.
    turn_rate : (N,) float, rad/s, optional
        Per-track turn rates of the adaptive turn modes (see :func:`imm_predict`).

    Returns
    -------
    mean : (N, r, 3) float, m
        Each mode's predicted position ``m_j``.
    var : (N, r, 3) float, m²
        The diagonal of each mode's predicted position covariance (east, north, up).
    """
    mu = np.asarray(mu, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    n, r, _ = x.shape
    dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), (n,))
    Pi = imm.switching.transition_matrix(dt)
    joint = Pi * mu[:, :, None]  # Π_ij μ_i, (N, i, j)
    c = joint.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = joint / c[:, None, :]
    w = np.where((c > 0.0)[:, None, :], w, np.eye(r)[None])  # as in imm_mix
    rates = _track_rates(turn_rate, n)
    # filled mode by mode, so that each mode's full (N, 6, 6) F and Q is freed before the next
    A = np.empty((n, r, 3, 6))  # (N, j, 3, 6): position rows of F_j
    q = np.empty((n, r, 3))  # (N, j, 3): diagonal of Q_j's position block
    for j, model in enumerate(imm.models):
        F, Q = _mode_matrices(model, dt, rates)
        A[:, j] = F[:, :3, :]
        q[:, j] = np.diagonal(Q[:, :3, :3], axis1=1, axis2=2)
    del F, Q
    p = A @ np.swapaxes(x, 1, 2)[:, None]  # (N, j, 3, i): A_j x_i
    wT = np.swapaxes(w, 1, 2)  # (N, j, i)
    mean = (p @ wT[..., None])[..., 0]  # (N, j, 3)
    d = p - mean[..., None]
    spread = (d * d) @ wT[..., None]  # Σ_i w_ij (p_ij − m_j)², (N, j, 3, 1)
    # Σ_i w_ij A_j P_i A_jᵀ = A_j (Σ_i w_ij P_i) A_jᵀ: one 3x6 product per mode, not r
    Pw = (wT @ P.reshape(n, r, 36)).reshape(n, r, 6, 6)
    var: F64 = np.sum((A @ Pw) * A, axis=-1) + spread[..., 0] + q
    out_mean: F64 = mean
    return out_mean, var


def imm_combine(mu: F64, x: F64, P: F64) -> tuple[F64, F64]:
    """Moment-matched single Gaussian of the mode mixture (the IMM output estimate).

    Parameters
    ----------
    mu : (N, r) float
        Mode probabilities (rows sum to one).
    x : (N, r, 6) float
        Mode-conditioned states.
    P : (N, r, 6, 6) float
        Mode-conditioned covariances.

    Returns
    -------
    x : (N, 6) float
        ``Σ_j μ_j x_j``.
    P : (N, 6, 6) float
        ``Σ_j μ_j (P_j + (x_j − x)(x_j − x)ᵀ)``, symmetrised.
    """
    mu = np.asarray(mu, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    n, r, d = x.shape
    xc = np.einsum("nj,nja->na", mu, x)
    D = x - xc[:, None, :]  # (N, r, 6)
    Pc = (mu[:, None, :] @ P.reshape(n, r, d * d)).reshape(n, d, d)
    Pc = Pc + np.swapaxes(D * mu[:, :, None], 1, 2) @ D
    return xc, _symmetrise(Pc)


def imm_update_probabilities(
    mu_pred: F64, log_likelihood: F64, *, floor: float = MODE_PROBABILITY_FLOOR
) -> F64:
    """Posterior mode probabilities from predicted ones and mode-matched measurement likelihoods.

    ``μ_j = c_j exp(ℓ_j) / Σ_k c_k exp(ℓ_k)``, evaluated as ``exp(ln c_j + ℓ_j − m)`` with ``m``
    the row maximum (log-sum-exp), so likelihoods of ``e^{-1000}`` do not underflow to 0/0.

    A mode whose log-likelihood is not finite (NaN from a failed update, ``±inf`` from a
    degenerate innovation covariance) gets no weight from this measurement. If no mode of a row
    has a finite term, the measurement carries no usable information and ``mu_pred`` is kept.
    Finally every mode is lifted to at least ``floor``, keeping the sum one:
    ``μ ← floor + (1 − r·floor) μ``, so that no mode dies forever — a mode at probability zero
    could never win back the track however well it fits later measurements, and the floor
    (default 1e-9) is far below anything that changes an estimate.

    Parameters
    ----------
    mu_pred : (N, r) float
        Predicted mode probabilities ``c_j``.
    log_likelihood : (N, r) float
        ``ℓ_j = ln N(ν_j; 0, S_j)`` of each track's measurement under each mode.
    floor : float
        Minimum probability of every mode, ``0 <= floor < 1/r``.

    Returns
    -------
    mu : (N, r) float
        Posterior mode probabilities, rows summing to one, each ``>= floor``.
    """
    mu_pred = np.asarray(mu_pred, dtype=np.float64)
    ll = np.asarray(log_likelihood, dtype=np.float64)
    r = mu_pred.shape[1]
    if not 0.0 <= floor * r < 1.0:
        raise ValueError(f"floor must be in [0, 1/r) for r = {r} modes, got {floor}")
    finite = np.isfinite(ll)
    logw = np.full(ll.shape, -np.inf)
    with np.errstate(divide="ignore"):
        logw[finite] = np.log(mu_pred[finite]) + ll[finite]  # ln c_j + ℓ_j; 0 → −inf
    m = logw.max(axis=1, keepdims=True)
    informative = np.isfinite(m[:, 0])
    w = np.exp(logw - np.where(informative[:, None], m, 0.0))
    post = w / np.where(informative, w.sum(axis=1), 1.0)[:, None]
    mu = np.where(informative[:, None], post, mu_pred)
    mu = mu / mu.sum(axis=1, keepdims=True)
    out: F64 = floor + (1.0 - r * floor) * mu
    return out


def imm_gate_pairs(mu: F64, d2: F64, log_likelihood: F64) -> tuple[F64, F64]:
    """Gate and association likelihood of track-detection pairs under the IMM's mode mixture.

    The predicted measurement density of an IMM track is the mixture
    ``p(z) = Σ_j c_j N(z; h(x⁻_j), S_j)``. Gating and scoring it with its moment-matched single
    Gaussian under-covers the manoeuvre modes when one quiet mode dominates: after a straight leg
    the predicted cruise probability is ~0.9 (a 2 s revisit), and the first detections of a hard
    turn fall outside the combined gate although a turn mode predicts them (9 % of them at the
    turn's second scan in ``tests/tracking/test_tracking_imm_bank.py``), so the track coasts on
    the wrong prediction and is lost. Here a pair is validated when it lies inside the gate of any
    mode (``d² = min_j d²_j``, the union of the mode gates, each at the same χ² threshold) and is
    scored by the mixture itself.

    Parameters
    ----------
    mu : (K, r) float
        Predicted mode probabilities ``c_j`` of each pair's track.
    d2 : (K, r) float
        Mahalanobis distance² of each pair under each mode's predicted measurement (NaN: the
        mode could not score the pair).
    log_likelihood : (K, r) float
        ``ln N(ν_j; 0, S_j)`` of each pair under each mode.

    Returns
    -------
    d2 : (K,) float
        ``min_j d²_j`` over the modes with a finite distance (NaN if none).
    log_likelihood : (K,) float
        ``ln Σ_j c_j N_j`` (log-sum-exp over modes with a finite term; ``-inf`` if none).
    """
    mu = np.asarray(mu, dtype=np.float64)
    d2 = np.asarray(d2, dtype=np.float64)
    ll = np.asarray(log_likelihood, dtype=np.float64)
    finite_d2 = np.isfinite(d2)
    d2_out: F64 = np.where(
        finite_d2.any(axis=1), np.min(np.where(finite_d2, d2, np.inf), axis=1), np.nan
    )
    with np.errstate(divide="ignore"):
        terms = np.where(np.isfinite(ll) & (mu > 0.0), np.log(np.maximum(mu, 0.0)) + ll, -np.inf)
    m = terms.max(axis=1)
    ok = np.isfinite(m)
    shift = np.where(ok, m, 0.0)
    total = np.exp(terms - shift[:, None]).sum(axis=1)
    ll_out: F64 = np.where(ok, shift + np.log(np.where(ok, total, 1.0)), -np.inf)
    return d2_out, ll_out


#: Default turn-rate noise of the adaptive IMM's rate filter, rad²/s³ (:func:`turn_rate_update`).
TURN_RATE_NOISE = 0.05
#: Default prior standard deviation of a new track's turn rate, rad/s.
TURN_RATE_INITIAL_STD = 0.5
#: Below this horizontal speed, m/s, the heading is too noisy to measure a turn rate.
TURN_RATE_MIN_SPEED = 2.0


def turn_rate_update(
    rate: F64,
    rate_var: F64,
    v0: F64,
    P0: F64,
    v1: F64,
    P1: F64,
    dt: ArrayLike,
    *,
    rate_noise: float = TURN_RATE_NOISE,
    min_speed: float = TURN_RATE_MIN_SPEED,
    max_rate: float = ADAPTIVE_MAX_RATE,
    max_std: float = TURN_RATE_INITIAL_STD,
    measured: ArrayLike | None = None,
) -> tuple[F64, F64]:
    """One step of each track's turn-rate filter (adaptive IMM; module docstring, "Adaptive IMM").

    A scalar Kalman filter per track on the rate at which its estimated horizontal velocity
    rotates between two updates::

        ω_m = atan2(v₀ × v₁, v₀ · v₁) / Δt,    R_ω = (σ²_φ₀ + σ²_φ₁) / Δt²,
        σ²_φ = (J v)ᵀ P_vv (J v) / |v|⁴        (the heading variance, J = [[0, −1], [1, 0]])
        σ²_ω ← min(σ²_ω + q_ω Δt, max_std²),  K = σ²_ω / (σ²_ω + R_ω)
        ω̂ ← clip(ω̂ + K (ω_m − ω̂), ±max_rate),  σ²_ω ← (1 − K) σ²_ω

    Parameters
    ----------
    rate, rate_var : (N,) float, rad/s and (rad/s)²
        ``ω̂`` and ``σ²_ω`` at the previous update.
    v0, P0 : (N, 6) and (N, 6, 6) float
        The combined IMM state and covariance at the previous update (``(e, n, u, ve, vn, vu)``;
        only the horizontal velocity block is read).
    v1, P1 : (N, 6) and (N, 6, 6) float
        The same after this update.
    dt : (N,) or scalar float, s
        Time between the two updates.
    rate_noise : float, rad²/s³
        ``q_ω``: the rate's random-walk density; larger follows a turn's onset faster and is
        noisier on straight legs.
    min_speed : float, m/s
        No measurement where either speed is below this (the heading of a hovering drone is
        noise); nor where ``Δt <= 0``, where ``Δt · max_rate >= π`` (after a long gap the
        rotation of a turn at up to ``max_rate`` may have wrapped past ±π: ``atan2`` cannot tell
        a rate from one ``2π/Δt`` away), or where a number is not finite. Such rows only grow
        ``σ²_ω``.
    max_rate : float, rad/s
        ``ω̂`` is clipped to ``±max_rate``.
    max_std : float, rad/s
        ``σ_ω`` is capped at this (the prior of a new track), so a long coast does not leave a
        variance that lets one noisy heading set the rate.
    measured : (N,) bool, optional
        Rows where ``v1`` is a measured velocity; False rows (e.g. a JPDA update dominated by
        the no-detection hypothesis, i.e. mostly the prediction) take no measurement and only
        grow ``σ²_ω``. None: every row.

    Returns
    -------
    rate, rate_var : (N,) float
        The updated ``ω̂`` (signed, positive counter-clockwise: a left turn) and ``σ²_ω``.
    """
    rate = np.asarray(rate, dtype=np.float64)
    rate_var = np.asarray(rate_var, dtype=np.float64)
    n = rate.shape[0]
    dt = np.broadcast_to(np.asarray(dt, dtype=np.float64), (n,))
    a = np.asarray(v0, dtype=np.float64)[:, 3:5]
    b = np.asarray(v1, dtype=np.float64)[:, 3:5]
    Pa = np.asarray(P0, dtype=np.float64)[:, 3:5, 3:5]
    Pb = np.asarray(P1, dtype=np.float64)[:, 3:5, 3:5]
    sa = np.einsum("nk,nk->n", a, a)  # |v₀|²
    sb = np.einsum("nk,nk->n", b, b)
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = np.einsum("nk,nk->n", a, b)
    ja = np.stack([-a[:, 1], a[:, 0]], axis=1)  # J v₀: the cross-track direction times |v₀|
    jb = np.stack([-b[:, 1], b[:, 0]], axis=1)
    positive = dt > 0.0
    # the rotation is known modulo 2π: beyond |ω| Δt = π a rate up to max_rate may have wrapped
    ok = positive & (dt * max_rate < math.pi) & (sa > min_speed**2) & (sb > min_speed**2)
    if measured is not None:
        ok &= np.broadcast_to(np.asarray(measured, dtype=np.bool_), (n,))
    safe_dt = np.where(positive, dt, 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_phi = np.einsum("na,nab,nb->n", ja, Pa, ja) / (sa * sa) + np.einsum(
            "na,nab,nb->n", jb, Pb, jb
        ) / (sb * sb)
        w_m = np.arctan2(cross, dot) / safe_dt
        R = var_phi / (safe_dt * safe_dt)
    ok &= np.isfinite(w_m) & np.isfinite(R) & (R >= 0.0)
    var_pred = np.minimum(rate_var + rate_noise * np.where(positive, dt, 0.0), max_std**2)
    R = np.where(ok, R, 1.0)
    gain = np.where(ok, var_pred / (var_pred + R), 0.0)
    new_rate = rate + gain * (np.where(ok, w_m, rate) - rate)
    out_rate: F64 = np.clip(new_rate, -max_rate, max_rate)
    out_var: F64 = (1.0 - gain) * var_pred
    return out_rate, out_var


def drone_imm(
    *,
    turn_rate: float = 0.35,
    turn_rates: tuple[float, ...] = (),
    cruise_q_horizontal: float = 0.5,
    cruise_q_vertical: float = 0.2,
    q_horizontal: float = 4.0,
    q_vertical: float = 1.0,
    manoeuvre_q_horizontal: float | None = None,
    hover_time_constant: float = 3.0,
    hover_q_horizontal: float = 2.0 / 3.0,
    hover_q_vertical: float = 1.0 / 6.0,
    mean_sojourn_s: tuple[float, ...] = (),
    adaptive_turn: bool = False,
    adaptive_min_rate: float = ADAPTIVE_MIN_RATE,
    adaptive_max_rate: float = ADAPTIVE_MAX_RATE,
) -> InteractingMultipleModel:
    """The drone IMM: cruise, coordinated turns each side, optionally a manoeuvre mode, hover.

    The default is four modes ``("cruise", "turn_left", "turn_right", "hover")``, what the
    tracker uses (:class:`~dronewall.tracking.tracker.TrackerConfig`, ``motion_model="imm"``).
    Every number below is an ASSUMPTION, chosen by reasoning, not fitted to data, and each is a
    keyword to override.

    cruise — NCV, ``q_h = 0.5`` m²/s³, ``q_v = 0.2`` m²/s³
        Straight transit of a loitering munition or a drone flying to a waypoint: about
        ``sqrt(q Δt) = 0.7`` m/s of velocity random walk per second, i.e. gentle speed and heading
        drift. Low noise is what makes this mode worth having: on straight legs it averages
        measurement noise over many scans, where a single all-purpose NCV (``q_h = 9``) cannot.
    turn_left / turn_right — CT at ``ω = ±0.35`` rad/s, ``q_h = 4`` m²/s³, ``q_v = 1`` m²/s³
        (``q_horizontal``/``q_vertical``: the manoeuvre noise of the set, the only densities a
        tracker configuration usually tunes)
        Turn rates span a factor of five: a quadcopter/FPV at 10 m/s pulling 0.5–1 g turns at
        0.5–1 rad/s, a fixed-wing munition at 30–50 m/s banking to ~0.6 g at 0.1–0.2 rad/s. Both
        pull similar lateral accelerations (5–8 m/s²), and the acceleration error of a rate
        mismatch is ``v |Δω|``; 0.35 rad/s is about the geometric mean of 0.15 and 0.75, leaving a
        mismatch of 0.2–0.4 rad/s, i.e. 2–8 m/s², which ``q_h = 4`` (2 m/s per √s of velocity
        noise) and the mixing with the other modes absorb. One rate per side keeps the bank at
        four modes; the cost is linear in modes and the tracker must run 10⁴ tracks per second.
    turn bank (``turn_rates``, optional)
        Several fixed rates, a left and a right CT mode for each (names ``turn_left_0.50``,
        ``turn_right_0.50``, ...), in place of the single ``turn_rate``: e.g. ``(0.2, 0.5, 1.0)``
        rad/s covers a munition's 0.1–0.3 rad/s and an FPV quad's 0.5–1.3 rad/s hard turns with a
        rate mismatch under about ±40 %, which matters once the revisit is seconds: the position
        error of a rate error ``Δω`` over a revisit ``T`` is about ``v Δω T²/2``.
    manoeuvre (``manoeuvre_q_horizontal``, optional) — NCV with that ``q_h`` and ``q_vertical``
        Braking, sprinting and dodging that no turn rate describes: along-track accelerations of
        5–10 m/s² need ``q_h`` of about ``a² T`` m²/s³ (100–200 at a 2 s revisit).
    adaptive turns (``adaptive_turn``, optional; the adaptive IMM of the module docstring)
        The left and right turn modes are
        :class:`~dronewall.tracking.models.AdaptiveTurnModel`: each track's predictions turn them
        at ``±clip(|ω̂|, adaptive_min_rate, adaptive_max_rate)`` from its own turn-rate estimate
        (``turn_rate`` of :func:`imm_predict`, kept by :func:`turn_rate_update`), and at
        ``±turn_rate`` where no estimate is given. Not with a turn bank (``turn_rates``).
    hover — integrated OU velocity, ``τ = 3`` s, ``q_h = 2/3``, ``q_v = 1/6`` m²/s³
        A station-keeping multirotor or a drone loitering in place cancels drift within a few
        seconds (τ = 2–5 s); stationary speed 1 m/s per horizontal axis and 0.5 m/s vertically
        (``sqrt(q τ / 2)``). Also catches a decelerating drone: predictions stop instead of
        coasting on.
    mean sojourn times — 30 s cruise, 6 s each turn (and the manoeuvre mode), 20 s hover
        Transit legs last tens of seconds; a 90–180° turn at 0.35–0.75 rad/s takes 2–9 s; a drone
        that stops to hover, observe or aim stays for tens of seconds. ``mean_sojourn_s`` gives
        one time per mode in mode order instead. Jumps go uniformly to the other modes
        (reversible chain). A new track starts from the stationary distribution, ``T_i / Σ T``
        = (0.48, 0.10, 0.10, 0.32) for the default.

    Checked in simulation (``tests/tracking/test_tracking_imm.py``, 1 Hz position fixes with 5 m
    noise, 100 runs): a drone flying straight at 12 m/s, turning left at 0.5 rad/s, stopping and
    hovering is tracked with 5.1 m RMS position error, against 6.5 m for the single NCV with
    ``q_h = 9`` (and no better for any other ``q_h``); ``q_horizontal = 9`` in the turn modes
    changes this by under 1 %. On a 40 m/s fixed-wing turning at 0.15 rad/s (10 m noise) the set
    gives 11.3 m against 13.7 m for NCV, where ``turn_rate = 0.15`` would give 10.3 m.
    ``tests/tracking/test_tracking_imm_bank.py`` measures the turn bank and manoeuvre mode on FPV
    drones seen every 2 s.

    Returns
    -------
    InteractingMultipleModel
        Modes in the order cruise, turns (left then right, per rate), manoeuvre, hover.

    Raises
    ------
    ConfigError
        A turn rate that is zero or not finite, a repeated rate, or ``mean_sojourn_s`` of the
        wrong length (the models check their own densities).
    """
    rates = tuple(abs(float(w)) for w in turn_rates) if turn_rates else (abs(float(turn_rate)),)
    for k, w in enumerate(rates):
        if not (math.isfinite(w) and w > 0.0):
            raise _config_error(
                "turn rates must be finite and non-zero (zero is the cruise mode)",
                f"turn_rates[{k}]" if turn_rates else "turn_rate",
                "|ω| > 0 rad/s",
                w,
            )
    if len(set(rates)) != len(rates):
        raise _config_error("turn rates must differ", "turn_rates", "distinct rates", turn_rates)
    if adaptive_turn and turn_rates:
        raise _config_error(
            "adaptive turn modes replace the turn bank: give one or the other",
            "turn_rates",
            "() with adaptive_turn",
            turn_rates,
        )
    models: list[MotionModel] = [
        NearlyConstantVelocityModel(q_horizontal=cruise_q_horizontal, q_vertical=cruise_q_vertical)
    ]
    names = ["cruise"]
    sojourn = [30.0]
    for w in rates:
        for sign, side in ((1.0, "left"), (-1.0, "right")):
            turn: MotionModel = (
                AdaptiveTurnModel(
                    side=sign,
                    nominal_rate=w,
                    min_rate=adaptive_min_rate,
                    max_rate=adaptive_max_rate,
                    q_horizontal=q_horizontal,
                    q_vertical=q_vertical,
                )
                if adaptive_turn
                else CoordinatedTurnModel(
                    turn_rate=sign * w, q_horizontal=q_horizontal, q_vertical=q_vertical
                )
            )
            models.append(turn)
            names.append(f"turn_{side}" if not turn_rates else f"turn_{side}_{w:.2f}")
            sojourn.append(6.0)
    if manoeuvre_q_horizontal is not None:
        models.append(
            NearlyConstantVelocityModel(q_horizontal=manoeuvre_q_horizontal, q_vertical=q_vertical)
        )
        names.append("manoeuvre")
        sojourn.append(6.0)
    models.append(
        HoverModel(
            time_constant=hover_time_constant,
            q_horizontal=hover_q_horizontal,
            q_vertical=hover_q_vertical,
        )
    )
    names.append("hover")
    sojourn.append(20.0)
    if mean_sojourn_s:
        if len(mean_sojourn_s) != len(models):
            raise _config_error(
                "need one mean sojourn time per mode",
                "mean_sojourn_s",
                f"{len(models)} times for modes {', '.join(names)}",
                mean_sojourn_s,
            )
        sojourn = [float(v) for v in mean_sojourn_s]
    return InteractingMultipleModel(
        models=tuple(models),
        switching=ModeSwitching(mean_sojourn_s=tuple(sojourn)),
        mode_names=tuple(names),
    )


def single_model(model: MotionModel, *, name: str = "ncv") -> InteractingMultipleModel:
    """A one-mode IMM wrapping one motion model: exactly that model's Kalman filter.

    With ``r = 1``, ``Π = [[1]]``, mixing and combination are the identity and the mode
    probability stays one, so a tracker written for the IMM runs a plain filter through the same
    code path.

    Parameters
    ----------
    model : MotionModel
        The model, e.g. :class:`~dronewall.tracking.models.NearlyConstantVelocityModel`.
    name : str
        Its mode name.
    """
    return InteractingMultipleModel(
        models=(model,),
        switching=ModeSwitching(mean_sojourn_s=(1.0,)),  # a lone mode never switches: Λ = 0
        mode_names=(name,),
    )
