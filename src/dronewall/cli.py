"""The ``dronewall`` command line: list scenarios, run one, run the demo, rebuild a report, track a
detection file.

Exit codes: 0 success, 2 bad input (a malformed scenario or tracker configuration file, an unknown
scenario name, a bad run folder, a missing or unreadable detection file: the message names the
file, line and field), 1 any other failure. Bad *lines* of a detection file do not fail
``dronewall track``: they are reported on stderr and skipped.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dronewall.campaign.cli import register as register_campaign
from dronewall.core.errors import DronewallError
from dronewall.service.cli import register as register_serve

if TYPE_CHECKING:
    pass

app = typer.Typer(
    name="dronewall",
    help="An open, auditable common air picture and counter-drone decision support system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)
register_serve(app)  # dronewall serve: the picture service (web map and API)
register_campaign(app)  # dronewall campaign: Monte Carlo runs on Dask


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
    headless: Annotated[
        bool,
        typer.Option(
            "--headless",
            help="Run as fast as possible without serving, write the run folder, print the summary "
            "(the simulated operator of the scenario decides).",
        ),
    ] = False,
    speed: Annotated[float, typer.Option(help="Live speed, x real time (0.1-100).")] = 5.0,
    port: Annotated[int, typer.Option(help="Port of the picture service.")] = 8080,
) -> None:
    """Run kleine-brogel-night live and serve its picture (web map and API) at the printed URL.

    You are the commander who approves or rejects the proposals. When the scenario ends, the run
    folder and its report are written; the service runs until Ctrl-C. With --headless the scenario
    runs through at full speed with its simulated operator, and a summary table is printed.
    """
    if not headless:
        if not 0.1 <= speed <= 100.0:
            raise typer.BadParameter("must be within 0.1-100", param_hint="--speed")
        from dronewall.service.cli import demo_live

        try:
            demo_live(out, speed=speed, port=port, seed=seed)
        except DronewallError as exc:
            raise _fail(exc) from exc
        return
    from dronewall.pipeline import run_scenario

    result = run_scenario("kleine-brogel-night", out, seed=seed, progress=True)
    _print_summary(result.summary, result.out_dir, result.wall_s)


@app.command()
def report(
    run_dir: Annotated[
        Path,
        typer.Argument(
            help="A run folder: written by 'dronewall run', 'replay-capture --area' or 'ingest' "
            "with an area."
        ),
    ],
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The event store the run was recorded in, when not RUN_DIR/events.sqlite: a "
            "path or an SQLAlchemy URL (postgresql://...).",
        ),
    ] = None,
) -> None:
    """Rebuild report.html of a run folder from its summary.json and the run's event store."""
    from dronewall.report import write_report

    try:
        path = write_report(run_dir, db)
    except DronewallError as exc:
        raise _fail(exc) from exc
    console.print(f"report: [link=file://{path.resolve()}]{path}[/]")


