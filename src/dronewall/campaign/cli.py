"""The ``dronewall campaign`` command: ``register(app)`` adds it to a Typer application.

Exit codes: 0 every run finished; 1 some runs failed (the output folder still holds every run that
finished, and ``failures.json`` / the page / stderr name the failed seeds with their tracebacks);
2 bad input (unknown scenario, malformed scenario file, bad option, unreachable scheduler).
Nothing heavy is imported until the command runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dronewall.core.errors import DronewallError


def campaign(
    scenario: Annotated[str, typer.Argument(help="A built-in scenario name or a scenario file.")],
    runs: Annotated[int, typer.Option("--runs", "-n", help="Number of seeded runs.")],
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            help="Worker processes of the local Dask cluster, one thread each (default: one per "
            "core).",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of an existing Dask scheduler (e.g. tcp://10.0.0.5:8786) to run on "
            "instead of a local cluster.",
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder to write (replaced whole, atomically).")
    ] = Path("runs/campaign"),
    seed0: Annotated[
        int, typer.Option("--seed0", help="Seed of the first run; run i has seed seed0 + i.")
    ] = 0,
    duration: Annotated[
        float | None,
        typer.Option("--duration", help="Simulate S seconds instead of the scenario's duration."),
    ] = None,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            help="Engagement doctrine of the advice: cost-aware or most-capable-first (default: "
            "the scenario's policy.engagement, cost-aware unless it says otherwise).",
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run N seeded runs of a scenario on Dask; write campaign.parquet, campaign.html and
    failures.json.

    A failed run is reported with its seed and traceback and does not lose the others.
    """
    from dronewall.campaign.runner import METADATA_KEY, run_campaign

    err = Console(stderr=True)
    try:
        result = run_campaign(
            scenario,
            runs=runs,
            out=out,
            workers=workers,
            scheduler=scheduler,
            seed0=seed0,
            duration_s=duration,
            policy=policy,
            progress=not quiet,
            console=err,
        )
    except DronewallError as exc:
        if isinstance(exc, ValueError | FileNotFoundError):
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=2) from exc
        raise

    for f in result.failures:
        err.print(f"[bold red]run with seed {f.seed} failed:[/] {escape(f.error)}",
                  highlight=False, soft_wrap=True)  # fmt: skip
        err.print(escape(f.traceback.rstrip()), highlight=False, soft_wrap=True)
    rows = result.table.to_pylist()
    threats = [r for r in rows if r["threat_id"] is not None]
    per_run = {int(r["seed"]): r for r in rows}
    table = Table(title=f"dronewall campaign: {scenario}")
    table.add_column("figure", style="bold")
    table.add_column("value", justify="right")

    def share(col: str) -> str:
        n = sum(r[col] is not None for r in threats)
        return f"{n} of {len(threats)}" if threats else "-"

    def mean(col: str) -> str:
        vals = [float(r[col]) for r in per_run.values() if r[col] is not None]
        return f"{sum(vals) / len(vals):,.2f}" if vals else "-"

    def per_defeat() -> str:
        defeated = sum(int(r["defeated"]) for r in per_run.values())
        spent = sum(float(r["defence_cost_eur"]) for r in per_run.values())
        return f"{spent / defeated:,.0f}" if defeated else "-"

    meta = json.loads((result.table.schema.metadata or {}).get(METADATA_KEY.encode(), b"{}"))
    for k, v in (
        ("engagement policy", str(meta.get("policy", "-"))),
        ("runs finished", f"{result.ok_runs} of {result.runs}"),
        ("runs failed", str(len(result.failures))),
        ("threats detected", share("first_detected_s")),
        ("threats confirmed", share("first_confirmed_s")),
        ("threats alerted", share("first_alert_s")),
        ("leakers per run (mean)", mean("leakers")),
        ("defeated per run (mean)", mean("defeated")),
        ("defence cost per run, EUR (mean)", mean("defence_cost_eur")),
        ("defence cost per defeated threat, EUR (all runs)", per_defeat()),
        ("false alerts per hour (mean)", mean("false_alerts_per_hour")),
        ("cost-exchange ratio (mean)", mean("cost_exchange_ratio")),
        ("GOSPA, m (mean)", mean("gospa_mean_m")),
        ("workers", str(result.workers)),
        ("time", f"{result.wall_s:,.1f} s (runs {result.compute_s:,.1f} s)"),
    ):
        table.add_row(k, v)
    Console().print(table)
    Console().print(f"campaign: {result.out_dir.resolve() / 'campaign.html'}", soft_wrap=True)
    if result.failures:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add the ``campaign`` command to ``app``."""
    app.command("campaign")(campaign)
