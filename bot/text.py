"""Small pure text helpers: HTML to plain text, canonical links, content fingerprints."""

from __future__ import annotations

import hashlib
import html
import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that only track the reader; two links differing by these are one article.
TRACKING_PARAMS = {
    "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_hsenc", "_hsmi",
    "ocid", "cmpid", "cmp", "ito", "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3",
    "at_custom4", "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "xtor",
    "smid", "smtyp", "partner", "rss", "feed", "feedtype", "taid", "sr_share", "guccounter",
}
TRACKING_PREFIXES = ("utm_", "at_", "ns_", "pk_", "mtm_")

_BLOCK_TAGS = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "tr", "table", "section", "article", "figure", "figcaption", "hr"}
_SKIP_TAGS = {"script", "style", "head", "title", "noscript"}


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP_TAGS:
            self.skip_depth += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(data)


_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_NEWLINES = re.compile(r"\s*\n\s*")


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, paragraphs kept as blank lines."""
    if "<" not in markup:
        text = html.unescape(markup) if "&" in markup else markup
    else:
        collector = _TextCollector()
        try:
            collector.feed(markup)
            collector.close()
            text = "".join(collector.parts)
        except (AssertionError, ValueError):  # html.parser gives up on some broken markup
            text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
    text = _SPACES.sub(" ", text)
    return _NEWLINES.sub("\n\n", text).strip()


def canonical_url(url: str) -> str:
    """A link with tracking parameters, fragment and default port removed; host lower-cased."""
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.scheme not in ("http", "https"):
        return url
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)]
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", urlencode(query), ""))


def content_fingerprint(*parts: str) -> str:
    """A short hash of normalised text: equal for copies that differ only in spacing or case."""
    normalised = " ".join(" ".join(p.split()).lower() for p in parts if p)
    return hashlib.blake2b(normalised.encode("utf-8", "replace"), digest_size=16).hexdigest()


# How much text one item stores per field, so a hostile or broken feed cannot make us store, index
# (full text) and read for figures megabytes per entry (a 9 MB description was stored whole). Real
# articles run to ~100,000 characters at the longest (a long-read, a live blog's day): 200,000 keeps
# them whole. A summary is a paragraph or two (20,000 is ten long ones); a title or author is a line
# (1,000; Google News titles with the outlet run to ~300). A link longer than 8,192 characters is
# no article link (servers refuse request lines over 8 KB): it is dropped, not cut.
TITLE_LIMIT = 1_000
SUMMARY_LIMIT = 20_000
CONTENT_LIMIT = 200_000
AUTHOR_LIMIT = 1_000
LINK_LIMIT = 8_192

_CUT_MARK = re.compile(r"\n\n\[… cut: the feed sent [\d,]+ characters, the first [\d,]+ are kept; "
                       r"whole text (?P<hash>[0-9a-f]{32})\]\Z")


def cap_text(text: str, limit: int) -> str:
    """The text, or when longer than `limit` its first `limit` characters or so (cut at a space, so
    no word or figure is cut in two) and a note with the whole text's fingerprint: a revision past
    the cut still changes what is stored, so it is still detected (bot.ingest.store.item_fingerprint)."""
    if len(text) <= limit:
        return text
    cut = limit
    space = max(text.rfind(" ", limit - 200, limit + 1), text.rfind("\n", limit - 200, limit + 1))
    if space > 0:
        cut = space
    return (f"{text[:cut].rstrip()}\n\n[… cut: the feed sent {len(text):,} characters, the first {cut:,} are kept; "
            f"whole text {content_fingerprint(text)}]")


def whole_text_key(text: str) -> str:
    """What identifies a stored field's whole text: the fingerprint noted by cap_text, else the text itself."""
    match = _CUT_MARK.search(text) if text.endswith("]") else None
    return f"[cut {match.group('hash')}]" if match else text
