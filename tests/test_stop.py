"""Stopping is bounded: running polls finish, queued polls and a pending feeds.yaml reload are dropped."""

import os
import signal
import subprocess
import sys
import threading
import time

from apscheduler.triggers.date import DateTrigger

from bot.demo.localserver import LocalServer, Response
from bot.ingest.scheduler import FeedScheduler
from tests.conftest import REPO, rss

FEEDS = 120
SLOW_SECONDS = 1.5


def slow_feed(index: int):
    body = rss({"title": f"Story {index}", "guid": f"g{index}", "description": "Nothing much happened."})

    def route(request) -> None:
        time.sleep(SLOW_SECONDS)  # a slow publisher: every fetch thread is busy, the rest queue
        request._send(Response(body))
    return route


def test_sigterm_with_many_queued_polls_and_a_pending_reload_exits_at_once_with_status_0(tmp_path):
    with LocalServer({f"/f{i}.xml": slow_feed(i) for i in range(FEEDS)}) as server:
        feeds = tmp_path / "feeds.yaml"
        feeds.write_text("feeds:\n" + "".join(f"  - id: f{i}\n    url: {server.url(f'/f{i}.xml')}\n    interval: 1m\n"
                                              for i in range(FEEDS)))
        env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "INCIDENT_DESK_"))}
        env.update({"INCIDENT_DESK_DB": str(tmp_path / "run.db"), "INCIDENT_DESK_FEEDS": str(feeds),
                    "INCIDENT_DESK_CONCURRENCY": "4", "INCIDENT_DESK_PER_HOST": "4", "INCIDENT_DESK_HOST_GAP": "0"})
        log = open(tmp_path / "bot.log", "w")
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while sum(server.hits.values()) < 8 and time.monotonic() < deadline:  # polls running, many queued
                time.sleep(0.2)
            assert sum(server.hits.values()) >= 8, (tmp_path / "bot.log").read_text()
            stamp = time.time() + 5
            os.utime(feeds, (stamp, stamp))  # a reload pending
            time.sleep(6)  # past the reload check: its job is due, queued behind the polls
            stopped = time.monotonic()
            bot.send_signal(signal.SIGTERM)
            code = bot.wait(timeout=20)
            took = time.monotonic() - stopped
        finally:
            if bot.poll() is None:
                bot.kill()
                bot.wait(timeout=10)
            log.close()
        assert code == 0, (tmp_path / "bot.log").read_text()
        assert took < 20
        polled = sum(server.hits.values())
        assert polled < FEEDS  # the queued ones were dropped, not run after the stop


def test_a_job_that_calls_the_scheduler_while_the_stop_waits_for_it_does_not_hang_the_stop(db, client, settings,
                                                                                            server):
    """APScheduler's own shutdown holds its job-store lock while it waits for running jobs: a running
    job asking the scheduler anything (a reload's get_jobs, a poll's retry) waited for it forever."""
    settings.feeds_path.write_text("feeds: []\n")
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    def running_job() -> None:
        entered.set()
        release.wait(10)
        scheduler.scheduler.get_jobs()  # a reload in progress does this
        finished.set()

    scheduler.start()
    scheduler.scheduler.add_job(running_job, DateTrigger(), id="slow-reload")
    assert entered.wait(10)
    stopper = threading.Thread(target=scheduler.shutdown, daemon=True)
    stopper.start()
    time.sleep(0.3)  # the stop is waiting for the running job
    release.set()
    stopper.join(10)
    assert not stopper.is_alive() and finished.is_set()
