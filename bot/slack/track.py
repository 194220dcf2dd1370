"""The Track modal: opened by `/incident track` with no arguments, the Home tab's button and the
message shortcut "Track this story"; its submission runs the same `track` as the slash command.

Slack's trigger_id is good for 3 seconds: the request is acknowledged first, then the empty form opens
at once (bot/slack/modal_open.py, not behind the answers' queue, no database read before views.open);
the shortcut's prefill from the stored story follows by views.update.
"""

from __future__ import annotations

import logging
from datetime import date

from slack_sdk.errors import SlackApiError

from bot.slack.blocks import clip, escape
from bot.slack.home import HOME_TRACK
from bot.slack.modal_open import open_modal
from bot.slack.modals import TRACK_MODAL, TRACK_STORY, message_links, submission_errors, track_line, track_modal
from bot.text import canonical_url
from db.items import item_by_link

logger = logging.getLogger(__name__)

def story_modal(deps, message: dict, *, channel: str | None) -> dict:
    """The modal pre-filled from the message's link when that link is a stored item."""
    links = message_links(message)
    item = item_by_link(deps.db, list(dict.fromkeys(u for link in links for u in (canonical_url(link), link)))) \
        if links else None
    if item is None:
        note = ("That link is not a story the desk has stored: fill in the fields." if links
                else "That message has no link: fill in the fields.")
        return track_modal(channel=channel, note=note, origin={"channel": channel, "links": links[:3]})
    day = None
    try:
        day = date.fromisoformat((item["published"] or "")[:10])
    except ValueError:
        pass
    return track_modal(name=clip(item["title"] or "", 150), since=day, channel=channel,
                       note=f"From the stored story “{escape(item['title'] or '')[:200]}”.",
                       origin={"channel": channel, "item_id": item["id"]})


def register(app, deps) -> None:
    """Register before handlers/incident.py's /incident listener: Bolt runs the first that matches."""

    def track_alone(command) -> bool:
        return (command.get("text") or "").strip().lower() == "track" and bool(command.get("trigger_id"))

    @app.command("/incident", matchers=[track_alone])
    def track_command(ack, command, client):
        ack()  # first the acknowledgement, then the modal, well within the trigger's 3 seconds
        open_track_modal(deps, client, trigger_id=command["trigger_id"], channel=command.get("channel_id"),
                         user=command["user_id"])

    @app.shortcut(TRACK_STORY)
    def track_story(ack, shortcut, client):
        ack()
        channel = (shortcut.get("channel") or {}).get("id")
        open_story_modal(deps, client, message=shortcut.get("message") or {}, channel=channel,
                         trigger_id=shortcut["trigger_id"], user=shortcut["user"]["id"])

    @app.action(HOME_TRACK)
    def home_track(ack, body, client):
        ack()
        open_modal(deps, client, trigger_id=body["trigger_id"], view=track_modal(), user=body["user"]["id"])

    @app.view(TRACK_MODAL)
    def track_submitted(ack, view, body, client):
        values = (view.get("state") or {}).get("values") or {}
        errors = submission_errors(values)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()
        line, channel = track_line(values)
        deps.later(submit_track, deps, client, line=line, channel=channel, user=body["user"]["id"])


def open_track_modal(deps, client, *, trigger_id: str, channel: str | None, user: str) -> None:
    """`/incident track` with nothing after it: the empty form, with the channel it came from."""
    open_modal(deps, client, trigger_id=trigger_id, user=user, channel=channel,
               view=track_modal(channel=channel, origin={"channel": channel}))


def open_story_modal(deps, client, *, message: dict, channel: str | None, trigger_id: str, user: str) -> None:
    """The "Track this story" shortcut: the empty form at once; the stored story's title and day follow by views.update."""
    links = message_links(message)
    if not links:  # nothing to look up: the final view is at hand
        open_modal(deps, client, trigger_id=trigger_id, user=user, channel=channel,
                   view=story_modal(deps, message, channel=channel))
        return
    light = track_modal(channel=channel, note="Looking up the linked story…",
                        origin={"channel": channel, "links": links[:3]})
    open_modal(deps, client, trigger_id=trigger_id, user=user, channel=channel, view=light,
               fill=lambda: story_modal(deps, message, channel=channel))


def submit_track(deps, client, *, line: str, channel: str | None, user: str) -> None:
    """Run the track line; answer in the chosen channel, else (or when the bot is not there) privately."""
    reply = deps.desk.ask(line, user=user)
    text = clip(escape(reply.text), 3000)
    if channel and reply.ok:
        try:
            client.chat_postMessage(channel=channel, text=f"<@{user}>: {text}")
            return
        except SlackApiError as exc:
            text += f"\n(Could not answer in <#{channel}>: {exc.response.get('error')}; invite the bot there.)"
    client.chat_postMessage(channel=user, text=text)


