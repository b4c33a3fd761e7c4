"""The durable infractions store (SQLAlchemy Core; SQLite + WAL by default, PostgreSQL by URL)."""
from __future__ import annotations

import time
from collections.abc import Callable
from functools import cached_property
from pathlib import Path

from sqlalchemy import Engine

from infractions.store.db import create_schema, create_store_engine, database_url


class Store:
    """One store: the engine plus its parts (records, outbox, users, review desk); each part has one job."""

    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.clock = clock

    def read(self):
        """A connection for reading: a plain (deferred) transaction, so readers never take SQLite's write
        lock and WAL lets them run beside a writer. Writes go through ``engine.begin()`` (immediate)."""
        return self.engine.connect().execution_options(aeropatrol_read=True)

    def now(self) -> float:
        """Current time (unix seconds) from the store's clock (injectable for tests and replays)."""
        return float(self.clock())

    @cached_property
    def records(self):
        """Patrols, track points, infractions and evidence references (``Records``)."""
        from infractions.store.records import Records

        return Records(self)

    @cached_property
    def outbox(self):
        """The ``datalink.outbox.Outbox`` of this store (``StoreOutbox``)."""
        from infractions.store.outbox import StoreOutbox

        return StoreOutbox(self)

    @cached_property
    def users(self):
        """Accounts and logins (``UserDirectory``)."""
        from infractions.store.users import UserDirectory

        return UserDirectory(self)

    @cached_property
    def review(self):
        """Review desk (``ReviewDesk``): list, show, decide, release; audited."""
        from infractions.store.review import ReviewDesk

        return ReviewDesk(self)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def open_store(target: str | Path, clock: Callable[[], float] = time.time) -> Store:
    """Open (creating if needed) a store: a file path (SQLite) or an SQLAlchemy URL (``postgresql+psycopg://``)."""
    engine = create_store_engine(target)
    create_schema(engine)
    return Store(engine, clock)


__all__ = ["Store", "open_store", "database_url"]
