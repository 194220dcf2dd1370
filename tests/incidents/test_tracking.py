"""Tracking forgives: dates as editors write them, the name as a keyword, no duplicate, nothing unreachable."""

from __future__ import annotations

from datetime import date

import pytest

from bot.demo.localserver import Response
from bot.incidents.desk import Desk
from bot.ingest.pipeline import poll_feed
from bot.models import FeedConfig
from tests.conftest import rss

TODAY = date(2024, 9, 20)
STORIES = [
    {"title": "Attack in Bamako", "guid": "b1", "pubDate": "Tue, 17 Sep 2024 09:00:00 GMT",
     "description": "Gunmen attacked a gendarmerie school in Bamako, officials said; 77 people were killed."},
    {"title": "Bamako mourns", "guid": "b2", "pubDate": "Wed, 18 Sep 2024 09:00:00 GMT",
     "description": "Bamako buried its dead on Wednesday after the attack."},
    {"title": "Old Bamako story", "guid": "b0", "pubDate": "Mon, 01 Jul 2024 09:00:00 GMT",
     "description": "An attack in Bamako in July."},
]


@pytest.fixture
def stored(db, client, settings, server):
    """The stories stored by a poll and not processed yet (a big first poll, tracked at once)."""
    feed = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600)
    db["feeds"].insert({"id": "wire", "url": feed.url, "interval_seconds": 600})
    server.routes["/wire.xml"] = Response(rss(*STORIES))
    poll_feed(db, client, feed, settings=settings)
    return db


def test_track_without_since_starts_at_the_earliest_matching_story_of_the_last_week_and_says_so(stored):
    reply = Desk(stored).ask("/incident track Bamako attacks keywords: bamako", user="U0EDITOR1", today=TODAY)
    assert reply.ok and "since 2024-09-17" in reply.text and "earliest matching story" in reply.text
    assert "2 stored item(s) matched" in reply.text  # stored, not yet processed: still found; July is out


def test_since_is_read_as_editors_write_it(stored):
    reply = Desk(stored).ask("/incident track Bamako attacks keywords: bamako since: 17 September 2024",
                             today=TODAY)
    assert reply.ok and "since 2024-09-17" in reply.text
    french = Desk(stored).ask("/incident track Attaque de Bamako keywords: bamako since: 17 septembre 2024",
                              today=TODAY)
    assert french.ok and "since 2024-09-17" in french.text
    bad = Desk(stored).ask("/incident track Bamako keywords: bamako since: soonish", today=TODAY)
    assert not bad.ok and "17 September 2024" in bad.text


def test_the_name_alone_is_a_fine_keyword(stored):
    reply = Desk(stored).ask("/incident track Bamako attacks since: 2024-09-17", today=TODAY)
    assert reply.ok and "2 stored item(s) matched" in reply.text


def test_the_same_track_twice_answers_with_the_incident_already_tracked(stored):
    desk = Desk(stored)
    first = desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17", today=TODAY)
    again = desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17", today=TODAY)
    assert "Already tracking" in again.text and again.incident == first.incident
    assert stored.execute("select count(*) from incidents").fetchone()[0] == 1
    assert desk.ask("/incident bamako toll").ok  # "bamako" stays unambiguous


def test_untrack_is_for_its_editor_or_an_admin_and_the_ledger_stays_reachable(stored):
    desk = Desk(stored, admins=frozenset({"U0ADMIN01"}))
    slug = desk.ask("/incident track Bamako attacks keywords: bamako since: 2024-09-17", user="U0EDITOR1",
                    today=TODAY).incident
    refused = desk.ask(f"/incident untrack {slug}", user="U0OTHER01")
    assert not refused.ok and stored.execute("select removed_at from incidents").fetchone()[0] is None
    assert desk.ask(f"/incident untrack {slug}", user="U0ADMIN01").ok
    assert "(untracked)" in desk.ask("/incident list --all").text
    assert "77" in desk.ask(f"/incident {slug} toll").text  # its ledger, by slug
    actions = [(r["actor"], r["action"]) for r in stored.query("select actor, action from audit_log order by id")]
    assert actions == [("U0EDITOR1", "incident_track"), ("U0ADMIN01", "incident_untrack")]


def test_a_new_feeds_backlog_is_recorded_but_a_story_published_after_tracking_is_posted(db, client, settings,
                                                                                        server):
    from datetime import datetime, timedelta, timezone

    Desk(db).ask("/incident track Bamako attacks keywords: bamako since: 2024-09-01", today=TODAY)
    soon = datetime.now(timezone.utc) + timedelta(hours=1)
    fresh = {"title": "Bamako: new attack", "guid": "n1", "pubDate": soon.strftime("%a, %d %b %Y %H:%M:%S GMT"),
             "description": "Gunmen attacked Bamako again."}
    feed = FeedConfig(id="new", url=server.url("/new.xml"), interval_seconds=600)
    db["feeds"].insert({"id": "new", "url": feed.url, "interval_seconds": 600})
    server.routes["/new.xml"] = Response(rss(STORIES[0], fresh))  # the feed's first poll: its backlog
    poll_feed(db, client, feed, settings=settings, now=soon)
    Desk(db).processor.process_pending()
    statuses = {r["payload"].split('"title": "')[1].split('"')[0]: r["status"]
                for r in db.query("select payload, status from outbox where kind = 'story'")}
    assert statuses == {"Attack in Bamako": "recorded", "Bamako: new attack": "pending"}