@app.command()
def track(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            help="Detection file, JSON Lines (docs/formats/detections.md); .gz is decompressed.",
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Track file to write, JSON Lines (replaced atomically)."
        ),
    ],
    config: Annotated[
        Path | None,
        typer.Option("--config", "-c", help="Tracker configuration file (YAML)."),
    ] = None,
    frame_period: Annotated[
        float,
        typer.Option(
            "--frame-period",
            help="Frame length, s: detections are grouped into frames [k P, (k+1) P) of time, "
            "each closed at its end, where the tracks are written.",
        ),
    ] = 1.0,
    all_tracks: Annotated[
        bool,
        typer.Option("--all-tracks", help="Write tentative tracks too, not only confirmed ones."),
    ] = False,
) -> None:
    """Track a detection file: read it streaming, run the tracker frame by frame, write tracks.

    A detection read after its frame was closed (late) goes into the frame being filled. Bad lines
    are skipped and reported on stderr; the exit code is still 0.
    """
    from dronewall.core.errors import ConfigError, InputError
    from dronewall.formats import DetectionReader, atomic_text_file
    from dronewall.pipeline.stream import track_stream
    from dronewall.tracking import TrackerConfig
    from dronewall.tracking.schema import load_tracker_config

    if not (math.isfinite(frame_period) and frame_period > 0.0):
        raise _fail(
            InputError(
                "the frame period must be finite and positive",
                field="--frame-period",
                expected="> 0 s",
                actual=repr(frame_period),
            )
        )
    try:
        tracker_config = TrackerConfig() if config is None else load_tracker_config(config)
    except ConfigError as exc:
        raise _fail(exc) from exc
    if not input_path.is_file():
        what = "not a file" if input_path.exists() else "file not found"
        raise _fail(InputError(what, source=str(input_path)))

    reader = DetectionReader(input_path, max_errors=_MAX_REPORTED_ERRORS)
    try:
        with atomic_text_file(output) as fp:
            result = track_stream(
                reader, fp, tracker_config, frame_period_s=frame_period, all_tracks=all_tracks
            )
    except InputError as exc:
        raise _fail(exc) from exc
    elapsed = result.elapsed_s

    if reader.bad_lines:
        shown = reader.errors[:_SHOWN_ERRORS]
        err_console.print(
            f"[bold yellow]warning:[/] {reader.bad_lines:,} bad line(s) of {input_path} skipped"
            + (f"; the first {len(shown)}:" if reader.bad_lines > len(shown) else ":"),
            highlight=False,
            soft_wrap=True,
        )
        for e in shown:
            err_console.print(f"  line {e.line}: {e.reason}", highlight=False, soft_wrap=True)
    table_out = Table(title=f"dronewall track: {input_path}")
    table_out.add_column("metric", style="bold")
    table_out.add_column("value", justify="right")

    def rate(n: int) -> str:
        return f"{n / elapsed:,.0f}" if elapsed > 0 else "-"

    for k, v in (
        ("lines read", f"{reader.lines:,}"),
        ("detections", f"{reader.detections:,}"),
        ("bad lines", f"{reader.bad_lines:,}"),
        ("sensors", f"{len(reader.sensor_ids)}"),
        ("frames", f"{result.frames:,} ({frame_period:g} s)"),
        ("tracks confirmed", f"{len(result.confirmed):,}"),
        ("track lines written", f"{result.track_lines:,}"),
        ("elapsed", f"{elapsed:.2f} s"),
        ("scans/s", rate(result.scans)),
        ("frames/s", rate(result.frames)),
    ):
        table_out.add_row(k, v)
    console.print(table_out)
    console.print(f"tracks: {output.resolve()}")


_MAX_REPORTED_ERRORS = 1000
_SHOWN_ERRORS = 5


