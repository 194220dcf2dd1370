"""Named queries on the websub table: the hubs feeds advertise and the bot's subscriptions to them."""

from __future__ import annotations

from db.connection import writing

_SUBSCRIPTION_COLUMNS = ("secret", "callback", "lease_seconds", "pending_since", "verified_at", "lease_expires_at",
                         "attempts", "retry_at", "last_error")


def record_discovery(db, feed_id: str, *, hub: str | None, topic: str | None, at: str) -> None:
    """The hub and topic a feed's document advertises (None: none). A changed hub or topic forgets the old
    subscription (a new one, with a new secret, is asked for); the same pair changes nothing.
    Joins the caller's transaction when there is one."""
    with writing(db):
        row = db.execute("SELECT hub, topic FROM websub WHERE feed_id = ?", [feed_id]).fetchone()
        if row is not None and (row[0], row[1]) == (hub, topic):
            return
        if row is None and hub is None:
            return
        if row is None:
            db.conn.execute("INSERT INTO websub (feed_id, hub, topic, discovered_at, attempts) VALUES (?, ?, ?, ?, 0)",
                            [feed_id, hub, topic, at])
            return
        cleared = ", ".join(f"{column} = NULL" for column in _SUBSCRIPTION_COLUMNS if column != "attempts")
        db.conn.execute(f"UPDATE websub SET hub = ?, topic = ?, discovered_at = ?, attempts = 0, {cleared}"
                        " WHERE feed_id = ?", [hub, topic, at, feed_id])


def get_subscription(db, feed_id: str) -> dict | None:
    with db.lock:
        rows = list(db.query("SELECT * FROM websub WHERE feed_id = ?", [feed_id]))
    return rows[0] if rows else None


def subscription_rows(db) -> list[dict]:
    """Every feed with a hub, joined with what the feed is (origin, enabled, removed), by feed id."""
    with db.lock:
        return list(db.query(
            "SELECT websub.*, feeds.origin AS origin, feeds.enabled AS enabled, feeds.removed_at AS removed_at"
            " FROM websub JOIN feeds ON feeds.id = websub.feed_id WHERE websub.hub IS NOT NULL ORDER BY feed_id"))


def update_subscription(db, feed_id: str, **values) -> None:
    """Set subscription columns (see _SUBSCRIPTION_COLUMNS) of one feed's row."""
    unknown = values.keys() - set(_SUBSCRIPTION_COLUMNS)
    if unknown:
        raise ValueError(f"not a websub subscription column: {sorted(unknown)}")
    if not values:
        return
    with writing(db):
        db.conn.execute(f"UPDATE websub SET {', '.join(f'{column} = ?' for column in values)} WHERE feed_id = ?",
                        [*values.values(), feed_id])


def active_until(db, feed_id: str) -> str | None:
    """When the feed's verified lease lapses (None: never verified)."""
    with db.lock:
        row = db.execute("SELECT lease_expires_at FROM websub WHERE feed_id = ?", [feed_id]).fetchone()
    return row[0] if row else None
