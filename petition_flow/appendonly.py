"""The database itself refuses to change the audit log (等保 安全审计: records protected against
unexpected deletion, modification or overwriting; issue 12).

Triggers on ``audit_entries`` and ``audit_checkpoints`` reject UPDATE and DELETE (and TRUNCATE
on PostgreSQL), installed by migration 0010_evidence. They stop the application and any
mistaken statement; someone with the database's admin rights can drop them, which is what
the keyed chain and the checkpoints outside the database are for. On PostgreSQL the
application role should moreover hold only INSERT and SELECT on these tables (README).
"""

from __future__ import annotations

from sqlalchemy import Connection, text

TABLES = ("audit_entries", "audit_checkpoints")
MESSAGE = "审计记录只能追加，不能修改或删除"


def _sqlite(table: str) -> list[str]:
    return [f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}（{table}）'); END"
            for op in ("UPDATE", "DELETE")]


PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION petition_flow_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '{MESSAGE}（%: %）', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$"""


def _postgres(table: str) -> list[str]:
    return [f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION petition_flow_append_only()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION petition_flow_append_only()"]


def install(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text(PG_FUNCTION))
        statements = [s for t in TABLES for s in _postgres(t)]
    else:
        statements = [s for t in TABLES for s in _sqlite(t)]
    for statement in statements:
        conn.execute(text(statement))


def drop(conn: Connection) -> None:
    """Remove the triggers (downgrade; tests acting as a database administrator)."""
    for table in TABLES:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
            conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
        else:
            for op in ("update", "delete"):
                conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{op}"))
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP FUNCTION IF EXISTS petition_flow_append_only()"))
