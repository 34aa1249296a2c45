"""Wall time of the demo run (``dronewall demo`` = ``kleine-brogel-night``, seed 0).

Target (issue 2): the demo finishes in under 30 s on the project machine. Usage::

    .venv/bin/python benchmarks/bench_demo.py [--repeats 3] [--scenario kleine-brogel-night]

Prints one line per repeat and the median; the per-stage split comes from a cProfile run of one
repeat with ``--profile``.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from dronewall.pipeline import run_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenario", default="kleine-brogel-night")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true", help="profile one run instead")
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()} {platform.processor() or ''}")
    print(f"python {platform.python_version()}; scenario {args.scenario}; seed {args.seed}")
    with tempfile.TemporaryDirectory() as tmp:
        if args.profile:
            prof = cProfile.Profile()
            prof.enable()
            run_scenario(args.scenario, Path(tmp) / "run", seed=args.seed)
            prof.disable()
            pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            return
        walls = []
        for i in range(args.repeats):
            t = time.perf_counter()
            result = run_scenario(args.scenario, Path(tmp) / f"run{i}", seed=args.seed)
            walls.append(time.perf_counter() - t)
            s = result.summary
            print(
                f"repeat {i}: {walls[-1]:.2f} s wall for {s['sim_duration_s']:.0f} s simulated "
                f"({s['sim_duration_s'] / walls[-1]:.0f}x real time), {s['detections']} detections"
            )
        print(f"median: {statistics.median(walls):.2f} s")


if __name__ == "__main__":
    main()
