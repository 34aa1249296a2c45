"""Sensor models: radar, RF detector, EO/IR camera, acoustic array, ADS-B, human sightings.

Each model is a class with a frozen config dataclass; ``observe(t, scene, rng)`` is vectorised over
all objects of a :class:`Scene` at one time and returns a
:class:`~dronewall.core.measurements.DetectionBatch` in the run's local ENU frame. Parameters come
from named presets in ``sensors/data/presets.yaml`` (each with a source tag), built from a
:class:`SensorSpec` by :func:`build_sensor`. This package never imports :mod:`dronewall.sim`.
"""

from dronewall.sensors.acoustic import AcousticConfig, AcousticSensor
from dronewall.sensors.adsb import AdsbConfig, AdsbReceiver
from dronewall.sensors.base import (
    SENSOR_KINDS,
    Observation,
    Scene,
    Sensor,
    SensorInfo,
    SensorKind,
    SensorSpec,
    converted_covariance,
    enu_to_polar,
    polar_to_enu,
)
from dronewall.sensors.eoir import EoirCamera, EoirConfig
from dronewall.sensors.factory import (
    DEFAULT_PRESETS,
    Preset,
    build_sensor,
    build_sensors,
    load_presets,
    make_config,
    spec_config,
)
from dronewall.sensors.radar import RadarConfig, RadarSensor
from dronewall.sensors.rf import RfConfig, RfDetector
from dronewall.sensors.sightings import SightingConfig, SightingReports

__all__ = [
    "DEFAULT_PRESETS",
    "SENSOR_KINDS",
    "AcousticConfig",
    "AcousticSensor",
    "AdsbConfig",
    "AdsbReceiver",
    "EoirCamera",
    "EoirConfig",
    "Observation",
    "Preset",
    "RadarConfig",
    "RadarSensor",
    "RfConfig",
    "RfDetector",
    "Scene",
    "Sensor",
    "SensorInfo",
    "SensorKind",
    "SensorSpec",
    "SightingConfig",
    "SightingReports",
    "build_sensor",
    "build_sensors",
    "converted_covariance",
    "enu_to_polar",
    "load_presets",
    "make_config",
    "polar_to_enu",
    "spec_config",
]
