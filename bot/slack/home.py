"""The App Home tab: the incidents tracked with their leading killed figure and last change, buttons
for toll and chart and Track; the emerging incidents nobody tracks yet (suggestions); for admins, feed
health (failing and stale feeds first).

`home_view` is pure (the desk's home data in, a `home` view dict out); `register` publishes it when an
editor opens the tab (never on a poll), and answers its Toll button with the toll in a modal (bot/slack/modal_open.py: open at once, fill after).
"""

from __future__ import annotations

from slack_sdk.models.blocks import (ActionsBlock, ButtonElement, ContextBlock, DividerBlock, HeaderBlock,
                                     SectionBlock)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject, PlainTextObject

from bot.incidents.render import when
from bot.slack.blocks import SECTION_LIMIT, chart_button, clip, escape, link, reply_blocks
from bot.slack.messages import with_blocks
from bot.slack.modal_open import light_modal, open_modal
from bot.slack.suggestion_post import TRACK_SUGGESTION, button_value

HOME_TOLL = "home_toll"  # value: slug; the toll opens in a modal
HOME_TRACK = "home_track"  # opens the Track modal
MAX_INCIDENTS = 30  # three blocks each, under a view's 100 blocks with the feeds below
MAX_FEED_LINES = 40
MAX_SUGGESTIONS = 5


def channel_ref(channel: str | None) -> str:
    if not channel:
        return "no channel"
    ref = channel.strip()
    if ref.startswith("<#") and ref.endswith(">"):
        return ref
    if ref[:1] in "CG" and ref[1:].isalnum() and ref.isupper():
        return f"<#{ref}>"
    return escape(ref)


def incident_line(row: dict) -> str:
    figure = (f"killed: *{escape(row['killed'])}* ({escape(row['killed_source'])})" if row.get("killed")
              else "no killed figure reported yet")
    change = f"last change {when(row['updated'])}" if row.get("updated") else "no figure yet"
    return (f"*{escape(row['name'])}* (`{escape(row['slug'])}`) · {channel_ref(row.get('channel'))}\n"
            f"{figure} · {change}")


def suggestion_line(s: dict) -> str:
    """One emerging incident: name, place, first seen, outlets, figures, and the line to type."""
    where = f" in {escape(s['place'])}" if s.get("place") else ""
    figures = f" · {escape(', '.join(s['figures']))}" if s.get("figures") else " · no figure yet"
    return (f"*{escape(s['name'])}*{where} · first seen {when(s['first_seen'])} · {s['outlets']} outlets{figures}\n"
            f"`{escape(s['track_line'])}`")


def feed_line(feed: dict) -> str:
    if feed["consecutive_failures"]:
        mark = f":red_circle: failing ({feed['consecutive_failures']} in a row): {escape(feed.get('last_error') or '')}"
    elif feed["stale"]:
        mark = f":large_orange_circle: stale, last success {escape(feed.get('last_success_at') or 'never')}"
    elif not feed["enabled"]:
        mark = ":white_circle: paused"
    else:
        mark = f":large_green_circle: ok, {feed['items_per_day']} items a day"
    return clip(f"{link(feed.get('url'), feed['id'])} {mark}", 500)


