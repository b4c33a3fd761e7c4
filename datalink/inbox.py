"""The ground station's durable inbox: seen ids (deduplication) and evidence assembly, in SQLite.

Everything received reliably is written here before it is acknowledged, so a ground restart
neither loses nor duplicates an infraction, and a half-received evidence package resumes.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from datalink.messages import EvidenceAnnounce, EvidenceChunk, InfractionEvent, decode

_SAFE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS infractions (
  infraction_id TEXT PRIMARY KEY, fleet TEXT NOT NULL, vehicle_id TEXT NOT NULL,
  received_s REAL NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS evidence (
  evidence_id TEXT PRIMARY KEY, infraction_id TEXT NOT NULL, fleet TEXT NOT NULL, vehicle_id TEXT NOT NULL,
  total_size INTEGER NOT NULL, chunk_size INTEGER NOT NULL, n_chunks INTEGER NOT NULL, sha256 TEXT NOT NULL,
  manifest BLOB NOT NULL, content_type TEXT NOT NULL, announced_s REAL NOT NULL,
  complete INTEGER NOT NULL DEFAULT 0, path TEXT, completed_s REAL);
CREATE TABLE IF NOT EXISTS chunks (
  evidence_id TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (evidence_id, idx));
"""


@dataclass(frozen=True)
class EvidenceRecord:
    """An evidence package the ground knows of; ``path`` is set once it is complete and verified."""

    evidence_id: str
    infraction_id: str
    fleet: str
    vehicle_id: str
    total_size: int
    n_chunks: int
    sha256: str
    manifest: bytes
    complete: bool
    path: Path | None
    received_chunks: int


