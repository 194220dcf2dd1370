"""WebSub for real on 127.0.0.1: a feed advertising a fake hub, the bot's callback server, signed pushes.

The fake hub records the subscribe requests it is sent, then acts as a hub does: it calls the
bot's callback to verify intent and to push content, signed with the secret the bot gave it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape, quoteattr

import httpx
import pytest

from bot.demo.localserver import Response
from bot.ingest.pipeline import poll_feed
from bot.ingest.scheduler import FeedScheduler
from bot.ingest.websub import (LEASE_SECONDS, PENDING_SECONDS, SAFETY_NET_SECONDS, WebSub, renewal_due,
                               signature_problem)
from bot.ingest.websub_http import callback_server
from bot.models import FeedConfig
from db.connection import from_iso, writing
from db.feeds import save_slack_feed, sync_file_feeds
from db.websub import get_subscription, record_discovery

ENTRY_1 = {"id": "urn:wire:1", "title": "Attack in Bamako", "summary": "More than 70 killed."}
ENTRY_2 = {"id": "urn:wire:2", "title": "Second attack near Gao", "summary": "Twelve killed."}


def atom(*entries: dict, hub: str | None = None, self_url: str | None = None) -> bytes:
    links = "".join(f"<link rel={quoteattr(rel)} href={quoteattr(href)}/>"
                    for rel, href in (("hub", hub), ("self", self_url)) if href)
    body = "".join(f"<entry><id>{escape(e['id'])}</id><title>{escape(e['title'])}</title>"
                   f"<updated>2024-09-17T09:30:00Z</updated><link href='https://news.example/{e['id'][-1]}'/>"
                   f"<summary>{escape(e['summary'])}</summary></entry>" for e in entries)
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>Wire</title>"
            f"<id>urn:wire</id><updated>2024-09-17T09:30:00Z</updated>{links}{body}</feed>").encode()


class FakeHub:
    """A hub on 127.0.0.1: records subscribe requests (answering `status`), then calls callbacks like a hub."""

    def __init__(self):
        self.requests: list[dict[str, str]] = []
        self.status = 202
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                hub.requests.append(dict(parse_qsl(self.rfile.read(length).decode())))
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hub"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def verify(self, request: dict, *, challenge: str = "c-4f2a9", mode: str = "subscribe", topic: str | None = None,
               lease: int | None = None) -> httpx.Response:
        params = {"hub.mode": mode, "hub.topic": topic or request["hub.topic"], "hub.challenge": challenge}
        if lease is not None:
            params["hub.lease_seconds"] = str(lease)
        return httpx.get(request["hub.callback"], params=params, timeout=5, trust_env=False)

    def publish(self, request: dict, body: bytes, *, secret: str | None = None, method: str = "sha256",
                signature: str | None = None) -> httpx.Response:
        digest = hmac.new((secret or request["hub.secret"]).encode(), body, getattr(hashlib, method)).hexdigest()
        headers = {"Content-Type": "application/atom+xml"}
        if signature != "":
            headers["X-Hub-Signature"] = signature or f"{method}={digest}"
        return httpx.post(request["hub.callback"], content=body, headers=headers, timeout=5, trust_env=False)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def hub():
    fake = FakeHub()
    yield fake
    fake.close()


class Clock:
    """Real time plus an offset the test moves (polls use real time too)."""

    def __init__(self):
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(timezone.utc) + self.offset


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def websub(db, client, settings, clock):
    """A WebSub with its callback server on 127.0.0.1, INCIDENT_DESK_PUBLIC_URL pointing at it."""
    subscriber = WebSub(db, client, settings, clock=clock)
    server = callback_server(subscriber, port=0, host="127.0.0.1")
    subscriber.settings = dataclasses.replace(settings, public_url=f"http://127.0.0.1:{server.server_address[1]}")
    yield subscriber
    server.shutdown()
    server.server_close()


@pytest.fixture
def feed(db, server, hub):
    """The feed 'wire' on the local server, advertising the fake hub; polled once."""
    config = FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=300)
    sync_file_feeds(db, [config])
    server.routes["/wire.xml"] = Response(atom(ENTRY_1, hub=hub.url, self_url=server.url("/wire.xml")),
                                          content_type="application/atom+xml")
    return config


def item_guids(db) -> list[str]:
    return sorted(row["guid"] for row in db.query("select guid from items where feed_id = 'wire'"))


def subscribed(db, client, feed, websub, hub, settings, clock, *, lease: int | None = None) -> dict:
    """Poll (discovery), subscribe, verify: the hub's record of the subscribe request."""
    assert poll_feed(db, client, feed, settings=settings, now=clock()).outcome == "new"
    assert websub.renew_due() == ["wire"]
    assert len(hub.requests) == 1
    answer = hub.verify(hub.requests[0], lease=lease)
    assert answer.status_code == 200 and answer.text == "c-4f2a9"
    return hub.requests[0]


