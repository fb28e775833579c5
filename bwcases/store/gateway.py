"""The case store: the one gateway to the database (engines, sessions, transactions, audit)."""

from __future__ import annotations

import datetime as dt
import errno
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVarTuple

from sqlalchemy import (
    URL,
    Connection,
    Engine,
    ExceptionContext,
    Row,
    Select,
    create_engine,
    event,
    func,
    insert,
    inspect,
    make_url,
    select,
    text,
)
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, object_session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bwcases.core.digests import sha256_hex
from bwcases.core.errors import (
    BwcasesError,
    ConcurrentWriteError,
    ConflictError,
    NotFoundError,
    StoreAccessError,
    StoreError,
    StoreFullError,
    StoreUnreachableError,
)
from bwcases.core.paths import private_file
from bwcases.store import models as m
from bwcases.store.location import resolve_url

if TYPE_CHECKING:  # imported by frame(): rates as rows need no pandas
    import pandas as pd

SCHEMA_HEAD = "0007"
# The migration a store is at (no such table: an empty store)
REVISION_SQL = "SELECT version_num FROM alembic_version"
SYSTEM_ACTOR = "system"
CONNECT_TIMEOUT_S = 10  # an unreachable server is reported, not waited for without end
MIGRATION_LOCK = 0x6277_6361_7365  # the PostgreSQL advisory lock that one migration at a time holds
# Tables a flush does not audit: a person's drafts are her scratch, not the programme's record.
UNAUDITED = frozenset({m.Draft.__tablename__, m.AuditEntry.__tablename__})
_Ts = TypeVarTuple("_Ts")
# The values one IN (...) binds: far below SQLite's and PostgreSQL's limits on parameters.
IN_CHUNK = 500

# What a database failure means for the person who met it, by PostgreSQL SQLSTATE ...
_PG_STATES: dict[str, type[StoreError]] = {
    "53100": StoreFullError,  # disk_full
    "23505": ConcurrentWriteError,  # unique_violation: the same record stored meanwhile
    "40001": ConcurrentWriteError,  # serialization_failure
    "40P01": ConcurrentWriteError,  # deadlock_detected
    "28000": StoreAccessError,  # invalid_authorization_specification
    "28P01": StoreAccessError,  # invalid_password
    "3D000": StoreAccessError,  # invalid_catalog_name: no such database
    "42501": StoreAccessError,  # insufficient_privilege
}
# ... and by SQLite result code (primary, or extended for constraints)
_SQLITE_CODES: dict[int, type[StoreError]] = {
    sqlite3.SQLITE_FULL: StoreFullError,
    sqlite3.SQLITE_BUSY: ConcurrentWriteError,
    sqlite3.SQLITE_LOCKED: ConcurrentWriteError,
    sqlite3.SQLITE_CONSTRAINT_UNIQUE: ConcurrentWriteError,
    sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY: ConcurrentWriteError,
    sqlite3.SQLITE_CANTOPEN: StoreAccessError,
    sqlite3.SQLITE_PERM: StoreAccessError,
    sqlite3.SQLITE_READONLY: StoreAccessError,
    sqlite3.SQLITE_AUTH: StoreAccessError,
    sqlite3.SQLITE_NOTADB: StoreAccessError,
}
# A failed connection carries no SQLSTATE (libpq reports it in words): these words say access.
_REFUSED = ("authentication failed", "no password supplied", "does not exist", "not permitted")
# libpq's words before the reason (the store's URL, printed beside, already names the server)
_PREAMBLE = re.compile(r"^(connection failed: )?(connection to server .*? failed: )?(FATAL: )?")


def shown(url: URL) -> str:
    """A store URL as it may be printed: without its password."""
    return url.render_as_string(hide_password=True)


def _detail(exc: BaseException, url: URL) -> str:
    """The driver's message in one line, without the password and libpq's preamble."""
    line = " ".join((str(exc).strip().splitlines() or [type(exc).__name__])[0].split())
    line = _PREAMBLE.sub("", line)
    if url.password:
        line = line.replace(str(url.password), "***")
    return line


