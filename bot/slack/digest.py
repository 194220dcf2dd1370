"""The daily digest of one channel as a message: (plain text, Block Kit), from Desk.digest's data.

Each incident of the channel that changed in the window: its toll then and now per metric, the
source classes first heard from, how many new stories; for the admins' channel, the feeds that failed.
`digest_command` is `python -m bot digest --channel C [--at TIME] [--tz ZONE] [--feeds]`.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from slack_sdk.models.blocks import ContextBlock, HeaderBlock, SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject, PlainTextObject

from bot.incidents.render import when
from bot.slack.blocks import HEADINGS, SECTION_LIMIT, clip, escape

MAX_INCIDENTS = 40
MAX_FEEDS = 20


def incident_lines(row: dict) -> list[str]:
    lines = []
    for m in row["metrics"]:
        heading = HEADINGS.get(m["metric"], m["metric"])
        if m["now"] is None:
            change = "no leading figure yet"
        elif m["then"] == m["now"]:
            change = f"{m['now']} (unchanged)"
        elif m["then"] is None:
            change = f"{m['now']} (first figure)"
        else:
            change = f"{m['then']} → {m['now']}"
        source = f", leading: {m['source']}" if m.get("source") else ""
        fresh = f"; new sources: {', '.join(m['new_sources'])}" if m["new_sources"] else ""
        lines.append(f"{heading}: {change}{source}{fresh}")
    lines.append(f"{row['new_stories']} new stor{'y' if row['new_stories'] == 1 else 'ies'}")
    return lines


def feed_lines(feeds: list[dict], *, tz=None) -> list[str]:
    out = []
    for f in feeds[:MAX_FEEDS]:
        if f["error"]:
            out.append(f"{f['id']}: {f['error']} ({f['failures']} in a row"
                       f"{', last ' + when(_parse(f['at']), tz=tz) if f['at'] else ''})")
        else:
            out.append(f"{f['id']}: stale, no success lately")
    return out


def _parse(text: str):
    from db import from_iso

    return from_iso(text)


def digest_text(data: dict, *, tz=None) -> str:
    """The digest as plain text (the CLI, and the message's fallback)."""
    lines = [f"Digest for {data['channel']}: {when(data['from'], tz=tz)} to {when(data['to'], tz=tz)}"]
    if not data["incidents"]:
        lines.append("No tracked incident of this channel changed.")
    for row in data["incidents"][:MAX_INCIDENTS]:
        lines.append("")
        lines.append(f"{row['name']} ({row['slug']})")
        lines += [f"  {line}" for line in incident_lines(row)]
    if data.get("feeds") is not None:
        lines.append("")
        lines.append(f"Feeds that failed: {len(data['feeds'])}" if data["feeds"] else "Feeds: none failed.")
        lines += [f"  {line}" for line in feed_lines(data["feeds"], tz=tz)]
    return "\n".join(lines)


def digest_blocks(data: dict, *, tz=None) -> list[dict]:
    """The digest as Block Kit (under a message's 50 blocks)."""
    blocks: list = [HeaderBlock(text=PlainTextObject(text="Incident Desk digest")),
                    ContextBlock(elements=[MarkdownTextObject(
                        text=f"{when(data['from'], tz=tz)} to {when(data['to'], tz=tz)}")])]
    if not data["incidents"]:
        blocks.append(SectionBlock(text=MarkdownTextObject(text="No tracked incident of this channel changed.")))
    for row in data["incidents"][:MAX_INCIDENTS]:
        text = f"*{escape(row['name'])}* (`{escape(row['slug'])}`)\n" + "\n".join(
            escape(line) for line in incident_lines(row))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT))))
    if data.get("feeds"):
        text = "*Feeds that failed*\n" + "\n".join(escape(line) for line in feed_lines(data["feeds"], tz=tz))
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_LIMIT))))
    return [b.to_dict() for b in blocks[:50]]


def digest_time(text: str | None, tz, *, now: datetime | None = None) -> datetime:
    """A digest's time: an ISO date-time (its own offset, else in `tz`), or HH:MM today in `tz`; None is now.
    ValueError for anything else."""
    now = (now or datetime.now(timezone.utc)).astimezone(tz)
    if not text:
        return now
    clock = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if clock:
        return now.replace(hour=int(clock.group(1)), minute=int(clock.group(2)), second=0, microsecond=0)
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def digest_command(parser) -> None:
    """`python -m bot digest --channel C [--at TIME] [--tz ZONE] [--feeds]`: print a channel's digest."""
    parser.add_argument("--channel", required=True, help="the channel, as incidents name it (#mali-desk or an ID)")
    parser.add_argument("--at", help="HH:MM today or an ISO date-time, in --tz (default: now)")
    parser.add_argument("--tz", default="UTC", help="IANA time zone for --at and the times shown, e.g. Africa/Bamako")
    parser.add_argument("--feeds", action="store_true", help="with the feeds that failed (the admins' channel)")
    parser.set_defaults(handler=_print_digest)


def _print_digest(args, settings) -> int:
    import sys
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from bot.incidents.desk import Desk
    from db import open_database

    try:
        tz = ZoneInfo(args.tz)
        moment = digest_time(args.at, tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        print(f"digest: {exc or 'unknown time zone'}; --at is HH:MM or an ISO date-time, --tz an IANA "
              f"zone such as Africa/Bamako", file=sys.stderr)
        return 2
    desk = Desk(open_database(settings.db_path))
    print(digest_text(desk.digest(args.channel, at=moment, feeds=args.feeds), tz=tz))
    return 0
