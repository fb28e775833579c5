"""The case store: the one gateway to the database (engines, sessions, transactions, audit)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, object_session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bwcases.errors import BwcasesError, ConflictError, NotFoundError
from bwcases.store import models as m

SCHEMA_HEAD = "0003"
SYSTEM_ACTOR = "system"


def default_path() -> Path:
    """Where the embedded SQLite store lives unless BWCASES_DB or --db says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "bwcases" / "cases.sqlite"


def resolve_url(url: str | None = None) -> str:
    """The store URL: the argument, else BWCASES_DB, else the default SQLite file."""
    url = url or os.environ.get("BWCASES_DB")
    if url:
        if "://" not in url:  # a plain path to an SQLite file
            return f"sqlite:///{Path(url).expanduser().resolve()}"
        return url
    return f"sqlite:///{default_path()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _record_key(obj: Any) -> str:
    ident = inspect(type(obj)).primary_key_from_instance(obj)
    return "/".join(str(v) for v in ident)


def _columns(obj: Any) -> dict[str, Any]:
    mapper = inspect(type(obj))
    return {c.key: _jsonable(getattr(obj, c.key)) for c in mapper.column_attrs}


def _audit_flush(session: Session, _flush_context: Any) -> None:
    """Write one audit row per record a flush inserted, changed or deleted."""
    actor = session.info.get("actor", SYSTEM_ACTOR)
    now = session.info.get("now") or dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []

    def add(obj: Any, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None):
        rows.append(
            {
                "at": now,
                "actor": actor,
                "table_name": type(obj).__tablename__,
                "record_id": _record_key(obj),
                "action": action,
                "before": json.dumps(before, ensure_ascii=False) if before is not None else None,
                "after": json.dumps(after, ensure_ascii=False) if after is not None else None,
            }
        )

    for obj in session.new:
        if not isinstance(obj, m.AuditEntry):
            add(obj, "insert", None, _columns(obj))
    for obj in session.dirty:
        if not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        before, after = {}, {}
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                before[attr.key] = _jsonable(hist.deleted[0]) if hist.deleted else None
                after[attr.key] = _jsonable(hist.added[0]) if hist.added else None
        if after:
            add(obj, "update", before, after)
    for obj in session.deleted:
        add(obj, "delete", _columns(obj), None)
    if rows:
        session.connection().execute(insert(m.AuditEntry), rows)


class Gateway:
    """Owns the engine and every transaction; everything else asks it."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = resolve_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            path = self.url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(self.url, future=True)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self.ensure_schema()

    # -- schema --------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        """The migration the store is at, or None for an empty store."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except (OperationalError, ProgrammingError):
            return None

    def ensure_schema(self) -> None:
        """Create or upgrade the schema when it is not at the head migration."""
        if self.schema_revision() != SCHEMA_HEAD:
            self.upgrade()

    def upgrade(self) -> None:
        """Run the migrations up to the head."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    # -- transactions --------------------------------------------------------------------

    @contextmanager
    def writing(self, actor: str = SYSTEM_ACTOR) -> Iterator[Session]:
        """A session whose changes commit together, audited under `actor`, or not at all."""
        session = self._sessions()
        session.info["actor"] = actor
        session.info["now"] = dt.datetime.now(dt.UTC)
        event.listen(session, "after_flush", _audit_flush)
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            # another save of the same record committed between our check and our write
            session.rollback()
            conflict = self._conflict_after_race(session.info.get("checked", []))
            if conflict is not None:
                raise conflict from exc
            raise BwcasesError(
                "the record was changed by someone else while saving; reload and try again"
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One connection in one transaction (for bulk work inside the store layer)."""
        with self.engine.begin() as conn:
            yield conn

    def frame(self, statement: Any, **dtypes: str) -> pd.DataFrame:
        """Run a select and return its rows as a DataFrame."""
        with self.engine.connect() as conn:
            result = conn.execute(statement)
            df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        return df.astype(dtypes) if dtypes and len(df) else df

    # -- identity ------------------------------------------------------------------------

    def snapshot_id(self) -> str:
        """Names the store's data as it is now: changes with every write."""
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(m.AuditEntry.id))).scalar() or 0
            quests = conn.execute(select(func.count()).select_from(m.Assessment)).scalar()
        # Opaque: briefs show it to partners, who must not learn hosts, users or paths.
        where = hashlib.sha256(self.engine.url.render_as_string().encode()).hexdigest()[:12]
        return f"{where}-{last}.{quests}"

    # -- optimistic concurrency ----------------------------------------------------------

    def check_version(self, obj: m.Versioned, expected: int | None, yours: dict[str, Any]) -> None:
        """Refuse a write made against a stale version of `obj`."""
        if expected is None:
            return
        yours = {k: _jsonable(v) for k, v in yours.items()}
        if obj.version != expected:
            kind, key = type(obj).__name__, _record_key(obj)
            raise ConflictError(kind, key, expected, _columns(obj), yours)
        session = object_session(obj)
        if session is not None:  # should a racing save commit before ours, say the same
            checked = (type(obj), inspect(obj).identity, expected, yours)
            session.info.setdefault("checked", []).append(checked)

    def _conflict_after_race(
        self, checked: list[tuple[type[Any], Any, int, dict[str, Any]]]
    ) -> ConflictError | None:
        """The conflict a racing save caused: the checked record as that save left it."""
        with self.reading() as session:
            for model, identity, expected, yours in checked:
                current = session.get(model, identity)
                if current is not None and current.version != expected:
                    return ConflictError(
                        model.__name__, _record_key(current), expected, _columns(current), yours
                    )
        return None

    def get(self, session: Session, model: type[Any], key: Any) -> Any:
        """A record by primary key, or NotFoundError."""
        obj = session.get(model, key)
        if obj is None:
            raise NotFoundError(model.__tablename__.rstrip("s").replace("_", " "), key)
        return obj

    # -- audit ---------------------------------------------------------------------------

    def history(self, table: str, record_id: object) -> pd.DataFrame:
        """The audit trail of one record, oldest first."""
        stmt = (
            select(
                m.AuditEntry.at,
                m.AuditEntry.actor,
                m.AuditEntry.action,
                m.AuditEntry.before,
                m.AuditEntry.after,
            )
            .where(m.AuditEntry.table_name == table, m.AuditEntry.record_id == str(record_id))
            .order_by(m.AuditEntry.id)
        )
        return self.frame(stmt)

    def log(self, conn: Connection, actor: str, table: str, record: str, after: dict) -> None:
        """Audit a bulk change made outside the ORM."""
        conn.execute(
            insert(m.AuditEntry),
            [
                {
                    "at": dt.datetime.now(dt.UTC),
                    "actor": actor,
                    "table_name": table,
                    "record_id": record,
                    "action": "import",
                    "before": None,
                    "after": json.dumps(after, ensure_ascii=False, default=str),
                }
            ],
        )


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of at most `size` items."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
