"""Cost exchange: the cost-aware advice against "most capable effector first", same seeds.

Issue 5: "on ``eastern-flank-raid`` and ``shahed-wave-with-jamming`` campaigns, cost per defeated
threat and leakers for the cost-aware policy against 'most capable effector first'"; done when
"the cost-aware policy halves the defence cost per defeated threat against 'most capable first'
with no more leakers".

For each scenario and each engagement doctrine (``EngagementConfig.policy``: ``cost-aware``, the
default weapon-target assignment that weighs cost, and ``most-capable-first``, the highest-Pk unit
in reach whatever it costs) one campaign (:func:`dronewall.campaign.runner.run_campaign`) of the
same seeds runs on one local Dask cluster (the four campaigns at once, so that no worker idles
between them). Every random draw of a run descends from its seed, so
the two doctrines meet the same raid, the same sensors' noise until their choices differ. Per
scenario and policy it reports, over the runs: threats, defeated, leakers, left (neither),
engagements (in all and by effector type), defence cost, cost per defeated threat (pooled:
the cost of all runs over their defeats) and the cost-exchange ratio (defence cost / cost of the
threats), each as mean [min - max] over runs; the pooled cost per defeated threat with a
bootstrap 95 % interval (runs resampled); and per scenario the paired ratio cost-aware /
most-capable-first of the cost per defeated threat and the paired difference in leakers, with
bootstrap intervals (seeds resampled, the pairs kept together).

Engagements by effector come from the campaign rows (``engagements_by_effector``).

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/cost_exchange.py [--runs 6] [--workers 2]
        [--seed0 0] [--scenarios eastern-flank-raid shahed-wave-with-jamming] [--out DIR]

A run of ``eastern-flank-raid`` (2,400 s simulated, 37 objects) takes about two minutes on one
core of the project machine, one of ``shahed-wave-with-jamming`` (1,500 s) about one: choose
``--runs`` for the time you have (four campaigns of ``--runs`` runs each, on ``--workers``).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import distributed
import numpy as np
from machine_info import cpu_model, load_average

import dronewall
from dronewall.campaign.runner import POLICIES, CampaignResult, run_campaign

SCENARIOS = ("eastern-flank-raid", "shahed-wave-with-jamming")
BOOTSTRAP = 4000


def _per_run(result: CampaignResult) -> dict[int, dict[str, Any]]:
    """One row per seed (the run columns), with the threats' outcomes counted."""
    out: dict[int, dict[str, Any]] = {}
    for r in result.table.to_pylist():
        run = out.setdefault(int(r["seed"]), {**r, "left": 0})
        run["left"] += int(r["outcome"] == "left")
    return out


def _mmm(values: Sequence[float] | np.ndarray, fmt: str = "{:.1f}") -> str:
    a = np.asarray(values, float)
    if a.size == 0:
        return "-"
    return f"{fmt.format(a.mean())} [{fmt.format(a.min())} - {fmt.format(a.max())}]"


def _pooled(cost: np.ndarray, defeated: np.ndarray) -> float:
    d = defeated.sum()
    return float(cost.sum() / d) if d > 0 else float("nan")


def _boot_pooled(cost: np.ndarray, defeated: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    idx = rng.integers(0, cost.size, size=(BOOTSTRAP, cost.size))
    d = defeated[idx].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: np.ndarray = np.where(d > 0, cost[idx].sum(axis=1) / d, np.nan)
    return out


def _ci(samples: np.ndarray) -> tuple[float, float]:
    s = samples[np.isfinite(samples)]
    if s.size == 0:
        return float("nan"), float("nan")
    lo, hi = np.percentile(s, [2.5, 97.5])
    return float(lo), float(hi)


def _eur(x: float) -> str:
    return "-" if not np.isfinite(x) else f"{x:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=6, help="runs per scenario and policy")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed0", type=int, default=0)
    parser.add_argument("--scenarios", nargs="+", default=list(SCENARIOS))
    parser.add_argument("--out", type=Path, default=None, help="keep the campaigns here")
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    print(f"machine: {platform.node()}, {cpu_model()}, {os.cpu_count()} logical CPUs")
    print(
        f"python {platform.python_version()}, dask {version('dask')}, distributed "
        f"{version('distributed')}; dronewall {dronewall.__version__} from "
        f"{Path(dronewall.__file__).parent} (git HEAD here: {commit or '?'})"
    )
    print(
        f"workload: {len(args.scenarios)} scenario(s) x {len(POLICIES)} policies x {args.runs} "
        f"runs, seeds {args.seed0}..{args.seed0 + args.runs - 1}, {args.workers} worker(s)"
    )
    print(f"command: {' '.join(sys.argv)}")
    print(f"before: {load_average()}", flush=True)
    started = time.perf_counter()
    results: dict[tuple[str, str], CampaignResult] = {}
    by_effector: dict[tuple[str, str], dict[int, Counter[str]]] = {}
    with tempfile.TemporaryDirectory(prefix="cost-exchange-") as tmp:
        root = args.out or Path(tmp)
        cluster = distributed.LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=40,
        )
        try:
            address = str(cluster.scheduler_address)
            cells = [(name, policy) for name in args.scenarios for policy in POLICIES]
            # The campaigns run at once on the one cluster, so that no worker idles at the end
            # of one campaign while another still has runs to do.
            with ThreadPoolExecutor(len(cells)) as pool:
                futures = {
                    cell: pool.submit(
                        run_campaign,
                        cell[0],
                        runs=args.runs,
                        out=root / f"{Path(cell[0]).stem}-{cell[1]}",
                        scheduler=address,
                        seed0=args.seed0,
                        policy=cell[1],
                    )
                    for cell in cells
                }
                for (name, policy), fut in futures.items():
                    r = fut.result()
                    print(
                        f"{name} / {policy}: {r.ok_runs} of {r.runs} runs, done "
                        f"{time.perf_counter() - started:.0f} s after the start; {load_average()}",
                        flush=True,
                    )
                    for f in r.failures:
                        print(f"  seed {f.seed} failed: {f.error}\n{f.traceback}")
                    results[name, policy] = r
                    by_effector[name, policy] = {
                        seed: Counter(dict(run["engagements_by_effector"] or []))
                        for seed, run in _per_run(r).items()
                    }
        finally:
            cluster.close()
    total_s = time.perf_counter() - started
    print(f"after: {load_average()}; whole benchmark {total_s / 60:.1f} min")
    report(args, results, by_effector)


