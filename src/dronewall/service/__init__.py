"""The common air picture as a service: REST and WebSocket API over a live or replayed run.

Edge package (FastAPI, pydantic, SQLAlchemy allowed). Entry points: :func:`create_app` with
:class:`ServiceSettings`; :mod:`dronewall.service.testing` runs it in a thread for tests and
benchmarks; :mod:`dronewall.service.cli` adds ``dronewall serve``. See docs/api.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dronewall.service.app import create_app
    from dronewall.service.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]


def __getattr__(name: str) -> Any:
    # Lazy: `dronewall --help` imports dronewall.service.cli, which must not pull in the whole
    # pipeline and FastAPI just to register a command.
    if name == "create_app":
        from dronewall.service.app import create_app

        return create_app
    if name == "ServiceSettings":
        from dronewall.service.settings import ServiceSettings

        return ServiceSettings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
