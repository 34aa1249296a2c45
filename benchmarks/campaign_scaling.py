"""Scaling of a Monte Carlo campaign with Dask workers: the same 100 runs on 1, then on 2 workers.

Target (issue 4): a 100-run campaign on this machine's two cores takes close to half the time of
one core. Each campaign is ``dronewall.campaign.runner.run_campaign`` on its own
``distributed.LocalCluster`` (worker processes with one thread each); the compute time runs from
the first submission to the last result (the cluster's start and the workers' one-off imports are
timed apart as ``setup``). Both campaigns must give the same rows (bar wall time). Usage::

    .venv/bin/python benchmarks/campaign_scaling.py [--runs 100] [--workers 1 2]
        [--scenario kleine-brogel-night] [--duration 60]

Default workload: the first 60 s of ``kleine-brogel-night`` (19 objects, five sensors, the whole
pipeline with its event store per run), about a second or two per run, so that the benchmark
finishes in a few minutes. Run it when the machine is quiet: the load is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import dask
import distributed
from machine_info import cpu_model, load_average

from dronewall.campaign.rows import NONDETERMINISTIC_COLUMNS
from dronewall.campaign.runner import CampaignResult, run_campaign


def _rows(result: CampaignResult) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in r.items() if k not in NONDETERMINISTIC_COLUMNS}
        for r in result.table.to_pylist()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--scenario", default="kleine-brogel-night")
    parser.add_argument("--duration", type=float, default=60.0, help="simulated s per run")
    parser.add_argument("--seed0", type=int, default=0)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"machine: {platform.node()}, {cpu_model()}, {os.cpu_count()} logical CPUs")
    print(
        f"python {platform.python_version()}, dask {dask.__version__}, "
        f"distributed {distributed.__version__}; dronewall at {commit or '?'}"
    )
    print(
        f"workload: {args.runs} runs of {args.scenario}, first {args.duration:g} s, "
        f"seeds {args.seed0}..{args.seed0 + args.runs - 1}"
    )
    print(f"before: {load_average()}")
    results: dict[int, CampaignResult] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in args.workers:
            t, cpu0 = time.perf_counter(), os.times()
            r = run_campaign(
                args.scenario,
                runs=args.runs,
                out=Path(tmp) / f"w{k}",
                workers=k,
                seed0=args.seed0,
                duration_s=args.duration,
            )
            total = time.perf_counter() - t
            cpu1 = os.times()
            # CPU of the worker processes (children, reaped when the cluster closes), start-up
            # included: against k cores x total time it shows how much of the cores they got.
            workers_cpu = (cpu1.children_user - cpu0.children_user) + (
                cpu1.children_system - cpu0.children_system
            )
            walls = r.table.column("wall_time_s").to_pylist()
            per_run = sum(walls) / len(walls) if walls else float("nan")
            print(
                f"{k} worker(s): compute {r.compute_s:7.1f} s ({args.runs / r.compute_s:5.2f} "
                f"runs/s), setup {r.setup_s:5.1f} s, total {total:6.1f} s; mean run wall "
                f"{per_run:.2f} s; worker CPU {workers_cpu:.1f} s = "
                f"{workers_cpu / (k * total):.0%} of {k} core(s) over the total; "
                f"failed {len(r.failures)}; {load_average()}"
            )
            if r.failures:  # a broken pipeline would time nothing: say why and stop
                first = r.failures[0]
                print(f"{len(r.failures)} run(s) failed; seed {first.seed}: {first.error}")
                print(first.traceback)
                sys.exit(1)
            results[k] = r
    base = min(results)
    for k, r in sorted(results.items()):
        if k == base:
            continue
        speedup = results[base].compute_s / r.compute_s
        same = _rows(results[base]) == _rows(r)
        print(
            f"{base} -> {k} workers: speed-up {speedup:.2f}x (ideal {k / base:g}x), time ratio "
            f"{r.compute_s / results[base].compute_s:.3f}, parallel efficiency "
            f"{speedup / (k / base):.0%}; same rows: {same}"
        )
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
