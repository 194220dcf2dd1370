"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read.

Its items are mapped onto the fields feedparser gives an entry (id, link, title, summary,
content, published_parsed, author, language), so parse.py builds Items from them exactly as it
does for RSS and Atom: the same guids, canonical links, plain text, dates and languages.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from bot.ingest.xml_guard import NotAFeed

MAX_ITEMS = 10_000  # a feed with more is a dump, not a feed; the first ones are kept


def looks_like_json(body: bytes) -> bool:
    """A JSON document rather than XML: its first non-blank byte opens an object."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head == b"{"


def json_feed(body: bytes) -> tuple[dict, list[dict]]:
    """(feed fields, entries) of a JSON Feed, each as feedparser would name them; NotAFeed otherwise."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise NotAFeed(f"not a feed: a JSON document that does not parse ({exc})"[:300]) from None
    if not isinstance(document, dict) or not _is_json_feed(document):
        raise NotAFeed("not a feed: a JSON document, but not a JSON Feed (no version "
                       "https://jsonfeed.org/version/1.x with an items list)")
    feed = {"title": _text(document.get("title")), "language": _text(document.get("language"))}
    items = document.get("items") or []
    entries = [_entry(item, feed_author=_author(document)) for item in items[:MAX_ITEMS] if isinstance(item, dict)]
    return feed, entries


def _is_json_feed(document: dict) -> bool:
    version = str(document.get("version") or "")
    known = version.startswith("https://jsonfeed.org/version/") or version in ("1", "1.0", "1.1")
    return known and isinstance(document.get("items"), list)


def _entry(item: dict, *, feed_author: str | None) -> dict:
    html, text = _text(item.get("content_html")), _text(item.get("content_text"))
    entry = {
        "id": _text(item.get("id")) or None,
        "link": _text(item.get("url")) or _text(item.get("external_url")) or None,
        "title": _text(item.get("title")),
        "summary": _text(item.get("summary")) or (text if html else ""),
        "content": [{"value": html or text}] if (html or text) else [],
        "author": _author(item) or feed_author,
        "title_detail": {"language": _text(item.get("language")) or None},
    }
    for key, field in (("date_published", "published"), ("date_modified", "updated")):
        moment = _date(item.get(key))
        if moment is not None:
            entry[f"{field}_parsed"] = moment.utctimetuple()
            entry[field] = item.get(key)
    return entry


def _author(value: dict) -> str | None:
    authors = value.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return _text(authors[0].get("name")) or None
    author = value.get("author")  # JSON Feed 1.0
    if isinstance(author, dict):
        return _text(author.get("name")) or None
    return None


def _date(value) -> datetime | None:
    """RFC 3339 as JSON Feed requires; anything else is treated as missing."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))
