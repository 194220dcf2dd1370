"""The Track modal: `/incident track` alone and the "Track this story" shortcut open it (views.open within
the trigger's 3 s, even while the work queue is busy; the shortcut's prefill follows by views.update);
a signed view_submission tracks the incident with the same code as the slash command."""

import json
import re
import time
from urllib.parse import urlencode

from bot.slack.modals import track_line
from tests.slack.fakeslack import view_problems
from tests.slack.slack_requests import _trigger_id, post, slash_command
from tests.slack.test_slack_app import CHANNEL, EDITOR
from tests.slack.test_slack_chart import founding_case

USER = {"id": EDITOR, "username": "editor", "team_id": "T0TEST"}
TEAM = {"id": "T0TEST", "domain": "newsroom"}


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def opened_view(slack, count=1):
    answered = lambda: [c for c in slack.calls_to("views.open") if c.response is not None]  # noqa: E731
    call = wait_for(lambda: len(answered()) >= count and answered())[count - 1]
    assert call.ok, call.response
    return call


def updated_view(slack, opened, timeout=10.0):
    """The views.update of the view `opened` (a views.open call) answered."""
    view_id = opened.response["view"]["id"]
    call = wait_for(lambda: [c for c in slack.calls_to("views.update")
                             if c.response is not None and c.args.get("view_id") == view_id], timeout)[0]
    assert call.ok, call.response
    return call


def submission(values: dict, *, user=EDITOR) -> str:
    state = {block: {"value": value} for block, value in values.items()}
    payload = {"type": "view_submission", "team": TEAM, "user": {**USER, "id": user}, "api_app_id": "A0TEST",
               "token": "legacy", "trigger_id": _trigger_id(),
               "view": {"id": "V000000001", "team_id": "T0TEST", "type": "modal", "callback_id": "track_modal",
                        "private_metadata": "{}", "blocks": [], "hash": "1.1", "title": {"type": "plain_text",
                                                                                         "text": "Track an incident"},
                        "state": {"values": state}, "app_id": "A0TEST", "bot_id": "B0BOTAPP01"},
               "response_urls": []}
    return urlencode({"payload": json.dumps(payload)})


def text_value(value):
    return {"type": "plain_text_input", "value": value}


FIELDS = {"name": text_value("Bamako attacks"), "keywords": text_value("bamako, gendarmerie school, JNIM"),
          "places": text_value(None), "since": {"type": "datepicker", "selected_date": "2024-09-17"},
          "until": {"type": "datepicker", "selected_date": None},
          "channel": {"type": "conversations_select", "selected_conversation": CHANNEL}}


def test_incident_track_alone_opens_the_modal_within_the_triggers_3_seconds(running, catcher, slack):
    started = time.monotonic()
    response = post(running.url, slash_command("/incident", "track", user=EDITOR, response_url=catcher.url))
    assert response.status_code == 200
    call = opened_view(slack)
    assert call.at - started < 3
    view = call.args["view"]
    assert view_problems(view, home=False) == []
    assert view["callback_id"] == "track_modal"
    assert [b["block_id"] for b in view["blocks"]] == ["name", "keywords", "places", "since", "until", "channel"]
    channel = next(b for b in view["blocks"] if b["block_id"] == "channel")["element"]
    assert channel["type"] == "conversations_select" and channel["initial_conversation"] == CHANNEL
    assert next(b for b in view["blocks"] if b["block_id"] == "since")["element"]["type"] == "datepicker"
    assert catcher.bodies == []  # no text answer: the modal is the answer


def test_a_view_submission_tracks_the_incident_and_answers_in_the_channel_chosen(running, db, slack):
    assert post(running.url, submission(FIELDS)).status_code == 200
    posted = wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Now tracking" in m["text"]])
    assert "Now tracking Bamako attacks (bamako-attacks) since 2024-09-17 in C0MALIDESK1" in posted[0]["text"]
    (incident,) = db.query("select slug, since, channel, created_by, keywords from incidents")
    assert (incident["slug"], incident["since"], incident["channel"], incident["created_by"]) == (
        "bamako-attacks", "2024-09-17", CHANNEL, EDITOR)
    assert "gendarmerie school" in incident["keywords"]
    (entry,) = db.query("select actor, detail from audit_log where action = 'incident_track'")
    assert entry["actor"] == EDITOR


def test_without_a_channel_the_answer_comes_privately_and_a_blank_name_is_refused_in_the_modal(running, db, slack):
    fields = {**FIELDS, "channel": {"type": "conversations_select", "selected_conversation": None}}
    assert post(running.url, submission(fields)).status_code == 200
    dm = slack.dm(EDITOR).id
    assert "Now tracking Bamako attacks" in wait_for(lambda: slack.messages(dm))[0]["text"]
    refused = post(running.url, submission({**FIELDS, "name": text_value("  ")}))
    assert refused.json() == {"response_action": "errors", "errors": {"name": "Give the incident a name."}}
    backwards = post(running.url, submission({**FIELDS, "until": {"type": "datepicker",
                                                                  "selected_date": "2024-09-01"}}))
    assert backwards.json()["errors"] == {"until": "Until is before since."}
    assert db["incidents"].count == 1


