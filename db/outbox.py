"""The alert outbox: events waiting for Slack, each at most once by its idempotency key."""

from __future__ import annotations

import json

from db.connection import utc_now_iso


def enqueue(db, *, key: str, incident_id: int, kind: str, payload: dict, item_id: int | None = None,
            status: str = "pending") -> bool:
    """Add an alert unless one with this key exists; True when it was new. Call inside a transaction."""
    cursor = db.execute(
        "insert or ignore into outbox (idempotency_key, incident_id, kind, item_id, payload, created_at, status)"
        " values (?,?,?,?,?,?,?)",
        [key, incident_id, kind, item_id, json.dumps(payload, default=str), utc_now_iso(), status])
    return cursor.rowcount == 1


def pending_alerts(db, *, limit: int = 100) -> list[dict]:
    with db.lock:
        return list(db.query("select * from outbox where status = 'pending' order by id limit ?", [limit]))
