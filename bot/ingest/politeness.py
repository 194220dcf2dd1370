"""Being a polite visitor of publishers' sites: few requests at a time per host (one for article
pages, settings.per_host for feed polls), a least delay between two, a host's Retry-After kept, and
robots.txt read once per host and obeyed.

Shared by every caller in a process (Politeness.shared), since politeness is owed per host, not per
call. Times are time.monotonic().
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections import OrderedDict
from contextlib import contextmanager
from typing import Callable, Iterator
from urllib.parse import urlsplit

import httpx

from bot.config import Settings
from bot.ingest.fetch import fetch

ROBOTS_TTL = 24 * 3600  # a robots.txt is read again after a day
ROBOTS_RETRY = 300  # robots.txt unreachable (5xx, network): the host's pages wait this long
MAX_HOSTS = 10_000  # hosts remembered; the least recently used are forgotten
DEFAULT_HOLD = 60  # 429/503 without a Retry-After: the host rests this long
ALLOW, DISALLOW, UNKNOWN, RULES = "allow", "disallow", "unknown", "rules"


def host_key(url: str) -> str:
    """scheme://host:port, what robots.txt and the gates are kept per."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class _Host:
    def __init__(self) -> None:
        self.free = threading.Condition()  # guards active/waiting; notified when a request ends
        self.active = 0  # requests to the host running now
        self.waiting = 0  # threads waiting for a turn
        self.next_at = 0.0  # earliest moment of the next request (the least delay)
        self.held_until = 0.0  # Retry-After: nothing is sent before this
        self.robots: urllib.robotparser.RobotFileParser | None = None
        self.robots_state = UNKNOWN  # allow (no rules, e.g. a 404) | rules | unknown (try later)
        self.robots_until = 0.0


class Politeness:
    """Per-host gates and the robots.txt cache."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self._clock, self._sleep = clock, sleep
        self._hosts: OrderedDict[str, _Host] = OrderedDict()
        self._lock = threading.Lock()

    def _host(self, key: str) -> _Host:
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                host = self._hosts[key] = _Host()
                while len(self._hosts) > MAX_HOSTS:
                    self._hosts.popitem(last=False)
            self._hosts.move_to_end(key)
            return host

    def held(self, url: str) -> bool:
        """Whether the host asked us to wait (Retry-After) and the wait is not over."""
        return self._host(host_key(url)).held_until > self._clock()

    def hold(self, url: str, seconds: float | None, *, cap: float) -> None:
        """The host answered 429/503: nothing goes to it for `seconds` (at most `cap`)."""
        host = self._host(host_key(url))
        wait = DEFAULT_HOLD if seconds is None else min(max(0.0, seconds), cap)
        host.held_until = max(host.held_until, self._clock() + wait)

    @contextmanager
    def turn(self, url: str, *, delay: float, deadline: float, slots: int = 1, max_waiting: int | None = None,
             obey_hold: bool = True) -> Iterator[bool]:
        """True inside when this thread may send one request to the URL's host now: fewer than `slots`
        requests to it are running, the least delay since the last one began and ended has passed, it
        asked for no wait (unless not `obey_hold`). False when that cannot be before `deadline`, or at
        once when `max_waiting` threads already wait for the host (nothing is sent then)."""
        host = self._host(host_key(url))
        with host.free:
            if host.active >= max(1, slots) and max_waiting is not None and host.waiting >= max_waiting:
                granted = False
            else:
                host.waiting += 1
                try:
                    granted = host.free.wait_for(lambda: host.active < max(1, slots),
                                                 timeout=max(0.0, deadline - self._clock()))
                finally:
                    host.waiting -= 1
            if granted:
                now = self._clock()
                start = max(host.next_at, now)
                granted = not (obey_hold and host.held_until > now) and start <= deadline
            if granted:
                host.active += 1
                host.next_at = start + delay  # the next one, even running beside this one, starts later
        if not granted:
            yield False
            return
        try:
            if start > now:
                self._sleep(start - now)
            yield True
        finally:
            with host.free:
                host.active -= 1
                host.next_at = max(host.next_at, self._clock() + delay)
                host.free.notify_all()

    def robots(self, client: httpx.Client, url: str, *, settings: Settings, refuse_private: bool,
               deadline: float) -> str:
        """allow, disallow, or unknown (robots.txt could not be read now: try the page later).

        Fetched once per host through our own fetch() (same limits and guard as any page), under the
        host's gate; a 4xx (404: no robots.txt) allows everything, as RFC 9309 says."""
        host = self._host(host_key(url))
        if host.robots_until <= self._clock():
            self._read_robots(host, client, url, settings=settings, refuse_private=refuse_private, deadline=deadline)
        state = host.robots_state if host.robots_until > self._clock() else UNKNOWN
        if state == RULES:
            return ALLOW if host.robots.can_fetch(settings.user_agent, url) else DISALLOW
        return state

    def _read_robots(self, host: _Host, client, url: str, *, settings: Settings, refuse_private: bool,
                     deadline: float) -> None:
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/robots.txt"
        with self.turn(url, delay=settings.article_host_delay, deadline=deadline) as granted:
            if not granted:
                return
            if host.robots_until > self._clock():  # another thread read it while this one waited
                return
            result = fetch(client, robots_url, settings=settings, refuse_private=refuse_private)
        status = result.http_status
        if result.status == "ok":
            parser = urllib.robotparser.RobotFileParser(robots_url)
            parser.parse(result.body.decode("utf-8", "replace").splitlines())
            host.robots, host.robots_state = parser, RULES
        elif (status is not None and 400 <= status < 500 and status != 429) or (
                result.error or "").startswith(("refused:", "bad URL")):
            # No robots.txt (a 4xx) allows everything; a refused address refuses the page itself too,
            # with that clearer reason.
            host.robots, host.robots_state = None, ALLOW
        else:  # 429, 5xx, timeout, network: not known now; the host's pages wait a while
            if status in (429, 503):
                self.hold(url, result.retry_after, cap=settings.backoff_cap_seconds)
            host.robots_until = self._clock() + ROBOTS_RETRY
            host.robots_state = UNKNOWN
            return
        host.robots_until = self._clock() + ROBOTS_TTL


def feed_turn(settings: Settings, *, deadline: float, politeness: Politeness | None = None,
              max_waiting: int | None = None) -> Callable[[str], object]:
    """The gate of feed polls (pipeline.poll_feed's `turn`): settings.per_host requests to a host at
    a time, settings.host_gap apart, waiting until `deadline` at most. A host's Retry-After is the
    feed's own backoff's business (pipeline.backoff_seconds), not the gate's."""
    gates = politeness or shared
    return lambda url: gates.turn(url, delay=settings.host_gap, deadline=deadline, slots=settings.per_host,
                                  max_waiting=max_waiting, obey_hold=False)


shared = Politeness()  # the process's own: every caller shares each host's gate
