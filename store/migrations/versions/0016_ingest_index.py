"""paper's (id, abstract_hash) index in id order, and no second index on a revision's paper_id:
what ingest writes for every new paper costs less, and every query keeps its plan

Revision ID: 0016_ingest_index
Revises: 0015_vector_store

`ix_paper_abstract_hash` served no look-up by hash alone (every query that reads
`paper.abstract_hash` finds the paper by id); SQLite used it as a covering index, to count or
scan papers by (id, abstract_hash) without reading their abstracts. An index on
(id, abstract_hash) does that job as well, and since new papers get ever larger ids, an insert
appends to it instead of writing a random page of a hash-ordered one.
`ix_paperrevision_paper_id` repeated the first column of the unique (paper_id, abstract_hash)
index, which answers `paper_id = ?` by itself.
"""

from alembic import op

revision = "0016_ingest_index"
down_revision = "0015_vector_store"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Indexes only: the tables (and the search triggers on paper) are left as they are.
    op.drop_index("ix_paper_abstract_hash", table_name="paper")
    op.create_index("ix_paper_id_abstract_hash", "paper", ["id", "abstract_hash"])
    op.drop_index("ix_paperrevision_paper_id", table_name="paperrevision")


def downgrade() -> None:
    op.create_index("ix_paperrevision_paper_id", "paperrevision", ["paper_id"])
    op.drop_index("ix_paper_id_abstract_hash", table_name="paper")
    op.create_index("ix_paper_abstract_hash", "paper", ["abstract_hash"])
