"""The outbox reaches Slack once per alert, in one thread per incident, whatever Slack answers.

A real slack_sdk WebClient talks to tests/slack/fakeslack.py on 127.0.0.1; rows go straight into a
temporary database opened with open_database, so these tests pin the sender alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta, timezone

import pytest
from slack_sdk import WebClient

from bot.slack.sender import (DrainReport, SenderSettings, SlackSender, TokenBucket, backoff_seconds,
                              idempotency_block_id, make_web_client)
from db import open_database
from db.connection import to_iso
from tests.conftest import REPO
from tests.slack.fakeslack import FakeSlack, block_problems

MALI, NIGER = "C0MALIDESK1", "C0NIGERDSK1"
FAST = SenderSettings(rate_per_channel=200.0, burst=50, backoff_base=2.0, sending_lease=0.0)


# --- renderers standing in for the toll code (the sender only needs their shape) ------------------

def render_parent(db, incident_id: int):
    """The incident card: its name and the latest toll any toll-change row carried."""
    name = db.execute("SELECT name FROM incidents WHERE id = ?", [incident_id]).fetchone()[0]
    latest = db.execute("SELECT payload FROM outbox WHERE incident_id = ? AND kind = 'toll_change' "
                        "ORDER BY id DESC LIMIT 1", [incident_id]).fetchone()
    toll = json.loads(latest[0])["toll"] if latest else "no figures yet"
    text = f"{name}: toll {toll}"
    return text, [{"type": "header", "text": {"type": "plain_text", "text": name[:150]}},
                  {"type": "section", "block_id": "toll", "text": {"type": "mrkdwn", "text": f"*Toll:* {toll}"}}]


def render_alert(db, row: dict):
    """An alert with its outlets and the three feedback buttons."""
    payload = json.loads(row["payload"] or "{}")
    text = payload.get("title") or payload.get("toll") or row["kind"]
    outlets = [o for o in dict.fromkeys([payload.get("outlet"), *payload.get("outlets", [])]) if o]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    if len(outlets) > 1:
        also = "also in: " + ", ".join(outlets[1:])
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": also}]})
    blocks.append({"type": "actions", "block_id": f"feedback-{row['id']}", "elements": [
        {"type": "button", "action_id": "not_this_incident", "value": str(row["id"]),
         "text": {"type": "plain_text", "text": "Not this incident"}},
        {"type": "button", "action_id": "wrong_figure", "value": str(row["id"]),
         "text": {"type": "plain_text", "text": "Wrong figure"}},
        {"type": "button", "action_id": "verified", "value": str(row["id"]), "style": "primary",
         "text": {"type": "plain_text", "text": "Verified"}}]})
    return text, blocks


class Clock:
    """Wall time for the database that a test can move forward (backoff, Retry-After)."""

    def __init__(self):
        self.moment = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


# --- fixtures -------------------------------------------------------------------------------------

@pytest.fixture
def slack():
    with FakeSlack() as fake:
        fake.add_channel(MALI, "mali-desk")
        fake.add_channel(NIGER, "niger-desk")
        yield fake


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "sender.db")
    yield database
    database.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def admins():
    return []


def make_sender(db, slack, *, clock, admins, settings=FAST, **kw):
    client = make_web_client(token="xoxb-test", base_url=slack.url, timeout=5)
    return SlackSender(db, client=client, render_parent=render_parent, render_alert=render_alert,
                       notify_admins=admins.append, settings=settings, now=clock, **kw)


def incident(db, *, slug="bamako", channel="#mali-desk", name="Bamako attacks") -> int:
    with db.lock:
        return db["incidents"].insert({"slug": slug, "name": name, "since": "2024-09-17", "channel": channel}).last_pk


def alert(db, incident_id: int, key: str, *, kind="new_story", clock=None, **payload) -> int:
    created = to_iso(clock() if clock else datetime.now(timezone.utc))
    payload.setdefault("title", f"Story {key}")
    with db.lock:
        return db["outbox"].insert({"idempotency_key": key, "incident_id": incident_id, "kind": kind,
                                    "payload": json.dumps(payload), "created_at": created}).last_pk


def row(db, row_id: int) -> dict:
    return dict(db["outbox"].get(row_id))


def keyed(messages: list[dict], key: str) -> list[dict]:
    marker = idempotency_block_id(key)
    return [m for m in messages if any(b.get("block_id") == marker for b in m.get("blocks") or [])]


# --- threads ----------------------------------------------------------------------------------------

def test_first_alert_opens_the_incidents_thread_and_the_next_item_replies_in_it(db, slack, clock, admins):
    bamako = incident(db)
    first = alert(db, bamako, "bamako:story:1", outlet="Reuters")
    second = alert(db, bamako, "bamako:story:2", outlet="AFP")
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)

    assert (report.posted, report.parents) == (2, 1)
    parent, = slack.top_level(MALI)
    assert "Bamako attacks" in parent["text"] and "Story bamako:story:1" in parent["text"]
    reply, = slack.replies(MALI, parent["ts"])
    assert reply["text"] == "Story bamako:story:2" and reply.get("subtype") != "thread_broadcast"
    thread = db.execute("SELECT incident_id, channel, parent_ts FROM slack_threads").fetchall()
    assert thread == [(bamako, MALI, parent["ts"])]
    assert [row(db, i)["status"] for i in (first, second)] == ["sent", "sent"]
    assert row(db, second)["slack_ts"] == reply["ts"] and row(db, first)["slack_ts"] == parent["ts"]
    assert slack.violations == [] and admins == []


def test_each_incident_gets_its_own_thread_in_its_own_channel(db, slack, clock, admins):
    bamako, niamey = incident(db), incident(db, slug="niamey", name="Niamey attack", channel="niger-desk")
    for n in range(3):
        alert(db, bamako, f"b{n}")
        alert(db, niamey, f"n{n}")
    make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    for channel in (MALI, NIGER):
        parent, = slack.top_level(channel)
        assert len(slack.replies(channel, parent["ts"])) == 2
    assert slack.violations == []


def test_a_toll_change_is_a_broadcast_reply_and_the_parent_shows_the_current_toll(db, slack, clock, admins):
    bamako = incident(db)
    alert(db, bamako, "story:1")
    sender = make_sender(db, slack, clock=clock, admins=admins)
    sender.drain(max_seconds=10)
    alert(db, bamako, "toll:official:77", kind="toll_change", toll="official: 77 killed")
    report = sender.drain(max_seconds=10)

    parent, broadcast = slack.top_level(MALI)
    assert broadcast["subtype"] == "thread_broadcast" and broadcast["thread_ts"] == parent["ts"]
    assert report.broadcasts == 1 and report.parent_updates == 1
    assert "official: 77 killed" in parent["text"] and parent.get("edited")
    update, = slack.calls_to("chat.update")
    assert update.args["ts"] == parent["ts"]
    # The parent keeps the first alert's buttons and key through the update.
    assert keyed([parent], "story:1") and any(b["type"] == "actions" for b in parent["blocks"])
    assert slack.violations == []


def test_a_parent_deleted_by_an_editor_makes_the_next_alert_open_a_new_thread(db, slack, clock, admins):
    bamako = incident(db)
    alert(db, bamako, "story:1")
    sender = make_sender(db, slack, clock=clock, admins=admins)
    sender.drain(max_seconds=10)
    slack.channels[MALI].messages.clear()  # deleted in Slack
    alert(db, bamako, "toll:1", kind="toll_change", toll="77 killed")
    sender.drain(max_seconds=10)  # the reply lands on a missing parent; the update finds it gone
    alert(db, bamako, "story:2")
    sender.drain(max_seconds=10)
    assert any(m["text"].startswith("Bamako attacks") for m in slack.top_level(MALI))


# --- exactly once ---------------------------------------------------------------------------------

def test_429_waits_for_retry_after_and_sends_once(db, slack, clock, admins):
    bamako = incident(db)
    only = alert(db, bamako, "story:1")
    slack.fail_next("chat.postMessage", status=429, retry_after=1)
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)

    tries = slack.calls_to("chat.postMessage")
    assert [c.status for c in tries] == [429, 200]
    assert tries[1].at - tries[0].at >= 0.95
    assert report.rate_limited == 1 and report.posted == 1 and report.waited >= 0.95
    assert len(slack.messages(MALI)) == 1 and row(db, only)["status"] == "sent"


def test_a_retry_after_beyond_the_bound_leaves_the_alert_pending_until_then(db, slack, clock, admins):
    only = alert(db, incident(db), "story:1")
    slack.fail_next("chat.postMessage", status=429, retry_after=120)
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=5)
    state = row(db, only)
    assert report.deferred == 1 and state["status"] == "pending"
    assert state["next_attempt_at"] >= to_iso(clock() + timedelta(seconds=119))


@pytest.mark.parametrize("header", ["inf", "1e12"])
def test_a_retry_after_of_inf_or_1e12_is_clamped_and_stalls_nothing(db, slack, clock, admins, header):
    bamako = incident(db)
    only = alert(db, bamako, "story:1")
    slack.fail_next("chat.postMessage", status=429, retry_after=header)
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=5)
    state = row(db, only)
    assert state["status"] == "pending" and report.deferred == 1  # not left 'sending'
    assert state["next_attempt_at"] <= to_iso(clock() + timedelta(seconds=901))
    clock.advance(901)
    make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=5)
    assert row(db, only)["status"] == "sent"


def test_500_leaves_the_alert_pending_with_backoff(db, slack, clock, admins):
    bamako = incident(db)
    first, second = alert(db, bamako, "story:1"), alert(db, bamako, "story:2")
    slack.fail_next("chat.postMessage", status=500)
    sender = make_sender(db, slack, clock=clock, admins=admins)
    report = sender.drain(max_seconds=10)

    state = row(db, first)
    assert report.deferred == 1 and report.posted == 0
    assert state["status"] == "pending" and state["attempts"] == 1 and state["last_error"].startswith("server_error")
    assert state["next_attempt_at"] > to_iso(clock())
    assert row(db, second)["status"] == "pending"  # waits behind it: the thread keeps its order
    assert slack.messages(MALI) == []

    clock.advance(10)  # past the backoff: before posting again, the sender looks for it in Slack
    report = sender.drain(max_seconds=10)
    assert report.posted == 2 and slack.calls_to("conversations.history")
    assert len(keyed(slack.messages(MALI), "story:1")) == 1
    assert [row(db, i)["status"] for i in (first, second)] == ["sent", "sent"]


def test_a_post_whose_answer_is_lost_is_found_in_the_thread_not_posted_twice(db, slack, clock, admins):
    bamako = incident(db)
    alert(db, bamako, "story:1")
    sender = make_sender(db, slack, clock=clock, admins=admins)
    sender.drain(max_seconds=10)
    lost = alert(db, bamako, "story:2")
    slack.fail_next("chat.postMessage", crash_after_post=True)  # posted, then the connection drops
    first = sender.drain(max_seconds=10)
    assert first.deferred == 1 and row(db, lost)["last_error"].startswith("network")

    clock.advance(10)  # a lost answer is not looked for before a late post would have landed
    assert sender.drain(max_seconds=10) == DrainReport()
    clock.advance(FAST.late_post_wait)
    second = sender.drain(max_seconds=10)
    assert second.reconciled == 1 and second.posted == 0
    assert len(keyed(slack.messages(MALI), "story:2")) == 1
    assert row(db, lost)["slack_ts"] == keyed(slack.messages(MALI), "story:2")[0]["ts"]
    assert slack.calls_to("conversations.replies")


def test_a_post_slack_applies_after_the_client_timeout_is_not_doubled(db, slack, admins):
    # #12: Slack answers (and applies) chat.postMessage 2.5 s after it arrived; the client gives up
    # after 1 s. A look-up before the late post landed would find nothing and post it again.
    only = alert(db, incident(db), "story:1")
    slack.answer_late("chat.postMessage", seconds=2.5)
    settings = SenderSettings(rate_per_channel=200.0, burst=50, backoff_base=0.2, sending_lease=0.0,
                              late_post_wait=4.0)
    client = make_web_client(token="xoxb-test", base_url=slack.url, timeout=1)
    sender = SlackSender(db, client=client, render_parent=render_parent, render_alert=render_alert,
                         notify_admins=admins.append, settings=settings, rng=lambda: 0.0)  # real wall time

    first = sender.drain(max_seconds=10)
    assert first.deferred == 1 and row(db, only)["last_error"].startswith("network")
    assert slack.messages(MALI) == []  # the client timed out before Slack applied the post
    due = datetime.fromisoformat(row(db, only)["next_attempt_at"].replace("Z", "+00:00"))
    late_answer = slack.calls_to("chat.postMessage")[0].at + 2.5
    assert due.timestamp() >= time.time() - time.monotonic() + late_answer  # not looked for before it lands
    time.sleep(max(0.0, min(10.0, due.timestamp() - time.time() + 0.05)))

    second = sender.drain(max_seconds=10)
    assert (second.reconciled, second.posted) == (1, 0)
    assert all(c.response is not None for c in slack.calls_to("chat.postMessage"))  # Slack answered it all
    message, = slack.messages(MALI)
    assert keyed([message], "story:1") and row(db, only)["slack_ts"] == message["ts"]
    assert row(db, only)["status"] == "sent" and slack.violations == [] and admins == []


CRASHING_SENDER = textwrap.dedent("""
    import sys
    from bot.slack.sender import SenderSettings, SlackSender, make_web_client
    from db import open_database
    from tests.slack.test_slack_sender import render_alert, render_parent
    db = open_database(sys.argv[1])
    sender = SlackSender(db, client=make_web_client(token="xoxb-test", base_url=sys.argv[2], timeout=30),
                         render_parent=render_parent, render_alert=render_alert, notify_admins=print,
                         settings=SenderSettings(rate_per_channel=100.0, burst=50, sending_lease=0.0))
    sender.drain(max_seconds=30)
