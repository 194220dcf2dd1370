"""One poll of one feed, end to end: fetch, parse, store, record health. Orchestration only.

Everything a poll writes (new items, revisions, the feed's ETag and body hash,
its health) is committed in one transaction: a process killed mid-poll leaves
the database as it was, and the next poll fetches and stores the same items
once.
"""

from __future__ import annotations

import hashlib
import logging
import random
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

import httpx

from bot.config import Settings
from bot.ingest.fetch import FetchResult, fetch
from bot.models import FeedConfig
from bot.ingest.parse import BlockMemory, NotAFeed, ParsedFeed, parse_feed
from db import to_iso
from db.articles import mark_pending
from db.feeds import get_feed_row, record_poll
from bot.ingest.store import store_items
from db.items import load_block_memory, save_block_memory
from db.websub import record_discovery
from db.connection import writing

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    """What one poll did, for logs, progress lines and the tests."""

    feed_id: str
    outcome: str  # new | unchanged | not_modified | error | backoff | host_busy (not polled: try again later)
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    error: str | None = None
    http_status: int | None = None
    alerts: list[int] = field(default_factory=list)  # outbox ids queued when processing ran with the ingest


Ingest = Callable[..., PollResult]
HostTurn = Callable[[str], AbstractContextManager[bool]]  # url -> a context whose value says "send now"


def poll_feed(db, client: httpx.Client, feed: FeedConfig, *, settings: Settings,
              now: datetime | None = None, force: bool = False, rng: random.Random | None = None,
              ingest: Ingest | None = None, turn: HostTurn | None = None) -> PollResult:
    """Poll one feed now (unless it is backing off and not forced) and store what is new.

    The fetch runs here; parsing and storing run in `ingest` (by default right here too; the
    long-running bot hands it to a worker process so CPU-heavy parsing never slows Slack).
    `turn` gates the fetch per host (bot/ingest/politeness.py, feed_turn); when it refuses, nothing
    is fetched or recorded and the outcome is host_busy, for the caller to try again later.
    """
    now = now or datetime.now(timezone.utc)
    row, resting = feed_row_unless_resting(db, feed, now=now, force=force)
    if resting is not None:
        return resting
    with (turn or _no_gate)(feed.url) as granted:
        if not granted:
            return PollResult(feed.id, "host_busy", error="its host had no free turn in time")
        fetched = fetch(client, feed.url, settings=settings, etag=row.get("etag"),
                        last_modified=row.get("last_modified"), refuse_private=refuses_private(row, settings))
    started = to_iso(now)
    kind, state = sort_fetch(fetched, row)
    if kind != "changed":
        return record_fetch(db, feed, row, fetched, kind, state, started=started, now=now, settings=settings, rng=rng)
    return (ingest or ingest_fetched)(db, feed, row, fetched, state, started=started, now=now, settings=settings,
                                      rng=rng)


def feed_row_unless_resting(db, feed: FeedConfig, *, now: datetime, force: bool = False
                            ) -> tuple[dict, PollResult | None]:
    """The feed's row, and the backoff result when it is resting (not forced): then nothing is fetched."""
    with db.lock:
        row = get_feed_row(db, feed.id) or {}
    if not force and row.get("next_poll_after") and row["next_poll_after"] > to_iso(now):
        return row, PollResult(feed.id, "backoff", error=row.get("last_error"))
    return row, None


def refuses_private(row: dict, settings: Settings) -> bool:
    """A feed added in Slack is checked at every poll, not only when it was added: its name may
    resolve, or its server redirect, inside the network later."""
    return row.get("origin") == "slack" and not settings.allow_private_feed_urls


