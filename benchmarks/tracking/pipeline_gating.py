"""The whole pipeline with and without IMM mixture gating: what the tracker change does downstream.

A quality comparison (wall times are printed but only for orientation: the machine is shared) of
``TrackerConfig(imm_mixture_gating=...)`` on full pipeline runs (simulation, tracking,
assessment, advice, the simulated operator, the outcome draw), same scenario and seed, the only
difference the tracker's gating::

    .venv/bin/python benchmarks/tracking/pipeline_gating.py --scenario kleine-brogel-night \\
        --seeds 0,1 --out /tmp/pipeline_gating

Per run it prints, from ``summary.json``: confirmed tracks, mean GOSPA (whole picture and by
allegiance), the SIAP completeness / spuriousness / positional accuracy / track-number changes,
true and false alerts, engagements, and per threat the first detection, confirmation and alert
times (s from the start) and the outcome. The run folders are kept under ``--out``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from dronewall.pipeline import run_scenario
from dronewall.tracking import TrackerConfig

VARIANTS = {"moment-matched": False, "mixture": True}


def _row(label: str, s: dict[str, Any], wall_s: float) -> str:
    g = s["gospa_mean"]
    by = s["gospa_by_allegiance"]
    siap = s["siap"]
    return (
        f"| {label} | {s['tracks_confirmed']} | {g['total']:.1f} | {by['hostile']['total']:.1f} "
        f"| {by['civil']['total']:.1f} | {by['nature']['total']:.1f} | {g['n_false']:.2f} "
        f"| {siap['completeness']:.3f} | {siap['spuriousness']:.3f} "
        f"| {siap['positional_accuracy_m']:.1f} | {siap['track_number_changes']} "
        f"| {s['alerts_true']} / {s['alerts_false']} | {s['engagements']} | {wall_s:.0f} |"
    )


def _threats(label: str, s: dict[str, Any]) -> list[str]:
    def t(v: float | None) -> str:
        return "—" if v is None else f"{v:.0f}"

    return [
        f"| {label} | {th['id']} | {t(th['first_detected_s'])} | {t(th['first_confirmed_s'])} "
        f"| {t(th['first_alert_s'])} | {th['outcome']} |"
        for th in s["threats"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="kleine-brogel-night")
    parser.add_argument("--seeds", default="0,1", help="comma-separated seeds")
    parser.add_argument("--out", type=Path, default=Path("/tmp/pipeline_gating"))
    args = parser.parse_args()
    seeds = [int(v) for v in args.seeds.split(",")]
    results: list[tuple[str, dict[str, Any], float]] = []
    for seed in seeds:
        for name, mixture in VARIANTS.items():
            out = args.out / f"{args.scenario}-seed{seed}-{name}"
            res = run_scenario(
                args.scenario,
                out,
                seed=seed,
                tracker_config=TrackerConfig(imm_mixture_gating=mixture),
            )
            results.append((f"seed {seed}, {name}", res.summary, res.wall_s))
            print(f"done: seed {seed} {name} ({res.wall_s:.0f} s) -> {out}", flush=True)
    print(f"\n{args.scenario}: the whole pipeline, IMM gating moment-matched against mixture\n")
    print(
        "| run | confirmed tracks | GOSPA (m) | hostile | civil | nature | false / tick "
        "| SIAP completeness | spuriousness | accuracy (m) | track-number changes "
        "| alerts true / false | engagements | wall (s) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for label, s, wall in results:
        print(_row(label, s, wall))
    print("\n| run | threat | detected (s) | confirmed (s) | alerted (s) | outcome |")
    print("|---|---|---|---|---|---|")
    for label, s, _ in results:
        print("\n".join(_threats(label, s)))
    (args.out / "pipeline_gating.json").write_text(
        json.dumps([{"run": label, "summary": s} for label, s, _ in results], indent=1) + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
