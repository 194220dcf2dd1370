"""One bad item never stops the others: broken dates are treated as missing, a crash sets one item aside."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.demo.localserver import Response
from bot.incidents.desk import Desk
from bot.ingest.pipeline import poll_feed
from bot.models import FeedConfig
from tests.conftest import rss

BAMAKO = {"title": "Bamako attack", "guid": "b1", "pubDate": "Wed, 18 Sep 2024 10:00:00 GMT",
          "description": "Officials said 77 people were killed in the attack in Bamako."}


def wire(db, server) -> FeedConfig:
    feed = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600)
    db["feeds"].insert({"id": "wire", "url": feed.url, "interval_seconds": 600})
    return feed


def test_a_pubdate_of_year_0001_is_first_seen_and_a_bamako_story_beside_it_still_matches(db, client, settings,
                                                                                          server):
    desk = Desk(db)
    desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17")
    feed = wire(db, server)
    server.routes["/wire.xml"] = Response(rss())
    poll_feed(db, client, feed, settings=settings)  # the backlog
    broken = {"title": "Old news", "guid": "z1", "pubDate": "Mon, 01 Jan 0001 00:00:00 GMT", "description": "x"}
    future = {"title": "Tomorrow's news", "guid": "z2", "pubDate": "Fri, 01 Jan 2100 00:00:00 GMT", "description": "y"}
    server.routes["/wire.xml"] = Response(rss(broken, future, BAMAKO))
    now = datetime(2024, 9, 18, 12, tzinfo=timezone.utc)
    poll_feed(db, client, feed, settings=settings, now=now, force=True)
    rows = {r["guid"]: r for r in db.query("select guid, published, published_is_first_seen from items")}
    assert (rows["z1"]["published"], rows["z1"]["published_is_first_seen"]) == ("2024-09-18T12:00:00Z", 1)
    assert rows["z2"]["published_is_first_seen"] == 1
    outcome = desk.processor.process_pending()
    assert outcome.items == 3 and outcome.set_aside == 0
    assert [r["item_id"] for r in db.query("select item_id from matches")] == [
        next(r["id"] for r in db.query("select id from items where guid = 'b1'"))]


def test_an_item_whose_processing_crashes_is_set_aside_with_its_error_and_the_rest_go_on(db, client, settings,
                                                                                         server, monkeypatch):
    desk = Desk(db)
    desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17")
    feed = wire(db, server)
    server.routes["/wire.xml"] = Response(rss())
    poll_feed(db, client, feed, settings=settings)
    poison = {**BAMAKO, "guid": "p1", "title": "Bamako poison", "pubDate": "Wed, 18 Sep 2024 09:00:00 GMT"}
    server.routes["/wire.xml"] = Response(rss(poison, BAMAKO))
    poll_feed(db, client, feed, settings=settings, force=True)
    real = desk.processor.extract

    def extract(text, lang):
        if "poison" in text:
            raise ValueError("a figure the extractor cannot read")
        return real(text, lang)

    monkeypatch.setattr(desk.processor, "extract", extract)
    outcome = desk.processor.process_pending()
    assert outcome.set_aside == 1 and outcome.items == 2
    rows = {r["guid"]: r for r in db.query("select guid, processed_at, process_error from items")}
    assert "ValueError" in rows["p1"]["process_error"] and rows["p1"]["processed_at"]
    assert rows["b1"]["process_error"] is None
    assert db.execute("select count(*) from matches").fetchone()[0] == 1  # the good one matched
    assert desk.processor.process_pending().items == 0  # set aside: not retried forever
