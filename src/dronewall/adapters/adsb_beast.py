"""Beast binary (TCP 30005) and AVR text (TCP 30002) streams of Mode S replies.

Data layout
-----------
Beast binary, as sent by the Mode-S Beast, dump1090, readsb: every frame is

====  =======  =====================================================================
0     1 byte   0x1A (frame start / escape)
1     1 byte   type: ``'1'`` Mode A/C (2 data bytes), ``'2'`` Mode S short (7), ``'3'`` Mode S
               long (14), ``'4'`` receiver status (Radarcape, 14)
2     6 bytes  timestamp: a free-running 12 MHz counter, big-endian (0 when the source has none)
8     1 byte   signal level: sqrt of the power relative to full scale, 0-255
9     n bytes  the reply (type '1': Mode A/C code; '2'/'3': the Mode S reply)
====  =======  =====================================================================

Every 0x1A inside bytes 2.. is doubled (``1A 1A``); a single 0x1A starts the next frame. A frame
cut short by a new 0x1A, an unknown type (``'5'`` Radarcape position and others), bytes outside a
frame are reported with the byte offset of their start and skipped; the decoder resynchronises
at the next frame start.

AVR text: one reply per line, ``*8D4840D6202CC371C32CE0576098;`` (hex of the reply), or with a
12 MHz timestamp ``@0000012A44C88D4840D6202CC371C32CE0576098;`` (12 hex digits, then the reply).
Offsets of bad lines are 1-based line numbers.

Times
-----
The 12 MHz counter is not a clock. With ``clock="received"`` (default, live streams) a reply's
``t`` is the ``t_received`` given to :meth:`feed`. With ``clock="counter"`` (capture files)
``t = start_epoch + (counter - counter_0) / 12e6`` from the first non-zero counter, anchored at
``start_epoch`` (default: the ``t_received`` of the first frame); a counter that goes back by more
than 1 s (receiver restart) is re-anchored at the last time. Replies without a counter take the
last time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Literal

from dronewall.adapters.adsb_modes import ModeSCore, ModeSOptions
from dronewall.adapters.base import DecodeLog, DetectionRecord, OffsetUnit
from dronewall.core.errors import ConfigError, InputError

ESC: Final = 0x1A
BEAST_PAYLOAD: Final[dict[int, int]] = {0x31: 2, 0x32: 7, 0x33: 14, 0x34: 14}
"""Data bytes after the 6-byte timestamp and the signal byte, by Beast frame type."""
COUNTER_HZ: Final = 12e6
_HEX: Final = frozenset(b"0123456789abcdefABCDEF")

Clock = Literal["received", "counter"]


class _Clock:
    """Turns 12 MHz counter values into UTC epoch seconds (see the module docstring)."""

    def __init__(self, mode: Clock, start_epoch: float | None) -> None:
        if mode not in ("received", "counter"):
            raise ConfigError(f"unknown clock {mode!r}", field="clock", expected="received|counter")
        self.mode = mode
        self.start_epoch = start_epoch
        self.c0: int | None = None
        self.e0 = 0.0
        self.last_c = 0
        self.last_t: float | None = None

    def time(self, counter: int, t_received: float) -> float:
        if self.mode == "received":
            return t_received
        if counter == 0:
            return self.last_t if self.last_t is not None else t_received
        if self.c0 is None:
            self.c0 = counter
            self.e0 = self.start_epoch if self.start_epoch is not None else t_received
        elif counter < self.last_c - COUNTER_HZ:
            self.c0, self.e0 = counter, self.last_t if self.last_t is not None else t_received
        self.last_c = counter
        t = self.e0 + (counter - self.c0) / COUNTER_HZ
        self.last_t = t
        return t


def _mode_s_state(
    source: str,
    sensor: str,
    reference: tuple[float, float] | None,
    clock: Clock,
    start_epoch: float | None,
    log: DecodeLog | None,
    options: dict[str, float],
) -> tuple[DecodeLog, ModeSCore, _Clock]:
    """The log, Mode S state and clock that the Beast and AVR decoders both start from."""
    log = log if log is not None else DecodeLog(source)
    try:
        opts = ModeSOptions(sensor=sensor, reference=reference, **options)
    except TypeError as exc:
        raise ConfigError(f"unknown option: {exc}", field="options") from exc
    return log, ModeSCore(log, opts), _Clock(clock, start_epoch)


def _dbfs(level: int) -> float | None:
    # dump1090/readsb send sqrt(power) scaled to 255: power dBFS = 20 log10(level / 255)
    return 20.0 * math.log10(level / 255.0) if level else None


class BeastDecoder:
    """Decoder of a Beast binary stream (TCP 30005 or a ``nc host 30005 > file`` capture).

    Parameters
    ----------
    source : str
        Name of the stream in issues (``tcp://host:30005``, a file name).
    sensor : str
        ``sensor`` id of the records.
    reference : (lat_deg, lon_deg), optional
        Receiver position: local CPR decoding of lone messages, the surface ambiguity, and a
        range check (``max_range_m``). Without it a position needs an even/odd pair first.
    clock : {"received", "counter"}
        Where ``t`` comes from (module docstring).
    start_epoch : float, optional
        UTC epoch seconds of the first counter value (``clock="counter"``).
    log : DecodeLog, optional
        Shared log; a new one by default.
    **options
        Fields of :class:`~dronewall.adapters.adsb_modes.ModeSOptions` (``max_speed_m_s``,
        ``max_range_m``, ``geoid_height_m`` ...).

    Attributes
    ----------
    log : DecodeLog
        ``good`` counts frames and replies used, ``bad`` the skipped ones with their byte offset.
    core : ModeSCore
        The Mode S state (counters ``parity_failures``, ``position_rejects`` ...).
    frames : int
        Frames read (all types).
    """

    def __init__(
        self,
        source: str = "beast",
        *,
        sensor: str = "adsb",
        reference: tuple[float, float] | None = None,
        clock: Clock = "received",
        start_epoch: float | None = None,
        log: DecodeLog | None = None,
        **options: float,
    ) -> None:
        self.log, self.core, self._clock = _mode_s_state(
            source, sensor, reference, clock, start_epoch, log, options
        )
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._capture = False
        self.frames = 0

    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]:
        """Decode a chunk of the stream; a partial last frame is kept for the next call."""
        buf = self._buf
        buf += data
        msgs: list[tuple[bytes, float, float, int, float | None]] = []
        pos = self._scan(buf, t_received, msgs, final=False)
        del buf[:pos]
        self._base += pos
        return self.core.decode(msgs, "byte") if msgs else []

    def flush(self, t_received: float = math.nan) -> list[DetectionRecord]:
        """End of stream: report an incomplete last frame."""
        if self._buf:
            self.log.reject(self._base, "frame: stream ends inside a frame", "byte")
            self._base += len(self._buf)
            self._buf.clear()
        return []

    def _scan(
        self,
        buf: bytearray,
        t_rx: float,
        msgs: list[tuple[bytes, float, float, int, float | None]],
        final: bool,
    ) -> int:
        n = len(buf)
        pos = 0
        log = self.log
        base = self._base
        while pos < n:
            i = buf.find(ESC, pos)
            if i < 0:
                log.reject(base + pos, f"sync: {n - pos} bytes outside a frame", "byte")
                return n
            if i > pos:
                log.reject(base + pos, f"sync: {i - pos} bytes outside a frame", "byte")
                pos = i
            if i + 1 >= n:
                return i
            ftype = buf[i + 1]
            if ftype == ESC:
                # an escaped 0x1A outside a frame: garbage
                log.reject(base + i, "sync: escaped 0x1A outside a frame", "byte")
                pos = i + 2
                continue
            plen = BEAST_PAYLOAD.get(ftype)
            if plen is None:
                log.reject(base + i, f"type: unknown Beast frame type 0x{ftype:02X}", "byte")
                pos = i + 1
                continue
            need = 7 + plen
            j = i + 2
            chunk = buf[j : j + need]
            if len(chunk) == need and ESC not in chunk:
                body = bytes(chunk)
                end = j + need
            else:
                out = bytearray()
                k = j
                cut = False
                while len(out) < need and k < n:
                    b = buf[k]
                    if b == ESC:
                        if k + 1 >= n:
                            break
                        if buf[k + 1] != ESC:
                            cut = True
                            break
                        k += 1
                    out.append(b)
                    k += 1
                if cut:
                    log.reject(
                        base + i,
                        f"frame: type '{chr(ftype)}' cut short after {len(out)} of {need} bytes",
                        "byte",
                    )
                    pos = k
                    continue
                if len(out) < need:
                    return i  # wait for more data
                body = bytes(out)
                end = k
            self.frames += 1
            pos = end
            if plen < 7:
                log.ok()  # Mode A/C: no address, nothing we use
                continue
            if ftype == 0x34:
                log.ok()  # Radarcape status
                continue
            counter = int.from_bytes(body[:6], "big")
            t = self._clock.time(counter, t_rx)
            msgs.append((body[7:], t, t if self._capture else t_rx, base + i, _dbfs(body[6])))
        return pos


class AvrDecoder:
    """Decoder of AVR text (TCP 30002): ``*<hex>;`` or ``@<12 hex counter><hex>;`` per line.

    Parameters are those of :class:`BeastDecoder`; ``clock="counter"`` uses the ``@`` counter.
    Bad lines (no ``*``/``@``, no ``;``, a non-hex character, a length that is not 7 or 14
    bytes) are reported by 1-based line number.
    """

    def __init__(
        self,
        source: str = "avr",
        *,
        sensor: str = "adsb",
        reference: tuple[float, float] | None = None,
        clock: Clock = "received",
        start_epoch: float | None = None,
        log: DecodeLog | None = None,
        **options: float,
    ) -> None:
        self.log, self.core, self._clock = _mode_s_state(
            source, sensor, reference, clock, start_epoch, log, options
        )
        self._tail = b""
        self._line = 0
        self._capture = False

    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]:
        """Decode a chunk of the text stream; a partial last line is kept for the next call."""
        data = self._tail + data
        lines = data.split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > 4096:  # no line of AVR is that long: report, do not hoard
            lines.append(self._tail)
            self._tail = b""
        return self._lines(lines, t_received)

    def flush(self, t_received: float = math.nan) -> list[DetectionRecord]:
        """End of stream: decode a last line without a newline."""
        tail, self._tail = self._tail, b""
        return self._lines([tail], t_received) if tail.strip() else []

    def _lines(self, lines: list[bytes], t_rx: float) -> list[DetectionRecord]:
        msgs: list[tuple[bytes, float, float, int, float | None]] = []
        unit: OffsetUnit = "line"
        log = self.log
        for raw in lines:
            self._line += 1
            line = raw.strip()
            if not line:
                continue
            head = line[:1]
            if head not in (b"*", b"@") or not line.endswith(b";"):
                log.reject(self._line, "line: not an AVR line ('*<hex>;' or '@<hex>;')", unit)
                continue
            hexpart = line[1:-1]
            counter = 0
            if head == b"@":
                if len(hexpart) < 12 or not _HEX.issuperset(hexpart[:12]):
                    log.reject(self._line, "timestamp: not 12 hex digits", unit)
                    continue
                counter = int(hexpart[:12], 16)
                hexpart = hexpart[12:]
            if not _HEX.issuperset(hexpart):
                log.reject(self._line, "hex: non-hex character in the reply", unit)
                continue
            if len(hexpart) == 4:
                log.ok()  # Mode A/C
                continue
            if len(hexpart) not in (14, 28):
                log.reject(self._line, f"length: {len(hexpart)} hex digits (need 14 or 28)", unit)
                continue
            t = self._clock.time(counter, t_rx)
            msgs.append(
                (bytes.fromhex(hexpart.decode()), t, t if self._capture else t_rx, self._line, None)
            )
        return self.core.decode(msgs, unit) if msgs else []


def _capture_epoch(path: Path, start_epoch: float | None) -> float:
    if start_epoch is not None:
        return start_epoch
    try:
        return os.stat(path).st_mtime
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=str(path)) from exc


def _read_chunks(path: Path, size: int = 1 << 16) -> Iterator[bytes]:
    try:
        fh = path.open("rb")
    except FileNotFoundError as exc:
        raise InputError("file not found", source=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror or exc}", source=str(path)) from exc
    with fh:
        while chunk := fh.read(size):
            yield chunk


def read_beast_capture(
    path: str | os.PathLike[str],
    log: DecodeLog | None = None,
    *,
    start_epoch: float | None = None,
    **options: object,
) -> Iterator[DetectionRecord]:
    """Position records of a recorded Beast binary stream (``nc host 30005 > file``).

    Parameters
    ----------
    path : path
    log : DecodeLog, optional
        Receives the counts and issues (a new one named after the file by default).
    start_epoch : float, optional
        UTC epoch seconds of the first frame's counter. **Default: the file's modification
        time**, a guess (usually the *end* of the recording): give it when it is known.
    **options
        Keyword arguments of :class:`BeastDecoder` (``reference``, ``sensor``,
        ``max_speed_m_s`` ...); ``clock`` defaults to ``"counter"``.

    Raises
    ------
    InputError
        When the file cannot be opened.
    """
    p = Path(path)
    epoch = _capture_epoch(p, start_epoch)
    options.setdefault("clock", "counter")
    dec = BeastDecoder(str(p), log=log, start_epoch=epoch, **options)  # type: ignore[arg-type]
    dec._capture = True
    for chunk in _read_chunks(p):
        yield from dec.feed(chunk, epoch)
    yield from dec.flush()


def read_avr_capture(
    path: str | os.PathLike[str],
    log: DecodeLog | None = None,
    *,
    start_epoch: float | None = None,
    **options: object,
) -> Iterator[DetectionRecord]:
    """Position records of a recorded AVR text stream; as :func:`read_beast_capture`.

    Lines without a ``@`` counter all take ``start_epoch`` as their time.
    """
    p = Path(path)
    epoch = _capture_epoch(p, start_epoch)
    options.setdefault("clock", "counter")
    dec = AvrDecoder(str(p), log=log, start_epoch=epoch, **options)  # type: ignore[arg-type]
    dec._capture = True
    for chunk in _read_chunks(p):
        yield from dec.feed(chunk, epoch)
    yield from dec.flush(epoch)
