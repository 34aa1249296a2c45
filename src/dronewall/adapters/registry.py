"""The wire formats dronewall reads, by name: how to make a live decoder and read a capture.

``dronewall ingest`` (live sockets) and ``dronewall replay-capture`` (recorded files) know the
formats only through this table, so that every adapter is reached the same way:

==========  ==========================================  =========  ===========================
name        what                                        live       capture files
==========  ==========================================  =========  ===========================
asterix     EUROCONTROL ASTERIX CAT 015/021/034/048/062  udp        pcap/pcapng, raw blocks
sbs         SBS BaseStation text (ADS-B)                tcp 30003  .sbs text
beast       Beast binary (Mode S / ADS-B)               tcp 30005  .beast / .bin
avr         AVR text ``*hex;`` (Mode S / ADS-B)         tcp 30002  .avr text
sapient     SAPIENT BSI Flex 335 v2.0 (sensor nodes)    tcp server framed stream, JSON messages
cot         Cursor on Target XML / TAK protobuf         udp, tcp   .cot / .xml, pcap
remoteid    ASTM F3411 broadcast Remote ID              udp (raw)  pcap/pcapng radio, receiver JSON
netrid      network Remote ID test flights (InterUSS)   —          .json
==========  ==========================================  =========  ===========================

The ports are the customary ones of the receivers that speak the format (dump1090/readsb: 30002,
30003, 30005; TAK: 6969 UDP mesh, 8087 TCP); ASTERIX and SAPIENT have no standard port, so an
input must name one (the defaults below are ASSUMPTIONS for a lab, not standards).

Every decoder, whatever its format, is reached through :class:`LiveDecoder`:
``feed(data, t_received) -> list[DetectionRecord]`` and a
:class:`~dronewall.adapters.base.DecodeLog`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, Final, Literal, Protocol

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.core.errors import ConfigError, InputError

Transport = Literal["udp", "tcp", "sapient", "none"]


class LiveDecoder(Protocol):
    """What ``dronewall ingest`` needs of a decoder."""

    log: DecodeLog

    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]: ...


@dataclass(frozen=True, slots=True)
class WireFormat:
    """One format: its live transport and default port, its file suffixes, and where its adapter
    lives (imported on first use, so that a format costs nothing until it is used).

    Attributes
    ----------
    module : str
        The adapter module.
    decoder : str or None
        Its live decoder class, called ``cls(source=..., log=..., **options)``; None: captures only.
    capture : str
        Its capture reader, called ``fn(path, log, **options)``.
    sensor_option : str or None
        The keyword that takes the sensor id (None: the format names its own sensors).
    prepare : callable
        Turns options as a YAML file gives them into the adapter's types, in place.
    """

    name: str
    summary: str
    transport: Transport
    default_port: int | None
    suffixes: tuple[str, ...]
    module: str
    decoder: str | None
    capture: str
    sensor_option: str | None = "sensor"
    prepare: Callable[[dict[str, Any]], None] = lambda options: None


# ------------------------------------------------------------------ option conversion


def _asterix_options(options: dict[str, Any]) -> None:
    """``date`` as ISO text and ``radars`` as a list of mappings -> the decoder's types."""
    from dronewall.adapters.asterix import RadarSite

    value = options.get("date")
    if isinstance(value, str):
        try:
            options["date"] = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ConfigError(
                "not an ISO date", field="options.date", expected="YYYY-MM-DD", actual=value
            ) from exc
    raw = options.get("radars")
    if raw is None or isinstance(raw, Mapping):
        return
    if not isinstance(raw, list):
        raise ConfigError("radars must be a list of {sac, sic, lat_deg, lon_deg, ...}",
                          field="options.radars")  # fmt: skip
    table = {}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise ConfigError("a radar must be a mapping", field=f"options.radars[{i}]")
        item = dict(item)
        try:
            key = (int(item.pop("sac")), int(item.pop("sic")))
            table[key] = RadarSite(**item)
        except KeyError as exc:
            raise ConfigError(f"missing {exc.args[0]}", field=f"options.radars[{i}]") from exc
        except TypeError as exc:
            raise ConfigError(str(exc), field=f"options.radars[{i}]") from exc
    options["radars"] = table


