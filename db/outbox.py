"""The alert outbox: events waiting for Slack, each at most once by its idempotency key.

Every state an alert goes through lives here as a named write, so the sender (bot/slack/) holds
no SQL: pending -> sending (committed before the call) -> sent, or back to pending with a
next_attempt_at (deferred), or blocked until something changes or a person decides; recorded
(a backlog) and folded (a syndicated copy) are never posted. Reads take `db.lock`; writes are
one `writing` transaction each, and mark_sent keeps the row, its folded copies and the thread's
parent in the same one.
"""

from __future__ import annotations

import json

from db import slack_threads
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



def queue_suggestion(db, *, key: str, channel: str, payload: dict) -> int | None:
    """An emerging incident for the desk channel (no incident of its own), queued once by its key: the
    key outlives restarts, so a suggestion seen again at the next poll adds nothing. Its id when new."""
    with writing(db):
        cursor = db.execute(
            "insert or ignore into outbox (idempotency_key, incident_id, kind, item_id, payload, created_at, status,"
            " slack_channel) values (?, null, 'suggestion', null, ?, ?, 'pending', ?)",
            [key, json.dumps(payload, default=str), utc_now_iso(), channel])
        return cursor.lastrowid if cursor.rowcount == 1 else None


def queued_suggestion_stories(db, *, last: int) -> list[tuple[str, list[str]]]:
    """(idempotency key, stories) of the `last` suggestions queued and not dropped, newest first. By count, not
    by date: the queue may run at a replayed time, and a desk sees a few suggestions a day, not hundreds."""
    with db.lock:
        rows = db.execute("select idempotency_key, payload from outbox where kind = 'suggestion' and status != 'dropped'"
                          " order by id desc limit ?", [last]).fetchall()
    return [(key, json.loads(payload or "{}").get("stories") or []) for key, payload in rows]


def drop_untried_suggestions(db, *, keep: set[str]) -> int:
    """Suggestions queued but never tried that are no longer suggested (tracked since): dropped; how many."""
    with writing(db):
        rows = db.execute("select id, idempotency_key from outbox where kind = 'suggestion' and status = 'pending'"
                          " and attempts = 0").fetchall()
        gone = [row_id for row_id, key in rows if key not in keep]
        for row_id in gone:
            db.execute("update outbox set status = 'dropped' where id = ? and attempts = 0", [row_id])
    return len(gone)


# --- the sender's side: due rows and every transition ---------------------------------------------

OPEN_STATUSES = ("pending", "sending", "blocked")


def alert_row(db, alert_id: int) -> dict | None:
    with db.lock:
        rows = list(db.query("SELECT * FROM outbox WHERE id = ?", [alert_id]))
    return rows[0] if rows else None


