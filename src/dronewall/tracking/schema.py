"""The tracker configuration file (YAML): its schema, reflected from :class:`TrackerConfig`.

A file is a flat mapping of :class:`~dronewall.tracking.tracker.TrackerConfig` field names to
values; every key is optional (the dataclass default applies) and unknown keys are refused::

    # tracker.yaml
    q_horizontal: 16.0        # m²/s³
    confirm_m: 3
    confirm_n: 5
    confirmed_max_position_std: .inf

The pydantic model is built by reflecting ``dataclasses.fields(TrackerConfig)`` and their type
hints, so a field added to the dataclass is accepted by the file format without a change here.
Scalars are validated strictly (no ``"3"`` for an integer, no ``1`` for a boolean; an integer is
a valid float); a field whose type is itself a dataclass is a nested mapping validated the same
way. The values are then checked by ``TrackerConfig.__post_init__``; every error, from the
schema or from the dataclass, is a :class:`~dronewall.core.errors.ConfigError` naming the file,
the line and the field.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import typing
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from dronewall.core.errors import ConfigError, DronewallError
from dronewall.core.yamlio import Loc, line_of, load_yaml
from dronewall.tracking.tracker import TrackerConfig

D = TypeVar("D")


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def _field_type(tp: Any) -> Any:
    """The pydantic type for a dataclass field's type hint."""
    if _is_dataclass_type(tp):
        return dataclass_model(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return Annotated[tp, Field(strict=False)]  # enum fields take their values from YAML
    if typing.get_origin(tp) is tuple:
        return Annotated[tp, Field(strict=False)]  # YAML has lists, not tuples
    return tp


_MODELS: dict[type[Any], type[BaseModel]] = {}


def dataclass_model(cls: type[Any]) -> type[BaseModel]:
    """A strict pydantic model of the init fields of dataclass ``cls``, unknown keys refused.

    Fields keep their defaults (required when the dataclass has none); type hints that cannot be
    resolved are accepted as ``Any`` and left to the dataclass to check. Built once per class.
    """
    if cls in _MODELS:
        return _MODELS[cls]
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):
        hints = {}
    spec: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.name.startswith("_"):
            continue
        tp = _field_type(hints.get(f.name, Any))
        if f.default is not dataclasses.MISSING:
            spec[f.name] = (tp, f.default)
        elif f.default_factory is not dataclasses.MISSING:
            spec[f.name] = (tp, Field(default_factory=f.default_factory))
        else:
            spec[f.name] = (tp, ...)
    config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True, frozen=True)
    model: type[BaseModel] = create_model(f"{cls.__name__}File", __config__=config, **spec)
    _MODELS[cls] = model
    return model


def _to_dataclass(cls: type[D], model: BaseModel) -> D:
    """The dataclass of a validated model, with only the keys the file gave (defaults apply)."""
    kwargs: dict[str, Any] = {}
    for name in model.model_fields_set:
        value = getattr(model, name)
        hint = _hint(cls, name)
        if isinstance(value, BaseModel) and _is_dataclass_type(hint):
            value = _to_dataclass(hint, value)
        kwargs[name] = value
    return cls(**kwargs)


def _hint(cls: type[Any], name: str) -> Any:
    try:
        return typing.get_type_hints(cls).get(name)
    except (NameError, TypeError):
        return None


def load_dataclass_yaml(cls: type[D], path: Path) -> D:
    """Read YAML file ``path`` into dataclass ``cls`` through :func:`dataclass_model`.

    Raises
    ------
    ConfigError
        Naming the file, the line and the field: bad YAML, not a mapping, an unknown key, a value
        of the wrong type, or a value the dataclass's ``__post_init__`` refuses.
    """
    source = str(path)
    data, lines = load_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            "the top level must be a mapping of parameter names to values",
            source=source,
            line=1,
            expected="a mapping",
            actual=type(data).__name__,
        )
    model = dataclass_model(cls)
    try:
        validated = model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        actual = err.get("input")
        expected = None
        if err["type"] == "extra_forbidden":
            expected = "one of " + ", ".join(model.model_fields)
        raise ConfigError(
            f"{err['msg']}{more}",
            source=source,
            line=line_of(lines, loc),
            field=".".join(str(p) for p in loc) or None,
            expected=expected,
            actual=None if isinstance(actual, dict | list) else repr(actual),
        ) from exc
    try:
        return _to_dataclass(cls, validated)
    except ValueError as exc:  # __post_init__: ConfigError, or a component's ValueError
        raise _locate(exc, data, lines, source) from exc


def _locate(
    exc: ValueError, data: dict[str, Any], lines: dict[Loc, int], source: str
) -> ConfigError:
    """``exc`` from a dataclass ``__post_init__`` as a ConfigError at the line of its field.

    The field is looked up among the file's keys at any depth (a nested dataclass names its own
    field). A component's field name may be shorter than the config's (``probability`` of the gate
    for ``gate_probability``): a key ending in ``_<field>`` is taken when it is the only one. A
    field the file does not set (its default clashes with a value that is set) is reported at the
    line of a key the error names, if any.
    """
    name = exc.field if isinstance(exc, DronewallError) else None
    loc: Loc | None = None
    keys = [k for k in lines if k and isinstance(k[-1], str)]
    if name is not None:
        exact = [k for k in keys if k[-1] == name]
        near = [k for k in keys if str(k[-1]).endswith("_" + name)]
        found = exact if exact else near
        loc = found[0] if len(found) == 1 else None
    message = exc.message if isinstance(exc, DronewallError) else str(exc)
    line_loc = loc
    if name is not None and loc is None:
        # the default clashes with a value the file sets: point at a file key the error names
        said = f"{message} {exc.expected or ''}" if isinstance(exc, DronewallError) else message
        named = [k for k in keys if re.search(rf"\b{re.escape(str(k[-1]))}\b", said)]
        line_loc = named[0] if named else None
        see = f"; see {'.'.join(map(str, line_loc))}" if line_loc else ""
        message += f" ({name} keeps its default{see})"
    return ConfigError(
        message,
        source=source,
        line=None if line_loc is None else lines.get(line_loc),
        field=".".join(map(str, loc)) if loc else name,
        expected=exc.expected if isinstance(exc, DronewallError) else None,
        actual=exc.actual if isinstance(exc, DronewallError) else None,
    )


def tracker_config_model() -> type[BaseModel]:
    """The pydantic model of the tracker configuration file."""
    return dataclass_model(TrackerConfig)


def load_tracker_config(path: Path) -> TrackerConfig:
    """Read a tracker configuration file (module docstring) into a :class:`TrackerConfig`.

    Raises
    ------
    ConfigError
        Naming the file, the line and the field of the problem.
    """
    return load_dataclass_yaml(TrackerConfig, Path(path))
