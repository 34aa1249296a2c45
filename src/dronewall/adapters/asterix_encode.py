"""Our tracks out as ASTERIX: CAT 062 system tracks and CAT 015 INCS target reports.

Built with ``libasterix`` (MIT) record constructors; values are rounded to the LSB of each item
and clamped to its range (a value that does not fit is sent as the item's largest value, never
wrapped).

Data layout
-----------
Input is a :class:`~dronewall.core.tracks.TrackTable` in a local ENU frame (``x (N, 6)`` =
east, north, up, v_east, v_north, v_up in m and m/s, ``P (N, 6, 6)``). Positions go out in
WGS84 (I062/105, I015/600 P84; heights as ellipsoidal heights, I062/130, I015/601 GH);
velocities and accuracies are turned onto the ENU axes *at each track's position* (the local
east/north there), which is what the receiving system's WGS84 items mean.

CAT 062 (edition 1.21) items sent: I010 SAC/SIC, I015 service id, I070 time of track
information (time of day of ``tracks.t``), I105 position, I130 geometric altitude, I185 velocity
(VX east, VY north), I220 rate of climb, I040 track number (``track_id mod 2^16``), I080 status
(CNF = tentative, CST = coasting), I500 accuracies (APC east/north 1 sigma, AGA, ATV), I380 ADR
when the track has an ICAO address.

CAT 015 (edition 1.2) items sent: I010, I000 (measurement track, periodic), I015, I145 time of
applicability, I161 track number (``track_id mod 2^16``), I170 (CNF, CSTP = coasting), I600 P84
and HPP (1 sigma east/north and their correlation), I601 GH and SDGH, I602 HV and SDHV.
"""

from __future__ import annotations

import math
from typing import Any, Final

import asterix.generated as gen
import numpy as np

from dronewall.core.errors import ConfigError
from dronewall.core.tracks import TrackStatus, TrackTable
from dronewall.geo.frames import LocalFrame, enu_rotation

FT: Final = 0.3048
MAX_BLOCK_OCTETS: Final = 65535  # the 16-bit LEN field of a data block


def _clamp(x: float, lsb: float, lo_raw: int, hi_raw: int) -> float:
    """``x`` limited to what ``[lo_raw, hi_raw]`` LSBs can carry (NaN -> 0)."""
    if not math.isfinite(x):
        return 0.0 if math.isnan(x) else (hi_raw if x > 0 else lo_raw) * lsb
    return min(max(x, lo_raw * lsb), hi_raw * lsb)


def _local(tracks: TrackTable, frame: LocalFrame) -> tuple[Any, Any, Any]:
    """WGS84 positions (N, 3), velocities (N, 3) and covariances (N, 6, 6) on local axes."""
    lla = np.atleast_2d(frame.enu_to_lla(tracks.x[:, :3]))
    n = len(tracks)
    vel = np.empty((n, 3))
    P = np.empty((n, 6, 6))
    M6 = np.zeros((6, 6))
    for i in range(n):
        M = enu_rotation(float(lla[i, 0]), float(lla[i, 1])) @ frame.rotation.T
        vel[i] = M @ tracks.x[i, 3:6]
        M6[:3, :3] = M
        M6[3:, 3:] = M
        P[i] = M6 @ tracks.P[i] @ M6.T
    return lla, vel, P


def _tod(t: float) -> float:
    return _clamp(t % 86400.0, 1 / 128, 0, 2**24 - 1)


def _blocks(spec: Any, records: list[Any], max_block_octets: int) -> bytes:
    if not 8 <= max_block_octets <= MAX_BLOCK_OCTETS:
        raise ConfigError(
            "max_block_octets outside [8, 65535]", field="max_block_octets",
            actual=str(max_block_octets),
        )  # fmt: skip
    out: list[bytes] = []
    group: list[Any] = []
    size = 3
    for rec in records:
        n = len(rec.unparse()) // 8
        if group and size + n > max_block_octets:
            out.append(spec.create(group).unparse().to_bytes())
            group, size = [], 3
        group.append(rec)
        size += n
    if group:
        out.append(spec.create(group).unparse().to_bytes())
    return b"".join(out)


def _check_source(sac: int, sic: int) -> None:
    if not (0 <= sac <= 255 and 0 <= sic <= 255):
        raise ConfigError("SAC and SIC are octets", field="sac/sic", actual=f"{sac}/{sic}")