def store_error(exc: BaseException, url: URL, *, connecting: bool = False) -> StoreError | None:
    """The bwcases error a database failure means, or None for one that is not expected."""
    state = getattr(exc, "sqlstate", None)
    code = getattr(exc, "sqlite_errorcode", None)
    kind: type[StoreError] | None = None
    if state in _PG_STATES:
        kind = _PG_STATES[state]
    elif code is not None:  # SQLite says SQLITE_FULL for a full disk (ENOSPC) too
        kind = _SQLITE_CODES.get(code) or _SQLITE_CODES.get(code & 0xFF)
    if kind is None and connecting and code is None:  # a server's words, not SQLite's
        refused = any(words in str(exc) for words in _REFUSED)
        kind = StoreAccessError if refused else StoreUnreachableError
    return None if kind is None else kind(shown(url), _detail(exc, url))


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def jsonable(value: Any) -> Any:
    """A value as JSON holds it: dates and times as ISO text."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _record_key(obj: Any) -> str:
    ident = inspect(type(obj)).primary_key_from_instance(obj)
    return "/".join(str(v) for v in ident)


def _columns(obj: Any) -> dict[str, Any]:
    mapper = inspect(type(obj))
    return {c.key: jsonable(getattr(obj, c.key)) for c in mapper.column_attrs}


def _json(values: Any) -> str | None:
    return None if values is None else json.dumps(values, ensure_ascii=False, default=str)


def audit_row(
    at: dt.datetime,
    actor: str,
    table: str,
    record: str,
    action: str,
    before: Any = None,
    after: Any = None,
) -> dict[str, Any]:
    """One entry of the audit trail: who did what to which record, its fields before and after."""
    return {
        "at": at,
        "actor": actor,
        "table_name": table,
        "record_id": record,
        "action": action,
        "before": _json(before),
        "after": _json(after),
    }


def audit(
    conn: Connection | Session,
    actor: str,
    table: str,
    record: str,
    action: str,
    after: Any,
    *,
    at: dt.datetime | None = None,
) -> None:
    """Audit, in its transaction, a change written without the ORM (bulk loads, users, files)."""
    row = audit_row(at or dt.datetime.now(dt.UTC), actor, table, record, action, None, after)
    conn.execute(insert(m.AuditEntry), [row])


def assign(obj: Any, values: dict[str, Any]) -> bool:
    """Set the attributes of a record whose values differ; whether any did."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


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


def rows_in(
    conn: Connection | Session, stmt: Select[*_Ts], column: Any, values: Iterable[Any]
) -> Iterator[Row[*_Ts]]:
    """The rows of `stmt` whose `column` is one of `values`, asked IN_CHUNK values at a time."""
    for part in chunked(sorted(set(values)), IN_CHUNK):
        yield from conn.execute(stmt.where(column.in_(part)))


def _audit_flush(session: Session, _flush_context: Any) -> None:
    """Write one audit row per record a flush inserted, changed or deleted."""
    actor = session.info.get("actor", SYSTEM_ACTOR)
    now = session.info.get("now") or dt.datetime.now(dt.UTC)
    rows: list[dict[str, Any]] = []

    def add(obj: Any, action: str, before: dict[str, Any] | None, after: dict[str, Any] | None):
        rows.append(
            audit_row(now, actor, type(obj).__tablename__, _record_key(obj), action, before, after)
        )

    for obj in session.new:
        if type(obj).__tablename__ not in UNAUDITED:
            add(obj, "insert", None, _columns(obj))
    for obj in session.dirty:
        if type(obj).__tablename__ in UNAUDITED:
            continue
        if not session.is_modified(obj, include_collections=False):
            continue
        state = inspect(obj)
        before, after = {}, {}
        for attr in state.mapper.column_attrs:
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                before[attr.key] = jsonable(hist.deleted[0]) if hist.deleted else None
                after[attr.key] = jsonable(hist.added[0]) if hist.added else None
        if after:
            add(obj, "update", before, after)
    for obj in session.deleted:
        if type(obj).__tablename__ not in UNAUDITED:
            add(obj, "delete", _columns(obj), None)
    if rows:
        session.connection().execute(insert(m.AuditEntry), rows)


