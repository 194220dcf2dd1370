"""The Slack app, talked to as Slack does: signed HTTP requests, Socket Mode requests, a fake Web API."""

import dataclasses
import json
import time
from datetime import datetime

import pytest
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_bolt.adapter.socket_mode.internals import run_bolt_app

from bot.slack.app import Deps, build_app, http_server, make_sender
from bot.config import SlackSettings
from bot.demo import DEMO_STEPS, seed_feeds_yaml, seed_routes
from bot.incidents.desk import Desk
from bot.config import parse_feeds_yaml
from bot.demo.localserver import LocalServer
from bot.ingest.poller import poll_all
from bot.slack.sender import make_web_client
from db.feeds import active_feeds, sync_file_feeds
from tests.slack.fakeslack import BOT_USER, FakeSlack
from tests.slack.slack_requests import ResponseCatcher, block_action, post, slash_command

ADMIN, EDITOR, CHANNEL = "U0ADMIN01", "U0EDITOR1", "C0MALIDESK1"
TRACK = "track Bamako attacks keywords: bamako, gendarmerie school, JNIM since: 2024-09-17 channel: #mali-desk"


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_channel(CHANNEL, "mali-desk")
        fake.add_user(ADMIN, name="chief")
        fake.add_user(EDITOR, name="editor")
        yield fake
        assert fake.violations == []  # nothing the bot sent was refused by Slack's own descriptions


@pytest.fixture
def catcher():
    c = ResponseCatcher()
    yield c
    c.close()


@pytest.fixture
def running(db, settings, slack):
    """The app served over HTTP on 127.0.0.1, as in HTTP mode."""
    slack_settings = SlackSettings(bot_token="xoxb-test", signing_secret="test-signing-secret", api_url=slack.url,
                                   admins=frozenset({ADMIN}))
    client = make_web_client(token="xoxb-test", base_url=slack.url)
    desk = Desk(db)
    deps = Deps(db=db, desk=desk, settings=settings, slack=slack_settings,
                sender=make_sender(db, desk, client, slack_settings))
    app = build_app(deps, client=client, signing_secret="test-signing-secret")
    server = http_server(app, port=0, host="127.0.0.1")
    import threading

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    deps.url = f"http://127.0.0.1:{server.server_port}/slack/events"
    deps.app = app
    yield deps
    server.shutdown()
    server.server_close()


def command(running, catcher, text, *, user=EDITOR, name="/incident"):
    """Send a signed slash command; return the HTTP response, its time, and the answer at the response_url."""
    seen = len(catcher.bodies)
    started = time.perf_counter()
    response = post(running.url, slash_command(name, text, user=user, response_url=catcher.url))
    elapsed = time.perf_counter() - started
    answers = catcher.wait(seen + 1) if response.status_code == 200 else []
    return response, elapsed, (answers[seen] if len(answers) > seen else None)


def click(running, catcher, action, *, user=EDITOR):
    seen = len(catcher.bodies)
    post(running.url, block_action(action, user=user, response_url=catcher.url))
    answers = catcher.wait(seen + 1)
    return answers[seen] if len(answers) > seen else None


def test_slash_command_is_acknowledged_at_once_and_answered_privately_with_a_share_button(running, catcher):
    response, elapsed, answer = command(running, catcher, TRACK)
    assert response.status_code == 200 and elapsed < 3
    assert answer["response_type"] == "ephemeral" and "Now tracking Bamako attacks" in answer["text"]
    buttons = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["action_id"] for b in buttons] == ["share_reply"]


def test_a_bad_or_stale_signature_is_refused_with_401(running, catcher):
    body = slash_command("/incident", "list", user=EDITOR, response_url=catcher.url)
    assert post(running.url, body, secret="wrong-secret").status_code == 401
    assert post(running.url, body, timestamp=int(time.time()) - 3600).status_code == 401
    assert catcher.bodies == []


def test_socket_mode_requests_take_the_same_path(running, catcher):
    payload = {"command": "/incident", "text": "help", "user_id": EDITOR, "channel_id": CHANNEL,
               "team_id": "T0TEST", "api_app_id": "A0TEST", "response_url": catcher.url, "trigger_id": "1"}
    bolt_response = run_bolt_app(running.app, SocketModeRequest(type="slash_commands", envelope_id="e1",
                                                                payload=payload))
    assert bolt_response.status == 200
    (answer,) = catcher.wait(1)
    assert "/incident track &lt;name&gt;" in answer["text"]  # Slack shows "<name>"


