"""SAPIENT framing, parsing and the stream decoder (BSI Flex 335 v2.0 over TCP).

Wire layout (the Dstl test harness's ``ByteDataMessageBuilder``): every message is ::

    +-----------------------------+------------------------------------+
    | length: int32 little-endian | SapientMessage, protobuf, `length` |
    +-----------------------------+------------------------------------+

A length below 1 or above :data:`MAX_FRAME_BYTES` cannot be a message: the stream has lost
its framing. Recorded files are either such a framed stream or the protobuf-JSON form of
single messages (``google.protobuf.json_format``; the harness's samples).

:class:`SapientDecoder` is the replay decoder: it buffers stream chunks, validates every
message (:func:`~dronewall.adapters.sapient.validation.validate`), keeps the node table from
registrations and status reports, and returns a detection record per usable detection report
(:mod:`~dronewall.adapters.sapient.mapping`). Problems never raise: each is a
:class:`~dronewall.adapters.base.DecodeIssue` (byte offset for framing, message index for
content). After garbage, it resynchronises on the next offset where a plausible frame starts
(a length in range and a payload that parses as a ``SapientMessage`` with a ``content``, a
``timestamp`` and no unknown fields) and reports the skipped bytes as one issue.
"""

from __future__ import annotations

import json
import math
import struct
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.message import DecodeError, Message

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.sapient.mapping import (
    MappingError,
    NodeState,
    detection_record,
    timestamp_s,
)
from dronewall.adapters.sapient.proto.sapient_msg.bsi_flex_335_v2_0 import sapient_message_pb2
from dronewall.adapters.sapient.validation import validate
from dronewall.core.errors import InputError

SapientMessage = sapient_message_pb2.SapientMessage

HEADER: Final = struct.Struct("<i")
"""The 4-byte little-endian signed length before every message."""

MAX_FRAME_BYTES: Final = 16 * 1024 * 1024
"""Largest message accepted, bytes (16 MiB). The harness tests a 10,000,000-byte message; a
registration of a large node is tens of kB. A larger length is taken as lost framing."""


def frame(msg: Message) -> bytes:
    """A message as it goes on the wire: length header + serialised bytes."""
    payload = bytes(msg.SerializeToString())
    head: bytes = HEADER.pack(len(payload))
    return head + payload


def parse_payload(payload: bytes) -> Any:
    """Parse one frame's bytes; raises :class:`ValueError` saying why it is not a message."""
    msg = SapientMessage()
    try:
        msg.ParseFromString(payload)
    except (DecodeError, RuntimeError) as exc:
        raise ValueError(f"protobuf: not a SapientMessage ({exc})") from None
    return msg


def _has_unknown_fields(msg: Message) -> bool:
    copy = type(msg)()
    copy.CopyFrom(msg)
    copy.DiscardUnknownFields()
    return bool(copy.ByteSize() != msg.ByteSize())


def plausible(msg: Any) -> bool:
    """Whether a parsed payload looks like a real message (used to find frames after garbage)."""
    return (
        msg.WhichOneof("content") is not None
        and msg.HasField("timestamp")
        and not _has_unknown_fields(msg)
    )


def parse_json(text: str | bytes) -> tuple[Any | None, list[str]]:
    """A protobuf-JSON ``SapientMessage`` and the reasons it is invalid.

    Returns ``(msg, [])`` for a valid message. Otherwise ``(None, reasons)``: a JSON that does
    not parse strictly (an unknown field such as the pre-v2.0 ``detectionLocation``, a
    timestamp without offset) gives that reason first and, when it parses with unknown fields
    ignored, the validation reasons of the rest; a message that parses gives the validation
    reasons.
    """
    msg = SapientMessage()
    try:
        json_format.Parse(text, msg)
    except (json_format.ParseError, ValueError, TypeError, RecursionError) as exc:
        reasons = [f"json: {_one_line(exc)}"]
        lenient = SapientMessage()
        try:
            json_format.Parse(text, lenient, ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError, TypeError, RecursionError):
            return None, reasons
        return None, reasons + validate(lenient)
    reasons = validate(msg)
    return (None, reasons) if reasons else (msg, [])


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def content_name(msg: Any) -> str:
    """``"detection_report"``, ``"registration"`` ... or ``"none"``."""
    return str(msg.WhichOneof("content") or "none")


