"""Standard identity (STANAG 1241) of each track from cooperation, class and behaviour.

Data layout
-----------
Input rows aligned with a :class:`~dronewall.core.tracks.TrackTable` of ``N`` tracks: ``p_uas (N,)``
from the classifier and a :class:`~dronewall.assess.geometry.SiteGeometry` ``(N, S)``. Output
``identity (N,) int8`` holding :class:`~dronewall.core.taxonomy.Identity` codes. State between ticks
is kept per ``track_id`` as sorted arrays (see :mod:`dronewall.assess.keyed`).

Rules, applied in this order (every one vectorised over tracks)
----------------------------------------------------------------
1. **Protected for life.** A track that carries a cooperative ident (``ident ≥ 0``, an ADS-B ICAO
   address) is NEUTRAL (civil cooperative), or FRIEND when the address is in the friendly list. The
   track keeps that identity for the rest of its life even if the correlation is lost, and no later
   rule can change it: nothing protected may drift into an engageable identity.
2. **Pending.** A tentative track is PENDING.
3. **Unknown.** Otherwise UNKNOWN while the evidence is thin.
4. **Suspect.** UNKNOWN with ``p_uas ≥ suspect_p_uas`` and inside any site's alert radius, or on a
   course into a site's core within ``closing_horizon_s`` (``fast_closing_horizon_s`` for a
   track surely faster than any bird, :func:`surely_faster_than_birds`), once the track has
   ``min_evidence_s`` of history (since its first detection) or is surely faster than any bird
   (:func:`has_evidence`). A younger, slower track stays UNKNOWN whatever its class:
   the classifier's figure for telling birds from drones holds from 10 s of track history
   (benchmarks/RESULTS.md, "Track classification"), and before that bird tracks are often
   called drones (``mass-sighting-hoax`` with its flock, seeds 1-4: 27 proposals against bird
   tracks 2-7 s old).
5. **Hostile.** As 4 but inside a site's core, or continuously inside an alert radius for
   ``loiter_s`` (the loiter clock restarts when the track leaves every alert radius).
6. **Hysteresis.** A SUSPECT or HOSTILE track keeps its identity while ``p_uas ≥ release_p_uas``
   (and may still rise); below it, it falls back to UNKNOWN (for example, re-classified as a bird).

Cooperative correlation and claim consistency
---------------------------------------------
* **Idents.** ``ident`` in ``[0, 2²⁴)`` is an ADS-B ICAO address: a claim to be a manned aircraft.
  Larger values are broadcast Remote ID numbers: a claim to be a registered drone flown in the
  open (civil, cooperative) category. Both are NEUTRAL (rule 1) unless contradicted.
* **Correlation.** A confirmed track without an ident that lies with one that has an (uncontested)
  ident — the tracker kept a radar track and the ADS-B / Remote ID report track apart — is the same
  object when its state difference ``d = x_a - x_b`` (position and velocity, 6-D) has
  ``dᵀ (P_a + P_b)⁻¹ d ≤ correlate_chi2`` (χ², 6 dof), and the two are at most
  ``correlate_max_m`` apart horizontally and ``correlate_max_dv_m_s`` apart in velocity (caps, so
  that a poorly known track does not gate with everything). It takes the cooperative identity
  (NEUTRAL or FRIEND) while correlated, and for life once correlated on ``correlate_updates``
  consecutive updates. Erring this way is deliberate: a drone flying in the gate of a cooperative
  one is not recommended against while it stays there.
* **Contradiction (spoofing).** A claim is not trusted when the track's own measurements contradict
  it: an ICAO ident on a track whose radar RCS is below ``min_aircraft_rcs_dbsm`` (a manned aircraft
  is ≥ 1 m², GK); a Remote ID on a track faster than ``max_remote_id_speed_m_s`` or with an RCS
  above ``max_remote_id_rcs_dbsm`` (consumer drones fly ≤ 19-21 m/s with RCS ~0.01 m², GK); or a
  contradiction found by the caller (``contradicted``, e.g. from :func:`position_claim_nis` or
  :func:`bearing_claim_residual`: a claimed position that a radar plot or an RF bearing refutes).
  After ``spoof_updates`` contradicted updates the track is flagged for life
  (:meth:`RuleIdentifier.spoofed_ids`): its ident gives no protection (it is judged by rules
  2-6 like any track) and nothing correlates with it. A protected identity is only lost so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.assess.geometry import SiteGeometry
from dronewall.assess.keyed import match_ids
from dronewall.core.errors import ConfigError
from dronewall.core.taxonomy import Identity
from dronewall.core.tracks import TrackTable

F64 = NDArray[np.float64]
I8 = NDArray[np.int8]
I64 = NDArray[np.int64]
B = NDArray[np.bool_]

_NO_IDENTITY = -1

ICAO_LIMIT = 1 << 24
"""ICAO 24-bit addresses are ``[0, ICAO_LIMIT)``; larger idents are Remote ID numbers."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IdentityConfig:
    """Settings of :class:`RuleIdentifier` (assumptions, A).

    Parameters
    ----------
    friendly_icao : frozenset[int]
        ICAO 24-bit addresses of friendly (own-force) aircraft: FRIEND rather than NEUTRAL.
    suspect_p_uas : float
        UAS probability at which an unknown track near a site becomes SUSPECT (or HOSTILE).
    release_p_uas : float
        UAS probability below which a SUSPECT/HOSTILE track falls back to UNKNOWN.
    closing_horizon_s : float
        A track due to enter a site's core within this time counts as closing on it, s.
    fast_closing_horizon_s : float
        The same for a track surely faster than any bird (:func:`surely_faster_than_birds`), s.
        By default the same 180 s. A longer one (600 s) makes a 50 m/s munition SUSPECT, and
        so engageable under the ROE, about 30 km out, where at 180 s it was suspect 166 s before
        the core (traced on ``eastern-flank-raid``). With 600 s for both scales of the earlier
        warning, the flank's cost-aware advice let fewer munitions through (0.6 against 1.0
        per run on 24 held-out seeds) and Kleine-Brogel's defence let more through under both
        doctrines (1.9-2.0 against 1.4, 12 seeds): benchmarks/RESULTS.md, "Earlier warning
        for fast movers". Slow tracks keep ``closing_horizon_s`` whatever this is: most
        UAS-like calls on slow tracks far from a site are birds (A).
    loiter_s : float
        Continuous time inside an alert radius that makes a UAS-like track HOSTILE, s.
    correlate_chi2 : float
        χ² gate (6 dof) on the state difference of a track and a cooperative track (22.46:
        99.9 %).
    correlate_max_m : float
        Largest horizontal distance at which a track correlates with a cooperative track, m.
    correlate_max_dv_m_s : float
        Largest velocity difference of correlated tracks, m/s (a cap against degenerate
        covariances only: a track started from a few bearings can be 50 m/s off before it
        settles, A; the χ² gate does the work).
    correlate_updates : int
        Consecutive correlated updates after which the cooperative identity holds for life.
    min_aircraft_rcs_dbsm : float
        Measured RCS below which an ICAO (manned aircraft) claim is contradicted, dBsm (GK:
        light aircraft 1-10 m², i.e. 0-10 dBsm; 10 dB of margin, A).
    max_remote_id_speed_m_s : float
        Speed above which a Remote ID (consumer drone) claim is contradicted, m/s (GK: open
        category C0-C2 drones fly ≤ 19-21 m/s; margin, A).
    max_remote_id_rcs_dbsm : float
        Measured RCS above which a Remote ID claim is contradicted, dBsm (GK: ~0.01 m², -20 dBsm;
        20 dB of margin, A).
    spoof_updates : int
        Contradicted updates after which a track's claim is flagged as spoofed for life.
    min_evidence_s : float
        Track history (time since its first detection) before the class may make a slow track
        SUSPECT or HOSTILE, s; the assess stage also holds the track's alerts at WATCH until
        then. 10 s: the age from which the classifier tells birds from drones 95 % of the time
        (issue 5's criterion; measured 0.986 and 0.960, benchmarks/RESULTS.md).
    bird_max_speed_m_s : float
        A track surely faster than this (speed less two standard deviations along its
        velocity) is no bird and needs no history: a munition's re-started track is not held
        back. 20 m/s: ``speed_max_m_s`` of type ``bird`` in world/data/objects.yaml (GK).
    """

    friendly_icao: frozenset[int] = frozenset()
    suspect_p_uas: float = 0.6
    release_p_uas: float = 0.4
    closing_horizon_s: float = 180.0
    fast_closing_horizon_s: float = 180.0
    loiter_s: float = 120.0
    correlate_chi2: float = 22.46
    correlate_max_m: float = 300.0
    correlate_max_dv_m_s: float = 80.0
    correlate_updates: int = 3
    min_aircraft_rcs_dbsm: float = -10.0
    max_remote_id_speed_m_s: float = 30.0
    max_remote_id_rcs_dbsm: float = 0.0
    spoof_updates: int = 3
    min_evidence_s: float = 10.0
    bird_max_speed_m_s: float = 20.0

    def __post_init__(self) -> None:
        if not 0.0 < self.release_p_uas <= self.suspect_p_uas <= 1.0:
            raise ConfigError(
                "need 0 < release_p_uas <= suspect_p_uas <= 1",
                field="release_p_uas",
                actual=f"{self.release_p_uas}, {self.suspect_p_uas}",
            )
        for name in ("closing_horizon_s", "fast_closing_horizon_s", "loiter_s"):
            if not getattr(self, name) > 0:
                raise ConfigError("must be positive", field=name, actual=repr(getattr(self, name)))
        if any(not 0 <= a < 1 << 24 for a in self.friendly_icao):
            raise ConfigError("friendly_icao holds 24-bit addresses", field="friendly_icao")
        for name in ("correlate_chi2", "correlate_max_m", "correlate_max_dv_m_s"):
            if not getattr(self, name) > 0:
                raise ConfigError(f"{name} must be positive", field=name)
        if not self.bird_max_speed_m_s > 0.0:
            raise ConfigError(
                "must be positive", field="bird_max_speed_m_s", actual=repr(self.bird_max_speed_m_s)
            )
        if not self.min_evidence_s >= 0.0:
            raise ConfigError(
                "must be >= 0", field="min_evidence_s", actual=repr(self.min_evidence_s)
            )
        if self.max_remote_id_speed_m_s <= 0:
            raise ConfigError(
                "max_remote_id_speed_m_s must be positive", field="max_remote_id_speed_m_s"
            )
        for name in ("correlate_updates", "spoof_updates"):
            if getattr(self, name) < 1:
                raise ConfigError(
                    f"{name} must be at least 1", field=name, actual=str(getattr(self, name))
                )


