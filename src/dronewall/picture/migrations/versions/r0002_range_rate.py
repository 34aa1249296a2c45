"""Schema version 2: the detections' range rate and its variance (``POLAR`` detections).

Rows written before have ``NULL`` there, read back as NaN. The columns come last in the table
(``ALTER TABLE ... ADD COLUMN``); the store names its columns, so their position does not matter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("detections", sa.Column("range_rate", sa.Double, nullable=True))
    op.add_column("detections", sa.Column("range_rate_var", sa.Double, nullable=True))
    op.execute("UPDATE schema_meta SET value = '2' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded")
