"""Mode S / ADS-B message decoding shared by the Beast and AVR readers.

Data layout
-----------
A Mode S reply is 56 bits (7 bytes: DF 0, 4, 5, 11) or 112 bits (14 bytes: DF 16, 17, 18, 20,
21), ICAO Annex 10 Vol IV §3.1.2. Bits 1-5 are the downlink format (DF); the last 24 bits are the
parity field: for DF 11/17/18 the CRC-24 remainder of the whole reply is 0 (DF 11: the
interrogator code), for DF 0/4/5/16/20/21 it is the CRC of the first bits XOR the 24-bit aircraft
address (Address/Parity), so those replies are only believed when the recovered address is one
already seen in a CRC-checked DF 11/17/18 reply.

ADS-B extended squitters (DF 17, and DF 18 non-transponder / TIS-B / ADS-R) carry a 56-bit ME
field whose first 5 bits are the type code (TC), RTCA DO-260B §2.2.3.2:

==========  ================================================================
TC 1-4      identification and category (BDS 0,8): callsign
TC 5-8      surface position (BDS 0,6): CPR 17-bit lat/lon, ground speed, track
TC 9-18     airborne position, barometric altitude (BDS 0,5), ft (pressure altitude)
TC 19       airborne velocity (BDS 0,9): ground speed kt, track, vertical rate ft/min,
            GNSS minus baro altitude difference ft (§2.2.3.2.6.1.15)
TC 20-22    airborne position, GNSS height (HAE, ft) (BDS 0,5)
TC 29       target state and status (NACp in version 2)
TC 31       aircraft operational status (BDS 6,5): version, NACp, GVA
==========  ================================================================

Field decoding is done by ``rs1090`` (MIT). CPR positions (DO-260B Appendix A, §A.1.7) are
resolved here, statefully per aircraft, so that a stream fed in chunks keeps its pairs: a global
decode from an even/odd pair received within 10 s (airborne) or 25 s (surface), otherwise a
local decode against the aircraft's last position (if younger than ``local_max_age_s``) or
against the receiver's reference position. Every decoded position passes a reasonableness check:
a jump implying a speed above ``max_speed_m_s`` from the last accepted position is rejected and
counted (reason ``"position"``).

Units out: SI (m, m/s, s); heights are WGS84 ellipsoidal (see :func:`height_from_baro`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, cast

import rs1090

from dronewall.adapters.base import DecodeLog, DetectionRecord, OffsetUnit

FT: Final = 0.3048
"""Metres per international foot."""
KT: Final = 1852.0 / 3600.0
"""m/s per knot."""
FPM: Final = FT / 60.0
"""m/s per ft/min."""
NM: Final = 1852.0

# ---------------------------------------------------------------------- accuracy tables

SIGMA_PER_R95_2D: Final = 1.0 / math.sqrt(-2.0 * math.log(0.05))
"""1-sigma per axis of a circular bivariate normal whose 95 % radius is 1 (R95 = 2.4477 sigma).

