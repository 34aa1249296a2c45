"""ADS-B adapter throughput: SBS BaseStation lines/s (target >= 200,000 on one core), Beast msgs/s.

Inputs: the real SBS rendering of the ulss7 Beast log (``../shared/data/adsb-beast-sbs``,
8,625 lines, 750 kB) repeated ``--repeat`` times with the times shifted by the log's length per
copy (so that the duplicate check does not discard the copies), fed to one ``SbsDecoder`` in
64 KiB chunks as from a socket; and the Beast log itself (13,954 frames) repeated likewise
through one ``BeastDecoder`` (for information: Beast goes through rs1090, CRC and CPR).

Run: ``.venv/bin/python benchmarks/bench_sbs.py [--repeat 20]``
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

from dronewall.adapters.adsb import BeastDecoder, SbsDecoder

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adsb-beast-sbs"
CHUNK = 1 << 16


def _sbs_stream(repeat: int) -> tuple[bytes, int]:
    text = (DATA / "ulss7_beast_decoded_sbs.txt").read_text()
    lines = [ln for ln in text.splitlines() if ln.startswith("MSG")]
    out = []
    for k in range(repeat):
        # shift the generation date by k days so every copy is new traffic
        day = f"2018/{4 + k // 28:02d}/{1 + k % 28:02d}"
        out.extend(
            re.sub(r"^(MSG,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,)[^,]*", rf"\g<1>{day}", ln)
            for ln in lines
        )
    return ("\n".join(out) + "\n").encode(), len(out)


def _feed(dec: SbsDecoder | BeastDecoder, data: bytes) -> int:
    n = 0
    for i in range(0, len(data), CHUNK):
        n += len(dec.feed(data[i : i + CHUNK], 0.0))
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    print(f"python {sys.version.split()[0]}, {platform.platform()}, {platform.processor()}")
    print(f"cpus {os.cpu_count()}, load {os.getloadavg()}")

    data, n_lines = _sbs_stream(args.repeat)
    rates = []
    for _ in range(args.runs):
        dec = SbsDecoder("bench")
        t0 = time.perf_counter()
        recs = _feed(dec, data)
        dt = time.perf_counter() - t0
        rates.append(n_lines / dt)
    print(
        f"SBS: {n_lines} lines ({len(data) / 1e6:.1f} MB), {recs} position records, "
        f"bad {dec.log.bad}; lines/s median {statistics.median(rates):,.0f} "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}) over {args.runs} runs"
    )

    beast = (DATA / "ulss7-beast-bin-utc--1522782148.beast").read_bytes()
    reps = max(1, args.repeat // 4)
    rates = []
    for _ in range(args.runs):
        # a fresh decoder per copy: the counter restarts, as on a reconnect
        t0 = time.perf_counter()
        n_msgs = n_recs = 0
        for _ in range(reps):
            bdec = BeastDecoder("bench", clock="counter", start_epoch=0.0)
            n_recs += _feed(bdec, beast)
            n_msgs += bdec.frames
        rates.append(n_msgs / (time.perf_counter() - t0))
    print(
        f"Beast: {n_msgs} frames, {n_recs} position records; frames/s median "
        f"{statistics.median(rates):,.0f} (min {min(rates):,.0f}, max {max(rates):,.0f})"
    )


if __name__ == "__main__":
    main()
