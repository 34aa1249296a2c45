"""Releasability labels: who may see which item.

Rule (docs/api.md, "Releasability")
-----------------------------------
* A **site** is releasable to its nation (``Site.country``) and NATO.
* A **fire unit** is releasable to its nation (``FireUnitSpec.nation``) and NATO.
* A **sensor** (and a **no-fire zone**) is releasable to the nation of the nearest protected site
  of the run and NATO: sensors and zones are deployed by the nation whose site they protect
  (assumption, A: scenarios do not state a sensor's owner).
* A **track** is a fused product: it is releasable to a label only if *every* sensor that ever
  updated it is (the intersection of its sensors' labels). Its sensors are the tracker's bit
  mask ``TrackTable.sensors`` (bit ``i``: sensor row ``i``). Where the mask is not known (tracks
  read back from a recorded store, which does not keep it) or is empty, the track takes the
  intersection of the labels of *all* the run's sensors: never more releasable than its sources.
* An **alert** or **proposal** about a track takes the track's labels; a sighting alert with no
  track takes the intersection of the labels of the run's human-report sensors.

A token sees an item iff its clearances intersect the item's labels.

Data layout: sensor labels are a list aligned with the run's sensor rows; the track computation is
batched over the ``(N,)`` int64 masks (one pass per label, a handful of labels).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray

NATO = "NATO"


def nation_labels(nation: str | None) -> tuple[str, ...]:
    """``(nation, NATO)`` sorted; ``(NATO,)`` without a nation."""
    return tuple(sorted({nation, NATO})) if nation else (NATO,)


def nearest_nation(
    lat_deg: float, lon_deg: float, sites: Sequence[tuple[float, float, str]]
) -> str | None:
    """Nation of the site nearest to a point (equirectangular distance; sites ``(lat, lon,
    country)``); ``None`` without sites."""
    if not sites:
        return None
    arr = np.array([[s[0], s[1]] for s in sites], dtype=np.float64)
    dlat = arr[:, 0] - lat_deg
    dlon = (arr[:, 1] - lon_deg) * np.cos(np.radians(lat_deg))
    return sites[int(np.argmin(dlat * dlat + dlon * dlon))][2]


def common_labels(label_sets: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Intersection of label sets (``(NATO,)`` when there are none)."""
    sets = [frozenset(s) for s in label_sets]
    if not sets:
        return (NATO,)
    return tuple(sorted(frozenset.intersection(*sets)))


class TrackLabeler:
    """Labels of fused tracks from the labels of their sensors.

    Parameters
    ----------
    sensor_labels : sequence of label tuples
        Labels of sensor row ``i`` (the tracker's sensor index).
    """

    def __init__(self, sensor_labels: Sequence[Sequence[str]]) -> None:
        self.sensor_labels = [tuple(s) for s in sensor_labels]
        self.fallback = common_labels(self.sensor_labels)
        self.labels = sorted({lab for s in self.sensor_labels for lab in s})
        # bits of sensors carrying each label; sensors beyond bit 62 are not in the masks
        self._bits = {
            lab: np.int64(
                sum(1 << i for i, s in enumerate(self.sensor_labels) if lab in s and i <= 62)
            )
            for lab in self.labels
        }
        self._untracked_bits = len(self.sensor_labels) > 63

    def labels_of(self, masks: NDArray[np.int64]) -> list[tuple[str, ...]]:
        """Labels per track from ``(N,)`` sensor masks (see the module rule)."""
        n = int(masks.shape[0])
        if n == 0:
            return []
        if self._untracked_bits:
            return [self.fallback] * n
        ok = {lab: (masks & ~bits) == 0 for lab, bits in self._bits.items()}
        empty = masks == 0
        cache: dict[tuple[bool, ...], tuple[str, ...]] = {}
        out: list[tuple[str, ...]] = []
        cols = [ok[lab] for lab in self.labels]
        for i in range(n):
            if empty[i]:
                out.append(self.fallback)
                continue
            key = tuple(bool(c[i]) for c in cols)
            got = cache.get(key)
            if got is None:
                got = tuple(lab for lab, yes in zip(self.labels, key, strict=True) if yes)
                cache[key] = got
            out.append(got)
        return out
