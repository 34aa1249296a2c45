"""SBS BaseStation text (TCP 30003), as written by dump1090, readsb and Kinetic BaseStation.

Data layout
-----------
One message per line, 22 comma-separated fields (index: name, unit):

==  ================  ===============================================================
0   message type      ``MSG`` (``SEL``, ``ID``, ``AIR``, ``STA``, ``CLK`` are accepted, unused)
1   transmission      1 identity, 2 surface position, 3 airborne position, 4 velocity,
                      5 surveillance altitude, 6 surveillance identity (squawk), 7 air-to-air,
                      8 all-call reply
2,3 session, aircraft ids (unused)
4   hex_ident         ICAO 24-bit address, 6 hex digits
5   flight id         (unused)
6,7 date, time        when the message was *generated* (received by the decoder):
                      ``2018/04/03``, ``19:02:28.136``; the receiver's **local time** in
                      practice, hence the ``tz`` option (default UTC)
8,9 date, time        when it was logged (unused)
10  callsign
11  altitude          ft, barometric pressure altitude (1013.25 hPa datum); some decoders put
                      a GNSS altitude here for TC 20-22 messages, without saying so
12  ground speed      kt
13  track             degrees from true north
14  latitude          degrees (WGS84)
15  longitude         degrees
16  vertical rate     ft/min
17  squawk            4 octal digits
18-20 alert, emergency, SPI flags
21  on ground         ``-1`` (BaseStation) or ``1`` true, ``0`` false
==  ================  ===============================================================

Output: a ``position`` record for each MSG 2/3 line with a latitude and a longitude. The
altitude is converted as ISA pressure altitude
(:func:`~dronewall.adapters.adsb_modes.height_from_baro`, label ``baro_isa``): SBS has no
GNSS height difference, so the vertical std is large. The horizontal std is
:data:`DEFAULT_STD_HORIZONTAL_M` (SBS carries no accuracy). The latest
callsign (MSG 1), squawk (MSG 6) and velocity (MSG 4, if younger than ``velocity_max_age_s``)
of the aircraft are attached as ``x_`` keys.

Bad lines (a wrong field count, a non-numeric or out-of-range value, a bad ICAO address, a
malformed date/time) are reported with their 1-based line number and the field's name.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dronewall.adapters.adsb_modes import (
    FPM,
    KT,
    NACP_EPU_M,
    SIGMA_PER_R95_2D,
    distance_m,
    height_from_baro,
)
from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.core.errors import ConfigError, InputError

DEFAULT_STD_HORIZONTAL_M: Final = NACP_EPU_M[8] * SIGMA_PER_R95_2D
"""Assumption: SBS carries no accuracy; take NACp 8 (EPU < 0.05 NM, 95 %), the category most
commercial transponders report, as a 1-sigma per axis of 37.8 m."""

_OTHER_TYPES: Final = frozenset((b"SEL", b"ID", b"AIR", b"STA", b"CLK"))
_HEX6: Final = frozenset(b"0123456789abcdefABCDEF")
_OCT: Final = frozenset(b"01234567")


class _Aircraft:
    __slots__ = (
        "callsign",
        "gs",
        "lat",
        "lon",
        "rejects",
        "squawk",
        "t_pos",
        "t_vel",
        "track",
        "vr",
    )

    def __init__(self) -> None:
        self.callsign: str | None = None
        self.squawk: str | None = None
        self.gs: float | None = None
        self.track: float | None = None
        self.vr: float | None = None
        self.t_vel = -math.inf
        self.lat = math.nan
        self.lon = math.nan
        self.t_pos = -math.inf
        self.rejects = 0


class SbsDecoder:
    """Decoder of an SBS BaseStation text stream (TCP 30003) or file.

    Parameters
    ----------
    source : str
        Name of the stream in issues.
    sensor : str
        ``sensor`` id of the records.
    tz : str or tzinfo
        Time zone of the date/time fields (default ``"UTC"``). dump1090 and readsb write the
        receiver's *local* time: give its zone (``"Europe/Brussels"``) unless it runs in UTC.
    std_horizontal_m : float
        1-sigma horizontal error per axis (default :data:`DEFAULT_STD_HORIZONTAL_M`).
    geoid_height_m : float, optional
        Geoid undulation at the site, added to the ISA heights.
    max_speed_m_s, jump_slack_m : float
        Reasonableness check between consecutive positions of one aircraft (as for Beast).
    velocity_max_age_s : float
        Velocity (MSG 4) attached to a position if not older than this.
    log : DecodeLog, optional

    Attributes
    ----------
    log : DecodeLog
        ``good`` counts lines used (every type), ``bad`` the skipped ones by line number.
    lines : int
        Lines read.
    duplicates : int
        Positions not newer than the aircraft's last one (repeated lines), skipped.
    position_rejects : int
        Positions that failed the speed check (also in ``log`` under ``position``).
    """

    def __init__(
        self,
        source: str = "sbs",
        *,
        sensor: str = "adsb",
        tz: str | tzinfo = "UTC",
        std_horizontal_m: float = DEFAULT_STD_HORIZONTAL_M,
        geoid_height_m: float | None = None,
        max_speed_m_s: float = 700.0,
        jump_slack_m: float = 1000.0,
        velocity_max_age_s: float = 10.0,
        log: DecodeLog | None = None,
    ) -> None:
        self.log = log if log is not None else DecodeLog(source)
        if isinstance(tz, str):
            try:
                tz = ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ConfigError(f"unknown time zone {tz!r}", field="tz") from exc
        if not std_horizontal_m > 0 or not max_speed_m_s > 0:
            raise ConfigError("std_horizontal_m and max_speed_m_s must be > 0", field="options")
        self.tz = tz
        self.sensor = sensor
        self.std_horizontal_m = float(std_horizontal_m)
        self.geoid_height_m = geoid_height_m
        self.max_speed_m_s = float(max_speed_m_s)
        self.jump_slack_m = float(jump_slack_m)
        self.velocity_max_age_s = float(velocity_max_age_s)
        self.aircraft: dict[bytes, _Aircraft] = {}
        self.lines = 0
        self.duplicates = 0
        self.position_rejects = 0
        self._tail = b""
        self._hours: dict[tuple[bytes, bytes], float] = {}
        self._capture = False

    # ------------------------------------------------------------------ stream

    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]:
        """Decode a chunk of the stream; a partial last line is kept for the next call."""
        if self._tail:
            data = self._tail + data
        lines = data.split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > 4096:  # an SBS line is < 200 bytes: report it rather than hoard
            lines.append(self._tail)
            self._tail = b""
        return self._lines(lines, t_received)

    def flush(self, t_received: float = math.nan) -> list[DetectionRecord]:
        """End of stream: decode a last line without a newline."""
        tail, self._tail = self._tail, b""
        return self._lines([tail], t_received) if tail.strip() else []

    # ------------------------------------------------------------------ lines

    def _epoch(self, date: bytes, time_: bytes) -> float:
        """UTC epoch seconds of ``2018/04/03`` ``19:02:28.136`` in the decoder's zone."""
        if len(time_) < 8 or time_[2] != 58 or time_[5] != 58:  # 58 = ':'
            raise ValueError("not hh:mm:ss[.fff]")
        hour = time_[:2]
        key = (date, hour)
        base = self._hours.get(key)
        if base is None:
            if len(date) != 10 or date[4] != 47 or date[7] != 47:  # 47 = '/'
                raise ValueError("not yyyy/mm/dd")
            h = int(hour)
            dt = datetime(int(date[:4]), int(date[5:7]), int(date[8:10]), h, tzinfo=self.tz)
            base = dt.timestamp()
            if len(self._hours) > 4096:
                self._hours.clear()
            self._hours[key] = base
        minute = int(time_[3:5])
        sec = float(time_[6:])
        if not (0 <= minute < 60 and 0.0 <= sec < 61.0):
            raise ValueError("minute or second out of range")
        return base + minute * 60 + sec

    def _lines(self, lines: list[bytes], t_rx: float) -> list[DetectionRecord]:
        out: list[DetectionRecord] = []
        log = self.log
        reject = log.reject
        aircraft = self.aircraft
        lineno = self.lines
        good = 0
        for line in lines:
            lineno += 1
            f = line.split(b",")
            if len(f) != 22:
                line = line.strip()
                if not line:
                    continue
                if line.split(b",", 1)[0] in _OTHER_TYPES:
                    good += 1
                    continue
                if line.startswith(b"MSG"):
                    reject(lineno, f"fields: {len(f)} fields (need 22)", "line")
                else:
                    reject(lineno, "line: not an SBS line", "line")
                continue
            typ = f[1]
            if f[0] != b"MSG":
                if f[0] in _OTHER_TYPES:
                    good += 1
                else:
                    reject(lineno, f"type: unknown message type {f[0][:8]!r}", "line")
                continue
            if typ == b"8":
                good += 1
                continue
            field = "hex_ident"
            try:
                ident = f[4]
                if len(ident) != 6 or not _HEX6.issuperset(ident):
                    raise ValueError("not 6 hex digits")
                st = aircraft.get(ident)
                if st is None:
                    st = aircraft[ident] = _Aircraft()
                if typ == b"3" or typ == b"2":
                    if f[14] and f[15]:
                        field = "time_gen"
                        t = self._epoch(f[6], f[7]) if f[7] else t_rx
                        if t != t:  # NaN: a file line without its generation time
                            raise ValueError("empty (a capture needs the generation time)")
                        field = "latitude"
                        lat = float(f[14])
                        field = "longitude"
                        lon = float(f[15])
                        field = "altitude"
                        alt_ft = float(f[11]) if f[11] else None
                        field = "position"
                        rec = self._position(f, st, ident, t, t_rx, typ == b"2", lat, lon, alt_ft)
                        if rec is not None:
                            out.append(rec)
                    elif f[11]:
                        field = "altitude"
                        float(f[11])
                elif typ == b"4":
                    field = "ground_speed"
                    gs = float(f[12]) if f[12] else None
                    field = "track"
                    trk = float(f[13]) if f[13] else None
                    field = "vertical_rate"
                    vr = float(f[16]) if f[16] else None
                    if gs is not None and trk is not None:
                        field = "time_gen"
                        st.t_vel = self._epoch(f[6], f[7]) if f[7] else t_rx
                        st.gs = gs * KT
                        st.track = trk
                        st.vr = None if vr is None else vr * FPM
                elif typ == b"1":
                    cs = f[10].strip()
                    if cs:
                        st.callsign = cs.decode("ascii", "replace")
                elif typ == b"5" or typ == b"6" or typ == b"7":
                    if f[11]:
                        field = "altitude"
                        float(f[11])
                    sq = f[17]
                    if sq:
                        field = "squawk"
                        if len(sq) != 4 or not _OCT.issuperset(sq):
                            raise ValueError("not 4 octal digits")
                        st.squawk = sq.decode()
                else:
                    field = "transmission_type"
                    raise ValueError(f"{typ[:8]!r} is not 1-8")
            except (ValueError, OverflowError) as exc:
                reject(lineno, f"{field}: {exc}", "line")
                continue
            good += 1
        self.lines = lineno
        log.ok(good)
        return out

    def _position(
        self,
        f: list[bytes],
        st: _Aircraft,
        ident: bytes,
        t: float,
        t_rx: float,
        surface: bool,
        lat: float,
        lon: float,
        alt_ft: float | None,
    ) -> DetectionRecord | None:
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise ValueError(f"latitude/longitude ({lat}, {lon}) out of range")
        if alt_ft is not None and not -2000.0 <= alt_ft <= 150_000.0:
            raise ValueError(f"altitude {alt_ft} ft out of range")
        if t <= st.t_pos:
            self.duplicates += 1
            return None
        if math.isfinite(st.t_pos):
            dt = t - st.t_pos
            dist = distance_m(st.lat, st.lon, lat, lon)
            if dist > self.max_speed_m_s * dt + self.jump_slack_m:
                self.position_rejects += 1
                st.rejects += 1
                if st.rejects >= 4:
                    st.t_pos = -math.inf
                    st.rejects = 0
                raise ValueError(
                    f"{ident.decode()} jumped {dist:.0f} m in {dt:.1f} s "
                    f"(> max_speed_m_s {self.max_speed_m_s:g} m/s)"
                ) from None
        st.lat, st.lon, st.t_pos, st.rejects = lat, lon, t, 0
        sh = self.std_horizontal_m
        rec: DetectionRecord = {
            "t": t,
            "t_received": t if self._capture else t_rx,
            "sensor": self.sensor,
            "kind": "position",
        }
        on_ground = f[21] in (b"-1", b"1") or surface
        if alt_ft is None or surface:
            rec["position"] = {"lat_deg": lat, "lon_deg": lon, "alt_m": None}
            rec["std"] = [sh, sh]
        else:
            h, sv, label = height_from_baro(alt_ft, None, self.geoid_height_m)
            rec["position"] = {"lat_deg": lat, "lon_deg": lon, "alt_m": h}
            rec["std"] = [sh, sh, sv]
            rec["x_height_source"] = label
            rec["x_alt_baro_ft"] = alt_ft
        rec["icao"] = ident.decode()
        rec["x_on_ground"] = on_ground
        if surface:
            if f[12]:
                rec["x_ground_speed_m_s"] = float(f[12]) * KT
            if f[13]:
                rec["x_track_deg"] = float(f[13])
        elif st.gs is not None and t - st.t_vel <= self.velocity_max_age_s:
            rec["x_ground_speed_m_s"] = st.gs
            rec["x_track_deg"] = st.track
            if st.vr is not None:
                rec["x_vertical_rate_m_s"] = st.vr
        if st.callsign:
            rec["x_callsign"] = st.callsign
        if st.squawk:
            rec["x_squawk"] = st.squawk
        return rec


def read_sbs_capture(
    path: str | os.PathLike[str], log: DecodeLog | None = None, **options: object
) -> Iterator[DetectionRecord]:
    """Position records of an SBS BaseStation text file (``nc host 30003 > file``).

    Parameters
    ----------
    path : path
    log : DecodeLog, optional
        Receives the counts and issues.
    **options
        Keyword arguments of :class:`SbsDecoder` (``tz``, ``sensor``, ``std_horizontal_m`` ...).
        ``t_received`` of each record is its ``t`` (a file has no time of reception).

    Raises
    ------
    InputError
        When the file cannot be opened.
    """
    p = Path(path)
    dec = SbsDecoder(str(p), log=log, **options)  # type: ignore[arg-type]
    dec._capture = True
    try:
        fh = p.open("rb")
    except FileNotFoundError as exc:
        raise InputError("file not found", source=str(p)) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=str(p)) from exc
    with fh:
        while chunk := fh.read(1 << 18):
            yield from dec.feed(chunk, math.nan)
    yield from dec.flush(math.nan)
