"""APScheduler wiring: one job per feed, feeds.yaml watched, clean shutdown.

Jobs are idempotent by construction: a stable id per feed, replace_existing,
max_instances=1 (a slow feed never overlaps itself) and coalesce (missed runs
collapse into one). A late poll runs late rather than being dropped.

Even load: each feed's phase within its interval comes from a hash of its id, measured from a
fixed anchor, so N feeds at interval T make N/T polls a second at every moment, and a restart
keeps every phase (no thundering herd, no cold first cycle). A feed never polled before is polled
within seconds, spread out (the bounded pool does the rest).
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import FeedsFileError, Settings, load_feeds_file
from bot.models import FeedConfig
from bot.ingest.pipeline import PollResult, poll_feed
from db.digests import sync_file_digests
from db.feeds import active_feeds, never_polled_feeds, sync_file_feeds

logger = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 5
NEW_FEED_SPREAD_SECONDS = 10  # a feed never polled before gets its first poll within this; the pool bounds the rest
ANCHOR = datetime(2024, 1, 1, tzinfo=timezone.utc)  # phases are measured from here, so restarts keep them
FIRST_ROUND_PROGRESS_FROM = 20  # new feeds: a first poll of fewer says nothing beyond each poll's own line


class FirstRound:
    """How far the first poll of many new feeds got: a line every tenth of them (and at the end)."""

    def __init__(self) -> None:
        self.waiting: set[str] = set()
        self.total = self.done = 0
        self._lock = threading.Lock()

    def add(self, feed_id: str) -> None:
        with self._lock:
            if feed_id not in self.waiting:
                self.waiting.add(feed_id)
                self.total += 1

    def polled(self, feed_id: str) -> str | None:
        """The progress line due after this feed's poll, if any."""
        with self._lock:
            if feed_id not in self.waiting:
                return None
            self.waiting.discard(feed_id)
            self.done += 1
            done, total = self.done, self.total
            if not self.waiting:
                self.total = self.done = 0  # the next batch of new feeds counts afresh
        step = max(1, -(-total // 10))
        if total >= FIRST_ROUND_PROGRESS_FROM and (done % step == 0 or done == total):
            return f"first poll: {done:,} of {total:,} new feed(s) polled"
        return None


def phase_seconds(feed_id: str, interval: int) -> int:
    """Where in its interval a feed polls: stable across processes (Python's hash() is not)."""
    digest = hashlib.blake2b(feed_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % max(1, interval)


def job_id(feed_id: str) -> str:
    return f"feed:{feed_id}"


class FeedScheduler:
    """Keeps one APScheduler job per active feed and reloads feeds.yaml when it changes."""

    def __init__(self, db, client, settings: Settings, *, on_poll: Callable[[PollResult], None], ingest=None,
                 rests: Callable[[FeedConfig], bool] | None = None):
        self.db, self.client, self.settings, self.on_poll = db, client, settings, on_poll
        self.ingest = ingest  # where parsing and storing run (poll_feed's default: this process)
        self.rests = rests  # True: skip this scheduled poll (a WebSub hub pushes the feed; bot/ingest/websub.py)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max(1, settings.max_concurrent_fetches))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=timezone.utc,
        )
        self._feeds_mtime: float | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.first_round = FirstRound()

    def start(self) -> None:
        self.reload_feeds(initial=True)
        self.scheduler.add_job(self.reload_feeds, IntervalTrigger(seconds=RELOAD_CHECK_SECONDS),
                               id="reload-feeds", replace_existing=True)
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop taking new polls and wait for the running ones: no half-written poll.

        Queued polls and a queued reload return at once once stopping is set, so the wait is
        bounded by the polls already running (each bounded by the fetch's total timeout); a queued
        reload would otherwise wait for the job store's lock the shutdown holds.
        """
        self._stopping.set()
        self.scheduler.shutdown(wait=True)

    def reload_feeds(self, *, initial: bool = False) -> None:
        """Pick up feeds.yaml changes and feeds added or paused in Slack; a broken file keeps the last good schedule."""
        if self._stopping.is_set():
            return
        path = Path(self.settings.feeds_path)
        with self._lock:
            try:
                mtime = path.stat().st_mtime
            except FileNotFoundError:
                mtime = None
            file_changed = initial or mtime != self._feeds_mtime
            self._feeds_mtime = mtime
            if file_changed and mtime is not None:
                try:
                    loaded = load_feeds_file(path)
                    changes = sync_file_feeds(self.db, loaded.feeds)
                    digests = sync_file_digests(self.db, loaded.digests)  # those set in Slack stay
                except FeedsFileError as exc:
                    if initial:
                        raise
                    logger.error("feeds.yaml changed but is invalid; keeping the current feeds:\n%s", exc)
                    return
                if any(changes.values()):
                    logger.info("feeds.yaml reloaded: %s", changes)
                if any(digests.values()):
                    logger.info("feeds.yaml digests: %s", digests)
            self._sync_jobs(active_feeds(self.db), initial=initial)

    def _sync_jobs(self, feeds: list[FeedConfig], *, initial: bool) -> None:
        wanted = {job_id(feed.id): feed for feed in feeds}
        never_polled = never_polled_feeds(self.db)
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed:") and job.id not in wanted:
                job.remove()
                self.first_round.polled(job.name)  # removed before its first poll: not waited for
        for jid, feed in wanted.items():
            existing = self.scheduler.get_job(jid)
            if existing and existing.args[0] == feed:
                continue
            start = ANCHOR + timedelta(seconds=phase_seconds(feed.id, feed.interval_seconds))
            trigger = IntervalTrigger(seconds=feed.interval_seconds, start_date=start, timezone=timezone.utc)
            now = datetime.now(timezone.utc)
            first = trigger.get_next_fire_time(None, now)
            if feed.id in never_polled:
                self.first_round.add(feed.id)
                # Its backlog is news to fetch now, spread over a minute so many new feeds do not pile up.
                first = min(first, now + timedelta(seconds=phase_seconds(feed.id, NEW_FEED_SPREAD_SECONDS)))
            self.scheduler.add_job(self._poll, trigger, args=[feed], id=jid, name=feed.id, replace_existing=True,
                                   next_run_time=first)

    def _poll(self, feed: FeedConfig) -> None:
        if self._stopping.is_set():
            return  # queued before the stop: cancelled, not run
        try:
            if self.rests is not None and self.rests(feed):
                return
            result = poll_feed(self.db, self.client, feed, settings=self.settings, ingest=self.ingest)
        except Exception:  # one feed's bug must never stop the scheduler
            logger.exception("poll crashed", extra={"feed_id": feed.id})
            return
        finally:
            if line := self.first_round.polled(feed.id):
                logger.info(line)
        try:
            self.on_poll(result)
        except Exception:
            logger.exception("after-poll step failed", extra={"feed_id": feed.id})
