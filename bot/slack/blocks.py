"""Replies and alerts as Block Kit, built with slack_sdk's own models so Slack's limits are checked for us.

Pure: data in, lists of block dicts out. The toll table here and the plain text
of bot/incidents/render.py are drawn from the same Toll, so Slack and the CLI never disagree.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from slack_sdk.models.blocks import (ActionsBlock, ButtonElement, ContextBlock, HeaderBlock,
                                     OverflowMenuElement, SectionBlock)
from slack_sdk.models.blocks.basic_components import MarkdownTextObject, Option, PlainTextObject

from bot.models import Incident
from bot.incidents.render import when
from bot.incidents import MetricToll, Standing, Toll, source_label, source_words

SECTION_LIMIT = 3000  # Slack's limit on a section's text
FIELD_LIMIT = 2000  # and on one field
HEADINGS = {"killed": "Killed", "injured": "Injured", "missing": "Missing", "kidnapped": "Kidnapped",
            "killed_or_injured": "Killed or injured", "named_victims": "Named victims (a lower bound)"}

# action_ids the handlers listen for
SHARE = "share_reply"
DID_YOU_MEAN = "did_you_mean"
NOT_THIS_INCIDENT = "not_this_incident"
CLAIM_MENU = "claim_menu"  # overflow: "verified:<claim id>" / "wrong:<claim id>"
CHART = "chart_toll"  # value: the incident's slug; posts the toll chart in its thread


_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")  # a cut inside "&amp;", "&lt;" or "&gt;"
_USER_ID = re.compile(r"^[UW][A-Z0-9_]{1,30}$")  # Slack user ids; anything else is shown as text


def escape(text: str | None) -> str:
    """The one escape for mrkdwn: every text from a feed, an article or a user goes through it.

    Slack reads '<!channel>', '<@U…>' and '<url|label>' as controls: a headline carrying them
    would ping every editor or forge a link. Escaped, they show as the text they are.
    """
    return (text or "").translate(_MRKDWN)


def clip(escaped: str, limit: int) -> str:
    """An escaped text cut to `limit` characters without cutting an entity in two."""
    if len(escaped) <= limit:
        return escaped
    cut = escaped[:limit]
    tail = _ENTITY_TAIL.search(cut)
    return cut[:tail.start()] if tail else cut


def safe_url(url: str | None) -> str | None:
    """A link Slack can open and that cannot end `<url|label>` early; None for anything else.

    Only http(s) with a host; '<', '>', '|', spaces and quotes are percent-encoded, '&' escaped.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return escape(quote(url, safe=":/?#[]@!$&'()*+,;=%~"))


def link(url: str | None, label: str) -> str:
    """'<url|label>' when the URL is safe, else the label alone; the label is always escaped."""
    safe = safe_url(url)
    return f"<{safe}|{escape(label)}>" if safe else escape(label)


def mention(user_id: str | None) -> str:
    """'<@U…>' for a real Slack user id, never for anything else."""
    return f"<@{user_id}>" if user_id and _USER_ID.match(user_id) else escape(user_id)


def text_sections(text: str) -> list[SectionBlock]:
    """Plain text → escaped sections under Slack's size limit, split at blank lines where possible.

    Escaping comes first and the split never cuts an entity, so a reply full of '&' still fits.
    """
    sections, current = [], ""
    for paragraph in escape(text).split("\n\n"):
        piece = paragraph if not current else f"{current}\n\n{paragraph}"
        if len(piece) <= SECTION_LIMIT:
            current = piece
            continue
        if current:
            sections.append(current)
        while len(paragraph) > SECTION_LIMIT:
            head = clip(paragraph, SECTION_LIMIT)
            sections.append(head)
            paragraph = paragraph[len(head):]
        current = paragraph
    if current:
        sections.append(current)
    return [SectionBlock(text=MarkdownTextObject(text=s, verbatim=True)) for s in sections]


def reply_blocks(reply, *, shareable: bool = False, command: str | None = None) -> list[dict]:
    """A reply's Block Kit: its own blocks or its text, 'did you mean' buttons, a share button."""
    blocks = list(reply.blocks) if getattr(reply, "blocks", None) else text_sections(reply.text)
    if reply.candidates:
        view = f" {reply.view}" if getattr(reply, "view", None) and reply.view != "summary" else ""
        blocks.append(ActionsBlock(block_id=DID_YOU_MEAN, elements=[
            ButtonElement(text=slug[:75], action_id=f"{DID_YOU_MEAN}_{n}", value=f"{slug}{view}"[:2000])
            for n, slug in enumerate(reply.candidates[:5])]))
    buttons = []
    if shareable and reply.ok and command:
        buttons.append(ButtonElement(text="Share in channel", action_id=SHARE, value=command[:2000]))
    if reply.ok and getattr(reply, "view", None) == "toll" and getattr(reply, "incident", None):
        buttons.append(chart_button(reply.incident))
    if buttons:
        blocks.append(ActionsBlock(block_id="share", elements=buttons))
    return [block if isinstance(block, dict) else block.to_dict() for block in blocks]


