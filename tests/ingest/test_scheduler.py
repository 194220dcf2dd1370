"""The scheduler: one job per feed, feeds.yaml changes picked up live, a clean stop on SIGTERM."""

import os
import signal
import subprocess
import sys
import time

from bot.demo.localserver import Response
from bot.ingest.scheduler import FeedScheduler
from tests.conftest import REPO, rss


def write_feeds(path, server, *ids, interval="1m"):
    body = "feeds:\n" + "".join(f"  - id: {i}\n    url: {server.url('/' + i + '.xml')}\n    interval: {interval}\n"
                                for i in ids)
    path.write_text(body)
    stamp = time.time() + len(ids)  # a distinct mtime even within one second
    os.utime(path, (stamp, stamp))


def feed_jobs(scheduler):
    return {job.id: job for job in scheduler.scheduler.get_jobs() if job.id.startswith("feed:")}


def test_one_job_per_feed_with_stable_ids_and_no_overlap(db, client, settings, server):
    write_feeds(settings.feeds_path, server, "a", "b")
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    scheduler.scheduler.start(paused=True)
    try:
        scheduler.reload_feeds(initial=True)
        jobs = feed_jobs(scheduler)
        assert sorted(jobs) == ["feed:a", "feed:b"]
        assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())
        assert jobs["feed:a"].trigger.interval.total_seconds() == 60
    finally:
        scheduler.scheduler.shutdown(wait=False)


def test_feeds_yaml_edits_are_picked_up_and_a_broken_edit_keeps_the_schedule(db, client, settings, server, caplog):
    write_feeds(settings.feeds_path, server, "a", "b")
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    scheduler.scheduler.start(paused=True)
    try:
        scheduler.reload_feeds(initial=True)
        write_feeds(settings.feeds_path, server, "a", "c", interval="2m")
        scheduler.reload_feeds()
        jobs = feed_jobs(scheduler)
        assert sorted(jobs) == ["feed:a", "feed:c"]
        assert jobs["feed:a"].trigger.interval.total_seconds() == 120
        settings.feeds_path.write_text("feeds:\n  - id: a\n    url: nowhere\n")
        os.utime(settings.feeds_path, (time.time() + 60, time.time() + 60))
        scheduler.reload_feeds()
        assert sorted(feed_jobs(scheduler)) == ["feed:a", "feed:c"]
        assert "invalid; keeping the current feeds" in caplog.text
        removed = db["feeds"].get("b")
        assert removed["removed_at"] and not removed["enabled"]  # kept for history, no longer polled
    finally:
        scheduler.scheduler.shutdown(wait=False)


def test_the_scheduler_polls_each_feed_and_reports_each_poll(db, client, settings, server):
    server.routes["/a.xml"] = Response(rss({"title": "One", "guid": "1"}))
    server.routes["/b.xml"] = Response(b"<html>not a feed</html>", content_type="text/html")
    write_feeds(settings.feeds_path, server, "a", "b")
    seen = []
    scheduler = FeedScheduler(db, client, settings, on_poll=seen.append)
    scheduler.start()
    try:
        deadline = time.monotonic() + 20
        while len({r.feed_id for r in seen}) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        scheduler.shutdown()
    outcomes = {r.feed_id: r.outcome for r in seen}
    assert outcomes == {"a": "new", "b": "error"}


def test_sigterm_stops_the_bot_cleanly(tmp_path, server):
    server.routes["/a.xml"] = Response(rss({"title": "Breaking: attack reported", "guid": "1"}))
    feeds = tmp_path / "feeds.yaml"
    write_feeds(feeds, server, "a")
    env = {**os.environ, "INCIDENT_DESK_DB": str(tmp_path / "run.db"), "INCIDENT_DESK_FEEDS": str(feeds)}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "Breaking: attack reported" in line:
                break
        assert any("NEW" in line and "Breaking" in line for line in lines), lines
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_phases_come_from_the_feed_id_and_survive_a_restart(db, client, settings, server):
    from bot.ingest.scheduler import phase_seconds

    ids = [f"feed-{n}" for n in range(300)]
    phases = [phase_seconds(i, 300) for i in ids]
    assert phases == [phase_seconds(i, 300) for i in ids]  # the same in every process (not Python's hash())
    per_minute = [sum(1 for p in phases if m * 60 <= p < (m + 1) * 60) for m in range(5)]
    assert min(per_minute) >= 40  # spread over the interval, not bunched
    write_feeds(settings.feeds_path, server, "a")
    db["feeds"].insert({"id": "a", "url": server.url("/a.xml"), "interval_seconds": 60,
                        "last_polled_at": "2024-01-01T00:00:00Z"}, replace=True)
    runs = []
    for _ in range(2):  # two processes' worth of schedulers
        scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
        scheduler.scheduler.start(paused=True)
        scheduler.reload_feeds(initial=True)
        runs.append(feed_jobs(scheduler)["feed:a"].next_run_time.timestamp() % 60)
        scheduler.scheduler.shutdown(wait=False)
    assert round(runs[0]) == round(runs[1]) == phase_seconds("a", 60)


