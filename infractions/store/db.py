"""Opening the store: SQLite file (WAL, synchronous=FULL, immediate transactions) or a PostgreSQL URL."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from infractions.store.schema import metadata


def database_url(target: str | Path) -> str:
    """A path becomes ``sqlite:///PATH``; anything containing ``://`` is used as an SQLAlchemy URL."""
    text = str(target)
    return text if "://" in text else f"sqlite:///{Path(text).expanduser()}"


def create_store_engine(target: str | Path) -> Engine:
    """An SQLAlchemy engine for the store, with SQLite tuned for durability and serialised writers."""
    url = database_url(target)
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    if url != "sqlite://" and not url.startswith("sqlite:///:memory:"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let the "begin" hook emit BEGIN IMMEDIATE
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")  # a commit is on disk before it returns
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("aeropatrol_read"):
            conn.exec_driver_sql("BEGIN")  # readers: no write lock (WAL snapshot)
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # writers take the lock up front: no audit-chain races

    return engine


def create_schema(engine: Engine) -> None:
    """Create every table, index and trigger that does not exist yet."""
    metadata.create_all(engine)


def insert_ignore(conn: Connection, table: Any, values: dict[str, Any]) -> bool:
    """INSERT that silently keeps an existing row with the same key; True if a row was inserted."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - other dialects are not supported deployments
        raise NotImplementedError(f"insert_ignore: dialect {dialect!r} not supported")
    return conn.execute(stmt).rowcount == 1


def lock_for_append(conn: Connection, table_name: str) -> None:
    """Serialise appenders of a hash-chained table (SQLite: BEGIN IMMEDIATE already holds the lock)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"LOCK TABLE {table_name} IN EXCLUSIVE MODE")
