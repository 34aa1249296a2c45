"""The command line: listing, exit codes and messages for bad input."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from dronewall.cli import app

runner = CliRunner()


def test_scenarios_lists_the_builtins() -> None:
    result = runner.invoke(app, ["scenarios"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for name in (
        "kleine-brogel-night",
        "doel-swarm",
        "brussels-airport-closure",
        "eastern-flank-raid",
    ):
        assert name in result.output


def test_malformed_scenario_exits_2_naming_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\n"
        "description: a broken file\n"
        "start: 2025-11-04T20:00:00Z\n"
        "duration_s: 600\n"
        "sites: [kleine-brogel]\n"
        "sensors: []\n"
        "objects:\n"
        "  - id: q1\n"
        "    type: quadcopter\n"
        "    speed_m_s: fast\n"
    )
    result = runner.invoke(
        app, ["run", str(bad), "--out", str(tmp_path / "out")], terminal_width=300
    )
    assert result.exit_code == 2, result.output
    assert str(bad) in result.output
    assert not (tmp_path / "out").exists()


def test_unknown_scenario_exits_2_and_lists_builtins(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["run", "no-such-place", "--out", str(tmp_path / "out")], terminal_width=300
    )
    assert result.exit_code == 2
    assert "kleine-brogel-night" in result.output


def test_report_of_a_missing_run_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path / "nothing")], terminal_width=300)
    assert result.exit_code == 2
    assert "nothing" in result.output