def test_discovery_records_the_hub_and_the_self_url(db, client, feed, settings, server, hub, clock):
    poll_feed(db, client, feed, settings=settings, now=clock())
    row = get_subscription(db, "wire")
    assert (row["hub"], row["topic"]) == (hub.url, server.url("/wire.xml"))
    assert row["secret"] is None and row["lease_expires_at"] is None  # nothing asked yet

    plain = FeedConfig(id="plain", url=server.url("/plain.xml"), interval_seconds=300)
    sync_file_feeds(db, [feed, plain])
    server.routes["/plain.xml"] = Response(atom(ENTRY_2), content_type="application/atom+xml")
    poll_feed(db, client, plain, settings=settings, now=clock())
    assert get_subscription(db, "plain") is None


def test_the_subscribe_request_carries_topic_callback_secret_and_lease(db, client, feed, settings, websub, hub,
                                                                      server, clock):
    poll_feed(db, client, feed, settings=settings, now=clock())
    assert websub.renew_due() == ["wire"]
    assert len(hub.requests) == 1
    sent = hub.requests[0]
    assert sent["hub.mode"] == "subscribe"
    assert sent["hub.topic"] == server.url("/wire.xml")
    assert sent["hub.callback"] == websub.settings.public_url + "/websub/wire"
    assert sent["hub.lease_seconds"] == str(LEASE_SECONDS)
    assert len(sent["hub.secret"]) == 64 and int(sent["hub.secret"], 16) >= 0
    row = get_subscription(db, "wire")
    assert row["secret"] == sent["hub.secret"] and row["pending_since"] is not None
    assert websub.renew_due() == []  # pending: not asked again
    assert len(hub.requests) == 1


def test_verification_is_answered_only_for_a_pending_subscription(db, client, feed, settings, websub, hub,
                                                                  server, clock):
    callback = websub.settings.public_url + "/websub/wire"
    early = {"hub.callback": callback, "hub.topic": server.url("/wire.xml")}
    poll_feed(db, client, feed, settings=settings, now=clock())
    assert hub.verify(early).status_code == 404  # discovered, never asked: nothing pending

    websub.renew_due()
    sent = hub.requests[0]
    assert hub.verify(sent, topic="http://127.0.0.1:9/other.xml").status_code == 404
    assert hub.verify(sent, mode="unsubscribe").status_code == 404
    assert hub.verify({**sent, "hub.callback": websub.settings.public_url + "/websub/nosuch"}).status_code == 404
    assert get_subscription(db, "wire")["lease_expires_at"] is None

    answer = hub.verify(sent, challenge="xyz-123", lease=3600)
    assert answer.status_code == 200 and answer.text == "xyz-123"
    row = get_subscription(db, "wire")
    left = from_iso(row["lease_expires_at"]) - clock()
    assert timedelta(seconds=3590) < left <= timedelta(seconds=3600)
    assert row["pending_since"] is None
    assert hub.verify(sent).status_code == 404  # verified: no longer pending


def test_a_signed_push_stores_its_new_item_once_and_a_later_poll_stores_nothing(db, client, feed, settings, websub,
                                                                                 hub, server, clock):
    sent = subscribed(db, client, feed, websub, hub, settings, clock)
    assert item_guids(db) == ["urn:wire:1"]
    document = atom(ENTRY_2, ENTRY_1, hub=hub.url, self_url=server.url("/wire.xml"))

    assert hub.publish(sent, document).status_code // 100 == 2
    assert item_guids(db) == ["urn:wire:1", "urn:wire:2"]
    assert hub.publish(sent, document, method="sha1").status_code // 100 == 2  # the same push again
    assert item_guids(db) == ["urn:wire:1", "urn:wire:2"]

    server.routes["/wire.xml"] = Response(document, content_type="application/atom+xml")
    later = poll_feed(db, client, feed, settings=settings, now=clock(), force=True)
    assert later.outcome != "error" and later.new_ids == [] and later.updated_ids == []
    assert item_guids(db) == ["urn:wire:1", "urn:wire:2"]
    assert db.execute("select count(*) from items where feed_id = 'wire'").fetchone()[0] == 2