P(r < R) = 1 - exp(-R^2 / (2 sigma^2)) = 0.95  =>  sigma = R / sqrt(-2 ln 0.05).
"""
SIGMA_PER_R95_1D: Final = 1.0 / 1.959964
"""1-sigma of a 1-D normal whose 95 % two-sided bound is 1."""

NACP_EPU_M: Final[dict[int, float]] = {
    # RTCA DO-260B §2.2.3.2.7.2.7, Table 2-71: Estimated Position Uncertainty, 95 % horizontal
    # radius, by NACp. NACp 0 = unknown (>= 10 NM): we use 10 NM, and say so in x_accuracy.
    0: 10 * NM,
    1: 10 * NM,
    2: 4 * NM,
    3: 2 * NM,
    4: 1 * NM,
    5: 0.5 * NM,
    6: 0.3 * NM,
    7: 0.1 * NM,
    8: 0.05 * NM,
    9: 30.0,
    10: 10.0,
    11: 3.0,
}
NUCP_RCU_M: Final[dict[int, float]] = {
    # RTCA DO-260 (version 0) Table 2-14: NUCp -> RCu, 95 % horizontal containment radius.
    # NUCp follows from the type code (TC 9 -> 9 ... TC 18 -> 0; TC 5 -> 9 ... TC 8 -> 6;
    # TC 20 -> 9, 21 -> 8, 22 -> 0). NUCp 0 = unknown: 10 NM as for NACp 0.
    0: 10 * NM,
    1: 10 * NM,
    2: 5 * NM,
    3: 1 * NM,
    4: 0.5 * NM,
    5: 0.25 * NM,
    6: 0.1 * NM,
    7: 0.05 * NM,
    8: 10.0,
    9: 3.0,
}
GVA_M: Final[dict[int, float]] = {
    # DO-260B §2.2.3.2.7.2.8: Geometric Vertical Accuracy, 95 % bound. 0 = unknown or > 150 m.
    1: 150.0,
    2: 45.0,
}
GNSS_V95_DEFAULT_M: Final = 45.0
"""Assumption: vertical 95 % bound of a GNSS height when no GVA was received (GVA 2, the value
most DO-260B transponders report)."""

BARO_QNH_STD_M: Final = 83.0
"""Assumption: 1-sigma height error of ISA pressure altitude from the sea-level pressure, taken as
10 hPa (std of QNH about its 1013.25 hPa mean in mid-latitudes) x 8.3 m/hPa near sea level."""
BARO_TEMP_FRACTION: Final = 0.04
"""Assumption: 1-sigma relative height error of ISA pressure altitude from the air temperature
(ISA deviation ~10 K over a mean ~250 K)."""
GEOID_STD_M: Final = 30.0
"""Assumption: 1-sigma of the geoid undulation (ellipsoid vs. mean sea level) when not given
(|N| < 100 m worldwide, 40-50 m over Europe)."""
GEO_DIFF_MAX_AGE_S: Final = 120.0
"""Assumption: a received GNSS-minus-baro difference is used for this long (it changes with the
weather and the altitude only slowly)."""


def horizontal_std(nacp: int | None, nucp: int | None) -> tuple[float, str]:
    """1-sigma horizontal error per axis (m) and a label of its source.

    Parameters
    ----------
    nacp : int or None
        Navigation Accuracy Category for Position (DO-260B, version 1/2 transmitters).
    nucp : int or None
        Navigation Uncertainty Category for Position, from the type code (version 0).
    """
    if nacp is not None and nacp in NACP_EPU_M:
        label = f"nacp{nacp}" if nacp else "unknown"
        return NACP_EPU_M[nacp] * SIGMA_PER_R95_2D, label
    if nucp is not None and nucp in NUCP_RCU_M:
        label = f"nucp{nucp}" if nucp else "unknown"
        return NUCP_RCU_M[nucp] * SIGMA_PER_R95_2D, label
    return NACP_EPU_M[0] * SIGMA_PER_R95_2D, "unknown"


def height_from_baro(
    alt_ft: float, geo_minus_baro_ft: float | None, geoid_height_m: float | None
) -> tuple[float, float, str]:
    """Ellipsoidal height (m), its 1-sigma (m) and the label of the conversion.

    Barometric altitude in ADS-B (TC 9-18, DF 4/20, SBS) is *pressure altitude*: the height in
    the ICAO standard atmosphere of the aircraft's static pressure, relative to 1013.25 hPa.

    * With a GNSS-minus-baro difference (TC 19), ``h = (alt_ft + diff_ft) * 0.3048`` is the
      GNSS height, which DO-260B defines as above the WGS84 ellipsoid (HAE). Label
      ``"baro+gnss_diff"``.
    * Without one, the pressure altitude is taken as the height above mean sea level (ISA), plus
      ``geoid_height_m`` when given (the geoid undulation N at the site, ellipsoid to MSL), with
      the large vertical std of :data:`BARO_QNH_STD_M`, :data:`BARO_TEMP_FRACTION` and
      :data:`GEOID_STD_M` (assumptions). Label ``"baro_isa"``.
    """
    if geo_minus_baro_ft is not None:
        h = (alt_ft + geo_minus_baro_ft) * FT
        # the GNSS height's own error plus the 25 ft quantisation of both fields (uniform)
        std = math.hypot(GNSS_V95_DEFAULT_M * SIGMA_PER_R95_1D, 2 * 25 * FT / math.sqrt(12))
        return h, std, "baro+gnss_diff"
    h = alt_ft * FT
    std_geoid = 0.0 if geoid_height_m is not None else GEOID_STD_M
    std = math.sqrt(BARO_QNH_STD_M**2 + (BARO_TEMP_FRACTION * abs(h)) ** 2 + std_geoid**2)
    return h + (geoid_height_m or 0.0), std, "baro_isa"


# ---------------------------------------------------------------------- CRC-24


def _crc_table() -> list[int]:
    poly = 0xFFF409  # Annex 10 Vol IV §3.1.2.3.3.1: generator 1 1111 1111 1111 0100 0000 1001
    table = []
    for byte in range(256):
        c = byte << 16
        for _ in range(8):
            c = ((c << 1) ^ poly) if c & 0x800000 else (c << 1)
        table.append(c & 0xFFFFFF)
    return table


_CRC_TABLE: Final = _crc_table()


def crc24(data: bytes) -> int:
    """Mode S CRC-24 remainder of ``data`` (all bytes, parity included): 0 for a good DF17."""
    crc = 0
    table = _CRC_TABLE
    for b in data[:-3]:
        crc = ((crc << 8) & 0xFFFFFF) ^ table[(crc >> 16) ^ b]
    return crc ^ int.from_bytes(data[-3:], "big")


# ---------------------------------------------------------------------- CPR

_NZ: Final = 15
_CPR_SCALE: Final = float(1 << 17)


def _nl_transitions() -> list[float]:
    # latitude (deg) below which NL(lat) >= nl, for nl = 2..59 (DO-260B §A.1.7.2 d)
    a = 1.0 - math.cos(math.pi / (2 * _NZ))
    out = []
    for nl in range(2, 60):
        out.append(math.degrees(math.acos(math.sqrt(a / (1.0 - math.cos(2 * math.pi / nl))))))
    return out  # decreasing with nl


_NL_LATS: Final = _nl_transitions()


def cpr_nl(lat_deg: float) -> int:
    """Number of longitude zones NL(lat) (DO-260B §A.1.7.2 d), 1..59."""
    lat = abs(lat_deg)
    if lat == 87.0:  # the nl = 2 boundary, exactly 87 deg in the standard, rounds below it
        return 2
    nl = 1
    for i, limit in enumerate(_NL_LATS):  # limit of nl = i + 2
        if lat < limit:
            nl = i + 2
        else:
            break
    return nl


def cpr_global(
    even: tuple[int, int],
    odd: tuple[int, int],
    newest_odd: bool,
    surface: bool = False,
    ref: tuple[float, float] | None = None,
) -> tuple[float, float] | None:
    """Global CPR decode of an even/odd pair (DO-260B §A.1.7.7 airborne, §A.1.7.8 surface).

    Parameters
    ----------
    even, odd : (lat_cpr, lon_cpr)
        The 17-bit encoded values of the even (F=0) and odd (F=1) messages.
    newest_odd : bool
        True when the odd message is the newer; the position is that of the newer message.
    surface : bool
        Surface encoding (90-degree zones): needs ``ref`` to choose among the four solutions.
    ref : (lat_deg, lon_deg), optional
        Reference for the surface ambiguity (the receiver).

    Returns
    -------
    (lat_deg, lon_deg) or None
        None when the two messages straddle a longitude-zone boundary (NL differs) or a surface
        pair has no reference.
    """
    span = 90.0 if surface else 360.0
    if surface and ref is None:
        return None
    lat0, lon0 = even[0] / _CPR_SCALE, even[1] / _CPR_SCALE
    lat1, lon1 = odd[0] / _CPR_SCALE, odd[1] / _CPR_SCALE
    d0, d1 = span / 60.0, span / 59.0
    j = math.floor(59.0 * lat0 - 60.0 * lat1 + 0.5)
    rlat0 = d0 * (j % 60 + lat0)
    rlat1 = d1 * (j % 59 + lat1)
    if surface:
        assert ref is not None
        # the northern solution is found; the southern one is 90 deg below: the nearer to ref
        if rlat0 - ref[0] > 45.0:
            rlat0 -= 90.0
        if rlat1 - ref[0] > 45.0:
            rlat1 -= 90.0
    else:
        if rlat0 >= 270.0:
            rlat0 -= 360.0
        if rlat1 >= 270.0:
            rlat1 -= 360.0
    if not (-90.0 <= rlat0 <= 90.0 and -90.0 <= rlat1 <= 90.0):
        return None
    nl = cpr_nl(rlat0)
    if nl != cpr_nl(rlat1):
        return None
    lat, lon_cpr_new, i = (rlat1, lon1, 1) if newest_odd else (rlat0, lon0, 0)
    ni = max(nl - i, 1)
    m = math.floor(lon0 * (nl - 1) - lon1 * nl + 0.5)
    lon = (span / ni) * (m % ni + lon_cpr_new)
    if surface:
        assert ref is not None
        # four solutions 90 deg apart: the one nearest the reference
        lon += 90.0 * round((ref[1] - lon) / 90.0)
    lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


def cpr_local(
    cpr: tuple[int, int], odd: bool, ref: tuple[float, float], surface: bool = False
) -> tuple[float, float]:
    """Local CPR decode against a reference within half a zone (DO-260B §A.1.7.5, §A.1.7.6).

    Valid when the true position is within 180 NM (airborne) or 45 NM (surface) of ``ref``; the
    caller checks plausibility.
    """
    span = 90.0 if surface else 360.0
    i = 1 if odd else 0
    lat_c, lon_c = cpr[0] / _CPR_SCALE, cpr[1] / _CPR_SCALE
    dlat = span / (60 - i)
    j = math.floor(ref[0] / dlat) + math.floor((ref[0] % dlat) / dlat - lat_c + 0.5)
    lat = dlat * (j + lat_c)
    dlon = span / max(cpr_nl(lat) - i, 1)
    m = math.floor(ref[1] / dlon) + math.floor((ref[1] % dlon) / dlon - lon_c + 0.5)
    lon = dlon * (m + lon_c)
    lon = (lon + 180.0) % 360.0 - 180.0
    return lat, lon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of radius 6371 km (enough for plausibility checks)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * 6371000.0 * math.asin(min(1.0, math.sqrt(a)))


# ---------------------------------------------------------------------- per-aircraft state


@dataclass(slots=True)
class AircraftState:
    """What the decoder remembers of one address between messages (times in UTC epoch s)."""

    even: tuple[int, int, float, bool] | None = None  # lat_cpr, lon_cpr, t, surface
    odd: tuple[int, int, float, bool] | None = None
    lat: float = math.nan
    lon: float = math.nan
    t_pos: float = -math.inf
    rejects_in_row: int = 0
    last_key: tuple[float, float, float] | None = None
    callsign: str | None = None
    squawk: str | None = None
    gs_m_s: float | None = None
    track_deg: float | None = None
    vrate_m_s: float | None = None
    t_vel: float = -math.inf
    geo_minus_baro_ft: float | None = None
    t_geo: float = -math.inf
    version: int | None = None
    nacp: int | None = None
    gva: int | None = None
    on_ground: bool | None = None
    alt_baro_ft: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ModeSOptions:
    """Options of Mode S position resolution and record building.

    Parameters
    ----------
    sensor : str
        ``sensor`` id written in every record.
    reference : (lat_deg, lon_deg), optional
        Receiver position: local CPR decode of a lone message and the surface ambiguity; and, with
        ``max_range_m``, a range check of every position.
    max_range_m : float
        Positions farther than this from ``reference`` are rejected. Default 600 km: beyond the
        radio horizon of a receiver for an aircraft at FL450 (~ 4.12 km * sqrt(13700) = 480 km
        plus the antenna's own horizon); an assumption.
    max_speed_m_s : float
        Reasonableness limit between consecutive positions of one aircraft. Default 700 m/s
        (1360 kt, above any civil ground speed; assumption).
    jump_slack_m : float
        Distance always allowed between consecutive positions (CPR quantisation ~5 m, time
        tags), default 1000 m (assumption).
    local_max_age_s : float
        A lone message is decoded against the aircraft's own last position if that is younger
        (default 30 s: 21 km at 700 m/s, well inside the 180 NM half zone).
    pair_max_dt_s, surface_pair_max_dt_s : float
        Maximum age difference of a global even/odd pair: 10 s airborne, 25 s surface
        (DO-260B §A.1.7.7 / §A.1.7.8 guidance).
    velocity_max_age_s : float
        Velocity, attached as ``x_`` keys to a position, if not older than this (default 10 s;
        velocity is broadcast at 2 Hz, DO-260B §2.2.3.3.1.3).
    geoid_height_m : float, optional
        Geoid undulation at the site, added to barometric heights without a GNSS difference.
    """

    sensor: str = "adsb"
    reference: tuple[float, float] | None = None
    max_range_m: float = 600_000.0
    max_speed_m_s: float = 700.0
    jump_slack_m: float = 1000.0
    local_max_age_s: float = 30.0
    pair_max_dt_s: float = 10.0
    surface_pair_max_dt_s: float = 25.0
    velocity_max_age_s: float = 10.0
    geoid_height_m: float | None = None


class ModeSCore:
    """Stateful Mode S decoder: checks CRCs, keeps per-aircraft state, emits position records.

    Parameters
    ----------
    log : DecodeLog
        Where bad messages are reported (reason keys ``crc`` for DF17/18 parity failures,
        ``position`` for rejected positions, ``message`` for undecodable ones).
    options : ModeSOptions

    Attributes
    ----------
    parity_failures : int
        DF17/18 replies whose CRC remainder was not 0 (also in ``log.by_reason["crc"]``).
    unverified : int
        DF 0/4/5/16/20/21 replies whose recovered address was never seen in a CRC-checked reply
        (dropped without an issue: most are noise).
    position_rejects, duplicates, unresolved : int
        Positions rejected by the reasonableness checks; repeated identical positions skipped;
        position messages that could not be resolved yet (no pair, no reference).
    aircraft : dict of int to AircraftState
    """

    def __init__(self, log: DecodeLog, options: ModeSOptions) -> None:
        self.log = log
        self.options = options
        self.aircraft: dict[int, AircraftState] = {}
        self.known: set[int] = set()
        self.parity_failures = 0
        self.unverified = 0
        self.position_rejects = 0
        self.duplicates = 0
        self.unresolved = 0

    def _state(self, addr: int) -> AircraftState:
        st = self.aircraft.get(addr)
        if st is None:
            st = self.aircraft[addr] = AircraftState()
        return st

    def decode(
        self,
        msgs: list[tuple[bytes, float, float, int, float | None]],
        unit: OffsetUnit,
    ) -> list[DetectionRecord]:
        """Decode a batch of replies in order.

        Parameters
        ----------
        msgs : list of (payload, t, t_received, offset, signal_dbfs)
            Raw 7- or 14-byte replies with their time of reception (UTC epoch s), the time the
            chunk was received, their offset in the stream (for issues) and the signal level.
        unit : {"byte", "line", "message"}
            Unit of the offsets.
        """
        checked: list[tuple[bytes, float, float, int, float | None, int, int]] = []
        for payload, t, t_rx, offset, sig in msgs:
            df = payload[0] >> 3
            n = len(payload)
            if df in (17, 18, 11):
                if n != 14 and df != 11:
                    self.log.reject(offset, f"length: DF{df} needs 14 bytes, got {n}", unit)
                    continue
                rem = crc24(payload)
                addr = int.from_bytes(payload[1:4], "big")
                if df == 11:
                    if rem & 0xFFFF80:  # DF11 remainder is the interrogator code (II/SI)
                        self.unverified += 1
                        continue
                    self.known.add(addr)
                    self.log.ok()
                    continue
                if rem != 0:
                    self.parity_failures += 1
                    self.log.reject(
                        offset, f"crc: DF{df} parity failure (remainder {rem:06X})", unit
                    )
                    continue
                self.known.add(addr)
                checked.append((payload, t, t_rx, offset, sig, df, addr))
            elif df in (0, 4, 5, 16, 20, 21):
                if n != (14 if df >= 16 else 7):
                    self.log.reject(offset, f"length: DF{df} of {n} bytes", unit)
                    continue
                addr = crc24(payload)
                if addr not in self.known:
                    self.unverified += 1
                    continue
                checked.append((payload, t, t_rx, offset, sig, df, addr))
            else:
                # DF 19 military, 22, 24 Comm-D and unassigned: nothing we use
                self.log.ok()
        if not checked:
            return []
        decoded = _decode_hex([p.hex() for p, *_ in checked])
        out: list[DetectionRecord] = []
        for (payload, t, t_rx, offset, sig, df, addr), msg in zip(checked, decoded, strict=True):
            if msg is None:
                self.log.reject(offset, f"message: DF{df} not decodable", unit)
                continue
            self.log.ok()
            rec = self._apply(msg, payload, df, addr, t, t_rx, offset, sig, unit)
            if rec is not None:
                out.append(rec)
        return out

    def _apply(
        self,
        msg: dict[str, Any],
        payload: bytes,
        df: int,
        addr: int,
        t: float,
        t_rx: float,
        offset: int,
        sig: float | None,
        unit: OffsetUnit,
    ) -> DetectionRecord | None:
        st = self._state(addr)
        if df in (20, 21):
            cs = comm_b_callsign(payload)
            if cs is not None:
                st.callsign = cs
        if df in (4, 20):
            alt = msg.get("altitude")
            if isinstance(alt, int | float):
                st.alt_baro_ft = float(alt)
            return None
        if df in (5, 21):
            sq = msg.get("squawk")
            if isinstance(sq, str):
                st.squawk = sq
            return None
        if df in (0, 16):
            return None
        tc = payload[4] >> 3
        if 1 <= tc <= 4:
            cs = msg.get("callsign")
            if isinstance(cs, str):
                st.callsign = cs.strip("_ #")
            return None
        if tc == 19:
            self._velocity(st, msg, t)
            return None
        if tc == 31 or tc == 29:
            v = msg.get("version")
            if isinstance(v, int):
                st.version = v
            nacp = msg.get("NACp")
            if isinstance(nacp, int):
                st.nacp = nacp
            gva = msg.get("GVA")
            if isinstance(gva, int):
                st.gva = gva
            return None
        if 5 <= tc <= 8 or 9 <= tc <= 18 or 20 <= tc <= 22:
            return self._position(st, msg, payload, df, addr, tc, t, t_rx, offset, sig, unit)
        return None

    @staticmethod
    def _velocity(st: AircraftState, msg: dict[str, Any], t: float) -> None:
        gs = msg.get("groundspeed")
        trk = msg.get("track")
        if isinstance(gs, int | float) and isinstance(trk, int | float):
            st.gs_m_s = float(gs) * KT
            st.track_deg = float(trk)
            vr = msg.get("vertical_rate")
            st.vrate_m_s = float(vr) * FPM if isinstance(vr, int | float) else None
            st.t_vel = t
        diff = msg.get("geo_minus_baro")
        if isinstance(diff, int | float):
            st.geo_minus_baro_ft = float(diff)
            st.t_geo = t

    def _position(
        self,
        st: AircraftState,
        msg: dict[str, Any],
        payload: bytes,
        df: int,
        addr: int,
        tc: int,
        t: float,
        t_rx: float,
        offset: int,
        sig: float | None,
        unit: OffsetUnit,
    ) -> DetectionRecord | None:
        opt = self.options
        surface = tc <= 8
        alt = msg.get("altitude")
        if 9 <= tc <= 18 and isinstance(alt, int | float):
            st.alt_baro_ft = float(alt)
        lat_c, lon_c = msg.get("lat_cpr"), msg.get("lon_cpr")
        if not isinstance(lat_c, int) or not isinstance(lon_c, int):
            me = int.from_bytes(payload[4:11], "big")
            lat_c, lon_c = (me >> 17) & 0x1FFFF, me & 0x1FFFF
        odd = bool((payload[6] >> 2) & 1)
        entry = (lat_c, lon_c, t, surface)
        if odd:
            st.odd = entry
        else:
            st.even = entry
        other = st.even if odd else st.odd
        ref_rx = opt.reference
        pos: tuple[float, float] | None = None
        how = ""
        max_dt = opt.surface_pair_max_dt_s if surface else opt.pair_max_dt_s
        if other is not None and other[3] == surface and abs(t - other[2]) <= max_dt:
            even, oddc = (other, entry) if odd else (entry, other)
            sref = ref_rx
            if surface and t - st.t_pos <= opt.local_max_age_s:
                sref = (st.lat, st.lon)
            pos = cpr_global((even[0], even[1]), (oddc[0], oddc[1]), odd, surface, sref)
            how = "global"
        if pos is None and t - st.t_pos <= opt.local_max_age_s:
            pos = cpr_local((lat_c, lon_c), odd, (st.lat, st.lon), surface)
            how = "local-aircraft"
        if pos is None and ref_rx is not None:
            pos = cpr_local((lat_c, lon_c), odd, ref_rx, surface)
            how = "local-receiver"
        if pos is None:
            self.unresolved += 1
            return None
        lat, lon = pos
        if ref_rx is not None:
            rng = distance_m(ref_rx[0], ref_rx[1], lat, lon)
            if rng > opt.max_range_m:
                self.position_rejects += 1
                self.log.reject(
                    offset,
                    f"position: {addr:06X} {how} CPR decode {rng / 1000:.0f} km from the "
                    f"receiver (> max_range_m {opt.max_range_m / 1000:.0f} km)",
                    unit,
                )
                return None
        if math.isfinite(st.t_pos):
            dt = abs(t - st.t_pos)
            dist = distance_m(st.lat, st.lon, lat, lon)
            if dist > opt.max_speed_m_s * dt + opt.jump_slack_m:
                self.position_rejects += 1
                st.rejects_in_row += 1
                if st.rejects_in_row >= 4:
                    # the accepted position itself may be the wrong one: start afresh from a pair
                    st.t_pos = -math.inf
                    st.rejects_in_row = 0
                self.log.reject(
                    offset,
                    f"position: {addr:06X} jumped {dist:.0f} m in {dt:.1f} s "
                    f"(> max_speed_m_s {opt.max_speed_m_s:g} m/s)",
                    unit,
                )
                return None
        key = (t, lat, lon)
        if key == st.last_key:
            self.duplicates += 1
            return None
        st.last_key = key
        st.rejects_in_row = 0
        st.lat, st.lon, st.t_pos = lat, lon, t
        st.on_ground = surface
        cf = payload[0] & 7 if df == 18 else 0
        return self._record(st, msg, df, cf, addr, tc, t, t_rx, lat, lon, how, sig)

    def _record(
        self,
        st: AircraftState,
        msg: dict[str, Any],
        df: int,
        cf: int,
        addr: int,
        tc: int,
        t: float,
        t_rx: float,
        lat: float,
        lon: float,
        how: str,
        sig: float | None,
    ) -> DetectionRecord:
        opt = self.options
        # accuracy: NACp of a version 1/2 transmitter, else NUCp from the type code (version 0)
        nucp = msg.get("NUCp")
        nucp = nucp if isinstance(nucp, int) else _nucp_of_tc(tc)
        nacp = st.nacp if (st.version or 0) >= 1 else None
        sh, acc = horizontal_std(nacp, nucp)
        rec: DetectionRecord = {
            "t": t,
            "t_received": t_rx,
            "sensor": opt.sensor,
            "kind": "position",
        }
        alt = msg.get("altitude")
        position: dict[str, Any] = {"lat_deg": lat, "lon_deg": lon}
        if tc <= 8 or not isinstance(alt, int | float):
            position["alt_m"] = None
            rec["position"] = position
            rec["std"] = [sh, sh]
            rec["x_height_source"] = None
        elif tc >= 20:
            v95 = GVA_M.get(st.gva or 0, GNSS_V95_DEFAULT_M)
            position["alt_m"] = float(alt) * FT
            rec["position"] = position
            rec["std"] = [sh, sh, v95 * SIGMA_PER_R95_1D]
            rec["x_height_source"] = "gnss"
            rec["x_alt_gnss_ft"] = alt
        else:
            diff = st.geo_minus_baro_ft if t - st.t_geo <= GEO_DIFF_MAX_AGE_S else None
            h, sv, label = height_from_baro(float(alt), diff, opt.geoid_height_m)
            position["alt_m"] = h
            rec["position"] = position
            rec["std"] = [sh, sh, sv]
            rec["x_height_source"] = label
            rec["x_alt_baro_ft"] = alt
        addr_hex = f"{addr:06X}"
        # DO-260B §2.2.3.1: DF18 CF 1 and 5 carry a non-ICAO (anonymous / surface) address
        if df == 17 or cf not in (1, 5):
            rec["icao"] = addr_hex
        else:
            rec["x_address"] = addr_hex
        rec["x_df"] = df
        rec["x_tc"] = tc
        rec["x_cpr"] = how
        rec["x_accuracy"] = acc
        rec["x_on_ground"] = tc <= 8
        if tc <= 8:
            gs = msg.get("groundspeed")
            trk = msg.get("track")
            if isinstance(gs, int | float):
                rec["x_ground_speed_m_s"] = float(gs) * KT
            if isinstance(trk, int | float):
                rec["x_track_deg"] = float(trk)
        elif t - st.t_vel <= opt.velocity_max_age_s and st.gs_m_s is not None:
            rec["x_ground_speed_m_s"] = st.gs_m_s
            rec["x_track_deg"] = st.track_deg
            if st.vrate_m_s is not None:
                rec["x_vertical_rate_m_s"] = st.vrate_m_s
        if st.callsign:
            rec["x_callsign"] = st.callsign
        if st.squawk:
            rec["x_squawk"] = st.squawk
        if sig is not None:
            rec["x_signal_dbfs"] = sig
        return rec


def _nucp_of_tc(tc: int) -> int:
    """NUCp implied by the type code (DO-260 Table 2-14)."""
    if 9 <= tc <= 18:
        return 18 - tc
    if 5 <= tc <= 8:
        return 14 - tc
    return {20: 9, 21: 8}.get(tc, 0)


def _decode_hex(hexes: list[str]) -> list[dict[str, Any] | None]:
    """rs1090 field decoding of checked replies (valid hex of 7 or 14 bytes), in order.

    ``rs1090.decode`` panics (``pyo3_runtime.PanicException``, a ``BaseException``) on invalid
    hex, so only hex made here from bytes is passed; a failing batch is retried per message.
    """
    try:
        return cast("list[dict[str, Any] | None]", rs1090.decode(hexes))
    except Exception:  # pragma: no cover - defensive: isolate the message rs1090 refuses
        out: list[dict[str, Any] | None] = []
        for h in hexes:
            try:
                out.append(cast("dict[str, Any] | None", rs1090.decode(h)))
            except Exception:
                out.append(None)
        return out


_AIS: Final = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######"


def comm_b_callsign(payload: bytes) -> str | None:
    """Callsign of a DF 20/21 reply carrying BDS 2,0 (ICAO Doc 9871 §A.2.2.2), else None.

    The MB field (bytes 4-10) is ``0x20`` then eight 6-bit characters of the ICAO (IA-5
    subset) alphabet; a reply whose characters are not letters, digits or spaces is not taken
    as BDS 2,0 (the register number is not transmitted, so this check is the inference).
    """
    if len(payload) != 14 or payload[4] != 0x20:
        return None
    bits = int.from_bytes(payload[5:11], "big")
    chars = [_AIS[(bits >> (42 - 6 * i)) & 0x3F] for i in range(8)]
    text = "".join(chars)
    if "#" in text:
        return None
    text = text.strip()
    return text or None


def decode_reply(payload: bytes) -> dict[str, Any]:
    """The fields of one Mode S reply that this adapter uses, in the units of the message.

    For inspection and golden tests; :class:`ModeSCore` applies the same decoding in a stream.

    Parameters
    ----------
    payload : bytes
        A 7- or 14-byte reply.

    Returns
    -------
    dict
        ``df``; ``address`` (6 upper-case hex digits: the AA field of DF 11/17/18, else the
        address recovered from the Address/Parity field); ``crc_ok`` (DF 11/17/18: remainder 0,
        DF 11 up to the interrogator code; None for Address/Parity formats); and when present
        ``tc``, ``callsign``, ``altitude_ft`` (barometric, or GNSS for TC 20-22),
        ``cpr_odd``, ``lat_cpr``, ``lon_cpr``, ``ground_speed_kt``, ``track_deg``,
        ``vertical_rate_fpm``, ``geo_minus_baro_ft``, ``squawk``.
    """
    df = payload[0] >> 3
    rem = crc24(payload)
    out: dict[str, Any] = {"df": df}
    if df in (11, 17, 18):
        out["address"] = payload[1:4].hex().upper()
        out["crc_ok"] = rem == 0 if df != 11 else not rem & 0xFFFF80
    else:
        out["address"] = f"{rem:06X}"
        out["crc_ok"] = None
    if out["crc_ok"] is False or len(payload) not in (7, 14):
        return out
    msg = _decode_hex([payload.hex()])[0] or {}
    if df in (17, 18):
        out["tc"] = payload[4] >> 3
    pairs = (
        ("callsign", "callsign"),
        ("altitude", "altitude_ft"),
        ("lat_cpr", "lat_cpr"),
        ("lon_cpr", "lon_cpr"),
        ("groundspeed", "ground_speed_kt"),
        ("track", "track_deg"),
        ("vertical_rate", "vertical_rate_fpm"),
        ("geo_minus_baro", "geo_minus_baro_ft"),
        ("squawk", "squawk"),
    )
    for src, dst in pairs:
        v = msg.get(src)
        if v is not None:
            out[dst] = v
    if isinstance(out.get("callsign"), str):
        out["callsign"] = out["callsign"].strip("_ #")
    if df in (20, 21):
        cs = comm_b_callsign(payload)
        if cs is not None:
            out["callsign"] = cs
    if "lat_cpr" in out:
        out["cpr_odd"] = bool((payload[6] >> 2) & 1)
    return out
