"""Loading the world model shipped as package data."""

from __future__ import annotations

from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from dronewall.world.catalogue import World
from dronewall.world.schema import build_world


def data_dir() -> Path:
    """The folder of the world data files inside the installed package."""
    return Path(str(files("dronewall.world") / "data"))


def basemap_path() -> Path:
    """GeoJSON outlines of Belgium, the Netherlands, Luxembourg and neighbours (Natural Earth)."""
    return data_dir() / "benelux_neighbours_10m.geojson"


@lru_cache(maxsize=4)
def load_world(path: Path | None = None) -> World:
    """Load and validate the world model (sites, effectors, objects); cached per folder."""
    return build_world(data_dir() if path is None else path)