class RuleIdentifier:
    """Identity per track by the rules of the module docstring, with per-track memory.

    Parameters
    ----------
    config : IdentityConfig
        Thresholds and the friendly list.
    """

    def __init__(self, config: IdentityConfig) -> None:
        self.config = config
        self._friendly: I64 = np.array(sorted(config.friendly_icao), dtype=np.int64)
        self._ids: I64 = np.empty(0, np.int64)
        self._protected: I8 = np.empty(0, np.int8)
        self._level: I8 = np.empty(0, np.int8)
        self._loiter_since: F64 = np.empty(0)
        self._contra: NDArray[np.int32] = np.empty(0, np.int32)
        self._spoofed: B = np.empty(0, np.bool_)
        self._corr_run: NDArray[np.int32] = np.empty(0, np.int32)
        self.contradicted: B = np.empty(0, np.bool_)
        """Tracks of the last update whose claim was contradicted then (aligned with its rows)."""
        self.correlated: B = np.empty(0, np.bool_)
        """Tracks of the last update that took a cooperative track's identity by correlation."""

    def update(
        self,
        t: float,
        tracks: TrackTable,
        p_uas: F64,
        geometry: SiteGeometry,
        *,
        contradicted: B | None = None,
        fast: B | None = None,
    ) -> I8:
        """Identities of the tracks at ``t``; tracks absent from ``tracks`` are forgotten.

        Parameters
        ----------
        t : float
            Tick time, UTC epoch s.
        tracks : TrackTable
            All live tracks, ``N`` rows.
        p_uas : (N,) float64
            Probability that each track is a UAS.
        geometry : SiteGeometry
            ``(N, S)`` geometry against the protected sites.
        contradicted : (N,) bool, optional
            Tracks whose cooperative claim an independent sensor contradicts at this update (see
            the module docstring); counted towards the spoof flag with the built-in checks.
        fast : (N,) bool, optional
            :func:`surely_faster_than_birds` of ``tracks`` when the caller has it already
            (computed here otherwise).

        Returns
        -------
        (N,) int8
            :class:`Identity` codes.
        """
        cfg = self.config
        n = len(tracks)
        if fast is None:
            fast = surely_faster_than_birds(tracks, cfg)
        elif fast.shape != (n,):
            raise ValueError(f"fast has shape {fast.shape}, expected ({n},)")
        found, row = match_ids(self._ids, tracks.track_id)
        have = self._ids.size > 0

        prev_prot = np.where(found, self._protected[row] if have else _NO_IDENTITY, _NO_IDENTITY)

        # claims contradicted by the track's own measurements (or by the caller): spoofing
        contra = claim_contradictions(tracks, cfg)
        if contradicted is not None:
            if contradicted.shape != (n,):
                raise ValueError(f"contradicted has shape {contradicted.shape}, expected ({n},)")
            contra |= contradicted & (tracks.ident >= 0)
        prev_contra = np.where(found, self._contra[row] if have else 0, 0)
        n_contra = (prev_contra + contra).astype(np.int32)
        spoofed = np.where(found, self._spoofed[row] if have else False, False)
        spoofed = spoofed | (n_contra >= cfg.spoof_updates)

        coop = (tracks.ident >= 0) & ~spoofed
        friendly = coop & (tracks.ident < ICAO_LIMIT) & np.isin(tracks.ident, self._friendly)
        prot_now = np.where(
            friendly, int(Identity.FRIEND), np.where(coop, int(Identity.NEUTRAL), _NO_IDENTITY)
        )
        # a track without ident that is the same object as a cooperative track takes its identity
        partner = correlate_cooperative(tracks, coop, cfg)
        corr = (partner >= 0) & tracks.confirmed & ~coop & ~spoofed
        prev_run = np.where(found, self._corr_run[row] if have else 0, 0)
        corr_run = np.where(corr, prev_run + 1, 0).astype(np.int32)
        corr_prot = np.where(corr, prot_now[np.maximum(partner, 0)], _NO_IDENTITY)
        # once protected, for life (an ident, or correlation held long enough); a later friendly
        # match may only upgrade NEUTRAL to FRIEND; only a spoof flag takes protection away
        lifelong = np.where(corr_run >= cfg.correlate_updates, corr_prot, _NO_IDENTITY)
        prot_now = np.where(prot_now >= 0, prot_now, lifelong)
        protected = np.where(prev_prot >= 0, prev_prot, prot_now)
        protected = np.where(friendly, int(Identity.FRIEND), protected)
        protected = np.where(spoofed, _NO_IDENTITY, protected).astype(np.int8)
        shown_prot = np.where(protected >= 0, protected, corr_prot).astype(np.int8)

        if geometry.range_m.shape[1] > 0:
            in_alert = geometry.inside_alert.any(axis=1)
            in_core = geometry.inside_core.any(axis=1)
            horizon = np.where(fast, cfg.fast_closing_horizon_s, cfg.closing_horizon_s)
            closing = (geometry.time_to_core_s <= horizon[:, None]).any(axis=1)
        else:
            in_alert = in_core = closing = np.zeros(n, dtype=np.bool_)
        prev_loiter = np.where(found, self._loiter_since[row] if have else np.nan, np.nan)
        loiter_since = np.where(in_alert, np.where(np.isnan(prev_loiter), t, prev_loiter), np.nan)
        loitering = in_alert & (t - loiter_since >= cfg.loiter_s)

        uas = (p_uas >= cfg.suspect_p_uas) & has_evidence(t, tracks, cfg, fast)
        level = np.full(n, int(Identity.UNKNOWN), dtype=np.int8)
        level[uas & (in_alert | closing)] = int(Identity.SUSPECT)
        level[uas & (in_core | loitering)] = int(Identity.HOSTILE)
        prev_level = np.where(
            found, self._level[row] if have else Identity.UNKNOWN, Identity.UNKNOWN
        )
        hold = (p_uas >= cfg.release_p_uas) & (prev_level >= int(Identity.SUSPECT))
        level = np.where(hold, np.maximum(level, prev_level), level).astype(np.int8)
        confirmed = tracks.confirmed
        level = np.where(confirmed, level, int(Identity.PENDING)).astype(np.int8)

        identity = np.where(shown_prot >= 0, shown_prot, level).astype(np.int8)

        self._ids = tracks.track_id.copy()
        self._protected = protected
        self._level = level
        self._loiter_since = loiter_since
        self._contra = n_contra
        self._spoofed = spoofed
        self._corr_run = corr_run
        self.contradicted = contra
        self.correlated = corr
        return identity

    def protected_ids(self) -> I64:
        """Track ids currently remembered as protected (NEUTRAL or FRIEND)."""
        out: I64 = self._ids[self._protected >= 0]
        return out

    def spoofed_ids(self) -> I64:
        """Track ids whose cooperative claim is flagged as spoofed (for life)."""
        out: I64 = self._ids[self._spoofed]
        return out


