"""An emerging incident in the desk channel (bot/slack/suggestion_post.py): posted once, with a Track
button, across polls and restarts; nothing without a desk channel; the button opens the Track modal
prefilled, whose submission tracks it (and a tracked event is no suggestion any more)."""

import json
from dataclasses import replace
from datetime import timedelta
from functools import partial

from bot.config import SlackSettings, load_slack_settings
from bot.incidents import queue_suggestions
from bot.incidents.desk import Desk
from bot.models import Item
from bot.slack import SuggestionPoster
from bot.slack.app import make_sender
from bot.slack.sender import make_web_client
from db.connection import writing
from db.items import insert_item, insert_story
from tests.incidents.test_suggestions import AT, ATTACK, FILLER, T0
from tests.slack.fakeslack import view_problems
from tests.slack.slack_requests import block_action, post
from tests.slack.test_slack_app import CHANNEL
from tests.slack.test_slack_track_modal import opened_view, submission, text_value, wait_for

MORE = replace(ATTACK[1], title="Zorvath market toll climbs to 25 in Kessaly",
               summary="At least 25 people were killed at the Zorvath market in Kessaly, a hospital official said.",
               published=T0 + timedelta(hours=5, minutes=30), outlet="Channel Four", story_id=None)


def store(db, items, *, start=0):
    """The items as polled: each in a story of its own (so each outlet's report counts once)."""
    if not db["feeds"].exists() or not db["feeds"].count:
        db["feeds"].insert({"id": "wire", "url": "https://wire.example/rss", "interval_seconds": 600})
    with writing(db):
        for n, s in enumerate(items, start):
            story = insert_story(db, link=f"https://x.example/{n}", fingerprint=f"f{n}", title=s.title,
                                 seen_at="2031-03-04T00:00:00Z", signature=None, band_keys=[])
            item = Item(feed_id="wire", guid=f"g{n}", link=f"https://x.example/{n}", title=s.title, summary=s.summary,
                        content="", author=None, published=s.published, published_is_first_seen=False, lang="en",
                        outlet=s.outlet)
            insert_item(db, item, story_id=story, fingerprint=f"f{n}", seen_at="2031-03-04T00:00:00Z", backlog=False)


def poster_for(db, sender, channel=CHANNEL):
    return SuggestionPoster(channel=channel, queue=partial(queue_suggestions, db),
                            drain=lambda: sender.drain(max_seconds=10))


def suggestion_messages(slack):
    return [m for m in slack.messages(CHANNEL) if "Emerging incident" in (m.get("text") or "")]


def track_button(message):
    (actions,) = [b for b in message["blocks"] if b["type"] == "actions"]
    (button,) = actions["elements"]
    return button


def outbox_suggestions(db):
    return list(db.query("select idempotency_key, status, slack_channel from outbox where kind = 'suggestion'"))


def test_a_burst_is_posted_once_with_a_track_button_across_polls_and_restarts(running, db, slack):
    store(db, FILLER + ATTACK)
    assert len(poster_for(db, running.sender).run(at=AT)) == 1
    (message,) = suggestion_messages(slack)
    assert message["text"].startswith("Emerging incident: ") and "Zorvath" in message["text"]
    shown = json.dumps(message["blocks"])
    for outlet in ("Wire One", "Daily Two", "Radio Three"):
        assert outlet in shown
    assert "First seen" in shown and "2031-03-04 06:00" in shown and "Figures so far" in shown and "14 killed" in shown
    button = track_button(message)
    assert button["action_id"] == "track_suggestion" and button["text"]["text"] == "Track"
    value = json.loads(button["value"])
    assert "Zorvath" in value["name"] and "zorvath" in value["keywords"] and value["since"] == "2031-03-04"
    (row,) = outbox_suggestions(db)
    assert row["status"] == "sent" and row["idempotency_key"].startswith("suggestion:2031-03-04:")

    # the next poll brings a fourth outlet of the same event: it is still one suggestion, posted already
    store(db, [MORE], start=len(FILLER) + len(ATTACK))
    later = AT + timedelta(hours=1)
    (grown,) = [s for s in Desk(db).suggest(later).splitlines() if "Zorvath" in s and "items from" in s]
    assert "4 items from 4 outlets" in grown
    assert poster_for(db, running.sender).run(at=later) == []
    assert len(suggestion_messages(slack)) == 1

    # a restart: a new sender (and client) over the same database posts nothing more
    slack_settings = SlackSettings(bot_token="xoxb-test", signing_secret="test-signing-secret", api_url=slack.url)
    restarted = make_sender(db, Desk(db), make_web_client(token="xoxb-test", base_url=slack.url), slack_settings)
    assert poster_for(db, restarted).run(at=later) == []
    restarted.drain(max_seconds=5)
    assert len(suggestion_messages(slack)) == 1 and len(outbox_suggestions(db)) == 1


