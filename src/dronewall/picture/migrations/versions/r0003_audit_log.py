"""Schema version 3: the append-only audit log of human decisions.

``audit_log`` holds one row per approval, rejection, acknowledgement ... (who, in which role, did
what to which item, when and why). Database triggers refuse every ``UPDATE`` and ``DELETE`` of its
rows (and, on PostgreSQL, ``TRUNCATE``), whoever issues them, so the store itself keeps the log
append-only; only dropping the table (a schema change) removes it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

MESSAGE = "audit_log is append-only"

_PG_FUNCTION = f"""
CREATE FUNCTION dronewall_audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("wall_time", sa.Double, nullable=False),
        sa.Column("user", sa.String(200), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for when, what in (("ROW", "UPDATE OR DELETE"), ("STATEMENT", "TRUNCATE")):
            op.execute(
                f"CREATE TRIGGER audit_log_append_only_{when.lower()} BEFORE {what} "
                f"ON audit_log FOR EACH {when} EXECUTE FUNCTION dronewall_audit_log_refuse()"
            )
    else:
        for what in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{what.lower()} BEFORE {what} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}: {what} refused'); END"
            )
    op.execute("UPDATE schema_meta SET value = '3' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded")
