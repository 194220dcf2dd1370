"""Polling many feeds at once, with a bound on concurrent fetches."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Callable, Iterable

import httpx

from bot.config import Settings
from bot.models import FeedConfig
from bot.ingest.pipeline import PollResult, poll_feed

logger = logging.getLogger(__name__)


def poll_all(db, client: httpx.Client, feeds: Iterable[FeedConfig], *, settings: Settings, force: bool = True,
             on_result: Callable[[PollResult], None] | None = None) -> list[PollResult]:
    """Poll every feed once; at most settings.max_concurrent_fetches at a time; results as they finish."""
    feeds = list(feeds)
    results: list[PollResult] = []
    with ThreadPoolExecutor(max_workers=max(1, settings.max_concurrent_fetches)) as pool:
        futures = {pool.submit(poll_feed, db, client, feed, settings=settings, force=force): feed for feed in feeds}
        for future in as_completed(futures):
            feed = futures[future]
            try:
                result = future.result()
            except Exception as exc:  # a bug in one poll must not hide the others' results
                logger.exception("poll crashed", extra={"feed_id": feed.id})
                result = PollResult(feed.id, "error", error=f"internal error: {type(exc).__name__}: {exc}")
            results.append(result)
            if on_result:
                on_result(result)
    return results
