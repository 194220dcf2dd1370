"""Feed bytes → Items. The only module that imports feedparser.

feedparser is always given bytes we fetched ourselves (its own fetching has no
timeout), with the response headers so it can honour the declared charset.
"""

from __future__ import annotations

import calendar
import codecs
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urljoin

import feedparser

from bot.models import Item
from bot.text import canonical_url, html_to_text

# How much of the body is sniffed for an HTML page when feedparser finds no feed.
_SNIFF_LIMIT = 2048

# At most this many characters may be added to a document by expanding the
# entities its DOCTYPE declares. Real feeds declare none or a few short ones;
# an XML bomb (quadratic blow-up, billion laughs) declares far more, and
# feedparser's fallback parser expands them in memory (300 MB for a 100 kB file).
MAX_ENTITY_EXPANSION = 1_000_000
_ENTITY_MARKERS = tuple({"ENTITY".encode(codec) for codec in
                         ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037")})
_FIRST_ELEMENT = re.compile(r"<\w")
_ENTITY_DECL = re.compile(r"""<!ENTITY\s+(%\s+)?([^\s"'%>]+)\s+(?:"([^"]*)"|'([^']*)'|(?:SYSTEM|PUBLIC)\b)""")
_ABSOLUTE_HTTP = re.compile(r"^https?://", re.I)
_ENTITY_REF = re.compile(r"&([A-Za-z_:][\w.:-]*);")


class NotAFeed(Exception):
    """The bytes are not a feed: an HTML page, an empty body, garbage. The message says which."""


@dataclass
class ParsedFeed:
    """A parsed feed: its own title and language, and its entries as Items."""

    title: str | None
    lang: str | None
    items: list[Item] = field(default_factory=list)
    warning: str | None = None  # feedparser's complaint about a feed it could still read


def parse_feed(body: bytes, *, feed_id: str, headers: dict[str, str] | None = None,
               now: datetime, default_lang: str | None = None, base_url: str | None = None) -> ParsedFeed:
    """Parse fetched bytes into Items; NotAFeed when there is nothing feed-like in them."""
    if not body or not body.strip():
        raise NotAFeed("empty body")
    _refuse_entity_bombs(body)
    response_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-location"}
    base = next((v for k, v in (headers or {}).items() if k.lower() == "content-location"), None)
    base = urljoin(base_url, base) if base and base_url else (base or base_url)
    # Items are stored as plain text, so feedparser's HTML sanitizer and its rewriting
    # of URIs inside HTML would be wasted work. And no base URL is given to
    # feedparser: with one it runs urljoin on every element (a third of its time on
    # news feeds) and rewrites relative ids, so an entry's guid would change when a
    # feed moves to a new URL. Relative links are resolved in _item instead.
    parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=False,
                              resolve_relative_uris=False)
    if not parsed.entries and not parsed.get("version"):
        raise NotAFeed(_why_not_a_feed(body, parsed, response_headers))
    feed_meta = parsed.get("feed", {})
    feed_lang = _lang(feed_meta.get("language")) or default_lang
    title = _plain(feed_meta.get("title")) or None
    items = [_item(entry, feed_id=feed_id, now=now, feed_lang=feed_lang, outlet=title, base=base)
             for entry in parsed.entries]
    warning = None
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"[:300]
    return ParsedFeed(title=title, lang=feed_lang, items=items, warning=warning)


def _why_not_a_feed(body: bytes, parsed, headers: dict[str, str]) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    head = body[:_SNIFF_LIMIT].lstrip().lower()
    if b"<html" in head or b"<!doctype html" in head or "html" in content_type.lower():
        return "not a feed: the URL answers with an HTML page (look for the site's RSS or Atom link)"
    exc = parsed.get("bozo_exception")
    reason = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return f"not a feed: no RSS or Atom content found{reason}"[:300]


def _refuse_entity_bombs(body: bytes) -> None:
    """NotAFeed when the DOCTYPE declares entities that would blow the document up in memory.

    Checked before feedparser sees the bytes: feedparser keeps a DOCTYPE's simple
    internal entities, and when expat stops an amplification attack its loose
    fallback parser expands them anyway. Cheap for ordinary feeds: the work
    starts only when the word ENTITY appears in the body.
    """
    if not any(marker in body for marker in _ENTITY_MARKERS):
        return
    text = _decode_for_sniffing(body)
    first = _FIRST_ELEMENT.search(text)  # entities can only be declared before the root element
    head, rest = (text[:first.start()], text[first.start():]) if first else (text, "")
    values: dict[str, str] = {}
    for parameter, name, double, single in (m.groups() for m in _ENTITY_DECL.finditer(head)):
        if not parameter and (double is not None or single is not None):
            values.setdefault(name, double if double is not None else single)
    if not values:
        return
    sizes: dict[str, int] = {}

    def expanded(name: str, stack: frozenset) -> int:
        # Length of the entity's replacement text with nested references expanded (a cycle counts as 0).
        if name in sizes:
            return sizes[name]
        if name not in values or name in stack:
            return 0
        value = values[name]
        size = len(value) + sum(expanded(ref, stack | {name}) - len(ref) - 2
                                for ref in _ENTITY_REF.findall(value))
        sizes[name] = size  # Python integers do not overflow: 10**30 for a billion-laughs chain is fine
        return size

    growth = 0
    try:
        for ref in _ENTITY_REF.findall(rest):
            if ref in values:
                growth += max(0, expanded(ref, frozenset()) - len(ref) - 2)
                if growth > MAX_ENTITY_EXPANSION:
                    break
    except RecursionError:  # hundreds of entities nested in each other: nobody writes a feed like that
        growth = MAX_ENTITY_EXPANSION + 1
    if growth > MAX_ENTITY_EXPANSION:
        raise NotAFeed(f"not a feed: refused an XML entity bomb (the DOCTYPE's entities would add over "
                       f"{MAX_ENTITY_EXPANSION:,} characters)")


def _decode_for_sniffing(body: bytes) -> str:
    """The body as text, well enough to find declarations: UTF-16/32 and EBCDIC by BOM or pattern, else Latin-1."""
    for prefix, codec in ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
                          (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
                          (b"<\x00\x00\x00", "utf-32-le"), (b"\x00\x00\x00<", "utf-32-be"),
                          (b"<\x00", "utf-16-le"), (b"\x00<", "utf-16-be"), (b"\x4c\x6f\xa7\x94", "cp037")):
        if body.startswith(prefix):
            return body.decode(codec, "replace")
    # Any ASCII-compatible encoding (UTF-8, Latin-1, Windows-125x...) keeps markup bytes as they are.
    return body.decode("latin-1")


def _item(entry, *, feed_id: str, now: datetime, feed_lang: str | None, outlet: str | None,
          base: str | None = None) -> Item:
    title = _plain(entry.get("title"))
    summary = _plain(entry.get("summary"))
    content = "\n\n".join(_plain(part.get("value")) for part in entry.get("content", []) if part.get("value"))
    link = _link(entry.get("link"), base)
    published, first_seen = _published(entry, now)
    return Item(
        feed_id=feed_id,
        guid=entry_guid(entry, link=link, title=title, summary=summary),
        link=link,
        title=title,
        summary=summary if summary != content else "",
        content=content,
        author=_plain(entry.get("author")) or None,
        published=published,
        published_is_first_seen=first_seen,
        lang=_lang((entry.get("title_detail") or {}).get("language")) or feed_lang,
        outlet=outlet,
    )


def _link(value, base: str | None) -> str | None:
    """An entry's link, absolute (resolved against the feed's URL) and canonical; None unless http(s)."""
    if not value or not isinstance(value, str) or not value.strip():
        return None
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


def _published(entry, now: datetime) -> tuple[datetime, bool]:
    # calendar.timegm, not time.mktime: feedparser's tuples are UTC.
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                return datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc), False
            except (OverflowError, ValueError, OSError, TypeError):
                continue
    return now, True


def _plain(value) -> str:
    return html_to_text(value) if value else ""


def _lang(value) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return value.strip().lower().split("-")[0][:8] or None
