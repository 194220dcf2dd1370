"""Full article text for feeds with full_text: pages served on 127.0.0.1, fetched politely, their main text
read for figures; every failure keeps the summary and says why."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest

from bot.claims import extract_claims
from bot.cli import cmd_feeds_list, cmd_poll
from bot.config import FeedsFileError, dump_feeds_yaml, parse_feeds_yaml
from bot.demo.localserver import LocalServer, Response
from bot.incidents.processing import IncidentProcessor
from bot.ingest.articles import MAX_ATTEMPTS, fetch_pending_articles
from bot.ingest.fetch import make_client
from bot.ingest.pipeline import poll_feed
from bot.ingest.politeness import Politeness
from bot.models import FeedConfig, Incident
from bot.text import html_to_text
from db.articles import article_state
from db.feeds import active_feeds, save_slack_feed, sync_file_feeds
from db.incidents import insert_incident
from tests.conftest import rss

NOW = datetime(2024, 9, 17, 12, 0, tzinfo=timezone.utc)
WORDS = ("The attack began in the early morning when traders were setting up their stalls. Witnesses described "
         "men on motorbikes arriving from the north and firing into the crowd. Security forces arrived about an "
         "hour later and the attackers fled towards the border. ")
ARTICLE = f"""<!doctype html><html><head><title>Attack in Mopti</title></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/africa">Africa</a></nav></header>
<main><article><h1>Attack in Mopti</h1>
<p>Gunmen attacked a market in the town of Mopti on Tuesday, killing 12 civilians, local officials said.</p>
<p>{WORDS}</p>
<p>The regional governor called for calm and promised reinforcements to the district.</p>
</article></main>
<aside class="sidebar"><h3>Most read</h3><ul>
<li><a href="/a">Flood in Niamey leaves 45 dead</a></li>
<li><a href="/b">Bus crash kills 30 people on the highway</a></li></ul></aside>
<footer>Copyright 2024 The Paper. <a href="/terms">Terms</a></footer>
</body></html>""".encode()
PAYWALL = b"""<!doctype html><html><body><nav><a href="/">Home</a></nav>
<div class="paywall"><p>Subscribe to continue reading.</p><a href="/subscribe">Subscribe</a></div></body></html>"""
HTML = "text/html; charset=utf-8"


@pytest.fixture
def polite(settings):
    """No least delay unless a test asks for one; a short fetch deadline."""
    return dataclasses.replace(settings, article_host_delay=0.0, total_timeout=1.5, read_timeout=1.0)


@pytest.fixture
def gates():
    return Politeness()  # each test its own: no host state leaks from one test to the next


def story(server, path: str, guid: str, summary: str = "Gunmen attacked a market in Mopti.") -> dict:
    return {"title": "Attack in Mopti", "link": server.url(path), "guid": guid,
            "pubDate": "Tue, 17 Sep 2024 09:30:00 +0200", "description": summary}


def poll_full_text(db, server, client, settings, *items: dict, feed_id: str = "wire") -> list[int]:
    """A full_text feed with these items, polled once: the ids of the items it stored."""
    feed = FeedConfig(id=feed_id, url=server.url(f"/{feed_id}.xml"), interval_seconds=600, full_text=True)
    server.routes[f"/{feed_id}.xml"] = Response(rss(*items))
    sync_file_feeds(db, [feed])
    result = poll_feed(db, client, active_feeds(db)[0], settings=settings, now=NOW, force=True)
    assert result.outcome == "new", result.error
    return result.new_ids


def run(db, client, settings, gates, *, limit: int = 10, seconds: float = 10):
    return fetch_pending_articles(db, client, settings, limit=limit, deadline=time.monotonic() + seconds,
                                  politeness=gates)


def current_claims(db, item_id: int) -> dict[int, str]:
    return {r["value"]: r["status"] for r in db.query("select value, status from claims where item_id = ?", [item_id])}


def test_new_items_of_a_full_text_feed_wait_for_their_page(db, server, client, polite):
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    [item] = poll_full_text(db, server, client, polite, story(server, "/a", "a1"))
    assert article_state(db, item)["article_status"] == "pending"
    other = FeedConfig(id="plain", url=server.url("/plain.xml"), interval_seconds=600)
    server.routes["/plain.xml"] = Response(rss(story(server, "/a", "p1")))
    sync_file_feeds(db, [other], remove_missing=False)
    [plain] = poll_feed(db, client, other, settings=polite, now=NOW, force=True).new_ids
    assert article_state(db, plain)["article_status"] is None  # not a full_text feed: no page fetched


def test_claims_come_from_the_article_not_its_side_bar(db, server, client, polite, gates):
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    insert_incident(db, Incident(slug="mopti", name="Mopti attack", since=date(2024, 9, 1), keywords=("Mopti",),
                                 places=("Mopti",)))
    [item] = poll_full_text(db, server, client, polite, story(server, "/a", "a1", "At least 5 killed in Mopti."))
    processor = IncidentProcessor(db)
    assert processor.process_pending().items == 1  # processed before its page came: the summary's figure
    assert current_claims(db, item) == {5: "current"}

    done = run(db, client, polite, gates)
    assert (done.fetched, done.failed) == (1, 0)
    state = article_state(db, item)
    assert state["article_status"] == "ok" and "killing 12 civilians" in state["article_text"]
    assert "Niamey" not in state["article_text"] and "Bus crash" not in state["article_text"]
    assert processor.process_pending().items == 1  # processed again, now from the article
    assert current_claims(db, item) == {5: "superseded", 12: "current"}
    # The side bar's figures are what a page read whole would have given: the test can fail.
    assert {c.value for c in extract_claims(html_to_text(ARTICLE.decode()), "en")} & {45, 30}
    assert processor.process_pending().items == 0  # once: nothing comes back


def test_paywall_page_keeps_the_summary_and_says_why(db, server, client, polite, gates, capsys):
    server.routes["/paid"] = Response(PAYWALL, content_type=HTML)
    [item] = poll_full_text(db, server, client, polite, story(server, "/paid", "p1"))
    done = run(db, client, polite, gates)
    assert (done.fetched, done.failed) == (0, 1)
    state = article_state(db, item)
    assert state["article_status"] == "no article text" and state["article_text"] is None
    assert db.execute("select summary from items where id = ?", [item]).fetchone()[0] == "Gunmen attacked a market in Mopti."
    cmd_feeds_list(None, polite)
    assert "article pages: 0 fetched, 1 failed" in capsys.readouterr().out


def test_a_404_keeps_the_summary_and_feeds_list_shows_it(db, server, client, polite, gates, capsys):
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    ids = poll_full_text(db, server, client, polite, story(server, "/a", "a1"), story(server, "/gone", "g1"))
    done = run(db, client, polite, gates)
    assert (done.fetched, done.failed) == (1, 1)
    assert article_state(db, ids[1])["article_status"] == "HTTP 404"
    assert db.execute("select summary from items where id = ?", [ids[1]]).fetchone()[0]
    cmd_feeds_list(None, polite)
    out = capsys.readouterr().out
    assert "article pages: 1 fetched, 1 failed" in out and out.rstrip().endswith(": HTTP 404")


def huge(declared: bool):
    """30 MB of HTML, its length declared or not (chunk after chunk until the client hangs up)."""
    def handler(request):
        request.send_response(200)
        request.send_header("Content-Type", HTML)
        if declared:
            request.send_header("Content-Length", str(30 * 1024 * 1024))
        request.send_header("Connection", "close")
        request.end_headers()
        request.close_connection = True
        try:
            for _ in range(30 * 16):
                request.wfile.write(b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n")
        except OSError:  # the client hung up: what we want
            pass
    return handler


def test_a_30_mb_page_is_refused_as_too_large_quickly(db, server, client, polite, gates):
    server.routes["/big"] = huge(declared=True)
    server.routes["/big-chunked"] = huge(declared=False)
    ids = poll_full_text(db, server, client, polite, story(server, "/big", "b1"), story(server, "/big-chunked", "b2"))
    started = time.monotonic()
    done = run(db, client, polite, gates)
    assert time.monotonic() - started < 5
    assert done.failed == 2
    assert [article_state(db, i)["article_status"] for i in ids] == ["too large", "too large"]


def test_a_slow_page_times_out_within_the_bound(db, server, client, polite, gates):
    stop = threading.Event()

    def dripping(request):  # a byte every 0.1 s: each read is quick, the page never ends
        request.send_response(200)
        request.send_header("Content-Type", HTML)
        request.end_headers()
        request.close_connection = True
        try:
            for _ in range(300):
                if stop.wait(0.1):
                    return
                request.wfile.write(b" ")
        except OSError:
            pass

    server.routes["/slow"] = dripping
    [item] = poll_full_text(db, server, client, polite, story(server, "/slow", "s1"))
    started = time.monotonic()
    try:
        run(db, client, polite, gates)
    finally:
        stop.set()
    assert time.monotonic() - started < polite.total_timeout + 2
    assert article_state(db, item)["article_status"] == "timeout"


def test_robots_txt_is_obeyed_and_read_once(db, server, client, polite, gates):
    server.routes["/robots.txt"] = Response(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.routes["/news/a"] = Response(ARTICLE, content_type=HTML)
    server.routes["/private/a"] = Response(ARTICLE, content_type=HTML)
    ids = poll_full_text(db, server, client, polite, story(server, "/private/a", "x1"),
                         story(server, "/news/a", "n1"), story(server, "/private/b", "x2"))
    run(db, client, polite, gates)
    assert [article_state(db, i)["article_status"] for i in ids] == ["robots.txt disallows", "ok",
                                                                     "robots.txt disallows"]
    assert server.hits.get("/private/a") is None  # never asked for
    assert server.hits["/robots.txt"] == 1


def test_a_429_with_retry_after_rests_the_host_and_the_item_is_retried(db, server, client, polite, gates):
    answers = iter([Response(b"slow down", 429, "text/plain", headers={"Retry-After": "1"})])

    def busy_then_fine(request):
        request._send(next(answers, Response(ARTICLE, content_type=HTML)))

    server.routes["/a"] = busy_then_fine
    server.routes["/b"] = Response(ARTICLE, content_type=HTML)
    first, second = poll_full_text(db, server, client, polite, story(server, "/a", "a1"), story(server, "/b", "b1"))
    done = run(db, client, polite, gates)
    assert (done.fetched, done.failed, done.deferred) == (0, 0, 2)  # the host waits: /b is not asked either
    assert [article_state(db, i)["article_status"] for i in (first, second)] == ["pending", "pending"]
    assert server.hits.get("/b") is None
    run(db, client, polite, gates)  # still within its Retry-After: nothing sent
    assert server.hits["/a"] == 1
    time.sleep(1.1)
    done = run(db, client, polite, gates)
    assert done.fetched == 2 and article_state(db, first)["article_status"] == "ok"
    assert server.hits["/a"] == 2


def test_a_host_that_keeps_answering_503_is_given_up_on(db, server, client, polite, gates):
    server.routes["/a"] = Response(b"down", 503, "text/plain", headers={"Retry-After": "0"})
    [item] = poll_full_text(db, server, client, polite, story(server, "/a", "a1"))
    for _ in range(MAX_ATTEMPTS + 2):
        run(db, client, polite, gates)
    assert article_state(db, item)["article_status"] == f"HTTP 503 (gave up after {MAX_ATTEMPTS} tries)"
    assert server.hits["/a"] == MAX_ATTEMPTS


def test_two_items_on_one_host_are_fetched_one_at_a_time(db, server, client, polite, gates):
    delay = 0.3
    slow = dataclasses.replace(polite, article_host_delay=delay)
    lock, running, spans = threading.Lock(), [0], []

    def page(request):
        with lock:
            running[0] += 1
            overlap = running[0]
        start = time.monotonic()
        time.sleep(0.2)
        with lock:
            running[0] -= 1
            spans.append((start, time.monotonic(), overlap))
        request._send(Response(ARTICLE, content_type=HTML))

    server.routes["/a"] = server.routes["/b"] = page
    poll_full_text(db, server, client, slow, story(server, "/a", "a1"), story(server, "/b", "b1"))
    done = run(db, client, slow, gates)
    assert done.fetched == 2
    spans.sort()
    assert [overlap for *_, overlap in spans] == [1, 1]
    assert spans[1][0] - spans[0][1] >= delay - 0.05  # the least delay between the two


def test_a_page_of_a_slack_feed_is_kept_from_private_addresses(db, server, client, polite, gates):
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    server.routes["/slack.xml"] = Response(rss(story(server, "/a", "s1")))
    save_slack_feed(db, feed_id="slack", url=server.url("/slack.xml"), interval_seconds=600, channel=None,
                    title=None, added_by="U1", full_text=True)
    feed = active_feeds(db)[0]
    assert feed.full_text
    open_settings = dataclasses.replace(polite, allow_private_feed_urls=True)  # the feed itself, for the test
    [item] = poll_feed(db, client, feed, settings=open_settings, now=NOW, force=True).new_ids
    run(db, client, polite, gates)
    assert article_state(db, item)["article_status"].startswith("refused")
    assert server.hits.get("/a") is None


def test_poll_once_fetches_the_pages_before_it_exits(settings, capsys):
    with LocalServer() as local:
        local.routes["/a"] = Response(ARTICLE, content_type=HTML)
        local.routes["/feed.xml"] = Response(rss(story(local, "/a", "a1")))
        settings.feeds_path.write_text(f"feeds:\n  - id: wire\n    url: {local.url('/feed.xml')}\n"
                                       f"    interval: 10m\n    full_text: true\n")
        assert cmd_poll(SimpleNamespace(feed=None), settings) == 0
    assert "article pages: 1 read, 0 failed" in capsys.readouterr().out
    from db import open_database

    database = open_database(settings.db_path)
    try:
        [row] = database.query("select article_status, processed_at from items")
        assert row["article_status"] == "ok" and row["processed_at"]
    finally:
        database.close()


def test_full_text_in_feeds_yaml():
    text = ("defaults:\n  full_text: true\nfeeds:\n  - id: a\n    url: https://a.example/rss\n"
            "  - id: b\n    url: https://b.example/rss\n    full_text: false\n")
    a, b = parse_feeds_yaml(text)
    assert (a.full_text, b.full_text) == (True, False)
    assert [f.full_text for f in parse_feeds_yaml(dump_feeds_yaml([a, b]))] == [True, False]
    with pytest.raises(FeedsFileError, match="bad full_text value 'sometimes'"):
        parse_feeds_yaml("feeds:\n  - id: a\n    url: https://a.example/rss\n    full_text: sometimes\n")


def test_feeds_add_full_in_slack_makes_a_full_text_feed(db, server, polite, gates):
    from bot.ingest.feed_admin import list_feeds_text, parse_add_args, run_feeds_command

    assert parse_add_args("https://x.example/rss every 5m full")["full_text"] is True
    assert parse_add_args("https://x.example/rss")["full_text"] is False
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    server.routes["/slack.xml"] = Response(rss(story(server, "/a", "s1")))
    allowed = dataclasses.replace(polite, allow_private_feed_urls=True)
    done, reply = run_feeds_command(db, f"/feeds add {server.url('/slack.xml')} full", user="U1", settings=allowed)
    assert done, reply
    [feed] = active_feeds(db)
    assert feed.full_text
    with make_client(allowed) as http:
        [item] = poll_feed(db, http, feed, settings=allowed, now=NOW, force=True).new_ids
        run(db, http, allowed, gates)
    assert article_state(db, item)["article_status"] == "ok"
    assert "article pages: 1 fetched, 0 failed" in list_feeds_text(db)
