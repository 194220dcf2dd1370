"""The Track modal: opened by `/incident track` with no arguments, the Home tab's button and the
message shortcut "Track this story"; its submission runs the same `track` as the slash command.

Slack's trigger_id is good for 3 seconds: the request is acknowledged first, then the modal is opened
on a thread of its own (not behind the answers' queue); nothing slow runs before views.open.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from slack_sdk.errors import SlackApiError

from bot.slack.blocks import clip, escape
from bot.slack.home import HOME_TRACK
from bot.slack.modals import TRACK_MODAL, TRACK_STORY, message_links, submission_errors, track_line, track_modal
from bot.text import canonical_url
from db.items import item_by_link

logger = logging.getLogger(__name__)

# Opening a modal is one HTTP call, and must beat the trigger's 3 seconds: its own small pool.
_OPENERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="modal")


def open_soon(client, *, trigger_id: str, view: dict) -> None:
    def run():
        try:
            client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            logger.warning("views.open failed: %s", exc.response.get("error"))
        except Exception:
            logger.exception("views.open failed")
    _OPENERS.submit(run)


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
        open_track_modal(client, trigger_id=command["trigger_id"], channel=command.get("channel_id"))

    @app.shortcut(TRACK_STORY)
    def track_story(ack, shortcut, client):
        ack()
        channel = (shortcut.get("channel") or {}).get("id")
        open_soon(client, trigger_id=shortcut["trigger_id"],
                  view=story_modal(deps, shortcut.get("message") or {}, channel=channel))

    @app.action(HOME_TRACK)
    def home_track(ack, body, client):
        ack()
        open_soon(client, trigger_id=body["trigger_id"], view=track_modal())

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


def open_track_modal(client, *, trigger_id: str, channel: str | None) -> None:
    """`/incident track` with nothing after it."""
    open_soon(client, trigger_id=trigger_id, view=track_modal(channel=channel, origin={"channel": channel}))


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


