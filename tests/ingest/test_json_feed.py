"""A JSON Feed is polled like any other feed: the same items, guids, links, text, dates, exactly once."""

from __future__ import annotations

import json

import pytest

from bot.demo.localserver import Response
from bot.ingest.feed_admin import test_feed as check_feed
from bot.ingest.pipeline import poll_feed
from bot.models import FeedConfig
from tests.conftest import SHARED_CORPUS

FEED = {
    "version": "https://jsonfeed.org/version/1.1", "title": "Sahel Wire (JSON)", "language": "en",
    "items": [
        {"id": "w1", "url": "https://wire.example/bamako?utm_source=json", "title": "Attack in Bamako",
         "content_html": "<p>Officials said <b>77</b> people were killed.</p>", "date_published": "2024-09-19T15:00:00Z"},
        {"id": "w2", "url": "https://wire.example/mopti", "title": "Mopti", "content_text": "Calm in Mopti.",
         "date_published": "2024-09-18T10:00:00+02:00", "date_modified": "2024-09-18T12:00:00+02:00"},
        {"url": "https://wire.example/no-id", "title": "No id", "summary": "An item without an id."},
    ],
}


def served(db, server, body: bytes, content_type="application/feed+json") -> FeedConfig:
    feed = FeedConfig(id="json", url=server.url("/feed.json"), interval_seconds=600)
    db["feeds"].insert({"id": "json", "url": feed.url, "interval_seconds": 600})
    server.routes["/feed.json"] = Response(body, content_type=content_type)
    return feed


def test_a_json_feed_is_stored_like_rss(db, client, settings, server):
    feed = served(db, server, json.dumps(FEED).encode())
    result = poll_feed(db, client, feed, settings=settings)
    assert result.outcome == "new" and len(result.new_ids) == 3
    rows = {r["guid"]: r for r in db.query("select * from items order by id")}
    assert rows["w1"]["link"] == "https://wire.example/bamako"  # tracking parameter stripped
    assert "77 people were killed" in rows["w1"]["content"] and "<b>" not in rows["w1"]["content"]
    assert rows["w1"]["published"] == "2024-09-19T15:00:00Z" and rows["w1"]["lang"] == "en"
    assert rows["w2"]["published"] == "2024-09-18T08:00:00Z"  # UTC
    assert rows["https://wire.example/no-id"]["summary"] == "An item without an id."
    again = poll_feed(db, client, feed, settings=settings, force=True)
    assert again.new_ids == [] and db.execute("select count(*) from items").fetchone()[0] == 3


def test_feeds_add_accepts_a_json_feed_and_refuses_json_that_is_not_one(settings, server):
    import dataclasses

    settings = dataclasses.replace(settings, allow_private_feed_urls=True)  # the test server is on 127.0.0.1
    server.routes["/feed.json"] = Response(json.dumps(FEED).encode(), content_type="application/json")
    server.routes["/other.json"] = Response(b'{"verion": "1.0"}', content_type="application/json")
    assert check_feed(server.url("/feed.json"), settings=settings).ok
    refused = check_feed(server.url("/other.json"), settings=settings)
    assert not refused.ok and "not a JSON Feed" in refused.message


JSON_CASES = sorted((SHARED_CORPUS / "feeds-robustness").rglob("*.json")) if SHARED_CORPUS.exists() else []
FEED_CASES = [p for p in JSON_CASES if p.parent.name in ("json", "universal") and not p.stem.endswith("_expected")]


@pytest.mark.skipif(not FEED_CASES, reason="../shared/corpus/feeds-robustness is absent")
@pytest.mark.parametrize("path", FEED_CASES, ids=[p.name for p in FEED_CASES])
def test_the_corpus_json_feeds_parse_or_are_refused_with_a_reason(path):
    from datetime import datetime, timezone

    from bot.ingest.parse import NotAFeed, parse_feed

    expected = path.with_name(path.stem + "_expected.json")
    try:
        parsed = parse_feed(path.read_bytes(), feed_id="t", now=datetime(2024, 1, 1, tzinfo=timezone.utc))
    except NotAFeed as exc:
        assert "invalid" in path.stem, f"{path.name}: {exc}"
        return
    assert "invalid" not in path.stem
    if expected.exists():
        want = json.loads(expected.read_text())
        assert [i.title for i in parsed.items] == [i.get("title", "") for i in want.get("items", [])]
        assert [i.link for i in parsed.items] == [i.get("url") or i.get("link") for i in want.get("items", [])]
