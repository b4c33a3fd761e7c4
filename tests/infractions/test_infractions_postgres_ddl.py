"""The same schema on PostgreSQL: DDL (tables, indexes, append-only trigger) and upserts compile for it."""
from __future__ import annotations

from sqlalchemy import create_mock_engine
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable

from infractions.store.db import database_url
from infractions.store.schema import audit_log, infractions, metadata, outbox


def test_postgresql_ddl_has_tables_and_append_only_trigger():
    statements: list[str] = []
    engine = create_mock_engine("postgresql+psycopg://", lambda sql, *a, **k: statements.append(
        str(sql.compile(dialect=engine.dialect))))
    metadata.create_all(engine, checkfirst=False)
    text = "\n".join(statements)
    for table in ("users", "patrols", "track_points", "infractions", "evidence", "outbox", "reviews", "audit_log"):
        assert f"CREATE TABLE {table}" in text
    assert "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log" in text
    assert "RAISE EXCEPTION 'audit_log is append-only'" in text
    assert "BYTEA" in str(CreateTable(infractions).compile(dialect=postgresql.dialect()))
    assert "SERIAL" in str(CreateTable(audit_log).compile(dialect=postgresql.dialect()))


def test_postgresql_insert_ignore_is_on_conflict_do_nothing():
    stmt = postgresql.insert(outbox).values(item_id="x", kind="infraction", created_s=0.0).on_conflict_do_nothing()
    assert "ON CONFLICT DO NOTHING" in str(stmt.compile(dialect=postgresql.dialect()))


def test_database_url_paths_and_urls():
    assert database_url("/var/lib/aeropatrol/store.db") == "sqlite:////var/lib/aeropatrol/store.db"
    assert database_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