def sort_fetch(fetched: FetchResult, row: dict) -> tuple[str, dict]:
    """What a fetch says before any parse, and the feed state it brings: not_modified, error,
    unchanged (the same bytes as last time) or changed (to parse)."""
    if fetched.status in ("not_modified", "error"):
        return fetched.status, {}
    body_hash = hashlib.blake2b(fetched.body, digest_size=16).hexdigest()
    state = {"etag": fetched.etag, "last_modified": fetched.last_modified, "body_hash": body_hash}
    # Same bytes as last time: nothing to parse (many servers ignore conditional GET).
    return ("unchanged" if body_hash == row.get("body_hash") else "changed"), state


def record_fetch(db, feed: FeedConfig, row: dict, fetched: FetchResult, kind: str, state: dict, *, started: str,
                 now: datetime, settings: Settings, rng: random.Random | None = None) -> PollResult:
    """The health of a poll that had nothing to parse (sort_fetch's not_modified, error or unchanged)."""
    if kind == "error":
        return _failure(db, feed, row, fetched, fetched.error, started=started, now=now, settings=settings, rng=rng)
    result = PollResult(feed.id, kind, http_status=304 if kind == "not_modified" else fetched.http_status)
    return _record(db, feed, row, result, started=started, state=state)


def _no_gate(url: str) -> AbstractContextManager[bool]:
    return nullcontext(True)


@dataclass
class ParseOutcome:
    """What the parse step hands the store step (picklable: it crosses from a parse process to the writer)."""

    parsed: ParsedFeed | None = None
    error: str | None = None  # why there is nothing to store: not a feed, or the parser crashed
    not_a_feed: bool = False
    memory: tuple[str, bytes] | None = None  # the block memory the parse was given (load_block_memory's)


def ingest_fetched(db, feed: FeedConfig, row: dict, fetched: FetchResult, state: dict, *, started: str,
                   now: datetime, settings: Settings, rng: random.Random | None = None) -> PollResult:
    """Parse fetched bytes and store the items, the feed's state and the poll log in one transaction.

    Entry blocks that recent successful parses of the feed read are not parsed again when they
    come back byte for byte (bot/ingest/parse.py, BlockMemory); what this parse read is remembered in
    the same transaction as the items, so the memory never describes items that were not stored.
    Both steps here; the running bot parses in a pool of processes (bot/ingest/parse_pool.py) and
    stores in its one writer.
    """
    remembered = load_block_memory(db, feed.id)
    outcome = parse_fetched(fetched, feed_id=feed.id, lang=feed.lang, now=now,
                            memory=tuple(remembered) if remembered else None)
    return store_parsed(db, feed, row, fetched, state, outcome, started=started, now=now, settings=settings, rng=rng)


def parse_fetched(fetched: FetchResult, *, feed_id: str, lang: str | None, now: datetime,
                  memory: tuple[str, bytes] | None) -> ParseOutcome:
    """The parse step: bytes and the feed's block memory (as stored) → entries; pure, no database."""
    try:
        parsed = parse_feed(fetched.body, feed_id=feed_id, headers=fetched.headers, now=now, default_lang=lang,
                            base_url=fetched.final_url, memory=BlockMemory.from_blob(*memory) if memory else None)
    except NotAFeed as exc:
        return ParseOutcome(error=str(exc), not_a_feed=True, memory=memory)
    except Exception as exc:  # a parser crash is one sick feed, never a dead scheduler
        logger.exception("parser crashed", extra={"feed_id": feed_id})
        return ParseOutcome(error=f"parser crashed: {type(exc).__name__}: {exc}"[:300], memory=memory)
    return ParseOutcome(parsed=parsed, memory=memory)