# ---------------------------------------------------------------------------------------------
# claim checks and cooperative correlation (batched)


def surely_faster_than_birds(tracks: TrackTable, config: IdentityConfig) -> B:
    """Tracks ``(N,)`` surely faster than any bird: ``‖v‖ − 2 sqrt(v̂ᵀ P_v v̂) > bird_max_speed_m_s``
    with ``v̂ = v / ‖v‖`` and ``P_v`` the velocity block of the track covariance (a young track's
    speed is poorly known: a bird's track can show 30 m/s at 3 s of age)."""
    v = tracks.x[:, 3:6]
    speed = np.linalg.norm(v, axis=1)
    u = v / np.maximum(speed, 1e-9)[:, None]
    var = np.einsum("ka,kab,kb->k", u, tracks.P[:, 3:6, 3:6], u)
    out: B = speed - 2.0 * np.sqrt(np.maximum(var, 0.0)) > config.bird_max_speed_m_s
    return out


def has_evidence(t: float, tracks: TrackTable, config: IdentityConfig, fast: B | None = None) -> B:
    """Tracks ``(N,)`` whose class may make them SUSPECT or HOSTILE (and raise alerts above
    WATCH): at least ``min_evidence_s`` of history, or :func:`surely_faster_than_birds`
    (``fast``, computed here when not given)."""
    if fast is None:
        fast = surely_faster_than_birds(tracks, config)
    out: B = (t - tracks.t_first >= config.min_evidence_s) | fast
    return out


