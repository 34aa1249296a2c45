"""EUROCONTROL ASTERIX in: CAT 048, 062, 021, 015 and 034 to detection records; 015/062 out.

ASTERIX (EUROCONTROL Specification, Part 1 *Data Structure* and one Part per category) is what
surveillance radars, sensor data processing systems (SDPS) and ADS-B ground stations speak,
usually one or more *data blocks* per UDP datagram::

    CAT (1 octet) | LEN (2 octets, whole block) | record | record | ...
    record = FSPEC (which UAP items follow) | items in UAP order

What becomes what
-----------------
======  ==============================  ===================================================
CAT     what it carries                 what the decoder returns
======  ==============================  ===================================================
048     monoradar target reports        ``kind: polar`` detections (I040 rho/theta), the
                                        radar's position from the radar table (SAC/SIC)
062     SDPS system tracks              ``kind: position`` detections (I105 WGS84, I130
                                        geometric altitude, noise from I500)
021     ADS-B target reports            ``kind: position`` (I131/I130, I140, noise from
                                        I090 NACp)
015     INCS (non-cooperative) reports  ``kind: position`` (I600/I601) or ``kind: polar``
                                        (I625/I627/I628), I300 classification in ``x_`` keys
034     monoradar service messages      :class:`ServiceMessage` in
                                        :attr:`AsterixDecoder.service_messages`
other   (065 SDPS status, 001/002 ...)  skipped, reported as ``category not decoded``
======  ==============================  ===================================================

Times are seconds of the UTC day in ASTERIX (CAT 048 I140, 062 I070, 021 I071/I073/I077, 015
I145, 034 I030, LSB 1/128 s); the day comes from the configured ``date`` or from the time the
datagram was received (the capture time stamp), with the UTC midnight rollover handled (the
time of day is put on the day that brings it within 12 h of the reception time; with a
configured date, a jump back of more than 12 h in time of day starts the next day).

Bad input is never raised from :meth:`AsterixDecoder.feed`: a block whose length overruns the
datagram, a record whose FSPEC announces items beyond its block, an unknown category, a value
out of range are each reported to :attr:`AsterixDecoder.log` with the byte offset (from the
start of everything fed) and a reason naming the category and item (``"CAT 048 I040: record
ends inside the item"``); the following blocks are still decoded.

The octets are walked by :mod:`~dronewall.adapters.asterix_layout` (item length rules taken from
``libasterix``'s category specifications); values of CAT 048 and 062 are read by a fast path,
of the other categories through ``libasterix`` (:mod:`~dronewall.adapters.asterix_fields`).
Encoding is in :mod:`~dronewall.adapters.asterix_encode`.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from dronewall.adapters.asterix_encode import encode_cat015, encode_cat062
from dronewall.adapters.asterix_fields import (
    Values,
    fast_values,
    parse_record,
    reference_values,
)
from dronewall.adapters.asterix_layout import DECODED, LAYOUTS, TITLES, RecordError, walk_record
from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.core.errors import ConfigError, InputError

__all__ = [
    "AsterixDecoder",
    "RadarSite",
    "ServiceMessage",
    "encode_cat015",
    "encode_cat062",
    "read_asterix_capture",
]

NM: Final = 1852.0  # m, international nautical mile
FT: Final = 0.3048  # m, international foot
DAY: Final = 86400.0

# Default radar noise (1 sigma). ASSUMPTION: the order of the EUROCONTROL Standard for Radar
# Surveillance in En-Route Airspace and Major Terminal Areas (SUR.ET1.ST01.1000-STD-01-01,
# 1997) SSR accuracy requirements (range error s.d. <= 70 m, azimuth error s.d. <= 0.08 deg);
# give the measured figures of your radar in RadarSite.
DEFAULT_RANGE_STD_M: Final = 70.0
DEFAULT_AZIMUTH_STD_DEG: Final = 0.08

# CAT 062 tracks without I500: ASSUMPTION, a typical multi-radar tracker (ARTAS class) in
# en-route airspace; configurable (AsterixDecoder(track_std_m=...)).
DEFAULT_TRACK_STD_M: Final = (150.0, 60.0)  # horizontal per axis, vertical

# CAT 015 reports without I600 HPP / I601 SDGH precision: ASSUMPTION, a short-range drone radar
# position fix; configurable (AsterixDecoder(incs_std_m=...)).
DEFAULT_INCS_STD_M: Final = (10.0, 15.0)

# CAT 021 I090 NACp -> EPU, the 95 % bound on horizontal position error (RTCA DO-260B Table
# 2-70 / EUROCAE ED-102A; NACp 0 means EPU >= 10 NM, taken as 10 NM).
NACP_EPU_M: Final[dict[int, float]] = {
    0: 10 * NM, 1: 10 * NM, 2: 4 * NM, 3: 2 * NM, 4: 1 * NM, 5: 0.5 * NM, 6: 0.3 * NM,
    7: 0.1 * NM, 8: 0.05 * NM, 9: 30.0, 10: 10.0, 11: 3.0,
}  # fmt: skip
# NUCp -> HFOM, the 95 % horizontal figure of merit (RTCA DO-260A Table 2-14), for version 0
# transponders that send no NACp. 0 (unknown) taken as 10 NM.
NUCP_HFOM_M: Final[dict[int, float]] = {
    0: 10 * NM, 1: 10 * NM, 2: 5 * NM, 3: 1 * NM, 4: 0.5 * NM, 5: 0.25 * NM, 6: 0.1 * NM,
    7: 0.05 * NM, 8: 10.0, 9: 3.0,
}  # fmt: skip
# GVA -> 95 % bound on geometric altitude error (DO-260B 2.2.3.2.7.2.8): 1 -> 150 m, 2 -> 45 m.
GVA_M: Final[dict[int, float]] = {1: 150.0, 2: 45.0}
# A 95 % radial bound R of a circular 2-D normal error is R = sqrt(-2 ln 0.05) sigma = 2.4477
# sigma per axis; a 95 % bound on one axis is 1.96 sigma.
RADIAL_95: Final = math.sqrt(-2.0 * math.log(0.05))
AXIAL_95: Final = 1.959964
# ADS-B height without GVA: ASSUMPTION 50 m (1 sigma), GNSS vertical error order.
DEFAULT_ADSB_VERTICAL_STD_M: Final = 50.0

CAT034_KINDS: Final[dict[int, str]] = {
    1: "north_marker",
    2: "sector_crossing",
    3: "geographical_filtering",
    4: "jamming_strobe",
    5: "solar_storm",
    6: "ssr_jamming_strobe",
    7: "mode_s_jamming_strobe",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarSite:
    """Where a radar (SAC/SIC) stands and how precise it is.

    Parameters
    ----------
    lat_deg, lon_deg : float
        WGS84 position of the antenna, degrees.
    alt_m : float
        Height of the antenna above the WGS84 ellipsoid, m.
    name : str, optional
        Sensor id of its detections (default ``asterix-<sac>-<sic>``).
    range_std_m, azimuth_std_deg : float
        1-sigma noise of its plots (defaults: see ``DEFAULT_RANGE_STD_M``, an assumption).
    """

    lat_deg: float
    lon_deg: float
    alt_m: float = 0.0
    name: str | None = None
    range_std_m: float = DEFAULT_RANGE_STD_M
    azimuth_std_deg: float = DEFAULT_AZIMUTH_STD_DEG

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat_deg <= 90.0 or not -180.0 <= self.lon_deg <= 180.0:
            raise ConfigError(
                "radar position outside WGS84 range", field="lat_deg/lon_deg",
                actual=f"{self.lat_deg}, {self.lon_deg}",
            )  # fmt: skip
        if not (self.range_std_m > 0 and self.azimuth_std_deg > 0):
            raise ConfigError("radar noise must be positive", field="range_std_m/azimuth_std_deg")

    def position(self) -> dict[str, float]:
        """The site as a detection-file WGS84 position."""
        return {"lat_deg": self.lat_deg, "lon_deg": self.lon_deg, "alt_m": self.alt_m}


ServiceKind = Literal[
    "north_marker",
    "sector_crossing",
    "geographical_filtering",
    "jamming_strobe",
    "solar_storm",
    "ssr_jamming_strobe",
    "mode_s_jamming_strobe",
    "track_end",
    "unknown",
]


@dataclass(frozen=True, slots=True)
class ServiceMessage:
    """A CAT 034 radar service message (or a CAT 015 track end): not a detection.

    Attributes
    ----------
    t : float
        UTC epoch seconds (I030 time of day on the resolved date; NaN when absent).
    category : int
        34 or 15.
    sac, sic : int
        Data source (I010).
    kind : str
        CAT 034 I000 message type (``north_marker``, ``sector_crossing`` ...), ``track_end``
        for a CAT 015 track end message.
    sector_deg : float or None
        CAT 034 I020 sector azimuth (deg clockwise from north, LSB 360/2^8).
    rotation_period_s : float or None
        CAT 034 I041 antenna rotation period, s.
    track_number : int or None
        CAT 015 I161 of a track end.
    offset : int
        Byte offset of the record in the stream fed.
    """

    t: float
    category: int
    sac: int
    sic: int
    kind: ServiceKind
    sector_deg: float | None = None
    rotation_period_s: float | None = None
    track_number: int | None = None
    offset: int = 0


class AsterixDecoder:
    """ASTERIX data blocks to detection records (see the module docstring).

    Parameters
    ----------
    radars : mapping of (SAC, SIC) to RadarSite, optional
        The radar table: needed for polar reports (CAT 048, polar CAT 015); a polar report from a
        radar not in it is rejected with a reason naming its SAC/SIC.
    date : datetime.date, optional
        UTC date of the data; default: the date of each datagram's reception time.
    source : str
        Name used in the log's issues.
    sensor_prefix : str
        Sensor ids of sources not in ``radars``: ``<prefix>-<sac>-<sic>``.
    stream : bool
        False (default): each :meth:`feed` is one UDP datagram (complete blocks). True: ``feed``
        takes any chunk of a byte stream of blocks (a raw file, TCP); a partial block at the end
        is kept for the next call (:meth:`flush` reports one left at the end).
    framing : {"auto", "asterix", "oradis"}
        Datagrams of plain data blocks, or of ORADIS records (each block behind a 6-octet
        header: a 2-octet big-endian length counting the header, then 4 octets, a recorder time
        stamp, not used). ``auto`` (default) takes a datagram as ORADIS when it starts with
        octet 0 (CAT 000 is not assigned) and its ORADIS lengths tile it exactly, each holding
        one whole block. Not used with ``stream=True``.
    fast : bool
        Read CAT 048/062 values with the fast path (default) or through libasterix.
    slant_to_ground : bool
        CAT 048 rho is the slant range; a 2-D plot's ``range_m`` is a horizontal range. When True
        (default) and I090 gives a valid flight level, ``range_m = sqrt(rho^2 - dh^2)`` with
        ``dh`` = flight level height (standard atmosphere, 100 ft per FL) minus the antenna
        height; ``x_slant_range_m`` keeps rho. Earth curvature is not modelled.
    track_std_m : (float, float)
        CAT 062 noise without I500, 1 sigma (horizontal per axis, vertical), m.
    incs_std_m : (float, float)
        CAT 015 position noise without I600 HPP / I601 SDGH, 1 sigma (horizontal, vertical), m.
    log : DecodeLog, optional
        Where issues go (default: a new one named ``source``).

    Attributes
    ----------
    log : DecodeLog
    service_messages : list of ServiceMessage
        CAT 034 messages (and CAT 015 track ends), in arrival order; the caller may clear it.
    records_by_category : Counter
        Records decoded (good) per category.
    blocks_skipped : Counter
        Data blocks of categories not decoded, per category.
    oradis_datagrams : int
        Datagrams read as ORADIS records.
    """

    def __init__(
        self,
        radars: Mapping[tuple[int, int], RadarSite] | None = None,
        date: dt.date | None = None,
        source: str = "asterix",
        *,
        sensor_prefix: str = "asterix",
        stream: bool = False,
        framing: Literal["auto", "asterix", "oradis"] = "auto",
        fast: bool = True,
        slant_to_ground: bool = True,
        track_std_m: tuple[float, float] = DEFAULT_TRACK_STD_M,
        incs_std_m: tuple[float, float] = DEFAULT_INCS_STD_M,
        log: DecodeLog | None = None,
    ) -> None:
        self.radars: dict[tuple[int, int], RadarSite] = dict(radars or {})
        for key, site in self.radars.items():
            if not isinstance(site, RadarSite):
                raise ConfigError("radar table values must be RadarSite", field=f"radars{key}")
        self.date = date
        self.sensor_prefix = sensor_prefix
        self.stream = stream
        if framing not in ("auto", "asterix", "oradis"):
            raise ConfigError("framing must be auto, asterix or oradis", field="framing")
        self.framing = framing
        self.oradis_datagrams = 0
        self.fast = fast
        self.slant_to_ground = slant_to_ground
        self.track_std_m = track_std_m
        self.incs_std_m = incs_std_m
        self.log = log if log is not None else DecodeLog(source)
        self.service_messages: list[ServiceMessage] = []
        self.records_by_category: Counter[int] = Counter()
        self.blocks_skipped: Counter[int] = Counter()
        self._offset = 0  # stream offset of the next byte fed
        self._pending = b""
        self._day0: float | None = (
            None
            if date is None
            else dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp()
        )
        self._last_tod: float | None = None

    # ------------------------------------------------------------------ framing

    def feed(
        self, data: bytes, t_received: float = math.nan, *, packet: int | None = None
    ) -> list[DetectionRecord]:
        """Decode one datagram (or, with ``stream=True``, any chunk of the stream).

        Parameters
        ----------
        data : bytes
            Concatenated data blocks.
        t_received : float
            Reception time, UTC epoch s (NaN when unknown: then ``date`` must be set).
        packet : int, optional
            Index of the capture packet it came from, named in the issues.

        Returns
        -------
        list of DetectionRecord
            The detections of the records decoded, in order.
        """
        out: list[DetectionRecord] = []
        where = "" if packet is None else f" (packet {packet})"
        if self.stream and self._pending:
            buf = self._pending + data
            base = self._offset - len(self._pending)
        else:
            buf = data
            base = self._offset
        self._offset += len(data)
        self._pending = b""
        if not self.stream and self.framing != "asterix":
            records = _oradis_records(buf)
            if records is not None:
                self.oradis_datagrams += 1
                for start, stop in records:
                    self._walk(buf, start + _ORADIS_HEADER, stop, base, t_received, where, out)
                return out
            if self.framing == "oradis":
                self.log.reject(base, f"oradis: datagram is not a chain of ORADIS records{where}")
                return out
        self._walk(buf, 0, len(buf), base, t_received, where, out)
        return out

    def _walk(
        self,
        buf: bytes,
        pos: int,
        n: int,
        base: int,
        t_received: float,
        where: str,
        out: list[DetectionRecord],
    ) -> None:
        while pos < n:
            if n - pos < 3:
                if self.stream:
                    self._pending = buf[pos:]
                    return
                self.log.reject(
                    base + pos,
                    f"block header: {n - pos} octet(s) left, a data block header needs 3{where}",
                )
                return
            cat = buf[pos]
            length = (buf[pos + 1] << 8) | buf[pos + 2]
            if length < 3:
                self.log.reject(
                    base + pos,
                    f"CAT {cat:03d} block: length field {length} < 3, rest of the data "
                    f"({n - pos} octets) skipped{where}",
                )
                return
            if pos + length > n:
                if self.stream:
                    self._pending = buf[pos:]
                    return
                self.log.reject(
                    base + pos,
                    f"CAT {cat:03d} block: length field {length} overruns the datagram by "
                    f"{pos + length - n} octets{where}",
                )
                return
            self._block(cat, buf, pos, pos + length, base, t_received, where, out)
            pos += length

    def flush(self) -> None:
        """Report a partial block left at the end of a stream (``stream=True``)."""
        if self._pending:
            left = self._pending
            self._pending = b""
            start = self._offset - len(left)
            if len(left) < 3:
                reason = f"block header: stream ends {len(left)} octet(s) into a block header"
            else:
                length = (left[1] << 8) | left[2]
                reason = (
                    f"CAT {left[0]:03d} block: stream ends inside the block "
                    f"({len(left)} of {length} octets)"
                )
            self.log.reject(start, reason)

    def _block(
        self,
        cat: int,
        buf: bytes,
        start: int,
        end: int,
        base: int,
        t_received: float,
        where: str,
        out: list[DetectionRecord],
    ) -> None:
        if cat not in DECODED:
            self.blocks_skipped[cat] += 1
            title = TITLES.get(cat)
            self.log.reject(
                base + start,
                f"category not decoded: CAT {cat:03d}"
                + (f" ({title})" if title else "")
                + f", block of {end - start} octets skipped{where}",
            )
            return
        layout = LAYOUTS[cat]
        pos = start + 3
        if pos == end:
            self.log.reject(base + start, f"CAT {cat:03d} block: no record{where}")
            return
        while pos < end:
            try:
                spans, stop = walk_record(layout, buf, pos, end)
            except RecordError as exc:
                self.log.reject(
                    base + exc.offset,
                    f"CAT {cat:03d} {exc.item}: {exc.reason} (record at byte {base + pos}; "
                    f"{end - pos} octets of the block skipped){where}",
                )
                return
            try:
                if self.fast and cat in _FAST:
                    values = fast_values(cat, buf, spans)
                else:
                    values = reference_values(cat, parse_record(cat, buf[pos:stop]))
            except (ValueError, KeyError, IndexError) as exc:  # pragma: no cover - walked first
                self.log.reject(base + pos, f"CAT {cat:03d}: record not readable: {exc}{where}")
                pos = stop
                continue
            self._record(cat, values, base + pos, t_received, where, out)
            pos = stop

    # ------------------------------------------------------------------ values -> records

    def _time(self, tod: float | None, t_received: float) -> float | None:
        if tod is None:
            return None
        if self._day0 is not None:
            if self._last_tod is not None and tod < self._last_tod - DAY / 2:
                self._day0 += DAY  # past midnight
            elif self._last_tod is not None and tod > self._last_tod + DAY / 2:
                self._day0 -= DAY  # a late record from before midnight
                t = self._day0 + tod
                self._day0 += DAY
                return t
            self._last_tod = tod
            return self._day0 + tod
        if not math.isfinite(t_received):
            return None
        t = math.floor(t_received / DAY) * DAY + tod
        if t - t_received > DAY / 2:
            t -= DAY
        elif t_received - t > DAY / 2:
            t += DAY
        return t

    def _sensor(self, sac: int, sic: int) -> str:
        site = self.radars.get((sac, sic))
        if site is not None and site.name:
            return site.name
        return f"{self.sensor_prefix}-{sac}-{sic}"

    def _record(
        self,
        cat: int,
        v: Values,
        offset: int,
        t_received: float,
        where: str,
        out: list[DetectionRecord],
    ) -> None:
        sac = v.get("sac")
        sic = v.get("sic")
        if sac is None or sic is None:
            self.log.reject(offset, f"CAT {cat:03d} I010: absent (no data source){where}")
            return
        tod = v.get("tod_s")
        if tod is not None and tod >= DAY:
            item = {48: "I140", 62: "I070", 21: "I071/I073/I077", 15: "I145", 34: "I030"}[cat]
            self.log.reject(offset, f"CAT {cat:03d} {item}: time of day {tod} s >= 86400{where}")
            return
        t = self._time(tod, t_received)
        if cat == 34:
            kind: ServiceKind = CAT034_KINDS.get(v.get("mt", 0), "unknown")  # type: ignore[assignment]
            self.service_messages.append(
                ServiceMessage(
                    math.nan if t is None else t, 34, sac, sic, kind,
                    sector_deg=v.get("sector_deg"), rotation_period_s=v.get("rotation_s"),
                    offset=offset,
                )
            )  # fmt: skip
            self.records_by_category[34] += 1
            self.log.ok()
            return
        if t is None:
            item = {48: "I140", 62: "I070", 21: "I071/I073/I077", 15: "I145"}[cat]
            reason = (
                "absent (no time of day)"
                if "tod_s" not in v
                else "no date: give AsterixDecoder(date=...) or a reception time"
            )
            self.log.reject(offset, f"CAT {cat:03d} {item}: {reason}{where}")
            return
        rec: DetectionRecord = {"t": t}
        if math.isfinite(t_received):
            rec["t_received"] = t_received
        rec["sensor"] = self._sensor(sac, sic)
        problem = (
            self._cat048(v, rec)
            if cat == 48
            else self._cat062(v, rec)
            if cat == 62
            else self._cat021(v, rec)
            if cat == 21
            else self._cat015(v, rec, offset)
        )
        if problem == "service":
            self.records_by_category[cat] += 1
            self.log.ok()
            return
        if problem is not None:
            self.log.reject(offset, f"CAT {cat:03d} {problem}{where}")
            return
        rec["x_asterix_cat"] = cat
        rec["x_sac"] = sac
        rec["x_sic"] = sic
        out.append(rec)
        self.records_by_category[cat] += 1
        self.log.ok()

    def _site(self, v: Values, item: str) -> RadarSite | str:
        site = self.radars.get((v["sac"], v["sic"]))
        if site is None:
            return (
                f"I010: radar SAC {v['sac']} / SIC {v['sic']} is not in the radar table "
                f"(its position is needed for the polar {item})"
            )
        return site

    def _cat048(self, v: Values, rec: DetectionRecord) -> str | None:
        if "rho_nm" not in v:
            return "I040: absent (no measured position)"
        site = self._site(v, "I040")
        if isinstance(site, str):
            return site
        rho_m = v["rho_nm"] * NM
        range_m = rho_m
        if self.slant_to_ground and v.get("fl_valid"):
            dh = v["fl"] * 100.0 * FT - site.alt_m
            if rho_m > abs(dh):
                range_m = math.sqrt(rho_m * rho_m - dh * dh)
        rec["sensor_pos"] = site.position()
        rec["kind"] = "polar"
        rec["polar"] = {"range_m": range_m, "azimuth_deg": v["theta_deg"], "elevation_deg": None}
        rec["std"] = [site.range_std_m, site.azimuth_std_deg]
        if "icao" in v:
            rec["icao"] = f"{v['icao']:06X}"
        rec["x_slant_range_m"] = rho_m
        for key, name in (
            ("track_number", "x_track_number"),
            ("mode3a", "x_mode3a"),
            ("fl", "x_flight_level"),
            ("typ", "x_typ"),
        ):
            if key in v:
                rec[name] = v[key]
        return None

    def _cat062(self, v: Values, rec: DetectionRecord) -> str | None:
        if "lat_deg" not in v:
            return "I105: absent (no WGS84 position)"
        bad = _check_latlon(v, "I105")
        if bad:
            return bad
        lat = v["lat_deg"]
        alt = v["geo_alt_ft"] * FT if "geo_alt_ft" in v else None
        h_std, v_std = self.track_std_m
        if "apc_x_m" in v:
            sx, sy = v["apc_x_m"], v["apc_y_m"]
        elif "apw_lat_deg" in v:
            sy = v["apw_lat_deg"] * math.pi / 180.0 * 6371008.8
            sx = v["apw_lon_deg"] * math.pi / 180.0 * 6371008.8 * math.cos(math.radians(lat))
        else:
            sx = sy = h_std
        rec["kind"] = "position"
        rec["position"] = {"lat_deg": lat, "lon_deg": v["lon_deg"], "alt_m": alt}
        if alt is None:
            rec["std"] = [sx, sy]
        else:
            rec["std"] = [sx, sy, v["aga_ft"] * FT if "aga_ft" in v else v_std]
        if "icao" in v:
            rec["icao"] = f"{v['icao']:06X}"
        if "track_number" in v:
            rec["x_track_number"] = v["track_number"]
        if "vx_m_s" in v:
            rec["x_velocity_east_m_s"] = v["vx_m_s"]
            rec["x_velocity_north_m_s"] = v["vy_m_s"]
        if "cnf" in v:
            rec["x_track_status"] = (
                "ended" if v["tse"] else "coasting" if v["cst"] else
                "tentative" if v["cnf"] else "confirmed"
            )  # fmt: skip
        if "mode3a" in v:
            rec["x_mode3a"] = v["mode3a"]
        return None

    def _cat021(self, v: Values, rec: DetectionRecord) -> str | None:
        if "lat_deg" not in v:
            return "I130/I131: absent (no WGS84 position)"
        bad = _check_latlon(v, "I130/I131")
        if bad:
            return bad
        if "nacp" in v:
            h_std = NACP_EPU_M[v["nacp"]] / RADIAL_95
            rec["x_nacp"] = v["nacp"]
        elif "nucp_nic" in v and v.get("mops_vn", 0) == 0:
            h_std = NUCP_HFOM_M.get(v["nucp_nic"], 10 * NM) / RADIAL_95
            rec["x_nucp"] = v["nucp_nic"]
        else:
            h_std = NACP_EPU_M[0] / RADIAL_95
        alt = v["geo_height_ft"] * FT if "geo_height_ft" in v else None
        rec["kind"] = "position"
        rec["position"] = {"lat_deg": v["lat_deg"], "lon_deg": v["lon_deg"], "alt_m": alt}
        if alt is None:
            rec["std"] = [h_std, h_std]
        else:
            gva = GVA_M.get(v.get("gva", 0))
            rec["std"] = [h_std, h_std, gva / AXIAL_95 if gva else DEFAULT_ADSB_VERTICAL_STD_M]
        if "icao" in v:
            rec["icao"] = f"{v['icao']:06X}"
        for key, name in (
            ("track_number", "x_track_number"),
            ("fl", "x_flight_level"),
            ("callsign", "x_callsign"),
        ):
            if key in v:
                rec[name] = v[key]
        return None

    def _cat015(self, v: Values, rec: DetectionRecord, offset: int) -> str | None:
        if v.get("mt") == 5:
            self.service_messages.append(
                ServiceMessage(rec["t"], 15, v["sac"], v["sic"], "track_end",
                               track_number=v.get("track_number"), offset=offset)
            )  # fmt: skip
            return "service"
        h_def, v_def = self.incs_std_m
        if "lat_deg" in v:
            bad = _check_latlon(v, "I600")
            if bad:
                return bad
            alt = v.get("gh_m")
            sx = v.get("sdhpx_m", h_def)
            sy = v.get("sdhpy_m", h_def)
            rec["kind"] = "position"
            rec["position"] = {"lat_deg": v["lat_deg"], "lon_deg": v["lon_deg"], "alt_m": alt}
            rho = v.get("cosdhpxy", 0.0) if "sdhpx_m" in v else 0.0
            cov = [[sx * sx, rho * sx * sy], [rho * sx * sy, sy * sy]]
            if alt is not None:
                sz = v.get("sdgh_m", v_def)
                cov = [cov[0] + [0.0], cov[1] + [0.0], [0.0, 0.0, sz * sz]]
            rec["cov"] = cov
        elif "range_m" in v and "az_deg" in v:
            site = self._site(v, "I625/I627")
            if isinstance(site, str):
                return site
            if v["range_m"] < 0:
                return f"I625: negative range {v['range_m']} m"
            el = v.get("el_deg")
            rec["sensor_pos"] = site.position()
            rec["kind"] = "polar"
            rec["polar"] = {"range_m": v["range_m"], "azimuth_deg": v["az_deg"],
                            "elevation_deg": el}  # fmt: skip
            std = [v.get("sdr_m", site.range_std_m), v.get("sdaz_deg", site.azimuth_std_deg)]
            if el is not None:
                std.append(v.get("sdel_deg", site.azimuth_std_deg))
            rec["std"] = std
        else:
            return "I600/I625: absent (neither a WGS84 nor a polar position)"
        if "track_number" in v:
            rec["x_track_number"] = v["track_number"]
        if "mt" in v:
            rec["x_message_type"] = v["mt"]
        if "hvx_m_s" in v:
            rec["x_velocity_east_m_s"] = v["hvx_m_s"]
            rec["x_velocity_north_m_s"] = v["hvy_m_s"]
        classes = v.get("classes")
        if classes:
            best = max(classes, key=lambda c: c[1])
            rec["x_class"] = best[0]
            rec["x_class_probability_pct"] = best[1]
            rec["x_classes"] = [{"class": c, "probability_pct": p} for c, p in classes]
        return None


_ORADIS_HEADER: Final = 6
_FAST: Final = frozenset({34, 48, 62})


def _oradis_records(buf: bytes) -> list[tuple[int, int]] | None:
    """``(start, stop)`` of each ORADIS record when ``buf`` is exactly a chain of them."""
    if len(buf) < _ORADIS_HEADER + 3 or buf[0] != 0:
        return None
    out: list[tuple[int, int]] = []
    pos = 0
    while pos < len(buf):
        if len(buf) - pos < _ORADIS_HEADER + 3:
            return None
        n = (buf[pos] << 8) | buf[pos + 1]
        inner = (buf[pos + _ORADIS_HEADER + 1] << 8) | buf[pos + _ORADIS_HEADER + 2]
        if n != inner + _ORADIS_HEADER or pos + n > len(buf):
            return None
        out.append((pos, pos + n))
        pos += n
    return out


def _check_latlon(v: Values, item: str) -> str | None:
    lat, lon = v["lat_deg"], v["lon_deg"]
    if not -90.0 <= lat <= 90.0:
        return f"{item}: latitude {lat:.6f} outside [-90, 90]"
    if not -180.0 <= lon <= 180.0:
        return f"{item}: longitude {lon:.6f} outside [-180, 180]"
    return None


# ---------------------------------------------------------------------------------------------
# captures

_PCAP_MAGIC: Final = (
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
    b"\x0a\x0d\x0d\x0a",
)
_CHUNK: Final = 1 << 20


def read_asterix_capture(
    path: str | os.PathLike[str], log: DecodeLog | None = None, **options: Any
) -> Iterator[DetectionRecord]:
    """Detection records of an ASTERIX recording: a pcap / pcapng capture or raw data blocks.

    The kind is told by the first octets (pcap / pcapng magic numbers); anything else is read
    as concatenated data blocks (``.raw``, ``.ast``). In a capture every UDP datagram is one
    :meth:`AsterixDecoder.feed` with the packet time as reception time (other traffic is
    ignored); raw blocks have no reception time, so give ``date``.

    Parameters
    ----------
    path : path
    log : DecodeLog, optional
        Receives the issues (default: a new one named after the file).
    **options
        Keyword arguments of :class:`AsterixDecoder` (``radars``, ``date``, ``fast`` ...) and
        ``decoder``: an :class:`AsterixDecoder` to use instead (its ``service_messages`` and
        counters then stay inspectable).

    Raises
    ------
    InputError
        When the file cannot be read.
    ConfigError
        For raw blocks without ``date``, or bad options.
    """
    from dronewall.adapters.pcap import iter_packets, udp_payloads

    name = os.fspath(path)
    decoder = options.pop("decoder", None)
    if decoder is None:
        decoder = AsterixDecoder(source=name, log=log, **options)
    elif options or log is not None:
        raise ConfigError("give either decoder or decoder options", field="decoder")
    try:
        with Path(path).open("rb") as fp:
            head = fp.read(4)
    except FileNotFoundError as exc:
        raise InputError("file not found", source=name) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=name) from exc
    if head in _PCAP_MAGIC:
        for dg in udp_payloads(iter_packets(path, decoder.log), decoder.log):
            yield from decoder.feed(dg.payload, dg.t, packet=dg.index)
        return
    if decoder.date is None:
        raise ConfigError(
            "raw ASTERIX blocks carry only the time of day: give the UTC date",
            source=name, field="date",
        )  # fmt: skip
    decoder.stream = True
    try:
        with Path(path).open("rb") as fp:
            while chunk := fp.read(_CHUNK):
                yield from decoder.feed(chunk)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=name) from exc
    decoder.flush()
