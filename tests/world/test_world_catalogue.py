"""The world model loads, every real-world figure carries a source, and bad files are named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from dronewall.core import ConfigError, Layer, ObjectClass
from dronewall.world import data_dir, load_world
from dronewall.world.schema import SOURCE_TAG, build_world

DOMAIN_SITES = {
    "doel": (51.3253, 4.2592),
    "tihange": (50.5345, 5.2727),
    "kleine-brogel": (51.1683, 5.4700),
    "brussels-airport": (50.9014, 4.4844),
    "elsenborn": (50.465, 6.225),
}


def test_world_loads_with_all_layers_and_classes() -> None:
    world = load_world()
    assert len(world.sites) >= 26
    layers = {e.layer for e in world.effectors.values()}
    assert layers == set(Layer), f"missing layers: {set(Layer) - layers}"
    classes = {o.object_class for o in world.objects.values()}
    assert classes == set(ObjectClass) - {ObjectClass.CLUTTER}


@pytest.mark.parametrize(("site", "latlon"), DOMAIN_SITES.items())
def test_site_coordinates_match_domain_reference(site: str, latlon: tuple[float, float]) -> None:
    s = load_world().sites[site]
    assert (s.lat_deg, s.lon_deg) == pytest.approx(latlon)
    assert s.core_radius_m < s.alert_radius_m


def test_every_numeric_figure_has_a_source_tag() -> None:
    for name in ("sites.yaml", "effectors.yaml", "objects.yaml"):
        data = yaml.safe_load((data_dir() / name).read_text())
        entries = next(v for k, v in data.items() if isinstance(v, list))
        for entry in entries:
            numeric = {
                k
                for k, v in entry.items()
                if k != "sources"
                and (isinstance(v, int | float | dict) and not isinstance(v, bool))
            }
            untagged = numeric - set(entry["sources"])
            assert not untagged, f"{name}: {entry['id']} has no source for {sorted(untagged)}"
            for tag in entry["sources"].values():
                assert SOURCE_TAG.match(tag), f"{name}: {entry['id']} has a bad tag {tag!r}"


def test_every_pk_is_an_assumption() -> None:
    # No kill probability of any real effector is public (DOMAIN.md).
    for eff in load_world().effectors.values():
        assert eff.sources["pk"].startswith("A"), eff.id


def test_jammer_only_defeats_rf_links() -> None:
    world = load_world()
    jammers = [e for e in world.effectors.values() if e.layer is Layer.EW]
    assert jammers
    assert all(e.rf_link_only and not e.kinetic for e in jammers)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "data"
    shutil.copytree(data_dir(), dst)
    return dst


def test_missing_source_is_reported_with_file_line_and_field(data_copy: Path) -> None:
    path = data_copy / "objects.yaml"
    text = path.read_text()
    text = text.replace('rcs_m2: GK, cost_eur: "GK (2-5 kEUR, mid value)"', "cost_eur: GK", 1)
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        build_world(data_copy)
    err = info.value
    assert err.source == str(path)
    assert err.field == "objects[0]"
    assert err.line is not None
    assert text.splitlines()[err.line - 1].strip().startswith("- id: quadcopter")
    assert "rcs_m2" in err.message


def test_wrong_type_names_the_line(data_copy: Path) -> None:
    path = data_copy / "effectors.yaml"
    text = path.read_text().replace("max_range_m: 6500", "max_range_m: far", 1)
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        build_world(data_copy)
    err = info.value
    assert err.line is not None
    assert "max_range_m: far" in text.splitlines()[err.line - 1]
    assert err.field is not None
    assert err.field.endswith("max_range_m")


def test_unknown_class_in_pk_is_refused(data_copy: Path) -> None:
    path = data_copy / "effectors.yaml"
    path.write_text(path.read_text().replace("pk: {quadcopter: 0.8,", "pk: {ufo: 0.8,", 1))
    with pytest.raises(ConfigError, match="unknown class 'ufo'"):
        build_world(data_copy)


def test_invalid_yaml_names_the_line(data_copy: Path) -> None:
    path = data_copy / "sites.yaml"
    lines = path.read_text().splitlines()
    lines[20] = "    lat: [unclosed"
    path.write_text("\n".join(lines))
    with pytest.raises(ConfigError) as info:
        build_world(data_copy)
    assert info.value.line is not None
    assert "YAML" in info.value.message
