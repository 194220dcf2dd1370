"""The queue of the distributed mode: Dramatiq over Redis, two queues, pickled messages.

"polls" carries the scheduler's orders (PollOrder) to `python -m bot worker` processes on any machine;
"stored" carries what they fetched and parsed (PollDone) back to the bot, the one writer. A message
is acknowledged only once its actor returned, so a process killed mid-message loses nothing: Redis
hands its unacknowledged messages to the others once its heartbeat is older than
Settings.queue_heartbeat_seconds. Handed twice, a poll keeps its poll id, and the writer stores
each id once (bot/ingest/remote_store.py).

Pickle carries bytes and dataclasses as they are; it also runs whatever a message says, so the
Redis must be private to the bot and its workers (README, "Past one box").
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

from bot.config import Settings
from bot.ingest.fetch import FetchResult
from bot.ingest.pipeline import ParseOutcome
from bot.models import FeedConfig

POLLS, STORED = "polls", "stored"
CONNECT_TIMEOUT = 5.0  # seconds: an unreachable Redis is said at once, not after minutes
SOCKET_TIMEOUT = 30.0  # no Redis command of ours waits (Dramatiq's fetch is a Lua script, never a blocking pop)
POLL_RETRIES = 2  # a worker's actor that raised (a bug, Redis gone while sending) is tried again this often
STORED_RETRIES = 10  # the writer's store that raised (its child died, the database locked): tried again


@dataclass
class PollOrder:
    """One poll the scheduler asks a worker for: what the fetch and the parse need from the database."""

    poll_id: str  # unique per turn; kept when the message is redelivered
    feed: FeedConfig
    row: dict  # the feed row's etag, last_modified, body_hash and origin
    memory: tuple[str, bytes] | None  # the feed's block memory (db.items.load_block_memory)
    enqueued_at: float = field(default_factory=time.time)


@dataclass
class PollDone:
    """What a worker fetched and parsed, for the writer: pipeline.store_parsed's or record_fetch's arguments."""

    poll_id: str
    feed: FeedConfig
    kind: str  # pipeline.sort_fetch's: not_modified | error | unchanged | changed; or host_busy (not fetched)
    fetched: FetchResult | None
    state: dict
    outcome: ParseOutcome | None  # the parse, for a changed body
    started: str  # when the worker began the poll (to_iso)
    now: datetime
    enqueued_at: float
    worker: str = ""  # host:pid, for the logs
    fetch_seconds: float = 0.0
    parse_seconds: float = 0.0


class QueueUnavailable(SystemExit):
    """No queue URL, or no Redis behind it. A SystemExit: raised while a command starts, its message is
    what the command line prints before exiting with status 1."""


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return parts._replace(netloc=netloc).geturl()


def _not_here(*args) -> None:
    raise RuntimeError("this process does not take messages from this queue")


class PollQueue:
    """The broker and the two actors. `take_poll(order)` runs in workers; `take_done(done)` in the writer.
    A process sends with `send_poll` and `send_done`, and consumes with `consume`."""

    def __init__(self, settings: Settings, *, take_poll: Callable[[PollOrder], None] | None = None,
                 take_done: Callable[[PollDone], None] | None = None):
        import dramatiq
        import redis
        from dramatiq.encoder import PickleEncoder

        if not settings.queue_url:
            raise QueueUnavailable("INCIDENT_DESK_QUEUE_URL is not set: it names the Redis that carries the polls "
                                   "(e.g. redis://127.0.0.1:6379/0); see the README, \"Past one box\"")
        self.url = settings.queue_url
        try:
            client = redis.Redis.from_url(self.url, socket_connect_timeout=CONNECT_TIMEOUT,
                                          socket_timeout=SOCKET_TIMEOUT, health_check_interval=30)
            client.ping()
        except (redis.RedisError, ValueError) as exc:
            raise QueueUnavailable(f"cannot reach the queue at {redacted(self.url)} (INCIDENT_DESK_QUEUE_URL): "
                                   f"{exc}") from None
        dramatiq.set_encoder(PickleEncoder())  # process-wide: every message of this process is pickled
        self.broker = _broker_class()(client=client, heartbeat_timeout=int(settings.queue_heartbeat_seconds * 1000))
        self._poll = dramatiq.actor(take_poll or _not_here, broker=self.broker, actor_name="poll", queue_name=POLLS,
                                    max_retries=POLL_RETRIES, min_backoff=1_000, max_backoff=10_000)
        self._done = dramatiq.actor(take_done or _not_here, broker=self.broker, actor_name="done",
                                    queue_name=STORED, max_retries=STORED_RETRIES, min_backoff=1_000,
                                    max_backoff=30_000)

    def send_poll(self, order: PollOrder, *, delay_seconds: float | None = None) -> None:
        self._poll.send_with_options(args=(order,), delay=int(delay_seconds * 1000) if delay_seconds else None)

    def send_done(self, done: PollDone) -> None:
        self._done.send(done)

    def consume(self, queue_name: str, *, threads: int):
        """A started Dramatiq worker taking this queue's messages with `threads` threads; `.stop()` it."""
        import dramatiq

        worker = dramatiq.Worker(self.broker, queues={queue_name}, worker_threads=max(1, threads))
        worker.start()
        return worker

    def waiting(self, queue_name: str) -> int:
        """Messages in the queue not yet acknowledged (the bench, the tests)."""
        return int(self.broker.do_qsize(queue_name) or 0)

    def close(self) -> None:
        self.broker.client.close()


_BROKER = None


def _broker_class():
    """Dramatiq's Redis broker, with its queue upkeep (handing a dead worker's messages to others) on a clock.

    Dramatiq does the upkeep on one command in a thousand, at random: on a quiet queue a dead worker's
    poll could wait many minutes. Here each process does it on a queue at least every quarter of the
    heartbeat timeout, so a dead worker's polls move within about 1.25 heartbeat timeouts."""
    global _BROKER
    if _BROKER is None:
        from dramatiq.brokers.redis import MAINTENANCE_COMMAND_BLACKLIST, RedisBroker
        from dramatiq.common import current_millis

        class ClockedUpkeepBroker(RedisBroker):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self._upkeep_every = self.heartbeat_timeout / 4000  # seconds
                self._last_upkeep: dict[str, float] = {}
                self._upkeep_lock = threading.Lock()

            def _upkeep_due(self, command: str, queue_name: str) -> int:
                if command in MAINTENANCE_COMMAND_BLACKLIST:
                    return 0
                now = time.monotonic()
                with self._upkeep_lock:
                    if now - self._last_upkeep.get(queue_name, 0.0) < self._upkeep_every:
                        return 0
                    self._last_upkeep[queue_name] = now
                return 1

            def _dispatch(self, command):
                # RedisBroker._dispatch (dramatiq 2.2, pinned) with the upkeep flag decided per queue;
                # the script's arguments are upstream's, in upstream's order.
                script = self.scripts["dispatch"]

                def do_dispatch(queue_name, *args):
                    return script(keys=[self.namespace], args=[
                        command, current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                        self.dead_message_ttl, self._upkeep_due(command, queue_name), self._max_unpack_size(),
                        *args])
                return do_dispatch

        _BROKER = ClockedUpkeepBroker
    return _BROKER