def test_a_push_with_a_bad_or_missing_signature_stores_nothing(db, client, feed, settings, websub, hub, server, clock):
    sent = subscribed(db, client, feed, websub, hub, settings, clock)
    document = atom(ENTRY_2, hub=hub.url, self_url=server.url("/wire.xml"))
    assert hub.publish(sent, document, secret="not-the-secret").status_code // 100 == 2
    assert hub.publish(sent, document, signature="").status_code // 100 == 2
    assert hub.publish(sent, document, signature="md5=00ff").status_code // 100 == 2
    assert item_guids(db) == ["urn:wire:1"]
    assert hub.publish(sent, document).status_code // 100 == 2  # the same bytes, signed: stored
    assert item_guids(db) == ["urn:wire:1", "urn:wire:2"]


def test_a_push_over_the_body_cap_is_refused_unread(db, client, feed, settings, websub, hub, server, clock):
    sent = subscribed(db, client, feed, websub, hub, settings, clock)
    websub.settings = dataclasses.replace(websub.settings, max_body_bytes=2000)
    big = atom(ENTRY_2, {"id": "urn:wire:3", "title": "Padding", "summary": "x" * 5000})
    assert hub.publish(sent, big).status_code == 413
    assert item_guids(db) == ["urn:wire:1"]


def test_while_the_lease_holds_polls_rest_and_when_it_lapses_polling_resumes(db, client, feed, settings, websub,
                                                                            hub, server, clock):
    subscribed(db, client, feed, websub, hub, settings, clock, lease=3600)
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda result: None, rests=websub.rests)
    before = server.hits["/wire.xml"]
    scheduler._poll(feed)  # polled seconds ago, lease active: skipped
    assert server.hits["/wire.xml"] == before

    clock.offset = timedelta(seconds=SAFETY_NET_SECONDS + 1)  # the safety net: polled all the same
    scheduler._poll(feed)
    assert server.hits["/wire.xml"] == before + 1

    clock.offset = timedelta(seconds=3601)  # the lease lapsed: every scheduled poll runs
    for expected in range(before + 2, before + 5):
        scheduler._poll(feed)
        assert server.hits["/wire.xml"] == expected
    assert websub.renew_due() == ["wire"]  # and a new subscription is asked for
    assert len(hub.requests) == 2 and hub.requests[1]["hub.secret"] == hub.requests[0]["hub.secret"]


def test_a_lease_is_renewed_before_it_lapses_and_a_hub_that_never_verifies_rests(db, client, feed, settings, websub,
                                                                                   hub, clock):
    subscribed(db, client, feed, websub, hub, settings, clock, lease=LEASE_SECONDS)
    assert websub.renew_due() == []
    clock.offset = timedelta(seconds=LEASE_SECONDS - 3600)  # an hour left: renewed
    assert websub.renew_due() == ["wire"]
    assert len(hub.requests) == 2
    clock.offset += timedelta(seconds=PENDING_SECONDS + 1)  # the hub never verified the renewal
    assert websub.renew_due() == []
    row = get_subscription(db, "wire")
    assert row["last_error"] == "hub never verified" and row["attempts"] == 1
    assert from_iso(row["lease_expires_at"]) > clock()  # the old lease still holds meanwhile
    clock.offset += timedelta(minutes=30)  # resting an hour before it asks again
    assert websub.renew_due() == []
    clock.offset += timedelta(minutes=31)
    assert websub.renew_due() == ["wire"]


def test_a_hub_that_refuses_is_retried_later_and_polling_stays_normal(db, client, feed, settings, websub, hub, clock):
    hub.status = 400
    poll_feed(db, client, feed, settings=settings, now=clock())
    assert websub.renew_due() == ["wire"]
    row = get_subscription(db, "wire")
    assert row["last_error"].startswith("hub answered HTTP 400") and row["pending_since"] is None
    assert websub.renew_due() == []  # resting
    assert websub.rests(feed) is False


def test_without_a_public_url_nothing_is_subscribed(db, client, feed, settings, hub, clock):
    assert settings.public_url is None
    subscriber = WebSub(db, client, settings, clock=clock)
    poll_feed(db, client, feed, settings=settings, now=clock())
    assert get_subscription(db, "wire")["hub"] == hub.url  # discovered all the same
    assert subscriber.renew_due() == []
    assert hub.requests == []
    assert subscriber.rests(feed) is False


