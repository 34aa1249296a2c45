"""Replay a recording through the whole picture of a defended area, then read the store back.

    .venv/bin/python examples/replay_capture_with_area.py [OUT_DIR]

A recording is made first: the detections of a drone radar and an RF detector while a quadcopter
flies into Kleine-Brogel (simulated, written as a detection file, the format ``dronewall ingest``
records). ``replay_capture`` then runs it with the defended area of the built-in scenario
``kleine-brogel-night`` (its sites, fire units and rules of engagement; what it flies is not
used), as ``dronewall replay-capture probe.jsonl --area kleine-brogel-night --out OUT`` would.
Nobody answers the engagement proposals of a replay: they expire.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from dronewall.core.measurements import DetectionBatch
from dronewall.formats import write_detections
from dronewall.picture import EventStore
from dronewall.pipeline.area import load_area
from dronewall.pipeline.capture import replay_capture
from dronewall.sim import Simulation, load_scenario
from dronewall.world import load_world

PROBE = """\
name: probe
description: "A quadcopter flies into Kleine-Brogel AB (assumed flight)"
start: 2025-11-01T19:30:00Z
duration_s: 300
sites: [kleine-brogel]
sensors:
  - {id: kb-radar, kind: radar, preset: drone-radar, site: kleine-brogel, h_m: 15}
  - {id: kb-rf-1, kind: rf, site: kleine-brogel, offset_m: [-300, 200]}
objects:
  - {behaviour: approach, id: quad, type: quadcopter, allegiance: hostile, target: kleine-brogel,
     from_bearing_deg: 60, from_distance_m: 5200, speed_m_s: 16, alt_m: 150,
     orbit_radius_m: 800, orbit_s: 300, then: stay}
"""


def record(folder: Path) -> Path:
    """A detection file of the probe's sensors (what a live ingest would have recorded)."""
    world = load_world()
    (folder / "probe.yaml").write_text(PROBE, encoding="utf-8")
    sim = Simulation(load_scenario(folder / "probe.yaml", world), world, seed=0)
    batch = DetectionBatch.concat([sim.sense(k) for k in range(sim.n_ticks)])
    path = folder / "probe.jsonl"
    write_detections(path, batch, sim.frame, [s.id for s in sim.sensors])
    return path


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    recording = record(out)
    result = replay_capture(recording, out / "replay", area=load_area("kleine-brogel-night"))
    s = result.summary
    print(f"{s['detections']} detections, {s['tracks_confirmed']} tracks confirmed")
    print(f"identities at the end: {s['identities_at_end']}")
    for a in s["alerts"]:
        print(f"alert   {a['t_s']:6.0f} s  track {a['track_id']}  {a['level']}: {a['reason']}")
    for p in s["proposals"]:
        print(
            f"propose {p['t_s']:6.0f} s  track {p['track_id']}  {p['effector']} "
            f"({p['identity']} {p['class']}, threat {p['threat_score']:.2f}) -> {p['state']}"
        )
    with EventStore.open(result.out_dir / "events.sqlite", create=False) as store:
        run = store.run(s["run_id"])
        for ev in store.events(run.run_id, kinds=["decision"]):
            print(f"decided {ev.t - run.t0:6.0f} s  {ev.payload['state']} by {ev.payload['who']}: "
                  f"{ev.payload['why']}")  # fmt: skip
    print(f"report: {result.out_dir / 'report.html'}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