def chart_button(slug: str) -> ButtonElement:
    """"Chart": the toll as a picture, posted in the incident's thread."""
    return ButtonElement(text="Chart", action_id=CHART, value=slug[:2000])


def figure_cell(standing: Standing, *, verified_by: str | None = None) -> str:
    """'*77* <link|Sahel Wire>' with a tick when an editor verified it."""
    text = f"*{escape(standing.figure.text)}*"
    if standing.previous:
        text += f" (was {escape(standing.previous[-1].text)})"
    if verified_by:
        text += f" :white_check_mark: verified by {mention(verified_by)}"
    return text


def toll_blocks(incident: Incident, toll: Toll, *, verified: dict[tuple[str, str, str], str] | None = None,
                tz=None) -> list:
    """The toll as a compact table per metric: source → figure → date; the armed group's claims apart."""
    verified = verified or {}
    blocks: list = [HeaderBlock(text=PlainTextObject(text=f"{incident.name} — toll"[:150]))]
    if not toll.metrics:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No casualty figure reported yet.")))
        return blocks
    for metric, mt in toll.metrics.items():
        blocks.extend(_metric_blocks(metric, mt, verified=verified, tz=tz))
    if toll.updated:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(
            text=f"As of {when(toll.updated, tz=tz)} · /incident {escape(incident.slug)} timeline · sources")]))
    return blocks


def _metric_blocks(metric: str, mt: MetricToll, *, verified, tz) -> list:
    title = HEADINGS.get(metric, metric)
    lines = [f"*{title}*"]
    if mt.leading is not None:
        lines[0] += f" · leading: *{escape(mt.leading.figure.text)}* ({source_words(mt.leading.source)})"
    if mt.low and mt.high and mt.low.figure != mt.high.figure:
        lines.append(f"Range {escape(mt.low.figure.text)} to {escape(mt.high.figure.text)}")
    blocks: list = [SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines), SECTION_LIMIT)))]
    fields = []
    for standing in mt.standings:
        key = (metric, standing.source, standing.figure.text)
        fields.append(MarkdownTextObject(text=f"{link(standing.link, source_label(standing.source))}\n"
                                              f"{when(standing.since, tz=tz, time=False)}"))
        fields.append(MarkdownTextObject(text=clip(figure_cell(standing, verified_by=verified.get(key)), FIELD_LIMIT)))
    for start in range(0, len(fields), 10):  # a section holds at most ten fields
        blocks.append(SectionBlock(fields=fields[start:start + 10]))
    notes = [f"_{escape(mt.why)}_"] if mt.why else []
    notes += [f"including {escape(p.figure.text)} ({escape(p.who or 'a part of the toll')}; "
              f"{escape(source_words(p.source))})" for p in mt.parts]
    notes += [f"and {escape(a.figure.text)} attackers, per {escape(source_words(a.source))} (not in the toll)"
              for a in mt.attackers]
    notes += [f":warning: {escape(d)}" for d in mt.disputes]
    notes += [f":loudspeaker: *Claimed by the armed group, not in the range:* {escape(c.figure.text)}"
              f" ({link(c.link, 'source')}, {when(c.since, tz=tz, time=False)})" for c in mt.apart]
    if notes:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(n, FIELD_LIMIT)) for n in notes[:10]]))
    return blocks


def parent_blocks(incident: Incident, toll: Toll, **kwargs) -> list[dict]:
    """The thread's parent message: always the current toll."""
    return [b.to_dict() for b in toll_blocks(incident, toll, **kwargs)]


def alert_blocks(*, incident_id: int, payload: dict, claims: list[dict]) -> list[dict]:
    """One alert: the article (or the toll change), with feedback buttons for editors."""
    title = link(payload.get("link"), payload.get("title") or "(untitled)")
    outlets = payload.get("also_in") or []
    lines = [escape(payload["text"])] if payload.get("text") else []
    lines.append(f"{title} — {escape(payload.get('outlet') or '')}")
    if outlets:
        lines.append("also in: " + escape(", ".join(outlets)))
    blocks: list = [SectionBlock(text=MarkdownTextObject(text=clip("\n".join(lines), SECTION_LIMIT), verbatim=True))]
    elements: list = [ButtonElement(text="Not this incident", action_id=NOT_THIS_INCIDENT,
                                    value=f"{incident_id}:{payload.get('item_id')}", style="danger")]
    options = []
    for claim in claims[:2]:  # an overflow menu holds five options at most
        label = f"{claim['source'].replace('_', ' ')}: {claim['figure']} {claim['metric'].replace('_', ' ')}"
        options.append(Option(text=f"Verified: {label}"[:75], value=f"verified:{claim['id']}"))
        options.append(Option(text=f"Wrong figure: {label}"[:75], value=f"wrong:{claim['id']}"))
    if options:
        elements.append(OverflowMenuElement(action_id=CLAIM_MENU, options=options))
    blocks.append(ActionsBlock(block_id="feedback", elements=elements))
    return [b.to_dict() for b in blocks]