def encode_cat062(
    tracks: TrackTable,
    frame: LocalFrame,
    sac: int,
    sic: int,
    *,
    service_id: int = 0,
    max_block_octets: int = MAX_BLOCK_OCTETS,
) -> bytes:
    """CAT 062 data block(s) with one system track record per track.

    Parameters
    ----------
    tracks : TrackTable
        The tracks, in ``frame``, at ``tracks.t`` (UTC epoch s).
    frame : LocalFrame
        The tracks' ENU frame.
    sac, sic : int
        Our system's data source identifier (I010).
    service_id : int
        I015.
    max_block_octets : int
        Largest data block; records are split over several blocks to stay within it (e.g.
        1400 to keep every block inside one Ethernet-sized UDP datagram).

    Returns
    -------
    bytes
        Concatenated data blocks (empty when there is no track).
    """
    _check_source(sac, sic)
    spec = gen.Cat_062_1_21
    lla, vel, P = _local(tracks, frame)
    tod = _tod(tracks.t)
    records = []
    for i in range(len(tracks)):
        status = int(tracks.status[i])
        sd = np.sqrt(np.clip(np.diagonal(P[i]), 0.0, None))
        item: dict[str, Any] = {
            "010": (("SAC", sac), ("SIC", sic)),
            "015": service_id,
            "070": (tod, "s"),
            "105": (
                ("LAT", (_clamp(float(lla[i, 0]), 180 / 2**25, -(2**31), 2**31 - 1), "°")),
                ("LON", (_clamp(float(lla[i, 1]), 180 / 2**25, -(2**31), 2**31 - 1), "°")),
            ),
            "185": (
                ("VX", (_clamp(float(vel[i, 0]), 0.25, -(2**15), 2**15 - 1), "m/s")),
                ("VY", (_clamp(float(vel[i, 1]), 0.25, -(2**15), 2**15 - 1), "m/s")),
            ),
            "040": int(tracks.track_id[i]) & 0xFFFF,
            # I080: CNF (bit 2 of the first part) = tentative; 4th part CST = coasting
            "080": [1 if status == TrackStatus.TENTATIVE else 0, 0, 0,
                    0x40 if status == TrackStatus.COASTING else 0],
            "130": (_clamp(float(lla[i, 2]) / FT, 6.25, -(2**15), 2**15 - 1), "ft"),
            "220": (_clamp(float(vel[i, 2]) / FT * 60.0, 6.25, -(2**15), 2**15 - 1), "ft/min"),
            "500": {
                "APC": (
                    ("X", (_clamp(float(sd[0]), 0.5, 0, 2**16 - 1), "m")),
                    ("Y", (_clamp(float(sd[1]), 0.5, 0, 2**16 - 1), "m")),
                ),
                "AGA": (_clamp(float(sd[2]) / FT, 6.25, 0, 255), "ft"),
                "ATV": (
                    ("X", (_clamp(float(sd[3]), 0.25, 0, 255), "m/s")),
                    ("Y", (_clamp(float(sd[4]), 0.25, 0, 255), "m/s")),
                ),
            },
        }  # fmt: skip
        ident = int(tracks.ident[i])
        if 0 <= ident < 2**24:
            item["380"] = {"ADR": ident}
        records.append(spec.cv_record.create(item))  # type: ignore[arg-type]
    return _blocks(spec, records, max_block_octets)


def encode_cat015(
    tracks: TrackTable,
    frame: LocalFrame,
    sac: int,
    sic: int,
    *,
    service_id: int = 0,
    max_block_octets: int = MAX_BLOCK_OCTETS,
) -> bytes:
    """CAT 015 data block(s) with one measurement-track report per track.

    Parameters and return value as :func:`encode_cat062`. Object classification (I300) is not
    sent: a :class:`~dronewall.core.tracks.TrackTable` carries no class.
    """
    _check_source(sac, sic)
    spec = gen.Cat_015_1_2
    lla, vel, P = _local(tracks, frame)
    tod = _tod(tracks.t)
    records = []
    for i in range(len(tracks)):
        status = int(tracks.status[i])
        sd = np.sqrt(np.clip(np.diagonal(P[i]), 0.0, None))
        corr = float(P[i, 0, 1] / (sd[0] * sd[1])) if sd[0] > 0 and sd[1] > 0 else 0.0
        item: dict[str, Any] = {
            "010": (("SAC", sac), ("SIC", sic)),
            "000": (("MT", 2), ("RG", 0)),
            "015": service_id,
            "145": (tod, "s"),
            "161": int(tracks.track_id[i]) & 0xFFFF,
            # I170 bits: BIZ BAZ TUR spare CSTP CSTH CNF; CNF = tentative, CSTP/CSTH = coasting
            "170": [(0b110 if status == TrackStatus.COASTING else 0)
                    | (1 if status == TrackStatus.TENTATIVE else 0)],
            "600": {
                "P84": (
                    ("LATITUDE", (_clamp(float(lla[i, 0]), 180 / 2**31, -(2**31), 2**31 - 1),
                                  "°")),
                    ("LONGITUDE", (_clamp(float(lla[i, 1]), 180 / 2**31, -(2**31), 2**31 - 1),
                                   "°")),
                ),
                "HPP": (
                    ("SDHPX", (_clamp(float(sd[0]), 0.25, 0, 2**16 - 1), "m")),
                    ("SDHPY", (_clamp(float(sd[1]), 0.25, 0, 2**16 - 1), "m")),
                    ("COSDHPXY", (_clamp(corr, 1 / 128, -127, 127), "")),
                ),
            },
            "601": {
                "GH": (_clamp(float(lla[i, 2]), 0.01, -(2**23), 2**23 - 1), "m"),
                "SDGH": (_clamp(float(sd[2]), 0.01, 0, 2**24 - 1), "m"),
            },
            "602": {
                "HV": (
                    ("X", (_clamp(float(vel[i, 0]), 0.01, -(2**19), 2**19 - 1), "m/s")),
                    ("Y", (_clamp(float(vel[i, 1]), 0.01, -(2**19), 2**19 - 1), "m/s")),
                ),
                "SDHV": (
                    ("X", (_clamp(float(sd[3]), 0.01, 0, 2**16 - 1), "m/s")),
                    ("Y", (_clamp(float(sd[4]), 0.01, 0, 2**16 - 1), "m/s")),
                    ("COHVXY", (0.0, "")),
                ),
            },
        }  # fmt: skip
        records.append(spec.cv_record.create(item))  # type: ignore[arg-type]
    return _blocks(spec, records, max_block_octets)
