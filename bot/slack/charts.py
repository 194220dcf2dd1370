"""The toll as a picture in Slack: `/incident <name> chart` and the "Chart" button on a toll reply.

The PNG is drawn by the desk (its own process in production), then uploaded here with Slack's
external-upload flow into the incident's thread; without a thread yet, into its channel; without
either, the editor is told why, privately.
"""

from __future__ import annotations

import logging
import re

from bot.slack.blocks import CHART, escape
from bot.slack.upload import UploadError, upload_file

logger = logging.getLogger(__name__)

CHART_COMMAND = re.compile(r"^\s*(?P<name>\S.*?)\s+chart\s*$", re.IGNORECASE)


def chart_name(text: str) -> str | None:
    """The incident named by '/incident <name> chart', else None."""
    found = CHART_COMMAND.match(text or "")
    return found.group("name") if found and not found.group("name").lower().startswith("track ") else None


def register(app, deps) -> None:
    """Register before handlers/incident.py's /incident listener: Bolt runs the first that matches."""

    def asks_for_chart(command) -> bool:
        return chart_name(command.get("text") or "") is not None

    @app.command("/incident", matchers=[asks_for_chart])
    def chart_command(ack, command, respond, client):
        ack()  # Slack wants an answer within 3 seconds; the chart is drawn after
        deps.later(post_chart, deps, client, respond, name=chart_name(command["text"]), user=command["user_id"])

    @app.action(CHART)
    def chart_clicked(ack, action, body, respond, client):
        ack()
        user = body["user"]["id"]
        if not body.get("response_url"):  # from the Home tab: no message to answer, so a DM says where it went
            respond = direct_message(client, user)
        deps.later(post_chart, deps, client, respond, name=action["value"], user=user)


def direct_message(client, user: str):
    """A respond() stand-in that tells the user in the app's Messages tab (chat.postMessage to their ID)."""
    def respond(*, text: str, **_ignored) -> None:
        client.chat_postMessage(channel=user, text=text)
    return respond


def channel_id(deps, ref: str | None) -> str | None:
    """A channel ID for an incident's channel (an ID, a <#C…> mention or a #name)."""
    if not ref:
        return None
    if deps.sender is not None:
        return deps.sender.threads.channel_id(ref)
    mention = re.match(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$", ref.strip())
    return mention.group(1) if mention else ref.strip()


def post_chart(deps, client, respond, *, name: str, user: str) -> None:
    """Draw the chart (desk), upload it where the incident lives, and say where, privately."""
    chart = deps.desk.chart_post(name)
    if "error" in chart:
        respond(response_type="ephemeral", replace_original=False, text=escape(chart["error"])[:3000])
        return
    where = channel_id(deps, chart["channel"])
    if where is None:
        respond(response_type="ephemeral", replace_original=False,
                text=f"{escape(chart['name'])} has no thread and no channel yet, so the chart has nowhere to go: "
                     f"track it with channel: #desk, or ask again once its first alert is posted.")
        return
    try:
        upload_file(client, chart["png"], filename=chart["filename"], title=chart["title"], channel=where,
                    thread_ts=chart["thread_ts"],
                    alt_text=f"Reported casualty figures over time for {chart['name']}, per source")
    except UploadError as exc:
        logger.warning("chart upload failed for %s: %s", chart["slug"], exc)
        respond(response_type="ephemeral", replace_original=False, text=f"Could not post the chart: {escape(str(exc))}")
        return
    place = "in its thread in" if chart["thread_ts"] else "in"
    respond(response_type="ephemeral", replace_original=False,
            text=f"Posted the chart of {escape(chart['name'])} {place} <#{where}>.")
