"""The polls remote workers fetched and parsed (distributed mode), claimed once by their poll id."""

from __future__ import annotations


def claim_poll(db, poll_id: str, feed_id: str, *, at: str) -> bool:
    """True the first time a poll id is seen; False for a redelivered poll or result. Call inside the
    transaction that stores the poll, so the claim and the store commit or roll back together."""
    cursor = db.conn.execute("insert or ignore into remote_polls (poll_id, feed_id, stored_at) values (?, ?, ?)",
                             [poll_id, feed_id, at])
    return cursor.rowcount == 1


def forget_polls_before(db, at: str) -> int:
    """Drop the claims stored before `at` (results that old are refused as stale anyway); how many.
    Call inside a write transaction."""
    return db.conn.execute("delete from remote_polls where stored_at < ?", [at]).rowcount
