"""migration batches: a batch run that moves cases to another version of their process (action
``migrate``) names that version in ``batch_run.target_version``; other runs leave it null.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("batch_run", sa.Column("target_version", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Back to runs without a target: migration runs go with their cases (they could not be read)."""
    op.execute("DELETE FROM batch_item WHERE batch_id IN (SELECT id FROM batch_run WHERE action = 'migrate')")
    op.execute("DELETE FROM batch_run WHERE action = 'migrate'")
    op.drop_column("batch_run", "target_version")
