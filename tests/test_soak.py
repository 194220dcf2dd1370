"""Soak: the running bot under hostile feeds, a slow and failing Slack and bad requests, all at once.

Bounded to about two minutes. Asserts what the README promises: every item stored once, every
story served reaching the incident, every alert posted once or held with a reason, memory bounded,
and a clean stop.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from bot.demo.localserver import LocalServer, Response
from db import open_database
from tests.conftest import REPO, SHARED_CORPUS, rss
from tests.slack.fakeslack import FakeSlack
from tests.slack.slack_requests import SECRET, post, signed_headers, slash_command
from tests.test_service import free_port, wait_until, _healthy

CHANNEL = "C0MALIDESK1"
SOAK_SECONDS = 75
HOSTILE = SHARED_CORPUS / "feeds-robustness"


def hostile_bodies(count: int) -> list[bytes]:
    """A seeded sample of the corpus's parser-breaking feeds (or a few made here when it is absent)."""
    if HOSTILE.exists():
        files = sorted(p for p in HOSTILE.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
        return [p.read_bytes() for p in random.Random(5).sample(files, min(count, len(files)))]
    return [b"<rss><channel><item><title>unclosed", b"\x00\xff garbage", b"<html>not a feed</html>",
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">]><r>&a;&a;</r>']


def wire_story(n: int) -> dict:
    when = datetime(2024, 9, 17, 9, tzinfo=timezone.utc) + timedelta(minutes=n)
    return {"title": f"Bamako attack update {n}", "guid": f"wire-{n}", "link": f"https://wire.example/{n}",
            "pubDate": when.strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "description": f"Officials said {70 + n} people were killed in the attack in Bamako, update {n}."}


def rss_of_bytes(rss_doc: bytes) -> Response:
    return Response(rss_doc)


def test_the_bot_survives_hostile_feeds_a_slow_slack_and_bad_requests_at_once(tmp_path):
    with FakeSlack() as slack, LocalServer() as feeds:
        slack.add_channel(CHANNEL, "mali-desk")
        bodies = hostile_bodies(30)
        lines = ["feeds:"]
        for n, body in enumerate(bodies):
            feeds.routes[f"/hostile-{n}.xml"] = Response(body, content_type="application/xml")
            lines += [f"  - id: hostile-{n}", f"    url: {feeds.url(f'/hostile-{n}.xml')}", "    interval: 30s"]
        lines += ["  - id: wire", f"    url: {feeds.url('/wire.xml')}", "    interval: 30s"]
        (tmp_path / "feeds.yaml").write_text("\n".join(lines) + "\n")
        served = [wire_story(0)]
        feeds.routes["/wire.xml"] = Response(rss(*served))
        port = free_port()
        env = {**os.environ, "INCIDENT_DESK_DB": str(tmp_path / "bot.db"),
               "INCIDENT_DESK_FEEDS": str(tmp_path / "feeds.yaml"), "SLACK_BOT_TOKEN": "xoxb-test",
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url, "PORT": str(port)}
        env.pop("SLACK_APP_TOKEN", None)
        subprocess.run([sys.executable, "-m", "bot", "ask", "/incident track Bamako attacks keywords: bamako "
                        "since: 2024-09-17 channel: #mali-desk"], cwd=REPO, env=env, check=True, timeout=120,
                       capture_output=True)
        log = open(tmp_path / "bot.log", "w")
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, stdout=log, stderr=log)
        stop = threading.Event()
        attacks = {"sent": 0}

        def bad_requests():
            """Unsigned bodies, stale and replayed signatures, oversized bodies: all refused, none acted on."""
            url = f"http://127.0.0.1:{port}/slack/events"
            body = slash_command("/feeds", "pause wire", user="U0STRANGER", response_url="http://127.0.0.1:9/")
            replayed = signed_headers(body)
            for n in range(200):  # bounded
                if stop.is_set():
                    return
                try:
                    kind = n % 4
                    if kind == 0:
                        httpx.post(url, content=body, headers={"X-Slack-Signature": "v0=bad",
                                                               "X-Slack-Request-Timestamp": str(int(time.time()))},
                                   timeout=5, trust_env=False)
                    elif kind == 1:
                        httpx.post(url, content=body, headers=replayed, timeout=5, trust_env=False)
                    elif kind == 2:
                        httpx.post(url, content=b"x" * 2_000_000, headers={"Content-Type": "text/plain"},
                                   timeout=5, trust_env=False)
                    else:
                        httpx.post(url, content=body, headers=signed_headers(body, timestamp=int(time.time()) - 3600),
                                   timeout=5, trust_env=False)
                    attacks["sent"] += 1
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)

        try:
            wait_until(lambda: _healthy(port), timeout=60, what="the bot to listen")
            attacker = threading.Thread(target=bad_requests, daemon=True)
            attacker.start()
            peak_rss = 0
            started = time.monotonic()
            n = 0
            while time.monotonic() - started < SOAK_SECONDS:  # bounded
                n += 1
                served.append(wire_story(n))
                feeds.routes["/wire.xml"] = Response(rss(*served))
                if n % 3 == 0:
                    slack.answer_late("chat.postMessage", seconds=3)
                if n % 4 == 0:
                    slack.fail_next("chat.postMessage", status=500)
                if n % 5 == 0:
                    slack.fail_next("chat.postMessage", status=429, retry_after=1)
                peak_rss = max(peak_rss, _rss_mb(bot.pid))
                time.sleep(5)
            stop.set()
            attacker.join(timeout=30)
            time.sleep(35)  # one more poll and drain after the last story
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=90) == 0
        finally:
            stop.set()
            if bot.poll() is None:
                bot.kill()
            log.close()

        db = open_database(tmp_path / "bot.db")
        guids = [r[0] for r in db.execute("select guid from items where feed_id = 'wire'")]
        assert len(guids) == len(set(guids))  # nothing stored twice
        wire_ids = {r[0] for r in db.execute("select id from items where feed_id = 'wire'")}
        polled = set(guids)
        assert polled, "the wire feed was never stored"
        matched = {r[0] for r in db.execute("select item_id from matches")}
        assert wire_ids <= matched  # every story the bot stored reached the incident
        assert db.execute("select count(*) from items where processed_at is null").fetchone()[0] == 0
        rows = list(db.query("select id, status, last_error, idempotency_key from outbox"))
        assert rows
        for row in rows:
            # posted once, recorded (backlog), folded into a copy, kept for the next start (pending: queued
            # when the stop came, or backing off with its error), or held with its reason (blocked)
            assert row["status"] in ("sent", "recorded", "folded", "pending") or row["last_error"], row
        assert sum(r["status"] == "sent" for r in rows) >= len(rows) // 2  # most went out despite the trouble
        posted = [b.get("block_id") for m in slack.messages(CHANNEL) for b in (m.get("blocks") or [])
                  if str(b.get("block_id", "")).startswith("idk-")]
        assert len(posted) == len(set(posted)), "an alert reached Slack twice"
        feed = db["feeds"].get("wire")
        assert feed["enabled"] == 1  # no forged, replayed or stale /feeds pause went through
        assert attacks["sent"] > 50
        assert peak_rss < 600, peak_rss
        assert slack.violations == []
        db.close()


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (Linux /proc)."""
    total = 0
    for candidate in [pid, *_children(pid)]:
        try:
            with open(f"/proc/{candidate}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []
