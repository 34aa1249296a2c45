"""The world model: protected sites, effector and object catalogues, base map (package data)."""

from dronewall.world.catalogue import EffectorType, ObjectType, Site, World
from dronewall.world.deployment import (
    FireUnitSpec,
    NoFireZone,
    OperatorPolicy,
    RulesOfEngagement,
)
from dronewall.world.load import basemap_path, data_dir, load_world

__all__ = [
    "EffectorType",
    "FireUnitSpec",
    "NoFireZone",
    "ObjectType",
    "OperatorPolicy",
    "RulesOfEngagement",
    "Site",
    "World",
    "basemap_path",
    "data_dir",
    "load_world",
]