class GroundInbox:
    """SQLite file of received infractions and evidence (WAL, one writer per process)."""

    def __init__(self, path: str | Path, evidence_dir: str | Path | None = None) -> None:
        self.path = Path(path)
        self.evidence_dir = Path(evidence_dir) if evidence_dir else self.path.with_suffix(".evidence")
        self.evidence_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # ---- infractions ----------------------------------------------------------------------------
    def add_infraction(self, fleet: str, vehicle_id: str, event: InfractionEvent, raw: bytes) -> bool:
        """Store an infraction; False if its id was already stored (a duplicate)."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO infractions VALUES (?, ?, ?, ?, ?)",
                (event.infraction_id, fleet, vehicle_id, time.time(), raw))
            return cur.rowcount == 1

    def infractions(self) -> list[InfractionEvent]:
        """Every stored infraction, in arrival order."""
        with self._lock:
            rows = self._db.execute("SELECT data FROM infractions ORDER BY rowid").fetchall()
        out = []
        for (raw,) in rows:
            msg = decode(bytes(raw))
            assert isinstance(msg, InfractionEvent)
            out.append(msg)
        return out

    def infraction_count(self) -> int:
        """Number of distinct infractions stored."""
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM infractions").fetchone()[0]

    # ---- evidence -------------------------------------------------------------------------------
    def announce(self, fleet: str, a: EvidenceAnnounce) -> EvidenceRecord:
        """Record an announced package (kept as first announced if it repeats) and return its state."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO evidence (evidence_id, infraction_id, fleet, vehicle_id, total_size, chunk_size,"
                " n_chunks, sha256, manifest, content_type, announced_s) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (a.evidence_id, a.infraction_id, fleet, a.vehicle_id, a.total_size, a.chunk_size, a.n_chunks,
                 a.sha256, a.manifest, a.content_type, time.time()))
        rec = self.evidence(a.evidence_id)
        assert rec is not None
        return rec

    def add_chunk(self, c: EvidenceChunk) -> str:
        """Store one chunk: 'stored', 'duplicate', 'unknown' (not announced), 'bad_index' or 'bad_hash'."""
        if hashlib.sha256(c.data).hexdigest() != c.sha256:
            return "bad_hash"
        with self._lock:
            row = self._db.execute(
                "SELECT n_chunks, chunk_size, total_size, complete FROM evidence WHERE evidence_id = ?",
                (c.evidence_id,)).fetchone()
            if row is None:
                return "unknown"
            n, size, total, complete = row
            expected = min(size, total - c.index * size) if c.index < n else -1
            if complete:
                return "duplicate"
            if c.index >= n or len(c.data) != expected:
                return "bad_index"
            cur = self._db.execute("INSERT OR IGNORE INTO chunks VALUES (?, ?, ?)", (c.evidence_id, c.index, c.data))
            return "stored" if cur.rowcount == 1 else "duplicate"

    def chunk_indices(self, evidence_id: str) -> list[int]:
        """Indices of the chunks held for an incomplete package."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT idx FROM chunks WHERE evidence_id = ? ORDER BY idx", (evidence_id,))]

    def try_complete(self, evidence_id: str) -> str:
        """Assemble a package whose chunks are all here: 'complete', 'incomplete', 'already' or 'bad_hash'.

        On 'bad_hash' the chunks are discarded so the sender starts over.
        """
        with self._lock:
            row = self._db.execute(
                "SELECT n_chunks, sha256, complete, content_type FROM evidence WHERE evidence_id = ?",
                (evidence_id,)).fetchone()
            if row is None:
                return "incomplete"
            n, sha, complete, ctype = row
            if complete:
                return "already"
            have = self._db.execute("SELECT COUNT(*) FROM chunks WHERE evidence_id = ?", (evidence_id,)).fetchone()[0]
            if have < n:
                return "incomplete"
            h = hashlib.sha256()
            path = self.evidence_dir / _file_name(evidence_id, ctype)
            tmp = path.with_suffix(path.suffix + ".part")
            with open(tmp, "wb") as f:
                for (data,) in self._db.execute(
                        "SELECT data FROM chunks WHERE evidence_id = ? ORDER BY idx", (evidence_id,)):
                    h.update(data)
                    f.write(data)
            if h.hexdigest() != sha:
                tmp.unlink(missing_ok=True)
                self._db.execute("DELETE FROM chunks WHERE evidence_id = ?", (evidence_id,))
                return "bad_hash"
            tmp.replace(path)
            self._db.execute("BEGIN")
            self._db.execute("UPDATE evidence SET complete = 1, path = ?, completed_s = ? WHERE evidence_id = ?",
                             (str(path), time.time(), evidence_id))
            self._db.execute("DELETE FROM chunks WHERE evidence_id = ?", (evidence_id,))
            self._db.execute("COMMIT")
            return "complete"

    def evidence(self, evidence_id: str) -> EvidenceRecord | None:
        """State of one package, or None if never announced."""
        with self._lock:
            row = self._db.execute(
                "SELECT evidence_id, infraction_id, fleet, vehicle_id, total_size, n_chunks, sha256, manifest, complete,"
                " path, (SELECT COUNT(*) FROM chunks c WHERE c.evidence_id = e.evidence_id) FROM evidence e"
                " WHERE evidence_id = ?", (evidence_id,)).fetchone()
        return _record(row) if row else None

    def evidence_list(self) -> list[EvidenceRecord]:
        """Every known package, in announcement order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT evidence_id, infraction_id, fleet, vehicle_id, total_size, n_chunks, sha256, manifest, complete,"
                " path, (SELECT COUNT(*) FROM chunks c WHERE c.evidence_id = e.evidence_id) FROM evidence e"
                " ORDER BY rowid").fetchall()
        return [_record(r) for r in rows]


def _record(r: tuple) -> EvidenceRecord:
    return EvidenceRecord(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bytes(r[7]), bool(r[8]),
                          Path(r[9]) if r[9] else None, r[10])


def _file_name(evidence_id: str, content_type: str) -> str:
    """A safe file name for a package (ids that are not file-safe are hashed)."""
    ext = {"application/zip": ".zip", "application/json": ".json", "image/jpeg": ".jpg", "video/mp4": ".mp4"}.get(
        content_type, ".bin")
    stem = evidence_id if _SAFE.match(evidence_id) and evidence_id not in (".", "..") else \
        hashlib.sha256(evidence_id.encode()).hexdigest()
    return stem + ext
