"""The daily digests on their schedule, each sent once per channel and local day.

Every minute `DigestSchedule.run` looks at every schedule (db/digests.py): a channel whose local
time has passed its `at` today, and whose digest of today is not in the outbox yet, gets it queued
(kind 'digest', key `digest:<channel>:<local date YYYY-MM-DD>`). The key makes it once a day across
restarts: a second run, or a new process over the same database, finds it there. The digest covers
the 24 hours before today's `at` (so consecutive digests never overlap, however late one goes out).
A channel with nothing to report gets one line saying so. The sender posts it to the channel, never
in an incident's thread (the row has no incident); `with_digests` gives it the rendering.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Callable

from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.blocks.basic_components import MarkdownTextObject

from bot.digests_file import check_zone
from bot.slack.blocks import clip, escape
from bot.slack.digest import digest_blocks, digest_text
from bot.slack.threads import payload_of
from db.digests import digest_queued, enqueue_digest, schedules

logger = logging.getLogger(__name__)

DIGEST_EVERY_SECONDS = 60
QUIET = "nothing changed in the last 24 hours"


def digest_key(channel: str, local_date: str) -> str:
    return f"digest:{channel}:{local_date}"


def due_moment(schedule: dict, now: datetime) -> datetime | None:
    """Today's `at` in the schedule's zone when it has passed at `now`, else None."""
    zone = check_zone(schedule["tz"] or "UTC")
    if zone is None or not schedule["at"]:
        return None
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in schedule["at"].split(":"))
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if local >= moment else None


def digest_message(data: dict, *, tz) -> tuple[str, list[dict]]:
    """The digest as (fallback text, blocks); one line when nothing changed."""
    if not data["incidents"] and not data.get("feeds"):
        channel = data["channel"]
        text = f"Digest for {channel}: {QUIET}."
        shown = escape(channel) if channel.startswith("#") else f"<#{channel}>"
        block = SectionBlock(text=MarkdownTextObject(text=f"*Incident Desk digest* for {shown}: {QUIET}."))
        return text, [block.to_dict()]
    return clip(escape(digest_text(data, tz=tz)), 3000), digest_blocks(data, tz=tz)


class DigestSchedule:
    """Queues the digests that are due; the sender's drain posts them."""

    def __init__(self, db, desk, *, now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.db, self.desk, self._now = db, desk, now

    def run(self, *, now: datetime | None = None) -> list[int]:
        """Queue every digest due at `now` and not queued yet; the new outbox ids."""
        now = now or self._now()
        queued = []
        for schedule in schedules(self.db):
            try:
                alert_id = self._queue(schedule, now)
            except Exception:  # one channel's digest must never stop the others
                logger.exception("digest not queued", extra={"channel": schedule["channel"]})
                continue
            if alert_id is not None:
                queued.append(alert_id)
        return queued

    def _queue(self, schedule: dict, now: datetime) -> int | None:
        moment = due_moment(schedule, now)
        if moment is None:
            return None
        key = digest_key(schedule["channel"], moment.date().isoformat())
        if digest_queued(self.db, key):
            return None
        data = self.desk.digest(schedule["channel"], at=moment, feeds=bool(schedule["feeds"]))
        text, blocks = digest_message(data, tz=moment.tzinfo)
        return enqueue_digest(self.db, key=key, channel=schedule["channel"],
                              payload={"text": text, "blocks": blocks, "at": moment.isoformat()})


def with_digests(render_alert: Callable) -> Callable:
    """The sender's alert renderer, drawing digest rows from their payload (the others as before)."""
    def render(db, row: dict):
        if row["kind"] == "digest":
            payload = payload_of(row)
            return payload.get("text") or f"Incident Desk digest: {QUIET}.", payload.get("blocks") or []
        return render_alert(db, row)
    return render