def claim_contradictions(tracks: TrackTable, config: IdentityConfig) -> B:
    """Tracks ``(N,)`` whose ident claims what their own measurements refute (module docstring).

    An ICAO claim (manned aircraft) is refuted by a measured RCS below
    ``min_aircraft_rcs_dbsm``; a Remote ID claim (consumer drone) by a speed above
    ``max_remote_id_speed_m_s`` or a measured RCS above ``max_remote_id_rcs_dbsm``. A NaN RCS
    (no radar) refutes nothing.
    """
    ident = tracks.ident
    rcs = tracks.rcs_dbsm
    speed = np.linalg.norm(tracks.x[:, 3:6], axis=1)
    with np.errstate(invalid="ignore"):
        icao_bad = (ident >= 0) & (ident < ICAO_LIMIT) & (rcs < config.min_aircraft_rcs_dbsm)
        rid_bad = (ident >= ICAO_LIMIT) & (
            (speed > config.max_remote_id_speed_m_s) | (rcs > config.max_remote_id_rcs_dbsm)
        )
    out: B = icao_bad | rid_bad
    return out


def correlate_cooperative(tracks: TrackTable, coop: B, config: IdentityConfig) -> NDArray[np.intp]:
    """For each track, the row of the cooperative track it correlates with, -1 for none.

    Gates of the module docstring on every (track, cooperative track) pair: the horizontal
    distance and velocity caps on ``(N, C)`` pairs, then the Mahalanobis distance of the 6-D state
    difference with ``P_a + P_b`` (Cholesky solve) on the pairs within the caps; the closest gated
    partner wins. ``coop (N,)`` marks the
    cooperative tracks (uncontested idents).
    """
    n = len(tracks)
    out = np.full(n, -1, np.intp)
    c_rows = np.flatnonzero(coop)
    if n == 0 or c_rows.size == 0:
        return out
    d = tracks.x[:, None, :] - tracks.x[None, c_rows, :]  # (N, C, 6)
    dv = d[..., 3:6]
    dist = np.hypot(d[..., 0], d[..., 1])
    near = (dist <= config.correlate_max_m) & (
        np.linalg.norm(dv, axis=-1) <= config.correlate_max_dv_m_s
    )
    near[c_rows, np.arange(c_rows.size)] = False
    i, j = np.nonzero(near)
    if i.size == 0:
        return out
    s = tracks.P[i] + tracks.P[c_rows[j]]
    s = 0.5 * (s + np.swapaxes(s, -1, -2)) + 1e-6 * np.eye(6)
    chol = np.linalg.cholesky(s)
    w = np.linalg.solve(chol, d[i, j][..., None])[..., 0]  # L w = d  =>  |w|² = dᵀ S⁻¹ d
    m2 = np.sum(w * w, axis=-1)
    ok = m2 <= config.correlate_chi2
    i, j, m2 = i[ok], j[ok], m2[ok]
    best = np.full(n, np.inf)
    np.minimum.at(best, i, m2)
    win = m2 <= best[i]
    out[i[win]] = c_rows[j[win]]
    return out