def _decoder_options(options_file: Path | None, option: list[str]) -> dict[str, Any]:
    """Decoder options from a YAML mapping file and ``KEY=VALUE`` pairs (values parsed as YAML)."""
    import yaml

    from dronewall.core.errors import ConfigError
    from dronewall.core.yamlio import load_yaml

    options: dict[str, Any] = {}
    if options_file is not None:
        data, _ = load_yaml(options_file)
        if data is not None and not isinstance(data, dict):
            raise ConfigError("an options file must be a mapping", source=str(options_file))
        options.update(data or {})
    for item in option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError("expected KEY=VALUE", field="--option", actual=repr(item))
        try:
            options[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise ConfigError(f"bad value: {exc}", field=f"--option {key}") from exc
    return options


def _print_decode(summary: dict[str, Any]) -> None:
    shown = summary["first_issues"][:_SHOWN_ERRORS]
    if summary["bad"]:
        err_console.print(
            f"[bold yellow]warning:[/] {summary['bad']:,} bad record(s) in {summary['source']}"
            + (f"; the first {len(shown)}:" if summary["bad"] > len(shown) else ":"),
            highlight=False,
            soft_wrap=True,
        )
        for line in shown:
            err_console.print(f"  {line}", highlight=False, soft_wrap=True)


@app.command("replay-capture")
def replay_capture(
    capture: Annotated[Path, typer.Argument(help="The capture file (pcap, raw, text, JSON).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write (replaced atomically).")
    ] = Path("runs/capture"),
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="asterix, sbs, beast, avr, sapient, cot, remoteid or netrid (default: detected).",
        ),
    ] = None,
    options_file: Annotated[
        Path | None,
        typer.Option(
            "--options", help="YAML mapping of decoder options (e.g. an ASTERIX radar table)."
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option", help="One decoder option KEY=VALUE (repeatable), e.g. date=2016-05-05."
        ),
    ] = None,
    sensor: Annotated[
        str | None, typer.Option("--sensor", help="Sensor id of formats that name none.")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", help="Tracker configuration file (YAML).")
    ] = None,
    frame_period: Annotated[float, typer.Option("--frame-period", help="Frame length, s.")] = 1.0,
    all_tracks: Annotated[
        bool, typer.Option("--all-tracks", help="Write tentative tracks too.")
    ] = False,
    area: Annotated[
        str | None,
        typer.Option(
            "--area",
            help="Defended area: an area or scenario file, or a built-in scenario's name "
            "(its sites, fire units, ROE): the whole picture, not the tracker alone.",
        ),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Event store of the picture (with --area): a path or an SQLAlchemy URL "
            "(postgresql://...). Default: OUT/events.sqlite. OUT/report.html is written from "
            "it either way.",
        ),
    ] = None,
) -> None:
    """Decode a recorded capture, track it, write detections.jsonl, tracks.jsonl, summary.json.

    With --area the tracks are also classified, identified and assessed against the area's sites;
    alerts and engagement proposals (decision support: nobody answers a replay, so they expire)
    are recorded in the event store with everything else. Bad records are skipped, counted and
    reported (byte offset, line or message, and reason).
    """
    from dronewall.core.errors import ConfigError, InputError
    from dronewall.pipeline.area import load_area
    from dronewall.pipeline.capture import replay_capture as replay
    from dronewall.tracking import TrackerConfig
    from dronewall.tracking.schema import load_tracker_config

    if not (math.isfinite(frame_period) and frame_period > 0.0):
        raise _fail(
            InputError("the frame period must be finite and positive", field="--frame-period")
        )
    try:
        if db is not None and area is None:
            raise ConfigError(
                "--db records the picture of a defended area: give --area", field="--db"
            )
        options = _decoder_options(options_file, option or [])
        tracker_config = TrackerConfig() if config is None else load_tracker_config(config)
        defended = None if area is None else load_area(area)
        result = replay(
            capture,
            out,
            fmt=fmt,
            sensor=sensor,
            options=options,
            tracker_config=tracker_config,
            frame_period_s=frame_period,
            all_tracks=all_tracks,
            area=defended,
            db=db,
        )
    except DronewallError as exc:
        raise _fail(exc) from exc
    s = result.summary
    _print_decode(s["decode"])
    if s["records_refused"]:
        err_console.print(
            f"[bold yellow]warning:[/] {s['records_refused']:,} decoded record(s) refused by the "
            "detection reader:",
            highlight=False,
        )
        for line in s["first_refused"][:_SHOWN_ERRORS]:
            err_console.print(f"  {line}", highlight=False, soft_wrap=True)
    table = Table(title=f"dronewall replay-capture: {capture} ({s['format']})")
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    for k, v in (
        ("records decoded", f"{s['decode']['good']:,}"),
        ("records refused by the decoder", f"{s['decode']['bad']:,}"),
        ("detections", f"{s['detections']:,}"),
        ("sensors", str(len(s["sensors"]))),
        ("frames", f"{s['frames']:,} ({frame_period:g} s)"),
        ("tracks confirmed", f"{s['tracks_confirmed']:,}"),
        ("elapsed", f"{s['elapsed_s']:.2f} s"),
    ):
        table.add_row(k, v)
    console.print(table)
    if area is not None:
        _print_picture(s)
        _print_report(result.report, result.report_error, result.out_dir, db is not None)
    console.print(f"output: {result.out_dir}")


