"""Run the service in a thread (browser tests, benchmarks) and the demo token set.

``serve_in_thread(settings)`` starts uvicorn on 127.0.0.1 (a free port by default) in a daemon
thread, waits until it answers, yields the base URL and shuts it down cleanly on exit.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
import yaml

from dronewall.service.app import create_app
from dronewall.service.auth import TokenSet, demo_token_entries
from dronewall.service.settings import ServiceSettings

#: Seconds to wait for the server to come up or go down.
STARTUP_TIMEOUT_S = 60.0


def demo_tokens() -> TokenSet:
    """One user per role (tokens ``viewer-token``, ``operator-token``, ``commander-token``,
    ``admin-token``, cleared for BE, NL, LU, NATO) and ``nl-viewer-token`` (viewer, NL only)."""
    return TokenSet.from_entries(demo_token_entries(), "demo_tokens")


def write_demo_tokens(path: Path) -> Path:
    """Write :func:`demo_tokens` as a YAML token file at ``path`` and return it."""
    path.write_text(yaml.safe_dump({"tokens": demo_token_entries()}, sort_keys=False), "utf-8")
    return path


def demo_tokens_file() -> Path:
    """The demo token set written to a fresh temporary file (for ``ServiceSettings.tokens``)."""
    folder = Path(tempfile.mkdtemp(prefix="dronewall-tokens-"))
    return write_demo_tokens(folder / "tokens.yaml")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(settings: ServiceSettings, port: int = 0) -> Iterator[str]:
    """Serve ``create_app(settings)`` with uvicorn in a thread; yield ``http://127.0.0.1:PORT``.

    Without ``settings.tokens`` the demo token set is used (see :func:`demo_tokens`), so that
    tests can use the well-known tokens. Raises ``RuntimeError`` if the server does not start.
    """
    if settings.tokens is None:
        import dataclasses

        settings = dataclasses.replace(settings, tokens=demo_tokens_file())
    app = create_app(settings)
    port = port or _free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # as `dronewall serve` (see service.cli)
    )
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run()
        except BaseException as exc:  # reported to the caller below
            errors.append(exc)

    thread = threading.Thread(target=run, name=f"dronewall-serve-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if errors or not thread.is_alive():
            raise RuntimeError(f"the service did not start: {errors[0] if errors else 'exited'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the service did not start within {STARTUP_TIMEOUT_S:.0f} s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(STARTUP_TIMEOUT_S)
