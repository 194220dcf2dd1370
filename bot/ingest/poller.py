"""Polling many feeds at once, with a bound on concurrent fetches and per-host politeness."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from itertools import chain, zip_longest
from typing import Callable, Iterable

import httpx

from bot.config import Settings
from bot.models import FeedConfig
from bot.ingest.pipeline import Ingest, PollResult, poll_feed
from bot.ingest.politeness import Politeness, feed_turn, host_key

logger = logging.getLogger(__name__)


def poll_all(db, client: httpx.Client, feeds: Iterable[FeedConfig], *, settings: Settings, force: bool = True,
             on_result: Callable[[PollResult], None] | None = None,
             politeness: Politeness | None = None, ingest: Ingest | None = None) -> list[PollResult]:
    """Poll every feed once; at most settings.max_concurrent_fetches at a time; results as they finish.

    Each host gets settings.per_host turns at a time (bot/ingest/politeness.py); feeds are taken
    host by host in turn, so the threads waiting for a busy host never hold up the others. A feed
    whose host has no turn for it within its interval comes back host_busy, not polled. `ingest`: where
    parsing and storing run (poll_feed's; `poll --once` parses in a pool, bot/ingest/parse_pool.py)."""
    feeds = interleave_hosts(feeds)
    started = time.monotonic()
    results: list[PollResult] = []

    def one(feed: FeedConfig) -> PollResult:
        turn = feed_turn(settings, deadline=started + feed.interval_seconds, politeness=politeness)
        return poll_feed(db, client, feed, settings=settings, force=force, turn=turn, ingest=ingest)

    with ThreadPoolExecutor(max_workers=max(1, settings.max_concurrent_fetches)) as pool:
        futures = {pool.submit(one, feed): feed for feed in feeds}
        for future in as_completed(futures):
            feed = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a bug in one poll must not hide the others' results
                logger.exception("poll crashed", extra={"feed_id": feed.id})
                result = PollResult(feed.id, "error", error=f"internal error: {type(exc).__name__}: {exc}")
            if result.outcome == "host_busy":
                logger.warning("feed %s: not polled, %s", feed.id, result.error, extra={"feed_id": feed.id})
            results.append(result)
            if on_result:
                on_result(result)
    return results


def interleave_hosts(feeds: Iterable[FeedConfig]) -> list[FeedConfig]:
    """One feed of each host, then a second of each, ...: each host's order kept."""
    by_host: dict[str, list[FeedConfig]] = defaultdict(list)
    for feed in feeds:
        by_host[host_key(feed.url)].append(feed)
    return [feed for feed in chain.from_iterable(zip_longest(*by_host.values())) if feed is not None]
