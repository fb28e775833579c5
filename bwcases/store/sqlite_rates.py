"""Rates on an SQLite store without SQLAlchemy: the statements `rates` builds, compiled ahead
for SQLite (`rates_sqlite.json`), run through Python's sqlite3.

Importing SQLAlchemy costs the rates command more than its query on a store of a few hundred
factories. What this cannot answer (another database, a store not at the head migration, more
merges than the statements carry, an error) goes to RateStore, which then says what is wrong."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from bwcases.store.location import resolve_url, sqlite_file
from bwcases.store.rate_query import (
    MERGE_FIELDS,
    MERGES,
    RateQuery,
    RateTable,
    merge_name,
    merges_of,
    table_of,
)

if TYPE_CHECKING:
    from bwcases.store.rates import RateStore

T = TypeVar("T")
COMPILED = Path(__file__).with_name("rates_sqlite.json")
BUSY_TIMEOUT_S = 30  # as the store's own connections wait for a writer


class SqliteRates:
    """The rates part of an SQLite store at the head migration, read through sqlite3."""

    def __init__(self, url: str, conn: sqlite3.Connection, compiled: dict[str, Any]) -> None:
        self.url = url
        self._conn = conn
        self._compiled = compiled

    @classmethod
    def open(cls, url: str | None = None) -> SqliteRates | None:
        """The store's rates through sqlite3, or None where RateStore must answer: not an
        SQLite file, no file yet, not at the head migration, or not readable by sqlite3."""
        url = resolve_url(url)
        path = sqlite_file(url)
        if path is None or not path.is_file():
            return None
        compiled = json.loads(COMPILED.read_text(encoding="utf-8"))
        conn = None
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S)
            conn.execute("PRAGMA query_only = ON")
            if conn.execute(compiled["revision"]).fetchall() == [(compiled["schema"],)]:
                return cls(url, conn, compiled)
        except sqlite3.Error:
            pass  # RateStore meets it again, and says what it is
        if conn is not None:
            conn.close()
        return None

    def dispose(self) -> None:
        """Close the connection (as Gateway.dispose closes its pool)."""
        self._conn.close()

    def __enter__(self) -> SqliteRates:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.dispose()

    def countries(self) -> list[str]:
        """The countries of the factory register, as it spells them (RateStore.countries)."""
        try:
            return [country for (country,) in self._run(self._compiled["countries"], {})]
        except sqlite3.Error:  # RateStore meets it again, and says what it is
            return self._through_sqlalchemy(lambda store: store.countries())

    def rates_table(self, query: RateQuery) -> RateTable:
        """RateStore.rates_table's rows: the same statement, compiled ahead, where it can."""
        statement = self._compiled["rates"].get(query.shape)
        try:
            merges = merges_of(self._run(self._compiled["merge_pairs"], {}))
            if statement is not None and len(merges) <= self._compiled["merge_rows"]:
                rows = self._run(statement, query.values(merges))
                return table_of(query, statement["columns"], rows)
        except sqlite3.Error:
            pass  # as countries()
        return self._through_sqlalchemy(lambda store: store.rates_table(query))

    def _through_sqlalchemy(self, ask: Callable[[RateStore], T]) -> T:
        """What the store's RateStore answers."""
        from bwcases.store.rates import RateStore

        store = RateStore(self.url)
        try:
            return ask(store)
        finally:
            store.dispose()

    def _run(self, statement: dict[str, Any], values: dict[str, Any]) -> list[Any]:
        """The rows of a compiled statement given its named values (dates as SQLite holds them)."""
        given = {**statement["constants"], **values}
        params: list[Any] = []
        for name in statement["params"]:
            if name == MERGES:
                rows = range(self._compiled["merge_rows"])
                params += [given[merge_name(i, field)] for i in rows for field in MERGE_FIELDS]
            else:
                value = given[name]
                params.append(value.isoformat() if isinstance(value, dt.date) else value)
        return self._conn.execute(statement["sql"], params).fetchall()
