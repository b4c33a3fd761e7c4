"""SQLAlchemy Core schema of the infractions store (one definition for SQLite and PostgreSQL).

The audit log is append-only in the database itself: triggers reject UPDATE and DELETE on it
(SQLite ``RAISE(ABORT)``; PostgreSQL a PL/pgSQL function raising an exception).
"""
from __future__ import annotations

from sqlalchemy import (DDL, Boolean, Column, Float, ForeignKey, Index, Integer, LargeBinary, MetaData, String,
                        Table, Text, event)

metadata = MetaData()

#: Review states; ``new`` is the initial one.
STATUSES: tuple[str, ...] = ("new", "confirmed", "rejected", "needs_more_info")

settings = Table(
    "settings", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users", metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_s", Float, nullable=False),
)

patrols = Table(
    "patrols", metadata,
    Column("patrol_id", String(128), primary_key=True),
    Column("vehicle_id", String(128), nullable=False, default=""),
    Column("name", String(256), nullable=False, default=""),
    Column("started_s", Float, nullable=False),
    Column("ended_s", Float, nullable=True),
    Column("zones", Text, nullable=True),
    Column("rules", Text, nullable=True),
)

track_points = Table(
    "track_points", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patrol_id", String(128), nullable=False),
    Column("vehicle_id", String(128), nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("cls", String(64), nullable=False),
    Column("time_s", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("sigma_m", Float, nullable=False),
    Column("speed_kmh", Float, nullable=False),
    Column("heading_deg", Float, nullable=False),
    Index("ix_track_points_patrol_time", "patrol_id", "time_s"),
)

infractions = Table(
    "infractions", metadata,
    Column("infraction_id", String(128), primary_key=True),
    Column("patrol_id", String(128), nullable=False, index=True),
    Column("vehicle_id", String(128), nullable=False),
    Column("rule_id", String(128), nullable=False),
    Column("rule_version", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("cls", String(64), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("sigma_m", Float, nullable=False),
    Column("start_s", Float, nullable=False),
    Column("end_s", Float, nullable=False),
    Column("confidence", Float, nullable=False),
    Column("zone_id", String(128), nullable=False),
    Column("evidence_id", String(128), nullable=True),
    Column("created_s", Float, nullable=False, index=True),
    Column("summary", Text, nullable=False),
    Column("event", LargeBinary, nullable=False),  # datalink.messages.encode(InfractionEvent)
    Column("details", Text, nullable=False),  # JSON: params, measurements, uncertainty, profile, track
    Column("status", String(32), nullable=False, default="new"),
    Column("status_by", String(64), nullable=True),
    Column("status_s", Float, nullable=True),
    Column("status_note", Text, nullable=True),
    Column("released_s", Float, nullable=True),
)

evidence = Table(
    "evidence", metadata,
    Column("evidence_id", String(128), primary_key=True),
    Column("infraction_id", String(128), ForeignKey("infractions.infraction_id"), nullable=False, index=True),
    Column("patrol_id", String(128), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("created_s", Float, nullable=False),
)

outbox = Table(
    "outbox", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("item_id", String(128), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("data", LargeBinary, nullable=True),  # infraction: encoded event; evidence: None (read from path)
    Column("path", Text, nullable=True),
    Column("infraction_id", String(128), nullable=False, default=""),
    Column("manifest", LargeBinary, nullable=False, default=b""),
    Column("created_s", Float, nullable=False),
    Column("acked_s", Float, nullable=True),
)

reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("infraction_id", String(128), ForeignKey("infractions.infraction_id"), nullable=False, index=True),
    Column("decision", String(32), nullable=False),
    Column("reviewer", String(64), nullable=False),
    Column("time_s", Float, nullable=False),
    Column("note", Text, nullable=False, default=""),
)

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("time_s", Float, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target", String(256), nullable=False, default=""),
    Column("detail", Text, nullable=False, default="{}"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

for _op in ("UPDATE", "DELETE"):
    event.listen(audit_log, "after_create", DDL(
        f"CREATE TRIGGER IF NOT EXISTS audit_log_no_{_op.lower()} BEFORE {_op} ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END").execute_if(dialect="sqlite"))

event.listen(audit_log, "after_create", DDL(
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql").execute_if(dialect="postgresql"))
event.listen(audit_log, "after_create", DDL(
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()").execute_if(dialect="postgresql"))
