"""A SAPIENT (BSI Flex 335 v2.0) fusion-node server for sensor nodes (asyncio, TCP).

Each node connects over TCP and sends length-framed ``SapientMessage`` s
(:mod:`~dronewall.adapters.sapient.codec`). Per message, in the standard's message flow:

``registration``
    validated; answered with a ``registration_ack``: ``acceptance: true``, or ``false`` with
    the validation reasons in ``ack_response_reason``. The connection is then bound to the
    node id (tasks for the node go out on it).
``status_report``
    kept in the node table (health ``system``, ``mode``, ``node_location`` as WGS84,
    ``coverage``, ``field_of_view``, ``status``).
``detection_report``
    one detection record (:mod:`~dronewall.adapters.sapient.mapping`) passed to
    ``on_records``; a valid report that cannot be placed is answered with an ``error``.
``alert``
    kept and answered with an ``alert_ack`` (``ALERT_ACK_STATUS_ACCEPTED``).
``task_ack``
    updates the task sent with :meth:`SapientServer.send_task`.
``error``
    from the node: logged and kept on the node.

A message that fails validation is answered with an ``error`` message carrying the offending
packet and the reasons (``Error.packet``, ``Error.error_message``), counted in ``log``, and the
connection stays open. A length header below 1 or above ``max_frame_bytes``, or a payload that
is not protobuf at all, means the framing is lost: that connection is closed (after an
``error`` message for an undecodable payload) with the reason logged; other nodes are not
affected. Messages from a node that has not registered are processed all the same (a restarted
server should not lose data) and counted in ``NodeState.messages``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from dronewall.adapters.base import DecodeLog, DetectionRecord
from dronewall.adapters.sapient.codec import (
    HEADER,
    MAX_FRAME_BYTES,
    content_name,
    frame,
    parse_payload,
)
from dronewall.adapters.sapient.mapping import (
    MappingError,
    NodeState,
    detection_record,
    timestamp_s,
)
from dronewall.adapters.sapient.proto.sapient_msg.bsi_flex_335_v2_0 import (
    alert_ack_pb2,
    sapient_message_pb2,
    task_ack_pb2,
    task_pb2,
)
from dronewall.adapters.sapient.validation import ULID_RE, validate

SapientMessage = sapient_message_pb2.SapientMessage
logger = logging.getLogger("dronewall.adapters.sapient")

_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid(t: float | None = None) -> str:
    """A ULID: 48-bit millisecond UTC time then 80 random bits, Crockford base32."""
    ms = int((time.time() if t is None else t) * 1000) & ((1 << 48) - 1)
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * k)) & 31] for k in range(25, -1, -1))


@dataclass
class TaskState:
    """A task sent to a node and what the node answered (``TaskAck.TaskStatus`` name)."""

    task_id: str
    node_id: str
    task: Any
    status: str = "SENT"
    reasons: list[str] = field(default_factory=list)


class SapientServer:
    """Accepts SAPIENT sensor nodes on TCP and turns their detections into records.

    Parameters
    ----------
    host, port : str, int
        Where to listen; ``port=0`` picks a free port (read :attr:`port` after :meth:`start`).
    on_records : callable, optional
        Called with each non-empty list of detection records, in the event loop.
    server_id : str, optional
        This fusion node's UUID (envelope ``node_id`` of what it sends); random by default.
    max_frame_bytes : int
        Largest message accepted (:data:`~dronewall.adapters.sapient.codec.MAX_FRAME_BYTES`,
        16 MiB); a longer header closes the connection.

    Attributes
    ----------
    nodes : dict of str to NodeState
        The node table.
    alerts : list of SapientMessage
        Valid alerts received (each acknowledged).
    tasks : dict of str to TaskState
        Tasks sent, by task id.
    log : DecodeLog
        Good/bad messages; issues carry the per-connection message index (``unit="message"``)
        or the byte offset in the connection's stream (``unit="byte"``).
    closed_connections : list of str
        The reason each connection closed by the server was closed for.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        on_records: Callable[[list[DetectionRecord]], None] | None = None,
        *,
        server_id: str | None = None,
        max_frame_bytes: int = MAX_FRAME_BYTES,
    ) -> None:
        self.host = host
        self._port = port
        self.on_records = on_records
        self.server_id = server_id or str(uuid.uuid4())
        self.max_frame_bytes = max_frame_bytes
        self.nodes: dict[str, NodeState] = {}
        self.alerts: list[Any] = []
        self.tasks: dict[str, TaskState] = {}
        self.log = DecodeLog(f"sapient://{host}:{port}")
        self.closed_connections: list[str] = []
        self._writers: dict[str, asyncio.StreamWriter] = {}
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The port listened on (the real one once started with ``port=0``)."""
        return self._port

    async def start(self) -> None:
        """Start listening."""
        self._server = await asyncio.start_server(self._handle, self.host, self._port)
        self._port = int(self._server.sockets[0].getsockname()[1])
        self.log.source = f"sapient://{self.host}:{self._port}"
        logger.info("SAPIENT server listening on %s:%d", self.host, self._port)

    async def stop(self) -> None:
        """Stop listening and close every node connection."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers.values()):
            writer.close()
        for task in list(self._handlers):
            task.cancel()
        for task in list(self._handlers):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._server is not None:
            await self._server.wait_closed()
            self._server = None

    async def send_task(self, node_id: str, task: Any) -> str:
        """Send a ``Task`` to a connected node; returns its task id.

        A missing ``task_id`` is filled with a new ULID. Raises ``KeyError`` if the node is not
        connected and ``ValueError`` if the task does not validate.
        """
        writer = self._writers.get(node_id)
        if writer is None:
            raise KeyError(f"node {node_id} is not connected")
        t = task_pb2.Task()
        t.CopyFrom(task)
        if not t.task_id:
            t.task_id = new_ulid()
        env = self._envelope(node_id)
        env.task.CopyFrom(t)
        reasons = validate(env)
        if reasons:
            raise ValueError("task does not validate: " + "; ".join(reasons))
        self.tasks[t.task_id] = TaskState(t.task_id, node_id, t)
        writer.write(frame(env))
        await writer.drain()
        return str(t.task_id)

    # -- connection -----------------------------------------------------------------------
    def _envelope(self, destination: str | None) -> Any:
        env = SapientMessage()
        env.timestamp.FromNanoseconds(time.time_ns())
        env.node_id = self.server_id
        if destination:
            env.destination_id = destination
        return env

    def _error(self, destination: str | None, packet: bytes, reasons: list[str]) -> Any:
        env = self._envelope(destination)
        env.error.packet = packet
        env.error.error_message.extend(reasons or ["unspecified error"])
        return env

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        peer = writer.get_extra_info("peername")
        conn = _Connection(peer=str(peer))
        try:
            await self._serve(reader, writer, conn)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            if not isinstance(exc, asyncio.IncompleteReadError) or exc.partial:
                self._close_reason(conn, f"connection lost: {exc!r}")
        except asyncio.CancelledError:
            pass
        except Exception as exc:  # a bug must not take the server down with it
            logger.exception("SAPIENT connection %s: handler failed", conn.peer)
            self._close_reason(conn, f"internal error: {exc!r}")
        finally:
            if conn.node_id and self._writers.get(conn.node_id) is writer:
                del self._writers[conn.node_id]
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._handlers.discard(task)

    def _close_reason(self, conn: _Connection, reason: str) -> None:
        text = f"{conn.peer} (node {conn.node_id or 'unregistered'}): {reason}"
        self.closed_connections.append(text)
        logger.warning("SAPIENT connection closed: %s", text)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, conn: _Connection
    ) -> None:
        while True:
            try:
                head = await reader.readexactly(HEADER.size)
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    self.log.reject(conn.offset, "truncated: stream ends inside a header", "byte")
                    self._close_reason(conn, "stream ends inside a frame header")
                return
            (n,) = HEADER.unpack(head)
            if not 1 <= n <= self.max_frame_bytes:
                self.log.reject(
                    conn.offset,
                    f"framing: length {n} is outside [1, {self.max_frame_bytes}]",
                    "byte",
                )
                self._close_reason(conn, f"bad frame length {n} at byte {conn.offset}")
                return
            payload = await reader.readexactly(n)
            at = conn.offset
            conn.offset += HEADER.size + n
            index = conn.index
            conn.index += 1
            try:
                msg = parse_payload(payload)
            except ValueError as exc:
                self.log.reject(at, str(exc), "byte")
                writer.write(frame(self._error(conn.node_id, payload[:1024], [str(exc)])))
                await writer.drain()
                self._close_reason(conn, f"undecodable payload at byte {at}: {exc}")
                return
            replies = self._on_message(msg, payload, index, conn, writer)
            for reply in replies:
                writer.write(frame(reply))
            if replies:
                await writer.drain()

    def _on_message(
        self, msg: Any, payload: bytes, index: int, conn: _Connection, writer: asyncio.StreamWriter
    ) -> list[Any]:
        t_received = time.time()
        kind = content_name(msg)
        reasons = validate(msg)
        sender = msg.node_id if msg.node_id else None
        if reasons:
            self.log.reject(index, f"{kind}: " + "; ".join(reasons), "message")
            node = self.nodes.get(msg.node_id)
            if node is not None:
                node.rejected += 1
            if kind == "registration":
                ack = self._envelope(sender)
                ack.registration_ack.acceptance = False
                ack.registration_ack.ack_response_reason.extend(reasons)
                return [ack]
            return [self._error(sender, payload, reasons)]
        self.log.ok()
        node = self.nodes.get(msg.node_id)
        if node is None:
            node = self.nodes[msg.node_id] = NodeState(msg.node_id)
        node.messages += 1
        if kind == "registration":
            node.apply_registration(msg.registration)
            conn.node_id = msg.node_id
            self._writers[msg.node_id] = writer
            ack = self._envelope(msg.node_id)
            ack.registration_ack.acceptance = True
            logger.info("SAPIENT node %s registered (%s)", msg.node_id, node.name)
            return [ack]
        if conn.node_id is None:
            conn.node_id = msg.node_id  # unregistered node: still reachable for tasks
            self._writers.setdefault(msg.node_id, writer)
        if kind == "status_report":
            node.apply_status(msg.status_report, timestamp_s(msg))
        elif kind == "detection_report":
            try:
                rec = detection_record(msg, node, t_received)
            except MappingError as exc:
                node.rejected += 1
                self.log.good -= 1
                self.log.reject(index, f"detection_report: {exc}", "message")
                return [self._error(msg.node_id, payload, [f"detection not usable: {exc}"])]
            node.detections += 1
            if self.on_records is not None:
                self.on_records([rec])
        elif kind == "alert":
            self.alerts.append(msg)
            ack = self._envelope(msg.node_id)
            ack.alert_ack.alert_id = msg.alert.alert_id
            ack.alert_ack.alert_ack_status = alert_ack_pb2.AlertAck.ALERT_ACK_STATUS_ACCEPTED
            return [ack]
        elif kind == "task_ack":
            ta = msg.task_ack
            state = self.tasks.get(ta.task_id)
            status = task_ack_pb2.TaskAck.TaskStatus.Name(ta.task_status)
            if state is None:
                logger.warning("SAPIENT task_ack for unknown task %s", ta.task_id)
            else:
                state.status = status
                state.reasons = list(ta.reason)
        elif kind == "error":
            logger.warning(
                "SAPIENT node %s reports an error: %s", msg.node_id, list(msg.error.error_message)
            )
        return []


@dataclass
class _Connection:
    peer: str
    node_id: str | None = None
    offset: int = 0
    index: int = 0


def is_ulid(text: str) -> bool:
    """Whether ``text`` is a ULID (26 Crockford base32 characters, first 0-7)."""
    return bool(ULID_RE.match(text))
