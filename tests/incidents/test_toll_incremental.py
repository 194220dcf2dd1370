"""The toll grows with each article at the cost of that article, and reads exactly as a full recomputation."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from itertools import groupby

from bot.incidents.desk import Desk
from bot.incidents.toll import TollBuilder, compute_toll
from bot.models import Claim, LedgerEntry
from db import ledger as ledger_queries
from tests.incidents.test_toll import gold_entries


def reading(toll) -> dict:
    """Everything an editor reads of a toll."""
    out = {}
    for metric, mt in toll.metrics.items():
        out[metric] = {
            "standings": [(s.source, s.figure.text, s.reports, s.previous, s.since) for s in mt.standings],
            "apart": [(s.source, s.figure.text) for s in mt.apart],
            "lead": mt.leading and (mt.leading.source, mt.leading.figure.text),
            "range": (mt.low and mt.low.figure.text, mt.high and mt.high.figure.text),
            "disputes": mt.disputes, "why": mt.why,
            "timeline": [(c.source, c.figure.text, c.leading) for c in mt.timeline],
        }
    out["timeline"] = [(c.metric, c.source, c.figure.text) for c in toll.timeline]
    out["updated"] = toll.updated
    return out


def appended(entries, *, strict: bool = False) -> TollBuilder:
    """Articles read one by one, as the toll cache does: appended when it can, else read again whole."""
    builder, read = TollBuilder(), []
    ordered = sorted(entries, key=lambda e: (e.published, e.item_id, e.claim.start))
    for _, article in groupby(ordered, key=lambda e: (e.published, e.item_id)):
        article = list(article)
        read.extend(article)
        if builder.can_append(article):
            builder.append(article)
        else:
            assert not strict, article
            builder.rebuild(read)
    return builder


def test_the_founding_case_read_article_by_article_is_the_full_reading():
    entries = gold_entries()
    assert reading(appended(entries, strict=True).toll()) == reading(compute_toll(entries))


def test_random_ledgers_read_article_by_article_are_the_full_reading():
    rng = random.Random(7)
    sources = ["official", "medical", "security_sources", "witnesses", "unattributed", "perpetrator_claim"]
    start = datetime(2024, 9, 17, tzinfo=timezone.utc)
    for trial in range(40):
        entries = []
        for item in range(1, rng.randint(2, 30)):
            when = start + timedelta(hours=item)
            for n in range(rng.randint(1, 4)):
                value = rng.choice([20, 40, 70, 77, 90, 150])
                qualifier = rng.choice(["exact", "at_least", "more_than", "about", "up_to"])
                claim = Claim(metric=rng.choice(["killed", "injured"]), value=value, low=None, high=None,
                              qualifier=qualifier, source=rng.choice(sources), quote=f"{value}", start=n * 10,
                              end=n * 10 + 2, scope=rng.choice(["event", "event", "event", "subset", "attackers"]))
                story = rng.choice([item, max(1, item - 1)])  # some articles are copies of the previous one
                entries.append(LedgerEntry(claim=claim, item_id=item, story_id=story, outlet=f"Outlet {item % 3}",
                                           published=when))
        assert reading(appended(entries).toll()) == reading(compute_toll(entries)), trial


def test_an_article_older_than_the_newest_or_a_revision_is_read_again_from_the_whole_ledger():
    entries = gold_entries()
    builder = appended(entries, strict=True)
    older = [e for e in entries if e.published == min(x.published for x in entries)]
    assert not builder.can_append(older)
    revised = [LedgerEntry(claim=e.claim, item_id=e.item_id, story_id=e.story_id, outlet=e.outlet,
                           published=e.published, status="superseded") for e in entries[:1]]
    assert not builder.can_append(revised)


def test_processing_an_article_never_reloads_the_whole_ledger(db, client, settings, server, monkeypatch):
    """The O(1) promise, checked by what processing asks the database: only the new item's figures."""
    from bot.demo.localserver import Response
    from bot.ingest.pipeline import poll_feed
    from bot.models import FeedConfig
    from tests.conftest import rss

    desk = Desk(db)
    desk.ask("/incident track Kaya attack keywords: kaya since: 2024-08-24")
    feed = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600)
    db["feeds"].insert({"id": "wire", "url": feed.url, "interval_seconds": 600})
    server.routes["/wire.xml"] = Response(rss())
    poll_feed(db, client, feed, settings=settings)  # the backlog
    whole, calls = [], ledger_queries.ledger_entries

    def counting(db_, incident_id, **kwargs):
        if kwargs.get("of_item") is None:
            whole.append(incident_id)
        return calls(db_, incident_id, **kwargs)

    monkeypatch.setattr("bot.incidents.toll_cache.ledger_entries", counting)
    stories = []
    for n in range(1, 31):
        stories.append({"title": f"Kaya attack update {n}", "guid": f"k{n}",
                        "pubDate": (datetime(2024, 8, 25, tzinfo=timezone.utc) + timedelta(hours=n)
                                    ).strftime("%a, %d %b %Y %H:%M:%S GMT"),
                        "description": f"Officials said {10 + n} people were killed in the attack on Kaya."})
        server.routes["/wire.xml"] = Response(rss(*stories))
        poll_feed(db, client, feed, settings=settings, force=True)
        desk.processor.process_pending()
    assert len(whole) <= 1  # the first figure read the (empty) ledger once; every later one only its item
    assert desk.processor.tolls.get(1).toll.get("killed").leading.figure.text == "40"
