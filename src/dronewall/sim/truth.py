"""The truth table: what really flew, for the sensor models and for scoring (never for tracking).

Data layout
-----------
Struct of arrays over ``K`` objects and ``T`` ticks, batch-first. Positions and velocities are in
the run's local ENU frame (metres, m/s); ``times`` are UTC epoch seconds of the ticks.

=================  ===============  ======================================================
field              shape            meaning
=================  ===============  ======================================================
``ids``            tuple (K,)       object id (swarm and group members ``<group>-<i>``)
``type_ids``       tuple (K,)       :class:`~dronewall.world.ObjectType` id
``object_class``   (K,) int8        :class:`~dronewall.core.taxonomy.ObjectClass`
``allegiance``     (K,) int8        :class:`~dronewall.core.taxonomy.Allegiance`
``target_site``    (K,) int32       index into ``Scenario.sites``, -1 for none
``icao``           (K,) int64       ADS-B address, -1 for none
``rcs_m2``         (K,)             mean radar cross-section, m²
``cost_eur``       (K,)             unit cost, euros
``rf_protocol``    (K,) int16       :class:`~dronewall.core.measurements.RfProtocol`
``remote_id``      (K,) bool        broadcasts Remote ID (a legal, cooperative drone)
``jam_immune``     (K,) bool        jamming (RF link, GNSS) cannot stop it
``times``          (T,)             tick times, UTC epoch s
``pos``            (T, K, 3)        ENU position at each tick
``vel``            (T, K, 3)        ENU velocity at each tick
``alive``          (T, K) bool      the object exists (launched, not left, not destroyed)
=================  ===============  ======================================================

``alive`` is updated in place by :meth:`dronewall.sim.Simulation.kill`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import F64, I8, I16, I32, I64, B
from dronewall.sim.behaviours import Flight, flat_to_enu


@dataclass(frozen=True, slots=True, kw_only=True)
class TruthTable:
    """``K`` simulated objects over ``T`` ticks. See the module docstring for the layout."""

    ids: tuple[str, ...]
    type_ids: tuple[str, ...]
    object_class: I8
    allegiance: I8
    target_site: I32
    icao: I64
    rcs_m2: F64
    cost_eur: F64
    rf_protocol: I16
    times: F64
    pos: F64
    vel: F64
    alive: B
    remote_id: B
    jam_immune: B

    def __post_init__(self) -> None:
        k, t = len(self.ids), self.times.shape[0]
        if len(self.type_ids) != k:
            raise ValueError("TruthTable.type_ids must have one entry per object")
        for name, shape in (
            ("object_class", (k,)), ("allegiance", (k,)), ("target_site", (k,)), ("icao", (k,)),
            ("rcs_m2", (k,)), ("cost_eur", (k,)), ("rf_protocol", (k,)), ("pos", (t, k, 3)),
            ("vel", (t, k, 3)), ("alive", (t, k)), ("remote_id", (k,)), ("jam_immune", (k,)),
        ):  # fmt: skip
            if getattr(self, name).shape != shape:
                raise ValueError(
                    f"TruthTable.{name} has shape {getattr(self, name).shape}, expected {shape}"
                )

    def __len__(self) -> int:
        return len(self.ids)

    def index(self, object_id: str) -> int:
        """Column of the object called ``object_id`` (``KeyError`` if none)."""
        try:
            return self.ids.index(object_id)
        except ValueError:
            raise KeyError(object_id) from None

    @classmethod
    def from_flights(cls, times: F64, flights: Sequence[Flight]) -> TruthTable:
        """Concatenate flown groups (flat frame) into one table in ENU."""
        t = times.shape[0]
        types = [ty for f in flights for ty in f.types]
        if flights:
            pos_f = np.concatenate([f.pos for f in flights], axis=1)
            vel_f = np.concatenate([f.vel for f in flights], axis=1)
            alive = np.concatenate([f.alive for f in flights], axis=1)
        else:
            pos_f, vel_f, alive = np.empty((t, 0, 3)), np.empty((t, 0, 3)), np.empty((t, 0), bool)
        pos, vel = flat_to_enu(pos_f, vel_f)

        def cat(name: str, dtype: type) -> np.ndarray:
            parts = [getattr(f, name) for f in flights]
            return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype)

        return cls(
            ids=tuple(i for f in flights for i in f.ids),
            type_ids=tuple(ty.id for ty in types),
            object_class=np.array([int(ty.object_class) for ty in types], dtype=np.int8),
            allegiance=cat("allegiance", np.int8),
            target_site=cat("target_site", np.int32),
            icao=cat("icao", np.int64),
            rcs_m2=np.array([ty.rcs_m2 for ty in types], dtype=np.float64),
            cost_eur=np.array([ty.cost_eur for ty in types], dtype=np.float64),
            rf_protocol=np.array([int(ty.rf_protocol) for ty in types], dtype=np.int16),
            times=times,
            pos=pos,
            vel=vel,
            alive=np.ascontiguousarray(alive, dtype=bool),
            remote_id=cat("remote_id", np.bool_),
            jam_immune=cat("jam_immune", np.bool_),
        )