def home_view(data: dict, *, is_admin: bool) -> dict:
    """The Home tab as a view dict for views.publish."""
    incidents = data.get("incidents") or []
    blocks: list = [
        HeaderBlock(text=PlainTextObject(text="Incident Desk")),
        SectionBlock(block_id="intro", text=MarkdownTextObject(
            text=f"{len(incidents)} incident(s) tracked. Ask with `/incident <name> toll`, or start one here."),
            accessory=ButtonElement(text="Track an incident", action_id=HOME_TRACK, value="track",
                                    style="primary")),
        DividerBlock(),
    ]
    for n, row in enumerate(incidents[:MAX_INCIDENTS]):
        blocks.append(SectionBlock(block_id=f"incident_{n}",
                                   text=MarkdownTextObject(text=clip(incident_line(row), SECTION_LIMIT))))
        blocks.append(ActionsBlock(block_id=f"incident_{n}_actions", elements=[
            ButtonElement(text="Toll", action_id=HOME_TOLL, value=row["slug"][:2000]), chart_button(row["slug"])]))
    if len(incidents) > MAX_INCIDENTS:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"and {len(incidents) - MAX_INCIDENTS} more: `/incident list`")]))
    if not incidents:
        blocks.append(SectionBlock(block_id="no_incidents", text=MarkdownTextObject(
            text="Nothing tracked yet. `/incident track Name keywords: … since: … channel: #desk`")))
    suggestions = data.get("suggestions") or []
    if suggestions:
        blocks += [DividerBlock(), HeaderBlock(text=PlainTextObject(text="Emerging, not tracked yet"))]
        for n, s in enumerate(suggestions[:MAX_SUGGESTIONS]):
            blocks.append(SectionBlock(block_id=f"suggestion_{n}", text=MarkdownTextObject(
                text=clip(suggestion_line(s), SECTION_LIMIT)), accessory=ButtonElement(
                    text="Track", action_id=TRACK_SUGGESTION, value=button_value(s))))
    feeds = data.get("feeds")
    if is_admin and feeds is not None:
        blocks += [DividerBlock(), HeaderBlock(text=PlainTextObject(text="Feeds (admins)"))]
        failing = sum(1 for f in feeds if f["consecutive_failures"])
        stale = sum(1 for f in feeds if f["stale"] and not f["consecutive_failures"])
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"{len(feeds)} feed(s): {failing} failing, {stale} stale. `/feeds list` for details.")]))
        lines = [feed_line(f) for f in feeds[:MAX_FEED_LINES]]
        chunk: list[str] = []
        for line in lines:  # sections of whole lines under the section limit
            if chunk and len("\n".join([*chunk, line])) > SECTION_LIMIT:
                blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(chunk))))
                chunk = []
            chunk.append(line)
        if chunk:
            blocks.append(SectionBlock(block_id="feeds", text=MarkdownTextObject(text="\n".join(chunk))))
    return {"type": "home", "callback_id": "incident_desk_home",
            "blocks": [b.to_dict() for b in blocks]}


MODAL_BLOCKS = 100
TOLL_VIEW = "toll_view"  # callback_id of the toll modal


def register(app, deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event, client):
        if event.get("tab", "home") != "home":  # the Messages tab opened: nothing to publish
            return
        deps.later(publish_home, deps, client, user=event["user"])

    @app.action(HOME_TOLL)
    def home_toll(ack, action, body, client):
        ack()
        open_toll(deps, client, slug=action["value"], trigger_id=body["trigger_id"], user=body["user"]["id"])


def publish_home(deps, client, *, user: str) -> None:
    """views.publish the Home tab for one user; admins also see feed health."""
    admin = deps.is_admin(client, user)
    data = deps.desk.home_data(feeds=admin)
    client.views_publish(user_id=user, view=home_view(data, is_admin=admin))


def open_toll(deps, client, *, slug: str, trigger_id: str, user: str) -> None:
    """The Home tab has no thread to answer in: the toll opens in a modal, at once with "Loading…",
    then filled in (views.update) once the desk has answered."""
    open_modal(deps, client, trigger_id=trigger_id, user=user, view=light_modal(
        "Toll", f"Loading the toll of `{escape(slug[:200])}`…", callback_id=TOLL_VIEW),
        fill=lambda: toll_modal(deps, slug=slug, user=user))


def toll_modal(deps, *, slug: str, user: str) -> dict:
    reply = deps.desk.ask(f"{slug} toll", user=user)
    if not getattr(reply, "blocks", None):
        reply = with_blocks(reply)
    blocks = reply_blocks(reply)[:MODAL_BLOCKS]
    return {"type": "modal", "callback_id": TOLL_VIEW, "title": {"type": "plain_text", "text": "Toll"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": blocks or [{"type": "section", "text": {"type": "mrkdwn", "text": clip(escape(reply.text), 3000)}}]}
