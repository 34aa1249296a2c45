"""Values of the ASTERIX items dronewall uses, read from walked records.

Two readers produce the same flat dict of values per record (keys below, in the units of the
ASTERIX item, as named):

* :func:`fast_values`: CAT 034, 048 and 062 only, straight from the octets with ``int.from_bytes``
  (the hot path: radar plots and system tracks arrive by the thousand per second);
* :func:`reference_values`: any decoded category, through ``libasterix``'s parsed record objects
  (``Record.get_item(...).variation...content.as_quantity(unit)``). It is the reference the fast
  path is checked against, record by record, on every sample capture (tests), and the reader of
  CAT 015 and 021.

Value keys (absent when the item is absent)
-------------------------------------------
common: ``sac``, ``sic`` (I010), ``tod_s`` (seconds since UTC midnight; CAT 048 I140, CAT 062
I070, CAT 021 I071 / I073 / I077, CAT 015 I145, CAT 034 I030).

CAT 048 (edition 1.32): ``rho_nm``, ``theta_deg`` (I040, LSB 1/256 NM and 360/2^16 deg),
``typ`` (I020 TYP), ``mode3a`` (I070, 4 octal digits), ``mode3a_valid`` (I070 V = 0),
``fl`` (I090 flight level, LSB 1/4 FL), ``fl_valid`` (I090 V = 0), ``icao`` (I220, int),
``track_number`` (I161).

CAT 062 (edition 1.21): ``lat_deg``, ``lon_deg`` (I105, LSB 180/2^25 deg), ``geo_alt_ft``
(I130, LSB 6.25 ft, WGS84 ellipsoid), ``vx_m_s``, ``vy_m_s`` (I185, LSB 0.25 m/s),
``track_number`` (I040), ``mode3a`` (I060), ``cnf`` (I080 CNF, 1 = tentative), ``cst``
(I080 CST, coasting), ``tse`` (I080 TSE, last message of the track), ``icao`` (I380 ADR),
``apc_x_m``, ``apc_y_m`` (I500 APC, LSB 0.5 m), ``apw_lat_deg``, ``apw_lon_deg`` (I500 APW),
``aga_ft`` (I500 AGA, LSB 6.25 ft).

CAT 021 (edition 2.7): ``lat_deg``, ``lon_deg`` (I131, else I130), ``geo_height_ft`` (I140),
``icao`` (I080), ``nucp_nic``, ``nacp``, ``gva`` (I090), ``fl`` (I145), ``callsign`` (I170),
``track_number`` (I161).

CAT 015 (edition 1.2): ``mt`` (I000 message type), ``track_number`` (I161), ``cnf`` (I170 CNF),
``lat_deg``, ``lon_deg``, ``sdhpx_m``, ``sdhpy_m``, ``cosdhpxy`` (I600 P84 / HPP),
``gh_m``, ``sdgh_m`` (I601), ``hvx_m_s``, ``hvy_m_s`` (I602 HV), ``range_m``, ``sdr_m``
(I625 R / SDR), ``az_deg``, ``sdaz_deg`` (I627 AZ / SDASZ), ``el_deg``, ``sdel_deg`` (I628),
``classes`` (I300: list of (CLS, PRB)).

CAT 034 (edition 1.29): ``mt`` (I000: 1 north marker, 2 sector crossing, ...), ``sector_deg``
(I020, LSB 360/2^8 deg), ``rotation_s`` (I041, LSB 1/128 s).
"""

from __future__ import annotations

import struct
from typing import Any

from asterix import base

from dronewall.adapters.asterix_layout import SPECS, compound_spans, item_rule

Values = dict[str, Any]

_TOD_LSB = 1.0 / 128.0
_LATLON_062 = 180.0 / 2**25
_RULE_062_380 = item_rule(62, "380")
_RULE_062_500 = item_rule(62, "500")


_U16 = struct.Struct(">H").unpack_from
_U16X2 = struct.Struct(">HH").unpack_from
_U32 = struct.Struct(">I").unpack_from
_I16X2 = struct.Struct(">hh").unpack_from
_I32X2 = struct.Struct(">ii").unpack_from


