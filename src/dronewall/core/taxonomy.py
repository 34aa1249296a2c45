"""Shared vocabularies: object classes, standard identities, alert levels, effector layers.

Codes are small integers so that they live in numpy columns; names are what files, the API and
people see. The order of :class:`ObjectClass` is the column order of class-probability arrays
``(N, len(ObjectClass))``.
"""

from __future__ import annotations

from enum import IntEnum


class ObjectClass(IntEnum):
    """What an air object is (truth) or is believed to be (classification columns)."""

    QUADCOPTER = 0
    FPV = 1
    FIXED_WING = 2
    LOITERING_MUNITION = 3
    DECOY = 4
    BIRD = 5
    LIGHT_AIRCRAFT = 6
    AIRLINER = 7
    CLUTTER = 8

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")

    @classmethod
    def from_label(cls, label: str) -> ObjectClass:
        return cls[label.upper().replace("-", "_")]


#: Classes that are unmanned aircraft (drones and munitions): the ones an engagement may target.
UAS_CLASSES: frozenset[ObjectClass] = frozenset(
    {
        ObjectClass.QUADCOPTER,
        ObjectClass.FPV,
        ObjectClass.FIXED_WING,
        ObjectClass.LOITERING_MUNITION,
        ObjectClass.DECOY,
    }
)


class Identity(IntEnum):
    """Standard identities (STANAG 1241 / APP-6 / MIL-STD-2525)."""

    PENDING = 0
    UNKNOWN = 1
    ASSUMED_FRIEND = 2
    FRIEND = 3
    NEUTRAL = 4
    SUSPECT = 5
    HOSTILE = 6

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


#: Identities that must never be engaged: civil/cooperative (neutral) and friendly traffic.
PROTECTED_IDENTITIES: frozenset[Identity] = frozenset(
    {Identity.ASSUMED_FRIEND, Identity.FRIEND, Identity.NEUTRAL}
)


class Allegiance(IntEnum):
    """Truth allegiance of a simulated object (what it really is, never seen by the pipeline)."""

    HOSTILE = 0
    CIVIL = 1
    FRIEND = 2
    NATURE = 3  # birds, clutter

    @property
    def label(self) -> str:
        return self.name.lower()


class AlertLevel(IntEnum):
    """Alert levels raised per track and site, in increasing urgency."""

    NONE = 0
    WATCH = 1
    WARNING = 2
    ALARM = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Layer(IntEnum):
    """Layers of a layered air defence, cheapest and shortest-range first."""

    EW = 0
    INTERCEPTOR = 1
    GUN = 2
    LASER = 3
    VSHORAD = 4
    SHORAD = 5
    MRAD = 6
    FIGHTER = 7

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def from_label(cls, label: str) -> Layer:
        return cls[label.upper().replace("-", "_")]
