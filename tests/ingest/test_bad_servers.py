"""Sick publishers, for real: local HTTP servers on 127.0.0.1 that time out, reset, loop, flood and refuse.

Each sick feed must end as a readable reason in the feed's health (what `feeds
list` shows), within a time bound set by small timeouts, with bounded memory,
while a healthy feed polled alongside still gets its items.
"""

from __future__ import annotations

import dataclasses
import email.utils
import functools
import gzip
import random
import re
import socket
import struct
import threading
import time
import tracemalloc
import zlib
from datetime import datetime, timedelta, timezone

import pytest

import bot.ingest.pipeline
from bot.ingest.fetch import fetch, make_client
from bot.demo.localserver import Response
from bot.models import FeedConfig
from bot.ingest.pipeline import poll_feed
from bot.ingest.poller import poll_all
from db.feeds import feed_health, get_feed_row, sync_file_feeds
from tests.conftest import rss

NOW = datetime(2024, 9, 17, 12, 0, tzinfo=timezone.utc)
CAP = 1024 * 1024  # body-size cap in these tests
TEN_GB = 10 * 1024 ** 3
STORY = {"title": "Attack in Bamako", "link": "https://news.example/bamako", "guid": "bamako-1",
         "pubDate": "Tue, 17 Sep 2024 09:30:00 +0200", "description": "More than 70 killed."}


@pytest.fixture
def fast(settings):
    """Small timeouts and cap: a sick server costs a second, not a minute."""
    return dataclasses.replace(settings, connect_timeout=1.0, read_timeout=0.5, total_timeout=2.0,
                               max_body_bytes=CAP, max_redirects=5, max_concurrent_fetches=4)


@pytest.fixture
def client(fast):
    """A client built with the small timeouts (conftest's is built with its own settings)."""
    with make_client(fast) as http:
        yield http


@pytest.fixture
def stop():
    """Set at the end of a test so that handlers still sleeping or streaming give up."""
    event = threading.Event()
    yield event
    event.set()


def feed(server, name: str, interval: int = 600) -> FeedConfig:
    return FeedConfig(id=name, url=server.url(f"/{name}"), interval_seconds=interval)


def register(db, *feeds: FeedConfig) -> None:
    sync_file_feeds(db, list(feeds))


# --- sick handlers ----------------------------------------------------------------------------------------

def silent(stop: threading.Event):
    """Accepts the request and never answers (until the test ends)."""
    def handler(request):
        stop.wait(10)
        request.close_connection = True
    return handler


def resetting(request):
    """Reads the request, then resets the TCP connection (RST, not a clean close)."""
    request.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    request.connection.close()
    request.close_connection = True


def redirecting_forever(request):
    hop = int(request.path.rsplit("=", 1)[-1]) + 1 if "=" in request.path else 1
    request.send_response(302)
    request.send_header("Location", f"/loop?hop={hop}")
    request.send_header("Content-Length", "0")
    request.end_headers()


