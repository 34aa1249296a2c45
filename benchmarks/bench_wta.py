"""Benchmark: WTA solvers on the public instances of Andersen, Pavlikov and Toffolo (2022).

For every instance in ``../shared/data/wta-toffolo`` (read there, never copied) it runs the
maximum-marginal-return greedy, the construction + VLSN (plain, then with iterated kicks under a
time limit) and, on the instances small enough, the exact outer-approximation MILP (HiGHS) under a
time limit, started from the VLSN solution. It prints a markdown table of objective, gap to the
best-known value (the least UB over every approach in their ``results.csv``; CPLEX 12.10, one
thread, 2 h per run) and wall time, plus the machine and the command.

Usage::

    .venv/bin/python benchmarks/bench_wta.py [--vlsn-s 20] [--ils-s 15] [--milp-s 60]
        [--milp-max-pairs 5000] [--only 50x100]

Defaults keep the whole run under ~10 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import sys
import time
from pathlib import Path

import numpy as np
import scipy
from machine_info import cpu_model

from dronewall.respond.wta import (
    milp_wta,
    read_toffolo_instance,
    read_toffolo_results,
    vlsn_wta,
)
from dronewall.respond.wta_heuristics import greedy_wta

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "wta-toffolo"


def gap_pct(value: float, best: float) -> str:
    return f"{100.0 * (value - best) / best:+.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--vlsn-s", type=float, default=20.0, help="plain VLSN limit per instance, s")
    ap.add_argument("--ils-s", type=float, default=15.0, help="VLSN + kicks limit, s (0: skip)")
    ap.add_argument("--milp-s", type=float, default=60.0, help="MILP limit per instance, s")
    ap.add_argument(
        "--milp-max-pairs", type=int, default=5000, help="run the MILP only when W*T <= this"
    )
    ap.add_argument("--only", default="", help="substring of the instance names to run")
    args = ap.parse_args()
    if not (args.data / "results.csv").exists():
        print(f"no data at {args.data}", file=sys.stderr)
        return 2
    best = read_toffolo_results(args.data / "results.csv")

    def key(p: Path) -> tuple[int, int, int]:
        m = re.match(r"wta_(\d+)x(\d+)x(\d+)", p.name)
        assert m is not None
        return int(m[1]), int(m[2]), int(m[3])

    files = sorted(args.data.glob("wta_*.txt.gz"), key=key)
    files = [f for f in files if args.only in f.name]
    print(f"# WTA benchmark, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC\n")
    print(
        "| instance | best known (LB) | greedy: obj, gap %, s | VLSN: obj, gap %, s | "
        f"VLSN+kicks {args.ils_s:g} s: obj, gap % | MILP {args.milp_s:g} s: obj, LB, gap %, s |"
    )
    print("|---|---|---|---|---|---|")
    t_all = time.perf_counter()
    for f in files:
        problem = read_toffolo_instance(f)
        k = (problem.n_weapons, problem.n_targets, int(problem.rounds[0]))
        bk = best[k]
        g = greedy_wta(problem)
        v = vlsn_wta(problem, time_limit_s=args.vlsn_s)
        cells = [
            f.name.removesuffix(".txt.gz"),
            f"{bk.upper_bound:.4f} ({bk.lower_bound:.4f})",
            f"{g.objective:.4f}, {gap_pct(g.objective, bk.upper_bound)}, {g.time_s:.2f}",
            f"{v.objective:.4f}, {gap_pct(v.objective, bk.upper_bound)}, {v.time_s:.2f}",
        ]
        top = v
        if args.ils_s > 0:
            ils = vlsn_wta(problem, v, kicks=10**6, time_limit_s=args.ils_s)
            top = ils if ils.objective < v.objective else v
            cells.append(f"{ils.objective:.4f}, {gap_pct(ils.objective, bk.upper_bound)}")
        else:
            cells.append("-")
        if problem.n_weapons * problem.n_targets <= args.milp_max_pairs:
            m = milp_wta(problem, time_limit_s=args.milp_s, mip_rel_gap=1e-6, incumbent=top)
            proof = " (optimal)" if m.optimal else ""
            cells.append(
                f"{m.objective:.4f}, {m.lower_bound:.4f}, "
                f"{gap_pct(m.objective, bk.upper_bound)}, {m.time_s:.1f}{proof}"
            )
        else:
            cells.append("-")
        print("| " + " | ".join(cells) + " |", flush=True)
    total = time.perf_counter() - t_all
    print(
        "\nGap % = (objective − best known) / best known; negative means better than the "
        "least UB in results.csv. Best known and LB: over every approach of Andersen, Pavlikov, "
        "Toffolo (2022), CPLEX 12.10, 1 thread, 2 h limit."
    )
    print(f"\nTotal wall time {total:.0f} s.")
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} logical cores; Python "
        f"{platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__} "
        "(HiGHS via scipy.optimize.milp)."
    )
    print("Command: .venv/bin/python benchmarks/bench_wta.py " + " ".join(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
