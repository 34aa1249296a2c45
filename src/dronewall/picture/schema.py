"""The relational schema of the event store (SQLAlchemy Core tables), version 4.

Data layout
-----------
Every table but ``schema_meta`` and ``audit_log`` carries ``run_id`` (a foreign key to ``runs``), so
one store holds any number of runs. Units are SI; positions are given both in the run's local ENU
frame (``e, n, u`` metres from the run origin in ``runs``) and in WGS84 (``lat, lon`` degrees,
``h`` metres above the ellipsoid). Times ``t`` are float64 UTC epoch seconds. A float64 NaN is
stored as SQL ``NULL`` (on both SQLite and PostgreSQL) and read back as NaN.

=================  ==========================================================================
table              rows
=================  ==========================================================================
``schema_meta``    key/value text pairs; ``schema_version`` is :data:`SCHEMA_VERSION`
``runs``           one per run: scenario, seed, ``t0``, ENU origin, UTC start/finish (ISO 8601),
                   config and summary (JSON), status ``running``/``finished``/``failed``
``sites``          protected sites of the run (``idx`` = position in the run's site list)
``sensors``        sensors (``idx`` = the ``sensor`` column of detections)
``fire_units``     deployed fire units
``objects``        simulation truth metadata per object (``idx`` = the ``truth`` column)
``truth``          simulated object states at ``t``: ENU state and WGS84 position
``detections``     one per :class:`~dronewall.core.DetectionBatch` row; ``R`` as its 6 upper
                   triangle entries ``r00 r01 r02 r11 r12 r22``; ``cue`` the EO/IR class cue
                   (an :class:`~dronewall.core.ObjectClass` code), ``NULL`` for none (the
                   batch's -1)
``track_updates``  one per track per snapshot: state, WGS84 position, the 6 upper triangle
                   entries of the position covariance ``P[:3, :3]`` (``p_ee p_en p_eu p_nn p_nu
                   p_uu``), the velocity variances ``p_ve p_vn p_vu`` (diagonal of ``P[3:, 3:]``),
                   class, identity, threat
``events``         discrete pipeline events; ``payload`` JSON
``audit_log``      append-only record of human decisions: ``wall_time`` (UTC epoch seconds),
                   ``user``, ``role``, ``action``, ``item``, ``reason``; UPDATE and DELETE are
                   refused by database triggers
=================  ==========================================================================

The bulk tables (``truth``, ``detections``, ``track_updates``, ``events``) and ``audit_log`` have a
store-wide ``seq`` primary key that increases in insertion order; readers order by it, so a run
replays in the order it was written. (On SQLite it is the rowid, so it costs no extra index.)

Portability
-----------
Only portable SQLAlchemy types are used (``SmallInteger``, ``Integer``, ``BigInteger``,
``Double``, ``String``, ``Text``, ``JSON``), so the same metadata describes the schema on SQLite
and PostgreSQL. ``Double`` is a float64 on both (SQLite ``REAL``, PostgreSQL ``DOUBLE
PRECISION``), so floats round-trip exactly. ``seq`` is a ``BIGSERIAL`` on PostgreSQL and the
rowid (``INTEGER PRIMARY KEY``) on SQLite. The only dialect-specific DDL is the audit log's
triggers (in the migrations).

Versioning
----------
The tables are created and upgraded by the Alembic revisions in
:mod:`dronewall.picture.migrations` (one revision per schema version: revision ``"0004"`` is
version 4); these tables are what the newest revision produces, which a test checks on both
dialects. :data:`SCHEMA_VERSION` is also kept in ``schema_meta`` so that a dronewall older than
the Alembic revisions refuses a newer store cleanly. Version 2 added the detections'
``range_rate`` and ``range_rate_var``; version 3 added ``audit_log``; version 4 added the
detections' ``cue``.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 4
"""Version of the schema this code writes and reads (= the number of the newest revision)."""

RUN_STATUSES = ("running", "finished", "failed")

metadata = sa.MetaData()

# Store-wide insertion order: BIGINT identity on PostgreSQL, the rowid on SQLite.
_SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _run_id() -> sa.Column[int]:
    return sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False
    )


def _seq() -> sa.Column[int]:
    return sa.Column("seq", _SeqType, primary_key=True, autoincrement=True)


def _f(name: str, nullable: bool = True) -> sa.Column[float]:
    return sa.Column(name, sa.Double, nullable=nullable)


schema_meta = sa.Table(
    "schema_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("scenario", sa.String(200), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    _f("t0", nullable=False),
    _f("origin_lat", nullable=False),
    _f("origin_lon", nullable=False),
    _f("origin_h", nullable=False),
    sa.Column("started_utc", sa.String(40), nullable=False),
    sa.Column("finished_utc", sa.String(40), nullable=True),
    sa.Column("config", sa.JSON, nullable=False),
    sa.Column("summary", sa.JSON, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
)

sites = sa.Table(
    "sites",
    metadata,
    _run_id(),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("site_id", sa.String(100), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    _f("lat", nullable=False),
    _f("lon", nullable=False),
    _f("value"),
    _f("alert_radius_m"),
    _f("core_radius_m"),
    sa.PrimaryKeyConstraint("run_id", "idx"),
)

sensors = sa.Table(
    "sensors",
    metadata,
    _run_id(),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("sensor_id", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    _f("lat", nullable=False),
    _f("lon", nullable=False),
    _f("h_m"),
    _f("max_range_m"),
    sa.PrimaryKeyConstraint("run_id", "idx"),
)

fire_units = sa.Table(
    "fire_units",
    metadata,
    _run_id(),
    sa.Column("fire_unit_id", sa.String(100), nullable=False),
    sa.Column("effector_id", sa.String(100), nullable=False),
    sa.Column("layer", sa.String(32), nullable=False),
    _f("lat", nullable=False),
    _f("lon", nullable=False),
    _f("h_m"),
    sa.Column("magazine", sa.Integer, nullable=True),  # NULL: unlimited
    sa.PrimaryKeyConstraint("run_id", "fire_unit_id"),
)

objects = sa.Table(
    "objects",
    metadata,
    _run_id(),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("object_id", sa.String(100), nullable=False),
    sa.Column("type_id", sa.String(100), nullable=False),
    sa.Column("object_class", sa.String(32), nullable=False),
    sa.Column("allegiance", sa.String(16), nullable=False),
    sa.Column("target_site", sa.String(100), nullable=True),
    sa.Column("icao", sa.BigInteger, nullable=True),
    _f("rcs_m2"),
    _f("cost_eur"),
    sa.PrimaryKeyConstraint("run_id", "idx"),
)

truth = sa.Table(
    "truth",
    metadata,
    _seq(),
    _run_id(),
    _f("t", nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    *(_f(c) for c in ("e", "n", "u", "ve", "vn", "vu", "lat", "lon", "h")),
)

DETECTION_FLOATS = (
    "t",
    "t_received",
    "z0",
    "z1",
    "z2",
    "r00",
    "r01",
    "r02",
    "r11",
    "r12",
    "r22",
    "sensor_e",
    "sensor_n",
    "sensor_u",
    "rcs_m2",
    "snr_db",
    "range_rate",
    "range_rate_var",
)
detections = sa.Table(
    "detections",
    metadata,
    _seq(),
    _run_id(),
    sa.Column("sensor", sa.Integer, nullable=False),
    sa.Column("kind", sa.Integer, nullable=False),
    *(_f(c, nullable=c != "t") for c in DETECTION_FLOATS),
    sa.Column("ident", sa.BigInteger, nullable=False),
    sa.Column("protocol", sa.Integer, nullable=False),
    sa.Column("truth", sa.Integer, nullable=False),
    sa.Column("cue", sa.SmallInteger, nullable=True),  # NULL: no class cue (the batch's -1)
)

TRACK_FLOATS = (
    "e",
    "n",
    "u",
    "ve",
    "vn",
    "vu",
    "lat",
    "lon",
    "h",
    "p_ee",
    "p_en",
    "p_eu",
    "p_nn",
    "p_nu",
    "p_uu",
    "p_ve",
    "p_vn",
    "p_vu",
    "class_prob",
    "threat",
)
track_updates = sa.Table(
    "track_updates",
    metadata,
    _seq(),
    _run_id(),
    _f("t", nullable=False),
    sa.Column("track_id", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    *(_f(c) for c in TRACK_FLOATS),
    sa.Column("object_class", sa.String(32), nullable=False),
    sa.Column("identity", sa.String(32), nullable=False),
    sa.Column("ident", sa.BigInteger, nullable=False),
    sa.Column("truth", sa.Integer, nullable=False),
)

events = sa.Table(
    "events",
    metadata,
    _seq(),
    _run_id(),
    _f("t", nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("track_id", sa.BigInteger, nullable=True),
    sa.Column("site_id", sa.String(100), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    _seq(),
    _f("wall_time", nullable=False),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("role", sa.String(64), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("item", sa.String(200), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
AUDIT_FIELDS = ("wall_time", "user", "role", "action", "item", "reason")
"""The columns a caller gives to an audit entry (``seq`` is assigned by the store)."""

sa.Index("ix_truth_run_t", truth.c.run_id, truth.c.t)
sa.Index("ix_truth_run_idx", truth.c.run_id, truth.c.idx)
sa.Index("ix_detections_run_t", detections.c.run_id, detections.c.t)
sa.Index("ix_track_updates_run_t", track_updates.c.run_id, track_updates.c.t)
sa.Index("ix_track_updates_run_track", track_updates.c.run_id, track_updates.c.track_id)
sa.Index("ix_events_run_t", events.c.run_id, events.c.t)
sa.Index("ix_events_run_track", events.c.run_id, events.c.track_id)