@app.command()
def ingest(
    config_file: Annotated[
        Path, typer.Argument(help="Ingest configuration (YAML): docs/ingest.md.")
    ],
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
    record_dir: Annotated[
        Path | None, typer.Option("--record-dir", help="Overrides the file's record_dir.")
    ] = None,
) -> None:
    """Serve live inputs (which port speaks what: one config file) into the tracker until Ctrl-C.

    Detections and tracks are recorded as they come (record_dir/detections.jsonl, tracks.jsonl);
    tracks are published as CoT or ASTERIX CAT 062 when the file asks.
    """
    import asyncio

    from dronewall.core.errors import InputError
    from dronewall.pipeline.area import load_area
    from dronewall.pipeline.capture import STORE_FILE
    from dronewall.pipeline.ingest import Ingest
    from dronewall.pipeline.schema import load_ingest_config
    from dronewall.tracking import TrackerConfig
    from dronewall.tracking.schema import load_tracker_config

    try:
        cfg = load_ingest_config(config_file)
        tracker_config = TrackerConfig()
        if cfg.tracker is not None:
            tracker_config = load_tracker_config(config_file.parent / cfg.tracker)
        area = None
        if cfg.area is not None:
            area = load_area(cfg.area, relative_to=config_file.parent)
        runner = Ingest(cfg, tracker_config, record_dir=record_dir, area=area)
    except DronewallError as exc:
        raise _fail(exc) from exc

    async def main_loop() -> dict[str, Any]:
        task = asyncio.create_task(runner.run(duration))
        await runner.started.wait()
        for state in runner.inputs:
            where = state.spec.connect or (
                f"{state.bound[0]}:{state.bound[1]}" if state.bound else state.spec.listen
            )
            console.print(f"input {state.spec.name} ({state.spec.format}): {where}")
        console.print("ingesting; Ctrl-C to stop")
        return await task

    try:
        summary = asyncio.run(main_loop())
    except OSError as exc:
        raise _fail(InputError(f"cannot open an input: {exc}", source=str(config_file))) from exc
    table = Table(title=f"dronewall ingest: {config_file}")
    for col in ("input", "format", "records", "bad", "connections", "bytes"):
        table.add_column(col, justify="right" if col not in ("input", "format") else "left")
    for i in summary["inputs"]:
        table.add_row(
            i["name"], i["format"], f"{i['records']:,}", f"{i['decode']['bad']:,}",
            str(i["connections"]), f"{i['bytes']:,}",
        )  # fmt: skip
        _print_decode(i["decode"])
    console.print(table)
    console.print(
        f"detections {summary['detections']:,}, frames {summary['frames']:,}, "
        f"tracks confirmed {summary['tracks_confirmed']:,}; "
        f"recorded in {runner.record_dir.resolve()}"
    )
    if cfg.area is not None:
        _print_picture(summary)
        if runner.session is not None:
            elsewhere = runner.store_at != runner.record_dir / STORE_FILE
            _print_report(runner.report, runner.report_error, runner.record_dir, elsewhere)


def _print_report(path: Path | None, error: str | None, run_dir: Path, elsewhere: bool) -> None:
    """Where the report of a recorded picture is, or why it is not (the run is in its store)."""
    if path is not None:
        console.print(f"report: [link=file://{path.resolve()}]{path}[/]")
    elif error is not None:
        from dronewall.report import rebuild_command

        again = rebuild_command(run_dir, elsewhere)
        err_console.print(
            f"[bold yellow]warning:[/] no report written: {error}; the run is in its store, "
            f"and '{again}' writes the report from it",
            highlight=False,
            soft_wrap=True,
        )


_SHOWN_ITEMS = 20


def _print_picture(s: dict[str, Any]) -> None:
    """The picture of a replay or ingest with a defended area: identities, alerts, proposals."""
    if s.get("run_id") is None:
        console.print("picture: no detection, nothing recorded")
        return
    idents = ", ".join(f"{k} {v}" for k, v in s["identities_at_end"].items()) or "-"
    console.print(
        f"picture of {s['scenario']}: identities at the end {idents}; "
        f"{s['alerts_warning']} alert(s) at warning or above, "
        f"{s['recommendations']} engagement proposal(s)"
    )
    if s["alerts"]:
        table = Table(title="Alerts (warning or above; times in m:s from the start)")
        for col in ("time", "track", "site", "level", "reason"):
            table.add_column(col)
        for a in s["alerts"][:_SHOWN_ITEMS]:
            table.add_row(_fmt_s(a["t_s"]), str(a["track_id"]), a["site"], a["level"], a["reason"])
        console.print(table)
    if s["proposals"]:
        table = Table(title="Engagement proposals (decision support; times in m:s)")
        for col in ("time", "id", "track", "site", "effector", "identity", "threat", "state"):
            table.add_column(col)
        for r in s["proposals"][:_SHOWN_ITEMS]:
            table.add_row(
                _fmt_s(r["t_s"]), r["id"], str(r["track_id"]), r["site"], r["effector"],
                r["identity"], f"{r['threat_score']:.2f}", r["state"],
            )  # fmt: skip
        console.print(table)
    for key, what in (("alerts", "alerts"), ("proposals", "proposals")):
        if len(s[key]) > _SHOWN_ITEMS:
            console.print(f"... {len(s[key]) - _SHOWN_ITEMS} more {what} in summary.json")
    console.print(f"event store: {s['store']} (run {s['run_id']})")


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
