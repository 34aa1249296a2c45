"""Schema version 4: the detections' EO/IR class cue.

``detections.cue`` holds :attr:`~dronewall.core.DetectionBatch.cue`, the
:class:`~dronewall.core.ObjectClass` code an EO/IR operator recognised, or ``NULL`` for no cue
(the batch's -1). Rows written before have ``NULL`` there, read back as -1 (no cue), which is what
they were: no earlier store kept a cue. The column comes last in the table (``ALTER TABLE ... ADD
COLUMN``); the store names its columns, so its position does not matter.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("detections", sa.Column("cue", sa.SmallInteger, nullable=True))
    op.execute("UPDATE schema_meta SET value = '4' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("the event store is never downgraded")
