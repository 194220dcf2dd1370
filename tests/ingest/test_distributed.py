"""Distributed mode: `python -m bot run` queues its polls on a real Redis, `python -m bot worker` processes
fetch and parse them, the bot stores each poll once; a worker killed mid-poll loses and doubles nothing."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import contextmanager

import pytest

from bot.demo.localserver import LocalServer, Response
from bot.models import FeedConfig
from tests.conftest import REPO, rss
from tests.test_service import free_port

HEARTBEAT = 2  # seconds: a killed worker's polls move to another within about 2.5 s
ITEMS = 5


def feed_body(name: str) -> bytes:
    return rss(*({"title": f"{name} story {n}", "link": f"https://example.org/{name}/{n}", "guid": f"{name}-{n}",
                  "description": f"Item {n} of {name}."} for n in range(ITEMS)), title=name)


def wait_until(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")


@pytest.fixture
def redis_url(tmp_path):
    """A private redis-server on a free 127.0.0.1 port, no persistence, gone after the test."""
    import shutil

    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (Debian package redis-server)")
    import redis

    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url, socket_connect_timeout=1)

    def answers() -> bool:
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    try:
        wait_until(answers, timeout=20, what="redis-server to answer")
        yield url
    finally:
        client.close()
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


class Cluster:
    """The bot (the writer) and workers, as processes, on one feeds.yaml; every process ended after the test."""

    def __init__(self, tmp_path, redis_url: str, server: LocalServer):
        self.tmp, self.server = tmp_path, server
        self.db_path = tmp_path / "bot.db"
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "INCIDENT_DESK_"))}
        self.env.update({"INCIDENT_DESK_DB": str(self.db_path), "INCIDENT_DESK_FEEDS": str(tmp_path / "feeds.yaml"),
                         "INCIDENT_DESK_QUEUE_URL": redis_url, "INCIDENT_DESK_QUEUE_HEARTBEAT": str(HEARTBEAT),
                         "INCIDENT_DESK_HOST_GAP": "0", "INCIDENT_DESK_PER_HOST": "8",
                         "INCIDENT_DESK_PARSE_WORKERS": "1"})
        self.processes: list[subprocess.Popen] = []
        self.bot_log = tmp_path / "bot.log"

    def feeds(self, names: list[str]) -> None:
        lines = ["defaults:", "  interval: 5m", "feeds:"]
        for name in names:
            lines += [f"  - id: {name}", f"    url: {self.server.url(f'/{name}.xml')}"]
        (self.tmp / "feeds.yaml").write_text("\n".join(lines) + "\n")

    def start(self, *args: str, log) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=REPO, env=self.env, stdout=log,
                                   stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def start_bot(self) -> subprocess.Popen:
        bot = self.start("run", log=open(self.bot_log, "w"))
        wait_until(lambda: "polling" in self.bot_log.read_text() or bot.poll() is not None, timeout=60,
                   what="the bot to start")
        assert bot.poll() is None, self.bot_log.read_text()
        return bot

    def start_worker(self, name: str) -> subprocess.Popen:
        log_path = self.tmp / f"{name}.log"
        worker = self.start("worker", "--threads", "2", log=open(log_path, "w"))
        wait_until(lambda: "taking polls" in log_path.read_text() or worker.poll() is not None, timeout=60,
                   what=f"worker {name} to start")
        assert worker.poll() is None, log_path.read_text()
        return worker

    def query(self, sql: str, *params) -> list[tuple]:
        if not self.db_path.exists():
            return []
        with sqlite3.connect(self.db_path, timeout=10) as conn:
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError:  # not migrated yet
                return []

    def succeeded(self, name: str) -> bool:
        return bool(self.query("select 1 from feeds where id = ? and last_success_at is not null", name))

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def cluster(tmp_path, redis_url, server):
    running = Cluster(tmp_path, redis_url, server)
    try:
        yield running
    finally:
        running.close()


def assert_stored_once(c: Cluster, name: str) -> None:
    """The feed's items once each, one poll that brought them, and every stored poll claimed once."""
    assert c.query("select count(*), max(revision) from items where feed_id = ?", name) == [(ITEMS, 1)]
    assert c.query("select count(*) from polls where feed_id = ? and outcome = 'new'", name) == [(1,)]
    polls = c.query("select count(*) from polls where feed_id = ?", name)[0][0]
    claimed = c.query("select count(*), count(distinct poll_id) from remote_polls where feed_id = ?", name)
    assert claimed == [(polls, polls)]


def test_feeds_polled_through_the_queue_by_two_workers_are_stored_once_with_their_health(tmp_path, redis_url):
    names = [f"feed{n:02d}" for n in range(12)]
    with LocalServer({f"/{name}.xml": Response(feed_body(name)) for name in names}) as server, \
            cluster(tmp_path, redis_url, server) as c:
        c.feeds(names)
        bot = c.start_bot()
        c.start_worker("a"), c.start_worker("b")
        wait_until(lambda: all(c.succeeded(name) for name in names), timeout=90, what="every feed's first poll")
        for name in names:
            assert_stored_once(c, name)
            assert server.hits[f"/{name}.xml"] >= 1
        health = c.query("select count(*) from feeds where last_polled_at is not null and consecutive_failures = 0"
                         " and body_hash is not null and etag is not null")
        assert health == [(len(names),)]
        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=60) == 0


