"""Request and response models of the API (pydantic; they make the OpenAPI document).

Times are UTC epoch seconds; positions WGS84 degrees and metres; velocities ENU m/s.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dronewall.service.settings import SPEED_MAX, SPEED_MIN

Labels = list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(BaseModel):
    status: str
    version: str
    mode: Literal["live", "ingest", "replay", "idle"] = Field(
        description=(
            "live: a scenario run live; ingest: live sensor inputs (no scenario control); "
            "replay: a recorded run (read-only); idle: nothing loaded"
        )
    )
    scenario: str | None = None
    run_id: int | None = None
    t: float | None
    t_start: float | None
    t_end: float | None
    speed: float
    paused: bool
    running: bool = False


class Me(BaseModel):
    user: str
    role: str
    clearances: list[str]


class Track(BaseModel):
    track_id: int
    status: Literal["tentative", "confirmed", "coasting"]
    lat: float | None
    lon: float | None
    alt_m: float | None
    ve: float | None
    vn: float | None
    vu: float | None
    sigma_h_m: float | None = Field(description="sqrt((P_ee + P_nn) / 2), m")
    object_class: str
    class_confidence: float | None
    identity: str
    threat: float | None = Field(description="0..1, the highest over the sites")
    site: str | None = Field(description="the most threatened site (live only)")
    releasability: Labels


class Tracks(BaseModel):
    t: float | None
    tracks: list[Track]


class TrackHistory(BaseModel):
    track_id: int
    t: list[float]
    lat: list[float | None]
    lon: list[float | None]
    alt_m: list[float | None]


class Alert(BaseModel):
    alert_id: str
    t: float
    level: Literal["none", "watch", "warning", "alarm"]
    kind: str = Field(description="the last change: raised, escalated, lowered, cleared, report-*")
    track_id: int | None
    site: str | None
    text: str
    active: bool
    acknowledged: bool
    acknowledged_by: str | None
    releasability: Labels


class Alerts(BaseModel):
    alerts: list[Alert]


class Alternative(BaseModel):
    effector: str | None
    fire_unit: str | None = None
    pk: float | None
    cost_eur: float | None
    why_not: str


class Proposal(BaseModel):
    proposal_id: str
    t: float
    track_id: int | None
    site: str | None = None
    effector: str | None
    fire_unit: str | None
    layer: str | None
    pk: float | None
    cost_eur: float | None
    state: Literal["proposed", "approved", "rejected", "expired", "executed", "assessed"]
    expires_t: float
    explanation: str
    alternatives: list[Alternative]
    decided_by: str | None = None
    decision_reason: str | None = None
    outcome: str | None = None
    releasability: Labels


class Proposals(BaseModel):
    proposals: list[Proposal]


class Site(BaseModel):
    id: str
    name: str
    kind: str | None = None
    lat: float
    lon: float
    alert_radius_m: float | None
    core_radius_m: float | None
    value: float | None = None
    releasability: Labels


class Sites(BaseModel):
    sites: list[Site]


class Zone(BaseModel):
    name: str
    kind: str
    radius_m: float | None = None
    geometry: dict[str, Any] = Field(description="GeoJSON geometry (lon, lat)")
    releasability: Labels


class Zones(BaseModel):
    zones: list[Zone]


class Sensor(BaseModel):
    id: str
    kind: str
    lat: float
    lon: float
    h_m: float | None
    max_range_m: float | None
    status: Literal["ok", "degraded", "down"]
    last_report_t: float | None
    releasability: Labels


class Sensors(BaseModel):
    sensors: list[Sensor]


class FireUnit(BaseModel):
    id: str
    effector: str
    layer: str
    lat: float
    lon: float
    stock: int | None = Field(description="rounds ready; null: unlimited")
    max_range_m: float | None
    releasability: Labels


class Effectors(BaseModel):
    fire_units: list[FireUnit]


class Input(BaseModel):
    name: str
    format: str
    endpoint: str = Field(description="listen or connect URL of the configuration")
    bound: str | None = Field(description="host:port the input listens on; null: a client")
    connections: int
    records: int = Field(description="detection records decoded so far")
    bad: int = Field(description="records or messages refused so far")
    releasability: Labels


class Inputs(BaseModel):
    config: str | None = Field(description="file name of the ingest configuration")
    area: str | None = Field(description="the defended area")
    inputs: list[Input]


class ScenarioStatus(BaseModel):
    name: str | None
    t: float | None
    t_start: float | None
    t_end: float | None
    speed: float
    paused: bool
    running: bool


class Replay(BaseModel):
    run_id: int
    t_start: float
    t_end: float


class AuditEntry(BaseModel):
    seq: int
    wall_time: float
    user: str
    role: str
    action: str
    item: str
    reason: str


class Audit(BaseModel):
    entries: list[AuditEntry]


class Problem(BaseModel):
    detail: str


class AcknowledgeBody(_Strict):
    note: str | None = Field(default=None, max_length=500)


class DecisionBody(_Strict):
    reason: str = Field(min_length=1, max_length=500, description="why (required)")


class StartBody(_Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    speed: float | None = Field(default=None, ge=SPEED_MIN, le=SPEED_MAX, allow_inf_nan=False)


class SpeedBody(_Strict):
    speed: float = Field(ge=SPEED_MIN, le=SPEED_MAX, allow_inf_nan=False)
