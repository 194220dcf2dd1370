"""Parsing in a pool of processes, storing in the one writer: the same items as one parser, each once,
and a parse process killed mid-poll loses and doubles nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import signal
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from bot.config import load_settings
from bot.demo.localserver import Response
from bot.ingest.fetch import fetch, make_client
from bot.ingest.parse import ParsedFeed
from bot.ingest.parse_pool import ParsePool
from bot.ingest.pipeline import ParseOutcome, parse_fetched, poll_feed, store_parsed
from bot.ingest.poller import poll_all
from bot.ingest.worker import IngestWorker
from bot.models import FeedConfig
from db import open_database
from db.feeds import get_feed_row, sync_file_feeds
from tests.conftest import rss

FEEDS = 6
PER_FEED = 60  # 360 items in all, a third of them copies of another feed's story (same link)
KILL_DIR = "INCIDENT_DESK_TEST_KILL_DIR"


def entries(feed: int, version: int) -> list[dict]:
    """Version 0: PER_FEED items; version 1 revises a few and adds 20 new ones."""
    items = []
    for n in range(PER_FEED + 20 * version):
        shared = n % 3 == 0  # the same wire story in every feed: one story, many items
        # Every other story's text its own (no near copies, whose grouping depends on the order of storing).
        seed = n if shared else feed * 1000 + n
        text = " ".join(hashlib.blake2b(f"{seed}-{w}".encode(), digest_size=4).hexdigest() for w in range(40))
        if version and n % 10 == 1:
            text += " Updated."
        items.append({"title": f"Story {n}" if shared else f"Feed {feed} story {n}", "guid": f"f{feed}-{n}",
                      "link": f"https://wire.example/{n}" if shared else f"https://f{feed}.example/{n}",
                      "description": text})
    return items


def serve(server, version: int) -> list[FeedConfig]:
    feeds = []
    for f in range(FEEDS):
        server.routes[f"/f{f}.xml"] = Response(rss(*entries(f, version), title=f"Feed {f}"))
        feeds.append(FeedConfig(id=f"f{f}", url=server.url(f"/f{f}.xml"), interval_seconds=600))
    return feeds


def stored(db) -> list[tuple]:
    return db.execute("select feed_id, guid, story_id, title, summary from items order by feed_id, guid").fetchall()


def duplicates(db) -> int:
    return db.execute("select count(*) from (select feed_id, guid from items group by feed_id, guid"
                      " having count(*) > 1)").fetchone()[0]


def stories(db) -> set[frozenset]:
    """The items grouped by story, whatever the story ids (concurrent polls store in any order)."""
    groups: dict[int, set] = {}
    for feed_id, guid, story_id in db.execute("select feed_id, guid, story_id from items"):
        groups.setdefault(story_id, set()).add((feed_id, guid))
    return {frozenset(group) for group in groups.values()}


def replay(tmp_path, server, settings, workers: int, *, concurrent: bool):
    """Two versions of every feed through the bot's ingest (parse pool of `workers`, one writer)."""
    path = tmp_path / f"parse-{workers}-{concurrent}.db"
    settings = dataclasses.replace(settings, db_path=path, per_host=8)
    db = open_database(path)
    worker = IngestWorker(path, parse_workers=workers)
    try:
        for version in (0, 1):
            feeds = serve(server, version)
            sync_file_feeds(db, feeds)
            with make_client(settings) as client:
                if concurrent:
                    results = poll_all(db, client, feeds, settings=settings, ingest=worker)
                else:
                    results = [poll_feed(db, client, feed, settings=settings, force=True, ingest=worker)
                               for feed in feeds]
            assert [r.outcome for r in results] == ["new"] * FEEDS, [r.error for r in results]
        assert len(worker.parse_pool.pids()) <= workers
        return db
    finally:
        worker.close()


def test_two_parse_workers_store_the_same_items_as_one_each_once(tmp_path, server, settings):
    one = replay(tmp_path, server, settings, 1, concurrent=False)
    two = replay(tmp_path, server, settings, 2, concurrent=False)
    assert stored(one) == stored(two)  # same guids, same story ids, same revised text
    assert len(stored(two)) == FEEDS * (PER_FEED + 20) and duplicates(two) == 0
    # Side by side (poll_all): stored in any order, so compare how items group into stories.
    both = replay(tmp_path, server, settings, 2, concurrent=True)
    assert {row[:2] for row in stored(both)} == {row[:2] for row in stored(one)}
    assert stories(both) == stories(one) and duplicates(both) == 0
    assert one.execute("select count(*) from item_revisions").fetchone()[0] == \
        both.execute("select count(*) from item_revisions").fetchone()[0] > 0
    for db in (one, two, both):
        db.close()


def parse_until_killed(fetched, **kwargs) -> ParseOutcome:
    """A parse step that waits, once, to be killed: its pid in a file, then waits for the go-ahead."""
    folder = Path(os.environ[KILL_DIR])
    (folder / str(os.getpid())).write_text("")
    deadline = time.monotonic() + 60
    while not (folder / "killed").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return parse_fetched(fetched, **kwargs)


