"""APScheduler wiring: one job per feed, feeds.yaml watched, clean shutdown.

Jobs are idempotent by construction: a stable id per feed, replace_existing,
max_instances=1 (a slow feed never overlaps itself) and coalesce (missed runs
collapse into one).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import FeedsFileError, Settings, load_feeds
from bot.models import FeedConfig
from bot.ingest.pipeline import PollResult, poll_feed
from db.feeds import active_feeds, sync_file_feeds

logger = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 5
MAX_JITTER_SECONDS = 60


def job_id(feed_id: str) -> str:
    return f"feed:{feed_id}"


class FeedScheduler:
    """Keeps one APScheduler job per active feed and reloads feeds.yaml when it changes."""

    def __init__(self, db, client, settings: Settings, *, on_poll: Callable[[PollResult], None], ingest=None):
        self.db, self.client, self.settings, self.on_poll = db, client, settings, on_poll
        self.ingest = ingest  # where parsing and storing run (poll_feed's default: this process)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=max(1, settings.max_concurrent_fetches))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
            timezone=timezone.utc,
        )
        self._feeds_mtime: float | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        self.reload_feeds(initial=True)
        self.scheduler.add_job(self.reload_feeds, IntervalTrigger(seconds=RELOAD_CHECK_SECONDS),
                               id="reload-feeds", replace_existing=True)
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop taking new polls and wait for the running ones: no half-written poll."""
        self.scheduler.shutdown(wait=True)

    def reload_feeds(self, *, initial: bool = False) -> None:
        """Pick up feeds.yaml changes and feeds added or paused in Slack; a broken file keeps the last good schedule."""
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
                    changes = sync_file_feeds(self.db, load_feeds(path))
                except FeedsFileError as exc:
                    if initial:
                        raise
                    logger.error("feeds.yaml changed but is invalid; keeping the current feeds:\n%s", exc)
                    return
                if any(changes.values()):
                    logger.info("feeds.yaml reloaded: %s", changes)
            self._sync_jobs(active_feeds(self.db), initial=initial)

    def _sync_jobs(self, feeds: list[FeedConfig], *, initial: bool) -> None:
        wanted = {job_id(feed.id): feed for feed in feeds}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("feed:") and job.id not in wanted:
                job.remove()
        for jid, feed in wanted.items():
            existing = self.scheduler.get_job(jid)
            if existing and existing.args[0] == feed:
                continue
            jitter = min(MAX_JITTER_SECONDS, max(1, feed.interval_seconds // 10))
            # First poll soon after start, spread out so many feeds do not fire at once.
            first = datetime.now(timezone.utc) + timedelta(seconds=(hash(feed.id) % jitter) if initial else 0)
            self.scheduler.add_job(self._poll, IntervalTrigger(seconds=feed.interval_seconds, jitter=jitter),
                                   args=[feed], id=jid, name=feed.id, replace_existing=True, next_run_time=first)

    def _poll(self, feed: FeedConfig) -> None:
        try:
            result = poll_feed(self.db, self.client, feed, settings=self.settings, ingest=self.ingest)
        except Exception:  # one feed's bug must never stop the scheduler
            logger.exception("poll crashed", extra={"feed_id": feed.id})
            return
        try:
            self.on_poll(result)
        except Exception:
            logger.exception("after-poll step failed", extra={"feed_id": feed.id})
