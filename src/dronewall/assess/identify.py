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
   course into a site's core within ``closing_horizon_s``.
5. **Hostile.** As 4 but inside a site's core, or continuously inside an alert radius for
   ``loiter_s`` (the loiter clock restarts when the track leaves every alert radius).
6. **Hysteresis.** A SUSPECT or HOSTILE track keeps its identity while ``p_uas ≥ release_p_uas``
   (and may still rise); below it, it falls back to UNKNOWN (for example, re-classified as a bird).
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
    loiter_s : float
        Continuous time inside an alert radius that makes a UAS-like track HOSTILE, s.
    """

    friendly_icao: frozenset[int] = frozenset()
    suspect_p_uas: float = 0.6
    release_p_uas: float = 0.4
    closing_horizon_s: float = 180.0
    loiter_s: float = 120.0

    def __post_init__(self) -> None:
        if not 0.0 < self.release_p_uas <= self.suspect_p_uas <= 1.0:
            raise ConfigError(
                "need 0 < release_p_uas <= suspect_p_uas <= 1",
                field="release_p_uas",
                actual=f"{self.release_p_uas}, {self.suspect_p_uas}",
            )
        if self.closing_horizon_s <= 0 or self.loiter_s <= 0:
            raise ConfigError("closing_horizon_s and loiter_s must be positive", field="loiter_s")
        if any(not 0 <= a < 1 << 24 for a in self.friendly_icao):
            raise ConfigError("friendly_icao holds 24-bit addresses", field="friendly_icao")


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

    def update(self, t: float, tracks: TrackTable, p_uas: F64, geometry: SiteGeometry) -> I8:
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

        Returns
        -------
        (N,) int8
            :class:`Identity` codes.
        """
        cfg = self.config
        n = len(tracks)
        found, row = match_ids(self._ids, tracks.track_id)
        have = self._ids.size > 0

        prev_prot = np.where(found, self._protected[row] if have else _NO_IDENTITY, _NO_IDENTITY)
        coop = tracks.ident >= 0
        friendly = coop & np.isin(tracks.ident, self._friendly)
        prot_now = np.where(
            friendly, int(Identity.FRIEND), np.where(coop, int(Identity.NEUTRAL), _NO_IDENTITY)
        )
        # once protected, for life; a later friendly match may only upgrade NEUTRAL to FRIEND
        protected = np.where(prev_prot >= 0, prev_prot, prot_now)
        protected = np.where(friendly, int(Identity.FRIEND), protected).astype(np.int8)

        if geometry.range_m.shape[1] > 0:
            in_alert = geometry.inside_alert.any(axis=1)
            in_core = geometry.inside_core.any(axis=1)
            closing = (geometry.time_to_core_s <= cfg.closing_horizon_s).any(axis=1)
        else:
            in_alert = in_core = closing = np.zeros(n, dtype=np.bool_)
        prev_loiter = np.where(found, self._loiter_since[row] if have else np.nan, np.nan)
        loiter_since = np.where(in_alert, np.where(np.isnan(prev_loiter), t, prev_loiter), np.nan)
        loitering = in_alert & (t - loiter_since >= cfg.loiter_s)

        uas = p_uas >= cfg.suspect_p_uas
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

        identity = np.where(protected >= 0, protected, level).astype(np.int8)

        self._ids = tracks.track_id.copy()
        self._protected = protected
        self._level = level
        self._loiter_since = loiter_since
        return identity

    def protected_ids(self) -> I64:
        """Track ids currently remembered as protected (NEUTRAL or FRIEND)."""
        out: I64 = self._ids[self._protected >= 0]
        return out