def test_a_first_poll_of_many_new_feeds_reports_progress_every_tenth(db, client, settings, server, caplog):
    import logging

    ids = [f"f{n:02d}" for n in range(30)]
    for feed_id in ids:
        server.routes[f"/{feed_id}.xml"] = Response(rss({"title": f"Story of {feed_id}", "guid": feed_id}))
    write_feeds(settings.feeds_path, server, *ids)
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    scheduler.scheduler.start(paused=True)
    try:
        scheduler.reload_feeds(initial=True)
        with caplog.at_level(logging.INFO, logger="bot.ingest.scheduler"):
            for job in sorted(feed_jobs(scheduler).values(), key=lambda j: j.id):
                scheduler._poll(job.args[0])  # what the scheduler's threads do, one by one
    finally:
        scheduler.scheduler.shutdown(wait=False)
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("first poll:")]
    assert lines[0] == "first poll: 3 of 30 new feed(s) polled" and lines[-1] == "first poll: 30 of 30 new feed(s) polled"
    assert len(lines) == 10


def test_a_first_poll_of_a_few_new_feeds_says_nothing_more():
    from bot.ingest.scheduler import FirstRound

    round_ = FirstRound()
    for feed_id in ("a", "b", "c"):
        round_.add(feed_id)
    assert [round_.polled(f) for f in ("a", "b", "c", "a")] == [None, None, None, None]


def test_a_new_feeds_first_poll_is_a_one_off_and_its_turns_keep_their_phase(db, client, settings, server):
    """Moving a new feed's turns to its first poll bunched every new feed's turns into those few seconds."""
    from datetime import datetime, timedelta, timezone

    from bot.ingest.scheduler import NEW_FEED_SPREAD_SECONDS, phase_seconds

    ids = [f"n{i:02d}" for i in range(40)]
    write_feeds(settings.feeds_path, server, *ids, interval="5m")
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    scheduler.scheduler.start(paused=True)
    try:
        now = datetime.now(timezone.utc)
        scheduler.reload_feeds(initial=True)
        jobs = {job.id: job for job in scheduler.scheduler.get_jobs()}
    finally:
        scheduler.scheduler.shutdown(wait=False)
    soon = now + timedelta(seconds=NEW_FEED_SPREAD_SECONDS + 1)
    for feed_id in ids:
        turn = jobs[f"feed:{feed_id}"].next_run_time
        assert round(turn.timestamp()) % 300 == phase_seconds(feed_id, 300)  # its phase, new or not
        first = jobs.get(f"first:{feed_id}")
        assert (first.next_run_time <= soon) if first else (turn <= soon + timedelta(seconds=30))
    assert sum(f"first:{i}" in jobs for i in ids) >= 30


def test_a_turn_that_came_due_before_a_new_feeds_first_poll_is_skipped_and_the_next_polls(db, client, settings,
                                                                                           server):
    """Many new feeds' first polls take minutes; the turns that came due meanwhile would poll them all again."""
    server.routes["/a.xml"] = Response(rss({"title": "One", "guid": "1"}))
    write_feeds(settings.feeds_path, server, "a", interval="5m")
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    scheduler.scheduler.start(paused=True)
    try:
        scheduler.reload_feeds(initial=True)
        feed = feed_jobs(scheduler)["feed:a"].args[0]
        scheduler._first_poll(feed)
        assert server.hits["/a.xml"] == 1
        scheduler._poll(feed)  # its regular turn, queued behind the first polls: came due before that poll
        assert server.hits["/a.xml"] == 1
        scheduler._poll(feed)  # a later turn polls
        assert server.hits["/a.xml"] == 2
    finally:
        scheduler.scheduler.shutdown(wait=False)
