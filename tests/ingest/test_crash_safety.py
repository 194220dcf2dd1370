"""Killing the process in the middle of a poll loses no item and stores none twice on the next run."""

import os
import signal
import subprocess
import sys
import time

from bot.demo.localserver import Response
from db import open_database
from tests.conftest import REPO, rss

ENTRIES = 3000


def big_feed() -> bytes:
    return rss(*({"title": f"Story {n}", "guid": f"g{n}", "link": f"https://news.example/{n}",
                  "description": f"Report number {n} from the desk. " * 5} for n in range(ENTRIES)))


def test_sigkill_at_any_moment_of_a_poll_then_a_clean_poll_stores_every_item_once(tmp_path, server):
    server.routes["/big.xml"] = Response(big_feed())
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - id: big\n    url: {server.url('/big.xml')}\n    interval: 1m\n")
    db_path = tmp_path / "crash.db"
    env = {**os.environ, "INCIDENT_DESK_DB": str(db_path), "INCIDENT_DESK_FEEDS": str(feeds)}
    command = [sys.executable, "-m", "bot", "poll", "--once"]
    # Kill at several moments: before the fetch, while parsing, while storing.
    for delay in (0.3, 0.8, 1.2, 1.6, 2.2):
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        check = open_database(db_path)
        stored = check["items"].count
        assert stored in (0, ENTRIES), "a poll was half-written"
        check.close()
    finished = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    db = open_database(db_path)
    assert db["items"].count == ENTRIES
    (row,) = db.query("select count(distinct guid) as distinct_guids from items")
    assert row["distinct_guids"] == ENTRIES


def test_sigkill_of_the_running_bot_and_its_worker_then_a_restart_stores_every_item_once(tmp_path, server):
    server.routes["/big.xml"] = Response(big_feed())
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - id: big\n    url: {server.url('/big.xml')}\n    interval: 1m\n")
    db_path = tmp_path / "run.db"
    env = {**os.environ, "INCIDENT_DESK_DB": str(db_path), "INCIDENT_DESK_FEEDS": str(feeds)}
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"):
        env.pop(name, None)
    for delay in (1.5, 3.0):
        # its own process group, so the kill takes the ingest worker down too, as a crash of the machine would
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.killpg(bot.pid, signal.SIGKILL)
        bot.wait(timeout=10)
        check = open_database(db_path)
        assert check["items"].count in (0, ENTRIES), "a poll was half-written"
        check.close()
    finished = subprocess.run([sys.executable, "-m", "bot", "poll", "--once"], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    db = open_database(db_path)
    (row,) = db.query("select count(*) as n, count(distinct guid) as guids from items")
    assert row["n"] == row["guids"] == ENTRIES
