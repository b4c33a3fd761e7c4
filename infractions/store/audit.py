"""Append-only, hash-chained audit log: who did what, to what, when (views, decisions, exports, purges)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from infractions.store.db import lock_for_append
from infractions.store.schema import audit_log

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One audit record as read back."""

    seq: int
    time_s: float
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    prev_hash: str
    hash: str


def entry_hash(prev_hash: str, time_s: float, actor: str, action: str, target: str, detail_json: str) -> str:
    """SHA-256 over the previous hash and this entry's canonical fields."""
    payload = json.dumps([prev_hash, repr(float(time_s)), actor, action, target, detail_json], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: Connection, *, time_s: float, actor: str, action: str, target: str = "",
           detail: dict[str, Any] | None = None) -> str:
    """Append one entry inside the caller's transaction (so the action and its record commit together)."""
    lock_for_append(conn, "audit_log")
    prev = conn.execute(select(audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).scalar()
    prev = prev or GENESIS_HASH
    detail_json = json.dumps(detail or {}, sort_keys=True, separators=(",", ":"), default=str)
    digest = entry_hash(prev, time_s, actor, action, target, detail_json)
    conn.execute(audit_log.insert().values(time_s=float(time_s), actor=actor, action=action, target=target,
                                           detail=detail_json, prev_hash=prev, hash=digest))
    return digest


def entries(conn: Connection, *, target: str | None = None, action: str | None = None,
            limit: int | None = None) -> list[AuditEntry]:
    """Entries in order, optionally filtered by target and/or action."""
    stmt = select(audit_log).order_by(audit_log.c.seq)
    if target is not None:
        stmt = stmt.where(audit_log.c.target == target)
    if action is not None:
        stmt = stmt.where(audit_log.c.action == action)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [AuditEntry(r.seq, r.time_s, r.actor, r.action, r.target, json.loads(r.detail), r.prev_hash, r.hash)
            for r in conn.execute(stmt)]


def verify_chain(conn: Connection) -> list[str]:
    """Problems found re-computing the chain (empty list = intact)."""
    problems: list[str] = []
    prev = GENESIS_HASH
    for row in conn.execute(select(audit_log).order_by(audit_log.c.seq)):
        if row.prev_hash != prev:
            problems.append(f"audit entry {row.seq}: previous hash does not match entry before it")
        if entry_hash(row.prev_hash, row.time_s, row.actor, row.action, row.target, row.detail) != row.hash:
            problems.append(f"audit entry {row.seq}: content does not match its hash")
        prev = row.hash
    return problems
