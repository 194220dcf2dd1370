"""Polling stores every new item exactly once, keeps revisions, and folds one story seen twice."""

from datetime import datetime, timezone

from bot.localserver import Response
from bot.models import FeedConfig
from bot.pipeline import poll_feed
from tests.conftest import rss


def feed(server, feed_id="wire", path=None):
    return FeedConfig(id=feed_id, url=server.url(path or f"/{feed_id}.xml"), interval_seconds=600)


def register(db, *feeds):
    for f in feeds:
        db["feeds"].insert({"id": f.id, "url": f.url, "interval_seconds": f.interval_seconds,
                            "created_at": "2024-01-01T00:00:00Z"})


def items(db, **where):
    clause = " and ".join(f"{k} = ?" for k in where) or "1"
    return list(db.query(f"select * from items where {clause} order by id", list(where.values())))


STORY = {"title": "Attack in Bamako", "link": "https://news.example/bamako?utm_source=rss&id=7",
         "guid": "bamako-1", "pubDate": "Tue, 17 Sep 2024 09:30:00 +0200", "description": "More than 70 killed."}


def test_new_items_are_stored_once_and_a_second_poll_stores_nothing(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, {**STORY, "guid": "b-2", "title": "Second", "link": "https://x/2"}))
    first = poll_feed(db, client, wire, settings=settings)
    second = poll_feed(db, client, wire, settings=settings)
    assert (first.outcome, len(first.new_ids)) == ("new", 2)
    assert second.outcome == "not_modified" and second.new_ids == []
    assert len(items(db)) == 2


def test_identical_body_without_etag_is_not_parsed_again(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY), etag=False)
    poll_feed(db, client, wire, settings=settings)
    again = poll_feed(db, client, wire, settings=settings)
    assert again.outcome == "unchanged"


def test_item_fields_are_normalised(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss({**STORY, "description": "<p>More than <b>70</b> killed &amp; 200 hurt.</p>"}))
    poll_feed(db, client, wire, settings=settings)
    (row,) = items(db)
    assert row["link"] == "https://news.example/bamako?id=7"  # tracking parameter stripped
    assert row["published"] == "2024-09-17T07:30:00Z"  # +0200 converted to UTC
    assert row["published_is_first_seen"] == 0
    assert row["summary"] == "More than 70 killed & 200 hurt."
    assert row["guid"].endswith("bamako-1")  # a relative permalink guid is resolved against the feed URL


def test_an_entry_without_date_gets_its_first_seen_time_marked_as_such(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    undated = {k: v for k, v in STORY.items() if k != "pubDate"}
    server.routes["/wire.xml"] = Response(rss(undated))
    now = datetime(2024, 9, 18, 12, 0, tzinfo=timezone.utc)
    poll_feed(db, client, wire, settings=settings, now=now)
    (row,) = items(db)
    assert (row["published"], row["published_is_first_seen"]) == ("2024-09-18T12:00:00Z", 1)


def test_an_entry_without_guid_falls_back_to_its_link_then_its_content(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    no_guid = {k: v for k, v in STORY.items() if k != "guid"}
    bare = {"title": "Only a title", "description": "and text"}
    server.routes["/wire.xml"] = Response(rss(no_guid, bare))
    poll_feed(db, client, wire, settings=settings)
    guids = sorted(row["guid"] for row in items(db))
    assert guids[0] == "https://news.example/bamako?id=7"
    assert guids[1].startswith("sha1:")
    server.routes["/wire.xml"] = Response(rss(no_guid, bare, title="Same entries, new feed title"))
    assert poll_feed(db, client, wire, settings=settings).new_ids == []


def test_revised_article_is_kept_as_a_revision_and_flagged_updated(db, client, settings, server):
    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY))
    poll_feed(db, client, wire, settings=settings)
    server.routes["/wire.xml"] = Response(rss({**STORY, "description": "The official toll rose to 77 killed."}))
    result = poll_feed(db, client, wire, settings=settings)
    (row,) = items(db)
    assert result.updated_ids == [row["id"]] and result.new_ids == []
    assert (row["updated"], row["revision"], row["summary"]) == (1, 2, "The official toll rose to 77 killed.")
    (old,) = db.query("select * from item_revisions where item_id = ?", [row["id"]])
    assert (old["revision"], old["summary"]) == (1, "More than 70 killed.")


def test_the_same_story_through_two_feeds_is_one_story_seen_twice(db, client, settings, server):
    wire, mirror = feed(server, "wire"), feed(server, "mirror")
    register(db, wire, mirror)
    server.routes["/wire.xml"] = Response(rss(STORY))
    server.routes["/mirror.xml"] = Response(rss({**STORY, "guid": "mirror-77",
                                                 "link": "https://news.example/bamako?id=7&utm_medium=x"}))
    poll_feed(db, client, wire, settings=settings)
    poll_feed(db, client, mirror, settings=settings)
    rows = items(db)
    assert len(rows) == 2 and rows[0]["story_id"] == rows[1]["story_id"]
    assert db["stories"].count == 1


def test_same_text_under_different_links_is_still_one_story(db, client, settings, server):
    wire, mirror = feed(server, "wire"), feed(server, "mirror")
    register(db, wire, mirror)
    server.routes["/wire.xml"] = Response(rss(STORY))
    server.routes["/mirror.xml"] = Response(rss({**STORY, "guid": "m1", "link": "https://other.example/copy"}))
    poll_feed(db, client, wire, settings=settings)
    poll_feed(db, client, mirror, settings=settings)
    assert db["stories"].count == 1


def test_full_text_search_finds_items_by_words_in_their_text(db, client, settings, server):
    from db.items import search_items

    wire = feed(server)
    register(db, wire)
    server.routes["/wire.xml"] = Response(rss(STORY, {"title": "Passports", "guid": "p", "description": "New rules"}))
    poll_feed(db, client, wire, settings=settings)
    assert [r["title"] for r in search_items(db, text="killed")] == ["Attack in Bamako"]
    assert search_items(db, text='unbalanced " quote AND') == []  # a person's typing is never a syntax error


def test_a_url_answering_html_is_a_feed_error_with_a_reason_and_no_items(db, client, settings, server):
    page = feed(server, "page")
    register(db, page)
    server.routes["/page.xml"] = Response(b"<!doctype html><html><body>Welcome</body></html>", content_type="text/html")
    result = poll_feed(db, client, page, settings=settings)
    assert result.outcome == "error" and "HTML page" in result.error
    assert items(db) == []
    row = db["feeds"].get("page")
    assert row["consecutive_failures"] == 1 and "HTML page" in row["last_error"]