def position_claim_nis(
    claimed_pos: F64, claimed_cov: F64, measured_pos: F64, measured_cov: F64
) -> F64:
    """Normalised innovation squared of claimed against measured positions, ``(M,)``.

    ``ε = dᵀ (P_claim + R)⁻¹ d`` with ``d = measured - claimed`` (ENU m, covariances ``(M, 3, 3)``
    m²); χ² with 3 dof when the claim is honest. Compare with a gate such as 16.27 (99.9 %).
    """
    d = measured_pos - claimed_pos
    s = claimed_cov + measured_cov
    s = 0.5 * (s + np.swapaxes(s, -1, -2))
    chol = np.linalg.cholesky(s)
    w = np.linalg.solve(chol, d[..., None])[..., 0]
    out: F64 = np.sum(w * w, axis=-1)
    return out


def bearing_claim_residual(
    claimed_pos: F64, claimed_sigma_m: F64, sensor_pos: F64, azimuth: F64, sigma_az: F64
) -> F64:
    """Normalised residual ``(M,)`` of an RF bearing against the position a claim puts the emitter.

    The claim at ``claimed_pos (M, 3)`` seen from ``sensor_pos (M, 3)`` has azimuth ``a_c``
    (clockwise from north) at horizontal range ``ρ``; its position error ``claimed_sigma_m``
    spreads it by ``σ_c = claimed_sigma_m / ρ`` rad. With the measured ``azimuth`` (rad) and its
    ``sigma_az`` (rad): ``r = wrap(azimuth - a_c) / √(σ_az² + σ_c²)``, standard normal when the
    claim is honest (``|r| > 3.29``: 99.9 %).
    """
    d = claimed_pos - sensor_pos
    rho = np.maximum(np.hypot(d[:, 0], d[:, 1]), 1.0)
    a_c = np.arctan2(d[:, 0], d[:, 1])
    diff = (azimuth - a_c + np.pi) % (2.0 * np.pi) - np.pi
    out: F64 = diff / np.sqrt(sigma_az**2 + (claimed_sigma_m / rho) ** 2)
    return out