class Flood:
    """Streams up to 10 GB of feed-looking bytes with no Content-Length, generator-style, until the client hangs up."""

    def __init__(self, stop: threading.Event, *, declare_length: bool = False):
        self.stop, self.declare_length, self.sent = stop, declare_length, 0

    def chunks(self):
        yield b'<?xml version="1.0"?><rss version="2.0"><channel><title>flood</title>'
        item = b"<item><title>again</title><description>" + b"x" * 65000 + b"</description></item>"
        for _ in range(TEN_GB // len(item)):  # bounded: 10 GB at most
            if self.stop.is_set():
                return
            yield item

    def __call__(self, request):
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        if self.declare_length:
            request.send_header("Content-Length", str(TEN_GB))
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        try:
            for chunk in self.chunks():
                request.wfile.write(chunk)
                self.sent += len(chunk)
        except OSError:  # the client hung up: what we want
            pass


def dripping(stop: threading.Event):
    """A byte every 0.1 s: never slow enough for the read timeout, far too slow overall."""
    def handler(request):
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        try:
            for _ in range(600):
                if stop.wait(0.1):
                    return
                request.wfile.write(b" ")
        except OSError:
            pass
    return handler


def dripping_headers(stop: threading.Event):
    """A status line, then header bytes one every 0.1 s: each read is quick, the response never ends."""
    def handler(request):
        request.close_connection = True
        try:
            request.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            for _ in range(6000):
                if stop.wait(0.1):
                    return
                request.wfile.write(b"a")
        except OSError:
            pass
    return handler


@functools.lru_cache(maxsize=None)
def gzip_bomb(decompressed: int, layers: int = 1) -> bytes:
    """A few kB that inflate to `decompressed` bytes of zeros (through `layers` gzip layers)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    data = b"".join(packer.compress(block) for _ in range(decompressed // len(block))) + packer.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


GARBAGE = bytes(random.Random(7).getrandbits(8) for _ in range(4096))
HTML = b"<!DOCTYPE html><html><head><title>Home</title></head><body><h1>Welcome</h1><p>News.</p></body></html>"


def sick_routes(stop: threading.Event) -> dict[str, tuple[object, str]]:
    """path -> (route, regex the feed's last_error must match)."""
    return {
        "/silent": (silent(stop), r"^timed out \(ReadTimeout\)"),  # after the 0.5 s read timeout
        "/reset": (resetting, r"(?i)reset|disconnected|RemoteProtocolError|ReadError"),
        "/loop": (redirecting_forever, r"^too many redirects \(more than 5\)"),
        "/flood": (Flood(stop), r"^body too large \(over 1,048,576 bytes\)"),
        "/declared": (Flood(stop, declare_length=True), r"^body too large \(10,737,418,240 bytes declared"),
        "/drip": (dripping(stop), r"^too slow \(no full (body|response) within 2s\)"),
        "/dripheaders": (dripping_headers(stop), r"^too slow \(no full response within 2s\)"),
        "/error500": (Response(b"oops", status=500, content_type="text/plain"), r"^HTTP 500 Internal Server Error$"),
        "/html": (Response(HTML, content_type="text/html; charset=utf-8"), r"^not a feed: the URL answers with an HTML page"),
        "/empty": (Response(b""), r"^empty body$"),
        "/garbage": (Response(GARBAGE, content_type="application/octet-stream"), r"^not a feed: no RSS or Atom content found"),
        "/gzipbomb": (Response(gzip_bomb(200 << 20), headers={"Content-Encoding": "gzip"}),
                      r"^body too large \(over 1,048,576 bytes\)"),
        "/gzipbomb2": (Response(gzip_bomb(256 << 20, layers=2), headers={"Content-Encoding": "gzip, gzip"}),
                       r"^body too large \(over 1,048,576 bytes\)"),
    }


# --- each sickness on its own -------------------------------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize("path", list(sick_routes(threading.Event())))
def test_a_sick_feed_fails_fast_with_a_readable_reason(path, db, client, fast, server, stop):
    route, expected = sick_routes(stop)[path]
    server.routes[path.split("?")[0]] = route
    sick = FeedConfig(id=path.strip("/"), url=server.url(path), interval_seconds=600)
    register(db, sick)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        result = poll_feed(db, client, sick, settings=fast, now=NOW, force=True)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.outcome == "error", result
    assert re.search(expected, result.error or ""), result.error
    # Bounded: the total deadline (2 s) plus slack; memory a few times the 1 MiB cap at most.
    assert elapsed < fast.total_timeout + 3, f"{path} took {elapsed:.1f}s"
    assert peak < 8 * CAP, f"{path} peaked at {peak / 2**20:.1f} MiB"
    row = get_feed_row(db, sick.id)
    assert row["last_error"] == result.error and row["consecutive_failures"] == 1
    assert not list(db.query("select 1 from items where feed_id = ?", [sick.id]))
    if isinstance(route, Flood):
        assert route.sent < 64 * CAP, f"the server sent {route.sent:,} bytes before we hung up"


def test_redirect_loop_stops_after_the_limit(db, client, fast, server):
    server.routes["/loop"] = redirecting_forever
    looping = feed(server, "loop")
    register(db, looping)
    result = poll_feed(db, client, looping, settings=fast, now=NOW, force=True)
    assert result.error == "too many redirects (more than 5)"
    assert server.hits["/loop"] == fast.max_redirects + 1


# --- all of them at once, beside a healthy feed ------------------------------------------------------------

@pytest.mark.timeout(120)
def test_healthy_feed_gets_its_items_while_sick_ones_show_their_reason(db, client, fast, server, stop):
    routes = sick_routes(stop)
    feeds = []
    for path, (route, _) in routes.items():
        server.routes[path] = route
        feeds.append(FeedConfig(id=path.strip("/"), url=server.url(path), interval_seconds=600))
    server.routes["/healthy"] = Response(rss(STORY, {**STORY, "guid": "b-2", "title": "Second", "link": "https://x/2"}))
    healthy = feed(server, "healthy")
    register(db, *feeds, healthy)

    started = time.perf_counter()
    results = {r.feed_id: r for r in poll_all(db, client, [*feeds, healthy], settings=fast)}
    elapsed = time.perf_counter() - started

    assert results["healthy"].outcome == "new" and len(results["healthy"].new_ids) == 2
    # Four at a time, each sick one bounded by the 2 s deadline: far from serial worst cases.
    assert elapsed < 20, f"poll_all took {elapsed:.1f}s"
    health = {h.id: h for h in feed_health(db, now=NOW)}
    assert health["healthy"].last_error is None and health["healthy"].items_total == 2
    for path, (_, expected) in routes.items():
        row = health[path.strip("/")]
        assert row.consecutive_failures == 1, row
        assert re.search(expected, row.last_error or ""), (path, row.last_error)


# --- backoff and Retry-After ---------------------------------------------------------------------------------

def _delays(db, client, settings, sick, *, polls: int, rng: random.Random) -> list[float]:
    delays = []
    for _ in range(polls):
        poll_feed(db, client, sick, settings=settings, now=NOW, force=True, rng=rng)
        after = datetime.strptime(get_feed_row(db, sick.id)["next_poll_after"], "%Y-%m-%dT%H:%M:%SZ")
        delays.append((after.replace(tzinfo=timezone.utc) - NOW).total_seconds())
    return delays


def test_a_feed_answering_500_backs_off_growing_capped_and_jittered(db, client, fast, server):
    server.routes["/error500"] = Response(b"oops", status=500, content_type="text/plain")
    sick = feed(server, "error500", interval=60)
    register(db, sick)
    cap = fast.backoff_cap_seconds  # 6 h
    delays = _delays(db, client, fast, sick, polls=12, rng=random.Random(1))

    assert delays[0] == 0  # one failure: just the next interval
    for failures, delay in enumerate(delays[1:], start=2):
        base = min(cap, 60 * 2 ** (failures - 2))
        assert base * 0.5 - 1 <= delay <= base, (failures, delay, base)  # jittered within [base/2, base]
    assert delays[-1] <= cap and delays[-1] >= cap / 2 - 1  # capped at 6 h
    assert max(delays) <= cap
    # Growth: each base doubles until the cap, so the delays climb by orders of magnitude.
    assert delays[2] < delays[6] < delays[-1]
    # Jitter: another random stream gives other delays for the same failure counts.
    sick2 = feed(server, "error500b", interval=60)
    server.routes["/error500b"] = server.routes["/error500"]
    register(db, sick, sick2)
    other = _delays(db, client, fast, sick2, polls=12, rng=random.Random(2))
    assert other[1:] != delays[1:]
    # While backing off, a scheduled (not forced) poll does not even contact the server.
    hits = server.hits["/error500"]
    assert poll_feed(db, client, sick, settings=fast, now=NOW + timedelta(minutes=1)).outcome == "backoff"
    assert server.hits["/error500"] == hits
    assert get_feed_row(db, sick.id)["consecutive_failures"] == 12
    assert "HTTP 500" in {h.id: h for h in feed_health(db, now=NOW)}["error500"].last_error


@pytest.mark.parametrize("status, retry_after, expected_delay", [
    (429, "3600", 3600),
    (503, "in 2 hours", 7200),  # an HTTP date, made when the test runs
    (429, str(10 * 24 * 3600), 6 * 3600),  # a server asking for ten days gets the cap
])
def test_retry_after_is_honoured(status, retry_after, expected_delay, db, client, fast, server):
    if retry_after == "in 2 hours":
        retry_after = email.utils.format_datetime(datetime.now(timezone.utc) + timedelta(hours=2), usegmt=True)
    server.routes["/busy"] = Response(b"slow down", status=status, content_type="text/plain",
                                      headers={"Retry-After": retry_after})
    busy = feed(server, "busy", interval=60)
    register(db, busy)
    result = poll_feed(db, client, busy, settings=fast, now=NOW, force=True)
    assert result.outcome == "error" and result.error.startswith(f"HTTP {status}")
    after = datetime.strptime(get_feed_row(db, busy.id)["next_poll_after"], "%Y-%m-%dT%H:%M:%SZ")
    delay = (after.replace(tzinfo=timezone.utc) - NOW).total_seconds()
    assert abs(delay - expected_delay) <= 2, delay
    hits = server.hits["/busy"]
    assert poll_feed(db, client, busy, settings=fast, now=NOW + timedelta(seconds=30)).outcome == "backoff"
    assert server.hits["/busy"] == hits


# --- conditional GET and identical bodies --------------------------------------------------------------------

def test_conditional_get_sends_validators_and_a_304_stores_nothing(db, client, fast, server):
    body = rss(STORY)
    seen: list[dict] = []

    def publisher(request):
        seen.append({k.lower(): v for k, v in request.headers.items()})
        if request.headers.get("If-None-Match") == '"v1"':
            request.send_response(304)
            request.send_header("ETag", '"v1"')
            request.send_header("Content-Length", "0")
            request.end_headers()
            return
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("ETag", '"v1"')
        request.send_header("Last-Modified", "Tue, 17 Sep 2024 10:00:00 GMT")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    server.routes["/wire"] = publisher
    wire = feed(server, "wire")
    register(db, wire)
    first = poll_feed(db, client, wire, settings=fast, force=True)
    second = poll_feed(db, client, wire, settings=fast, force=True)
    assert first.outcome == "new" and len(first.new_ids) == 1
    assert "if-none-match" not in seen[0]
    assert seen[1]["if-none-match"] == '"v1"'
    assert seen[1]["if-modified-since"] == "Tue, 17 Sep 2024 10:00:00 GMT"
    assert second.outcome == "not_modified" and second.new_ids == [] and second.http_status == 304
    assert len(list(db.query("select id from items"))) == 1
    assert [p["outcome"] for p in db.query("select outcome from polls order by id")] == ["new", "not_modified"]


def test_identical_body_is_not_parsed_again(db, client, fast, server, monkeypatch):
    parses = []
    real_parse = bot.ingest.pipeline.parse_feed

    def counting_parse(*args, **kwargs):
        parses.append(1)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(bot.ingest.pipeline, "parse_feed", counting_parse)
    server.routes["/wire"] = Response(rss(STORY), etag=False)  # a server that ignores conditional GET
    wire = feed(server, "wire")
    register(db, wire)
    outcomes = [poll_feed(db, client, wire, settings=fast, force=True).outcome for _ in range(3)]
    assert outcomes == ["new", "unchanged", "unchanged"]
    assert len(parses) == 1  # the same bytes were parsed once
    assert server.hits["/wire"] == 3  # each poll did fetch them
    # A changed body is parsed again.
    server.routes["/wire"] = Response(rss(STORY, {**STORY, "guid": "b-2", "title": "Second"}), etag=False)
    assert poll_feed(db, client, wire, settings=fast, force=True).outcome == "new"
    assert len(parses) == 2


def test_gzip_bomb_is_cut_at_the_cap_with_little_memory(client, fast, server):
    """A 1 kB double-gzip body that inflates to 256 MiB: stopped after about one cap's worth of bytes."""
    server.routes["/bomb"] = Response(gzip_bomb(256 << 20, layers=2), headers={"Content-Encoding": "gzip, gzip"})
    tracemalloc.start()
    try:
        result = fetch(client, server.url("/bomb"), settings=fast)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status == "error" and result.error.startswith("body too large")
    assert peak < 4 * CAP, f"peak {peak / 2**20:.1f} MiB"


def test_compressed_feeds_still_arrive_whole(db, client, fast, server):
    body = rss(*({**STORY, "guid": f"g{i}", "title": f"Story {i}"} for i in range(50)))
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    server.routes["/gz"] = Response(gzip.compress(body), headers={"Content-Encoding": "gzip"})
    server.routes["/zlib"] = Response(zlib.compress(body), headers={"Content-Encoding": "deflate"})
    server.routes["/raw"] = Response(packer.compress(body) + packer.flush(), headers={"Content-Encoding": "deflate"})
    for path in ("/gz", "/zlib", "/raw"):
        result = fetch(client, server.url(path), settings=fast)
        assert (result.status, result.body) == ("ok", body), path


# --- feeds added in Slack stay outside the newsroom's network ---------------------------------------------

def _added_in_slack(db, feed_config: FeedConfig) -> None:
    register(db, feed_config)
    db.execute("update feeds set origin = 'slack' where id = ?", [feed_config.id])


def test_a_feed_added_in_slack_that_now_leads_inside_the_network_is_refused_at_the_poll(db, client, fast, server):
    # Its address was public when an admin added it; at this poll it is 127.0.0.1 (DNS changed).
    server.routes["/wire"] = Response(rss(STORY))
    wire = feed(server, "wire")
    _added_in_slack(db, wire)
    result = poll_feed(db, client, wire, settings=fast)
    assert result.outcome == "error" and "internal address" in result.error
    assert server.hits.get("/wire") is None and db["items"].count == 0  # nothing was asked of it
    assert "internal address" in get_feed_row(db, "wire")["last_error"]
    allowed = dataclasses.replace(fast, allow_private_feed_urls=True)  # INCIDENT_DESK_ALLOW_PRIVATE_FEEDS=1
    assert poll_feed(db, client, wire, settings=allowed, force=True).outcome == "new"


def test_a_feed_added_in_slack_that_redirects_inside_the_network_is_refused_before_following(
        db, client, fast, server, monkeypatch):
    import bot.ingest.netguard

    # 'localhost' plays a public name here; the redirect goes to 127.0.0.1, inside.
    real = bot.ingest.netguard.private_reason
    monkeypatch.setattr(bot.ingest.netguard, "private_reason",
                        lambda url, **kw: None if "//localhost:" in url else real(url, **kw))
    server.routes["/moved"] = Response(b"", status=302, headers={"Location": server.url("/wire")})
    server.routes["/wire"] = Response(rss(STORY))
    moved = FeedConfig(id="moved", url=server.url("/moved").replace("127.0.0.1", "localhost"), interval_seconds=600)
    _added_in_slack(db, moved)
    result = poll_feed(db, client, moved, settings=fast)
    assert result.outcome == "error" and "internal address" in result.error
    assert server.hits["/moved"] == 1 and server.hits.get("/wire") is None and db["items"].count == 0


def test_feeds_from_feeds_yaml_may_live_on_the_newsrooms_own_network(db, client, fast, server):
    server.routes["/wire"] = Response(rss(STORY))
    wire = feed(server, "wire")
    register(db, wire)  # the admin's own file: trusted, like the demo's feeds on 127.0.0.1
    assert poll_feed(db, client, wire, settings=fast).outcome == "new"