def test_without_a_desk_channel_nothing_is_posted(running, db, slack):
    assert load_slack_settings(environ={"INCIDENT_DESK_SUGGEST_CHANNEL": CHANNEL}).suggest_channel == CHANNEL
    unset = load_slack_settings(environ={"INCIDENT_DESK_SUGGEST_CHANNEL": "  "})
    assert unset.suggest_channel is None
    store(db, FILLER + ATTACK)
    assert poster_for(db, running.sender, channel=unset.suggest_channel).run(at=AT) == []
    running.sender.drain(max_seconds=5)
    assert suggestion_messages(slack) == [] and outbox_suggestions(db) == []
    assert len(poster_for(db, running.sender).run(at=AT)) == 1  # the same burst, a channel set: posted


def test_an_event_tracked_before_its_post_is_not_posted(running, db, slack):
    store(db, FILLER + ATTACK)
    (queued,) = queue_suggestions(db, channel=CHANNEL, at=AT)  # queued, not yet sent
    reply = Desk(db).ask("/incident track Zorvath market attack keywords: zorvath, kessaly since: 2031-03-04")
    assert reply.ok, reply.text
    assert queue_suggestions(db, channel=CHANNEL, at=AT) == []
    running.sender.drain(max_seconds=5)
    assert suggestion_messages(slack) == []
    assert [r["status"] for r in outbox_suggestions(db)] == ["dropped"]


def test_clicking_track_opens_the_modal_prefilled_and_submitting_tracks_it(running, catcher, db, slack):
    store(db, FILLER + ATTACK)
    poster_for(db, running.sender).run(at=AT)
    button = track_button(suggestion_messages(slack)[0])
    before = len(slack.calls_to("views.open"))
    action = {"action_id": button["action_id"], "type": "button", "value": button["value"]}
    assert post(running.url, block_action(action, user="U0EDITOR1", response_url=catcher.url)).status_code == 200
    view = opened_view(slack, before + 1).args["view"]
    assert view_problems(view, home=False) == []
    assert view["callback_id"] == "track_modal"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    name = json.loads(button["value"])["name"]
    assert "Zorvath" in name and blocks["name"]["element"]["initial_value"] == name
    assert "zorvath" in blocks["keywords"]["element"]["initial_value"]
    assert blocks["since"]["element"]["initial_date"] == "2031-03-04"
    assert blocks["channel"]["element"]["initial_conversation"] == CHANNEL

    fields = {"name": text_value(name), "keywords": text_value(blocks["keywords"]["element"]["initial_value"]),
              "places": text_value(None), "since": {"type": "datepicker", "selected_date": "2031-03-04"},
              "until": {"type": "datepicker", "selected_date": None},
              "channel": {"type": "conversations_select", "selected_conversation": CHANNEL}}
    assert post(running.url, submission(fields)).status_code == 200
    wait_for(lambda: [m for m in slack.messages(CHANNEL) if "Now tracking" in m["text"]])
    assert db["incidents"].count == 1
    # tracked now: no suggestion any more, nothing queued
    assert queue_suggestions(db, channel=CHANNEL, at=AT + timedelta(hours=1)) == []
