"""The picture service: REST under ``/api/v1``, a WebSocket stream, the web map at ``/``.

See docs/api.md for the endpoints, roles, the releasability rule and the message formats. Errors
are answered in one place (:func:`_install_errors`): ``{"detail": "..."}`` with a 4xx status for
any bad request; a request that is refused changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, FastAPI, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import dronewall
from dronewall.core.errors import DronewallError
from dronewall.pipeline.session import RunSession
from dronewall.service import models as M
from dronewall.service.auth import Principal, Role, TokenSet
from dronewall.service.runtime import (
    ACTIVE_MODES,
    NO_SCENARIO_CONTROL,
    ServiceError,
    ServiceState,
)
from dronewall.service.settings import ServiceSettings
from dronewall.sim import load_scenario

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
DOCS_ASSETS = "/docs/assets"
"""Where the /docs page loads Swagger UI from (the package's ``static/assets/swagger``)."""
_bearer = HTTPBearer(auto_error=False)
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": M.Problem, "description": "missing or unknown token"},
    403: {"model": M.Problem, "description": "role not allowed"},
    422: {"model": M.Problem, "description": "malformed request"},
}


def _problem(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _install_errors(app: FastAPI) -> None:
    """Map every refusal to ``{"detail": str}``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return _problem(422, "; ".join(parts) or "malformed request")

    @app.exception_handler(ServiceError)
    async def _service(_request: Request, exc: ServiceError) -> JSONResponse:
        return _problem(exc.status, exc.message)

    @app.exception_handler(DronewallError)
    async def _dronewall(_request: Request, exc: DronewallError) -> JSONResponse:
        return _problem(400 if isinstance(exc, ValueError | LookupError) else 409, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc.detail)}, status_code=exc.status_code, headers=exc.headers
        )


def _principal(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    tokens: TokenSet = request.app.state.tokens
    who = tokens.lookup(creds.credentials if creds is not None else None)
    if who is None:
        raise ServiceError(401, "missing or unknown bearer token")
    return who


def _need(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    async def check(who: Annotated[Principal, Depends(_principal)]) -> Principal:
        if who.role < role:
            raise ServiceError(
                403, f"the role {who.role.label} may not do this; needs {role.label}"
            )
        return who

    return check


Viewer = Annotated[Principal, Depends(_need(Role.VIEWER))]
Operator = Annotated[Principal, Depends(_need(Role.OPERATOR))]
Commander = Annotated[Principal, Depends(_need(Role.COMMANDER))]
Admin = Annotated[Principal, Depends(_need(Role.ADMIN))]


def create_app(settings: ServiceSettings) -> FastAPI:
    """Build the app for ``settings`` (the run starts with the app's lifespan)."""
    if settings.tokens is not None:
        tokens = TokenSet.load(settings.tokens)
        admin_token: str | None = None
    else:
        tokens, admin_token = TokenSet.single_admin()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await state.start()
        try:
            yield
        finally:
            await state.stop()

    app = FastAPI(
        title="dronewall picture service",
        version=dronewall.__version__,
        description=(
            "The common air picture: tracks, alerts, engagement proposals, sites, zones, "
            "sensors and effectors, live or replayed. Bearer-token auth; roles viewer < "
            "operator < commander < admin; items filtered by releasability. See docs/api.md."
        ),
        lifespan=lifespan,
        responses=_ERRORS,
        docs_url=None,  # served below from the package, not from a CDN
        redoc_url=None,
    )
    app.state.service = state
    app.state.tokens = tokens
    app.state.admin_token = admin_token
    _install_errors(app)

    def visible(who: Principal, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [i for i in items if who.cleared_for(i["releasability"])]

    def audit(who: Principal, action: str, item: str, reason: str) -> None:
        if state.audit is None:
            raise ServiceError(409, "the service has no store for the audit log")
        state.audit.append(
            user=who.user, role=who.role.label, action=action, item=item, reason=reason
        )

    def finite(name: str, v: float | None) -> float | None:
        if v is not None and not math.isfinite(v):
            raise ServiceError(422, f"query.{name}: must be a finite number (UTC epoch seconds)")
        return v

    api = "/api/v1"

    @app.get(f"{api}/health", response_model=M.Health, tags=["status"])
    async def health() -> dict[str, Any]:
        """Service status (no token needed)."""
        return state.status()

    @app.get(f"{api}/me", response_model=M.Me, tags=["status"])
    async def me(who: Viewer) -> dict[str, Any]:
        return {"user": who.user, "role": who.role.label, "clearances": sorted(who.clearances)}

    @app.get(f"{api}/tracks", response_model=M.Tracks, tags=["picture"])
    async def tracks(
        who: Viewer,
        at: Annotated[float | None, Query(description="picture at this time (UTC epoch s)")] = None,
    ) -> dict[str, Any]:
        """The current picture, or the recorded picture at ``at`` (clamped to the run so far)."""
        view = state.view
        if view is None:
            return {"t": None, "tracks": []}
        finite("at", at)
        frame = view.frame if at is None else await asyncio.to_thread(view.frame_at, float(at))
        return {"t": frame.t, "tracks": frame.records(frame.visible(who).tolist())}

    @app.get(f"{api}/tracks/{{track_id}}/history", response_model=M.TrackHistory, tags=["picture"])
    async def history(
        who: Viewer,
        track_id: int,
        since: Annotated[float | None, Query(description="from this time (UTC epoch s)")] = None,
    ) -> dict[str, Any]:
        view = state.view
        finite("since", since)
        if view is None or view.run_id is None or not -(2**63) <= track_id < 2**63:
            raise ServiceError(404, f"no track {track_id}")
        labels = view.folded.track_labels.get(track_id, view.labeler.fallback)
        up = await asyncio.to_thread(
            view.store.track_updates, view.run_id, since, None, track_id=track_id
        )
        if len(up) == 0 or not who.cleared_for(labels):
            raise ServiceError(404, f"no track {track_id}")

        def col(a: np.ndarray, nd: int) -> list[float | None]:
            return [round(v, nd) if math.isfinite(v) else None for v in a.tolist()]

        return {
            "track_id": track_id,
            "t": up.t.tolist(),
            "lat": col(up.lla[:, 0], 7),
            "lon": col(up.lla[:, 1], 7),
            "alt_m": col(up.lla[:, 2], 1),
        }

    @app.get(f"{api}/alerts", response_model=M.Alerts, tags=["alerts"])
    async def alerts(
        who: Viewer,
        state_: Annotated[str, Query(alias="state", pattern="^(active|all)$")] = "active",
    ) -> dict[str, Any]:
        view = state.view
        items = [] if view is None else list(view.folded.alerts.values())
        if state_ == "active":
            items = [a for a in items if a["active"]]
        return {"alerts": visible(who, items)}

    @app.post(
        f"{api}/alerts/{{alert_id}}/acknowledge",
        response_model=M.Alert,
        tags=["alerts"],
        responses={404: {"model": M.Problem}, 409: {"model": M.Problem}},
    )
    async def acknowledge(
        who: Operator, alert_id: str, body: M.AcknowledgeBody | None = None
    ) -> dict[str, Any]:
        """Acknowledge an alert (operator and above); recorded in the audit log."""
        view = state.view
        alert = None if view is None else view.folded.alerts.get(alert_id)
        if view is None or alert is None or not who.cleared_for(alert["releasability"]):
            raise ServiceError(404, f"no alert {alert_id!r}")
        if state.mode not in ACTIVE_MODES:
            raise ServiceError(409, "a replay is read-only")
        note = body.note if body is not None and body.note is not None else ""
        await asyncio.to_thread(audit, who, "acknowledge", alert_id, note)
        view.folded.acknowledge(alert_id, who.user)
        alerts_, props = view.folded.drain()
        state.hub.publish(None, None, alerts_, props, state.status())
        return alert

    @app.get(f"{api}/proposals", response_model=M.Proposals, tags=["proposals"])
    async def proposals(
        who: Viewer,
        state_: Annotated[str, Query(alias="state", pattern="^(pending|all)$")] = "pending",
    ) -> dict[str, Any]:
        view = state.view
        items = [] if view is None else list(view.folded.proposals.values())
        if state_ == "pending":
            items = [p for p in items if p["state"] == "proposed"]
        return {"proposals": visible(who, items)}

    async def decide(who: Principal, pid: str, body: M.DecisionBody, approve: bool) -> Any:
        view = state.view
        prop = None if view is None else view.folded.proposals.get(pid)
        if view is None or prop is None or not who.cleared_for(prop["releasability"]):
            raise ServiceError(404, f"no proposal {pid!r}")
        session = view.session
        if state.mode not in ACTIVE_MODES or session is None:
            raise ServiceError(409, "a replay is read-only")
        reason = body.reason.strip()
        if not reason:
            raise ServiceError(422, "body.reason: must not be blank")
        if prop["state"] != "proposed":
            raise ServiceError(409, f"proposal {pid!r} is {prop['state']}, not pending")
        who_text = f"{who.user} ({who.role.label})"
        move = session.approve if approve else session.reject
        try:
            record = await asyncio.to_thread(move, pid, who_text, reason)
        except DronewallError as exc:
            raise ServiceError(409, f"proposal {pid!r}: {exc.message}") from exc
        action = "approve" if approve else "reject"
        await asyncio.to_thread(audit, who, action, pid, reason)
        view.folded.decide(pid, str(record.state), who_text, reason)
        alerts_, props = view.folded.drain()
        state.hub.publish(None, None, alerts_, props, state.status())
        return view.folded.proposals[pid]

    decision_errors: dict[int | str, dict[str, Any]] = {
        404: {"model": M.Problem},
        409: {"model": M.Problem, "description": "not pending, or a replay"},
    }

    @app.post(
        f"{api}/proposals/{{proposal_id}}/approve",
        response_model=M.Proposal,
        tags=["proposals"],
        responses=decision_errors,
    )
    async def approve(who: Commander, proposal_id: str, body: M.DecisionBody) -> Any:
        """Approve a pending proposal (commander and above) with a reason; audited."""
        return await decide(who, proposal_id, body, True)

    @app.post(
        f"{api}/proposals/{{proposal_id}}/reject",
        response_model=M.Proposal,
        tags=["proposals"],
        responses=decision_errors,
    )
    async def reject(who: Commander, proposal_id: str, body: M.DecisionBody) -> Any:
        """Reject a pending proposal (commander and above) with a reason; audited."""
        return await decide(who, proposal_id, body, False)

    @app.get(f"{api}/sites", response_model=M.Sites, tags=["deployment"])
    async def sites(who: Viewer) -> dict[str, Any]:
        return {"sites": visible(who, [] if state.view is None else state.view.sites)}

    @app.get(f"{api}/zones", response_model=M.Zones, tags=["deployment"])
    async def zones(who: Viewer) -> dict[str, Any]:
        return {"zones": visible(who, [] if state.view is None else state.view.zones)}

    @app.get(f"{api}/sensors", response_model=M.Sensors, tags=["deployment"])
    async def sensors(who: Viewer) -> dict[str, Any]:
        return {"sensors": visible(who, state.sensors())}

    @app.get(f"{api}/effectors", response_model=M.Effectors, tags=["deployment"])
    async def effectors(who: Viewer) -> dict[str, Any]:
        return {"fire_units": visible(who, state.fire_units())}

    @app.get(f"{api}/inputs", response_model=M.Inputs, tags=["deployment"])
    async def inputs(who: Viewer) -> dict[str, Any]:
        """The live inputs the picture comes from (``--ingest``); none in the other modes."""
        body = state.inputs()
        return {**body, "inputs": visible(who, body["inputs"])}

    def scenario_status() -> dict[str, Any]:
        s = state.status()
        return {k: s[k] for k in ("t", "t_start", "t_end", "speed", "paused", "running")} | {
            "name": s["scenario"]
        }

    @app.get(f"{api}/scenario", response_model=M.ScenarioStatus, tags=["scenario"])
    async def scenario(who: Viewer) -> dict[str, Any]:
        return scenario_status()

    control_errors: dict[int | str, dict[str, Any]] = {409: {"model": M.Problem}}

    @app.post(
        f"{api}/scenario/start",
        response_model=M.ScenarioStatus,
        tags=["scenario"],
        responses=control_errors,
    )
    async def start(who: Operator, body: M.StartBody | None = None) -> dict[str, Any]:
        """Start the loaded scenario, or load and start ``name`` as a new run (operator+)."""
        if state.ingest is not None:
            raise ServiceError(409, NO_SCENARIO_CONTROL)
        if state.mode == "replay":
            raise ServiceError(409, "a replay is read-only")
        body = body or M.StartBody()
        view = state.view
        fresh = (
            body.name is not None
            or body.seed is not None
            or view is None
            or not isinstance(view.session, RunSession)
            or view.session.done
        )
        name = body.name or (view.name if view is not None else state.settings.scenario)
        if name is None:
            raise ServiceError(422, "body.name: no scenario is loaded; give its name")
        if fresh:
            try:
                await asyncio.to_thread(load_scenario, name, state.world)
            except DronewallError as exc:
                raise ServiceError(422, f"body.name: {exc}") from exc
        await asyncio.to_thread(audit, who, "scenario.start", name, "")
        if body.speed is not None:
            state.speed = float(body.speed)
        if fresh:
            seed = body.seed if body.seed is not None else state.settings.seed
            await state.load(name, seed)
        state.resume_running()
        return scenario_status()

    @app.post(
        f"{api}/scenario/pause",
        response_model=M.ScenarioStatus,
        tags=["scenario"],
        responses=control_errors,
    )
    async def pause(who: Operator) -> dict[str, Any]:
        state._require_live()
        await asyncio.to_thread(audit, who, "scenario.pause", state.status()["scenario"], "")
        state.pause()
        return scenario_status()

    @app.post(
        f"{api}/scenario/resume",
        response_model=M.ScenarioStatus,
        tags=["scenario"],
        responses=control_errors,
    )
    async def resume(who: Operator) -> dict[str, Any]:
        session = state._require_live()
        if session.done:
            raise ServiceError(409, "the run is over; start it again")
        await asyncio.to_thread(audit, who, "scenario.resume", state.status()["scenario"], "")
        state.resume()
        return scenario_status()

    @app.post(
        f"{api}/scenario/speed",
        response_model=M.ScenarioStatus,
        tags=["scenario"],
        responses=control_errors,
    )
    async def speed(who: Operator, body: M.SpeedBody) -> dict[str, Any]:
        state._require_live()
        await asyncio.to_thread(
            audit, who, "scenario.speed", state.status()["scenario"], f"speed {body.speed:g}"
        )
        state.set_speed(body.speed)
        return scenario_status()

    @app.get(
        f"{api}/replay",
        response_model=M.Replay,
        tags=["scenario"],
        responses={404: {"model": M.Problem}},
    )
    async def replay(who: Viewer) -> dict[str, Any]:
        """The run served (replayed, or live so far); its picture at T is ``/tracks?at=T``."""
        view = state.view
        if view is None:
            raise ServiceError(404, "no run is served")
        if view.run_id is None:
            raise ServiceError(404, "no run is recorded yet: the live inputs have sent no data")
        t_end = view.frame.t if view.session is not None else view.t_end
        return {"run_id": view.run_id, "t_start": view.t_start, "t_end": t_end}

    @app.get(f"{api}/audit", response_model=M.Audit, tags=["audit"])
    async def audit_log(who: Admin) -> dict[str, Any]:
        if state.audit is None:
            return {"entries": []}
        return {"entries": await asyncio.to_thread(state.audit.entries)}

    @app.websocket(f"{api}/stream")
    async def stream(ws: WebSocket, token: str | None = None) -> None:
        """Snapshot, then one columnar delta per tick (see docs/api.md)."""
        who = tokens.lookup(token)
        if who is None:
            await ws.close(code=4401, reason="missing or unknown token")
            return
        await ws.accept()
        client, snapshot = state.hub.connect(who, state.view, state.status())
        loop = asyncio.get_running_loop()

        async def drain_incoming() -> None:
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):
                while True:
                    await ws.receive_text()

        reader = loop.create_task(drain_incoming())
        try:
            await ws.send_text(snapshot)
            while True:
                getter = loop.create_task(client.queue.get())
                done, _ = await asyncio.wait({getter, reader}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    break
                item = getter.result()
                if item is None:
                    await ws.close(code=1013, reason="too slow: fell behind the stream")
                    break
                t0, text = item
                await ws.send_text(text)
                state.hub.latencies.append(time.perf_counter() - t0)
        except (WebSocketDisconnect, RuntimeError, ConnectionError):
            pass
        finally:
            state.hub.disconnect(client)
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    swagger = STATIC_DIR / "assets" / "swagger"
    if (swagger / "swagger-ui-bundle.js").is_file():
        # The API's browsable documentation, with Swagger UI from the package (web/build.mjs):
        # an operations cell is often offline, and FastAPI's default page loads it from a CDN.
        app.mount(DOCS_ASSETS, StaticFiles(directory=swagger), name="docs-assets")

        @app.get("/docs", include_in_schema=False)
        async def docs_page() -> HTMLResponse:
            return get_swagger_ui_html(
                openapi_url=app.openapi_url or "/openapi.json",
                title=f"{app.title}: API",
                swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
                oauth2_redirect_url=None,
            )

    static = settings.static_dir or STATIC_DIR
    if (Path(static) / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static, html=True), name="static")
    return app