def test_a_parse_process_killed_mid_poll_loses_and_doubles_nothing(tmp_path, server, settings, db, monkeypatch,
                                                                   caplog):
    monkeypatch.setenv(KILL_DIR, str(tmp_path))
    settings = dataclasses.replace(settings, per_host=8)
    feeds = serve(server, 0)
    sync_file_feeds(db, feeds)
    worker = IngestWorker(settings.db_path, parse_pool=ParsePool(2, step=parse_until_killed))
    results = []
    try:
        with make_client(settings) as client, caplog.at_level(logging.ERROR):
            polling = threading.Thread(target=lambda: results.extend(
                poll_all(db, client, feeds, settings=settings, ingest=worker)))
            polling.start()
            deadline = time.monotonic() + 60
            while not list(tmp_path.glob("[0-9]*")) and time.monotonic() < deadline:
                time.sleep(0.02)
            waiting = [int(p.name) for p in tmp_path.glob("[0-9]*")]
            assert waiting, "no parse started"
            first_pids = worker.parse_pool.pids()
            (tmp_path / "killed").write_text("")
            os.kill(waiting[0], signal.SIGKILL)  # mid-poll: its fetch is done, its parse under way
            polling.join(timeout=120)
            assert not polling.is_alive()
            assert "parse process died" in caplog.text
            # Every poll stored (the killed parse, and any beside it on the broken pool, ran again).
            assert sorted(r.outcome for r in results) == ["new"] * FEEDS, [r.error for r in results]
            assert db["items"].count == FEEDS * PER_FEED and duplicates(db) == 0
            assert waiting[0] not in worker.parse_pool.pids() and set(worker.parse_pool.pids()) != set(first_pids)
            # The broken pool's other process (it ignores SIGTERM) is gone too, not left behind.
            broken = {int(p.name) for p in tmp_path.glob("[0-9]*")} - set(worker.parse_pool.pids())
            assert broken and not [pid for pid in broken if Path(f"/proc/{pid}").exists()
                                   and Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"]
            # The next poll works, on the fresh pool: only what is new is stored.
            feeds = serve(server, 1)
            again = poll_all(db, client, feeds, settings=settings, ingest=worker)
            assert [r.outcome for r in again] == ["new"] * FEEDS, [r.error for r in again]
            assert sum(len(r.new_ids) for r in again) == FEEDS * 20
            assert db["items"].count == FEEDS * (PER_FEED + 20) and duplicates(db) == 0
    finally:
        (tmp_path / "killed").write_text("")
        worker.close()


def test_the_writer_parses_again_when_the_block_memory_moved_since_the_parse(db, server, client, settings):
    """A parse given an out-of-date block memory (another poll of the feed stored since) is not trusted."""
    feeds = serve(server, 0)
    sync_file_feeds(db, feeds)
    feed = feeds[0]
    assert poll_feed(db, client, feed, settings=settings).outcome == "new"
    server.routes["/f0.xml"] = Response(rss(*entries(0, 1), title="Feed 0"))
    fetched = fetch(client, feed.url, settings=settings)
    stale = ParseOutcome(parsed=ParsedFeed(title="Feed 0", lang=None, items=[]), memory=("stale", b""))
    result = store_parsed(db, feed, get_feed_row(db, feed.id), fetched, {}, stale, started="2026-01-01T00:00:00Z",
                          now=datetime.now(timezone.utc), settings=settings)
    assert result.outcome == "new" and len(result.new_ids) == 20
    assert db.execute("select count(*) from items where feed_id = 'f0'").fetchone()[0] == PER_FEED + 20


def test_parse_workers_comes_from_the_environment():
    assert load_settings(environ={}).parse_workers == max(1, os.cpu_count() or 1)
    assert load_settings(environ={"INCIDENT_DESK_PARSE_WORKERS": "3"}).parse_workers == 3
    assert load_settings(environ={"INCIDENT_DESK_PARSE_WORKERS": "0"}).parse_workers == 1


def test_a_packed_parse_is_bytes_that_unpack_to_the_same_outcome():
    """The bot's own process only passes a packed parse on (pickled in the parse process, unpickled by the writer)."""
    from bot.ingest.fetch import FetchResult
    from bot.ingest.parse_pool import unpack

    fetched = FetchResult(status="ok", body=rss(*entries(0, 0), title="Feed 0"), http_status=200,
                          final_url="https://f0.example/feed.xml")
    now = datetime(2024, 9, 17, tzinfo=timezone.utc)
    with ParsePool(1) as pool:
        plain = pool.parse(fetched, feed_id="p", lang=None, now=now, memory=None)
        packed = pool.parse(fetched, feed_id="p", lang=None, now=now, memory=None, packed=True)
    assert isinstance(packed, bytes) and unpack(plain) is plain
    assert [i.guid for i in unpack(packed).parsed.items] == [i.guid for i in plain.parsed.items]
    assert len(plain.parsed.items) == PER_FEED
