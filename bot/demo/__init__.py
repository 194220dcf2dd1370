"""The embedded default: the founding articles served as feeds from 127.0.0.1."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import yaml

from bot.config import Settings, load_settings
from bot.demo.localserver import LocalServer, Response

__all__ = ["DEMO_STEPS", "seed_feeds_yaml", "seed_routes", "seed_manifest", "demo_settings", "LocalServer", "Response"]

HERE = Path(__file__).resolve().parent
ARTICLES = HERE / "articles"


def seed_manifest() -> list[dict]:
    return yaml.safe_load((HERE / "seeds.yaml").read_text(encoding="utf-8"))["feeds"]


def article_text(filename: str) -> str:
    return (ARTICLES / filename).read_text(encoding="utf-8")


def rss_document(*, title: str, site: str, articles: list[dict]) -> bytes:
    """An RSS 2.0 document carrying whole articles (content:encoded), newest first."""
    items = []
    for article in sorted(articles, key=lambda a: a["published"], reverse=True):
        text = article_text(article["file"])
        paragraphs = "".join(f"<p>{escape(p.strip())}</p>" for p in text.split("\n") if p.strip())
        first = next(p for p in text.split("\n") if len(p.strip()) > 80)
        published = published_at(article)
        link = f"{site}/articles/{Path(article['file']).stem}.html?utm_source=rss"
        items.append(
            "<item>"
            f"<title>{escape(article['title'])}</title>"
            f"<link>{escape(link)}</link>"
            f"<guid isPermaLink=\"false\">{escape(Path(article['file']).stem)}</guid>"
            f"<pubDate>{format_datetime(published, usegmt=True)}</pubDate>"
            f"<description>{escape(first.strip())}</description>"
            f"<content:encoded>{escape(paragraphs)}</content:encoded>"
            "</item>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
            f"<title>{escape(title)}</title><link>{escape(site)}</link><language>en</language>"
            f"<description>{escape(title)} (Incident Desk demo feed)</description>"
            + "".join(items) + "</channel></rss>").encode("utf-8")


def published_at(article: dict) -> datetime:
    value = article["published"]
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def seed_routes(as_of: datetime | None = None) -> dict[str, Response]:
    """path → RSS response for each demo feed, with only the articles published by `as_of`."""
    routes = {}
    for feed in seed_manifest():
        site = f"https://{feed['id']}.example"
        articles = [a for a in feed["articles"] if as_of is None or published_at(a) <= as_of]
        routes[f"/feeds/{feed['id']}.xml"] = Response(rss_document(title=feed["title"], site=site, articles=articles))
    return routes


# The demo's clock: a first poll on the day of the attacks, then the days coverage moved.
DEMO_STEPS = ("2024-09-17T12:00:00+00:00", "2024-09-18T12:00:00+00:00", "2024-09-19T18:00:00+00:00",
              "2024-09-20T18:00:00+00:00", "2024-09-24T12:00:00+00:00")


def seed_feeds_yaml(base_url: str) -> str:
    """A feeds.yaml pointing at the demo server."""
    lines = ["feeds:"]
    for feed in seed_manifest():
        lines += [f"  - id: {feed['id']}", f"    url: {base_url}/feeds/{feed['id']}.xml", "    interval: 1m"]
    return "\n".join(lines) + "\n"


def demo_settings(*, db: str, feeds: str) -> Settings:
    """The environment's settings, but the demo's one local server stands in for several publishers:
    no per-host limit or gap between their polls (Settings.per_host, host_gap)."""
    return dataclasses.replace(load_settings(db=db, feeds=feeds), per_host=1_000, host_gap=0.0)