def test_a_mistyped_incident_gets_did_you_mean_buttons_that_answer(running, catcher):
    command(running, catcher, TRACK)
    command(running, catcher, TRACK.replace("Bamako attacks", "Bamako floods").replace("2024-09-17", "2024-08-01"))
    answer = command(running, catcher, "bamako toll")[2]
    buttons = [e for b in answer["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {b["value"] for b in buttons if b["action_id"].startswith("did_you_mean")} == {
        "bamako-attacks toll", "bamako-floods toll"}
    chosen = click(running, catcher, {"action_id": "did_you_mean_0", "type": "button", "value": "bamako-attacks toll"})
    assert chosen["text"].startswith("Bamako attacks (bamako-attacks) — toll") and chosen["replace_original"] is True


def test_feeds_is_for_admins_only_and_everyone_else_changes_nothing(running, catcher, db):
    refusal = command(running, catcher, "add https://example.org/rss.xml", user=EDITOR, name="/feeds")[2]
    assert "only the desk's admins" in refusal["text"]
    assert db["audit_log"].count == 0 and db["feeds"].count == 0


def test_admin_adds_a_feed_but_not_one_inside_the_network_unless_allowed(running, catcher, db):
    with LocalServer(seed_routes()) as feeds:
        url = feeds.url("/feeds/trt-afrika.xml")
        refused = command(running, catcher, f"add {url} every 5m", user=ADMIN, name="/feeds")[2]
        assert "internal address" in refused["text"] and db["feeds"].count == 0
        running.settings = dataclasses.replace(running.settings, allow_private_feed_urls=True)
        added = command(running, catcher, f"add {url} every 5m to #mali-desk", user=ADMIN, name="/feeds")[2]
        assert "Added trt-afrika" in added["text"]
        missing = command(running, catcher, f"add {feeds.url('/nowhere')}", user=ADMIN, name="/feeds")[2]
        assert "could not be read: HTTP 404" in missing["text"]
    row = db["feeds"].get("trt-afrika")
    assert (row["origin"], row["interval_seconds"], row["channel"], row["added_by"]) == ("slack", 300, "#mali-desk",
                                                                                          ADMIN)
    paused = command(running, catcher, "pause trt-afrika", user=ADMIN, name="/feeds")[2]
    assert paused["text"] == "Paused trt-afrika." and db["feeds"].get("trt-afrika")["enabled"] == 0
    actions = [r["action"] for r in db.query("select action from audit_log order by id")]
    assert actions == ["feed_add", "feed_pause"]


def test_founding_case_in_slack_one_thread_parent_updated_and_not_this_incident_changes_the_answer(
        running, catcher, db, client, settings, slack):
    command(running, catcher, TRACK)
    with LocalServer() as feeds:
        sync_file_feeds(db, parse_feeds_yaml(seed_feeds_yaml(f"http://127.0.0.1:{feeds.port}")))
        for step in DEMO_STEPS:
            feeds.routes.update(seed_routes(datetime.fromisoformat(step)))
            poll_all(db, client, active_feeds(db), settings=settings)
            running.desk.processor.process_pending()
            running.sender.drain(max_seconds=10)
    parents = [m for m in slack.top_level(CHANNEL) if m.get("subtype") != "thread_broadcast"]
    assert len(parents) == 1  # one thread for the incident
    thread = slack.replies(CHANNEL, parents[0]["ts"])
    stories = [m for m in thread if "New story matched" in m["text"]]
    assert len(stories) == 3  # the first story opened the thread; Kati never appears
    assert not any("Kati" in m["text"] or "Near Bamako" in m["text"] for m in slack.messages(CHANNEL))
    assert any(m.get("subtype") == "thread_broadcast" and "rises from some to 77" in m["text"]
               for m in slack.messages(CHANNEL))
    updates = [c for c in slack.calls_to("chat.update") if c.ok]
    assert updates and "*77*" in json.dumps(updates[-1].args.get("blocks"))
    # /incident bamako toll, then "Not this incident" on the article that carried the leaked figure
    before = json.dumps(command(running, catcher, "bamako toll")[2])
    assert "up to 100" in before
    (item,) = db.query("select id from items where feed_id = 'actualnews'")
    (incident,) = db.query("select id from incidents")
    detached = click(running, catcher, {"action_id": "not_this_incident", "type": "button",
                                        "value": f"{incident['id']}:{item['id']}"})
    assert "Detached" in detached["text"]
    after = json.dumps(command(running, catcher, "bamako toll")[2])
    assert "up to 100" not in after and "*77*" in after
    (entry,) = db.query("select actor from audit_log where action = 'not_this_incident'")
    assert entry["actor"] == EDITOR


def test_alerts_refused_for_not_in_channel_go_out_when_the_bot_is_invited(running, db, slack):
    slack.add_channel("C0LATEDESK1", "late-desk", member=False)
    incident = db["incidents"].insert({"slug": "late", "name": "Late", "since": "2024-09-17",
                                       "channel": "C0LATEDESK1"}).last_pk
    db["outbox"].insert({"idempotency_key": "k1", "incident_id": incident, "kind": "story",
                         "payload": json.dumps({"text": "New story matched: X", "title": "X"}),
                         "status": "pending", "created_at": "2024-09-18T00:00:00Z"})
    db.conn.commit()
    running.sender.drain(max_seconds=5)
    assert db["outbox"].get(1)["status"] == "blocked"
    slack.join("C0LATEDESK1")
    event = {"type": "event_callback", "team_id": "T0TEST", "api_app_id": "A0TEST", "event_id": "Ev1",
             "event_time": int(time.time()), "event": {"type": "member_joined_channel", "user": BOT_USER,
                                                       "channel": "C0LATEDESK1", "team": "T0TEST"}}
    from tests.slack.slack_requests import post as signed_post
    body = json.dumps(event)
    assert signed_post(running.url, body, content_type="application/json").status_code == 200
    deadline = time.monotonic() + 15
    while db["outbox"].get(1)["status"] != "sent" and time.monotonic() < deadline:
        time.sleep(0.1)
    assert db["outbox"].get(1)["status"] == "sent"
