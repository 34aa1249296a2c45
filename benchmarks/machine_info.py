"""What a benchmark prints about the machine it ran on: the CPU model and the load average.

Imported by the benchmark scripts of this folder (run as ``python benchmarks/<script>.py``, so
this folder is on ``sys.path``).
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def load_average() -> str:
    """``"load average 1.00, 1.00, 1.00"``: the 1, 5 and 15 minute load averages."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
