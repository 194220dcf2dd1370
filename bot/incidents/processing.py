"""After a poll: match new and revised items to incidents, read their figures, queue alerts.

Items carry `processed_at`: it is set in the same transaction that stores an
item's matches, claims and alerts, so a crash in between redoes the work once
and the outbox's idempotency keys keep alerts single.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable

from bot.claims import extract_claims
from bot.incidents.matching import Matcher
from bot.models import Claim, Incident, Item
from bot.incidents.toll_events import TollEvent, story_event, toll_events
from bot.incidents.toll_cache import TollCache
from db import to_iso, utc_now_iso, writing
from db.articles import article_text
from db.incidents import active_incidents, incidents_version, tracked_times
from db.items import (count_unprocessed, item_state, load_item, mark_processed, quarantine_item,
                      unprocessed_item_ids)
from db.ledger import incidents_of_item, item_has_any_claim, item_has_claims, record_match, store_claims
from db.outbox import enqueue

logger = logging.getLogger(__name__)

Extractor = Callable[[str, str | None], list[Claim]]
BATCH = 200


@dataclass
class ProcessOutcome:
    items: int = 0
    matches: int = 0
    alerts: list[int] = field(default_factory=list)  # outbox ids queued
    set_aside: int = 0  # items whose processing failed, kept with their error
    remaining: int = 0  # items left unprocessed (a limit was reached)


class IncidentProcessor:
    """Holds the matcher for the active incidents; rebuilt when incidents change."""

    def __init__(self, db, *, extract: Extractor = extract_claims, article_grace: float = 0.0):
        """`article_grace`: seconds an item of a full_text feed waits for its page before it is processed
        with its summary (0: not at all, for callers that fetched the pages first, like `poll --once`)."""
        self.db, self.extract, self.article_grace = db, extract, article_grace
        self._incidents: dict[int, Incident] = {}
        self._matcher: Matcher | None = None
        self._version = None
        self.tolls = TollCache(db)  # the toll before an item is usually the toll after the last one
        self.refresh()

    def refresh_if_changed(self) -> None:
        """Rebuild the matcher only when incidents were tracked or untracked (maybe by another process)."""
        if incidents_version(self.db) != self._version:
            self.refresh()

    def _old_backlog(self, item: Item, incident_id: int, item_backlog: bool) -> bool:
        """A new feed's backlog is recorded, not posted; but a story published after the incident was
        tracked is news even when it arrives with a feed's first poll."""
        tracked = self._tracked_at.get(incident_id)
        return item_backlog and (tracked is None or item.published < tracked)

    def refresh(self) -> None:
        """Re-read the tracked incidents (after track or untrack)."""
        self._version = incidents_version(self.db)
        self._tracked_at = tracked_times(self.db)
        self._incidents = active_incidents(self.db)
        self._matcher = Matcher(list(self._incidents.values()))
        self._ids = {incident.slug: incident_id for incident_id, incident in self._incidents.items()}

    def process_pending(self, *, limit: int | None = None, on_progress: Callable[[int, int], None] | None = None,
                        now: datetime | None = None) -> ProcessOutcome:
        """Process items not processed yet (new, or revised since), oldest first, in batches of BATCH:
        all of them, or at most `limit` (the rest is left for the next call). `on_progress(done, left)`
        after each batch. An item that fails is set aside with its error; the others go on.

        An item whose article page is pending waits until the page is read or failed, or until
        `article_grace` seconds after it was seen (`now`: the clock, UTC); then its summary is read, and
        a page read later processes it again (its match is known by then: no second story alert)."""
        outcome = ProcessOutcome()
        waiting_after = None
        if self.article_grace > 0:
            waiting_after = to_iso((now or datetime.now(timezone.utc)) - timedelta(seconds=self.article_grace))
        total = count_unprocessed(self.db, waiting_after=waiting_after)
        wanted = total if limit is None else min(limit, total)
        # Bounded: every item handled is either processed or set aside, so none comes back in this call.
        for _ in range(wanted // BATCH + 2):
            ids = unprocessed_item_ids(self.db, limit=min(BATCH, wanted - outcome.items), waiting_after=waiting_after)
            if not ids:
                break
            for item_id in ids:
                self._process_or_set_aside(item_id, outcome)
            if on_progress:
                on_progress(outcome.items, max(0, total - outcome.items))
            if outcome.items >= wanted:
                break
        outcome.remaining = max(0, total - outcome.items)
        return outcome

    def _process_or_set_aside(self, item_id: int, outcome: ProcessOutcome) -> None:
        try:
            self.process_item(item_id, outcome=outcome)
        except Exception as exc:  # one bad item (a date out of range, a parser edge) never stops the rest
            logger.exception("processing failed; item set aside", extra={"item_id": item_id})
            with writing(self.db):
                quarantine_item(self.db, item_id, error=f"{type(exc).__name__}: {exc}", at=utc_now_iso())
            outcome.items += 1
            outcome.set_aside += 1

    def process_item(self, item_id: int, *, outcome: ProcessOutcome, only: set[int] | None = None,
                     backfill: bool = False) -> None:
        """Match one item, store its figures, queue what changed; one transaction.

        `only` limits the work to some incidents (a look-back after /incident track); `backfill`
        records its alerts without posting them, so tracking an old story does not flood the channel.
        """
        try:
            self._process_item(item_id, outcome=outcome, only=only, backfill=backfill)
        except BaseException:
            self.tolls.clear()  # tolls cached inside the rolled-back transaction never happened
            raise

    def _process_item(self, item_id: int, *, outcome: ProcessOutcome, only: set[int] | None,
                      backfill: bool) -> None:
        with writing(self.db):
            item = load_item(self.db, item_id)
            revision, story_id, item_backlog, reported_at = item_state(self.db, item_id)
            found = {self._ids[m.incident]: m for m in self._matcher.match(item) if m.incident in self._ids}
            already = incidents_of_item(self.db, item_id, status="matched")
            rejected = incidents_of_item(self.db, item_id, status="rejected")
            involved = sorted((set(found) | already) - rejected)
            if only is not None:
                involved = [i for i in involved if i in only]
            def common(incident_id: int) -> dict:
                return {"incident_id": incident_id, "item": item, "item_id": item_id, "story_id": story_id,
                        "outcome": outcome, "status": "recorded" if backfill or self._old_backlog(
                            item, incident_id, item_backlog) else "pending"}

            if involved:
                befores = {i: self.tolls.get(i).toll for i in involved}
                newly = set()
                for incident_id in involved:
                    match = found.get(incident_id)
                    if match and record_match(self.db, incident_id=incident_id, item_id=item_id, story_id=story_id,
                                              score=match.score, terms=list(match.terms)):
                        newly.add(incident_id)
                        outcome.matches += 1
                # A feed with full_text: the article's own page, once read, is what gives the figures
                # (a summary is often a teaser); until then, and when the page failed, the feed's text.
                article = article_text(self.db, item_id)
                from_article = article is not None
                if not item_has_claims(self.db, item_id, revision, from_article=from_article):
                    text = f"{item.title}\n\n{article}".strip() if from_article else item.text
                    store_claims(self.db, item_id, revision=revision, claims=self.extract(text, item.lang),
                                 reported_at=reported_at, from_article=from_article)
                # Most matched articles carry no figure: then the toll cannot have changed, and
                # recomputing it over a big incident's ledger is the costliest step of processing.
                figureless = not item_has_any_claim(self.db, item_id)
                for incident_id in involved:
                    slug = self._incidents[incident_id].slug
                    if incident_id in newly:
                        self._queue([story_event(slug, story_id=story_id, outlet=item.outlet or item.feed_id,
                                                 title=item.title)], kind="story", **common(incident_id))
                    if figureless:
                        continue
                    after = self.tolls.after_item(incident_id, item_id).toll
                    changes = toll_events(befores[incident_id], after, incident=slug, revised=revision > 1)
                    if changes:
                        self._queue(changes, kind="toll_change", **common(incident_id))
            if only is None:
                mark_processed(self.db, item_id, at=utc_now_iso())
            outcome.items += 1

    def _queue(self, events: list[TollEvent], *, kind: str, incident_id: int, item: Item, item_id: int,
               story_id: int, outcome: ProcessOutcome, status: str) -> None:
        """One alert per item and kind: the toll changes one article brings are one message, not five."""
        key = events[0].key if len(events) == 1 else "+".join(sorted(e.key for e in events))
        if len(key) > 200:
            key = "sha1:" + hashlib.sha1(key.encode()).hexdigest()
        payload = {"events": [{"kind": e.kind, "text": e.text, "metric": e.metric, "source": e.source}
                              for e in events],
                   "text": "\n".join(e.text for e in events),
                   "title": item.title, "link": item.link, "outlet": item.outlet or item.feed_id,
                   "published": item.published.isoformat(), "story_id": story_id}
        alert_id = enqueue(self.db, key=key, incident_id=incident_id, kind=kind, payload=payload, item_id=item_id,
                           status=status)
        if alert_id is not None:
            outcome.alerts.append(alert_id)
