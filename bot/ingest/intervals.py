"""Adaptive poll intervals: a feed that has been quiet for long is polled less often. Pure rules, no I/O.

A feed's effective interval is a whole number of its configured intervals, so the scheduler keeps
each feed's phase and simply skips turns (bot/ingest/scheduler.py):

- never shorter than configured, never over 4 times it, never more than an hour beyond it;
- configured while the feed changes (a poll brought a new or updated item) within its last
  QUIET_TURNS intervals, so one that changes at nearly every poll is polled at every turn;
- then 2x after QUIET_TURNS intervals without a change, 3x after twice that, 4x after four times;
- configured for a `priority: true` feed, and while fewer than MIN_POLLS polls are known.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from bot.feeds_file import format_interval
from db.connection import from_iso

MAX_FACTOR = 4
MAX_EXTRA_SECONDS = 3600  # never more than an hour beyond the configured interval
QUIET_TURNS = 6  # intervals without a change before the first stretch (10m: 20m after an hour)
STEPS = ((4, 4), (2, 3), (1, 2))  # (quiet for at least this many QUIET_TURNS, factor)
MIN_POLLS = 3  # successful polls known before anything is stretched


@dataclass(frozen=True)
class Poll:
    """One line of the poll log, as far as intervals care."""

    at: datetime
    ok: bool  # the feed answered (a new, unchanged or not-modified poll)
    changed: bool  # it brought a new or updated item


def polls_from_rows(rows: Iterable[dict]) -> list[Poll]:
    """db.feeds.recent_polls rows → Polls."""
    return [Poll(at=from_iso(row["started_at"]), ok=row["outcome"] != "error",
                 changed=bool((row["new_items"] or 0) + (row["updated_items"] or 0))) for row in rows]


def quiet_seconds(recent_polls: Iterable[Poll], *, now: datetime) -> float | None:
    """How long the feed has gone without a change: since its last change, or at least since the
    oldest successful poll known when none of them changed; None with fewer than MIN_POLLS known."""
    ok = sorted((poll for poll in recent_polls if poll.ok), key=lambda poll: poll.at, reverse=True)
    if len(ok) < MIN_POLLS:
        return None
    since = next((poll.at for poll in ok if poll.changed), ok[-1].at)
    return max(0.0, (now - since).total_seconds())


def effective_interval(configured: int, recent_polls: Iterable[Poll], *, now: datetime,
                       priority: bool = False) -> int:
    """The interval the feed is polled at now, in seconds (see the module's rules)."""
    quiet = None if priority else quiet_seconds(recent_polls, now=now)
    if quiet is None or configured <= 0:
        return configured
    turns = quiet / configured
    factor = next((f for at_least, f in STEPS if turns >= at_least * QUIET_TURNS), 1)
    while factor > 1 and (factor - 1) * configured > MAX_EXTRA_SECONDS:
        factor -= 1
    return configured * min(factor, MAX_FACTOR)


def is_due(configured: int, effective: int, *, last_poll: datetime | None, now: datetime) -> bool:
    """Whether a scheduled turn polls: always at the configured interval, else once `effective` has
    nearly passed since the last poll (turns fire a configured interval apart, give or take)."""
    if effective <= configured or last_poll is None:
        return True
    return (now - last_poll).total_seconds() >= effective - configured / 2


def adaptive_note(feed, poll_rows: Iterable[dict], *, now: datetime) -> str | None:
    """For `feeds list` (feed: a FeedConfig or a feed's health, with interval_seconds, enabled and
    priority): 'every 10m, now 40m: no new item for 3 days' when the feed skips turns."""
    configured, polls = feed.interval_seconds, polls_from_rows(poll_rows)
    effective = effective_interval(configured, polls, now=now, priority=feed.priority)
    if effective == configured or not feed.enabled:
        return None
    return (f"every {format_interval(configured)}, now {format_interval(effective)}: no new item for "
            f"{describe_quiet(quiet_seconds(polls, now=now) or 0)}")


def describe_quiet(seconds: float) -> str:
    """'3 days', '5 hours', '40 minutes'."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "under a minute"