def test_the_track_line_is_what_the_slash_command_takes():
    fields = {**FIELDS, "places": text_value("Bamako, to: Mali")}
    line, channel = track_line({block: {"value": element} for block, element in fields.items()})
    assert line == ("track Bamako attacks keywords: bamako, gendarmerie school, JNIM places: Bamako, to Mali "
                    "since: 2024-09-17 channel: <#C0MALIDESK1>")
    assert channel == CHANNEL


def test_track_this_story_prefills_from_the_stored_item(running, catcher, db, client, settings, slack):
    founding_case(running, catcher, db, client, settings)
    item = next(iter(db.query("select id, title, link, published from items where link is not null "
                              "order by published limit 1")))
    payload = {"type": "message_action", "callback_id": "track_story", "trigger_id": _trigger_id(), "user": USER,
               "team": TEAM, "api_app_id": "A0TEST", "token": "legacy", "channel": {"id": CHANNEL, "name": "mali-desk"},
               "message_ts": "1.2", "response_url": "http://127.0.0.1:9/none",
               "message": {"type": "message", "user": EDITOR, "ts": "1.2",
                           "text": f"look at this <{item['link']}?utm_source=x|story>"}}
    before = len(slack.calls_to("views.open"))
    assert post(running.url, urlencode({"payload": json.dumps(payload)})).status_code == 200
    opened = opened_view(slack, before + 1)
    assert "initial_date" not in json.dumps(opened.args["view"])  # the empty form first: no database read
    view = updated_view(slack, opened).args["view"]
    assert view_problems(view, home=False) == []
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert blocks["since"]["element"]["initial_date"] == item["published"][:10]
    assert blocks["name"]["element"]["initial_value"] == item["title"][:150]
    assert blocks["channel"]["element"]["initial_conversation"] == CHANNEL
    assert json.loads(view["private_metadata"])["item_id"] == item["id"]
    # a message whose link the desk never stored: the same modal, empty, saying so
    payload["trigger_id"] = _trigger_id()
    payload["message"]["text"] = "<https://example.org/elsewhere|elsewhere>"
    assert post(running.url, urlencode({"payload": json.dumps(payload)})).status_code == 200
    view = updated_view(slack, opened_view(slack, before + 2)).args["view"]
    assert "not a story the desk has stored" in json.dumps(view) and "initial_date" not in json.dumps(view)
    # a message with no link at all: nothing to look up, the final modal opens alone
    payload["trigger_id"] = _trigger_id()
    payload["message"]["text"] = "no link here"
    assert post(running.url, urlencode({"payload": json.dumps(payload)})).status_code == 200
    assert "has no link" in json.dumps(opened_view(slack, before + 3).args["view"])
    time.sleep(0.3)
    assert len(slack.calls_to("views.update")) == 2


def busy_queue(running, *, jobs=4, seconds=2.0):
    """Fill the work queue (two threads) with slow jobs: it stays busy for jobs / 2 * seconds."""
    for _ in range(jobs):
        running.later(time.sleep, seconds)


def test_track_opens_at_once_while_the_work_queue_is_busy_and_the_prefill_follows_by_views_update(
        running, catcher, db, client, settings, slack):
    founding_case(running, catcher, db, client, settings)
    item = next(iter(db.query("select id, title, link, published from items where link is not null "
                              "order by published limit 1")))
    before = len(slack.calls_to("views.open"))
    busy_queue(running)  # 4 s of work ahead of anything queued now
    sent = time.monotonic()
    assert post(running.url, slash_command("/incident", "track", user=EDITOR, response_url=catcher.url)
                ).status_code == 200
    bare = opened_view(slack, before + 1)
    assert bare.at - sent < 1.0 and bare.args["view"]["callback_id"] == "track_modal"
    payload = {"type": "message_action", "callback_id": "track_story", "trigger_id": _trigger_id(), "user": USER,
               "team": TEAM, "api_app_id": "A0TEST", "token": "legacy", "channel": {"id": CHANNEL, "name": "mali-desk"},
               "message_ts": "1.2", "response_url": "http://127.0.0.1:9/none",
               "message": {"type": "message", "user": EDITOR, "ts": "1.2", "text": f"see <{item['link']}|story>"}}
    sent = time.monotonic()
    assert post(running.url, urlencode({"payload": json.dumps(payload)})).status_code == 200
    story = opened_view(slack, before + 2)
    assert story.at - sent < 1.0  # not behind the queue's 4 s
    light = story.args["view"]
    assert view_problems(light, home=False) == [] and "Looking up the linked story" in json.dumps(light)
    assert "initial_value" not in json.dumps(light) and slack.calls_to("views.update") == []
    update = updated_view(slack, story, timeout=20)
    assert update.at - sent > 1.0  # behind the queue's slow jobs, as the answers' work is
    assert update.args["view_id"] == story.response["view"]["id"]
    assert update.args["hash"] == story.response["view"]["hash"]
    blocks = {b["block_id"]: b for b in update.args["view"]["blocks"]}
    assert blocks["name"]["element"]["initial_value"] == item["title"][:150]
    assert blocks["since"]["element"]["initial_date"] == item["published"][:10]


