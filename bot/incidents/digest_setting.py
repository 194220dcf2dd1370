"""`/incident digest [HH:MM Zone | off]`: a channel's daily digest, set by any editor of the channel.

Slack's handler adds `channel: <#C…>` (the channel the command was typed in), as for track; from
the command line, write `channel: #africa-desk`. Alone it says the current setting; `off` turns
it off (kept as a Slack setting, so that a feeds.yaml entry for the channel does not bring it back).
The schedule itself is sent by bot/slack/digest_schedule.py.
"""

from __future__ import annotations

import re

from bot.digests_file import ZONE_HINT, check_clock, check_zone, closest_zone
from db.digests import get_schedule, set_schedule

USAGE = "/incident digest 08:00 Africa/Bamako (a 24-hour time and an IANA time zone), /incident digest off"
_CHANNEL_LABEL = re.compile(r"(?<!\S)channel:\s*(\S+)", re.IGNORECASE)
_MENTION = re.compile(r"^<#([CG][A-Z0-9]+)(?:\|[^>]*)?>$")


def channel_key(ref: str) -> str:
    """A channel as digest_schedules keys it: an ID ('<#C0123|desk>' → 'C0123') or '#name'."""
    ref = ref.strip()
    mention = _MENTION.match(ref)
    if mention:
        return mention.group(1)
    if re.fullmatch(r"[CG][A-Z0-9]{8,}", ref):
        return ref
    return "#" + ref.lstrip("#").lower()


def digest_setting(db, args: str, *, user: str | None):
    from bot.incidents.desk import Reply

    label = _CHANNEL_LABEL.search(args or "")
    if label is None:
        return Reply("Which channel? Type /incident digest in the channel itself (from the command line, "
                     "add channel: #africa-desk).", ok=False)
    channel = channel_key(label.group(1))
    shown = channel if channel.startswith("#") else "this channel"
    words = (args[:label.start()] + " " + args[label.end():]).split()
    if not words:
        return Reply(describe(get_schedule(db, channel), shown))
    if [w.lower() for w in words] == ["off"]:
        set_schedule(db, channel, at=None, tz=None, user=user or "cli")
        return Reply(f"The daily digest of {shown} is off.")
    clock = check_clock(words[0])
    if clock is None or len(words) > 2:
        return Reply(f"Not a digest time: {' '.join(words)!r}. Usage: {USAGE}.", ok=False)
    zone = words[1] if len(words) == 2 else "UTC"
    if check_zone(zone) is None:
        close = closest_zone(zone)
        return Reply(f"Unknown time zone {zone!r}: " + (f"did you mean {close}?" if close else ZONE_HINT + "."),
                     ok=False)
    set_schedule(db, channel, at=clock, tz=zone, user=user or "cli")
    return Reply(f"The daily digest of {shown} is set: every day at {clock} ({zone}), the incidents of the "
                 f"channel that changed in the 24 hours before. /incident digest off stops it.")


def describe(row: dict | None, shown: str) -> str:
    if row is None or row["at"] is None:
        return f"No daily digest in {shown}. /incident digest 08:00 Africa/Bamako sets one."
    where = "feeds.yaml" if row["origin"] == "file" else f"/incident digest by {row['set_by']}"
    feeds = ", with the feeds that failed" if row["feeds"] else ""
    return f"The daily digest of {shown} comes every day at {row['at']} ({row['tz']}){feeds}; set in {where}."
