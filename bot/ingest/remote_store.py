"""Distributed mode, in the one writer: a poll a worker fetched and parsed, stored once by its poll id.

The claim of the poll id and the store are one transaction: a result delivered twice (a worker killed
after sending it, the writer killed after committing and before acknowledging it) finds its id
claimed and is skipped, and a store that failed leaves the id unclaimed for the redelivery.

Claims are kept STALE_SECONDS: a result queued longer ago than that (the bot was down for hours while
results waited in Redis) is refused as stale rather than checked, and nothing is lost by it: the feed's
state was not touched, so its next poll fetches the same items again. Without the bound the table would
grow by every poll of every feed, forever.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta, timezone

from bot.config import Settings
from bot.ingest.pipeline import PollResult, record_fetch, store_parsed
from bot.ingest.poll_queue import PollDone
from db import to_iso
from db.connection import writing
from db.feeds import get_feed_row
from db.remote_polls import claim_poll, forget_polls_before

logger = logging.getLogger(__name__)

STALE_SECONDS = 3600.0  # a result queued longer ago than this is not stored (its feed is polled again meanwhile)
FORGET_EVERY = 1000  # claims between two clean-ups of the old ones
_stored = 0


def store_remote(db, done: PollDone, *, settings: Settings) -> PollResult | None:
    """Store the poll as a local one would be (pipeline's own steps); None when its id was stored before, or
    when it is stale."""
    global _stored
    age = time.time() - done.enqueued_at
    if age > STALE_SECONDS:
        logger.warning("feed %s: poll %s was queued %.0f s ago; not stored (its next poll fetches it again)",
                       done.feed.id, done.poll_id, age, extra={"feed_id": done.feed.id})
        return None
    now = datetime.now(timezone.utc)
    with writing(db):
        _stored += 1
        if _stored % FORGET_EVERY == 1:
            forget_polls_before(db, to_iso(now - timedelta(seconds=STALE_SECONDS * 2)))
        if not claim_poll(db, done.poll_id, done.feed.id, at=to_iso(now)):
            return None
        row = get_feed_row(db, done.feed.id) or {}  # as it stands now: failures in a row, first success
        if done.kind == "changed":
            return store_parsed(db, done.feed, row, done.fetched, done.state, done.outcome, started=done.started,
                                now=done.now, settings=settings)
        return record_fetch(db, done.feed, row, done.fetched, done.kind, done.state, started=done.started,
                            now=done.now, settings=settings)
