"""Being a polite visitor of publishers' sites: one request at a time per host, a least delay
between two, a host's Retry-After kept, and robots.txt read once per host and obeyed.

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
        self.lock = threading.Lock()  # held for the whole of one request
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
    def turn(self, url: str, *, delay: float, deadline: float) -> Iterator[bool]:
        """True inside when this thread may send one request to the URL's host now: no other request
        to it is running, the least delay since the last one has passed, it asked for no wait.
        False when that cannot be before `deadline` (nothing is sent then)."""
        host = self._host(host_key(url))
        if not host.lock.acquire(timeout=max(0.0, deadline - self._clock())):
            yield False
            return
        try:
            now = self._clock()
            start = max(host.next_at, now)
            if host.held_until > now or start > deadline:
                yield False
                return
            if start > now:
                self._sleep(start - now)
            try:
                yield True
            finally:
                host.next_at = self._clock() + delay
        finally:
            host.lock.release()

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


shared = Politeness()  # the process's own: every caller shares each host's gate