def _mode_s_options(options: dict[str, Any]) -> None:
    """``reference: [lat, lon]`` (a YAML list) -> a tuple."""
    if isinstance(options.get("reference"), list):
        options["reference"] = tuple(options["reference"])


class RawRemoteIdDecoder:
    """A Remote ID decoder fed one raw message (25 bytes) or message pack per datagram (or the
    frames of ``link``), for the common ``feed(data, t_received)``."""

    def __init__(self, *, source: str, log: DecodeLog, link: str = "raw", **options: Any) -> None:
        from dronewall.adapters.remoteid import RemoteIdDecoder

        self._link = link
        self._decoder = RemoteIdDecoder(source, log=log, **options)
        self.log: DecodeLog = self._decoder.log

    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]:
        records: list[DetectionRecord] = self._decoder.feed(data, t_received, link=self._link)
        return records


_A = "dronewall.adapters."
FORMATS: Final[dict[str, WireFormat]] = {
    f.name: f
    for f in (
        WireFormat("asterix", "EUROCONTROL ASTERIX (CAT 015/021/034/048/062)", "udp", 8600,
                   (".ast", ".asterix", ".raw"), _A + "asterix", "AsterixDecoder",
                   "read_asterix_capture", "sensor_prefix", _asterix_options),
        WireFormat("sbs", "SBS BaseStation text (ADS-B)", "tcp", 30003, (".sbs",),
                   _A + "adsb", "SbsDecoder", "read_sbs_capture"),
        WireFormat("beast", "Beast binary (Mode S / ADS-B)", "tcp", 30005, (".beast", ".bin"),
                   _A + "adsb", "BeastDecoder", "read_beast_capture", prepare=_mode_s_options),
        WireFormat("avr", "AVR text (Mode S / ADS-B)", "tcp", 30002, (".avr",),
                   _A + "adsb", "AvrDecoder", "read_avr_capture", prepare=_mode_s_options),
        WireFormat("sapient", "SAPIENT BSI Flex 335 v2.0 sensor nodes", "sapient", 5020,
                   (".sapient",), _A + "sapient", "SapientDecoder", "read_sapient_capture",
                   sensor_option=None),
        WireFormat("cot", "Cursor on Target XML / TAK protobuf", "udp", 6969, (".cot", ".xml"),
                   _A + "cot", "CotDecoder", "read_cot_capture"),
        WireFormat("remoteid", "ASTM F3411 broadcast Remote ID", "udp", 4210, (),
                   _A + "remoteid", None, "read_remoteid_capture"),
        WireFormat("netrid", "network Remote ID test flights (InterUSS)", "none", None, (),
                   _A + "remoteid_netrid", None, "read_netrid_flight"),
    )
}  # fmt: skip


