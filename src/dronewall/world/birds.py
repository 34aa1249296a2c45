"""How many bird flocks a scenario area holds, and where: seasonal density, denser near water.

Model
-----
An area is the disc of radius ``R`` about a centre. Each water body is a disc of radius
``r_w + margin`` (the water plus the "near water" band); its overlap with the area is the lens
area ``A_w`` of two discs (:func:`disc_overlap_m2`). With the habitat's density ``ρ`` (flocks per
km² away from water), water factor ``f_w``, monthly factor ``s_m`` and a scenario's own factor
``c``, the expected number of flocks is

.. math::  N = c\\, s_m\\, ρ\\, (A_{land} + f_w \\sum_w A_w) / 10^6, \\quad
    A_{land} = \\max(0, π R^2 - \\sum_w A_w)

and a flock homes over water with probability ``p_water = f_w ΣA_w / (A_land + f_w ΣA_w)``, on
water body ``w`` with probability proportional to ``A_w``. The count is rounded to the nearest
integer at load time (deterministic); positions are drawn per run by the simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dronewall.geo.frames import LocalFrame
from dronewall.world.catalogue import BirdHabitat, WaterBody


def disc_overlap_m2(r1_m: float, r2_m: float, d_m: float) -> float:
    """Area of the intersection of two discs of radii ``r1``, ``r2`` with centres ``d`` apart."""
    if d_m >= r1_m + r2_m:
        return 0.0
    if d_m <= abs(r1_m - r2_m):
        return math.pi * min(r1_m, r2_m) ** 2
    a1 = r1_m**2 * math.acos((d_m**2 + r1_m**2 - r2_m**2) / (2.0 * d_m * r1_m))
    a2 = r2_m**2 * math.acos((d_m**2 + r2_m**2 - r1_m**2) / (2.0 * d_m * r2_m))
    k = 0.5 * math.sqrt(
        max(
            0.0,
            (-d_m + r1_m + r2_m) * (d_m + r1_m - r2_m) * (d_m - r1_m + r2_m) * (d_m + r1_m + r2_m),
        )
    )
    return a1 + a2 - k


@dataclass(frozen=True, slots=True, kw_only=True)
class BirdCensus:
    """The expected flocks of an area (see the module docstring).

    Attributes
    ----------
    expected_flocks : float
        ``N`` before rounding.
    n_flocks : int
        ``N`` rounded to the nearest integer.
    water : tuple of WaterBody
        Water bodies that overlap the area (their disc grown by the margin).
    water_weights : tuple of float
        Their overlap areas ``A_w``, m².
    p_water : float
        Probability a flock homes over water.
    """

    expected_flocks: float
    n_flocks: int
    water: tuple[WaterBody, ...]
    water_weights: tuple[float, ...]
    p_water: float


def bird_census(
    habitat: BirdHabitat,
    lat_deg: float,
    lon_deg: float,
    radius_m: float,
    month: int,
    factor: float = 1.0,
) -> BirdCensus:
    """Expected bird flocks in the disc of ``radius_m`` about a point in calendar ``month``.

    Parameters
    ----------
    habitat : BirdHabitat
    lat_deg, lon_deg : float
        Centre of the area, WGS84 degrees.
    radius_m : float, m
    month : int
        1 (January) to 12.
    factor : float
        The scenario's own multiplier ``c`` (>= 0).
    """
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1..12, got {month}")
    if radius_m <= 0 or factor < 0:
        raise ValueError("need radius_m > 0 and factor >= 0")
    frame = LocalFrame(lat_deg, lon_deg)
    water: list[WaterBody] = []
    weights: list[float] = []
    for w in habitat.water_bodies:
        e, n, _ = frame.lla_to_enu([w.lat_deg, w.lon_deg, 0.0])
        a = disc_overlap_m2(radius_m, w.radius_m + habitat.water_margin_m, math.hypot(e, n))
        if a > 0.0:
            water.append(w)
            weights.append(a)
    a_water = sum(weights)
    a_land = max(0.0, math.pi * radius_m**2 - a_water)
    weighted = a_land + habitat.water_factor * a_water
    expected = factor * habitat.seasonal_factor[month - 1] * habitat.flocks_per_km2 * weighted / 1e6
    p_water = habitat.water_factor * a_water / weighted if weighted > 0 else 0.0
    return BirdCensus(
        expected_flocks=expected,
        n_flocks=math.floor(expected + 0.5),
        water=tuple(water),
        water_weights=tuple(weights),
        p_water=p_water,
    )
