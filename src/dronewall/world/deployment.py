"""What a scenario deploys around the catalogue: fire units, rules of engagement, the operator.

Plain frozen specs, built by the scenario loader (:mod:`dronewall.sim.scenario`) and read by the
respond stage; they carry no behaviour of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from dronewall.core.taxonomy import Identity
from dronewall.world.catalogue import EffectorType


@dataclass(frozen=True, slots=True, kw_only=True)
class FireUnitSpec:
    """One deployed fire unit (a launcher, a gun, a jammer, an interceptor-drone nest)."""

    id: str
    effector: EffectorType
    lat_deg: float
    lon_deg: float
    h_m: float = 0.0
    magazine: int | None = None
    """Engagements ready at the start; ``None`` takes the effector type's magazine."""
    nation: str = "BE"


@dataclass(frozen=True, slots=True, kw_only=True)
class NoFireZone:
    """A circle where no kinetic effect may land (a town, a runway in use, a crowd)."""

    name: str
    lat_deg: float
    lon_deg: float
    radius_m: float

    def __post_init__(self) -> None:
        if self.radius_m <= 0:
            raise ValueError(f"no-fire zone {self.name}: radius_m must be positive")


@dataclass(frozen=True, slots=True, kw_only=True)
class RulesOfEngagement:
    """Constraints on what may be recommended.

    Whatever these say, nothing is ever recommended against a track whose identity is in
    :data:`dronewall.core.taxonomy.PROTECTED_IDENTITIES` or that carries a cooperative identity.
    """

    kinetic_allowed: bool = True
    jamming_allowed: bool = True
    min_identity: Identity = Identity.SUSPECT
    """Least hostile identity a track must have to be engaged (SUSPECT or HOSTILE)."""
    no_fire_zones: tuple[NoFireZone, ...] = ()

    def __post_init__(self) -> None:
        if self.min_identity not in (Identity.SUSPECT, Identity.HOSTILE):
            raise ValueError("min_identity must be 'suspect' or 'hostile'")


FiringDoctrine = Literal["cost-aware", "most-capable-first"]
"""The advice's firing doctrines (``respond.EngagementConfig.policy``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorPolicy:
    """How the simulated operator answers engagement proposals (a stated policy, not a person).

    In a live deployment a person approves every engagement; in simulation this policy approves a
    proposal ``approve_delay_s`` after it is made, unless it expired first.
    """

    approve_delay_s: float = 20.0
    proposal_ttl_s: float = 60.0
    approve: bool = True
    engagement: FiringDoctrine = "cost-aware"
    """The advice's firing doctrine, ``EngagementConfig.policy`` ("cost-aware" or
    "most-capable-first")."""

    def __post_init__(self) -> None:
        if self.engagement not in get_args(FiringDoctrine):
            raise ValueError(
                f"engagement must be 'cost-aware' or 'most-capable-first', not {self.engagement!r}"
            )
        if self.approve_delay_s < 0 or self.proposal_ttl_s <= 0:
            raise ValueError("approve_delay_s must be >= 0 and proposal_ttl_s > 0")
