"""The tracker configuration file: reflected from TrackerConfig, errors at the file's line."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dronewall.core.errors import ConfigError
from dronewall.tracking import TrackerConfig
from dronewall.tracking.schema import (
    dataclass_model,
    load_dataclass_yaml,
    load_tracker_config,
    tracker_config_model,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tracker.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_model_has_exactly_the_dataclass_fields() -> None:
    model = tracker_config_model()
    assert set(model.model_fields) == {f.name for f in dataclasses.fields(TrackerConfig)}
    for f in dataclasses.fields(TrackerConfig):
        if f.default is not dataclasses.MISSING:
            assert model.model_fields[f.name].default == f.default


def test_values_are_read_and_the_rest_keep_their_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# a tracker for a quiet site\n"
        "q_horizontal: 16          # an int is a valid float\n"
        "confirm_m: 2\n"
        "confirm_n: 4\n"
        "use_ident: false\n"
        "confirmed_max_position_std: .inf\n",
    )
    cfg = load_tracker_config(path)
    assert cfg == TrackerConfig(
        q_horizontal=16.0,
        confirm_m=2,
        confirm_n=4,
        use_ident=False,
        confirmed_max_position_std=math.inf,
    )
    assert isinstance(cfg.q_horizontal, float)
    assert load_tracker_config(write(tmp_path, "# nothing set\n")) == TrackerConfig()


@pytest.mark.parametrize(
    ("text", "line", "field", "message"),
    [
        ("q_horizontal: 9\nconfirm_mm: 3\n", 2, "confirm_mm", "Extra inputs are not permitted"),
        ("q_horizontal: fast\n", 1, "q_horizontal", "valid number"),
        ("q_vertical: 2\n\nuse_ident: 1\n", 3, "use_ident", "valid boolean"),
        ("confirm_m: '3'\n", 1, "confirm_m", "valid integer"),
        ("confirm_m: 3.5\n", 1, "confirm_m", "valid integer"),
        # refused by TrackerConfig.__post_init__ ...
        ("q_vertical: 2\nmax_speed: -5\n", 2, "max_speed", "must be finite and positive"),
        ("confirm_n: 5\nconfirm_m: 6\n", 2, "confirm_m", "M-of-N"),
        ("q_vertical: 2\ngate_probability: 1.5\n", 2, "gate_probability", "between 0 and 1"),
        # ... or by a default that clashes with a value set: the line of that value
        ("q_vertical: 2\nconfirm_n: 2\n", 2, "confirm_m", "confirm_m keeps its default"),
    ],
)
def test_errors_name_the_file_the_line_and_the_field(
    tmp_path: Path, text: str, line: int, field: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_tracker_config(path)
    e = err.value
    assert (e.source, e.line, e.field) == (str(path), line, field), str(e)
    assert message in str(e)
    assert f"{path}:{line}" in str(e)


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_tracker_config(write(tmp_path, "q_horiz: 3\n"))
    assert err.value.expected is not None
    assert "q_horizontal" in err.value.expected


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("q_horizontal: [1,\n", 2, "not valid YAML"),
        ("- q_horizontal\n", 1, "top level must be a mapping"),
    ],
)
def test_not_a_mapping_or_not_yaml(tmp_path: Path, text: str, line: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        load_tracker_config(write(tmp_path, text))
    assert err.value.line == line


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_tracker_config(tmp_path / "none.yaml")


# A stand-in for fields the tracking engineer adds later: reflected without any change here.


@dataclass(frozen=True, slots=True, kw_only=True)
class _ImmConfig:
    p_stay: float = 0.95

    def __post_init__(self) -> None:
        if not 0.0 < self.p_stay < 1.0:
            raise ConfigError("must lie in (0, 1)", field="p_stay")


@dataclass(frozen=True, slots=True, kw_only=True)
class _FutureConfig:
    q_horizontal: float = 9.0
    motion_model: str = "imm"
    associator: str = "jpda"
    initiator: str = "mofn"
    imm: _ImmConfig = field(default_factory=_ImmConfig)
    gate_probability: float = 0.99
    required_thing: int

    def __post_init__(self) -> None:
        # a component that calls the field by its own, shorter name
        if not 0.0 < self.gate_probability < 1.0:
            raise ConfigError("must lie in (0, 1)", field="probability")


def test_new_fields_and_nested_dataclasses_are_picked_up_by_reflection(tmp_path: Path) -> None:
    assert set(dataclass_model(_FutureConfig).model_fields) == {
        "q_horizontal",
        "motion_model",
        "associator",
        "initiator",
        "imm",
        "gate_probability",
        "required_thing",
    }
    cfg = load_dataclass_yaml(
        _FutureConfig,
        write(tmp_path, "motion_model: ncv\nrequired_thing: 3\nimm:\n  p_stay: 0.9\n"),
    )
    assert cfg == _FutureConfig(motion_model="ncv", required_thing=3, imm=_ImmConfig(p_stay=0.9))
    with pytest.raises(ConfigError) as err:
        load_dataclass_yaml(_FutureConfig, write(tmp_path, "required_thing: 3\nimm:\n  p_go: 1\n"))
    assert (err.value.line, err.value.field) == (3, "imm.p_go")
    with pytest.raises(ConfigError) as err:
        load_dataclass_yaml(
            _FutureConfig, write(tmp_path, "required_thing: 3\nimm:\n  p_stay: 2.0\n")
        )
    assert (err.value.line, err.value.field) == (3, "imm.p_stay")
    with pytest.raises(ConfigError) as err:
        load_dataclass_yaml(
            _FutureConfig, write(tmp_path, "required_thing: 3\n\ngate_probability: 1.5\n")
        )
    assert (err.value.line, err.value.field) == (3, "gate_probability")
    with pytest.raises(ConfigError) as err:
        load_dataclass_yaml(_FutureConfig, write(tmp_path, "motion_model: imm\n"))
    assert err.value.field == "required_thing"


def test_tuple_fields_are_read_from_yaml_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "motion_model: imm\nimm_turn_rates: [0.2, 0.5, 1]\n")
    assert load_tracker_config(path).imm_turn_rates == (0.2, 0.5, 1.0)
    bad = write(tmp_path, "imm_turn_rates: [0.2, fast]\n")
    with pytest.raises(ConfigError, match=r"imm_turn_rates\.1"):
        load_tracker_config(bad)
