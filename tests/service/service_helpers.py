"""Helpers of the service tests (imported by conftest and the test modules)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import yaml

with warnings.catch_warnings():
    # starlette's TestClient warns about httpx at import; the API under test is unaffected
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from dronewall.service.runtime import ServiceState
from dronewall.sim.scenario import scenarios_dir

__all__ = ["LIVE_TICKS", "TOKENS", "TestClient", "auth", "mixed_scenario", "service", "step"]

#: Ticks the live fixtures run: just after the first engagement proposal of kb-mixed (seed 0),
#: made at tick 284 against a hostile quadcopter approaching Kleine-Brogel (measured: the trained
#: classifier and the WARNING-level proposal threshold no longer propose against the gull that
#: drew the first proposal at tick 103 before).
LIVE_TICKS = 290

TOKENS = {
    "viewer": "viewer-token",
    "operator": "operator-token",
    "commander": "commander-token",
    "admin": "admin-token",
    "nl": "nl-viewer-token",
}


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[who]}"}


def mixed_scenario(folder: Path, duration_s: float | None = None) -> Path:
    """kleine-brogel-night plus the Dutch air base Volkel with a Dutch radar and a Dutch fire unit
    (nothing flies near Volkel, so every track stays Belgian)."""
    data: dict[str, Any] = yaml.safe_load(
        (scenarios_dir() / "kleine-brogel-night.yaml").read_text(encoding="utf-8")
    )
    data["name"] = "kb-mixed"
    data["sites"] = [*data["sites"], "volkel"]
    data["sensors"].append(
        {"id": "vk-radar", "kind": "radar", "preset": "drone-radar", "site": "volkel", "h_m": 15}
    )
    data["fire_units"].append(
        {"id": "vk-gun", "effector": "skyranger-30", "site": "volkel", "nation": "NL"}
    )
    if duration_s is not None:
        data["duration_s"] = duration_s
        data["objects"] = [o for o in data["objects"] if o.get("start_s", 0) < duration_s]
    path = folder / ("kb-mixed.yaml" if duration_s is None else f"kb-mixed-{duration_s:g}.yaml")
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def service(client: TestClient) -> ServiceState:
    state: ServiceState = client.app.state.service  # type: ignore[attr-defined]
    return state


def step(client: TestClient, n: int) -> None:
    """Run ``n`` ticks of the live run (in the app's event loop)."""
    state = service(client)
    assert client.portal is not None
    for _ in range(n):
        client.portal.call(state.step)
