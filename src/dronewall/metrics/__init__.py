"""Metrics of tracking performance against simulation truth (GOSPA, OSPA, SIAP)."""

from dronewall.metrics.gospa import GospaResult, gospa, mean_gospa, ospa
from dronewall.metrics.siap import SiapAccumulator, SiapResult, SiapStep, siap_step

__all__ = [
    "GospaResult",
    "SiapAccumulator",
    "SiapResult",
    "SiapStep",
    "gospa",
    "mean_gospa",
    "ospa",
    "siap_step",
]
