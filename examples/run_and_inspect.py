"""Run a built-in scenario, then read its event store back as an investigator would.

    .venv/bin/python examples/run_and_inspect.py [OUT_DIR]

Prints the threats with their timelines, then the engagement proposals with their reasons and the
operator's decisions, straight from ``events.sqlite``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dronewall.picture import EventStore
from dronewall.pipeline import run_scenario


def main(out: Path) -> None:
    result = run_scenario("kleine-brogel-night", out, seed=0)
    for t in result.summary["threats"]:
        print(
            f"{t['id']:12s} {t['class']:12s} detected {t['first_detected_s']} s, "
            f"confirmed {t['first_confirmed_s']} s, alert {t['first_alert_s']} s -> {t['outcome']}"
        )
    with EventStore.open(out / "events.sqlite", create=False) as store:
        run = store.runs()[-1]
        for ev in store.events(run.run_id, kinds=["recommendation", "decision", "outcome"]):
            rel = ev.t - run.t0
            if ev.kind == "recommendation":
                print(f"{rel:7.0f} s  proposal  track {ev.track_id}: {ev.payload['reason']}")
            elif ev.kind == "decision":
                print(f"{rel:7.0f} s  decision  {ev.payload['state']} by {ev.payload['who']}")
            else:
                print(
                    f"{rel:7.0f} s  outcome   {ev.payload['effector_id']}: {ev.payload['outcome']}"
                )
    print(f"report: {out / 'report.html'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "kb")
