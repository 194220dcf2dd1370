"""Named queries on the feeds table: configuration sync, poll state, health."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bot.models import FeedConfig
from db.connection import from_iso, to_iso, utc_now_iso, writing

# A feed is stale when it has not been read successfully for this many intervals.
STALE_AFTER_INTERVALS = 3
STALE_MINIMUM = timedelta(hours=1)


def sync_file_feeds(db, feeds: list[FeedConfig], *, remove_missing: bool = True) -> dict[str, list[str]]:
    """Make the feeds table match feeds.yaml for file-managed feeds; poll state and history are kept.

    `remove_missing=False` (a one-off poll with some file) adds and updates but removes nothing."""
    now = utc_now_iso()
    wanted = {feed.id: feed for feed in feeds}
    changes = {"added": [], "changed": [], "removed": []}
    with writing(db):
        existing = {row["id"]: row for row in db.query("select * from feeds")}
        for feed in feeds:
            values = _config_columns(feed)
            row = existing.get(feed.id)
            if row is None:
                db["feeds"].insert({**values, "id": feed.id, "origin": "file", "created_at": now})
                changes["added"].append(feed.id)
            elif row["origin"] == "file" and (any(row[k] != v for k, v in values.items()) or row["removed_at"]):
                db["feeds"].update(feed.id, {**values, "removed_at": None})
                changes["changed"].append(feed.id)
        for feed_id, row in existing.items():
            if remove_missing and row["origin"] == "file" and feed_id not in wanted and not row["removed_at"]:
                # Kept, not deleted: its items and history stay browsable.
                db["feeds"].update(feed_id, {"removed_at": now, "enabled": 0})
                changes["removed"].append(feed_id)
    return changes


def _config_columns(feed: FeedConfig) -> dict:
    return {
        "url": feed.url, "interval_seconds": feed.interval_seconds, "channel": feed.channel,
        "lang": feed.lang, "enabled": int(feed.enabled), "tags": json.dumps(list(feed.tags)),
        "full_text": int(feed.full_text), "priority": int(feed.priority),
    }


def active_feeds(db) -> list[FeedConfig]:
    """Feeds to poll: enabled and not removed."""
    with db.lock:
        rows = list(db.query("select * from feeds where enabled = 1 and removed_at is null order by id"))
    return [row_to_config(row) for row in rows]


def row_to_config(row: dict) -> FeedConfig:
    return FeedConfig(id=row["id"], url=row["url"], interval_seconds=row["interval_seconds"],
                      channel=row["channel"], lang=row["lang"], enabled=bool(row["enabled"]),
                      tags=tuple(json.loads(row["tags"] or "[]")), full_text=bool(row.get("full_text")),
                      priority=bool(row.get("priority")))


def get_feed_row(db, feed_id: str) -> dict | None:
    rows = list(db.query("select * from feeds where id = ?", [feed_id]))
    return rows[0] if rows else None


@dataclass
class FeedHealth:
    """One line of `feeds list`."""

    id: str
    url: str
    enabled: bool
    interval_seconds: int
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    consecutive_failures: int
    items_total: int
    items_per_day: float
    stale: bool
    next_poll_after: str | None
    priority: bool = False


def feed_health(db, *, now: datetime | None = None) -> list[FeedHealth]:
    """Health of every current feed: last success, last error, failures in a row, volume, staleness."""
    now = now or datetime.now(timezone.utc)
    week_ago = to_iso(now - timedelta(days=7))
    counts = {row["feed_id"]: row for row in db.query(
        "select feed_id, count(*) as total, sum(first_seen_at >= ?) as week from items group by feed_id",
        [week_ago])}
    out = []
    for row in db.query("select * from feeds where removed_at is null order by id"):
        count = counts.get(row["id"], {})
        stale_after = max(STALE_MINIMUM, timedelta(seconds=row["interval_seconds"] * STALE_AFTER_INTERVALS))
        reference = row["last_success_at"] or row["created_at"]
        stale = bool(row["enabled"]) and reference is not None and (
            from_iso(reference) < now - stale_after or (row["last_success_at"] is None and row["consecutive_failures"]))
        out.append(FeedHealth(
            id=row["id"], url=row["url"], enabled=bool(row["enabled"]),
            interval_seconds=row["interval_seconds"], last_success_at=row["last_success_at"],
            last_error=row["last_error"], last_error_at=row["last_error_at"],
            consecutive_failures=row["consecutive_failures"] or 0,
            items_total=count.get("total") or 0, items_per_day=round((count.get("week") or 0) / 7, 1),
            stale=stale, next_poll_after=row["next_poll_after"], priority=bool(row.get("priority")),
        ))
    return out




def feed_url_taken(db, url: str) -> bool:
    with db.lock:
        return db.execute("select 1 from feeds where url = ? and removed_at is null", [url]).fetchone() is not None


def feed_id_taken(db, feed_id: str) -> bool:
    """Taken even by a removed feed: its items keep the id."""
    with db.lock:
        return db.execute("select 1 from feeds where id = ?", [feed_id]).fetchone() is not None


def feed_origins(db) -> dict[str, str]:
    """feed id → 'file' (feeds.yaml) or 'slack' (added with /feeds add)."""
    return {r["id"]: r["origin"] for r in db.query("select id, origin from feeds")}


def slack_feed_rows(db) -> list[dict]:
    """Feeds added in Slack and not removed, by id."""
    with db.lock:
        return list(db.query("select * from feeds where origin = 'slack' and removed_at is null order by id"))


def save_slack_feed(db, *, feed_id: str, url: str, interval_seconds: int, channel: str | None, title: str | None,
                    added_by: str, full_text: bool = False) -> None:
    """A feed an admin added in Slack (a removed one with the same id comes back). Inside a transaction."""
    db["feeds"].upsert({"id": feed_id, "url": url, "interval_seconds": interval_seconds, "channel": channel,
                        "enabled": 1, "tags": "[]", "full_text": int(full_text), "origin": "slack", "title": title, "added_by": added_by,
                        "created_at": utc_now_iso(), "removed_at": None}, pk="id")


def remove_feed(db, feed_id: str) -> None:
    """It stops being polled; its items stay. Inside a transaction."""
    db["feeds"].update(feed_id, {"removed_at": utc_now_iso(), "enabled": 0})


def set_feed_enabled(db, feed_id: str, *, enabled: bool) -> None:
    db["feeds"].update(feed_id, {"enabled": int(enabled)})


# The feeds columns a poll writes; anything else is a programming error.
POLL_STATE_COLUMNS = frozenset({
    "last_polled_at", "last_success_at", "consecutive_failures", "next_poll_after", "etag", "last_modified",
    "body_hash", "title", "warning", "last_new_item_at", "last_error", "last_error_at",
})


def record_poll(db, feed_id: str, *, state: dict, started: str, finished: str, outcome: str,
                http_status: int | None, new_items: int, updated_items: int, error: str | None) -> None:
    """A poll's feed state and its line in the poll log. Inside the poll's transaction.

    Plain SQL: this runs on every poll, and sqlite-utils' update()/insert() read the table's
    schema on each call (a third of an unchanged poll's time). An UPDATE of a feed that is not
    in the table (removed meanwhile) changes nothing.
    """
    unknown = state.keys() - POLL_STATE_COLUMNS
    if unknown:
        raise ValueError(f"not a feed state column: {sorted(unknown)}")
    db.conn.execute(f"UPDATE feeds SET {', '.join(f'{column} = ?' for column in state)} WHERE id = ?",
                    [*state.values(), feed_id])
    db.conn.execute(
        "INSERT INTO polls (feed_id, started_at, finished_at, outcome, http_status, new_items, updated_items,"
        " error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [feed_id, started, finished, outcome, http_status, new_items, updated_items, error])


def recent_polls(db, feed_id: str, *, limit: int = 50) -> list[dict]:
    """The feed's last polls, newest first: started_at, outcome, new_items, updated_items."""
    with db.lock:
        return [dict(zip(("started_at", "outcome", "new_items", "updated_items"), row)) for row in db.execute(
            "select started_at, outcome, new_items, updated_items from polls where feed_id = ?"
            " order by started_at desc limit ?", [feed_id, limit])]


def never_polled_feeds(db) -> set[str]:
    """Feeds with no poll yet: their first poll (the backlog) need not wait for their phase."""
    with db.lock:
        return {r[0] for r in db.execute("select id from feeds where last_polled_at is null")}
