"""Schema version 1: runs, their set-up, truth, detections, track snapshots and events.

This is the schema the first event store created with ``metadata.create_all`` (dronewall
a216677); a store of that version has no ``alembic_version`` table and is stamped with this
revision when it is first opened by code with the Alembic revisions. The DDL is written out here
(not taken from :mod:`dronewall.picture.schema`) so that it stays what version 1 was.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None

_DETECTION_FLOATS = (
    "t_received", "z0", "z1", "z2", "r00", "r01", "r02", "r11", "r12", "r22",
    "sensor_e", "sensor_n", "sensor_u", "rcs_m2", "snr_db",
)  # fmt: skip
_TRACK_FLOATS = (
    "e", "n", "u", "ve", "vn", "vu", "lat", "lon", "h", "p_ee", "p_en", "p_eu",
    "p_nn", "p_nu", "p_uu", "p_ve", "p_vn", "p_vu", "class_prob", "threat",
)  # fmt: skip
_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _run_id() -> sa.Column[int]:
    return sa.Column(
        "run_id", sa.Integer, sa.ForeignKey("runs.run_id", ondelete="CASCADE"), nullable=False
    )


def _seq() -> sa.Column[int]:
    return sa.Column("seq", _SEQ, primary_key=True, autoincrement=True)


def _f(name: str, nullable: bool = True) -> sa.Column[float]:
    return sa.Column(name, sa.Double, nullable=nullable)


def _s(name: str, length: int, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    meta = op.create_table(
        "schema_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
        _s("scenario", 200),
        sa.Column("seed", sa.BigInteger, nullable=False),
        *(_f(c, nullable=False) for c in ("t0", "origin_lat", "origin_lon", "origin_h")),
        _s("started_utc", 40),
        _s("finished_utc", 40, nullable=True),
        sa.Column("config", sa.JSON, nullable=False),
        sa.Column("summary", sa.JSON, nullable=True),
        _s("status", 16),
    )
    op.create_table(
        "sites",
        _run_id(),
        sa.Column("idx", sa.Integer, nullable=False),
        _s("site_id", 100),
        _s("name", 200),
        _s("kind", 100),
        _f("lat", nullable=False),
        _f("lon", nullable=False),
        *(_f(c) for c in ("value", "alert_radius_m", "core_radius_m")),
        sa.PrimaryKeyConstraint("run_id", "idx"),
    )
    op.create_table(
        "sensors",
        _run_id(),
        sa.Column("idx", sa.Integer, nullable=False),
        _s("sensor_id", 100),
        _s("kind", 100),
        _f("lat", nullable=False),
        _f("lon", nullable=False),
        _f("h_m"),
        _f("max_range_m"),
        sa.PrimaryKeyConstraint("run_id", "idx"),
    )
    op.create_table(
        "fire_units",
        _run_id(),
        _s("fire_unit_id", 100),
        _s("effector_id", 100),
        _s("layer", 32),
        _f("lat", nullable=False),
        _f("lon", nullable=False),
        _f("h_m"),
        sa.Column("magazine", sa.Integer, nullable=True),
        sa.PrimaryKeyConstraint("run_id", "fire_unit_id"),
    )
    op.create_table(
        "objects",
        _run_id(),
        sa.Column("idx", sa.Integer, nullable=False),
        _s("object_id", 100),
        _s("type_id", 100),
        _s("object_class", 32),
        _s("allegiance", 16),
        _s("target_site", 100, nullable=True),
        sa.Column("icao", sa.BigInteger, nullable=True),
        _f("rcs_m2"),
        _f("cost_eur"),
        sa.PrimaryKeyConstraint("run_id", "idx"),
    )
    op.create_table(
        "truth",
        _seq(),
        _run_id(),
        _f("t", nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        *(_f(c) for c in ("e", "n", "u", "ve", "vn", "vu", "lat", "lon", "h")),
    )
    op.create_table(
        "detections",
        _seq(),
        _run_id(),
        sa.Column("sensor", sa.Integer, nullable=False),
        sa.Column("kind", sa.Integer, nullable=False),
        _f("t", nullable=False),
        *(_f(c) for c in _DETECTION_FLOATS),
        sa.Column("ident", sa.BigInteger, nullable=False),
        sa.Column("protocol", sa.Integer, nullable=False),
        sa.Column("truth", sa.Integer, nullable=False),
    )
    op.create_table(
        "track_updates",
        _seq(),
        _run_id(),
        _f("t", nullable=False),
        sa.Column("track_id", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Integer, nullable=False),
        *(_f(c) for c in _TRACK_FLOATS),
        _s("object_class", 32),
        _s("identity", 32),
        sa.Column("ident", sa.BigInteger, nullable=False),
        sa.Column("truth", sa.Integer, nullable=False),
    )
    op.create_table(
        "events",
        _seq(),
        _run_id(),
        _f("t", nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("track_id", sa.BigInteger, nullable=True),
        _s("site_id", 100, nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_index("ix_truth_run_t", "truth", ["run_id", "t"])
    op.create_index("ix_truth_run_idx", "truth", ["run_id", "idx"])
    op.create_index("ix_detections_run_t", "detections", ["run_id", "t"])
    op.create_index("ix_track_updates_run_t", "track_updates", ["run_id", "t"])
    op.create_index("ix_track_updates_run_track", "track_updates", ["run_id", "track_id"])
    op.create_index("ix_events_run_t", "events", ["run_id", "t"])
    op.create_index("ix_events_run_track", "events", ["run_id", "track_id"])
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    op.bulk_insert(
        meta,
        [{"key": "schema_version", "value": "1"}, {"key": "created_utc", "value": now}],
    )


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded")
