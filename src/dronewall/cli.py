"""The ``dronewall`` command line: list scenarios, run one, run the demo, rebuild a report.

Exit codes: 0 success, 2 bad input (a malformed scenario file, an unknown scenario name, a bad run
folder: the message names the file, line and field), 1 any other failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dronewall.core.errors import DronewallError

app = typer.Typer(
    name="dronewall",
    help="An open, auditable common air picture and counter-drone decision support system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _fail(exc: DronewallError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios with a one-line description each."""
    from dronewall.sim.scenario import list_builtin

    table = Table(title="Built-in scenarios", show_lines=False)
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description")
    for name, description in list_builtin():
        table.add_row(name, description)
    console.print(table)


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="A built-in scenario name or a scenario file.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write (replaced whole).")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same run.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Run a scenario through the whole pipeline; write summary.json, events.sqlite, report.html."""
    from dronewall.pipeline import run_scenario

    try:
        result = run_scenario(scenario, out, seed=seed, progress=not quiet)
    except DronewallError as exc:
        if isinstance(exc, ValueError | FileNotFoundError):
            raise _fail(exc) from exc
        raise
    _print_summary(result.summary, result.out_dir, result.wall_s)


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", "-o", help="Run folder to write.")] = Path(
        "runs/demo"
    ),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Run ``kleine-brogel-night`` and print a summary table and the report's path."""
    from dronewall.pipeline import run_scenario

    result = run_scenario("kleine-brogel-night", out, seed=seed, progress=True)
    _print_summary(result.summary, result.out_dir, result.wall_s)


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder written by 'dronewall run'.")],
) -> None:
    """Rebuild report.html of a run folder from its events.sqlite and summary.json."""
    from dronewall.report import write_report

    try:
        path = write_report(run_dir)
    except DronewallError as exc:
        raise _fail(exc) from exc
    console.print(f"report: [link=file://{path.resolve()}]{path}[/]")


def _fmt_s(v: Any) -> str:
    if v is None:
        return "-"
    m, s = divmod(float(v), 60.0)
    return f"{int(m):d}:{s:04.1f}"


def _print_summary(summary: dict[str, Any], out_dir: Path, wall_s: float) -> None:
    head = Table(title=f"dronewall run: {summary['scenario']} (seed {summary['seed']})")
    head.add_column("metric", style="bold")
    head.add_column("value", justify="right")
    g = summary["gospa_mean"]
    rows = [
        ("simulated time", _fmt_s(summary["sim_duration_s"]) + " (m:s)"),
        ("wall time", f"{wall_s:.1f} s"),
        ("detections", f"{summary['detections']:,}"),
        ("confirmed tracks", str(summary["tracks_confirmed"])),
        (
            "GOSPA mean (loc/missed/false)",
            f"{g['total']:.1f} m ({g['localisation']:.1f} / {g['missed']:.1f} / {g['false']:.1f})",
        ),
        ("alerts true / false", f"{summary['alerts_true']} / {summary['alerts_false']}"),
        ("recommendations", str(summary["recommendations"])),
        ("recommendations against civil", str(summary["recommendations_against_civil"])),
        ("defence cost", f"{summary['defence_cost_eur']:,.0f} EUR"),
        ("threat cost", f"{summary['threat_cost_eur']:,.0f} EUR"),
    ]
    for k, v in rows:
        head.add_row(k, v)
    console.print(head)
    threats = Table(title="Hostile objects (times in m:s from start)")
    for col in ("id", "class", "detected", "confirmed", "alert", "engaged by", "outcome"):
        threats.add_column(col)
    colour = {"defeated": "green", "leaked": "red", "left": "yellow"}
    for t in summary["threats"]:
        threats.add_row(
            t["id"],
            t["class"],
            _fmt_s(t["first_detected_s"]),
            _fmt_s(t["first_confirmed_s"]),
            _fmt_s(t["first_alert_s"]),
            ", ".join(t["engaged_by"]) or "-",
            f"[{colour.get(t['outcome'], 'white')}]{t['outcome']}[/]",
        )
    console.print(threats)
    report_path = (out_dir / "report.html").resolve()
    console.print(f"report: [link=file://{report_path}]{report_path}[/]")
    console.print(f"summary: {(out_dir / 'summary.json').resolve()}")


def main() -> None:
    """Console entry point."""
    try:
        app()
    except DronewallError as exc:  # anything not mapped above is still reported, not dumped
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()

__all__ = ["app", "main"]
