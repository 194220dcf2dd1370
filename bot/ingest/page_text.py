"""An article page's bytes → its main text (the only module importing trafilatura).

Side bars, navigation, "most read" lists and other stories' headlines are left out: a figure in a
side bar is another story's toll, not this article's. Pure: no I/O.
"""

from __future__ import annotations

import logging

import trafilatura

# trafilatura warns for every page it finds no article in; `feeds list` says it once per feed instead.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

MIN_ARTICLE_WORDS = 40  # fewer words is a paywall's teaser or a consent wall, not the article
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")


def is_web_page(content_type: str | None) -> bool:
    """A page we may read: HTML or close to it (a PDF or an image is not read); no type given is tried."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return not kind or kind in HTML_TYPES


def main_text(body: bytes, *, url: str | None = None, title: str | None = None) -> str | None:
    """The article's own text, or None when the page has none worth reading."""
    # favor_precision: a sentence too few is better than a side bar's figure read as this article's.
    # No deduplicate: trafilatura's is a process-wide cache, which would blank a syndicated copy.
    text = trafilatura.extract(body, url=url, favor_precision=True, include_comments=False, include_tables=False,
                               include_images=False, include_links=False)
    if not text:
        return None
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and title and lines[0].casefold() == title.strip().casefold():
        lines = lines[1:]  # the headline is read from the item's title already
    text = "\n\n".join(lines)
    return text if len(text.split()) >= MIN_ARTICLE_WORDS else None
