"""Plain dataclasses shared by every part of the bot. No I/O here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime

# Closed vocabularies, kept here so that the extractor, the ledger and the renderers agree.
METRICS = ("killed", "injured", "missing", "kidnapped", "killed_or_injured", "named_victims")
QUALIFIERS = ("exact", "at_least", "more_than", "about", "up_to", "range", "vague")
SOURCE_CLASSES = (
    "official",
    "security_sources",
    "medical",
    "un_ngo",
    "leaked_documents",
    "perpetrator_claim",
    "witnesses",
    "unattributed",
)


@dataclass(frozen=True)
class FeedConfig:
    """One feed as the admin configured it (feeds.yaml or Slack)."""

    id: str
    url: str
    interval_seconds: int
    channel: str | None = None
    lang: str | None = None
    enabled: bool = True
    tags: tuple[str, ...] = ()
    full_text: bool = False  # fetch each new or revised item's page and read figures from the article
    priority: bool = False  # always polled at its interval, however quiet (bot/ingest/intervals.py)


@dataclass
class Item:
    """One feed entry, normalised: plain text, canonical link, UTC time."""

    feed_id: str
    guid: str
    link: str | None
    title: str
    summary: str
    content: str
    author: str | None
    published: datetime  # UTC, timezone-aware
    published_is_first_seen: bool  # True when the feed gave no date and we used the time we saw it
    lang: str | None
    outlet: str | None = None  # the feed's own title, shown to editors as "who published it"

    @property
    def text(self) -> str:
        """Title and body as one text, for matching and extraction."""
        body = self.content if len(self.content) >= len(self.summary) else self.summary
        return f"{self.title}\n\n{body}".strip()


@dataclass(frozen=True)
class Claim:
    """One casualty figure found in a text, with who gives it and where it stands."""

    metric: str  # one of METRICS
    value: int | None  # the figure as written; None for a vague quantity ("hundreds")
    low: int | None
    high: int | None
    qualifier: str  # one of QUALIFIERS
    source: str  # one of SOURCE_CLASSES
    quote: str  # the exact text that carries the figure
    start: int  # character span of the quote in the text
    end: int
    vague: str | None = None  # the vague word itself ("scores", "des dizaines")
    who: str | None = None  # civilians, soldiers, police, attackers, ... when the text says
    source_text: str | None = None  # the source's words as written ("according to security sources")
    scope: str = "event"  # event | subset | attackers | other_event | cumulative | history (superseded in the text)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Incident:
    """An event the desk tracks."""

    slug: str
    name: str
    since: date
    until: date | None = None
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    channel: str | None = None
    created_by: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """A claim in context: which article gave it, when, and whether it still stands."""

    claim: Claim
    item_id: int
    story_id: int  # syndicated copies of one wire story share a story_id
    outlet: str
    published: datetime
    link: str | None = None
    status: str = "current"  # current | superseded | rejected
    verified_by: str | None = None
    outlets: tuple[str, ...] = field(default_factory=tuple)  # every outlet that carried this story


@dataclass(frozen=True)
class DigestConfig:
    """One channel's daily digest: posted once a local day, once its local time `at` (HH:MM) has passed."""

    channel: str  # "#africa-desk" or a channel ID
    at: str  # HH:MM, 24-hour
    tz: str = "UTC"  # IANA time zone
    feeds: bool = False  # with the feeds that failed (the admins' channel)
