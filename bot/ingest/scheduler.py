"""APScheduler wiring: one job per feed, feeds.yaml watched, clean shutdown.

Jobs are idempotent by construction: a stable id per feed, replace_existing,
max_instances=1 (a slow feed never overlaps itself) and coalesce (missed runs
collapse into one). A late poll runs late rather than being dropped.

Even load: each feed's phase within its interval comes from a hash of its id, measured from a
fixed anchor, so N feeds at interval T make N/T polls a second at every moment, and a restart
keeps every phase (no thundering herd, no cold first cycle). A feed never polled before is polled
within seconds, spread out (the bounded pool does the rest), by a one-off job: its regular turns
keep their phase (moving them to the first poll bunched every new feed's turns into a few seconds).

Stopping is bounded: running polls finish, queued ones are dropped, and nothing waits for the
scheduler's job-store lock while a running job needs it (see FeedScheduler.shutdown).

Quiet feeds skip turns (bot/ingest/intervals.py). Each host gets settings.per_host polls at a time
(bot/ingest/politeness.py): a poll waits for its host's turn a bounded time, and only while few
others wait for it, so a busy host never ties up the pool; a poll that got no turn is tried again a
little later (a one-off retry job) until its next regular turn, which then polls it.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.jobstores.base import JobLookupError
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.config import FeedsFileError, Settings, load_feeds_file
from bot.models import FeedConfig
from bot.ingest.intervals import effective_interval, is_due, polls_from_rows
from bot.ingest.pipeline import PollResult, poll_feed
from bot.ingest.politeness import Politeness, feed_turn, host_key
from db.digests import sync_file_digests
from db.feeds import active_feeds, never_polled_feeds, recent_polls, sync_file_feeds

logger = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 5
NEW_FEED_SPREAD_SECONDS = 10  # a feed never polled before gets its first poll within this; the pool bounds the rest
ANCHOR = datetime(2024, 1, 1, tzinfo=timezone.utc)  # phases are measured from here, so restarts keep them
HOST_WAIT_SECONDS = 30.0  # the longest one poll holds a pool thread waiting for its host's turn
RETRY_AFTER_SECONDS = 2.0  # a poll that got no turn tries again after about this (more when many wait)
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


def retry_id(feed_id: str) -> str:
    return f"retry:{feed_id}"


def first_id(feed_id: str) -> str:
    return f"first:{feed_id}"


class StoppablePool(ThreadPoolExecutor):
    """APScheduler's thread pool, whose queue can be dropped: at a stop, running jobs finish and queued
    ones never start (their futures are cancelled; APScheduler's own callback would log each as an error)."""

    def __init__(self, max_workers: int):
        super().__init__(max_workers)
        self.closing = False

    def _do_submit_job(self, job, run_times):
        if self.closing:
            return  # handed over by the scheduler's loop as the stop began: not run
        def callback(future) -> None:
            if future.cancelled():
                return
            if (exc := future.exception()) is not None:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        self._pool.submit(run_job, job, job._jobstore_alias, run_times, self._logger.name).add_done_callback(callback)

    def drain(self) -> None:
        """Drop the queued jobs and wait for the running ones, holding none of the scheduler's locks."""
        self.closing = True
        self._pool.shutdown(wait=True, cancel_futures=True)


class FeedScheduler:
    """Keeps one APScheduler job per active feed and reloads feeds.yaml when it changes."""

    def __init__(self, db, client, settings: Settings, *, on_poll: Callable[[PollResult], None], ingest=None,
                 rests: Callable[[FeedConfig], bool] | None = None, politeness: Politeness | None = None,
                 poll: Callable[..., PollResult] = poll_feed):
        self.db, self.client, self.settings, self.on_poll = db, client, settings, on_poll
        self.poll = poll  # what a turn calls, with poll_feed's signature (distributed mode: it queues the poll)
        self.politeness = politeness  # per-host turns (None: the process's shared gates)
        self._polling: set[str] = set()  # feeds being polled now (a retry never runs beside its feed's turn)
        self._deferred: dict[str, set[str]] = {}  # host -> feeds waiting for a retry
        self._first_polled: dict[str, datetime] = {}  # feed -> when its one-off first poll began
        self._state = threading.Lock()  # guards the two above
        self.ingest = ingest  # where parsing and storing run (poll_feed's default: this process)
        self.rests = rests  # True: skip this scheduled poll (a WebSub hub pushes the feed; bot/ingest/websub.py)
        self._pool = StoppablePool(max(1, settings.max_concurrent_fetches))
        self.scheduler = BackgroundScheduler(
            executors={"default": self._pool},
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

        Queued jobs are dropped, and a poll waiting for its host's turn gives it up, so the wait is
        bounded by the polls already running (each bounded by the fetch's total timeout). The running
        jobs are waited for here, not in APScheduler's shutdown: that holds the job store's lock while
        it waits, and a running job that reads or changes the schedule (a reload's get_jobs, a poll's
        retry) would wait for that lock forever.
        """
        self._stopping.set()
        if self.scheduler.running:
            self.scheduler.pause()  # its loop hands nothing more to the pool
        self._pool.drain()
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
            if job.id.startswith("retry:") and job_id(job.name) not in wanted:
                job.remove()
            elif job.id.startswith(("feed:", "first:")) and job_id(job.name) not in wanted:
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
            self.scheduler.add_job(self._poll, trigger, args=[feed], id=jid, name=feed.id, replace_existing=True,
                                   next_run_time=first)
            if feed.id in never_polled:
                self.first_round.add(feed.id)
                # Its backlog is news to fetch now, spread over seconds so many new feeds do not pile up;
                # a one-off job, so its regular turns keep their phase (a turn due soon anyway polls it).
                soon = now + timedelta(seconds=phase_seconds(feed.id, NEW_FEED_SPREAD_SECONDS))
                if soon < first - timedelta(seconds=feed.interval_seconds / 10):
                    self.scheduler.add_job(self._first_poll, DateTrigger(soon), args=[feed], id=first_id(feed.id),
                                           name=feed.id, replace_existing=True)

    def _first_poll(self, feed: FeedConfig) -> None:
        began = datetime.now(timezone.utc)
        self._poll(feed, first=True)
        with self._state:
            self._first_polled[feed.id] = began

    def _served(self, feed: FeedConfig) -> bool:
        """Whether this regular turn came due before the feed's one-off first poll began: that poll served
        it (after many new feeds' first polls, the turns that came due meanwhile would poll them all again)."""
        with self._state:
            first = self._first_polled.pop(feed.id, None)
        if first is None:
            return False
        now = datetime.now(timezone.utc)
        start = ANCHOR + timedelta(seconds=phase_seconds(feed.id, feed.interval_seconds))
        due = now - timedelta(seconds=(now - start).total_seconds() % max(1, feed.interval_seconds))
        return first >= due

    def _poll(self, feed: FeedConfig, retry_until: float | None = None, *, first: bool = False) -> None:
        """A feed's turn (retry_until None), its one-off first poll, or a retry of one its host had no turn for."""
        if self._stopping.is_set():
            return  # queued before the stop: cancelled, not run
        with self._state:
            if feed.id in self._polling:
                return  # its other job is polling it right now
            self._polling.add(feed.id)
        try:
            if retry_until is None:
                self._cancel_retry(feed)  # this turn polls it
                if not first and self._served(feed):
                    return
                if not self._due(feed) or (self.rests is not None and self.rests(feed)):
                    return  # a quiet feed skips turns; a feed a WebSub hub pushes rests
            self._poll_now(feed, retry_until)
        finally:
            with self._state:
                self._polling.discard(feed.id)

    def _due(self, feed: FeedConfig) -> bool:
        """Whether this turn polls the feed: a quiet one skips turns (bot/ingest/intervals.py)."""
        if feed.priority:
            return True
        try:
            polls = polls_from_rows(recent_polls(self.db, feed.id))
        except Exception:  # the database's trouble shows elsewhere; the feed is polled
            logger.exception("poll history unreadable", extra={"feed_id": feed.id})
            return True
        now = datetime.now(timezone.utc)
        effective = effective_interval(feed.interval_seconds, polls, now=now)
        return is_due(feed.interval_seconds, effective, last_poll=polls[0].at if polls else None, now=now)

    def _poll_now(self, feed: FeedConfig, retry_until: float | None) -> None:
        started = time.monotonic()
        until = retry_until if retry_until is not None else started + feed.interval_seconds
        gate = feed_turn(self.settings, deadline=min(until, started + HOST_WAIT_SECONDS), politeness=self.politeness,
                         max_waiting=self.settings.per_host)
        turn = lambda url: self._unless_stopping(gate(url))  # noqa: E731
        try:
            result = self.poll(self.db, self.client, feed, settings=self.settings, ingest=self.ingest, turn=turn)
        except Exception:  # one feed's bug must never stop the scheduler
            logger.exception("poll crashed", extra={"feed_id": feed.id})
            self.first_round.polled(feed.id)
            return
        if result.outcome == "host_busy":
            self._retry_later(feed, until)
            return
        if line := self.first_round.polled(feed.id):
            logger.info(line)
        try:
            self.on_poll(result)
        except Exception:
            logger.exception("after-poll step failed", extra={"feed_id": feed.id})

    @contextmanager
    def _unless_stopping(self, gate):
        """A host's turn, refused when it comes after the stop began (the poll is dropped, not run)."""
        with gate as granted:
            yield granted and not self._stopping.is_set()

    def _retry_later(self, feed: FeedConfig, until: float) -> None:
        """Its host had no turn for it: again a little later (later still when many wait for the host),
        until its next regular turn, which then polls it."""
        host = host_key(feed.url)
        with self._state:
            waiting = len(self._deferred.get(host, ()))
        per_turn = max(self.settings.host_gap, 0.1) / max(1, self.settings.per_host)
        delay = (RETRY_AFTER_SECONDS + waiting * per_turn) * random.uniform(1.0, 1.5)
        if self._stopping.is_set():
            return
        if time.monotonic() + delay >= until:
            logger.warning("feed %s: its host %s had no free turn for a whole interval; polled at its next turn",
                           feed.id, host, extra={"feed_id": feed.id})
            return
        with self._state:
            self._deferred.setdefault(host, set()).add(feed.id)
        try:
            self.scheduler.add_job(self._retry, DateTrigger(datetime.now(timezone.utc) + timedelta(seconds=delay)),
                                   args=[feed, until], id=retry_id(feed.id), name=feed.id, replace_existing=True)
        except Exception:  # the scheduler is shutting down
            self._undefer(feed)
            logger.warning("feed %s: its retry could not be scheduled; polled at its next turn", feed.id)

    def _retry(self, feed: FeedConfig, until: float) -> None:
        self._undefer(feed)
        self._poll(feed, retry_until=until)

    def _undefer(self, feed: FeedConfig) -> None:
        host = host_key(feed.url)
        with self._state:
            waiting = self._deferred.get(host, set())
            waiting.discard(feed.id)
            if not waiting:
                self._deferred.pop(host, None)

    def _cancel_retry(self, feed: FeedConfig) -> None:
        try:
            self.scheduler.remove_job(retry_id(feed.id))
        except JobLookupError:
            return
        self._undefer(feed)
