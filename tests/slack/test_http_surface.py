"""The HTTP surface attacked as a stranger would: huge or chunked bodies, malformed headers, replays,
and a workspace admin demoted in Slack. Real signed requests to the app served on 127.0.0.1."""

from __future__ import annotations

import logging
import threading
import time
import tracemalloc

import httpx
import pytest

from bot.config import SlackSettings
from bot.incidents.desk import Desk
from bot.slack.app import ADMIN_CACHE_SECONDS, MAX_BODY_BYTES, Deps, SignedRequests, build_app, http_server
from bot.slack.sender import make_web_client
from db.feeds import save_slack_feed
from tests.slack.fakeslack import FakeSlack
from tests.slack.slack_requests import SECRET, ResponseCatcher, post, signed_headers, slash_command

ADMIN, WS_ADMIN, EDITOR, CHANNEL = "U0ADMIN01", "U0WSADMIN", "U0EDITOR1", "C0MALIDESK1"
MARKER = "BODY-MARKER-7f3a"  # text of a rejected body, which must never reach the log


class MovableClock:
    def __init__(self, start: float = 1_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_channel(CHANNEL, "mali-desk")
        fake.add_user(ADMIN, name="chief")
        fake.add_user(WS_ADMIN, name="owner-ish", is_admin=True)
        fake.add_user(EDITOR, name="editor")
        yield fake
        assert fake.violations == []


@pytest.fixture
def catcher():
    c = ResponseCatcher()
    yield c
    c.close()


@pytest.fixture
def running(db, settings, slack, caplog):
    """HTTP mode on 127.0.0.1, workspace admins count as admins, and a clock the test moves."""
    caplog.set_level(logging.DEBUG)  # before the app is built, as `bot run` does (Bolt copies the root's level)
    slack_settings = SlackSettings(bot_token="xoxb-test", signing_secret=SECRET, api_url=slack.url,
                                   admins=frozenset({ADMIN}), workspace_admins_are_admins=True)
    client = make_web_client(token="xoxb-test", base_url=slack.url)
    clock = MovableClock()
    deps = Deps(db=db, desk=Desk(db), settings=settings, slack=slack_settings, clock=clock)
    app = build_app(deps, client=client, signing_secret=SECRET)
    server = http_server(app, port=0, host="127.0.0.1")
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    deps.url = f"http://127.0.0.1:{server.server_port}/slack/events"
    deps.test_clock = clock
    yield deps
    server.shutdown()
    server.server_close()


def _repeat(block: bytes, total: int):
    """`total` bytes of body without holding them: the client must not be what grows memory."""
    sent = 0
    while sent < total:
        piece = block[:total - sent]
        sent += len(piece)
        yield piece


def _bad_signature_headers(**extra) -> dict:
    return {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64,
            "Content-Type": "application/x-www-form-urlencoded", **extra}


def _feeds(running, catcher, text, *, user):
    seen = len(catcher.bodies)
    response = post(running.url, slash_command("/feeds", text, user=user, response_url=catcher.url))
    assert response.status_code == 200
    answers = catcher.wait(seen + 1)
    return answers[seen]["text"]


# --- 1. bodies are capped before they are read -----------------------------------------------------

def test_a_20_mb_unsigned_body_is_refused_413_at_once_without_being_read(running, caplog):
    caplog.set_level(logging.DEBUG)
    size = 20 * 1024 * 1024
    block = (f"text={MARKER}&" * 4096).encode()[:65536]
    tracemalloc.start()
    try:
        started = time.perf_counter()
        response = httpx.post(running.url, content=_repeat(block, size), trust_env=False, timeout=10,
                              headers=_bad_signature_headers(**{"Content-Length": str(size)}))
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert elapsed < 5  # reading it was 78 s for 800 MB
    assert peak < 4 * 1024 * 1024  # reading it would hold 20 MB (and decoding it 20 more)
    assert MARKER not in caplog.text


def test_a_chunked_body_over_the_cap_is_refused_413_while_reading(running, caplog):
    caplog.set_level(logging.DEBUG)
    block = (f"text={MARKER}&" * 4096).encode()[:65536]
    # no Content-Length: httpx sends it chunked, so only reading tells how big it is
    response = httpx.post(running.url, content=_repeat(block, 3 * MAX_BODY_BYTES), trust_env=False, timeout=10,
                          headers=_bad_signature_headers())
    assert response.status_code == 413
    assert MARKER not in caplog.text


def test_a_chunked_signed_command_under_the_cap_is_still_answered(running, catcher):
    body = slash_command("/incident", "help", user=EDITOR, response_url=catcher.url)
    response = httpx.post(running.url, content=iter([body[:50].encode(), body[50:].encode()]), trust_env=False,
                          timeout=10, headers=signed_headers(body))
    assert response.status_code == 200
    assert "/incident track" in catcher.wait(1)[0]["text"]


def test_a_rejected_body_is_never_logged(running, catcher, caplog):
    caplog.set_level(logging.DEBUG)
    body = slash_command("/incident", f"list {MARKER}", user=EDITOR, response_url=catcher.url)
    assert post(running.url, body, secret="wrong-secret").status_code == 401
    assert post(running.url, body, timestamp=int(time.time()) - 3600).status_code == 401
    assert catcher.bodies == []
    assert MARKER not in caplog.text


def test_a_body_that_is_not_utf8_is_refused_400_not_500(running):
    response = httpx.post(running.url, content=b"text=\xff\xfe" + MARKER.encode(), trust_env=False, timeout=10,
                          headers=_bad_signature_headers())
    assert response.status_code == 400


# --- 2. malformed signature headers are a 401 ---------------------------------------------------------

@pytest.mark.parametrize("timestamp", [b"not-a-number", b"1e9", b"", b"+1700000000", b"12_345",
                                       "\u0661\u0662".encode(), b"9" * 400])
def test_a_non_numeric_timestamp_is_refused_401_not_500(running, catcher, timestamp):
    body = slash_command("/incident", "list", user=EDITOR, response_url=catcher.url)
    headers = signed_headers(body)
    headers["X-Slack-Request-Timestamp"] = timestamp
    response = httpx.post(running.url, content=body.encode(), headers=headers, timeout=10, trust_env=False)
    assert response.status_code == 401
    assert catcher.bodies == []


def test_a_non_ascii_signature_is_refused_401_not_500(running, catcher):
    body = slash_command("/incident", "list", user=EDITOR, response_url=catcher.url)
    headers = signed_headers(body)
    headers["X-Slack-Signature"] = ("v0=" + "\u00e9" * 32).encode()
    response = httpx.post(running.url, content=body.encode(), headers=headers, timeout=10, trust_env=False)
    assert response.status_code == 401


# --- 3. an exact replay inside the window is refused ---------------------------------------------------

def test_an_exact_replay_of_a_signed_feeds_pause_is_refused_and_changes_nothing(running, catcher, db):
    with db.conn:
        save_slack_feed(db, feed_id="x", url="https://example.org/x.xml", interval_seconds=600, channel=None,
                        title="X", added_by=ADMIN)
    pause = slash_command("/feeds", "pause x", user=ADMIN, response_url=catcher.url)
    captured = signed_headers(pause)  # what an eavesdropper (or a proxy's retry) sends again, byte for byte

    def send(headers):
        return httpx.post(running.url, content=pause.encode(), headers=headers, timeout=10, trust_env=False)

    assert send(captured).status_code == 200
    assert catcher.wait(1)[0]["text"] == "Paused x."
    assert _feeds(running, catcher, "resume x", user=ADMIN) == "Resumed x."
    assert send(captured).status_code == 401  # the replay
    time.sleep(0.3)
    assert len(catcher.bodies) == 2
    assert db["feeds"].get("x")["enabled"] == 1
    assert [r["action"] for r in db.query("select action from audit_log order by id")] == ["feed_pause",
                                                                                            "feed_resume"]


def test_replay_memory_keeps_only_the_signatures_of_the_window():
    from slack_bolt.request import BoltRequest

    clock = MovableClock(1_700_000_000.0)
    guard = SignedRequests(SECRET, clock=clock)

    def request(body: str, timestamp: int) -> BoltRequest:
        headers = {k.lower(): v for k, v in signed_headers(body, timestamp=timestamp).items()}
        return BoltRequest(body=body, headers=headers)

    def status(req) -> int:
        return guard.process(req=req, resp=None, next=lambda: "passed") == "passed" and 200 or 401

    for i in range(50):
        assert status(request(f"n={i}", int(clock.now))) == 200
    assert status(request("n=0", int(clock.now))) == 401  # same body, same second: the same signature
    assert guard.remembered == 50
    clock.now += 301
    assert status(request("n=new", int(clock.now))) == 200
    assert guard.remembered == 1  # the 50 left the window: they cannot be replayed anyway (stale)


# --- 4. a demoted workspace admin loses /feeds within the cache's lifetime -------------------------------

def test_a_workspace_admin_demoted_in_slack_loses_feeds_within_the_cache_ttl(running, catcher, slack):
    assert ADMIN_CACHE_SECONDS <= 300
    assert "No feeds" in _feeds(running, catcher, "list", user=WS_ADMIN)
    slack.set_user(WS_ADMIN, is_admin=False)  # demoted in Slack
    running.test_clock.now += ADMIN_CACHE_SECONDS - 1
    assert "No feeds" in _feeds(running, catcher, "list", user=WS_ADMIN)  # still cached: one users.info call
    assert len(slack.calls_to("users.info")) == 1
    running.test_clock.now += 2
    assert "only the desk's admins" in _feeds(running, catcher, "list", user=WS_ADMIN)
    assert len(slack.calls_to("users.info")) == 2
    slack.set_user(WS_ADMIN, is_admin=True)  # promoted again: the same delay at most
    running.test_clock.now += ADMIN_CACHE_SECONDS + 1
    assert "No feeds" in _feeds(running, catcher, "list", user=WS_ADMIN)
