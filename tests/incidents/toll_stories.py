"""Runs a toll story (tests/fixtures/tolls/*.yaml) through the whole product: feeds served on
127.0.0.1 at each article's first-seen time, polled, processed, and the toll read back.

A story file:
  incident: the /incident track line
  articles: each with id, outlet, seen (when the feed first carried it), text (or text_file, a path
            from the repository root), and optionally
            title, published (defaults to seen), lang, copy_of (an id: same link, another outlet:
            a syndicated copy), revises (an id: the same entry re-served with new text)
  detach:   optional, ids an editor marks "Not this incident" (after the last article)
  expect:   lead ({metric: figure text or null}), latest ({metric: {source: figure text}}: every
            class there is, no more), parts / attackers / apart ({metric: [figure texts]}),
            absent ([figure texts found nowhere in the toll]), alerts ([one text fragment per alert,
            in order, every alert]), reply ([fragments of /incident … toll])
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import format_datetime
from xml.sax.saxutils import escape

from bot.demo.localserver import LocalServer, Response
from bot.incidents.desk import Desk
from bot.ingest.pipeline import poll_feed
from bot.models import FeedConfig
from db import open_database
from db.ledger import ledger_entries
from tests.conftest import REPO
from bot.incidents.toll import compute_toll


def moment(value) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def feed_id(outlet: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", outlet.lower()).strip("-") or "feed"


def feed_document(outlet: str, entries: list[dict]) -> bytes:
    items = "".join(
        f"<item><title>{escape(e['title'])}</title><link>{escape(e['link'])}</link>"
        f"<guid isPermaLink=\"false\">{escape(e['guid'])}</guid>"
        f"<pubDate>{format_datetime(moment(e['published']), usegmt=True)}</pubDate>"
        f"<description>{escape(e['text'])}</description></item>" for e in entries)
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(outlet)}</title>'
            f"<link>https://{feed_id(outlet)}.example/</link><description>t</description>{items}</channel></rss>"
            ).encode()


class StoryRun:
    """The product's reading of one story: the toll, the alerts in order, the toll reply."""

    def __init__(self, story: dict, db_path):
        self.story = story
        self.db = open_database(db_path)
        self.desk = Desk(self.db)

    def run(self) -> "StoryRun":
        articles = self.story["articles"]
        for a in articles:  # the founding articles ship with the demo: a story may name one as its text
            if "text_file" in a:
                a["text"] = (REPO / a["text_file"]).read_text(encoding="utf-8")
        by_id = {a["id"]: a for a in articles}
        first = min(moment(a["seen"]) for a in articles)
        with LocalServer() as server:
            outlets = list(dict.fromkeys(a["outlet"] for a in articles))
            feeds = {}
            for outlet in outlets:
                fid = feed_id(outlet)
                feeds[outlet] = FeedConfig(id=fid, url=server.url(f"/{fid}.xml"), interval_seconds=600)
                self.db["feeds"].insert({"id": fid, "url": feeds[outlet].url, "interval_seconds": 600})
                server.routes[f"/{fid}.xml"] = Response(feed_document(outlet, []))
            reply = self.desk.ask(self.story["incident"], today=first.date())
            assert reply.ok, reply.text
            self.slug = reply.incident
            with _client() as client:
                for outlet in outlets:  # a feed's first poll is its backlog: let it be empty
                    poll_feed(self.db, client, feeds[outlet], now=first.replace(year=first.year - 1), force=True,
                              settings=_settings())
                for when in sorted({moment(a["seen"]) for a in articles}):
                    for outlet in outlets:
                        server.routes[f"/{feed_id(outlet)}.xml"] = Response(
                            feed_document(outlet, self._entries(outlet, by_id, when)))
                        poll_feed(self.db, client, feeds[outlet], now=when, force=True, settings=_settings())
                    self.desk.processor.process_pending()
        (incident_id,) = [r["id"] for r in self.db.query("select id from incidents where slug = ?", [self.slug])]
        for article_id in self.story.get("detach") or []:
            guid = by_id[article_id].get("revises") or article_id
            (item,) = self.db.query("select id from items where guid = ?", [guid])
            self.desk.detach(incident_id, item["id"], user="U0EDITOR1")
        self.toll = compute_toll(ledger_entries(self.db, incident_id))
        self.alerts = [r["payload"] for r in self.db.query(
            "select payload from outbox where incident_id = ? order by id", [incident_id])]
        self.reply = self.desk.ask(f"/incident {self.slug} toll").text
        return self

    def _entries(self, outlet: str, by_id: dict, when: datetime) -> list[dict]:
        """What the outlet's feed carries at `when`: each entry in its latest revision seen by then."""
        entries: dict[str, dict] = {}
        for a in sorted(by_id.values(), key=lambda a: moment(a["seen"])):
            if a["outlet"] != outlet or moment(a["seen"]) > when:
                continue
            guid = a.get("revises") or a["id"]
            original = by_id[guid]
            source = by_id.get(original.get("copy_of")) or original
            entries[guid] = {"guid": guid, "title": a.get("title") or original.get("title") or a["text"][:80],
                             "text": a["text"], "published": original.get("published") or original["seen"],
                             "link": f"https://{feed_id(source['outlet'])}.example/{source['id']}"}
        return list(entries.values())

    def close(self) -> None:
        self.db.close()


def _client():
    from bot.ingest.fetch import make_client

    return make_client(_settings())


_SETTINGS = None


def _settings():
    global _SETTINGS
    if _SETTINGS is None:
        from bot.config import load_settings

        _SETTINGS = load_settings(db=":memory:", feeds="feeds.yaml", environ={})
    return _SETTINGS
