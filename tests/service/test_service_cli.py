"""``dronewall serve`` registration and the demo's run folder."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from dronewall.pipeline import run_scenario
from dronewall.service.cli import register, write_run_folder


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def other() -> None:  # a second command, so that 'serve' is a subcommand
        """Unused."""

    register(app)
    return app


def test_serve_refuses_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(_app(), ["serve", "--scenario", "no-such-scenario"])
    assert r.exit_code == 2
    assert "no-such-scenario" in r.output
    r = runner.invoke(_app(), ["serve", "--replay", str(tmp_path)])
    assert r.exit_code == 2
    assert "events.sqlite" in r.output
    r = runner.invoke(_app(), ["serve", "--scenario", "kleine-brogel-night", "--speed", "1000"])
    assert r.exit_code == 2
    assert "speed" in r.output
    bad = tmp_path / "tokens.yaml"
    bad.write_text("tokens: [{token: short, user: a, role: viewer}]\n")
    r = runner.invoke(_app(), ["serve", "--tokens", str(bad)])
    assert r.exit_code == 2
    assert "tokens[0].token" in r.output


def test_write_run_folder_copies_the_live_store_and_builds_the_report(
    tmp_path: Path, short_run: Path
) -> None:
    out = tmp_path / "demo"
    summary = json.loads((short_run / "summary.json").read_text())
    report = write_run_folder(out, short_run / "events.sqlite", summary)
    assert report.is_file()
    assert "<html" in report.read_text()[:2000].lower()
    assert json.loads((out / "summary.json").read_text()) == summary
    assert (out / "events.sqlite").stat().st_size > 10_000


def test_run_scenario_still_writes_a_run_folder(short_run: Path) -> None:
    assert {"summary.json", "events.sqlite", "report.html"} <= {p.name for p in short_run.iterdir()}
    assert run_scenario is not None
