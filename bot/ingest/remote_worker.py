"""`python -m bot worker`: fetch and parse the polls the bot queued (distributed mode), send back the results.

A worker runs on any machine that reaches the Redis of INCIDENT_DESK_QUEUE_URL and the feeds; it
never opens the SQLite file: everything a poll needs from the database travels in its PollOrder, and
everything it found goes back in a PollDone for the bot's one writer. Threads fetch side by side;
parsing holds the interpreter lock, so one worker process parses on one core: run one per core.

Politeness per host (bot/ingest/politeness.py) is this process's own: N workers may each send
Settings.per_host requests to a host at once.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
from datetime import datetime, timezone

from bot.config import Settings
from bot.ingest.fetch import fetch, make_client
from bot.ingest.pipeline import parse_fetched, refuses_private, sort_fetch
from bot.ingest.politeness import Politeness, feed_turn
from bot.ingest.poll_queue import POLLS, PollDone, PollOrder, PollQueue, QueueUnavailable, redacted
from db import to_iso

logger = logging.getLogger(__name__)

HOST_WAIT_SECONDS = 30.0  # the longest one thread waits for a host's turn before handing the poll back
HOST_RETRY_SECONDS = 2.0  # a poll whose host had no turn is queued again after this
STOP_SECONDS = 60.0  # SIGTERM: running polls finish (each bounded by the fetch's total timeout), then exit


class PollWorker:
    """Takes PollOrders: fetch (its own HTTP client, its own per-host gates), parse, send a PollDone."""

    def __init__(self, settings: Settings, *, queue: PollQueue | None = None):
        self.settings = settings
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.politeness = Politeness()
        self.queue = queue or PollQueue(settings, take_poll=self.take)  # QueueUnavailable when it cannot
        self.client = make_client(settings)

    def take(self, order: PollOrder) -> None:
        """One message of "polls": its result goes to "stored" before the message is acknowledged, so a
        worker killed in between makes the poll run again (the writer keeps one result per poll id)."""
        done = self.poll(order)
        if done is None:
            self.queue.send_poll(order, delay_seconds=HOST_RETRY_SECONDS)
        else:
            self.queue.send_done(done)

    def poll(self, order: PollOrder) -> PollDone | None:
        return fetch_and_parse(order, client=self.client, settings=self.settings, politeness=self.politeness,
                               worker=self.name)

    def close(self) -> None:
        self.client.close()
        self.queue.close()


def fetch_and_parse(order: PollOrder, *, client, settings: Settings, politeness: Politeness,
                    worker: str = "") -> PollDone | None:
    """One poll's fetch and parse (pipeline's own steps, no database); None when its host has no turn
    now (try again a little later)."""
    feed, row = order.feed, order.row
    now = datetime.now(timezone.utc)
    gate = feed_turn(settings, deadline=time.monotonic() + HOST_WAIT_SECONDS, politeness=politeness,
                     max_waiting=settings.per_host)
    began = time.monotonic()
    with gate(feed.url) as granted:
        if granted:
            fetched = fetch(client, feed.url, settings=settings, etag=row.get("etag"),
                            last_modified=row.get("last_modified"), refuse_private=refuses_private(row, settings))
    done = PollDone(order.poll_id, feed, "host_busy", None, {}, None, started=to_iso(now), now=now,
                    enqueued_at=order.enqueued_at, worker=worker)
    if not granted:
        # Handed back until the feed's next turn would come; then the bot hears it, and that turn polls it.
        late = time.time() + HOST_RETRY_SECONDS > order.enqueued_at + feed.interval_seconds
        return done if late else None
    parsing = time.monotonic()
    done.fetch_seconds = parsing - began
    done.kind, done.state = sort_fetch(fetched, row)
    if done.kind == "changed":
        done.outcome = parse_fetched(fetched, feed_id=feed.id, lang=feed.lang, now=now, memory=order.memory)
    else:
        fetched.body = b""  # nothing of it is stored: the message stays small
    done.fetched = fetched
    done.parse_seconds = time.monotonic() - parsing
    return done


def worker_command(parser) -> None:
    """`python -m bot worker [--threads N]`: take polls from the queue until SIGTERM/Ctrl-C."""
    parser.add_argument("--threads", type=int, help="polls fetched at once (default INCIDENT_DESK_CONCURRENCY, 8)")
    parser.set_defaults(handler=_run_worker)


def _run_worker(args, settings: Settings) -> int:
    try:
        worker = PollWorker(settings)
    except QueueUnavailable as exc:
        print(f"worker: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threads = max(1, args.threads or settings.max_concurrent_fetches)
    consumer = worker.queue.consume(POLLS, threads=threads)
    print(f"worker {worker.name}: taking polls from {redacted(worker.queue.url)} with {threads} thread(s); "
          "Ctrl-C to stop", flush=True)
    try:
        stop.wait()
    finally:
        logger.info("stopping: finishing running polls")
        consumer.stop(timeout=int(STOP_SECONDS * 1000))  # the polls it had not begun go back to the queue
        worker.close()
    return 0