def test_a_worker_killed_mid_poll_loses_and_doubles_nothing(tmp_path, redis_url):
    asked, release = threading.Event(), threading.Event()
    body = feed_body("stalled")

    def stalled(request) -> None:  # the first request hangs until the test lets it go; later ones answer at once
        asked.set()
        release.wait(timeout=60)
        request.send_response(200)
        request.send_header("Content-Type", "application/rss+xml")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    with LocalServer({"/stalled.xml": stalled, "/calm.xml": Response(feed_body("calm"))}) as server, \
            cluster(tmp_path, redis_url, server) as c:
        c.feeds(["stalled", "calm"])
        c.start_bot()
        first = c.start_worker("first")
        wait_until(asked.is_set, timeout=60, what="the worker to ask for the stalled feed")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        release.set()
        assert not c.succeeded("stalled")
        c.start_worker("second")
        wait_until(lambda: c.succeeded("stalled") and c.succeeded("calm"), timeout=60,
                   what="the killed worker's poll to be done by the other")
        assert server.hits["/stalled.xml"] == 2  # fetched again by the second worker...
        assert_stored_once(c, "stalled")  # ...and stored once
        assert_stored_once(c, "calm")


def test_a_result_delivered_twice_is_stored_once(tmp_path, redis_url):
    """A writer killed after committing a result and before acknowledging it gets it again: skipped."""
    from bot.config import load_settings
    from bot.ingest.poll_queue import STORED, PollOrder, PollQueue
    from bot.ingest.remote_worker import PollWorker

    with LocalServer({"/twice.xml": Response(feed_body("twice"))}) as server, \
            cluster(tmp_path, redis_url, server) as c:
        c.feeds(["twice"])
        c.start_bot()  # no worker: the bot's own poll of the feed waits in "polls"
        settings = load_settings(environ=c.env)
        queue = PollQueue(settings)
        worker = PollWorker(settings, queue=queue)
        try:
            feed = FeedConfig(id="twice", url=server.url("/twice.xml"), interval_seconds=300)
            done = worker.poll(PollOrder("the-same-poll", feed, row={}, memory=None))
            assert done.kind == "changed"
            queue.send_done(done)
            queue.send_done(done)
            wait_until(lambda: "came back again; stored once" in c.bot_log.read_text(), timeout=60,
                       what="the second delivery to be skipped")
            assert queue.waiting(STORED) == 0
        finally:
            worker.close()
        assert_stored_once(c, "twice")
        assert c.query("select poll_id from remote_polls") == [("the-same-poll",)]


def test_store_remote_skips_a_poll_id_it_stored_before(db, settings, server, client):
    """The same check without Redis: the claim and the store are one transaction in the writer."""
    from bot.ingest.poll_queue import PollOrder
    from bot.ingest.politeness import Politeness
    from bot.ingest.remote_store import store_remote
    from bot.ingest.remote_worker import fetch_and_parse
    from db.feeds import sync_file_feeds

    server.routes["/once.xml"] = Response(feed_body("once"))
    feed = FeedConfig(id="once", url=server.url("/once.xml"), interval_seconds=300)
    sync_file_feeds(db, [feed])
    done = fetch_and_parse(PollOrder("p1", feed, row={}, memory=None), client=client, settings=settings,
                           politeness=Politeness())
    first = store_remote(db, done, settings=settings)
    assert first.outcome == "new" and len(first.new_ids) == ITEMS
    assert store_remote(db, dataclasses.replace(done), settings=settings) is None
    assert db.execute("select count(*) from items").fetchone() == (ITEMS,)
    assert db.execute("select count(*) from polls").fetchone() == (1,)


def test_a_result_queued_an_hour_ago_is_refused_as_stale_and_old_claims_are_forgotten(db, settings, server,
                                                                                       client, monkeypatch):
    """Claims are kept for a bounded time (the table would grow by every poll of every feed): a result older
    than that is not stored (the feed's state is untouched, so its next poll fetches the items again)."""
    from bot.ingest import remote_store
    from bot.ingest.poll_queue import PollOrder
    from bot.ingest.politeness import Politeness
    from bot.ingest.remote_worker import fetch_and_parse
    from db.feeds import sync_file_feeds

    server.routes["/late.xml"] = Response(feed_body("late"))
    feed = FeedConfig(id="late", url=server.url("/late.xml"), interval_seconds=300)
    sync_file_feeds(db, [feed])
    done = fetch_and_parse(PollOrder("p-late", feed, row={}, memory=None), client=client, settings=settings,
                           politeness=Politeness())
    stale = dataclasses.replace(done, enqueued_at=done.enqueued_at - remote_store.STALE_SECONDS - 5)
    assert remote_store.store_remote(db, stale, settings=settings) is None
    assert db.execute("select count(*) from items").fetchone() == (0,)
    with db.conn:
        db.conn.execute("insert into remote_polls values ('old', 'late', '2020-01-01T00:00:00Z')")
    monkeypatch.setattr(remote_store, "_stored", 0)  # the next store cleans up
    assert remote_store.store_remote(db, done, settings=settings).outcome == "new"
    assert [r[0] for r in db.execute("select poll_id from remote_polls")] == ["p-late"]


def test_a_worker_without_a_reachable_queue_exits_saying_why(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCIDENT_DESK_")}
    unset = subprocess.run([sys.executable, "-m", "bot", "worker"], cwd=REPO, env=env, capture_output=True, text=True,
                           timeout=60)
    assert unset.returncode == 2
    assert "INCIDENT_DESK_QUEUE_URL is not set" in unset.stderr
    env["INCIDENT_DESK_QUEUE_URL"] = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    unreachable = subprocess.run([sys.executable, "-m", "bot", "worker"], cwd=REPO, env=env, capture_output=True,
                                 text=True, timeout=60)
    assert unreachable.returncode == 2
    assert "cannot reach the queue at redis://127.0.0.1:" in unreachable.stderr