class SapientDecoder:
    """Replay decoder of a SAPIENT byte stream (or of parsed messages) into detection records.

    Parameters
    ----------
    source : str
        Name used in the decode log.
    max_frame_bytes : int
        Largest frame accepted (:data:`MAX_FRAME_BYTES`).
    log : DecodeLog, optional

    Attributes
    ----------
    log : DecodeLog
        Good = messages accepted; bad = framing problems (``unit="byte"``, byte offset in the
        stream) and invalid or unusable messages (``unit="message"``, 0-based message index).
    nodes : dict of str to NodeState
        Node table, by node UUID.
    alerts : list of SapientMessage
        Valid alert messages, in order.
    by_type : Counter
        Valid messages by content type.
    """

    def __init__(
        self,
        source: str = "sapient",
        *,
        max_frame_bytes: int = MAX_FRAME_BYTES,
        log: DecodeLog | None = None,
    ) -> None:
        if not 1 <= max_frame_bytes <= 2**31 - 1:
            raise ValueError(f"max_frame_bytes must be in [1, 2**31 - 1], got {max_frame_bytes}")
        self.log = log if log is not None else DecodeLog(source)
        self.max_frame_bytes = max_frame_bytes
        self.nodes: dict[str, NodeState] = {}
        self.alerts: list[Any] = []
        self.by_type: Counter[str] = Counter()
        self._buf = bytearray()
        self._base = 0  # stream offset of _buf[0]
        self._index = 0  # messages seen (frames or JSON documents)
        self._garbage_from: int | None = None  # stream offset where unsynced bytes began

    # -- stream ---------------------------------------------------------------------------
    def feed(self, data: bytes, t_received: float) -> list[DetectionRecord]:
        """Take the next chunk of the stream; return the records of the messages it completes."""
        self._buf += data
        return self._drain(t_received, final=False)

    def flush(self, t_received: float = math.nan) -> list[DetectionRecord]:
        """End of stream: resynchronise over what is left and report an unusable tail."""
        out = self._drain(t_received, final=True)
        end = self._base + len(self._buf)
        start = self._garbage_from if self._garbage_from is not None else self._base
        if end > start:
            self.log.reject(
                start, f"truncated: {end - start} bytes at the end are not a complete frame", "byte"
            )
        self._base = end
        self._buf.clear()
        self._garbage_from = None
        return out

    def _frame_at(self, i: int) -> tuple[int, Any] | bool | None:
        """At buffer index ``i``: (length, parsed msg), None if incomplete, False if no frame."""
        if len(self._buf) - i < HEADER.size:
            return None
        (n,) = HEADER.unpack_from(self._buf, i)
        if not 1 <= n <= self.max_frame_bytes:
            return False
        if len(self._buf) - i - HEADER.size < n:
            return None
        try:
            msg = parse_payload(bytes(self._buf[i + HEADER.size : i + HEADER.size + n]))
        except ValueError:
            return False
        return n, msg

    def _drain(self, t_received: float, *, final: bool) -> list[DetectionRecord]:
        out: list[DetectionRecord] = []
        i = 0
        while i < len(self._buf):
            got = self._frame_at(i)
            if self._garbage_from is None:  # in sync: the frame at i should be good
                if got is None and not final:
                    break  # wait for the rest of the frame
                if isinstance(got, tuple) and (
                    plausible(got[1]) or not self._next_is_lost(i, got[0])
                ):
                    n, msg = got
                    out.extend(self.process(msg, t_received))
                    i += HEADER.size + n
                    continue
                self._garbage_from = self._base + i  # lost: scan for the next good frame
                i += 1
                continue
            if got is None and not final:
                break  # a candidate frame is incomplete: decide when more data came
            if isinstance(got, tuple) and plausible(got[1]):
                start = self._garbage_from
                self.log.reject(
                    start,
                    f"garbage: {self._base + i - start} bytes without a valid frame "
                    f"(resynchronised at byte {self._base + i})",
                    "byte",
                )
                self._garbage_from = None
                continue  # processed in sync on the next turn
            i += 1
        del self._buf[:i]
        self._base += i
        return out

    def _next_is_lost(self, i: int, n: int) -> bool:
        """After a frame that parses but is implausible: does framing break right after it?"""
        return self._frame_at(i + HEADER.size + n) is False

    # -- messages -------------------------------------------------------------------------
    def process(self, msg: Any, t_received: float = math.nan) -> list[DetectionRecord]:
        """Validate one parsed message, update the node table, return its detection records."""
        index = self._index
        self._index += 1
        reasons = validate(msg)
        if reasons:
            self._reject_message(msg, index, "; ".join(reasons))
            return []
        return self._accepted(msg, index, t_received)

    def process_json(
        self, text: str | bytes, t_received: float = math.nan
    ) -> list[DetectionRecord]:
        """The same as :meth:`process` for one protobuf-JSON message."""
        msg, reasons = parse_json(text)
        if msg is None:
            index = self._index
            self._index += 1
            self.log.reject(index, "; ".join(reasons), "message")
            return []
        return self.process(msg, t_received)

    def _reject_message(self, msg: Any, index: int, reason: str) -> None:
        node = self.nodes.get(msg.node_id)
        if node is not None:
            node.rejected += 1
        self.log.reject(index, reason, "message")

    def _node(self, node_id: str) -> NodeState:
        node = self.nodes.get(node_id)
        if node is None:
            node = self.nodes[node_id] = NodeState(node_id)
        return node

    def _accepted(self, msg: Any, index: int, t_received: float) -> list[DetectionRecord]:
        kind = content_name(msg)
        node = self._node(msg.node_id)
        node.messages += 1
        self.by_type[kind] += 1
        self.log.ok()
        if kind == "registration":
            node.apply_registration(msg.registration)
        elif kind == "status_report":
            node.apply_status(msg.status_report, timestamp_s(msg))
        elif kind == "alert":
            self.alerts.append(msg)
        elif kind == "detection_report":
            try:
                rec = detection_record(msg, node, t_received)
            except MappingError as exc:
                node.rejected += 1
                self.log.good -= 1  # valid, but not usable: counted as bad once
                self.log.reject(index, f"detection_report: {exc}", "message")
                return []
            node.detections += 1
            return [rec]
        return []


