"""The alert outbox: events waiting for Slack, each at most once by its idempotency key."""

from __future__ import annotations

import json

from db.audit import audit
from db.connection import utc_now_iso, writing


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


def blocked_alerts(db) -> list[dict]:
    """Alerts the sender holds back until something changes or a person decides, oldest first."""
    with db.lock:
        return list(db.query(
            "select o.id, o.kind, o.slack_channel, o.last_error, o.created_at, i.slug as incident"
            " from outbox o left join incidents i on i.id = o.incident_id"
            " where o.status = 'blocked' order by o.id"))


def decide_blocked(db, alert_id: int, *, send: bool, actor: str) -> bool:
    """A person's decision on a blocked alert: send it now, without looking for it in Slack first
    (it is not there), or drop it (it is there, or no longer wanted). False if it was not blocked."""
    with writing(db):
        if send:
            # No last_error: the sender does not look for it again, it posts it.
            changed = db.execute("update outbox set status = 'pending', last_error = null, next_attempt_at = null"
                                 " where id = ? and status = 'blocked'", [alert_id]).rowcount
        else:
            changed = db.execute("update outbox set status = 'dropped', next_attempt_at = null"
                                 " where id = ? and status = 'blocked'", [alert_id]).rowcount
        if changed:
            audit(db, actor=actor, action="alert_send" if send else "alert_drop", target=str(alert_id))
    return bool(changed)
