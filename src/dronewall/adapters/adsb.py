"""ADS-B / Mode S inputs: SBS BaseStation text, Beast binary and AVR text, to detection records.

The public names of the ADS-B adapter; the work is done in

* :mod:`dronewall.adapters.adsb_sbs`: SBS BaseStation text (TCP 30003), 22 fields per line,
  already decoded positions in aviation units;
* :mod:`dronewall.adapters.adsb_beast`: Beast binary (TCP 30005) and AVR text (TCP 30002)
  framing of raw Mode S replies;
* :mod:`dronewall.adapters.adsb_modes`: Mode S CRC, field decoding (``rs1090``), CPR position
  resolution with reasonableness checks, heights and accuracies.

Every decoder has ``log`` (a :class:`~dronewall.adapters.base.DecodeLog`) and
``feed(data, t_received) -> list[DetectionRecord]`` taking any chunk of the TCP stream, and
``flush()`` at the end of a stream. Records are ``kind: "position"`` detection records
(``docs/formats/detections.md``) with ``icao`` and WGS84 ``position`` (``alt_m`` ellipsoidal;
how it was obtained is in ``x_height_source``). See ``docs/formats/adsb.md``.
"""

from __future__ import annotations

from dronewall.adapters.adsb_beast import (
    AvrDecoder,
    BeastDecoder,
    read_avr_capture,
    read_beast_capture,
)
from dronewall.adapters.adsb_modes import (
    ModeSCore,
    ModeSOptions,
    cpr_global,
    cpr_local,
    cpr_nl,
    crc24,
    decode_reply,
    height_from_baro,
    horizontal_std,
)
from dronewall.adapters.adsb_sbs import SbsDecoder, read_sbs_capture

__all__ = [
    "AvrDecoder",
    "BeastDecoder",
    "ModeSCore",
    "ModeSOptions",
    "SbsDecoder",
    "cpr_global",
    "cpr_local",
    "cpr_nl",
    "crc24",
    "decode_reply",
    "height_from_baro",
    "horizontal_std",
    "read_avr_capture",
    "read_beast_capture",
    "read_sbs_capture",
]
