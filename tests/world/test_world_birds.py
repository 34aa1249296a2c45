"""Bird habitat: sourced data, the disc-overlap geometry and the seasonal census."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from dronewall.core import ConfigError
from dronewall.world import data_dir, load_world
from dronewall.world.birds import bird_census, disc_overlap_m2
from dronewall.world.schema import SOURCE_TAG, build_world


def test_every_bird_figure_and_water_body_is_sourced() -> None:
    data = yaml.safe_load((data_dir() / "birds.yaml").read_text())
    numeric = {k for k, v in data.items() if k not in ("sources", "water_bodies")}
    assert numeric <= set(data["sources"])
    for w in data["water_bodies"]:
        assert {"lat", "lon", "radius_m"} <= set(w["sources"]), w["id"]
        for tag in w["sources"].values():
            assert SOURCE_TAG.match(tag)
    habitat = load_world().birds
    assert habitat is not None
    assert len(habitat.water_bodies) == len(data["water_bodies"])


def test_disc_overlap_matches_sampling() -> None:
    rng = np.random.default_rng(1)
    for r1, r2, d in [(1000, 400, 0), (1000, 400, 900), (1000, 400, 1500), (500, 500, 500)]:
        pts = rng.uniform(-r1, r1, (400_000, 2))
        in1 = np.hypot(pts[:, 0], pts[:, 1]) <= r1
        in2 = np.hypot(pts[:, 0] - d, pts[:, 1]) <= r2
        mc = np.mean(in1 & in2) * (2 * r1) ** 2
        assert disc_overlap_m2(r1, r2, d) == pytest.approx(mc, rel=0.03, abs=2000.0)
    assert disc_overlap_m2(1000, 400, 1400) == 0.0
    assert disc_overlap_m2(1000, 400, 100) == pytest.approx(math.pi * 400**2)


def test_census_scales_with_season_and_water() -> None:
    h = load_world().birds
    assert h is not None
    doel = load_world().sites["doel"]
    oct_ = bird_census(h, doel.lat_deg, doel.lon_deg, 8000, 10)
    jan = bird_census(h, doel.lat_deg, doel.lon_deg, 8000, 1)
    assert oct_.expected_flocks / jan.expected_flocks == pytest.approx(1.6 / 0.8)
    assert {w.id for w in oct_.water} >= {"saeftinghe", "scheldt-doel"}
    assert oct_.p_water > 0.3
    # far from any water body: the plain density, nothing over water
    dry = bird_census(h, 50.0, 5.0, 5000, 6)
    assert dry.water == ()
    assert dry.p_water == 0.0
    assert dry.expected_flocks == pytest.approx(0.9 * h.flocks_per_km2 * math.pi * 25.0)
    assert bird_census(h, 50.0, 5.0, 5000, 6, factor=0.0).n_flocks == 0
    with pytest.raises(ValueError, match="month"):
        bird_census(h, 50.0, 5.0, 5000, 13)


def test_bad_birds_file_is_named(tmp_path: Path) -> None:
    data_copy = tmp_path / "data"
    shutil.copytree(data_dir(), data_copy)
    text = (data_copy / "birds.yaml").read_text()
    (data_copy / "birds.yaml").write_text(text.replace("water_factor: 8.0", "water_factor: 0.5"))
    with pytest.raises(ConfigError) as exc:
        build_world(data_copy)
    assert "birds.yaml" in str(exc.value)
    assert "water_factor" in str(exc.value)
    (data_copy / "birds.yaml").unlink()
    assert build_world(data_copy).birds is None  # optional: a world without birds still loads