def store_parsed(db, feed: FeedConfig, row: dict, fetched: FetchResult, state: dict, outcome: ParseOutcome, *,
                 started: str, now: datetime, settings: Settings, rng: random.Random | None = None) -> PollResult:
    """The store step, in the one writer: the parse's entries, the feed's state, block memory and poll log,
    one transaction.

    The parse was given the block memory as it stood when the poll began; if another poll of the
    feed stored since (a WebSub push beside a poll), what it cut may no longer be what is stored,
    so the body is parsed again here with the memory as it stands now.
    """
    with writing(db):
        memory = load_block_memory(db, feed.id)
        memory = tuple(memory) if memory else None
        if outcome.parsed is not None and memory != outcome.memory:  # (a failed parse failed whole, cut or not)
            outcome = parse_fetched(fetched, feed_id=feed.id, lang=feed.lang, now=now, memory=memory)
        if outcome.parsed is None:
            if outcome.not_a_feed and fetched.pushed:  # the hub's fault, not the feed's: health left alone
                return PollResult(feed.id, "error", error=outcome.error)
            return _failure(db, feed, row, fetched, outcome.error, started=started, now=now, settings=settings,
                            rng=rng)
        parsed = outcome.parsed
        state = {**state, "title": parsed.title, "warning": parsed.warning}
        result = PollResult(feed.id, "unchanged", http_status=fetched.http_status)
        # A feed's first successful poll brings its backlog: stored and counted, not alerted.
        stored = store_items(db, feed.id, parsed.items, seen_at=started, backlog=not row.get("last_success_at"))
        result.new_ids, result.updated_ids = stored.new_ids, stored.updated_ids
        if feed.full_text:  # their pages are fetched later (bot/ingest/articles.py), outside the poll
            mark_pending(db, stored.new_ids + stored.updated_ids)
        if stored.new_ids or stored.updated_ids:
            result.outcome = "new"
            state["last_new_item_at"] = started
        if not fetched.pushed:  # a push may be a partial document: only the feed's own says what it advertises
            record_discovery(db, feed.id, hub=parsed.hub, topic=(parsed.self_url or feed.url) if parsed.hub else None,
                             at=started)
        remembered = (parsed.memory.context, parsed.memory.to_blob()) if parsed.memory else None
        if remembered != memory:
            save_block_memory(db, feed.id, remembered)
        _record(db, feed, row, result, started=started, state=state)
    return result


def _failure(db, feed: FeedConfig, row: dict, fetched: FetchResult, reason: str, *, started: str,
             now: datetime, settings: Settings, rng: random.Random | None) -> PollResult:
    failures = (row.get("consecutive_failures") or 0) + 1
    delay = backoff_seconds(failures, interval=feed.interval_seconds, cap=settings.backoff_cap_seconds,
                            retry_after=fetched.retry_after, rng=rng)
    logger.warning("feed %s: poll failed (%d in a row): %s", feed.id, failures, reason, extra={"feed_id": feed.id, "failures": failures})
    result = PollResult(feed.id, "error", error=reason, http_status=fetched.http_status)
    state = {"last_error": reason, "last_error_at": started, "consecutive_failures": failures,
             "next_poll_after": to_iso(now + timedelta(seconds=delay))}
    return _record(db, feed, row, result, started=started, state=state)


def backoff_seconds(failures: int, *, interval: int, cap: int, retry_after: float | None = None,
                    rng: random.Random | None = None) -> float:
    """How long a failing feed rests: doubling from its interval, jittered, capped; Retry-After wins if longer."""
    if failures <= 1 and retry_after is None:
        return 0.0  # one failure: just try again at the next interval
    base = min(cap, interval * (2 ** max(0, failures - 2)))
    delay = base * (rng or random).uniform(0.5, 1.0)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def _record(db, feed: FeedConfig, row: dict, result: PollResult, *, started: str, state: dict) -> PollResult:
    """Write the feed's health and the poll log; joins the caller's transaction when there is one."""
    update = {"last_polled_at": started, **state}
    if result.outcome != "error":
        update.update({"last_success_at": started, "consecutive_failures": 0, "next_poll_after": None})
    with writing(db):
        record_poll(db, feed.id, state=update, started=started, finished=to_iso(datetime.now(timezone.utc)),
                    outcome=result.outcome, http_status=result.http_status, new_items=len(result.new_ids),
                    updated_items=len(result.updated_ids), error=result.error)
    return result
