"""Geodesy: WGS84, ECEF and local ENU frames, batched."""

from dronewall.geo.frames import (
    LocalFrame,
    ecef_to_lla,
    enu_rotation,
    lla_to_ecef,
    polar_to_enu_jacobian,
)

__all__ = [
    "LocalFrame",
    "ecef_to_lla",
    "enu_rotation",
    "lla_to_ecef",
    "polar_to_enu_jacobian",
]
