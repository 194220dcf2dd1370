"""Hostile feed text (issue 12, Feeds): a 9 MB description is not stored whole, and a revision past the cut
is still a revision."""

from __future__ import annotations

import dataclasses

from bot.demo.localserver import Response
from bot.ingest.pipeline import poll_feed
from bot.models import FeedConfig
from bot.text import AUTHOR_LIMIT, CONTENT_LIMIT, SUMMARY_LIMIT, TITLE_LIMIT, content_fingerprint
from tests.conftest import rss

NOTE = 150  # the note a cut field ends with: how long the feed's text was, and its whole text's fingerprint


def _feed(db, server, path="/huge.xml") -> FeedConfig:
    feed = FeedConfig(id="huge", url=server.url(path), interval_seconds=600)
    db["feeds"].insert({"id": "huge", "url": feed.url, "interval_seconds": 600})
    return feed


def _row(db, guid):
    return next(db.query("select id, title, summary, content, author, link, fingerprint, revision from items"
                         " where guid = ?", [guid]))


def test_a_9_mb_description_is_cut_to_20000_characters_and_a_change_past_the_cut_is_still_a_revision(
        db, client, settings, server):
    settings = dataclasses.replace(settings, max_body_bytes=12 * 1024 * 1024, total_timeout=60.0)
    feed = _feed(db, server)
    words = "Officials in Bamako said the toll rose again overnight. " * 168_500  # 9,436,000 characters
    item = {"title": "Bamako attack", "guid": "h1", "pubDate": "Wed, 18 Sep 2024 10:00:00 GMT", "description": words}
    server.routes["/huge.xml"] = Response(rss(item))
    assert poll_feed(db, client, feed, settings=settings).outcome == "new"
    first = _row(db, "h1")
    assert SUMMARY_LIMIT - 200 <= len(first["summary"]) <= SUMMARY_LIMIT + NOTE
    assert first["summary"].startswith("Officials in Bamako said the toll rose")
    assert "the feed sent 9,435,999 characters" in first["summary"]  # the reader is told it was cut (spaces trimmed)
    assert first["summary"].rsplit("\n\n", 1)[0].endswith("overnight.")  # cut between words, never inside one

    revised = {**item, "description": words + "Now 77 killed."}  # the change is 9 MB past the cut
    server.routes["/huge.xml"] = Response(rss(revised))
    result = poll_feed(db, client, feed, settings=settings, force=True)
    second = _row(db, "h1")
    assert result.outcome == "new" and result.updated_ids == [first["id"]]
    assert second["fingerprint"] != first["fingerprint"] and second["revision"] == 2
    assert len(second["summary"]) <= SUMMARY_LIMIT + NOTE

    respaced = {**item, "description": words + "Now  77   killed."}  # spacing only, past the cut: no revision
    server.routes["/huge.xml"] = Response(rss(respaced))
    assert poll_feed(db, client, feed, settings=settings, force=True).updated_ids == []


def test_every_stored_field_is_capped_title_content_author_and_link(db, client, settings, server):
    feed = _feed(db, server, "/atom.xml")
    body = ("<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>"
            + "Wire " * 2_000 + "</title><id>urn:wire</id><updated>2024-09-18T10:00:00Z</updated>"
            "<entry><id>urn:e1</id><updated>2024-09-18T10:00:00Z</updated>"
            f"<title>{'Bamako ' * 2_000}</title><author><name>{'Reporter ' * 500}</name></author>"
            f"<link href='https://news.example/{'a' * 9_000}'/>"
            f"<content type='text'>{'Seventy-seven killed in Bamako. ' * 30_000}</content></entry></feed>").encode()
    server.routes["/atom.xml"] = Response(body, content_type="application/atom+xml")
    assert poll_feed(db, client, feed, settings=settings).outcome == "new"
    row = _row(db, "urn:e1")
    assert len(row["title"]) <= TITLE_LIMIT + NOTE and row["title"].startswith("Bamako Bamako")
    assert CONTENT_LIMIT - 200 <= len(row["content"]) <= CONTENT_LIMIT + NOTE
    assert len(row["author"]) <= AUTHOR_LIMIT + NOTE
    assert row["link"] is None  # a 9,000-character link is no article link: dropped, not cut
    (outlet,) = {r["outlet"] for r in db.query("select outlet from items")}
    assert len(outlet) <= TITLE_LIMIT + NOTE


def test_a_short_item_is_stored_exactly_as_before(db, client, settings, server):
    feed = _feed(db, server, "/short.xml")
    server.routes["/short.xml"] = Response(rss({"title": "Bamako attack", "guid": "s1",
                                                "description": "Officials said 77 people were killed."}))
    poll_feed(db, client, feed, settings=settings)
    row = _row(db, "s1")
    assert (row["title"], row["summary"]) == ("Bamako attack", "Officials said 77 people were killed.")
    assert row["fingerprint"] == content_fingerprint(row["title"], row["summary"], row["content"])  # as before
