"""Metrics of tracking performance against simulation truth (GOSPA, OSPA)."""

from dronewall.metrics.gospa import GospaResult, gospa, mean_gospa, ospa

__all__ = ["GospaResult", "gospa", "mean_gospa", "ospa"]
