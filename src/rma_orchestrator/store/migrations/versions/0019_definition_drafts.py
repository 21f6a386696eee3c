"""definition drafts: the analysts' modeler keeps editable copies of a process's files (name ->
sha256 in the shared ``blob`` table, a revision counting the saves), and a deployment gets the
change note it was deployed with.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definition_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("process_key", sa.String(255), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_definition_draft_process_key", "definition_draft", ["process_key"])
    with op.batch_alter_table("deployment") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))


def downgrade() -> None:
    """The drafts go (their blobs stay, as deployments' do); so do the deployments' notes."""
    with op.batch_alter_table("deployment") as batch_op:
        batch_op.drop_column("note")
    op.drop_index("ix_definition_draft_process_key", table_name="definition_draft")
    op.drop_table("definition_draft")
