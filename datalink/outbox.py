"""The onboard outbox contract: what the reliable sender asks of a durable store.

The ``infractions`` store implements ``Outbox``; ``MemoryOutbox`` and ``SqliteOutbox`` here are
small reference implementations used by datalink's own tests and benchmarks.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

#: Kinds of reliable items. ``infraction``: ``data`` is ``messages.encode(InfractionEvent)``.
#: ``evidence``: ``data`` is the whole evidence package (e.g. a zip), chunked by the sender.
OUTBOX_KINDS: tuple[str, ...] = ("infraction", "evidence")


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One unacknowledged reliable item.

    ``item_id`` is the infraction id or the evidence id (UUIDs: unique across kinds).
    For ``evidence`` items, ``infraction_id`` names the infraction and ``manifest`` is the
    package manifest (JSON bytes) shown by the ground before the package is complete.
    """

    item_id: str
    kind: str
    data: bytes
    infraction_id: str = ""
    manifest: bytes = b""
    created_s: float = 0.0


@runtime_checkable
class Outbox(Protocol):
    """Durable queue of reliable items that survives a restart of the onboard process.

    Only ever called from the onboard link's sender thread. An outbox may also offer
    ``pending_ids() -> Iterable[str]`` (cheap: no payloads); the link then calls ``pending()`` only
    when an id it does not hold yet appears.
    """

    def pending(self) -> Iterable[OutboxItem]:
        """Every item not yet acknowledged by a ground station, oldest first."""
        ...

    def mark_acked(self, item_id: str) -> None:
        """Record that the ground has stored ``item_id``; it is never offered again. Idempotent."""
        ...


class MemoryOutbox:
    """In-memory ``Outbox`` (tests, or a vehicle without storage: lost on restart)."""

    def __init__(self) -> None:
        self._items: dict[str, OutboxItem] = {}
        self._acked: set[str] = set()
        self._lock = threading.Lock()

    def put(self, item: OutboxItem) -> None:
        """Queue one item (ignored if the id is already queued or acknowledged)."""
        with self._lock:
            if item.item_id not in self._items and item.item_id not in self._acked:
                self._items[item.item_id] = item

    def pending(self) -> list[OutboxItem]:
        """Unacknowledged items, oldest first."""
        with self._lock:
            return list(self._items.values())

    def mark_acked(self, item_id: str) -> None:
        """Drop ``item_id`` from the queue."""
        with self._lock:
            self._items.pop(item_id, None)
            self._acked.add(item_id)


class SqliteOutbox:
    """``Outbox`` in one SQLite file (WAL): the reference durable implementation for datalink tests."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, item_id TEXT UNIQUE NOT NULL,"
            " kind TEXT NOT NULL, data BLOB NOT NULL, infraction_id TEXT NOT NULL, manifest BLOB NOT NULL,"
            " created_s REAL NOT NULL, acked INTEGER NOT NULL DEFAULT 0)"
        )

    def put(self, item: OutboxItem) -> None:
        """Queue one item durably (ignored if the id exists)."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO outbox (item_id, kind, data, infraction_id, manifest, created_s)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (item.item_id, item.kind, item.data, item.infraction_id, item.manifest, item.created_s),
            )

    def pending_ids(self) -> list[str]:
        """Ids of the unacknowledged items, oldest first (no payloads read)."""
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT item_id FROM outbox WHERE acked = 0 ORDER BY seq")]

    def pending(self) -> list[OutboxItem]:
        """Unacknowledged items, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT item_id, kind, data, infraction_id, manifest, created_s FROM outbox WHERE acked = 0 ORDER BY seq"
            ).fetchall()
        return [OutboxItem(r[0], r[1], bytes(r[2]), r[3], bytes(r[4]), r[5]) for r in rows]

    def mark_acked(self, item_id: str) -> None:
        """Mark ``item_id`` acknowledged (kept for audit, never re-offered)."""
        with self._lock:
            self._db.execute("UPDATE outbox SET acked = 1 WHERE item_id = ?", (item_id,))

    def close(self) -> None:
        """Close the database file."""
        with self._lock:
            self._db.close()
