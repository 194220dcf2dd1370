"""Article pages of full_text feeds: each new or revised item's page fetched once, politely, and its
main text kept, so figures are read from the article rather than from a teaser summary.

A page that fails keeps the summary and records why (`feeds list` shows it); a host that answers
429/503 rests as long as it asked, and its items stay pending for a later round, up to
MAX_ATTEMPTS tries. Every round is bounded: at most `limit` pages, nothing started after `deadline`.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Callable

import httpx

from bot.config import Settings
from bot.ingest import politeness as polite
from bot.ingest.fetch import FetchResult, fetch, url_problem
from bot.ingest.page_text import is_web_page, main_text
from db.articles import ArticleHealth, PendingPage, count_pending, pending_pages, record_failure, record_retry, store_article
from db.items import item_title

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # a page whose host keeps asking us to wait is given up on after this many tries
ONCE_LIMIT = 5_000  # pages `poll --once` fetches before it exits, at most
ONCE_SECONDS = 600  # and for at most this long; what is left waits for the next run
# body, url=, title= -> the article's text or None: page_text.main_text here (poll --once, tests), or
# IngestWorker.read_page in the running bot, so that trafilatura's CPU work is off the Slack process.
PageReader = Callable[..., "str | None"]


@dataclass
class ArticleRound:
    """What one round of page fetching did."""

    fetched: int = 0  # pages whose article text was kept
    failed: int = 0  # pages that gave nothing (reason recorded, summary kept)
    deferred: int = 0  # left pending for a later round (host waiting, robots.txt unknown, deadline)

    def add(self, other: "ArticleRound") -> None:
        self.fetched += other.fetched
        self.failed += other.failed
        self.deferred += other.deferred


def fetch_pending_articles(db, client: httpx.Client, settings: Settings, *, limit: int, deadline: float,
                           politeness: polite.Politeness | None = None,
                           read: PageReader = main_text) -> ArticleRound:
    """Fetch up to `limit` pending pages, one request at a time per host, hosts in parallel; `read`
    gives each page's main text.

    `deadline` is a time.monotonic() moment: no request starts after it (one running may take up to
    the fetch's total timeout more)."""
    politeness = politeness or polite.shared
    by_host: dict[str, list[PendingPage]] = {}
    for page in pending_pages(db, limit=limit):
        by_host.setdefault(polite.host_key(page.link), []).append(page)
    outcome = ArticleRound()
    if not by_host:
        return outcome
    workers = max(1, min(settings.max_concurrent_fetches, len(by_host)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="articles") as pool:
        rounds = [pool.submit(_host_round, db, client, settings, pages, deadline=deadline, politeness=politeness,
                              read=read) for pages in by_host.values()]
        for future in rounds:
            outcome.add(future.result())
    return outcome


def _host_round(db, client, settings: Settings, pages: list[PendingPage], *, deadline: float,
                politeness: polite.Politeness, read: PageReader) -> ArticleRound:
    """One host's pages, one after the other (the gate also keeps other rounds off this host)."""
    outcome = ArticleRound()
    for page in pages:
        try:
            kind = _one_page(db, client, settings, page, deadline=deadline, politeness=politeness, read=read)
        except Exception:  # one page's bug never stops the others; it stays pending for a later round
            logger.exception("article page failed", extra={"item_id": page.item_id})
            kind = "deferred"
        setattr(outcome, kind, getattr(outcome, kind) + 1)
    return outcome


def _one_page(db, client, settings: Settings, page: PendingPage, *, deadline: float,
              politeness: polite.Politeness, read: PageReader) -> str:
    """fetched | failed | deferred, with the item's article columns written."""
    refuse_private = page.origin == "slack" and not settings.allow_private_feed_urls
    if problem := url_problem(page.link, refuse_private=refuse_private):
        record_failure(db, page.item_id, problem)
        return "failed"
    if time.monotonic() >= deadline or politeness.held(page.link):
        return "deferred"
    robots = politeness.robots(client, page.link, settings=settings, refuse_private=refuse_private,
                               deadline=deadline)
    if robots == polite.DISALLOW:
        record_failure(db, page.item_id, "robots.txt disallows")
        return "failed"
    if robots == polite.UNKNOWN:
        return _retry_later(db, page, "robots.txt unreachable")
    with politeness.turn(page.link, delay=settings.article_host_delay, deadline=deadline) as granted:
        if not granted:
            return "deferred"
        result = fetch(client, page.link, settings=settings, refuse_private=refuse_private)
    if result.status == "error" and result.http_status in (429, 503):
        politeness.hold(page.link, result.retry_after, cap=settings.backoff_cap_seconds)
        return _retry_later(db, page, failure_reason(result))
    if result.status != "ok":
        record_failure(db, page.item_id, failure_reason(result))
        return "failed"
    if not is_web_page(result.headers.get("content-type")):
        record_failure(db, page.item_id, f"not a web page ({result.headers.get('content-type')})")
        return "failed"
    # CPU work, but bounded: the body is under the size cap, and trafilatura reads it in one pass.
    try:
        text = read(result.body, url=result.final_url or page.link, title=item_title(db, page.item_id))
    except BrokenProcessPool:  # the reader process died on this page: not tried again (it might again)
        record_failure(db, page.item_id, "page reader crashed")
        return "failed"
    if text is None:
        record_failure(db, page.item_id, "no article text")
        return "failed"
    store_article(db, page.item_id, text)
    return "fetched"


def _retry_later(db, page: PendingPage, reason: str) -> str:
    if record_retry(db, page.item_id) >= MAX_ATTEMPTS:
        record_failure(db, page.item_id, f"{reason} (gave up after {MAX_ATTEMPTS} tries)")
        return "failed"
    return "deferred"


def failure_reason(result: FetchResult) -> str:
    """fetch()'s error in the few words `feeds list` shows: HTTP 404, too large, timeout, ..."""
    error = result.error or "unknown error"
    if result.http_status and result.http_status >= 400:
        return f"HTTP {result.http_status}"
    if error.startswith("body too large"):
        return "too large"
    if error.startswith(("too slow", "timed out")):
        return "timeout"
    return error[:200]


def fetch_after_poll(db, client: httpx.Client, settings: Settings) -> str | None:
    """`poll --once`: the pages of what the poll stored, before processing reads them; a line saying
    what came of it, or None when no page was waiting."""
    waiting = count_pending(db)
    if not waiting:
        return None
    done = fetch_pending_articles(db, client, settings, limit=min(waiting, ONCE_LIMIT),
                                  deadline=time.monotonic() + ONCE_SECONDS)
    return (f"article pages: {done.fetched} read, {done.failed} failed"
            + (f", {done.deferred} left for later" if done.deferred else ""))


def article_health_line(health: ArticleHealth) -> str:
    """A full_text feed's pages in `feeds list`."""
    line = f"article pages: {health.fetched} fetched, {health.failed} failed"
    if health.pending:
        line += f", {health.pending} pending"
    if health.last_failure:
        line += f"; last failure {health.last_failure_at}: {health.last_failure}"
    return line
