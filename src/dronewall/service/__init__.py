"""The common air picture as a service: REST and WebSocket API over a live or replayed run.

Edge package (FastAPI, pydantic, SQLAlchemy allowed). Entry points: :func:`create_app` with
:class:`ServiceSettings`; :mod:`dronewall.service.testing` runs it in a thread for tests and
benchmarks; :mod:`dronewall.service.cli` adds ``dronewall serve``. See docs/api.md.
"""

from dronewall.service.app import create_app
from dronewall.service.settings import ServiceSettings

__all__ = ["ServiceSettings", "create_app"]
