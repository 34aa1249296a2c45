"""Send CoT events to a TAK server or a multicast/unicast UDP group, never blocking the pipeline.

Transport
---------
``tcp://host:port`` (TAK server streaming input, commonly 8087) writes the events one after another
on one connection; ``udp://host:port`` (commonly 4242, or the SA multicast group
``239.2.3.1:6969``) sends one datagram per event. The bytes are sent as given: XML events, or TAK
protobuf already framed (``stream`` framing for TCP, ``mesh`` for UDP; see
:func:`~dronewall.adapters.cot_export.tracks_to_takproto`). TLS (``ssl://``, port 8089) is out of
scope here: put a TLS-terminating proxy (stunnel) in front of a TCP port, or use pytak.

Behaviour
---------
:meth:`CotSender.send` only appends to a bounded queue and returns at once. When the queue is full
the **oldest** event is dropped (counted in :attr:`CotSender.dropped`): on a congested link the
newest picture matters. A background thread connects (TCP), writes, and on failure closes the
socket and reconnects with exponential backoff (``backoff_initial_s`` doubling up to
``backoff_max_s``); the event whose write failed is put back at the head of the queue (it may
then arrive twice; CoT consumers replace events by uid, so a duplicate is harmless).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import Final
from urllib.parse import urlsplit

from dronewall.core.errors import ConfigError

MAX_DATAGRAM: Final = 65507  # largest UDP payload over IPv4


class CotSender:
    """Non-blocking CoT sender with a bounded drop-oldest queue and reconnection.

    Parameters
    ----------
    url : str
        ``tcp://host:port`` or ``udp://host:port``.
    queue_size : int
        Events held while the link is down or slow.
    connect_timeout_s : float
        TCP connect and send timeout, s.
    backoff_initial_s, backoff_max_s : float
        Reconnection delays, s.

    Attributes
    ----------
    sent, dropped, errors, connects : int
        Events written, events dropped from a full queue (or too large for a datagram), failed
        connects or writes, successful TCP connections.
    """

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 1000,
        connect_timeout_s: float = 5.0,
        backoff_initial_s: float = 0.5,
        backoff_max_s: float = 30.0,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme in ("ssl", "tls", "tcps"):
            raise ConfigError(
                "TLS is not supported by CotSender: use a TLS proxy (stunnel) or pytak",
                field="url",
                actual=url,
            )
        if parts.scheme not in ("tcp", "udp") or not parts.hostname or parts.port is None:
            raise ConfigError(
                "expected tcp://host:port or udp://host:port", field="url", actual=url
            )
        if queue_size < 1:
            raise ConfigError("queue_size must be >= 1", field="queue_size")
        if not 0 < backoff_initial_s <= backoff_max_s:
            raise ConfigError("need 0 < backoff_initial_s <= backoff_max_s", field="backoff_s")
        self.url = url
        self.scheme = parts.scheme
        self.address = (parts.hostname, parts.port)
        self.connect_timeout_s = connect_timeout_s
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.sent = 0
        self.dropped = 0
        self.errors = 0
        self.connects = 0
        self._queue: deque[bytes] = deque()
        self._size = queue_size
        self._cond = threading.Condition()
        self._closing = False
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._inflight = False  # an event taken from the queue and not yet written or put back
        self._thread = threading.Thread(target=self._run, name=f"CotSender {url}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ API

    def send(self, event: bytes) -> None:
        """Queue one event (never blocks; drops the oldest when full)."""
        self.send_many((event,))

    def send_many(self, events: Iterable[bytes]) -> None:
        """Queue events in order (never blocks; drops the oldest when full)."""
        with self._cond:
            for e in events:
                if self.scheme == "udp" and len(e) > MAX_DATAGRAM:
                    self.dropped += 1
                    continue
                if len(self._queue) >= self._size:
                    self._queue.popleft()
                    self.dropped += 1
                self._queue.append(bytes(e))
            self._cond.notify()

    @property
    def pending(self) -> int:
        """Events waiting in the queue."""
        with self._cond:
            return len(self._queue)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until the queue is empty (or ``timeout_s``); ``True`` if it emptied."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._inflight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.05))
        return True

    def close(self, timeout_s: float = 2.0) -> None:
        """Stop the thread (events still queued after ``timeout_s`` of flushing are dropped)."""
        self.flush(timeout_s)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._stop.set()
        self._thread.join(timeout_s + self.connect_timeout_s)
        self._disconnect()

    def __enter__(self) -> CotSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ thread

    def _disconnect(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def _connect(self) -> bool:
        try:
            if self.scheme == "tcp":
                sock = socket.create_connection(self.address, timeout=self.connect_timeout_s)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.connects += 1
            else:
                info = socket.getaddrinfo(*self.address, type=socket.SOCK_DGRAM)[0]
                sock = socket.socket(info[0], socket.SOCK_DGRAM)
                sock.settimeout(self.connect_timeout_s)
                sock.connect(info[4])
                if str(info[4][0]).startswith(("224.", "239.")):
                    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        except OSError:
            self.errors += 1
            return False
        self._sock = sock
        return True

    def _peer_closed(self) -> bool:
        """Discard what the server sent us (a TAK server echoes events) and see if it hung up."""
        assert self._sock is not None
        try:
            while select.select([self._sock], [], [], 0.0)[0]:
                if not self._sock.recv(65536):
                    return True
        except OSError:
            return True
        return False

    def _run(self) -> None:
        delay = self.backoff_initial_s
        while True:
            with self._cond:
                while not self._queue and not self._closing:
                    self._cond.wait()
                if self._closing:
                    return
            if self._sock is None and not self._connect():
                self._stop.wait(delay)  # woken early only by close()
                delay = min(2.0 * delay, self.backoff_max_s)
                continue
            delay = self.backoff_initial_s
            with self._cond:
                if not self._queue:
                    continue
                event = self._queue.popleft()
                self._inflight = True
            assert self._sock is not None
            if self.scheme == "tcp" and self._peer_closed():
                self._disconnect()
                self._put_back(event)
                continue
            try:
                if self.scheme == "tcp":
                    self._sock.sendall(event)
                else:
                    self._sock.send(event)
            except OSError:
                self.errors += 1
                self._disconnect()
                self._put_back(event)
                continue
            with self._cond:
                self.sent += 1
                self._inflight = False
                self._cond.notify_all()

    def _put_back(self, event: bytes) -> None:
        with self._cond:
            if len(self._queue) < self._size:
                self._queue.appendleft(event)
            else:
                self.dropped += 1
            self._inflight = False
