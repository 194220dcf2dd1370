"""Named queries on digest_schedules (each channel's daily digest) and the digests' outbox rows.

A digest row in the outbox has no incident: kind 'digest', its channel in slack_channel, its text
and blocks in the payload, and the key `digest:<channel>:<local date>` so it is sent once a day.
"""

from __future__ import annotations

import json

from bot.models import DigestConfig
from db.audit import audit
from db.connection import utc_now_iso, writing


def sync_file_digests(db, digests: list[DigestConfig]) -> dict[str, list[str]]:
    """Make the file's schedules match feeds.yaml's `digests:`; a schedule set in Slack is left alone."""
    now = utc_now_iso()
    wanted = {d.channel: d for d in digests}
    changes: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
    with writing(db):
        existing = {row["channel"]: row for row in db.query("select * from digest_schedules")}
        for digest in digests:
            values = {"at": digest.at, "tz": digest.tz, "feeds": int(digest.feeds)}
            row = existing.get(digest.channel)
            if row is None:
                db["digest_schedules"].insert({**values, "channel": digest.channel, "origin": "file",
                                               "set_by": "feeds.yaml", "updated_at": now})
                changes["added"].append(digest.channel)
            elif row["origin"] == "file" and any(row[k] != v for k, v in values.items()):
                db["digest_schedules"].update(digest.channel, {**values, "updated_at": now})
                changes["changed"].append(digest.channel)
        for channel, row in existing.items():
            if row["origin"] == "file" and channel not in wanted:
                db["digest_schedules"].delete(channel)
                changes["removed"].append(channel)
    return changes


def get_schedule(db, channel: str) -> dict | None:
    with db.lock:
        rows = list(db.query("select * from digest_schedules where channel = ?", [channel]))
    return rows[0] if rows else None


def schedules(db) -> list[dict]:
    """Every digest that is on, by channel."""
    with db.lock:
        return list(db.query("select * from digest_schedules where at is not null order by channel"))


def set_schedule(db, channel: str, *, at: str | None, tz: str | None, user: str) -> None:
    """A schedule set (or, with at=None, turned off) in Slack; audited in the same transaction.
    The feeds flag of an existing schedule is kept (it is the admins' channel's)."""
    with writing(db):
        row = db.execute("select feeds from digest_schedules where channel = ?", [channel]).fetchone()
        db["digest_schedules"].upsert({"channel": channel, "at": at, "tz": tz or "UTC",
                                       "feeds": row[0] if row else 0, "origin": "slack", "set_by": user,
                                       "updated_at": utc_now_iso()}, pk="channel")
        audit(db, actor=user, action="digest_set" if at else "digest_off", target=f"channel:{channel}",
              detail={"at": at, "tz": tz} if at else {})


def digest_queued(db, key: str) -> bool:
    with db.lock:
        return db.execute("select 1 from outbox where idempotency_key = ?", [key]).fetchone() is not None


def enqueue_digest(db, *, key: str, channel: str, payload: dict) -> int | None:
    """Queue one digest for its channel unless its key is there already; its id when it was new."""
    with writing(db):
        cursor = db.execute(
            "insert or ignore into outbox (idempotency_key, incident_id, kind, payload, created_at, status,"
            " slack_channel) values (?, null, 'digest', ?, ?, 'pending', ?)",
            [key, json.dumps(payload, default=str), utc_now_iso(), channel])
    return cursor.lastrowid if cursor.rowcount == 1 else None
