"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from bwcases.store import Store
from bwcases.store.gateway import SCHEMA_HEAD
from bwcases.store.models import Base


def test_migrated_schema_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_store_is_at_the_head_migration(store: Store) -> None:
    assert store.schema_revision() == SCHEMA_HEAD