def _u24(buf: bytes, start: int) -> int:
    hi, lo = _U16(buf, start)[0], buf[start + 2]
    return int(hi << 8 | lo)


def _u(buf: bytes, start: int, n: int) -> int:
    return int.from_bytes(buf[start : start + n], "big")


def _s(buf: bytes, start: int, n: int) -> int:
    return int.from_bytes(buf[start : start + n], "big", signed=True)


def _signed14(raw: int) -> int:
    raw &= 0x3FFF
    return raw - 0x4000 if raw & 0x2000 else raw


def fast_values(category: int, buf: bytes, spans: dict[str, tuple[int, int]]) -> Values:
    """Values of a CAT 034, 048 or 062 record from its item spans (module docstring)."""
    v: Values = {}
    s = spans.get("010")
    if s is not None:
        v["sac"] = buf[s[0]]
        v["sic"] = buf[s[0] + 1]
    if category == 34:
        s = spans.get("000")
        if s is not None:
            v["mt"] = buf[s[0]]
        s = spans.get("030")
        if s is not None:
            v["tod_s"] = _u(buf, s[0], 3) * _TOD_LSB
        s = spans.get("020")
        if s is not None:
            v["sector_deg"] = buf[s[0]] * (360.0 / 256.0)
        s = spans.get("041")
        if s is not None:
            v["rotation_s"] = _u(buf, s[0], 2) * _TOD_LSB
        return v
    if category == 48:
        s = spans.get("140")
        if s is not None:
            v["tod_s"] = _u24(buf, s[0]) * _TOD_LSB
        s = spans.get("020")
        if s is not None:
            v["typ"] = buf[s[0]] >> 5
        s = spans.get("040")
        if s is not None:
            rho, theta = _U16X2(buf, s[0])
            v["rho_nm"] = rho / 256.0
            v["theta_deg"] = theta * (360.0 / 65536.0)
        s = spans.get("070")
        if s is not None:
            raw = _U16(buf, s[0])[0]
            v["mode3a"] = f"{raw & 0x0FFF:04o}"
            v["mode3a_valid"] = not raw & 0x8000
        s = spans.get("090")
        if s is not None:
            raw = _U16(buf, s[0])[0]
            v["fl"] = _signed14(raw) * 0.25
            v["fl_valid"] = not raw & 0x8000
        s = spans.get("220")
        if s is not None:
            v["icao"] = _u24(buf, s[0])
        s = spans.get("161")
        if s is not None:
            v["track_number"] = _U16(buf, s[0])[0] & 0x0FFF
        return v
    # CAT 062
    s = spans.get("070")
    if s is not None:
        v["tod_s"] = _u24(buf, s[0]) * _TOD_LSB
    s = spans.get("105")
    if s is not None:
        lat, lon = _I32X2(buf, s[0])
        v["lat_deg"] = lat * _LATLON_062
        v["lon_deg"] = lon * _LATLON_062
    s = spans.get("130")
    if s is not None:
        v["geo_alt_ft"] = _s(buf, s[0], 2) * 6.25
    s = spans.get("185")
    if s is not None:
        vx, vy = _I16X2(buf, s[0])
        v["vx_m_s"] = vx * 0.25
        v["vy_m_s"] = vy * 0.25
    s = spans.get("040")
    if s is not None:
        v["track_number"] = _u(buf, s[0], 2)
    s = spans.get("060")
    if s is not None:
        v["mode3a"] = f"{_u(buf, s[0], 2) & 0x0FFF:04o}"
    s = spans.get("080")
    if s is not None:
        start, stop = s
        v["cnf"] = (buf[start] >> 1) & 1
        v["tse"] = (buf[start + 1] >> 6) & 1 if stop - start >= 2 else 0
        v["cst"] = buf[start + 3] >> 7 if stop - start >= 4 else 0
    s = spans.get("380")
    if s is not None:
        sub = compound_spans(_RULE_062_380, buf, s[0], s[1])
        a = sub.get("ADR")
        if a is not None:
            v["icao"] = _u(buf, a[0], 3)
    s = spans.get("500")
    if s is not None:
        sub = compound_spans(_RULE_062_500, buf, s[0], s[1])
        a = sub.get("APC")
        if a is not None:
            v["apc_x_m"] = _u(buf, a[0], 2) * 0.5
            v["apc_y_m"] = _u(buf, a[0] + 2, 2) * 0.5
        a = sub.get("APW")
        if a is not None:
            v["apw_lat_deg"] = _u(buf, a[0], 2) * _LATLON_062
            v["apw_lon_deg"] = _u(buf, a[0] + 2, 2) * _LATLON_062
        a = sub.get("AGA")
        if a is not None:
            v["aga_ft"] = buf[a[0]] * 6.25
    return v