def _options(f: WireFormat, sensor: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    out = dict(options or {})
    f.prepare(out)
    if f.sensor_option is not None:
        out.setdefault(f.sensor_option, sensor)
    return out


def _call(f: WireFormat, make: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return make(*args, **kwargs)
    except TypeError as exc:  # an option the adapter does not take
        raise ConfigError(f"bad option for format {f.name!r}: {exc}", field="options") from exc


_RADIO_LINKTYPES: Final = frozenset({105, 127, 251, 256, 272})
_PCAP_MAGIC: Final = frozenset(
    {b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d"}
)
_PCAPNG_MAGIC: Final = b"\x0a\x0d\x0d\x0a"


def get_format(name: str) -> WireFormat:
    """The format called ``name``; a :class:`ConfigError` lists the known ones otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown wire format {name!r}", field="format", expected=", ".join(FORMATS)
        ) from None


def detect_format(path: str | os.PathLike[str]) -> str:
    """Tell a capture file's format from its first bytes and, failing that, its suffix.

    pcap / pcapng: a radio link type (802.11 radiotap, Bluetooth LE) is Remote ID; an IP capture
    is CoT when its first UDP payload starts with ``<`` (XML) or the TAK magic 0xBF, else
    ASTERIX. Text: ``MSG,`` lines are SBS, ``*hex;`` lines AVR, ``<`` CoT XML. JSON: a Remote ID
    receiver's output (``UASdata``), an InterUSS flight (``flight_telemetry`` or
    ``reference_time``), else SAPIENT messages. ``0x1A`` followed by a Beast type is Beast.

    Raises
    ------
    InputError
        When the file cannot be read or nothing matches (the error says to give ``--format``).
    """
    p = Path(path)
    name = os.fspath(path)
    try:
        with p.open("rb") as fp:
            head = fp.read(4096)
    except FileNotFoundError as exc:
        raise InputError("file not found", source=name) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=name) from exc
    if head[:4] in _PCAP_MAGIC or head[:4] == _PCAPNG_MAGIC:
        return _detect_pcap(p)
    text = head.lstrip()
    if text.startswith(b"MSG,") or text.startswith(b"SEL,") or text.startswith(b"AIR,"):
        return "sbs"
    if text.startswith((b"*", b"@")) and b";" in text[:64]:
        return "avr"
    if head[:1] == b"\x1a" and head[1:2] in (b"1", b"2", b"3", b"4"):
        return "beast"
    if text.startswith(b"<") and (b"<event" in head or b"<?xml" in text[:6]):
        return "cot"
    if text.startswith((b"{", b"[")):
        return _detect_json(p, head)
    suffix = p.suffix.lower()
    for f in FORMATS.values():
        if suffix in f.suffixes:
            return f.name
    raise InputError(
        "cannot tell the format of this file from its content or name; give --format",
        source=name,
        expected=", ".join(FORMATS),
    )


def _detect_pcap(path: Path) -> str:
    from dronewall.adapters.pcap import iter_packets, udp_payloads

    packets = iter_packets(path)
    first = next(packets, None)
    if first is None:
        return "asterix"
    if first.linktype in _RADIO_LINKTYPES:
        return "remoteid"

    def chain() -> Iterator[Any]:
        yield first
        yield from packets

    for datagram in udp_payloads(chain()):
        if datagram.payload[:1] in (b"<", b"\xbf"):
            return "cot"
        return "asterix"
    return "asterix"


def _detect_json(path: Path, head: bytes) -> str:
    if b"UASdata" in head or b'"uas_data"' in head:
        return "remoteid"
    if b"flight_telemetry" in head or b"reference_time" in head or b'"flights"' in head:
        return "netrid"
    try:
        obj = json.loads(path.read_bytes()[:1_000_000])
    except (ValueError, OSError):
        return "sapient"
    if isinstance(obj, dict) and "UASdata" in obj:
        return "remoteid"
    return "sapient"


def make_decoder(
    fmt: str, *, source: str, sensor: str, log: DecodeLog, options: Mapping[str, Any] | None = None
) -> LiveDecoder:
    """A live decoder of format ``fmt`` (options as in the format's adapter)."""
    f = get_format(fmt)
    if f.transport == "none":
        raise ConfigError(f"format {fmt!r} has no live input, only capture files", field="format")
    cls: Callable[..., LiveDecoder] = (
        RawRemoteIdDecoder if f.decoder is None else getattr(import_module(f.module), f.decoder)
    )
    decoder: LiveDecoder = _call(f, cls, source=source, log=log, **_options(f, sensor, options))
    return decoder


def read_capture(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    sensor: str | None = None,
    log: DecodeLog | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[str, DecodeLog, Iterator[DetectionRecord]]:
    """Open a capture file: its format (given or detected), its log and its records.

    Returns
    -------
    (format, log, records)
        ``records`` is lazy: decoding happens while it is consumed, and ``log`` fills as it goes.
    """
    p = Path(path)
    name = fmt or detect_format(p)
    f = get_format(name)
    log = log if log is not None else DecodeLog(os.fspath(p))
    reader = getattr(import_module(f.module), f.capture)
    records: Iterator[DetectionRecord] = _call(
        f, reader, p, log, **_options(f, sensor or name, options)
    )
    return name, log, _first_checked(f, records)


def _first_checked(f: WireFormat, records: Iterator[DetectionRecord]) -> Iterator[DetectionRecord]:
    """The records; a reader that is a generator meets its options only at the first step, so a
    ``TypeError`` there is an option the adapter does not take."""
    try:
        first = next(records)
    except StopIteration:
        return
    except TypeError as exc:
        raise ConfigError(f"bad option for format {f.name!r}: {exc}", field="options") from exc
    yield first
    yield from records
