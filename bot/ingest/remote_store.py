"""Distributed mode, in the one writer: a poll a worker fetched and parsed, stored once by its poll id.

The claim of the poll id and the store are one transaction: a result delivered twice (a worker killed
after sending it, the writer killed after committing and before acknowledging it) finds its id
claimed and is skipped, and a store that failed leaves the id unclaimed for the redelivery.
"""

from __future__ import annotations

from bot.config import Settings
from bot.ingest.pipeline import PollResult, record_fetch, store_parsed
from bot.ingest.poll_queue import PollDone
from db import utc_now_iso
from db.connection import writing
from db.feeds import get_feed_row
from db.remote_polls import claim_poll


def store_remote(db, done: PollDone, *, settings: Settings) -> PollResult | None:
    """Store the poll as a local one would be (pipeline's own steps); None when its id was stored before."""
    with writing(db):
        if not claim_poll(db, done.poll_id, done.feed.id, at=utc_now_iso()):
            return None
        row = get_feed_row(db, done.feed.id) or {}  # as it stands now: failures in a row, first success
        if done.kind == "changed":
            return store_parsed(db, done.feed, row, done.fetched, done.state, done.outcome, started=done.started,
                                now=done.now, settings=settings)
        return record_fetch(db, done.feed, row, done.fetched, done.kind, done.state, started=done.started,
                            now=done.now, settings=settings)
