"""One alert per story on a full_text feed: an item waits for its page (read or failed) or for the grace
period, so a story never alerts with its summary's figure and then again with its article's. Pages are
served on 127.0.0.1; the clock is injected (`now=`), nobody sleeps for the grace period."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from bot.incidents.processing import IncidentProcessor
from bot.ingest.articles import fetch_pending_articles
from bot.ingest.page_text import main_text
from bot.ingest.pipeline import poll_feed
from bot.ingest.politeness import Politeness
from bot.models import FeedConfig, Incident
from db.articles import article_state
from db.feeds import active_feeds, sync_file_feeds
from db.incidents import insert_incident
from tests.conftest import rss
from tests.ingest.test_article_text import ARTICLE, HTML, story
from bot.demo.localserver import Response

NOW = datetime(2024, 9, 17, 12, 0, tzinfo=timezone.utc)  # the poll's clock: when the item was seen
GRACE = 120.0
SUMMARY = "At least 5 killed in Mopti."  # the article (ARTICLE) says 12

@pytest.fixture
def polite(settings):
    return dataclasses.replace(settings, article_host_delay=0.0, total_timeout=1.5, read_timeout=1.0)

@pytest.fixture
def desk(db, server, client, polite):
    """A tracked incident and a full_text feed already polled once (its items are news, not backlog)."""
    insert_incident(db, Incident(slug="mopti", name="Mopti attack", since=date(2024, 9, 1), keywords=("Mopti",),
                                 places=("Mopti",)))
    feed = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600, full_text=True)
    sync_file_feeds(db, [feed])
    server.routes["/wire.xml"] = Response(rss())
    assert poll_feed(db, client, active_feeds(db)[0], settings=polite, now=NOW - timedelta(hours=1),
                     force=True).outcome != "error"
    return IncidentProcessor(db, article_grace=GRACE)

def poll_item(db, server, client, settings, path: str) -> int:
    server.routes["/wire.xml"] = Response(rss(story(server, path, "a1", SUMMARY)))
    result = poll_feed(db, client, active_feeds(db)[0], settings=settings, now=NOW, force=True)
    assert result.outcome == "new", result.error
    [item] = result.new_ids
    return item

def fetch_pages(db, client, settings):
    return fetch_pending_articles(db, client, settings, limit=10, deadline=time.monotonic() + 10,
                                  politeness=Politeness())

def alerts(db) -> list[tuple[str, str]]:
    return [(row["kind"], json.loads(row["payload"])["text"])
            for row in db.query("select kind, payload from outbox order by id")]

def test_the_page_read_in_time_gives_one_story_alert_with_the_articles_figure(db, server, client, polite, desk):
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    item = poll_item(db, server, client, polite, "/a")
    # Right after the poll (as the worker does): the page is pending, the item waits.
    assert desk.process_pending(now=NOW + timedelta(seconds=1)).items == 0
    assert alerts(db) == []
    assert fetch_pages(db, client, polite).fetched == 1
    outcome = desk.process_pending(now=NOW + timedelta(seconds=15))
    assert outcome.items == 1 and outcome.remaining == 0
    sent = alerts(db)
    assert [kind for kind, _ in sent].count("story") == 1, sent
    tolls = [text for kind, text in sent if kind == "toll_change"]
    assert len(tolls) == 1 and "12" in tolls[0] and "5" not in tolls[0].replace("12", ""), sent
    assert desk.process_pending(now=NOW + timedelta(hours=1)).items == 0  # once

def test_a_page_that_never_comes_alerts_once_after_the_grace_with_the_summarys_figure(db, server, client, polite,
                                                                                     desk):
    server.routes["/a"] = Response(b"down", 503, "text/plain", headers={"Retry-After": "3600"})
    item = poll_item(db, server, client, polite, "/a")
    assert fetch_pages(db, client, polite).deferred == 1  # the host asked us to wait: still pending
    assert article_state(db, item)["article_status"] == "pending"
    assert desk.process_pending(now=NOW + timedelta(seconds=GRACE - 1)).items == 0
    assert alerts(db) == []
    assert desk.process_pending(now=NOW + timedelta(seconds=GRACE + 1)).items == 1
    sent = alerts(db)
    assert [kind for kind, _ in sent] == ["story", "toll_change"], sent
    assert "5" in sent[1][1] and "12" not in sent[1][1]

    # The page comes after all: processed again, no second story alert; the new toll is news.
    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    assert fetch_pending_articles(db, client, polite, limit=10, deadline=time.monotonic() + 10,
                                  politeness=Politeness()).fetched == 1
    assert desk.process_pending(now=NOW + timedelta(seconds=GRACE + 30)).items == 1
    later = alerts(db)[len(sent):]
    assert [kind for kind, _ in later] == ["toll_change"] and "12" in later[0][1], later

def test_a_page_that_failed_does_not_wait_for_the_grace(db, server, client, polite, desk):
    item = poll_item(db, server, client, polite, "/gone")  # 404
    assert fetch_pages(db, client, polite).failed == 1
    assert article_state(db, item)["article_status"] == "HTTP 404"
    assert desk.process_pending(now=NOW + timedelta(seconds=2)).items == 1
    sent = alerts(db)
    assert [kind for kind, _ in sent] == ["story", "toll_change"] and "5" in sent[1][1], sent

def test_a_feed_without_full_text_is_processed_at_once(db, server, client, polite, desk):
    sync_file_feeds(db, [FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600)])
    poll_item(db, server, client, polite, "/a")
    assert desk.process_pending(now=NOW + timedelta(seconds=1)).items == 1

def test_the_ingest_worker_reads_pages_as_this_process_would(settings):
    from bot.ingest.worker import IngestWorker
    from db import open_database

    open_database(settings.db_path).close()  # migrated, as the bot does before starting the worker
    worker = IngestWorker(settings.db_path, article_grace=GRACE)
    try:
        expected = main_text(ARTICLE, url="http://127.0.0.1/a", title="Attack in Mopti")
        assert expected and "killing 12 civilians" in expected
        assert worker.read_page(ARTICLE, url="http://127.0.0.1/a", title="Attack in Mopti") == expected
        assert worker.read_page(b"<html><body><p>Subscribe.</p></body></html>", url=None, title=None) is None
    finally:
        worker.close()


def test_the_running_bot_alerts_a_full_text_story_once_with_the_articles_figure(settings, server):
    """`run` in console mode: the poll's own processing leaves the item waiting; the page is fetched (its
    text read in the ingest worker) and the backlog step processes it once, from the article."""
    import threading
    from email.utils import format_datetime

    from bot.config import SlackSettings
    from bot.service import run
    from db import open_database

    server.routes["/a"] = Response(ARTICLE, content_type=HTML)
    feed_id = "wire4"  # polled within 1 s of start (bot/ingest/scheduler.py phase_seconds)
    settings.feeds_path.write_text(f"feeds:\n  - id: {feed_id}\n    url: {server.url('/wire.xml')}\n"
                                   "    interval: 10m\n    full_text: true\n")
    db = open_database(settings.db_path)
    insert_incident(db, Incident(slug="mopti", name="Mopti attack", since=date(2024, 9, 1), keywords=("Mopti",),
                                 places=("Mopti",)))
    published = datetime.now(timezone.utc) + timedelta(seconds=2)  # after the incident was tracked: news
    server.routes["/wire.xml"] = Response(rss({**story(server, "/a", "a1", SUMMARY),
                                               "pubDate": format_datetime(published, usegmt=True)}))
    stop = threading.Event()
    bot = threading.Thread(target=run, args=(db, settings, SlackSettings()), daemon=True,
                           kwargs={"stop": stop, "console": lambda result, ids: None})
    bot.start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not any(kind == "toll_change" for kind, _ in alerts(db)):
            time.sleep(0.5)
        time.sleep(6)  # a further backlog step: nothing more comes
    finally:
        stop.set()
        bot.join(timeout=60)
    sent = alerts(db)
    db.close()
    assert [kind for kind, _ in sent] == ["story", "toll_change"], sent
    assert "12" in sent[1][1] and "5" not in sent[1][1].replace("12", ""), sent
