"""Per-host politeness of feed polls: settings.per_host at a time per host, settings.host_gap apart,
other hosts never held up, and a turn that never comes ends cleanly (bot/ingest/politeness.py)."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import datetime, timezone

import pytest

from bot.config import load_settings
from bot.demo.localserver import LocalServer, Response
from bot.ingest.pipeline import poll_feed
from bot.ingest.poller import interleave_hosts, poll_all
from bot.ingest.politeness import Politeness, feed_turn
from bot.ingest.scheduler import FeedScheduler, retry_id
from bot.models import FeedConfig
from db.feeds import recent_polls, sync_file_feeds
from tests.conftest import rss

STORY = {"title": "Attack in Bamako", "link": "https://example.org/a", "guid": "a-1",
         "pubDate": "Tue, 17 Sep 2024 08:00:00 GMT", "description": "Gunmen attacked."}


class Timed:
    """A route that answers after `hold` seconds and records when each request began and ended."""

    def __init__(self, hold: float, log: list, lock: threading.Lock):
        self.hold, self.log, self.lock = hold, log, lock

    def __call__(self, request):
        began = time.monotonic()
        time.sleep(self.hold)
        request._send(Response(rss(STORY)))
        with self.lock:
            self.log.append((request.path, began, time.monotonic()))


@pytest.fixture
def gates():
    return Politeness()  # each test its own: no host state leaks from one test to the next


def feeds_on(server, *names, log, lock, hold=0.3) -> list[FeedConfig]:
    feeds = []
    for name in names:
        server.routes[f"/{name}"] = Timed(hold, log, lock)
        feeds.append(FeedConfig(id=name, url=server.url(f"/{name}"), interval_seconds=600))
    return feeds


def test_settings_come_from_the_environment():
    settings = load_settings(db="x.db", feeds="f.yaml", environ={"INCIDENT_DESK_PER_HOST": "3",
                                                                 "INCIDENT_DESK_HOST_GAP": "1.5"})
    assert (settings.per_host, settings.host_gap) == (3, 1.5)
    default = load_settings(db="x.db", feeds="f.yaml", environ={})
    assert (default.per_host, default.host_gap) == (2, 0.5)


@pytest.mark.timeout(30)
def test_with_one_turn_per_host_two_feeds_never_overlap(db, client, settings, server, gates):
    log, lock = [], threading.Lock()
    feeds = feeds_on(server, "one", "two", "three", log=log, lock=lock)
    sync_file_feeds(db, feeds)
    one_at_a_time = dataclasses.replace(settings, per_host=1, host_gap=0.0, max_concurrent_fetches=4)
    results = poll_all(db, client, feeds, settings=one_at_a_time, politeness=gates)
    assert sorted(r.outcome for r in results) == ["new", "new", "new"]
    assert len(log) == 3
    spans = sorted((began, ended) for _, began, ended in log)
    for (_, ended), (began, _) in zip(spans, spans[1:]):
        assert began >= ended - 0.01, f"overlapping requests to one host: {spans}"


@pytest.mark.timeout(30)
def test_two_turns_per_host_do_overlap(db, client, settings, server, gates):
    """The counterpart: with per_host=2 two polls of one host do run at once (the gate is not serial)."""
    log, lock = [], threading.Lock()
    feeds = feeds_on(server, "one", "two", log=log, lock=lock, hold=0.5)
    sync_file_feeds(db, feeds)
    two = dataclasses.replace(settings, per_host=2, host_gap=0.0, max_concurrent_fetches=4)
    started = time.monotonic()
    poll_all(db, client, feeds, settings=two, politeness=gates)
    assert time.monotonic() - started < 0.95  # two 0.5 s requests side by side, not one after the other
    (_, b1, e1), (_, b2, e2) = sorted(log, key=lambda entry: entry[1])
    assert b2 < e1


@pytest.mark.timeout(30)
def test_with_a_gap_two_requests_to_one_host_are_at_least_the_gap_apart(db, client, settings, server, gates):
    gap = 0.4
    log, lock = [], threading.Lock()
    feeds = feeds_on(server, "one", "two", "three", log=log, lock=lock, hold=0.0)
    sync_file_feeds(db, feeds)
    spaced = dataclasses.replace(settings, per_host=2, host_gap=gap, max_concurrent_fetches=4)
    poll_all(db, client, feeds, settings=spaced, politeness=gates)
    starts = sorted(began for _, began, _ in log)
    assert len(starts) == 3
    gaps = [later - earlier for earlier, later in zip(starts, starts[1:])]
    assert min(gaps) >= gap - 0.05, gaps


@pytest.mark.timeout(30)
def test_a_feed_on_another_host_is_not_held_up_by_a_busy_one(db, client, settings, server, gates):
    log, lock = [], threading.Lock()
    busy = feeds_on(server, "b1", "b2", "b3", "b4", log=log, lock=lock, hold=0.6)
    with LocalServer() as other:  # another port: another host
        quick = feeds_on(other, "quick", log=log, lock=lock, hold=0.0)
        feeds = [*busy, *quick]  # the quick one last: only the interleaving lets it by
        assert [f.id for f in interleave_hosts(feeds)][:2] == ["b1", "quick"]
        sync_file_feeds(db, feeds)
        one = dataclasses.replace(settings, per_host=1, host_gap=0.0, max_concurrent_fetches=2)
        started = time.monotonic()
        finished = {}
        poll_all(db, client, feeds, settings=one, politeness=gates,
                 on_result=lambda r: finished.setdefault(r.feed_id, time.monotonic() - started))
    assert finished["quick"] < 0.5, finished  # not behind the busy host's 4 x 0.6 s
    assert max(finished.values()) >= 4 * 0.6 - 0.05  # the busy host's polls did go one at a time


@pytest.mark.timeout(20)
def test_a_turn_that_never_comes_times_out_cleanly(db, client, settings, server, gates):
    server.routes["/late"] = Response(rss(STORY))
    late = FeedConfig(id="late", url=server.url("/late"), interval_seconds=600)
    sync_file_feeds(db, [late])
    one = dataclasses.replace(settings, per_host=1, host_gap=0.0)
    holder_in, release = threading.Event(), threading.Event()

    def hold_the_only_turn():
        with gates.turn(late.url, delay=0.0, deadline=time.monotonic() + 5, slots=1) as granted:
            assert granted
            holder_in.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_only_turn)
    holder.start()
    try:
        assert holder_in.wait(5)
        started = time.monotonic()
        turn = feed_turn(one, deadline=started + 0.4, politeness=gates)
        result = poll_feed(db, client, late, settings=one, force=True, turn=turn)
        waited = time.monotonic() - started
        assert result.outcome == "host_busy" and "no free turn" in result.error
        assert 0.35 <= waited < 2.0, waited
        assert server.hits.get("/late", 0) == 0  # nothing was sent
        assert recent_polls(db, "late") == []  # and nothing recorded: it was not a poll
        # A thread beyond max_waiting does not wait at all.
        started = time.monotonic()
        with gates.turn(late.url, delay=0.0, deadline=started + 5, slots=1, max_waiting=0) as granted:
            assert granted is False
        assert time.monotonic() - started < 0.2
    finally:
        release.set()
        holder.join(5)
    # The turn is free again: the same poll now goes through.
    result = poll_feed(db, client, late, settings=one, force=True,
                       turn=feed_turn(one, deadline=time.monotonic() + 2, politeness=gates))
    assert result.outcome == "new" and server.hits["/late"] == 1


@pytest.mark.timeout(20)
def test_the_scheduler_retries_a_poll_its_host_had_no_turn_for(db, client, settings, server, gates):
    server.routes["/late"] = Response(rss(STORY))
    late = FeedConfig(id="late", url=server.url("/late"), interval_seconds=600)
    sync_file_feeds(db, [late])
    one = dataclasses.replace(settings, per_host=1, host_gap=0.0)
    polled = []
    scheduler = FeedScheduler(db, client, one, on_poll=polled.append, politeness=gates)
    with gates.turn(late.url, delay=0.0, deadline=time.monotonic() + 5, slots=1) as granted:
        assert granted
        # Another thread already waits for the host: this poll does not wait, it is put off.
        gates._host("http://127.0.0.1:%d" % server.port).waiting += 1
        try:
            started = time.monotonic()
            scheduler._poll(late)
            assert time.monotonic() - started < 1.0
        finally:
            gates._host("http://127.0.0.1:%d" % server.port).waiting -= 1
    assert polled == [] and server.hits.get("/late", 0) == 0
    retry = scheduler.scheduler.get_job(retry_id("late"))
    assert retry is not None, "a poll its host had no turn for must be tried again"
    assert retry.args[0] == late
    # The retry polls it, now that the host is free (run here by hand: the scheduler is not started).
    retry.remove()
    scheduler._retry(*retry.args)
    assert [r.outcome for r in polled] == ["new"] and server.hits["/late"] == 1
    # Its regular turn cancels a pending retry: one poll, not two.
    scheduler._retry_later(late, time.monotonic() + 600)
    assert scheduler.scheduler.get_job(retry_id("late")) is not None
    scheduler._cancel_retry(late)
    assert scheduler.scheduler.get_job(retry_id("late")) is None and scheduler._deferred == {}


def test_a_retry_never_outlives_the_interval(db, client, settings, server, gates, caplog):
    late = FeedConfig(id="late", url=server.url("/late"), interval_seconds=600)
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None, politeness=gates)
    scheduler._retry_later(late, time.monotonic() + 0.5)  # its next turn is sooner than any retry
    assert scheduler.scheduler.get_job(retry_id("late")) is None
    assert "no free turn for a whole interval" in caplog.text
