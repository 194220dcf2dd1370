"""Named queries on `slack_threads`: which message is an incident's parent in a channel, and
whether the card it shows may be out of date (`updated_at` NULL)."""

from __future__ import annotations

from db.connection import writing


def parent_ts(db, incident_id: int, channel: str) -> str | None:
    with db.lock:
        found = db.execute("SELECT parent_ts FROM slack_threads WHERE incident_id = ? AND channel = ? "
                           "AND parent_ts IS NOT NULL", [incident_id, channel]).fetchone()
    return found[0] if found else None


def stale_threads(db, *, incident_id: int | None = None, limit: int = 100) -> list[dict]:
    """Threads whose parent card may be out of date, oldest first."""
    sql = "SELECT * FROM slack_threads WHERE updated_at IS NULL AND parent_ts IS NOT NULL"
    params: list = []
    if incident_id is not None:
        sql += " AND incident_id = ?"
        params.append(incident_id)
    with db.lock:
        return list(db.query(sql + " ORDER BY id LIMIT ?", [*params, limit]))


def save_parent(db, *, incident_id: int, channel: str, ts: str, at: str) -> None:
    """Record (or replace) an incident's parent message. Call inside the transaction that marks it sent."""
    db.execute("INSERT INTO slack_threads (incident_id, channel, parent_ts, posted_at, updated_at) "
               "VALUES (?, ?, ?, ?, ?) ON CONFLICT(incident_id, channel) DO UPDATE SET "
               "parent_ts = excluded.parent_ts, posted_at = excluded.posted_at, "
               "updated_at = excluded.updated_at", [incident_id, channel, ts, at, at])


def mark_stale(db, incident_id: int) -> None:
    # NULL updated_at = "the card may be out of date"; written in the same transaction as the
    # cause (a savepoint when nested), so a crash before the chat.update still refreshes it.
    with writing(db):
        db.execute("UPDATE slack_threads SET updated_at = NULL WHERE incident_id = ?", [incident_id])


def mark_updated(db, thread_id: int, *, at: str) -> None:
    with writing(db):
        db.execute("UPDATE slack_threads SET updated_at = ? WHERE id = ?", [at, thread_id])


def forget_thread(db, thread_id: int) -> None:
    """The parent was deleted in Slack: the incident's next alert opens a new thread."""
    with writing(db):
        db.execute("DELETE FROM slack_threads WHERE id = ?", [thread_id])


def incident_thread(db, incident_id: int) -> tuple[str, str] | None:
    """(channel ID, parent ts) of the incident's most recent thread, or None when it has none yet."""
    with db.lock:
        found = db.execute("SELECT channel, parent_ts FROM slack_threads WHERE incident_id = ? "
                           "AND parent_ts IS NOT NULL ORDER BY id DESC LIMIT 1", [incident_id]).fetchone()
    return (found[0], found[1]) if found else None
