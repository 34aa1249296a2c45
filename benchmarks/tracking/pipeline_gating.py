"""The whole pipeline under variants of the tracker's IMM: what a tracker change does downstream.

A quality comparison (wall times are printed but only for orientation: the machine is shared) of
tracker variants (:data:`VARIANTS`: the IMM's gating, moment-matched or by the mode mixture; the
drone IMM, the turn-rate bank or the adaptive IMM) on full pipeline runs (simulation, tracking,
assessment, advice, the simulated operator, the outcome draw), same scenario and seed, the only
difference the tracker's configuration::

    .venv/bin/python benchmarks/tracking/pipeline_gating.py --scenario kleine-brogel-night \\
        --seeds 0,1 --variants moment-matched,mixture --out /tmp/pipeline_gating

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

_Q_H = TrackerConfig().q_horizontal
VARIANTS: dict[str, dict[str, Any]] = {
    "moment-matched": {"imm_mixture_gating": False},
    "mixture": {"imm_mixture_gating": True},  # the default tracker
    # the turn-rate bank of benchmarks/tracking/imm_gating.py: left and right turns at 0.2, 0.5
    # and 1 rad/s and a manoeuvre NCV at 4 q_h
    "bank": {"imm_turn_rates": (0.2, 0.5, 1.0), "imm_manoeuvre_q_horizontal": 4.0 * _Q_H},
    # the adaptive IMM: the drone IMM's turn modes at each track's estimated turn rate
    "adaptive": {"imm_adaptive_turn": True},
}
"""Tracker variants by name: :class:`TrackerConfig` keyword arguments over the defaults."""


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
    parser.add_argument(
        "--variants",
        default="moment-matched,mixture",
        help=f"comma-separated, of {', '.join(VARIANTS)}",
    )
    parser.add_argument("--out", type=Path, default=Path("/tmp/pipeline_gating"))
    args = parser.parse_args()
    seeds = [int(v) for v in args.seeds.split(",")]
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")
    results: list[tuple[str, dict[str, Any], float]] = []
    for seed in seeds:
        for name in names:
            out = args.out / f"{args.scenario}-seed{seed}-{name}"
            res = run_scenario(
                args.scenario,
                out,
                seed=seed,
                tracker_config=TrackerConfig(**VARIANTS[name]),
            )
            results.append((f"seed {seed}, {name}", res.summary, res.wall_s))
            print(f"done: seed {seed} {name} ({res.wall_s:.0f} s) -> {out}", flush=True)
    print(f"\n{args.scenario}: the whole pipeline, tracker variants {', '.join(names)}\n")
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
