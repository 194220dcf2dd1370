"""The alert outbox: events waiting for Slack, each at most once by its idempotency key."""

from __future__ import annotations

import json

from db.connection import utc_now_iso


def enqueue(db, *, key: str, incident_id: int, kind: str, payload: dict, item_id: int | None = None,
            status: str = "pending") -> int | None:
    """Add an alert unless one with this key exists; its id when it was new. Call inside a transaction."""
    cursor = db.execute(
        "insert or ignore into outbox (idempotency_key, incident_id, kind, item_id, payload, created_at, status)"
        " values (?,?,?,?,?,?,?)",
        [key, incident_id, kind, item_id, json.dumps(payload, default=str), utc_now_iso(), status])
    return cursor.lastrowid if cursor.rowcount == 1 else None


def pending_alerts(db, *, limit: int = 100) -> list[dict]:
    with db.lock:
        return list(db.query("select * from outbox where status = 'pending' order by id limit ?", [limit]))