def report(
    args: argparse.Namespace,
    results: dict[tuple[str, str], CampaignResult],
    by_effector: dict[tuple[str, str], dict[int, Counter[str]]],
) -> None:
    """Print the per-scenario, per-policy table (markdown) and the paired comparison."""
    rng = np.random.default_rng(20261121)
    print()
    print(
        "| scenario | policy | runs | threats | defeated | leakers | left | engagements | "
        "engagements by effector (all runs) | defence cost per run, EUR | cost per defeated "
        "threat, EUR (pooled, 95 % CI) | cost-exchange ratio |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    pooled: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
    for (name, policy), r in results.items():
        runs = _per_run(r)
        pooled[name, policy] = runs
        rows = list(runs.values())
        cost = np.array([x["defence_cost_eur"] for x in rows], float)
        defeated = np.array([x["defeated"] for x in rows], float)
        lo, hi = _ci(_boot_pooled(cost, defeated, rng))
        eff = sum(by_effector[name, policy].values(), Counter())
        eff_s = ", ".join(f"{k} {v}" for k, v in eff.most_common())
        print(
            f"| {name} | {policy} | {len(rows)} | {_mmm([x['hostile_objects'] for x in rows])} "
            f"| {_mmm(defeated)} | {_mmm([x['leakers'] for x in rows])} | "
            f"{_mmm([x['left'] for x in rows])} | {_mmm([x['engagements'] for x in rows])} | "
            f"{eff_s or '-'} | {_mmm(cost, '{:,.0f}')} | "
            f"**{_eur(_pooled(cost, defeated))}** [{_eur(lo)} - {_eur(hi)}] | "
            f"{_mmm([x['cost_exchange_ratio'] or 0.0 for x in rows], '{:.2f}')} |"
        )
    print()
    for name in args.scenarios:
        ca, mcf = pooled.get((name, POLICIES[0])), pooled.get((name, POLICIES[1]))
        if not ca or not mcf:
            continue
        seeds = sorted(set(ca) & set(mcf))
        c_ca = np.array([ca[s]["defence_cost_eur"] for s in seeds], float)
        d_ca = np.array([ca[s]["defeated"] for s in seeds], float)
        c_m = np.array([mcf[s]["defence_cost_eur"] for s in seeds], float)
        d_m = np.array([mcf[s]["defeated"] for s in seeds], float)
        leak = np.array([ca[s]["leakers"] - mcf[s]["leakers"] for s in seeds], float)
        ratio = _pooled(c_ca, d_ca) / _pooled(c_m, d_m)
        idx = rng.integers(0, len(seeds), size=(BOOTSTRAP, len(seeds)))
        with np.errstate(divide="ignore", invalid="ignore"):
            boot = (c_ca[idx].sum(1) / d_ca[idx].sum(1)) / (c_m[idx].sum(1) / d_m[idx].sum(1))
        lo, hi = _ci(boot)
        llo, lhi = _ci(leak[idx].mean(axis=1))
        halves = ratio <= 0.5
        no_more = leak.mean() <= 0.0
        print(
            f"{name}: cost per defeated threat, cost-aware / most-capable-first = {ratio:.3f} "
            f"(95 % CI {lo:.3f} - {hi:.3f}, {len(seeds)} paired seeds); leakers per run, "
            f"cost-aware - most-capable-first = {leak.mean():+.2f} (95 % CI {llo:+.2f} - "
            f"{lhi:+.2f}; per seed {[int(x) for x in leak]}); halves the cost: {halves}; "
            f"no more leakers: {no_more}"
        )


if __name__ == "__main__":
    main()
