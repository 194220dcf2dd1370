"""Parsing in as many processes as the machine has cores; storing stays with the one writer.

feedparser is CPU work that holds the interpreter lock, so one process parses one feed at a time.
The parse step (pipeline.parse_fetched: bytes and the feed's block memory in, entries out, no
database) runs here in a pool of Settings.parse_workers processes, called from the fetch threads;
what it returns goes to the store step (pipeline.store_parsed), which runs in the one writer:
the ingest worker (bot/ingest/worker.py) in the running bot, this process for `poll --once`
(PooledIngest). Storage stays exactly once: one writer, one transaction per poll, as before.

The outcome can travel packed (`packed=True`: pickled in the parse process, unpickled only in the writer):
the running bot's own process, which answers Slack, then only passes bytes along. Unpickling every
parse's entries there held its interpreter lock for a third of its samples during a big first poll,
and the acknowledgements of slash commands waited behind it (bench/bench_slack_ack.py).

A parse process that dies (killed, out of memory) loses nothing: nothing was written, the pool is
replaced and the parse retried once on the fresh one; a body that kills the parser twice is the
poll's error, recorded like a parser crash (the next poll fetches and parses it again).
"""

from __future__ import annotations

import logging
import pickle
import random
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from typing import Callable

from bot.child import Child, become_background
from bot.config import Settings
from bot.ingest.fetch import FetchResult
from bot.ingest.pipeline import ParseOutcome, PollResult, parse_fetched, store_parsed
from bot.models import FeedConfig
from db.items import load_block_memory

logger = logging.getLogger(__name__)

ATTEMPTS = 2  # a parse whose process died is tried once more on a fresh pool


def _start() -> None:
    """In a parse process: background priority, the parent decides when it stops; feedparser loaded once."""
    become_background()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s parser %(name)s: %(message)s")
    import bot.ingest.parse  # noqa: F401  (feedparser, the entry code: imported before the first poll needs them)


def _packed(step: Callable[..., ParseOutcome], *args, **kwargs) -> bytes:
    """In a parse process: the step's outcome, already pickled (see the module's docstring)."""
    return pickle.dumps(step(*args, **kwargs), protocol=pickle.HIGHEST_PROTOCOL)


def unpack(outcome: ParseOutcome | bytes) -> ParseOutcome:
    """A parse outcome, whether it came packed or not."""
    return pickle.loads(outcome) if isinstance(outcome, bytes) else outcome


class ParsePool:
    """`parse(...)`: pipeline.parse_fetched in one of `workers` processes, safe to call from many threads."""

    def __init__(self, workers: int, *, step: Callable[..., ParseOutcome] = parse_fetched):
        """`step`: the parse step (a module-level function; the tests pass one that waits to be killed)."""
        self.workers = max(1, workers)
        self._step = step
        self._children = Child(_start, workers=self.workers)

    def parse(self, fetched: FetchResult, *, feed_id: str, lang: str | None, now: datetime,
              memory: tuple[str, bytes] | None, packed: bool = False) -> ParseOutcome | bytes:
        """The parse step's outcome; with `packed`, as pickled bytes for the writer to unpack (or a
        ParseOutcome when the parse could not be done: unpack() takes both)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                if packed:
                    return self._children.run(_packed, self._step, fetched, feed_id=feed_id, lang=lang, now=now,
                                              memory=memory)
                return self._children.run(self._step, fetched, feed_id=feed_id, lang=lang, now=now, memory=memory)
            except BrokenProcessPool:
                logger.error("parse process died (attempt %d of %d); pool restarted", attempt, ATTEMPTS,
                             extra={"feed_id": feed_id})
        return ParseOutcome(error="parse process died twice on this feed; will retry at the next poll",
                            memory=memory)

    def start(self) -> None:
        """Start the parse processes now rather than with the first parses."""
        self._children.start()

    def pids(self) -> list[int]:
        """The running parse processes (started on the first parse, or by start)."""
        return self._children.pids()

    def close(self) -> None:
        self._children.close()

    def __enter__(self) -> "ParsePool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def parse_in_pool(pool: ParsePool, db, feed: FeedConfig, fetched: FetchResult, *, now: datetime,
                  packed: bool = False) -> ParseOutcome | bytes:
    """The parse step of one poll, in the pool, given the block memory as the database holds it now.

    Read here (any process may read; the writer checks it again in its transaction, see store_parsed)."""
    return pool.parse(fetched, feed_id=feed.id, lang=feed.lang, now=now, memory=_memory(db, feed.id), packed=packed)


def _memory(db, feed_id: str) -> tuple[str, bytes] | None:
    row = load_block_memory(db, feed_id)
    return tuple(row) if row else None


class PooledIngest:
    """Callable as poll_feed's `ingest`: parse in the pool, store in this process (`poll --once`).

    The fetch threads parse side by side; the stores take the connection's write lock one at a time."""

    def __init__(self, pool: ParsePool):
        self.pool = pool

    def __call__(self, db, feed: FeedConfig, row: dict, fetched: FetchResult, state: dict, *, started: str,
                 now: datetime, settings: Settings, rng: random.Random | None = None) -> PollResult:
        outcome = parse_in_pool(self.pool, db, feed, fetched, now=now)
        return store_parsed(db, feed, row, fetched, state, outcome, started=started, now=now, settings=settings,
                            rng=rng)
