"""The bot's half of the distributed mode: its scheduler's turns become queued polls, and what the
workers send back is stored by the one writer, then processed and alerted as a local poll.

RemotePolls is called where the scheduler would call pipeline.poll_feed (same signature): it
enqueues a PollOrder on "polls" and returns at once. A feed is not queued again while its previous
poll has not come back; after twice its interval that poll counts as lost (a message dead-lettered,
a Redis flushed), so a lost message never silences a feed. One thread takes "stored" and hands each
PollDone to the writer (IngestWorker.store_remote), one at a time.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Callable
from uuid import uuid4

from bot.config import Settings
from bot.ingest.pipeline import PollResult, feed_row_unless_resting
from bot.ingest.poll_queue import STORED, PollDone, PollOrder, PollQueue, redacted
from bot.models import FeedConfig
from db.items import load_block_memory

logger = logging.getLogger(__name__)

ORDER_ROW = ("etag", "last_modified", "body_hash", "origin")  # what a worker needs of the feed's row
LOST_AFTER_INTERVALS = 2  # a poll not back after this many intervals is taken for lost
STOP_SECONDS = 30.0  # at a stop, the writer's thread finishes the result it holds within this


class RemotePolls:
    """`poll_feed`'s stand-in for the scheduler, and the consumer of the workers' results."""

    def __init__(self, settings: Settings, *, queue: PollQueue | None = None):
        self.settings = settings
        self.queue = queue or PollQueue(settings, take_done=self._take_done)  # QueueUnavailable when it cannot
        self._in_flight: dict[str, tuple[str, float]] = {}  # feed id -> (poll id, when it counts as lost)
        self._lock = threading.Lock()
        self._store: Callable[[PollDone], PollResult | None] | None = None
        self._on_stored: Callable[[PollResult], None] | None = None
        self._consumer = None

    def __call__(self, db, client, feed: FeedConfig, *, settings: Settings, now: datetime | None = None,
                 force: bool = False, rng=None, ingest=None, turn=None) -> PollResult:
        """A feed's turn: queued (outcome queued), or not (backoff; in_flight; queue_down). The host's turn
        (`turn`) and the parse (`ingest`) are the workers' business."""
        now = now or datetime.now(timezone.utc)
        row, resting = feed_row_unless_resting(db, feed, now=now, force=force)
        if resting is not None:
            return resting
        poll_id = uuid4().hex
        with self._lock:
            previous = self._in_flight.get(feed.id)
            if previous is not None and previous[1] > time.monotonic():
                return PollResult(feed.id, "in_flight")
            if previous is not None:
                logger.warning("feed %s: poll %s never came back; queued again", feed.id, previous[0],
                               extra={"feed_id": feed.id})
            self._in_flight[feed.id] = (poll_id, time.monotonic() + LOST_AFTER_INTERVALS * feed.interval_seconds)
        order = PollOrder(poll_id, feed, {key: row.get(key) for key in ORDER_ROW}, load_block_memory(db, feed.id))
        try:
            self.queue.send_poll(order)
        except Exception as exc:  # Redis is gone for now: the feed's next turn tries again
            self._came_back(feed.id, poll_id)
            logger.warning("feed %s: could not queue its poll: %s", feed.id, exc, extra={"feed_id": feed.id})
            return PollResult(feed.id, "queue_down", error=str(exc))
        return PollResult(feed.id, "queued")

    def in_flight(self) -> int:
        with self._lock:
            return len(self._in_flight)

    def start_writer(self, *, store: Callable[[PollDone], PollResult | None],
                     on_stored: Callable[[PollResult], None]) -> None:
        """Take "stored" on one thread: `store` (the writer; None for a poll id stored before), then
        `on_stored` with its PollResult, as the scheduler's on_poll after a local poll."""
        self._store, self._on_stored = store, on_stored
        self._consumer = self.queue.consume(STORED, threads=1)
        logger.info("distributed mode: polls queued at %s for `python -m bot worker` to fetch and parse; "
                    "stored here", redacted(self.queue.url))

    def _take_done(self, done: PollDone) -> None:
        """One result, on the writer's thread. A store that raises (its process died) leaves the message
        unacknowledged, and Dramatiq delivers it again; its poll id keeps it stored once."""
        if done.kind == "host_busy":
            self._came_back(done.feed.id, done.poll_id)
            logger.warning("feed %s: its host had no free turn for a whole interval; polled at its next turn",
                           done.feed.id, extra={"feed_id": done.feed.id})
            return
        result = self._store(done)
        self._came_back(done.feed.id, done.poll_id)
        if result is None:
            logger.info("feed %s: poll %s came back again; stored once", done.feed.id, done.poll_id,
                        extra={"feed_id": done.feed.id})
            return
        logger.debug("feed %s: %s via %s, %.1f s after it was queued", done.feed.id, result.outcome, done.worker,
                     time.time() - done.enqueued_at)
        try:
            self._on_stored(result)
        except Exception:  # the poll is stored; alerts left unsent are drained by the next poll or the backlog
            logger.exception("after-poll step failed", extra={"feed_id": done.feed.id})

    def _came_back(self, feed_id: str, poll_id: str) -> None:
        with self._lock:
            if self._in_flight.get(feed_id, ("",))[0] == poll_id:  # not a newer poll of the feed
                del self._in_flight[feed_id]

    def close(self) -> None:
        """Stop taking results (the one being stored finishes), then let go of Redis."""
        if self._consumer is not None:
            self._consumer.stop(timeout=int(STOP_SECONDS * 1000))
        self.queue.close()
