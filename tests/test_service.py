"""The bot as deployed: `python -m bot run` in HTTP mode, its worker processes, a fake Slack, real feeds."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime

import httpx
import pytest

from bot.demo import DEMO_STEPS, seed_feeds_yaml, seed_routes
from bot.demo.localserver import LocalServer
from tests.conftest import REPO
from tests.slack.fakeslack import FakeSlack
from tests.slack.slack_requests import SECRET, ResponseCatcher, post, slash_command

CHANNEL = "C0MALIDESK1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_running_bot_posts_the_incident_thread_and_answers_slash_commands(tmp_path):
    with FakeSlack() as slack, LocalServer() as feeds:
        slack.add_channel(CHANNEL, "mali-desk")
        (tmp_path / "feeds.yaml").write_text(seed_feeds_yaml(f"http://127.0.0.1:{feeds.port}"))
        port = free_port()
        env = {**os.environ, "INCIDENT_DESK_DB": str(tmp_path / "bot.db"),
               "INCIDENT_DESK_FEEDS": str(tmp_path / "feeds.yaml"), "SLACK_BOT_TOKEN": "xoxb-test",
               "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": slack.url, "PORT": str(port)}
        env.pop("SLACK_APP_TOKEN", None)

        def cli(*args):
            done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, env=env, capture_output=True,
                                  text=True, timeout=120)
            assert done.returncode == 0, done.stderr
            return done.stdout

        cli("ask", "/incident track Bamako attacks keywords: bamako, JNIM since: 2024-09-17 channel: #mali-desk")
        feeds.routes.update(seed_routes(datetime.fromisoformat(DEMO_STEPS[0])))
        cli("poll", "--once")  # the feeds' first poll: their backlog, recorded and not posted
        feeds.routes.update(seed_routes(datetime.fromisoformat(DEMO_STEPS[-1])))
        log = open(tmp_path / "bot.log", "w")
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, stdout=log, stderr=log)
        catcher = ResponseCatcher()
        try:
            wait_until(lambda: _healthy(port), timeout=60, what="the bot to listen")
            parents = wait_until(lambda: [m for m in slack.top_level(CHANNEL) if m.get("subtype") != "thread_broadcast"],
                                 timeout=90, what="the incident's thread")
            assert len(parents) == 1
            wait_until(lambda: len(slack.replies(CHANNEL, parents[0]["ts"])) >= 3, timeout=90,
                       what="the thread's replies")
            response = post(f"http://127.0.0.1:{port}/slack/events",
                            slash_command("/incident", "bamako toll", user="U0EDITOR1", response_url=catcher.url))
            assert response.status_code == 200
            (answer,) = catcher.wait(1, timeout=60)
            assert "Leading: 77 (official sources" in answer["text"]
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=60) == 0
        finally:
            if bot.poll() is None:
                bot.kill()
            catcher.close()
            log.close()
        assert slack.violations == []
        messages = " ".join(m["text"] for m in slack.messages(CHANNEL))
        assert "Near Bamako" not in messages  # the Kati look-alike never reaches the desk


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False
