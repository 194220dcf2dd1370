"""Feed bytes → Items. The only module that imports feedparser.

feedparser is always given bytes we fetched ourselves (its own fetching has no
timeout), with the response headers so it can honour the declared charset.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urljoin

import feedparser

from bot.ingest.entries import items_of
from bot.ingest.jsonfeed import json_feed, looks_like_json
from bot.ingest.xml_guard import ENTITY_MARKERS, NotAFeed, refuse_entity_bombs
from bot.models import Item

# How much of the body is sniffed for an HTML page when feedparser finds no feed.
_SNIFF_LIMIT = 2048



@dataclass(frozen=True)
class BlockMemory:
    """What the recent successful parses of one feed read, block by block (one <item> or <entry> each).

    `blocks` maps a digest of a block's bytes (less view counters, _COUNTERS) to a digest of the guid its entry got, for
    blocks whose entry is stored exactly as those bytes give it (see _remember).
    `context` is a digest of everything else that shapes how a block parses: the response's
    Content-Type and base URL, the prolog (XML declaration, DOCTYPE) and the start tags of the
    elements enclosing the blocks (namespaces, xml:base, xml:lang, RSS version). The pipeline
    keeps it with the feed, written in the same transaction as the items it describes.
    """

    context: str
    blocks: dict[bytes, bytes]

    DIGEST = 8  # bytes per digest; a record in the blob is a block digest then a guid digest

    def to_blob(self) -> bytes:
        return b"".join(block + guid for block, guid in self.blocks.items())

    @classmethod
    def from_blob(cls, context: str, blob: bytes) -> "BlockMemory":
        size = cls.DIGEST
        return cls(context, {blob[i:i + size]: blob[i + size:i + 2 * size] for i in range(0, len(blob), 2 * size)})


@dataclass
class ParsedFeed:
    """A parsed feed: its own title and language, and its entries as Items."""

    title: str | None
    lang: str | None
    items: list[Item] = field(default_factory=list)
    warning: str | None = None  # feedparser's complaint about a feed it could still read
    memory: BlockMemory | None = None  # what to remember of this document for the next poll (None: nothing)
    skipped: int = 0  # blocks cut out before parsing: byte-identical to remembered blocks
    hub: str | None = None  # the WebSub hub the feed advertises (<link rel="hub">), absolute
    self_url: str | None = None  # its rel="self" link: the topic URL a hub knows it by


def parse_feed(body: bytes, *, feed_id: str, headers: dict[str, str] | None = None,
               now: datetime, default_lang: str | None = None, base_url: str | None = None,
               memory: BlockMemory | None = None) -> ParsedFeed:
    """Parse fetched bytes into Items; NotAFeed when there is nothing feed-like in them.

    With `memory` (the feed's BlockMemory from its last successful parse), entry blocks that are
    byte-identical to remembered blocks, in the same context, are cut out of the document
    before feedparser sees it: their entries are already stored exactly as those bytes give
    them, so parsing them again could only find nothing new. A revised entry is not
    byte-identical, so it is parsed. Only a document that splits cleanly into sibling,
    non-nested <item>/<entry> blocks is cut, and only when what remains parses without a
    complaint; anything else is parsed whole. `items` then holds the entries that were parsed.
    """
    if not body or not body.strip():
        raise NotAFeed("empty body")
    refuse_entity_bombs(body)
    response_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-location"}
    base = next((v for k, v in (headers or {}).items() if k.lower() == "content-location"), None)
    base = urljoin(base_url, base) if base and base_url else (base or base_url)
    if looks_like_json(body):  # JSON Feed: feedparser reads only XML; the same Items come out
        meta, entries = json_feed(body)
        title, feed_lang, items = items_of({"feed": meta, "entries": entries}, feed_id=feed_id, now=now,
                                           default_lang=default_lang, base=base)
        return ParsedFeed(title=title, lang=feed_lang, items=items)
    split = _split_blocks(body, response_headers, base)
    if memory is not None and split is not None and split.context == memory.context:
        known = [memory.blocks.get(digest) for digest in split.digests]
        if any(guid is not None for guid in known):
            reduced = _parse_without_known_blocks(body, split, known, memory, feed_id=feed_id,
                                                  headers=response_headers, now=now, default_lang=default_lang,
                                                  base=base)
            if reduced is not None:
                return reduced
    parsed = _feedparser(body, response_headers)
    if not parsed.entries and not parsed.get("version"):
        raise NotAFeed(_why_not_a_feed(body, parsed, response_headers))
    title, feed_lang, items = items_of(parsed, feed_id=feed_id, now=now, default_lang=default_lang, base=base)
    hub, self_url = websub_links(parsed, base)
    warning = None
    if parsed.get("bozo") and parsed.get("bozo_exception") is not None:
        warning = f"{type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"[:300]
    remembered = None
    if split is not None and not parsed.get("bozo") and len(items) == len(split.spans):
        # Entry i came from block i (feedparser opens an entry at each <item>/<entry>).
        remembered = _remember(split, [None] * len(items), [_digest(item.guid.encode()) for item in items], memory)
    return ParsedFeed(title=title, lang=feed_lang, items=items, warning=warning, memory=remembered, hub=hub,
                      self_url=self_url)


def websub_links(parsed, base: str | None) -> tuple[str | None, str | None]:
    """The first rel="hub" and rel="self" links of a parsed document's feed, made absolute (None: absent)."""
    found: dict[str, str] = {}
    for link in (parsed.get("feed") or {}).get("links") or ():
        rel, href = (link.get("rel") or "").strip().lower(), (link.get("href") or "").strip()
        if rel in ("hub", "self") and href and rel not in found:
            found[rel] = urljoin(base, href) if base else href
    return found.get("hub"), found.get("self")


def _feedparser(body: bytes, response_headers: dict[str, str]):
    # Items are stored as plain text, so feedparser's HTML sanitizer and its rewriting
    # of URIs inside HTML would be wasted work. And no base URL is given to
    # feedparser: with one it runs urljoin on every element (a third of its time on
    # news feeds) and rewrites relative ids, so an entry's guid would change when a
    # feed moves to a new URL. Relative links are resolved in _item instead.
    return feedparser.parse(body, response_headers=response_headers, sanitize_html=False,
                            resolve_relative_uris=False)


# --- cutting the blocks the last parse already read -----------------------------------------------------------

@dataclass
class _Split:
    context: str  # digest of what, outside the blocks, shapes how a block parses (see BlockMemory)
    spans: list[tuple[int, int]]  # byte offsets of each <item>...</item> or <entry>...</entry>, in order
    digests: list[bytes]  # digest of each block's bytes


# Blocks remembered per feed (16 bytes each): this document's, then earlier ones still valid.
MAX_REMEMBERED_BLOCKS = 500

# Block tags, with CDATA sections and comments matched first so that markup inside them is skipped.
_BLOCK_TAG = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<(/?)((?:[^\s<>/:=\"']+:)?(?:item|entry))(?=[\s/>])",
                        re.I | re.S)
_ATTRIBUTES = rb"""(?:\s+[^\s=/<>]+\s*=\s*(?:"[^"<]*"|'[^'<]*'))*\s*"""
_START_TAG = {name: re.compile(rb"<" + name + _ATTRIBUTES + rb">") for name in (b"item", b"entry")}
_END_TAG = {name: re.compile(rb"</" + name + rb"\s*>") for name in (b"item", b"entry")}
_GAP = re.compile(rb"(?:\s+|<!--.*?-->)*", re.S)
# Any markup before the first block: used to find the elements that enclose the blocks.
_MARKUP = re.compile(rb"<!\[CDATA\[.*?\]\]>|<!--.*?-->|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>"
                     rb"|<(/?)([^\s<>/!?]+)" + _ATTRIBUTES + rb"(/?)>|<", re.S | re.I)
_XML_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']+)""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.I)


# Counters a publisher rewrites on every poll without touching the entry: Media RSS view counts
# and star ratings (Al Jazeera's feed changes them in nearly every block of every version). No
# Item field comes from them, so a block's identity leaves them out: a new view count alone
# does not make feedparser read the entry again. Empty-element form only, any prefix.
_COUNTERS = re.compile(rb"<(?:[\w.-]+:)?(?:statistics|starRating)\b[^<>]*/>")


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=BlockMemory.DIGEST).digest()


def _block_digest(block: bytes) -> bytes:
    """A block's identity: its bytes, less the counters that never reach an Item (_COUNTERS)."""
    if b"statistics" in block or b"starRating" in block:
        block = _COUNTERS.sub(b"", block)
    return _digest(block)


def _split_blocks(body: bytes, headers: dict[str, str], base: str | None) -> _Split | None:
    """The document's entry blocks and their context, or None when it does not split cleanly.

    Cleanly: an ASCII-compatible encoding, no DOCTYPE entities, block tags all of one kind
    (<item> or <entry>, no prefix, no other case), never inside CDATA or a comment, alternating
    start and end tags (not nested, not empty-element tags), and nothing but white space or
    comments between two blocks (they are siblings of one parent).
    """
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if not _ascii_compatible(body, content_type) or any(marker in body for marker in ENTITY_MARKERS):
        return None
    spans: list[tuple[int, int]] = []
    name = None
    start = None
    for match in _BLOCK_TAG.finditer(body):
        tag = match.group(2)
        if tag is None:
            continue  # a CDATA section or a comment
        if tag not in (b"item", b"entry") or (name is not None and tag != name):
            return None
        name = tag
        if not match.group(1):  # a start tag
            if start is not None or not _START_TAG[tag].match(body, match.start()):
                return None
            start = match.start()
        else:
            end = _END_TAG[tag].match(body, match.start())
            if start is None or not end:
                return None
            if spans and not _GAP.fullmatch(body, spans[-1][1], start):
                return None
            spans.append((start, end.end()))
            start = None
    if not spans or start is not None:
        return None
    enclosing = _enclosing_start_tags(body, spans[0][0])
    if enclosing is None:
        return None
    context = hashlib.blake2b(digest_size=16)
    for part in (content_type, base or ""):
        context.update(part.encode("utf-8", "replace") + b"\0")
    context.update(enclosing)
    return _Split(context=context.hexdigest(), spans=spans, digests=[_block_digest(body[a:b]) for a, b in spans])


def _enclosing_start_tags(body: bytes, end: int) -> bytes | None:
    """The prolog and the start tags of the elements still open at `end`, as bytes; None if unsure."""
    stack: list[tuple[bytes, bytes]] = []
    prolog_end = None
    for match in _MARKUP.finditer(body, 0, end):
        if match.group(2) is None:
            if match.group(0) == b"<":
                return None  # a '<' that starts no markup: not well-formed, parse it whole
            continue
        if prolog_end is None:
            prolog_end = match.start()
        if match.group(1):  # an end tag
            if not stack or stack[-1][0] != match.group(2):
                return None
            stack.pop()
        elif not match.group(3):  # a start tag (an empty-element tag opens nothing)
            stack.append((match.group(2), match.group(0)))
    if prolog_end is None or not stack:
        return None
    return body[:prolog_end] + b"\0" + b"\0".join(tag for _, tag in stack)


def _ascii_compatible(body: bytes, content_type: str) -> bool:
    """True when markup bytes ('<item>') mean the same in every encoding the document may be read in."""
    head = body[:4]
    if b"\x00" in head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x4c\x6f\xa7\x94")):
        return False
    declared = []
    if match := _XML_ENCODING.match(body[:512]):
        declared.append(match.group(1).decode("ascii", "replace"))
    if match := _CHARSET.search(content_type):
        declared.append(match.group(1))
    for encoding in declared:
        try:
            codec = codecs.lookup(encoding).name
            if "utf_7" in codec or "utf-7" in codec or "2022" in codec or codec == "hz":
                return False
            if "<item></entry>".encode(codec) != b"<item></entry>":
                return False
        except (LookupError, UnicodeError):
            return False
    return True


def _parse_without_known_blocks(body: bytes, split: _Split, known: list[bytes | None], memory: BlockMemory, *,
                                feed_id: str,
                                headers: dict[str, str], now: datetime, default_lang: str | None,
                                base: str | None) -> ParsedFeed | None:
    """Parse the document with its known blocks cut out; None when that cannot stand for a whole parse."""
    pieces, position = [], 0
    for (start, end), guid in zip(split.spans, known):
        if guid is not None:
            pieces.append(body[position:start])
            position = end
    pieces.append(body[position:])
    parsed = _feedparser(b"".join(pieces), headers)
    kept = sum(guid is None for guid in known)
    if parsed.get("bozo") or len(parsed.entries) != kept or not parsed.get("version"):
        return None  # a complaint, or entries that do not map one to one onto the blocks: parse it whole
    title, feed_lang, items = items_of(parsed, feed_id=feed_id, now=now, default_lang=default_lang, base=base)
    guids = iter([_digest(item.guid.encode()) for item in items])
    parsed_guids = [None if guid is not None else next(guids) for guid in known]
    if {guid for guid in known if guid is not None} & {guid for guid in parsed_guids if guid is not None}:
        # A parsed entry shares its guid with a cut one (an entry twice in the document, one copy
        # changed): which copy wins depends on both, so parse it whole.
        return None
    hub, self_url = websub_links(parsed, base)
    return ParsedFeed(title=title, lang=feed_lang, items=items, warning=None,
                      memory=_remember(split, known, parsed_guids, memory), skipped=len(known) - kept,
                      hub=hub, self_url=self_url)


def _remember(split: _Split, known: list[bytes | None], parsed: list[bytes | None],
              previous: BlockMemory | None) -> BlockMemory:
    """What the next parse may cut: this document's blocks whose entry has a guid no other block of
    it has, then blocks remembered from earlier documents (publishers rotate a window of entries),
    up to MAX_REMEMBERED_BLOCKS.

    An earlier block stays only while no later document held an entry with its guid: only such a
    document can have changed the stored entry (a revision), so the stored text is still the text
    that block gives.
    """
    guids = [k if k is not None else p for k, p in zip(known, parsed)]
    counts = Counter(guids)
    blocks = {digest: guid for digest, guid in zip(split.digests, guids) if counts[guid] == 1}
    if previous is not None and previous.context == split.context:
        for digest, guid in previous.blocks.items():
            if len(blocks) >= MAX_REMEMBERED_BLOCKS:
                break
            if guid not in counts and digest not in blocks:
                blocks[digest] = guid
    return BlockMemory(split.context, blocks)


def _why_not_a_feed(body: bytes, parsed, headers: dict[str, str]) -> str:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    head = body[:_SNIFF_LIMIT].lstrip().lower()
    if b"<html" in head or b"<!doctype html" in head or "html" in content_type.lower():
        return "not a feed: the URL answers with an HTML page (look for the site's RSS or Atom link)"
    exc = parsed.get("bozo_exception")
    reason = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    return f"not a feed: no RSS or Atom content found{reason}"[:300]
