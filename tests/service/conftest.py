"""Fixtures of the service tests: apps on a small mixed-nation scenario, driven tick by tick.

The live apps are built with ``autostart=False`` and stepped by hand (``step(client, n)``) so that
every test sees a known picture without waiting on the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from service_helpers import LIVE_TICKS, TestClient, mixed_scenario, step

from dronewall.service import ServiceSettings, create_app
from dronewall.service.testing import write_demo_tokens


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service")


@pytest.fixture(scope="module")
def tokens_file(folder: Path) -> Path:
    return write_demo_tokens(folder / "tokens.yaml")


@pytest.fixture(scope="module")
def live(folder: Path, tokens_file: Path) -> Iterator[TestClient]:
    """A live kb-mixed run stepped to just after its first engagement proposal (LIVE_TICKS)."""
    settings = ServiceSettings(
        scenario=str(mixed_scenario(folder)),
        db=str(folder / "live.sqlite"),
        tokens=tokens_file,
        autostart=False,
    )
    with TestClient(create_app(settings)) as client:
        step(client, LIVE_TICKS)
        yield client


@pytest.fixture(scope="module")
def short_run(folder: Path) -> Path:
    """A recorded 360 s run of kb-mixed (batch, simulated operator): proposals and decisions."""
    from dronewall.pipeline import run_scenario

    out = folder / "short-run"
    run_scenario(mixed_scenario(folder, duration_s=360), out, seed=0)
    return out