def _json_documents(paths: Iterable[Path], log: DecodeLog) -> Iterator[tuple[int, str]]:
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read SAPIENT JSON: {exc}", source=str(path)) from None
        if path.suffix == ".jsonl":
            for k, line in enumerate(text.splitlines(), 1):
                if line.strip():
                    yield k, line
        else:
            yield 0, text


def read_sapient_capture(
    path: str | Path | Sequence[str | Path],
    log: DecodeLog | None = None,
    *,
    max_frame_bytes: int = MAX_FRAME_BYTES,
    chunk_bytes: int = 1 << 16,
    decoder: SapientDecoder | None = None,
) -> Iterator[DetectionRecord]:
    """Detection records from a recorded SAPIENT stream or from JSON messages.

    Parameters
    ----------
    path : path, or a sequence of paths
        A framed binary stream (any name but ``.json``/``.jsonl``), a ``.json`` file with one
        protobuf-JSON message, a ``.jsonl`` file with one per line, a directory (its ``*.json``
        and ``*.jsonl`` files, sorted by name), or a list of such files (in the order given).
    log : DecodeLog, optional
        Receives the issues; a decoder-owned log is used otherwise.
    decoder : SapientDecoder, optional
        To read the node table or alerts afterwards.

    Records carry no ``t_received`` (a file does not say when it was received).
    """
    paths: list[Path]
    if isinstance(path, (str, Path)):
        p = Path(path)
        if p.is_dir():
            paths = sorted(q for q in p.iterdir() if q.suffix in (".json", ".jsonl"))
        elif p.exists():
            paths = [p]
        else:
            raise InputError("file not found", source=str(p))
    else:
        paths = [Path(q) for q in path]
    dec = decoder or SapientDecoder(
        str(path) if isinstance(path, (str, Path)) else "sapient",
        max_frame_bytes=max_frame_bytes,
        log=log,
    )
    for p in paths:
        if p.suffix in (".json", ".jsonl"):
            for _line, text in _json_documents([p], dec.log):
                yield from dec.process_json(text)
            continue
        try:
            fh = p.open("rb")
        except OSError as exc:
            raise InputError(f"cannot read SAPIENT stream: {exc}", source=str(p)) from None
        with fh:
            while chunk := fh.read(chunk_bytes):
                yield from dec.feed(chunk, math.nan)
        yield from dec.flush()


def message_to_json(msg: Message) -> str:
    """A message as protobuf JSON (the samples' form), compact."""
    return json.dumps(json_format.MessageToDict(msg), separators=(",", ":"))
