"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bwcases.auth.accounts import add_user
from bwcases.auth.people import token_hash
from bwcases.store import Store, gateway
from bwcases.store.gateway import SCHEMA_HEAD
from bwcases.store.models import Base
from tests.helpers import PASSWORD


def test_migrated_schema_matches_the_models(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_store_is_at_the_head_migration(store: Store) -> None:
    assert store.schema_revision() == SCHEMA_HEAD


def migrate(store: Store, to: str) -> None:
    """Move the store's schema up or down to a revision, as Store.upgrade runs the migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(gateway.__file__).parent / "migrations"))
    with store.connection() as conn:
        cfg.attributes["connection"] = conn
        if to == "head" or to > str(store.schema_revision()):
            command.upgrade(cfg, to)
        else:
            command.downgrade(cfg, to)


def user_columns(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {c["name"] for c in inspect(conn).get_columns("users")}


def test_0006_people_language_goes_down_and_up_keeping_the_people(store: Store) -> None:
    add_user(store, "Lan Nguyen", role="advisor", password=PASSWORD)
    # a signed-in browser refers to her row: going down must not trip over it
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    store.start_session("Lan Nguyen", token_hash("a-token"), later)
    store.set_language("Lan Nguyen", "vi")
    try:
        migrate(store, "0005")
        assert store.schema_revision() == "0005"
        assert "language" not in user_columns(store)
        migrate(store, "head")
    finally:  # the other tests on this backend expect the head
        if store.schema_revision() != SCHEMA_HEAD:
            migrate(store, "head")
    assert "language" in user_columns(store)
    assert store.user("Lan Nguyen") is not None and store.session_user(token_hash("a-token"))
    assert store.language_of("Lan Nguyen") is None  # what 0005 could not hold is gone
    store.set_language("Lan Nguyen", "ar")
    assert store.language_of("Lan Nguyen") == "ar"
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_0007_goes_down_and_up_while_someone_is_signed_in(store: Store) -> None:
    """Factory people, mail addresses and PICC minutes arrive on a store people are using."""
    add_user(store, "Lan Nguyen", role="advisor", password=PASSWORD)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    store.start_session("Lan Nguyen", token_hash("a-token"), later)
    try:
        migrate(store, "0006")
        assert {"factory_id", "email"}.isdisjoint(user_columns(store))
        migrate(store, "head")
    finally:
        if store.schema_revision() != SCHEMA_HEAD:
            migrate(store, "head")
    assert {"factory_id", "email"} <= user_columns(store)
    assert store.session_user(token_hash("a-token")) is not None
    with store.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
