"""Reports: a self-contained HTML page per run, from its summary and event store."""

from dronewall.report.data import RunData, load_run, load_summary, read_run
from dronewall.report.html import (
    rebuild_command,
    render_report,
    try_write_report,
    write_report,
)

__all__ = [
    "RunData",
    "load_run",
    "load_summary",
    "read_run",
    "rebuild_command",
    "render_report",
    "try_write_report",
    "write_report",
]
