"""A parsed entry (feedparser's, or a JSON Feed item mapped to the same fields) → an Item.

One place decides an entry's guid, canonical link, plain text (capped), UTC date and language,
whatever format it came in.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin

from bot.models import Item
from bot.text import (AUTHOR_LIMIT, CONTENT_LIMIT, LINK_LIMIT, SUMMARY_LIMIT, TITLE_LIMIT, canonical_url, cap_text,
                      html_to_text)

_ABSOLUTE_HTTP = re.compile(r"^https?://", re.I)


def items_of(parsed, *, feed_id: str, now: datetime, default_lang: str | None,
           base: str | None) -> tuple[str | None, str | None, list[Item]]:
    feed_meta = parsed.get("feed", {})  # feedparser's result, or a JSON Feed mapped to the same names
    feed_lang = _lang(feed_meta.get("language")) or default_lang
    title = cap_text(_plain(feed_meta.get("title")), TITLE_LIMIT) or None
    items = [item_of(entry, feed_id=feed_id, now=now, feed_lang=feed_lang, outlet=title, base=base)
             for entry in parsed.get("entries", [])]
    return title, feed_lang, items


def item_of(entry, *, feed_id: str, now: datetime, feed_lang: str | None, outlet: str | None,
          base: str | None = None) -> Item:
    # Fields are cut (bot.text.cap_text: how much, why) after the guid and the summary test read them whole.
    title = _plain(entry.get("title"))
    summary = _plain(entry.get("summary"))
    content = "\n\n".join(_plain(part.get("value")) for part in entry.get("content", []) if part.get("value"))
    link = _link(entry.get("link"), base)
    published, first_seen = _published(entry, now)
    return Item(
        feed_id=feed_id,
        guid=entry_guid(entry, link=link, title=title, summary=summary),
        link=link,
        title=cap_text(title, TITLE_LIMIT),
        summary=cap_text(summary, SUMMARY_LIMIT) if summary != content else "",
        content=cap_text(content, CONTENT_LIMIT),
        author=cap_text(_plain(entry.get("author")), AUTHOR_LIMIT) or None,
        published=published,
        published_is_first_seen=first_seen,
        lang=_lang((entry.get("title_detail") or {}).get("language")) or feed_lang,
        outlet=outlet,
    )


def _link(value, base: str | None) -> str | None:
    """An entry's link, absolute (resolved against the feed's URL) and canonical; None unless http(s)."""
    if not value or not isinstance(value, str) or not value.strip() or len(value) > LINK_LIMIT:
        return None  # a link over LINK_LIMIT is dropped, not cut
    value = value.strip()
    if base and not _ABSOLUTE_HTTP.match(value):
        try:
            value = urljoin(base, value)
        except ValueError:
            return None
    if not _ABSOLUTE_HTTP.match(value):
        return None  # javascript:, data:, mailto: or a relative link with no base is no article link
    return canonical_url(value)


def entry_guid(entry, *, link: str | None, title: str, summary: str) -> str:
    """A stable id for an entry: its own id, else its link, else a hash of what it says."""
    own = entry.get("id") or entry.get("guid")
    if own and str(own).strip():
        return str(own).strip()[:1000]
    if link:
        return link
    date = entry.get("published") or entry.get("updated") or ""
    digest = hashlib.sha1(f"{title}\x00{summary}\x00{date}".encode("utf-8", "replace")).hexdigest()
    return f"sha1:{digest}"


EARLIEST_DATE = datetime(1990, 1, 1, tzinfo=timezone.utc)  # before the web had news feeds
LATEST_AHEAD = timedelta(days=2)  # time zones and clock skew; anything later is a broken date


def _published(entry, now: datetime) -> tuple[datetime, bool]:
    # calendar.timegm, not time.mktime: feedparser's tuples are UTC.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                moment = datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
            except (OverflowError, ValueError, OSError, TypeError):
                continue
            # "01 Jan 0001" or a date years ahead is a broken feed, not news: treat it as missing.
            if EARLIEST_DATE <= moment <= now + LATEST_AHEAD:
                return moment, False
    return now, True


def _plain(value) -> str:
    return html_to_text(value) if value else ""


def _lang(value) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return value.strip().lower().split("-")[0][:8] or None
