"""``dronewall serve`` and the live demo.

:func:`register` adds the ``serve`` command to the ``dronewall`` Typer app; :func:`demo_live` runs
``kleine-brogel-night`` live, serves it, prints the URL with a token, writes the run folder
(``summary.json``, ``events.sqlite``, ``report.html``, atomically) when the scenario ends, and keeps
serving until Ctrl-C.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from dronewall.core.errors import DronewallError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from dronewall.pipeline.session import RunSession
    from dronewall.service.settings import ServiceSettings

console = Console()
err_console = Console(stderr=True)


def _announce(app: FastAPI, host: str, port: int) -> None:
    token = app.state.admin_token
    base = f"http://{host}:{port}/"
    if token:
        console.print(f"serving the picture at [link={base}?token={token}]{base}?token={token}[/]")
    else:
        console.print(f"serving the picture at {base} (tokens from the token file)")
    console.print(f"API documentation: {base}docs   (Ctrl-C stops)")


def _serve(settings: ServiceSettings, host: str, port: int) -> None:
    import uvicorn

    from dronewall.service.app import create_app

    app = create_app(settings)
    _announce(app, host, port)
    # Per-message deflate off: compressing each client's 100 kB delta one after another on the
    # event loop put the p99 delta latency at 118 ms for 20 clients (24 ms without); the cost is
    # about 0.8 Mbit/s per client at 1,000 tracks (benchmarks/service_ws.py, RESULTS.md).
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        ws="websockets-sansio",
        ws_per_message_deflate=False,
    )


def _copy_sqlite(src: Path, dst: Path) -> None:
    """A consistent copy of a live SQLite store (WAL included), by SQLite's backup API."""
    a, b = sqlite3.connect(src), sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        b.close()
        a.close()


def write_run_folder(out: Path, db: Path, summary: dict[str, Any]) -> Path:
    """Write ``out`` (atomically): a copy of the store ``db``, ``summary.json`` and the report."""
    from dronewall.pipeline import atomic_directory
    from dronewall.report import write_report

    with atomic_directory(out) as work:
        _copy_sqlite(db, work / "events.sqlite")
        (work / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        write_report(work)
    return out / "report.html"


def demo_live(
    out: Path,
    speed: float = 1.0,
    port: int = 8080,
    *,
    seed: int = 0,
    host: str = "127.0.0.1",
    tokens: Path | None = None,
    scenario: str = "kleine-brogel-night",
) -> None:
    """Run ``scenario`` live at ``speed`` x real time, serve it on ``host:port`` and print the URL;
    when the scenario ends write the run folder ``out``; serve until Ctrl-C."""
    from dronewall.service.settings import ServiceSettings

    live_dir = Path(tempfile.mkdtemp(prefix="dronewall-live-"))
    db = live_dir / "events.sqlite"
    started = time.perf_counter()

    def finished(_session: RunSession, summary: dict[str, Any]) -> None:
        summary = {**summary, "wall_time_s": round(time.perf_counter() - started, 3)}
        report = write_run_folder(Path(out), db, summary)
        console.print(f"the scenario ended; run folder written, report: {report}")

    settings = ServiceSettings(
        scenario=scenario, db=str(db), speed=speed, seed=seed, tokens=tokens, on_finish=finished
    )
    try:
        _serve(settings, host, port)
    finally:
        shutil.rmtree(live_dir, ignore_errors=True)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the ``dronewall`` command line."""

    @app.command()
    def serve(
        scenario: Annotated[
            str | None, typer.Option(help="Run this scenario (name or file) live.")
        ] = None,
        speed: Annotated[float, typer.Option(help="Live speed, x real time (0.1-100).")] = 1.0,
        seed: Annotated[int, typer.Option(help="Seed of the live run.")] = 0,
        replay: Annotated[
            Path | None, typer.Option(help="Replay a recorded run folder (events.sqlite).")
        ] = None,
        ingest: Annotated[
            Path | None,
            typer.Option(
                help="Serve live inputs: an ingest configuration with an area: (docs/ingest.md)."
            ),
        ] = None,
        db: Annotated[
            str | None,
            typer.Option(
                help="Event store: a path or SQLAlchemy URL (postgresql://...); with --ingest it "
                "overrides the configuration's store."
            ),
        ] = None,
        host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
        tokens: Annotated[
            Path | None, typer.Option(help="YAML token file; default: one random admin token.")
        ] = None,
    ) -> None:
        """Serve the common air picture (REST, WebSocket and the web map): a scenario run
        live, a recorded run, or live sensor inputs (--ingest)."""
        from dronewall.service.settings import ServiceSettings

        try:
            settings: ServiceSettings
            if ingest is not None:
                from dronewall.service.runtime import IngestSettings, load_ingest_area
                from dronewall.world import load_world

                settings = IngestSettings(
                    ingest=ingest, scenario=scenario, replay=replay, db=db, tokens=tokens
                )
                load_ingest_area(ingest, load_world())
            else:
                settings = ServiceSettings(
                    scenario=scenario, replay=replay, db=db, speed=speed, seed=seed, tokens=tokens
                )
            if tokens is not None:
                from dronewall.service.auth import TokenSet

                TokenSet.load(tokens)
            if scenario is not None:
                from dronewall.sim import load_scenario

                load_scenario(scenario)
            if replay is not None and not (
                (replay / "events.sqlite").is_file() if replay.is_dir() else replay.is_file()
            ):
                raise DronewallError("no events.sqlite in the replay folder", source=str(replay))
        except DronewallError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from exc
        _serve(settings, host, port)