def due_alerts(db, *, now: str, limit: int) -> list[dict]:
    """Open rows due at `now`, oldest first, none overtaking an earlier row of its incident that waits."""
    with db.lock:
        rows = list(db.query(
            "SELECT * FROM outbox WHERE status IN ('pending', 'sending', 'blocked') "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?", [now, limit]))
        # An incident's thread keeps its order: nothing overtakes an alert that is backing off
        # (a digest has no incident and no thread: one backing off holds up no other).
        waiting = dict(db.execute(
            "SELECT incident_id, MIN(id) FROM outbox WHERE status IN ('pending', 'sending') "
            "AND next_attempt_at > ? AND incident_id IS NOT NULL GROUP BY incident_id", [now]).fetchall())
    return [r for r in rows if r["incident_id"] not in waiting or r["id"] < waiting[r["incident_id"]]]


def mark_sending(db, alert_id: int, *, channel: str, lease_until: str) -> None:
    # Committed before the call: after a crash this row is known to be in doubt.
    with writing(db):
        db.execute("UPDATE outbox SET status = 'sending', attempts = attempts + 1, slack_channel = ?, "
                   "next_attempt_at = ?, last_error = NULL WHERE id = ?", [channel, lease_until, alert_id])


def mark_sent(db, row: dict, *, channel: str, ts: str, at: str, folded: list[int], opens_thread: bool,
              card_stale: bool) -> None:
    """The row is in Slack at `ts`: so are its folded copies, and a parent opens the incident's thread.
    One transaction, so a crash never leaves a thread without its sent parent or the reverse."""
    with writing(db):
        db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, slack_channel = ?, slack_ts = ?, "
                   "next_attempt_at = NULL, last_error = NULL WHERE id = ?", [at, channel, ts, row["id"]])
        for folded_id in folded[:1000]:
            db.execute("UPDATE outbox SET slack_channel = ?, slack_ts = ?, sent_at = ? "
                       "WHERE id = ? AND status = 'folded'", [channel, ts, at, folded_id])
        if row["incident_id"] is None:
            return
        if opens_thread:
            slack_threads.save_parent(db, incident_id=row["incident_id"], channel=channel, ts=ts, at=at)
        elif card_stale:
            slack_threads.mark_stale(db, row["incident_id"])


def mark_deferred(db, alert_id: int, *, error: str, next_attempt_at: str) -> None:
    with writing(db):
        db.execute("UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?",
                   [error[:500], next_attempt_at, alert_id])


def mark_blocked(db, row: dict, *, channel: str | None, error: str, next_attempt_at: str) -> bool:
    """Hold the row back; True when the admins already know (so they are told on the transition only:
    not again for a retry failing the same way, nor for each alert waiting on the same channel, or
    on the same channel-less incident)."""
    code = error.split(":", 1)[0]
    where, target = ("slack_channel", channel) if channel else ("incident_id", row["incident_id"])
    with writing(db):
        already = (row["status"] == "blocked" and (row["last_error"] or "").split(":", 1)[0] == code) or \
            db.execute(f"SELECT 1 FROM outbox WHERE status = 'blocked' AND {where} IS ? AND id != ? "
                       "AND last_error LIKE ? LIMIT 1", [target, row["id"], code + "%"]).fetchone() is not None
        db.execute("UPDATE outbox SET status = 'blocked', last_error = ?, next_attempt_at = ?, "
                   "slack_channel = COALESCE(?, slack_channel) WHERE id = ?",
                   [error[:500], next_attempt_at, channel, row["id"]])
    return already


def mark_recorded(db, row: dict) -> None:
    """A backlog row: kept, never posted; the card's toll may count it, so the card goes stale."""
    with writing(db):
        db.execute("UPDATE outbox SET status = 'recorded', next_attempt_at = NULL WHERE id = ?", [row["id"]])
        if row["incident_id"] is not None:
            slack_threads.mark_stale(db, row["incident_id"])


def story_group(db, *, incident_id: int, story_id: int) -> list[dict]:
    """The open or sent rows of an incident about one story, oldest first (the fold's candidates)."""
    with db.lock:
        return list(db.query(
            "SELECT o.* FROM outbox o LEFT JOIN items i ON i.id = o.item_id "
            "WHERE o.incident_id = ? AND o.status IN ('pending', 'sending', 'blocked', 'sent') "
            "AND COALESCE(json_extract(o.payload, '$.story_id'), i.story_id) = ? ORDER BY o.id",
            [incident_id, story_id]))


def mark_folded(db, rep: dict, *, payload: dict, copy_ids: list[int], at: str) -> None:
    """Copies fold into `rep` (its payload now lists them); a sent rep lends them its ts."""
    sent = rep["status"] == "sent"
    with writing(db):
        db.execute("UPDATE outbox SET payload = ? WHERE id = ?", [json.dumps(payload), rep["id"]])
        for copy_id in copy_ids:
            db.execute("UPDATE outbox SET status = 'folded', slack_channel = ?, slack_ts = ?, sent_at = ? "
                       "WHERE id = ?", [rep["slack_channel"] if sent else None, rep["slack_ts"] if sent else None,
                                        at if sent else None, copy_id])


def retry_blocked(db, *, channel: str | None = None) -> int:
    """Make blocked alerts due now (all, or one channel's); how many."""
    sql = "UPDATE outbox SET next_attempt_at = NULL WHERE status = 'blocked'"
    params: list = []
    if channel is not None:
        sql += " AND slack_channel = ?"
        params.append(channel)
    with writing(db):
        return db.execute(sql, params).rowcount


def release_channel(db, channel: str) -> None:
    # The channel takes posts again (the bot was invited): its blocked alerts need not wait.
    with writing(db):
        db.execute("UPDATE outbox SET next_attempt_at = NULL WHERE status = 'blocked' AND slack_channel = ? "
                   "AND (last_error LIKE 'not_in_channel%' OR last_error LIKE 'channel_not_found%')", [channel])


# The two look-ups the sender makes outside the outbox, kept with it because only it needs them.

def item_story(db, item_id: int) -> int | None:
    with db.lock:
        found = db.execute("SELECT story_id FROM items WHERE id = ?", [item_id]).fetchone()
    return found[0] if found else None


def incident_channel(db, incident_id: int) -> str | None:
    with db.lock:
        found = db.execute("SELECT channel FROM incidents WHERE id = ?", [incident_id]).fetchone()
    return found[0] if found else None


def sent_at_ts(db, *, channel: str, ts: str) -> dict | None:
    """The first sent alert whose message is `ts` in `channel` (a thread's parent is one)."""
    with db.lock:
        rows = list(db.query("SELECT * FROM outbox WHERE slack_channel = ? AND slack_ts = ? AND status = 'sent' "
                             "ORDER BY id LIMIT 1", [channel, ts]))
    return rows[0] if rows else None


def alerts_with_slugs(db, ids: list[int]) -> list[dict]:
    """Queued alerts' payloads with their status and their incident's slug, for the console."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    with db.lock:
        rows = list(db.query(f"select outbox.payload, outbox.status, incidents.slug from outbox join incidents on"
                             f" incidents.id = outbox.incident_id where outbox.id in ({marks}) order by outbox.id", ids))
    return [{"slug": row["slug"], "status": row["status"], **json.loads(row["payload"])} for row in rows]
