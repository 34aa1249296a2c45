"""SIAP: Single Integrated Air Picture measures of track quality against simulation truth.

Data layout
-----------
One time step ``t`` (float, s): true objects ``truth_id (K,)`` (integer ids, unique within the step)
at ``truth_pos (K, d)``, and tracks ``track_id (N,)`` (integer track numbers, unique within the
step) at ``track_pos (N, d)``, both in metres in one Cartesian frame (local ENU), ``d`` = 2 or 3.
Optional velocities ``truth_vel (K, d)``, ``track_vel (N, d)`` in m/s. Either set may be empty.
A run is a sequence of steps with strictly increasing ``t``, fed to :class:`SiapAccumulator`.

Association
-----------
Per step, with ``D[n, j] = ‖y_n − x_j‖`` and the association distance ``a``, track ``n`` is
associated to its nearest truth ``j*(n) = argmin_j D[n, j]`` (ties to the lowest truth id) when
``D[n, j*] < a``, and to no truth otherwise. A truth may hold several tracks (ambiguity), a track
at most one truth. Of the tracks associated to truth ``j``, its *assigned* track is the one it was
last assigned (across gaps) if that track number is still associated to it, else the nearest one
(ties to the lowest track number). :func:`siap_step` has no past, so it assigns the nearest.

Step measures (Votruba et al. 2001; the forms used by Stone Soup's ``SIAPMetrics``)
------------------------------------------------------------------------------------
With ``J(t)`` truths, ``JT(t)`` truths holding at least one track, ``N(t)`` tracks and ``NA(t)``
tracks associated to a truth:

* completeness ``C(t) = JT / J`` (1 ideal),
* ambiguity ``A(t) = NA / JT`` (1 ideal, ``≥ 1``),
* spuriousness ``S(t) = (N − NA) / N`` (0 ideal),
* positional accuracy ``PA(t) = Σ_n ‖y_n − x_j*(n)‖ / NA`` over associated tracks, and its RMS
  ``sqrt(Σ_n ‖y_n − x_j*(n)‖² / NA)``; velocity accuracy ``VA`` likewise on velocities.

A ratio whose denominator is 0 is ``nan`` (undefined), never a made-up score.

Run measures
------------
Sums over steps in numerator and denominator (so busy steps weigh more):
``C = ΣJT / ΣJ``, ``A = ΣNA / ΣJT``, ``S = Σ(N − NA) / ΣN``, ``PA = Σ_t Σ_n d / ΣNA``.

Continuity uses time. Step ``i`` stands for the interval ``Δ_i = t_{i+1} − t_i`` until the next
step, and the last step for the interval before it (``Δ_{T−1} = Δ_{T−2}``; 0 for a run of one
step), so for uniform sampling every duration below is (number of steps) × ``Δt``. For truth ``j``:

* lifetime ``T_j = Σ Δ_i`` over the steps where ``j`` is present;
* time tracked ``TT_j = Σ Δ_i`` over the steps where ``j`` has an assigned track;
* track-number changes ``c_j``: the number of steps at which ``j``'s assigned track number differs
  from the one it was last assigned (unassigned gaps are skipped; the first assignment is not a
  change, nor is re-acquisition by the same number after a gap);
* longest segment ``TL_j``: the largest ``Σ Δ_i`` over a run of consecutive steps in which ``j`` is
  present and assigned one and the same track number (a step where ``j`` is absent or unassigned
  ends the run).

Run level: ``LS = Σ_j TL_j / Σ_j T_j`` (1 ideal), ``changes per object hour = Σ_j c_j /
(Σ_j T_j / 3600 s)`` and ``changes per tracked hour = Σ_j c_j / (Σ_j TT_j / 3600 s)`` (SIAP's
rate ``R``; 0 ideal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.core.errors import ConfigError

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]
Bool = NDArray[np.bool_]

_SECONDS_PER_HOUR = 3600.0


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den != 0 else math.nan


def _ratios(num: ArrayLike, den: ArrayLike) -> F64:
    """Elementwise ``num / den``, ``nan`` where ``den == 0`` (without a warning)."""
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(n, d).shape, np.nan)
    np.divide(n, d, out=out, where=d != 0)
    return out


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SiapStep:
    """Association and SIAP counts of one time step.

    Attributes
    ----------
    n_truths, n_tracks : int
        ``J`` and ``N``.
    n_associated_truths : int
        ``JT``: truths with at least one associated track.
    n_associated_tracks : int
        ``NA``: tracks associated to some truth.
    position_error_sum : float, m
        ``Σ_n ‖y_n − x_j*(n)‖`` over associated tracks.
    position_error_sq_sum : float, m²
        ``Σ_n ‖y_n − x_j*(n)‖²``.
    velocity_error_sum : float, m/s
        Same on velocities; ``nan`` when velocities were not given.
    velocity_error_sq_sum : float, m²/s²
        Same, squared; ``nan`` when velocities were not given.
    track_truth : (N,) int64
        Row index into the step's truths of each track's associated truth, -1 for none.
    track_distance : (N,) float64, m
        Distance of each track to its associated truth, ``nan`` for none.
    truth_track : (K,) int64
        Row index into the step's tracks of each truth's assigned track, -1 for none.
    """

    n_truths: int
    n_tracks: int
    n_associated_truths: int
    n_associated_tracks: int
    position_error_sum: float
    position_error_sq_sum: float
    velocity_error_sum: float
    velocity_error_sq_sum: float
    track_truth: I64
    track_distance: F64
    truth_track: I64

    @property
    def completeness(self) -> float:
        """``C = JT / J``; ``nan`` without truths."""
        return _ratio(self.n_associated_truths, self.n_truths)

    @property
    def ambiguity(self) -> float:
        """``A = NA / JT``; ``nan`` when no truth is tracked."""
        return _ratio(self.n_associated_tracks, self.n_associated_truths)

    @property
    def spuriousness(self) -> float:
        """``S = (N − NA) / N``; ``nan`` without tracks."""
        return _ratio(self.n_tracks - self.n_associated_tracks, self.n_tracks)

    @property
    def positional_accuracy(self) -> float:
        """Mean distance (m) of associated tracks to their truths; ``nan`` when ``NA = 0``."""
        return _ratio(self.position_error_sum, self.n_associated_tracks)

    @property
    def positional_accuracy_rms(self) -> float:
        """RMS distance (m) of associated tracks to their truths; ``nan`` when ``NA = 0``."""
        return math.sqrt(_ratio(self.position_error_sq_sum, self.n_associated_tracks))

    @property
    def velocity_accuracy(self) -> float:
        """Mean velocity error (m/s) of associated tracks; ``nan`` without velocities or pairs."""
        return _ratio(self.velocity_error_sum, self.n_associated_tracks)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SiapResult:
    """SIAP measures of a run; formulas in the module docstring. ``nan`` marks an undefined ratio.

    Attributes
    ----------
    association_distance : float, m
        The association threshold ``a``.
    n_steps : int
        Number of steps ``T``.
    completeness : float
        ``ΣJT / ΣJ``.
    ambiguity : float
        ``ΣNA / ΣJT``.
    spuriousness : float
        ``Σ(N − NA) / ΣN``.
    positional_accuracy, positional_accuracy_rms : float, m
        Mean and RMS distance over all associated (track, step) pairs.
    velocity_accuracy, velocity_accuracy_rms : float, m/s
        Mean and RMS velocity error over the associated pairs of the steps given velocities.
    n_truth_steps, n_associated_truth_steps, n_track_steps, n_associated_track_steps : int
        ``ΣJ``, ``ΣJT``, ``ΣN``, ``ΣNA``.
    track_number_changes : int
        ``Σ_j c_j``.
    changes_per_object_hour : float, 1/h
        ``Σ_j c_j / (Σ_j T_j / 3600)``.
    changes_per_tracked_hour : float, 1/h
        ``Σ_j c_j / (Σ_j TT_j / 3600)`` (SIAP ``R``).
    longest_segment_fraction : float
        ``Σ_j TL_j / Σ_j T_j``.
    step_time : (T,) float64, s
        Step times.
    step_completeness, step_ambiguity, step_spuriousness : (T,) float64
        ``C(t)``, ``A(t)``, ``S(t)``.
    step_positional_accuracy : (T,) float64, m
        ``PA(t)``.
    object_id : (J,) int64
        Ids of every truth seen, ascending; the ``object_*`` arrays follow this order.
    object_lifetime_s, object_tracked_s, object_longest_segment_s : (J,) float64, s
        ``T_j``, ``TT_j``, ``TL_j``.
    object_track_number_changes : (J,) int64
        ``c_j``.
    object_longest_segment_fraction : (J,) float64
        ``TL_j / T_j``.
    object_changes_per_hour : (J,) float64, 1/h
        ``c_j / (T_j / 3600)``.
    """

    association_distance: float
    n_steps: int
    completeness: float
    ambiguity: float
    spuriousness: float
    positional_accuracy: float
    positional_accuracy_rms: float
    velocity_accuracy: float
    velocity_accuracy_rms: float
    n_truth_steps: int
    n_associated_truth_steps: int
    n_track_steps: int
    n_associated_track_steps: int
    track_number_changes: int
    changes_per_object_hour: float
    changes_per_tracked_hour: float
    longest_segment_fraction: float
    step_time: F64
    step_completeness: F64
    step_ambiguity: F64
    step_spuriousness: F64
    step_positional_accuracy: F64
    object_id: I64
    object_lifetime_s: F64
    object_tracked_s: F64
    object_longest_segment_s: F64
    object_track_number_changes: I64
    object_longest_segment_fraction: F64
    object_changes_per_hour: F64


# --- validation -----------------------------------------------------------------------------


def _check_distance(association_distance: float) -> float:
    a = float(association_distance)
    if not (math.isfinite(a) and a > 0.0):
        raise ConfigError(
            "association distance must be finite and positive",
            field="association_distance",
            expected="finite float > 0 (m)",
            actual=repr(association_distance),
        )
    return a


def _ids(values: ArrayLike, name: str) -> I64:
    arr = np.asarray(values)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.ndim != 1:
        raise ConfigError(
            f"{name} must be a 1-D array of ids", field=name, expected="(K,)", actual=str(arr.shape)
        )
    if arr.dtype.kind not in "iu":
        raise ConfigError(
            f"{name} must hold integers",
            field=name,
            expected="integer dtype",
            actual=str(arr.dtype),
        )
    ids = arr.astype(np.int64)
    if np.unique(ids).size != ids.size:
        raise ConfigError(
            f"{name} must not repeat an id within a step", field=name, expected="unique ids"
        )
    return ids


def _rows(values: ArrayLike, name: str, n: int) -> F64:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size == 0 and n == 0:
        return np.empty((0, arr.shape[1] if arr.ndim == 2 else 3), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[1] not in (2, 3) or arr.shape[0] != n:
        raise ConfigError(
            f"{name} must have one row of 2 or 3 coordinates per id",
            field=name,
            expected=f"({n}, 2) or ({n}, 3)",
            actual=str(arr.shape),
        )
    if not np.all(np.isfinite(arr)):
        raise ConfigError(f"{name} must be finite", field=name, actual="nan or inf")
    return arr


def _same_dim(a: F64, b: F64, name_a: str, name_b: str) -> None:
    if a.shape[0] and b.shape[0] and a.shape[1] != b.shape[1]:
        raise ConfigError(
            f"{name_a} and {name_b} must have the same dimension",
            field=name_b,
            expected=f"d = {a.shape[1]}",
            actual=f"d = {b.shape[1]}",
        )


# --- one step -------------------------------------------------------------------------------


def _evaluate(
    truth_id: ArrayLike,
    truth_pos: ArrayLike,
    track_id: ArrayLike,
    track_pos: ArrayLike,
    association_distance: float,
    truth_vel: ArrayLike | None,
    track_vel: ArrayLike | None,
    previous: tuple[I64, I64] | None,
) -> tuple[SiapStep, I64, I64]:
    """Validate, associate and count one step; also return the validated ids.

    ``previous = (ids, track_numbers)``, ``ids`` ascending, gives each truth's last assigned track
    number, which is preferred when it is still associated to that truth.
    """
    a = _check_distance(association_distance)
    jid = _ids(truth_id, "truth_id")
    nid = _ids(track_id, "track_id")
    k, n = jid.size, nid.size
    X = _rows(truth_pos, "truth_pos", k)
    Y = _rows(track_pos, "track_pos", n)
    _same_dim(X, Y, "truth_pos", "track_pos")
    if (truth_vel is None) != (track_vel is None):
        raise ConfigError(
            "give both truth_vel and track_vel or neither",
            field="track_vel" if track_vel is None else "truth_vel",
            expected="an array",
            actual="None",
        )

    track_truth = np.full(n, -1, dtype=np.int64)
    track_distance = np.full(n, np.nan)
    if k and n:
        by_id = np.argsort(jid, kind="stable")  # argmin takes the first minimum: the lowest id
        diff = Y[:, None, :] - X[by_id][None, :, :]
        D = np.sqrt(np.einsum("nkd,nkd->nk", diff, diff))  # (N, K)
        nearest = np.argmin(D, axis=1)
        d_near = D[np.arange(n), nearest]
        inside = d_near < a
        track_truth[inside] = by_id[nearest[inside]]
        track_distance[inside] = d_near[inside]

    rows = np.flatnonzero(track_truth >= 0)  # associated tracks
    owner = track_truth[rows]
    truth_track = np.full(k, -1, dtype=np.int64)
    n_associated_truths = 0
    if rows.size:
        # nearest associated track per truth, ties to the lowest track number
        ranked = rows[np.lexsort((nid[rows], track_distance[rows], owner))]
        tracked, first = np.unique(track_truth[ranked], return_index=True)
        truth_track[tracked] = ranked[first]
        n_associated_truths = int(tracked.size)
        if previous is not None and previous[0].size:
            prev_ids, prev_tracks = previous
            slot = np.minimum(np.searchsorted(prev_ids, jid[owner]), prev_ids.size - 1)
            keep = (prev_ids[slot] == jid[owner]) & (prev_tracks[slot] == nid[rows])
            truth_track[owner[keep]] = rows[keep]

    d = track_distance[rows]
    v_sum = v_sq = math.nan
    if truth_vel is not None and track_vel is not None:
        V = _rows(truth_vel, "truth_vel", k)
        W = _rows(track_vel, "track_vel", n)
        _same_dim(X, V, "truth_pos", "truth_vel")
        _same_dim(Y, W, "track_pos", "track_vel")
        dv = W[rows] - V[owner]
        v_sq = float(np.einsum("nd,nd->", dv, dv))
        v_sum = float(np.sum(np.sqrt(np.einsum("nd,nd->n", dv, dv))))

    step = SiapStep(
        n_truths=k,
        n_tracks=n,
        n_associated_truths=n_associated_truths,
        n_associated_tracks=int(rows.size),
        position_error_sum=float(d.sum()),
        position_error_sq_sum=float(np.dot(d, d)),
        velocity_error_sum=v_sum,
        velocity_error_sq_sum=v_sq,
        track_truth=track_truth,
        track_distance=track_distance,
        truth_track=truth_track,
    )
    return step, jid, nid


def siap_step(
    truth_id: ArrayLike,
    truth_pos: ArrayLike,
    track_id: ArrayLike,
    track_pos: ArrayLike,
    association_distance: float,
    truth_vel: ArrayLike | None = None,
    track_vel: ArrayLike | None = None,
) -> SiapStep:
    """Associate tracks to truths at one time step and count the SIAP quantities.

    Parameters
    ----------
    truth_id : (K,) int
        True object ids, unique.
    truth_pos : (K, d) float, m
        True positions, ``d`` = 2 or 3.
    track_id : (N,) int
        Track numbers, unique.
    track_pos : (N, d) float, m
        Track position estimates.
    association_distance : float, m
        A track is associated to its nearest truth when closer than this.
    truth_vel : (K, d) float, m/s, optional
        True velocities; give with ``track_vel`` to get velocity accuracy.
    track_vel : (N, d) float, m/s, optional
        Track velocity estimates.

    Returns
    -------
    SiapStep
        Counts, error sums and the association; each truth's assigned track is its nearest
        associated one (there is no past to prefer).

    Raises
    ------
    ConfigError
        On a non-positive distance, or arrays of the wrong shape, dtype, or with repeated ids.
    """
    return _evaluate(
        truth_id, truth_pos, track_id, track_pos, association_distance, truth_vel, track_vel, None
    )[0]


# --- a run ----------------------------------------------------------------------------------


class SiapAccumulator:
    """Accumulates SIAP measures over the steps of a run; see the module docstring.

    Feed steps in time order with :meth:`add`, then read :meth:`result` (as often as wanted).
    Memory: one id, one track number and one flag per (truth, step) for the continuity measures.

    Parameters
    ----------
    association_distance : float, m
        A track is associated to its nearest truth when closer than this.
    """

    def __init__(self, association_distance: float) -> None:
        self.association_distance = _check_distance(association_distance)
        self._t: list[float] = []
        self._counts: list[tuple[int, int, int, int]] = []  # J, JT, N, NA
        self._sums: list[tuple[float, float, float, float, float]] = []  # d, d², v, v², n_v
        self._truth_ids: list[I64] = []
        self._assigned: list[I64] = []  # track number assigned to each truth row (or 0)
        self._is_assigned: list[Bool] = []
        self._last_ids: I64 = np.empty(0, dtype=np.int64)  # ascending truth ids ever assigned
        self._last_tracks: I64 = np.empty(0, dtype=np.int64)  # their last assigned track number

    @property
    def n_steps(self) -> int:
        """Steps added so far."""
        return len(self._t)

    def add(
        self,
        t: float,
        truth_id: ArrayLike,
        truth_pos: ArrayLike,
        track_id: ArrayLike,
        track_pos: ArrayLike,
        truth_vel: ArrayLike | None = None,
        track_vel: ArrayLike | None = None,
    ) -> SiapStep:
        """Add one time step.

        Parameters
        ----------
        t : float, s
            Step time, strictly after the previous step's.
        truth_id, truth_pos, track_id, track_pos, truth_vel, track_vel
            As in :func:`siap_step`.

        Returns
        -------
        SiapStep
            The step's association, with each truth's last assigned track number preferred.

        Raises
        ------
        ConfigError
            On a time not after the previous one, or a malformed step (nothing is recorded).
        """
        time = float(t)
        if not math.isfinite(time) or (self._t and time <= self._t[-1]):
            raise ConfigError(
                "step times must be finite and strictly increasing",
                field="t",
                expected=f"> {self._t[-1]!r}" if self._t else "a finite time",
                actual=repr(t),
            )
        step, jid, nid = _evaluate(
            truth_id,
            truth_pos,
            track_id,
            track_pos,
            self.association_distance,
            truth_vel,
            track_vel,
            (self._last_ids, self._last_tracks),
        )
        has = step.truth_track >= 0
        numbers = np.zeros(jid.size, dtype=np.int64)
        numbers[has] = nid[step.truth_track[has]]

        # last assigned track number per truth: new assignments override old ones
        ids = np.concatenate([jid[has], self._last_ids])
        tracks = np.concatenate([numbers[has], self._last_tracks])
        self._last_ids, first = np.unique(ids, return_index=True)
        self._last_tracks = tracks[first]

        with_v = truth_vel is not None
        self._t.append(time)
        self._counts.append(
            (step.n_truths, step.n_associated_truths, step.n_tracks, step.n_associated_tracks)
        )
        self._sums.append(
            (
                step.position_error_sum,
                step.position_error_sq_sum,
                step.velocity_error_sum if with_v else 0.0,
                step.velocity_error_sq_sum if with_v else 0.0,
                float(step.n_associated_tracks) if with_v else 0.0,
            )
        )
        self._truth_ids.append(jid)
        self._assigned.append(numbers)
        self._is_assigned.append(has)
        return step

    def result(self) -> SiapResult:
        """The run's SIAP measures so far (``nan`` for undefined ratios, e.g. with no steps)."""
        T = len(self._t)
        t = np.asarray(self._t, dtype=np.float64)
        counts = np.asarray(self._counts, dtype=np.int64).reshape(T, 4)
        sums = np.asarray(self._sums, dtype=np.float64).reshape(T, 5)
        J, JT, N, NA = (counts[:, i] for i in range(4))
        sJ, sJT, sN, sNA = (int(c.sum()) for c in (J, JT, N, NA))
        s_d, s_d2, s_v, s_v2, n_v = (float(s) for s in sums.sum(axis=0))

        # step durations: Δ_i = t_{i+1} − t_i, the last one repeating the one before
        dt = np.diff(t)
        step_s = np.append(dt, dt[-1]) if T >= 2 else np.zeros(T)

        sizes = np.array([ids.size for ids in self._truth_ids], dtype=np.int64)
        step_idx = np.repeat(np.arange(T, dtype=np.int64), sizes)
        ids = np.concatenate([np.empty(0, dtype=np.int64), *self._truth_ids])
        numbers = np.concatenate([np.empty(0, dtype=np.int64), *self._assigned])
        assigned = np.concatenate([np.empty(0, dtype=np.bool_), *self._is_assigned])

        # rows grouped by truth, in time order within a truth
        order = np.lexsort((step_idx, ids))
        ids, step_idx = ids[order], step_idx[order]
        numbers, assigned = numbers[order], assigned[order]
        w = step_s[step_idx]
        object_id, obj = np.unique(ids, return_inverse=True)
        obj = obj.astype(np.int64)
        n_obj = object_id.size

        lifetime = np.bincount(obj, weights=w, minlength=n_obj).astype(np.float64)
        tracked = np.bincount(obj, weights=np.where(assigned, w, 0.0), minlength=n_obj)

        # changes: consecutive assigned rows of one truth with different track numbers
        a_rows = np.flatnonzero(assigned)
        a_obj = obj[a_rows]
        change = (a_obj[1:] == a_obj[:-1]) & (numbers[a_rows][1:] != numbers[a_rows][:-1])
        changes = np.bincount(a_obj[1:][change], minlength=n_obj).astype(np.int64)

        # segments: a row continues the previous row's run when it is the same truth, at the
        # next step, both assigned, and to the same track number
        cont = np.zeros(ids.size, dtype=np.bool_)
        cont[1:] = (
            (obj[1:] == obj[:-1])
            & (step_idx[1:] == step_idx[:-1] + 1)
            & assigned[1:]
            & assigned[:-1]
            & (numbers[1:] == numbers[:-1])
        )
        run = np.cumsum(~cont) - 1
        run_s = np.bincount(run, weights=np.where(assigned, w, 0.0))
        longest = np.zeros(n_obj, dtype=np.float64)
        np.maximum.at(longest, obj[~cont], run_s)

        n_changes = int(changes.sum())
        total_life = float(lifetime.sum())
        return SiapResult(
            association_distance=self.association_distance,
            n_steps=T,
            completeness=_ratio(sJT, sJ),
            ambiguity=_ratio(sNA, sJT),
            spuriousness=_ratio(sN - sNA, sN),
            positional_accuracy=_ratio(s_d, sNA),
            positional_accuracy_rms=math.sqrt(_ratio(s_d2, sNA)),
            velocity_accuracy=_ratio(s_v, n_v),
            velocity_accuracy_rms=math.sqrt(_ratio(s_v2, n_v)),
            n_truth_steps=sJ,
            n_associated_truth_steps=sJT,
            n_track_steps=sN,
            n_associated_track_steps=sNA,
            track_number_changes=n_changes,
            changes_per_object_hour=_ratio(n_changes, total_life / _SECONDS_PER_HOUR),
            changes_per_tracked_hour=_ratio(n_changes, float(tracked.sum()) / _SECONDS_PER_HOUR),
            longest_segment_fraction=_ratio(float(longest.sum()), total_life),
            step_time=t,
            step_completeness=_ratios(JT, J),
            step_ambiguity=_ratios(NA, JT),
            step_spuriousness=_ratios(N - NA, N),
            step_positional_accuracy=_ratios(sums[:, 0], NA),
            object_id=object_id.astype(np.int64),
            object_lifetime_s=lifetime,
            object_tracked_s=tracked.astype(np.float64),
            object_longest_segment_s=longest,
            object_track_number_changes=changes,
            object_longest_segment_fraction=_ratios(longest, lifetime),
            object_changes_per_hour=_ratios(changes, lifetime / _SECONDS_PER_HOUR),
        )
