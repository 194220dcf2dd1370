"""The ingest worker: a child process that stores and processes what the polls fetched and parsed.

Parsing feeds, matching items and reading figures is CPU work. Python runs one thread at a
time, so doing it in the process that answers Slack would delay every acknowledgement. Parsing
runs in a pool of Settings.parse_workers processes (bot/ingest/parse_pool.py), one per core by
default; storing and processing run in one child process, the only writer of items, claims and
alerts (one transaction per poll). Fetching (waiting on the network) stays in the main process's
threads, which hand each body to the parse pool and its entries to the writer; the main text of
article pages (trafilatura) is read in the writer too (`read_page`), the fetch threads waiting for it.
"""

from __future__ import annotations

import logging
from concurrent.futures.process import BrokenProcessPool

from bot.child import Child, become_background

from bot.ingest.parse_pool import ParsePool, parse_in_pool, unpack
from bot.ingest.pipeline import PollResult, store_parsed

logger = logging.getLogger(__name__)


_db = None
_processor = None
PER_POLL = 2_000  # items a poll processes before handing back; the rest drains in the background


def _start(db_path: str, article_grace: float = 0.0) -> None:
    """In the child: open the database once; let the parent decide when to stop."""
    global _db, _processor
    become_background()  # SIGTERM goes to the parent, which finishes running polls before closing us
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s worker %(name)s: %(message)s")
    from bot.incidents.processing import IncidentProcessor
    from db import open_database

    _db = open_database(db_path, migrate=False)
    _processor = IncidentProcessor(_db, article_grace=article_grace)


def _store_and_process(feed, row, fetched, state, outcome, started, now, settings) -> PollResult:
    """In the child: store the parsed poll (unpacked here: see bot/ingest/parse_pool.py), then match and read
    what it brought."""
    return _processed(store_parsed(_db, feed, row, fetched, state, unpack(outcome), started=started, now=now,
                                   settings=settings))


def _store_remote(done, settings) -> PollResult | None:
    """In the child: a poll a remote worker fetched and parsed (distributed mode), stored once, then processed."""
    from bot.ingest.remote_store import store_remote

    result = store_remote(_db, done, settings=settings)
    return None if result is None else _processed(result)


def _processed(result: PollResult) -> PollResult:
    """In the child: match and read what a stored poll brought."""
    if result.new_ids or result.updated_ids:
        _processor.refresh_if_changed()
        # Bounded, so a poll that brought a huge backlog does not hold the worker: the rest drains
        # in the background (process_pending, called on a schedule).
        result.alerts = _processor.process_pending(limit=PER_POLL).alerts
    return result


def _process_pending(limit: int | None) -> tuple[list[int], int]:
    """In the child: items stored but not processed (a crash, a backlog); the alerts and how many are left."""
    _processor.refresh_if_changed()
    outcome = _processor.process_pending(limit=limit)
    return outcome.alerts, outcome.remaining


def _read_page(body: bytes, url: str | None, title: str | None) -> str | None:
    """In the child: an article page's main text (trafilatura: CPU work, imported here on first use)."""
    from bot.ingest.page_text import main_text

    return main_text(body, url=url, title=title)


def _queue_suggestions(channel: str, at) -> list[int]:
    """In the child: queue the new emerging incidents for the desk channel (bounded: suggest's window)."""
    from bot.incidents import queue_suggestions

    return queue_suggestions(_db, channel=channel, at=at)


class IngestWorker:
    """Callable as poll_feed's `ingest`: parses in the pool, hands the entries to the writer, waits for both."""

    def __init__(self, db_path, *, article_grace: float = 0.0, parse_workers: int = 1,
                 parse_pool: ParsePool | None = None):
        """`article_grace`: Settings.article_grace_seconds (how long an item waits for its page);
        `parse_workers`: Settings.parse_workers, the parse pool's processes (or a ready `parse_pool`)."""
        self._child = Child(_start, str(db_path), article_grace)
        self.parse_pool = parse_pool or ParsePool(parse_workers)

    def __call__(self, db, feed, row, fetched, state, *, started, now, settings, rng=None) -> PollResult:
        # Retried there if a parser dies; packed, so that this process (Slack's) never unpickles the entries.
        outcome = parse_in_pool(self.parse_pool, db, feed, fetched, now=now, packed=True)
        try:
            return self._child.run(_store_and_process, feed, row, fetched, state, outcome, started, now, settings)
        except BrokenProcessPool:
            # The child died (out of memory, killed). Its transaction rolled back: the feed's
            # state is unchanged, so the next poll fetches and stores the same items once.
            logger.error("ingest worker died; restarted it", extra={"feed_id": feed.id})
            return PollResult(feed.id, "error", error="ingest worker died; will retry at the next poll")

    def store_remote(self, done, *, settings) -> PollResult | None:
        """A PollDone (bot/ingest/poll_queue.py) stored and processed in the child; None when its poll id was
        stored before. BrokenProcessPool when the child died on it: its transaction rolled back."""
        return self._child.run(_store_remote, done, settings)

    def process_pending(self, *, limit: int | None = None) -> tuple[list[int], int]:
        """Process what is stored but not processed yet (all, or at most `limit`): the alerts queued
        and how many items are left."""
        return self._child.run(_process_pending, limit)

    def read_page(self, body: bytes, *, url: str | None = None, title: str | None = None) -> str | None:
        """page_text.main_text, in the child, so that trafilatura never holds the Slack process's
        interpreter lock. One page at a time (the child runs one call at a time); pages are under the
        fetch size cap. BrokenProcessPool when the child died on it (a fresh one serves the next call)."""
        return self._child.run(_read_page, body, url, title)

    def queue_suggestions(self, *, channel: str, at=None) -> list[int]:
        """The new suggestions queued for `channel` (bot/incidents/suggestion_queue.py), in the child."""
        return self._child.run(_queue_suggestions, channel, at)

    def close(self) -> None:
        self.parse_pool.close()
        self._child.close()