# ---------------------------------------------------------------------------------------------
# the libasterix reference


def parse_record(category: int, record: bytes) -> Any:
    """The libasterix ``Record`` of one walked record's octets (strict parsing).

    Raises
    ------
    ValueError
        When libasterix refuses the record.
    """
    spec = SPECS[category]
    result = spec.cv_record.parse(base.ParsingMode.StrictParsing, base.Bits.from_bytes(record))
    if isinstance(result, ValueError):
        raise result
    rec, rest = result
    if len(rest):
        raise ValueError(f"{len(rest) // 8} octets left after the record")
    return rec


def _node(rec: Any, *path: str) -> Any:
    """The variation at ``path`` (item, sub-item, ...), or None when absent."""
    item = rec.get_item(path[0])
    if item is None:
        return None
    var = item.variation
    for name in path[1:]:
        sub = var.get_item(name)
        if sub is None:
            return None
        var = sub.variation
    return var


def _q(rec: Any, unit: str, *path: str) -> float | None:
    var = _node(rec, *path)
    return None if var is None else float(var.content.as_quantity(unit))


def _uint(rec: Any, *path: str) -> int | None:
    var = _node(rec, *path)
    return None if var is None else int(var.as_uint())


def _put(v: Values, key: str, value: Any) -> None:
    if value is not None:
        v[key] = value