""")


@pytest.mark.parametrize("crash_on", ["parent", "reply"])
def test_crash_between_post_and_mark_sent_does_not_double_the_alert(db, slack, clock, admins, tmp_path, crash_on):
    bamako = incident(db)
    ids = [alert(db, bamako, "story:1"), alert(db, bamako, "story:2")]
    victim = ids[0] if crash_on == "parent" else ids[1]
    process: list[subprocess.Popen] = []
    # The server kills the sender process after the post took effect, before it can answer.
    slack.fail_next("chat.postMessage", crash_after_post=True, on_crash=lambda: process[0].kill(),
                    skip=0 if crash_on == "parent" else 1)
    db_path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    process.append(subprocess.Popen([sys.executable, "-c", CRASHING_SENDER, db_path, slack.url], cwd=REPO,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    process[0].wait(timeout=60)
    assert process[0].returncode != 0  # it really died mid-call
    assert row(db, victim)["status"] == "sending"

    clock.advance(5)  # the restart comes later (the crashed process wrote its own wall time)
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    assert report.reconciled == 1
    for n, row_id in enumerate(ids, 1):
        assert len(keyed(slack.messages(MALI), f"story:{n}")) == 1
        assert row(db, row_id)["status"] == "sent"
    assert len(slack.top_level(MALI)) == 1  # one parent, so one thread
    assert db.execute("SELECT COUNT(*) FROM slack_threads").fetchone()[0] == 1


def test_an_alert_slack_cannot_confirm_waits_for_a_person_who_sends_or_drops_it(db, slack, clock, admins):
    from db.outbox import blocked_alerts, decide_blocked

    bamako = incident(db)
    alert(db, bamako, "story:1")
    sender = make_sender(db, slack, clock=clock, admins=admins)
    sender.drain(max_seconds=10)
    posted, unposted = alert(db, bamako, "story:2"), alert(db, bamako, "story:3")
    slack.fail_next("chat.postMessage", crash_after_post=True)  # story:2 is in the thread, unconfirmed
    slack.fail_next("chat.postMessage", status=500)  # story:3 never made it
    slack.fail_next("conversations.replies", error="thread_not_found", times=2)  # and the look-ups fail
    for _ in range(4):  # each in doubt, then looked for in vain
        sender.drain(max_seconds=10)
        clock.advance(60)
    assert {a["id"] for a in blocked_alerts(db)} == {posted, unposted}
    assert all(row(db, i)["last_error"].startswith("unverified") for i in (posted, unposted))
    assert f"alerts drop {posted}" in admins[0] and f"alerts send {posted}" in admins[0]

    # The editor looks: story:2 is there, story:3 is not.
    assert decide_blocked(db, posted, send=False, actor="U0ADMIN")
    assert decide_blocked(db, unposted, send=True, actor="U0ADMIN")
    assert not decide_blocked(db, posted, send=True, actor="U0ADMIN")  # decided already
    sender.drain(max_seconds=10)
    assert len(keyed(slack.messages(MALI), "story:2")) == 1 and row(db, posted)["status"] == "dropped"
    assert len(keyed(slack.messages(MALI), "story:3")) == 1 and row(db, unposted)["status"] == "sent"
    assert [r["action"] for r in db.query("select action from audit_log order by id")] == ["alert_drop", "alert_send"]


# --- Slack refusing -----------------------------------------------------------------------------------

def test_not_in_channel_keeps_the_alert_and_tells_the_admins(db, slack, clock, admins):
    slack.channels[MALI].member = False
    bamako = incident(db)
    ids = [alert(db, bamako, f"story:{n}") for n in range(3)]
    sender = make_sender(db, slack, clock=clock, admins=admins)
    report = sender.drain(max_seconds=10)

    assert report.posted == 0 and report.blocked >= 1
    assert len(admins) == 1 and "not_in_channel" in admins[0] and "/invite" in admins[0]
    assert row(db, ids[0])["status"] == "blocked"
    assert {row(db, i)["status"] for i in ids} <= {"blocked", "pending"}  # kept, none dropped
    assert len(slack.posts(ok=False)) == 1  # one refusal stops the calls to that channel

    clock.advance(30)
    sender.drain(max_seconds=10)  # still not invited, still quiet: no second message to the admins
    assert len(admins) == 1

    slack.join(MALI)
    assert sender.retry_blocked(channel=MALI) >= 1
    report = sender.drain(max_seconds=10)
    assert report.posted == 3 and all(row(db, i)["status"] == "sent" for i in ids)
    assert len(slack.messages(MALI)) == 3


def test_channel_not_found_keeps_the_alert_and_tells_the_admins(db, slack, clock, admins):
    only = alert(db, incident(db, channel="#no-such-desk"), "story:1")
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    assert report.blocked == 1 and row(db, only)["status"] == "blocked"
    assert "channel_not_found" in row(db, only)["last_error"] and len(admins) == 1


def test_a_channel_named_by_hash_name_is_resolved_to_its_id_once(db, slack, clock, admins):
    bamako = incident(db, channel="#mali-desk")
    alert(db, bamako, "a")
    alert(db, bamako, "b")
    make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    assert len(slack.calls_to("conversations.list")) == 1
    assert {c.args["channel"] for c in slack.posts()} == {MALI}


def test_a_renderer_producing_invalid_blocks_blocks_that_alert_only(db, slack, clock, admins):
    bamako = incident(db)
    good = alert(db, bamako, "good")
    bad = alert(db, bamako, "bad", title="x" * 3001)  # a section holds at most 3000 characters
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    assert row(db, good)["status"] == "sent"
    assert row(db, bad)["status"] == "blocked" and row(db, bad)["last_error"] == "invalid_blocks"
    assert report.blocked == 1 and len(admins) == 1
    assert any("invalid blocks" in v for v in slack.violations)


def test_an_invalid_token_stops_the_drain_and_keeps_every_alert(db, slack, clock, admins):
    bamako = incident(db)
    ids = [alert(db, bamako, f"s{n}") for n in range(3)]
    slack.fail_next("chat.postMessage", error="invalid_auth")
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    assert report.stopped == "invalid_auth" and len(slack.calls_to("chat.postMessage")) == 1
    assert [row(db, i)["status"] for i in ids] == ["blocked", "pending", "pending"]


# --- folding, backlog, flood --------------------------------------------------------------------------

def test_syndicated_copies_pending_together_fold_into_one_alert(db, slack, clock, admins):
    bamako = incident(db)
    alert(db, bamako, "opener")
    rep = alert(db, bamako, "story:7:reuters", story_id=7, outlet="Reuters", title="Attack on school")
    copies = [alert(db, bamako, f"story:7:{o}", story_id=7, outlet=o, title="Attack on school")
              for o in ("Al Jazeera", "France 24")]
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)

    assert report.folded == 2 and report.posted == 2
    replies = [m for m in slack.messages(MALI) if m["text"] == "Attack on school"]
    assert len(replies) == 1
    assert "also in: Al Jazeera, France 24" in json.dumps(replies[0]["blocks"])
    for c in copies:
        assert row(db, c)["status"] == "folded" and row(db, c)["slack_ts"] == replies[0]["ts"]
    assert json.loads(row(db, rep)["payload"])["folded"] == copies


def test_a_copy_arriving_after_its_story_was_posted_folds_and_edits_the_alert(db, slack, clock, admins):
    bamako = incident(db)
    alert(db, bamako, "opener")
    alert(db, bamako, "story:7:reuters", story_id=7, outlet="Reuters", title="Attack on school")
    sender = make_sender(db, slack, clock=clock, admins=admins)
    sender.drain(max_seconds=10)
    late = alert(db, bamako, "story:7:bbc", story_id=7, outlet="BBC", title="Attack on school")
    report = sender.drain(max_seconds=10)

    assert report.folded == 1 and report.posted == 0 and row(db, late)["status"] == "folded"
    posted, = [m for m in slack.messages(MALI) if m["text"] == "Attack on school"]
    assert "also in: BBC" in json.dumps(posted["blocks"]) and posted.get("edited")


def test_a_new_feeds_backlog_is_recorded_not_posted(db, slack, clock, admins):
    bamako = incident(db)
    backlog = [alert(db, bamako, f"old:{n}", backlog=True) for n in range(450)]  # more than a batch
    backlog.append(alert(db, bamako, "old:kind", kind="backlog"))
    live = alert(db, bamako, "live")
    report = make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=10)
    assert report.recorded == 451 and report.posted == 1
    assert {row(db, i)["status"] for i in backlog} == {"recorded"}
    assert row(db, live)["status"] == "sent" and len(slack.messages(MALI)) == 1


def test_a_burst_of_500_alerts_drains_with_no_loss_no_duplicate_within_the_rate_limit(db, slack, clock, admins):
    rate, burst = 60.0, 5
    channels = [MALI, NIGER, "C0BURKINA1", "C0CHADDSK1"]
    for extra in channels[2:]:
        slack.add_channel(extra, extra.lower())
    incidents = [incident(db, slug=f"i{n}", name=f"Incident {n}", channel=ch) for n, ch in enumerate(channels)]
    keys = {}
    for n in range(500):
        kind = "toll_change" if n % 10 == 9 else "new_story"
        keys[alert(db, incidents[n % 4], f"burst:{n}", kind=kind, toll=f"{n} killed")] = f"burst:{n}"
    settings = SenderSettings(rate_per_channel=rate, burst=burst, sending_lease=0.0)
    report = make_sender(db, slack, clock=clock, admins=admins, settings=settings).drain(max_seconds=60,
                                                                                        max_messages=1000)
    assert report.posted == 500
    everything = [m for ch in channels for m in slack.messages(ch)]
    for key in keys.values():
        assert len(keyed(everything, key)) == 1, key  # no loss, no duplicate
    assert db.execute("SELECT COUNT(*) FROM outbox WHERE status != 'sent'").fetchone()[0] == 0
    for channel in channels:
        times = [c.at for c in slack.posts() if c.args["channel"] == channel]
        assert max_in_window(times, 1.0) <= burst + rate * 1.0 + 1
        assert max_in_window(times, 0.25) <= burst + rate * 0.25 + 1
    assert slack.violations == []


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any window of `window` seconds."""
    times, best, start = sorted(times), 0, 0
    for end, t in enumerate(times):
        while t - times[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best


# --- the pieces --------------------------------------------------------------------------------------

def test_the_token_bucket_allows_a_burst_then_the_rate():
    bucket = TokenBucket(rate=1.0, burst=5, now=0.0)
    for _ in range(5):
        assert bucket.wait(0.0) == 0
        bucket.take(0.0)
    assert bucket.wait(0.0) == pytest.approx(1.0)
    assert bucket.wait(1.0) == 0
    bucket.pause_until(10.0)
    assert bucket.wait(2.0) == pytest.approx(8.0)


def test_backoff_doubles_with_jitter_and_is_capped():
    assert backoff_seconds(1, base=2, cap=600, rng=lambda: 1.0) == 2
    assert backoff_seconds(4, base=2, cap=600, rng=lambda: 1.0) == 16
    assert backoff_seconds(4, base=2, cap=600, rng=lambda: 0.0) == 8
    assert backoff_seconds(30, base=2, cap=600, rng=lambda: 1.0) == 600


def test_the_sender_refuses_a_client_that_would_retry_a_post_by_itself(db, slack, clock, admins):
    with pytest.raises(ValueError, match="retry"):
        SlackSender(db, client=WebClient(token="xoxb-test", base_url=slack.url), render_parent=render_parent,
                    render_alert=render_alert, notify_admins=admins.append)


def test_the_idempotency_marker_is_a_valid_block_id():
    marker = idempotency_block_id("bamako:story:" + "x" * 1000)
    assert len(marker) <= 255 and marker == idempotency_block_id("bamako:story:" + "x" * 1000)
    assert block_problems([{"type": "divider", "block_id": marker}]) == []


def test_an_empty_outbox_drains_to_nothing(db, slack, clock, admins):
    assert make_sender(db, slack, clock=clock, admins=admins).drain(max_seconds=1) == DrainReport()


def test_the_manifest_grants_a_scope_for_every_method_the_sender_calls(db, slack, clock, admins):
    import yaml

    bamako = incident(db, channel="#mali-desk")
    alert(db, bamako, "story:1")
    slack.fail_next("chat.postMessage", status=503)
    sender = make_sender(db, slack, clock=clock, admins=admins)
    sender.drain(max_seconds=5)
    alert(db, bamako, "toll:1", kind="toll_change", toll="77 killed")
    slack.fail_next("chat.postMessage", status=503, skip=1)
    clock.advance(10)
    sender.drain(max_seconds=5)
    clock.advance(30)
    sender.drain(max_seconds=5)
    called = {c.method for c in slack.calls}
    assert {"conversations.list", "conversations.history", "conversations.replies", "chat.update"} <= called
    granted = set(yaml.safe_load((REPO / "manifest.yml").read_text())["oauth_config"]["scopes"]["bot"])
    for method in called:
        # The 2021 spec still names chat:write by its legacy halves (chat:write:bot / :user).
        needs = {s.replace("chat:write:bot", "chat:write") for s in slack.spec[method].scopes}
        assert "none" in needs or needs & granted, (method, needs)


# --- the fake itself ---------------------------------------------------------------------------------

def test_the_fake_only_answers_error_codes_the_spec_lists():
    with FakeSlack() as fake:
        with pytest.raises(ValueError, match="does not list"):
            fake.fail_next("chat.postMessage", error="message_not_found")
        fake.fail_next("chat.update", error="message_not_found")


def test_the_fake_records_arguments_and_methods_outside_the_spec():
    with FakeSlack() as fake:
        client = make_web_client(token="xoxb-test", base_url=fake.url)
        client.chat_postMessage(channel="C0GENERAL1", text="hi", metadata={"event_type": "x", "event_payload": {}})
        assert any("metadata" in v for v in fake.violations)
        with pytest.raises(Exception):
            client.api_call("chat.noSuchMethod")
        assert any("chat.noSuchMethod" in v for v in fake.violations)


def test_the_fake_answers_the_calls_the_slash_commands_need_within_the_spec():
    from slack_sdk.errors import SlackApiError

    with FakeSlack() as fake:
        fake.add_channel(MALI, "mali-desk")
        fake.add_user("U0EDITOR01", channels=(MALI,))
        fake.add_user("U0ADMIN001", is_admin=True)
        client = make_web_client(token="xoxb-test", base_url=fake.url)
        assert client.auth_test()["user_id"].startswith("U")
        assert client.users_info(user="U0ADMIN001")["user"]["is_admin"] is True
        assert client.users_info(user="U0EDITOR01")["user"]["is_admin"] is False
        assert client.conversations_info(channel=MALI)["channel"]["name"] == "mali-desk"
        assert client.chat_postEphemeral(channel=MALI, user="U0EDITOR01", text="only you")["message_ts"]
        with pytest.raises(SlackApiError) as refused:
            client.chat_postEphemeral(channel=MALI, user="U0ADMIN001", text="not a member")
        assert refused.value.response["error"] == "user_not_in_channel"
        assert fake.messages(MALI) == [] and fake.violations == []


def test_the_fake_checks_blocks_with_slack_sdk_and_the_json_schema():
    assert block_problems([{"type": "section", "text": {"type": "mrkdwn", "text": "ok"}}]) == []
    problems = block_problems([{"type": "section"}])
    assert any(p.startswith("schema") for p in problems) and any(p.startswith("slack_sdk") for p in problems)
    assert block_problems([{"type": "no_such_block"}])
    assert block_problems([{"type": "divider"}] * 51)