class Gateway:
    """Owns the engine and every transaction; everything else asks it."""

    def __init__(self, url: str | None = None, *, create: bool = True) -> None:
        self.url = resolve_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        parsed = make_url(self.url)
        connect_args: dict[str, Any] = {}
        if self.is_sqlite:
            self._create_file(parsed)
        elif parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
        self.engine: Engine = create_engine(self.url, future=True, connect_args=connect_args)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        event.listen(self.engine, "handle_error", self._translate)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        if create:
            self.ensure_schema()

    @staticmethod
    def _create_file(url: URL) -> None:
        """Create a new SQLite file, and the folders it lacks, readable by its owner alone."""
        path = url.database
        if not path or path == ":memory:" or path.startswith("file:"):
            return
        try:
            private_file(Path(path))
        except OSError as exc:
            kind = StoreFullError if exc.errno == errno.ENOSPC else StoreAccessError
            raise kind(shown(url), f"{exc.strerror}: {exc.filename}") from exc

    def _translate(self, context: ExceptionContext) -> None:
        """Raise the bwcases error a failure means (down, refused, full, raced) instead."""
        connecting = context.connection is None or context.is_disconnect
        error = store_error(context.original_exception, self.engine.url, connecting=connecting)
        if error is not None:
            raise error

    # -- schema --------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        """The migration the store is at, or None for an empty store."""
        try:
            with self.engine.connect() as conn:
                return conn.execute(text(REVISION_SQL)).scalar()
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
        with self.connection() as conn:  # two first commands at once: one migrates
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
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

    def one_writer(self, session: Session, what: str) -> None:
        """Make this writing session the only one doing `what` until it ends: call it first.
        Two imports of the same new file at once then add its records once (the second waits
        and finds them) instead of both finding nothing and both adding."""
        if self.is_sqlite:  # the write lock before the reads (SQLite has one writer anyway)
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        else:
            key = int.from_bytes(bytes.fromhex(sha256_hex(what)[:16]), "big", signed=True)
            session.execute(select(func.pg_advisory_xact_lock(key)))

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only."""
        with self._sessions() as session:
            yield session

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """One connection in one transaction (for bulk work inside the store layer)."""
        try:
            with self.engine.begin() as conn:
                if self.is_sqlite:
                    # The write lock first, then the reads: a second import of the same file
                    # waits for the first and finds what it stored (SQLite has one writer anyway).
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        except self.engine.dialect.loaded_dbapi.Error as exc:  # raw driver work, e.g. COPY
            error = store_error(exc, self.engine.url)
            if error is None:
                raise
            raise error from exc

    def upsert(
        self, table: type[m.Base], values: dict[str, Any], keys: list[str], update: Iterable[str]
    ) -> Any:
        """One row inserted, or the row with the same keys updated: one statement, so that two
        writers at once both succeed (the last one's values stay)."""
        # each database's own, imported where it is used: PostgreSQL's is 20 ms of the start of
        # every process on SQLite (a batch's kernels' among them)
        if self.is_sqlite:
            from sqlalchemy.dialects import sqlite as dialect
        else:
            from sqlalchemy.dialects import postgresql as dialect  # type: ignore[no-redef]
        stmt = dialect.insert(table).values(**values)
        return stmt.on_conflict_do_update(
            index_elements=keys, set_={k: stmt.excluded[k] for k in update}
        )

    def frame(self, statement: Any, **dtypes: str) -> pd.DataFrame:
        """Run a select and return its rows as a DataFrame."""
        import pandas as pd

        with self.engine.connect() as conn:
            result = conn.execute(statement)
            # Plain tuples, as pandas would make them: given Rows, it first asks each one for a
            # `dtype`, and every refusal is an exception SQLAlchemy builds (4x the whole read).
            rows = [tuple(row) for row in result]
            df = pd.DataFrame(rows, columns=list(result.keys()))
        return df.astype(dtypes) if dtypes and len(df) else df

    # -- identity ------------------------------------------------------------------------

    def snapshot_id(self) -> str:
        """Names the store's data as it is now: changes with every write."""
        with self.engine.connect() as conn:
            last = conn.execute(select(func.max(m.AuditEntry.id))).scalar() or 0
            quests = conn.execute(select(func.count()).select_from(m.Assessment)).scalar()
        # Opaque: briefs show it to partners, who must not learn hosts, users or paths.
        where = sha256_hex(self.engine.url.render_as_string())[:12]
        return f"{where}-{last}.{quests}"

    # -- optimistic concurrency ----------------------------------------------------------

    def check_version(self, obj: m.Versioned, expected: int | None, yours: dict[str, Any]) -> None:
        """Refuse a write made against a stale version of `obj`."""
        if expected is None:
            return
        yours = {k: jsonable(v) for k, v in yours.items()}
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