def test_the_hub_of_a_feed_added_in_slack_goes_through_the_private_address_guard(db, client, settings, hub, clock):
    with writing(db):
        save_slack_feed(db, feed_id="slacked", url="https://news.example/feed.xml", interval_seconds=300,
                        channel=None, title=None, added_by="U1")
    record_discovery(db, "slacked", hub=hub.url, topic="https://news.example/feed.xml", at="2024-09-17T00:00:00Z")
    subscriber = WebSub(db, client, dataclasses.replace(settings, public_url="https://desk.example"), clock=clock)
    assert subscriber.renew_due() == ["slacked"]
    assert hub.requests == []
    assert get_subscription(db, "slacked")["last_error"].startswith("refused")


def test_renewal_and_signature_rules():
    now = datetime(2024, 9, 17, tzinfo=timezone.utc)
    iso = lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    base = {"hub": "https://hub.example/", "topic": "https://news.example/feed", "lease_seconds": 86400 * 7}
    assert renewal_due(base, now)  # never subscribed
    assert not renewal_due({**base, "hub": None}, now)
    assert not renewal_due({**base, "lease_expires_at": iso(now + timedelta(days=3))}, now)
    assert renewal_due({**base, "lease_expires_at": iso(now + timedelta(hours=2))}, now)
    assert not renewal_due({**base, "retry_at": iso(now + timedelta(minutes=5))}, now)
    body = b"<feed/>"
    good = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert signature_problem("s3cret", body, good) is None
    assert signature_problem("s3cret", body + b" ", good) == "bad signature"
    assert signature_problem("other", body, good) == "bad signature"
    assert signature_problem("s3cret", body, None) == "no X-Hub-Signature"
    assert signature_problem(None, body, good) is not None


def test_in_http_mode_the_slack_server_hands_websub_paths_to_the_callback(db, client, feed, settings, hub, clock):
    from slack_bolt import App

    from bot.ingest.websub_http import callback_app
    from bot.slack.app import http_server

    subscriber = WebSub(db, client, settings, clock=clock)
    app = App(signing_secret="unused", token="xoxb-test", token_verification_enabled=False)
    server = http_server(app, port=0, host="127.0.0.1", websub=callback_app(subscriber))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        subscriber.settings = dataclasses.replace(settings, public_url=f"http://127.0.0.1:{server.server_port}/")
        sent = subscribed(db, client, feed, subscriber, hub, settings, clock)
        assert sent["hub.callback"] == f"http://127.0.0.1:{server.server_port}/websub/wire"
        assert hub.publish(sent, atom(ENTRY_2)).status_code == 202  # a partial document, no hub link
        assert item_guids(db) == ["urn:wire:1", "urn:wire:2"]
        assert get_subscription(db, "wire")["hub"] == hub.url  # a push never changes what the feed advertises
        health = httpx.get(f"http://127.0.0.1:{server.server_port}/healthz", timeout=5, trust_env=False)
        assert health.text == "ok"
    finally:
        server.shutdown()
        server.server_close()


def test_the_public_url_setting():
    from bot.config import load_settings

    assert load_settings(environ={}).public_url is None
    assert load_settings(environ={"INCIDENT_DESK_PUBLIC_URL": " https://desk.example/bot/ "}).public_url == \
        "https://desk.example/bot"
    for bad in ("desk.example", "ftp://desk.example", "https://desk.example/?a=1"):
        with pytest.raises(ValueError, match="INCIDENT_DESK_PUBLIC_URL"):
            load_settings(environ={"INCIDENT_DESK_PUBLIC_URL": bad})


def test_the_running_bot_in_console_mode_serves_the_callback_on_its_port(db, settings, monkeypatch):
    import functools
    import socket

    import bot.service
    from bot.config import SlackSettings
    from bot.service import run

    monkeypatch.setattr(bot.service, "serve_callbacks", functools.partial(callback_server, host="127.0.0.1"))

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stop, started = threading.Event(), threading.Event()
    thread = threading.Thread(target=run, args=(db, dataclasses.replace(settings, public_url="https://desk.example"),
                                                SlackSettings(port=port)),
                              kwargs={"stop": stop, "on_started": started.set}, daemon=True)
    thread.start()
    try:
        assert started.wait(60)
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/healthz", timeout=5, trust_env=False).text == "ok"
        assert httpx.get(base + "/websub/wire", params={"hub.mode": "subscribe", "hub.topic": "x",
                                                        "hub.challenge": "c"}, timeout=5, trust_env=False).status_code == 404
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive()