def test_an_expired_trigger_is_told_to_the_user_in_the_channel(running, catcher, slack):
    slack.channels[CHANNEL].users.add(EDITOR)
    body = slash_command("/incident", "track", user=EDITOR, response_url=catcher.url)
    stale = re.sub(r"trigger_id=[^&]+", f"trigger_id=9.{time.time_ns() - 4_000_000_000}", body)  # 4 s old
    assert stale != body and post(running.url, stale).status_code == 200
    call = wait_for(lambda: [c for c in slack.calls_to("views.open") if c.response])[0]
    assert call.error == "expired_trigger_id"
    assert "more than 3 s" in slack.violations.pop()
    told = wait_for(lambda: [c for c in slack.calls_to("chat.postEphemeral") if c.response])[0]
    assert told.ok and told.args["channel"] == CHANNEL and told.args["user"] == EDITOR
    assert "could not open" in told.args["text"]


def test_the_home_tabs_track_button_opens_the_modal(running, slack):
    payload = {"type": "block_actions", "user": USER, "api_app_id": "A0TEST", "token": "legacy", "team": TEAM,
               "container": {"type": "view", "view_id": "V1"}, "view": {"id": "V1", "type": "home"},
               "trigger_id": _trigger_id(),
               "actions": [{"action_id": "home_track", "block_id": "intro", "type": "button", "value": "track",
                            "action_ts": str(time.time())}]}
    assert post(running.url, urlencode({"payload": json.dumps(payload)})).status_code == 200
    view = opened_view(slack).args["view"]
    assert view["callback_id"] == "track_modal" and view_problems(view, home=False) == []


def test_twenty_concurrent_commands_with_modal_opens_are_all_acknowledged_fast(running, catcher, slack):
    from concurrent.futures import ThreadPoolExecutor

    post(running.url, slash_command("/incident", "track Bamako attacks keywords: bamako since: 2024-09-17",
                                    user=EDITOR, response_url=catcher.url))
    texts = ["track", "bamako toll", "bamako chart", "list"] * 5

    def send(text):
        started = time.perf_counter()
        response = post(running.url, slash_command("/incident", text, user=EDITOR, response_url=catcher.url))
        return response.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(send, texts))
    assert all(status == 200 for status, _ in results)
    # Slack's limit is 3 s. Here the desk draws charts in this very process (production gives it its own,
    # and bench/bench_slack_ack.py holds p99 < 50 ms there), so only the limit itself is asserted.
    assert max(elapsed for _, elapsed in results) < 3.0
    opened = wait_for(lambda: len([c for c in slack.calls_to("views.open") if c.response]) >= 5 and
                      slack.calls_to("views.open"))
    assert all(c.ok for c in opened)  # each within its trigger's 3 seconds (the fake refuses later ones)
    assert len(catcher.wait(16, timeout=60)) == 16  # the track line, then 15 answers: toll, chart and list


def test_a_burst_of_track_modals_all_reach_slack_within_the_trigger_even_when_slack_answers_slowly(
        running, catcher, slack):
    from concurrent.futures import ThreadPoolExecutor

    burst = 16
    slack.answer_late("views.open", seconds=0.9, times=burst)  # each open held 0.9 s, as a slow round trip

    def send(_):
        body = slash_command("/incident", "track", user=EDITOR, response_url=catcher.url)
        issued = int(re.search(r"trigger_id=\d+\.(\d+)", body).group(1)) / 1e9
        assert post(running.url, body).status_code == 200
        return issued

    with ThreadPoolExecutor(max_workers=burst) as pool:
        issued = list(pool.map(send, range(burst)))
    calls = wait_for(lambda: len([c for c in slack.calls_to("views.open") if c.response]) >= burst
                     and slack.calls_to("views.open"), timeout=20)
    wall = time.time() - time.monotonic()
    ages = sorted(round(c.at + wall - int(c.args["trigger_id"].rsplit(".", 1)[-1]) / 1e9, 2) for c in calls)
    assert len(calls) == burst and all(c.ok for c in calls), ages  # none answered expired_trigger_id
    # Four openers took four turns of 0.9 s for this burst: the last was answered 3.6 s after its trigger, expired.
    assert max(c.at + wall for c in calls) - min(issued) < 2.0, ages