def reference_values(category: int, rec: Any) -> Values:
    """Values of a libasterix record of ``category`` (see the module docstring)."""
    v: Values = {}
    _put(v, "sac", _uint(rec, "010", "SAC"))
    _put(v, "sic", _uint(rec, "010", "SIC"))
    if category == 48:
        _put(v, "tod_s", _q(rec, "s", "140"))
        _put(v, "typ", _uint(rec, "020", "TYP"))
        _put(v, "rho_nm", _q(rec, "NM", "040", "RHO"))
        _put(v, "theta_deg", _q(rec, "°", "040", "THETA"))
        if rec.get_item("070") is not None:
            v["mode3a"] = _node(rec, "070", "MODE3A").content.as_string()
            v["mode3a_valid"] = _uint(rec, "070", "V") == 0
        if rec.get_item("090") is not None:
            v["fl"] = _q(rec, "FL", "090", "FL")
            v["fl_valid"] = _uint(rec, "090", "V") == 0
        _put(v, "icao", _uint(rec, "220"))
        _put(v, "track_number", _uint(rec, "161", "TRN"))
    elif category == 62:
        _put(v, "tod_s", _q(rec, "s", "070"))
        _put(v, "lat_deg", _q(rec, "°", "105", "LAT"))
        _put(v, "lon_deg", _q(rec, "°", "105", "LON"))
        _put(v, "geo_alt_ft", _q(rec, "ft", "130"))
        _put(v, "vx_m_s", _q(rec, "m/s", "185", "VX"))
        _put(v, "vy_m_s", _q(rec, "m/s", "185", "VY"))
        _put(v, "track_number", _uint(rec, "040"))
        if rec.get_item("060") is not None:
            v["mode3a"] = _node(rec, "060", "MODE3A").content.as_string()
        if rec.get_item("080") is not None:
            v["cnf"] = _uint(rec, "080", "CNF")
            v["tse"] = _uint(rec, "080", "TSE") or 0
            v["cst"] = _uint(rec, "080", "CST") or 0
        _put(v, "icao", _uint(rec, "380", "ADR"))
        _put(v, "apc_x_m", _q(rec, "m", "500", "APC", "X"))
        _put(v, "apc_y_m", _q(rec, "m", "500", "APC", "Y"))
        _put(v, "apw_lat_deg", _q(rec, "°", "500", "APW", "LAT"))
        _put(v, "apw_lon_deg", _q(rec, "°", "500", "APW", "LON"))
        _put(v, "aga_ft", _q(rec, "ft", "500", "AGA"))
    elif category == 21:
        tod = _q(rec, "s", "071")
        if tod is None:
            tod = _q(rec, "s", "073")
        if tod is None:
            tod = _q(rec, "s", "077")
        _put(v, "tod_s", tod)
        if rec.get_item("131") is not None:
            _put(v, "lat_deg", _q(rec, "°", "131", "LAT"))
            _put(v, "lon_deg", _q(rec, "°", "131", "LON"))
        else:
            _put(v, "lat_deg", _q(rec, "°", "130", "LAT"))
            _put(v, "lon_deg", _q(rec, "°", "130", "LON"))
        _put(v, "geo_height_ft", _q(rec, "ft", "140"))
        _put(v, "icao", _uint(rec, "080"))
        _put(v, "nucp_nic", _uint(rec, "090", "NUCPNIC"))
        _put(v, "nacp", _uint(rec, "090", "NACP"))
        _put(v, "gva", _uint(rec, "090", "GVA"))
        _put(v, "mops_vn", _uint(rec, "210", "VN"))
        _put(v, "fl", _q(rec, "FL", "145"))
        _put(v, "track_number", _uint(rec, "161", "TRNUM"))
        if rec.get_item("170") is not None:
            v["callsign"] = _node(rec, "170").content.as_string().strip()
    elif category == 15:
        _put(v, "tod_s", _q(rec, "s", "145"))
        _put(v, "mt", _uint(rec, "000", "MT"))
        _put(v, "track_number", _uint(rec, "161"))
        _put(v, "cnf", _uint(rec, "170", "CNF"))
        _put(v, "lat_deg", _q(rec, "°", "600", "P84", "LATITUDE"))
        _put(v, "lon_deg", _q(rec, "°", "600", "P84", "LONGITUDE"))
        _put(v, "sdhpx_m", _q(rec, "m", "600", "HPP", "SDHPX"))
        _put(v, "sdhpy_m", _q(rec, "m", "600", "HPP", "SDHPY"))
        _put(v, "cosdhpxy", _q(rec, "", "600", "HPP", "COSDHPXY"))
        _put(v, "gh_m", _q(rec, "m", "601", "GH"))
        _put(v, "sdgh_m", _q(rec, "m", "601", "SDGH"))
        _put(v, "hvx_m_s", _q(rec, "m/s", "602", "HV", "X"))
        _put(v, "hvy_m_s", _q(rec, "m/s", "602", "HV", "Y"))
        _put(v, "range_m", _q(rec, "m", "625", "R"))
        _put(v, "sdr_m", _q(rec, "m", "625", "SDR"))
        _put(v, "az_deg", _q(rec, "°", "627", "AZ"))
        _put(v, "sdaz_deg", _q(rec, "°", "627", "SDASZ"))
        _put(v, "el_deg", _q(rec, "°", "628", "EL"))
        _put(v, "sdel_deg", _q(rec, "°", "628", "SDEL"))
        i300 = _node(rec, "300")
        if i300 is not None:
            v["classes"] = [
                (
                    int(g.get_item("CLS").variation.as_uint()),
                    int(g.get_item("PRB").variation.as_uint()),
                )
                for g in i300.get_list()
            ]
    elif category == 34:
        _put(v, "tod_s", _q(rec, "s", "030"))
        _put(v, "mt", _uint(rec, "000"))
        _put(v, "sector_deg", _q(rec, "°", "020"))
        _put(v, "rotation_s", _q(rec, "s", "041"))
    return v
