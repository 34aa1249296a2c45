"""A passive RF detector / direction finder: hears drone links, reports bearings and Remote ID.

Data layout
-----------
:meth:`RfDetector.observe` returns, first, ``BEARING`` rows: ``z = (azimuth, nan, nan)`` in
radians from the detector (clockwise from north, ``[0, 2π)``; elevation NaN: azimuth only), ``R``
with ``R[0, 0] = σ_az²`` and zeros elsewhere, ``protocol`` the heard link's
:class:`~dronewall.core.measurements.RfProtocol` code; then, with ``remote_id`` on, ``POSITION``
rows of decoded broadcast Remote ID: ``z`` the drone's own GNSS position (ENU m),
``R = diag(σ², σ², σ_v²)``, ``ident`` the drone's Remote ID (a stable 41-bit number per drone,
above the 24-bit ICAO range), ``protocol`` ``WIFI``. Each part in ascending object index.
:meth:`RfDetector.observe_detail` adds, row-aligned, the attribute ``operator_pos (M, 3)`` (the
broadcast pilot position, NaN on bearing rows) and the truth attribute ``rid_spoofed (M,)``
(for scoring only).

Model
-----
* A link is heard when the object emits (``rf_protocol != NONE``: fibre-optic, autonomous and
  non-drone objects are silent, whatever the range), lies within both ``max_range_m`` and the
  range of its protocol in ``link_ranges_m`` (a protocol not listed is not recognised: military
  data links), and a Bernoulli draw of ``pd`` succeeds (no link budget, no terrain masking:
  assumptions). The measured azimuth has Gaussian error ``sigma_az_deg``.
* Broadcast Remote ID (ASTM F3411 / ASD-STAN EN 4709-002, over Wi-Fi beacon or Bluetooth) is sent
  by consumer drones (:meth:`~dronewall.sensors.base.Scene.broadcasts_remote_id`) and decoded
  within ``rid_range_m`` with probability ``rid_pd`` per update. The drone's position has a
  Gaussian error ``rid_sigma_h_m`` per horizontal axis and ``rid_sigma_v_m`` vertically. The
  operator position is ``Scene.operator_pos`` (unknown: the ground point below the drone, a pilot
  in visual line of sight); a fraction ``spoof_fraction`` of the broadcasting drones, chosen per
  drone by :func:`~dronewall.sensors.base.object_uniform` with salt ``spoof_salt`` (so that every
  detector and every update agrees), broadcast an operator position displaced by
  ``spoof_offset_m`` in a direction fixed per drone. Remote ID is not authenticated: nothing in
  the broadcast tells a spoofed one apart, so the flag is truth only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.core.measurements import F64, DetectionBatch, MeasurementKind, RfProtocol
from dronewall.sensors.base import (
    Observation,
    Scene,
    SensorInfo,
    SensorModel,
    enu_to_polar,
    object_uniform,
    parse_label_table,
    require_positive,
    require_probability,
    wrap_2pi,
)

#: Labels of the recognisable protocols, as ``link_ranges_m`` names them.
PROTOCOL_LABELS: tuple[str, ...] = tuple(
    p.name.lower().replace("_", "-") for p in RfProtocol if p != RfProtocol.NONE
)
#: Remote ID numbers start above every 24-bit ICAO address.
REMOTE_ID_BASE = 1 << 40
_IDENT_SALT = 0x52454D4F54454944  # "REMOTEID"


def remote_id_ident(index: F64 | np.ndarray, salt: int = _IDENT_SALT) -> np.ndarray:
    """The Remote ID number ``(K,) int64`` of objects ``index``: stable per object, opaque."""
    u = object_uniform(np.asarray(index), salt)
    return np.asarray(REMOTE_ID_BASE + np.floor(u * REMOTE_ID_BASE), dtype=np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class RfConfig:
    """Parameters of an RF detector.

    Attributes
    ----------
    period_s : float, s
        Update period.
    max_range_m : float, m
        Range cap of the receiver.
    link_ranges_m : tuple of str
        ``"protocol:range"`` entries: the range in metres at which each recognised link is heard
        (labels of :data:`PROTOCOL_LABELS`; an unlisted protocol is never recognised).
    pd : float
        Probability of hearing an emitting object in range, per update.
    sigma_az_deg : float, deg
        One-sigma bearing error.
    remote_id : bool
        Whether the detector decodes broadcast Remote ID.
    rid_range_m : float, m
        Reception range of broadcast Remote ID.
    rid_pd : float
        Probability a Remote ID position message is decoded per update.
    rid_sigma_h_m, rid_sigma_v_m : float, m
        One-sigma error of the broadcast drone position (horizontal per axis, vertical).
    spoof_fraction : float
        Fraction of broadcasting drones that spoof their operator position.
    spoof_offset_m : float, m
        Distance of a spoofed operator position from the true one.
    spoof_salt : int
        Salt of the per-drone draw of who spoofs (same salt: same drones, in every detector).
    """

    period_s: float
    max_range_m: float
    link_ranges_m: tuple[str, ...]
    pd: float
    sigma_az_deg: float
    remote_id: bool
    rid_range_m: float
    rid_pd: float
    rid_sigma_h_m: float
    rid_sigma_v_m: float
    spoof_fraction: float
    spoof_offset_m: float
    spoof_salt: int

    def __post_init__(self) -> None:
        require_positive(
            self, "period_s", "max_range_m", "sigma_az_deg", "rid_range_m", "rid_sigma_h_m"
        )
        require_positive(self, "rid_sigma_v_m")
        require_probability(self, "pd", "rid_pd", "spoof_fraction")
        if not self.spoof_offset_m >= 0:
            raise ValueError(f"RfConfig.spoof_offset_m must be >= 0, got {self.spoof_offset_m}")
        parse_label_table(self, "link_ranges_m", PROTOCOL_LABELS, require_all=False)

    def link_range(self) -> F64:
        """Range ``(len(RfProtocol) - 1,) m`` by protocol code (0 for unrecognised ones)."""
        table = parse_label_table(self, "link_ranges_m", PROTOCOL_LABELS, require_all=False)
        return np.array(
            [min(table.get(lbl, 0.0), self.max_range_m) for lbl in PROTOCOL_LABELS],
            dtype=np.float64,
        )


class RfDetector(SensorModel[RfConfig]):
    """Bearing-only detector of RF-emitting drones, with a broadcast Remote ID receiver."""

    def __init__(self, config: RfConfig, info: SensorInfo) -> None:
        super().__init__(config, info)
        self._sigma_az = float(np.radians(config.sigma_az_deg))
        self._link_range = config.link_range()

    def observe(self, t: float, scene: Scene, rng: np.random.Generator) -> DetectionBatch:
        """Bearings (and Remote ID positions) at time ``t`` of the objects heard."""
        return self.observe_detail(t, scene, rng).batch

    def spoofs(self, index: np.ndarray) -> tuple[np.ndarray, F64]:
        """Which objects spoof their operator position ``(K,) bool``, and the ENU offset (K, 3)."""
        c = self.config
        spoofed = object_uniform(index, c.spoof_salt) < c.spoof_fraction
        phi = 2.0 * np.pi * object_uniform(index, c.spoof_salt ^ 0x5A5A5A5A)
        off = c.spoof_offset_m * np.column_stack([np.sin(phi), np.cos(phi), np.zeros_like(phi)])
        return spoofed, off

    def observe_detail(self, t: float, scene: Scene, rng: np.random.Generator) -> Observation:
        """:meth:`observe` with the operator positions and the truth of spoofing."""
        c = self.config
        s = self._info.pos_enu
        k = len(scene)
        r, az, _ = enu_to_polar(scene.pos - s)
        proto = scene.rf_protocol.astype(np.int64)
        emits = proto != int(RfProtocol.NONE)
        rng_link = np.where(emits, self._link_range[np.clip(proto, 0, None)], 0.0)
        heard = scene.alive & emits & (r <= rng_link)
        heard &= rng.random(k) < c.pd
        noise = rng.standard_normal(k) * self._sigma_az
        idx = np.flatnonzero(heard)
        m = idx.shape[0]
        z = np.full((m, 3), np.nan)
        z[:, 0] = wrap_2pi(az[idx] + noise[idx])
        R = np.zeros((m, 3, 3))
        R[:, 0, 0] = self._sigma_az**2
        bearings = DetectionBatch.build(
            t=np.full(m, t),
            sensor=self._info.index,
            kind=MeasurementKind.BEARING,
            z=z,
            R=R,
            sensor_pos=s,
            protocol=scene.rf_protocol[idx],
            truth=idx.astype(np.int32),
        )
        if not c.remote_id:
            return Observation(
                batch=bearings,
                attributes={"operator_pos": np.full((m, 3), np.nan)},
                truth_attributes={"rid_spoofed": np.zeros(m, bool)},
            )
        rid = self._remote_id(t, scene, r, rng)
        return Observation(
            batch=DetectionBatch.concat([bearings, rid.batch]),
            attributes={
                "operator_pos": np.concatenate(
                    [np.full((m, 3), np.nan), rid.attributes["operator_pos"]]
                )
            },
            truth_attributes={
                "rid_spoofed": np.concatenate(
                    [np.zeros(m, bool), rid.truth_attributes["rid_spoofed"]]
                )
            },
        )

    def _remote_id(self, t: float, scene: Scene, r: F64, rng: np.random.Generator) -> Observation:
        c = self.config
        k = len(scene)
        got = scene.alive & scene.broadcasts_remote_id() & (r <= c.rid_range_m)
        got &= rng.random(k) < c.rid_pd
        sig = np.array([c.rid_sigma_h_m, c.rid_sigma_h_m, c.rid_sigma_v_m])
        noise = rng.standard_normal((k, 3)) * sig
        idx = np.flatnonzero(got)
        if scene.operator_pos is not None:
            op = scene.operator_pos[idx].copy()
        else:
            op = scene.pos[idx] * np.array([1.0, 1.0, 0.0])
        spoofed, off = self.spoofs(idx)
        op[spoofed] += off[spoofed]
        batch = DetectionBatch.build(
            t=np.full(idx.shape[0], t),
            sensor=self._info.index,
            kind=MeasurementKind.POSITION,
            z=scene.pos[idx] + noise[idx],
            R=np.diag(sig**2),
            sensor_pos=self._info.pos_enu,
            ident=remote_id_ident(idx),
            protocol=np.full(idx.shape[0], int(RfProtocol.WIFI), np.int16),
            truth=idx.astype(np.int32),
        )
        return Observation(
            batch=batch,
            attributes={"operator_pos": op},
            truth_attributes={"rid_spoofed": spoofed},
        )
