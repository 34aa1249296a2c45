"""ASTERIX decoding speed: records per second on one core, fast path vs libasterix.

Decodes the UDP payloads of the CroatiaControl sample captures (``../shared/data/
asterix-croatiacontrol``: ``cat_034_048.pcap``, ``cat_062_065.pcap``, ``cat062cat065.raw``)
repeated, through :class:`dronewall.adapters.asterix.AsterixDecoder` (payloads read once, so
only the decoder is timed). Prints the machine and, per mode, records/s (decoded records:
detections, service messages and rejected plots from unconfigured radars all count, as each
was walked and read).

Run: ``.venv/bin/python benchmarks/bench_asterix.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

from dronewall.adapters.asterix import AsterixDecoder, RadarSite
from dronewall.adapters.pcap import iter_packets, udp_payloads

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "asterix-croatiacontrol"


def payloads() -> list[tuple[bytes, float]]:
    out = []
    for name in ("cat_034_048.pcap", "cat_062_065.pcap"):
        out += [(d.payload, d.t) for d in udp_payloads(iter_packets(DATA / name))]
    out.append(((DATA / "cat062cat065.raw").read_bytes(), 1.7e9))
    return out


def run(data: list[tuple[bytes, float]], repeat: int, fast: bool) -> tuple[float, int]:
    radars = {(25, sic): RadarSite(lat_deg=45.8, lon_deg=16.0, alt_m=200.0) for sic in range(256)}
    dec = AsterixDecoder(radars, date=dt.date(2024, 1, 1), fast=fast)
    t0 = time.perf_counter()
    for _ in range(repeat):
        for payload, t in data:
            dec.feed(payload, t)
    elapsed = time.perf_counter() - t0
    return elapsed, dec.log.good + dec.log.bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    if not DATA.exists():
        sys.exit(f"sample data not found: {DATA}")
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, "
        f"python {platform.python_version()}, {platform.platform()}"
    )
    print(f"date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}")
    data = payloads()
    for fast, repeat in ((True, args.repeat), (False, max(1, args.repeat // 20))):
        elapsed, n = run(data, repeat, fast)
        mode = "fast path (034/048/062)" if fast else "libasterix for all"
        print(f"{mode:40s} {n:8d} records {elapsed:7.3f} s {n / elapsed:10.0f} records/s")


if __name__ == "__main__":
    main()
