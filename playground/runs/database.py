"""The database the history, the ledger, share links and leases live in: a SQLite file or a PostgreSQL server.

One SQLAlchemy engine per process, chosen by URL (``PLAYGROUND_DATABASE_URL``). Statements are plain
SQL with ``:name`` parameters, written once for both: SQLAlchemy binds them in each driver's own style.
What differs is kept here: the type of a float column, and how a transaction that must not
interleave with another (a cap's check and the run's insert) takes its lock: ``BEGIN IMMEDIATE`` on
SQLite, a transaction-scoped advisory lock on PostgreSQL, which holds across processes and machines.
"""

from __future__ import annotations

import functools
import sqlite3
import time
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, RowMapping, make_url


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class Lock(StrEnum):
    """What a locked transaction serialises with; each name is its own lock on PostgreSQL."""

    #: The spending ledger: reservations, and what settles one run into another.
    LEDGER = "ledger"
    #: Schema migrations at start-up (two replicas starting at once apply each step once).
    SCHEMA = "schema"


class DatabaseError(ValueError):
    """A database URL that cannot be used; the message names the setting."""


@functools.lru_cache(maxsize=512)
def sql(statement: str) -> sa.TextClause:
    """A statement parsed once: the store's statements are fixed strings, so each is cached."""
    return sa.text(statement)


def _lock_id(lock: Lock) -> int:
    return zlib.crc32(f"veo-playground/{lock}".encode())


def _normalised(url: str) -> URL:
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseError(f"PLAYGROUND_DATABASE_URL is not a database URL: {url.split('@')[-1]!r}") from None
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg")  # psycopg 3, whatever driver the URL named
    if backend == "sqlite":
        return parsed
    raise DatabaseError(f"PLAYGROUND_DATABASE_URL: use sqlite:/// or postgresql://, not {backend}://")


class Database:
    """An engine and the few things SQLite and PostgreSQL do differently."""

    def __init__(self, url: str) -> None:
        self.url = _normalised(url)
        self.dialect = Dialect.POSTGRESQL if self.url.get_backend_name() == "postgresql" else Dialect.SQLITE
        if self.dialect is Dialect.SQLITE:
            self.path: Path | None = Path(self.url.database or "")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(self.url)
            _write_ahead(self.engine)
        else:
            self.path = None
            # Each replica's threads share a small pool; a held connection is a held server process.
            self.engine = sa.create_engine(self.url, pool_size=8, max_overflow=24, pool_pre_ping=True, pool_timeout=30)

    @classmethod
    def sqlite(cls, path: Path) -> Database:
        return cls(f"sqlite:///{path}")

    def __repr__(self) -> str:  # a server URL may carry a password
        return f"Database({self.url.render_as_string(hide_password=True)!r})"

    @property
    def shared(self) -> bool:
        """Whether other processes on other machines may use this database at the same time."""
        return self.dialect is Dialect.POSTGRESQL

    @property
    def real(self) -> str:
        """The column type of a float: PostgreSQL's REAL has 24 bits, too few for a timestamp."""
        return "DOUBLE PRECISION" if self.shared else "REAL"

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.engine.begin() as db:
            yield db

    @contextmanager
    def transaction(self, lock: Lock) -> Iterator[Connection]:
        """A transaction that holds ``lock`` from its first statement, so what it read stays true until it commits."""
        with self.engine.connect() as db:
            if self.shared:
                with db.begin():
                    db.execute(sql("SELECT pg_advisory_xact_lock(:id)"), {"id": _lock_id(lock)})
                    yield db
            else:
                with db.execution_options(sqlite_immediate=True).begin():  # see _on_begin
                    yield db

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_engine(url: URL) -> Engine:
    engine = sa.create_engine(url, connect_args={"timeout": 10.0, "check_same_thread": False})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling begins late and commits early; SQLAlchemy is told to
        # leave it to us, and every transaction is opened explicitly below.
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # A locked transaction takes the write lock before its first read (see Database.transaction).
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _write_ahead(engine: Engine) -> None:
    """Readers (History) never block a writer. The mode is kept in the file: it is set once, not per connection,
    since switching it needs a lock another starting process may hold for a moment."""
    for attempt in range(50):
        try:
            raw = engine.raw_connection()  # outside SQLAlchemy's transaction: the mode cannot change in one
            try:
                raw.driver_connection.execute("PRAGMA journal_mode=WAL")
            finally:
                raw.close()
            return
        except (sa.exc.OperationalError, sqlite3.OperationalError):
            if attempt == 49:
                raise
            time.sleep(0.1)


def one(db: Connection, statement: str, params: Mapping[str, Any] | None = None) -> RowMapping | None:
    return db.execute(sql(statement), dict(params or {})).mappings().first()


def rows(db: Connection, statement: str, params: Mapping[str, Any] | None = None) -> list[RowMapping]:
    return list(db.execute(sql(statement), dict(params or {})).mappings())


def run(db: Connection, statement: str, params: Mapping[str, Any] | None = None) -> int:
    """Execute a write; how many rows it touched."""
    return db.execute(sql(statement), dict(params or {})).rowcount
