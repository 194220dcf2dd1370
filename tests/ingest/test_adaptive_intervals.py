"""Adaptive intervals: a quiet feed is polled less often, within bounds; `priority: true` never is
(bot/ingest/intervals.py, the scheduler's turns, feeds.yaml, `feeds list`)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.cli import cmd_feeds_list
from bot.config import FeedsFileError, dump_feeds_yaml, parse_feeds_yaml
from bot.ingest.feed_admin import list_feeds_text
from bot.ingest.intervals import Poll, adaptive_note, effective_interval, is_due, quiet_seconds
from bot.ingest.scheduler import FeedScheduler
from bot.models import FeedConfig
from db import to_iso
from db.connection import writing
from db.feeds import active_feeds, record_poll, recent_polls, sync_file_feeds

NOW = datetime(2024, 9, 20, 12, 0, tzinfo=timezone.utc)
TEN_MINUTES = 600


def history(interval: int, changes: list[bool], *, errors: int = 0) -> list[Poll]:
    """Polls one interval apart, the last one an interval ago; changes oldest first."""
    count = len(changes)
    polls = [Poll(at=NOW - timedelta(seconds=interval * (count - i)), ok=True, changed=changed)
             for i, changed in enumerate(changes)]
    polls += [Poll(at=NOW - timedelta(seconds=interval * k + 5), ok=False, changed=False) for k in range(errors)]
    return sorted(polls, key=lambda p: p.at, reverse=True)


def quiet_for(interval: int, turns: int) -> list[Poll]:
    """A change `turns` intervals ago, nothing since."""
    return history(interval, [True] + [False] * (turns - 1))


def test_a_feed_that_changes_at_nearly_every_poll_keeps_its_interval():
    polls = history(TEN_MINUTES, [True, True, False, True, True, True, False, True, True, True])
    assert effective_interval(TEN_MINUTES, polls, now=NOW) == TEN_MINUTES


def test_too_little_history_keeps_the_configured_interval():
    assert effective_interval(TEN_MINUTES, [], now=NOW) == TEN_MINUTES
    assert effective_interval(TEN_MINUTES, history(TEN_MINUTES, [False, False]), now=NOW) == TEN_MINUTES
    assert quiet_seconds(history(TEN_MINUTES, [False, False]), now=NOW) is None


@pytest.mark.parametrize("turns, factor", [(5, 1), (6, 2), (11, 2), (12, 3), (23, 3), (24, 4), (500, 4)])
def test_a_quiet_feed_is_stretched_step_by_step_up_to_four_times(turns, factor):
    assert effective_interval(TEN_MINUTES, quiet_for(TEN_MINUTES, turns), now=NOW) == factor * TEN_MINUTES


def test_no_change_in_the_whole_known_history_counts_from_its_oldest_poll():
    polls = history(TEN_MINUTES, [False] * 30)  # 30 intervals of polls, none with a change
    assert quiet_seconds(polls, now=NOW) == 30 * TEN_MINUTES
    assert effective_interval(TEN_MINUTES, polls, now=NOW) == 4 * TEN_MINUTES


def test_a_failed_poll_says_nothing_about_changes():
    polls = history(TEN_MINUTES, [True] + [False] * 4, errors=20)
    assert effective_interval(TEN_MINUTES, polls, now=NOW) == TEN_MINUTES  # 5 turns from the change,
    # ... however many errors came in between, and errors alone are not a history:
    only_errors = history(TEN_MINUTES, [], errors=10)
    assert effective_interval(TEN_MINUTES, only_errors, now=NOW) == TEN_MINUTES


@pytest.mark.parametrize("configured, most", [(1800, 5400), (3600, 7200), (5400, 5400), (7200, 7200), (86400, 86400)])
def test_never_more_than_an_hour_beyond_the_configured_interval(configured, most):
    polls = quiet_for(configured, 200)
    effective = effective_interval(configured, polls, now=NOW)
    assert effective == most
    assert configured <= effective <= min(4 * configured, configured + 3600)


@pytest.mark.parametrize("turns", [1, 6, 12, 24, 1000])
def test_never_more_often_than_configured_and_a_whole_number_of_turns(turns):
    for configured in (30, 90, 600, 3600):
        effective = effective_interval(configured, quiet_for(configured, turns), now=NOW)
        assert effective >= configured and effective % configured == 0


def test_a_priority_feed_keeps_its_configured_interval_however_quiet():
    polls = quiet_for(TEN_MINUTES, 1000)
    assert effective_interval(TEN_MINUTES, polls, now=NOW) == 4 * TEN_MINUTES
    assert effective_interval(TEN_MINUTES, polls, now=NOW, priority=True) == TEN_MINUTES


def test_a_turn_polls_once_the_effective_interval_has_nearly_passed():
    last = NOW - timedelta(seconds=3 * TEN_MINUTES)
    assert is_due(TEN_MINUTES, TEN_MINUTES, last_poll=last, now=NOW)
    assert not is_due(TEN_MINUTES, 4 * TEN_MINUTES, last_poll=last, now=NOW)  # turns 1-3 of 4 skip
    assert is_due(TEN_MINUTES, 4 * TEN_MINUTES, last_poll=NOW - timedelta(seconds=4 * TEN_MINUTES - 20), now=NOW)
    assert is_due(TEN_MINUTES, 4 * TEN_MINUTES, last_poll=None, now=NOW)


# --- priority: true in feeds.yaml, stored, and its effect ------------------------------------------------

YAML = """
defaults:
  interval: 10m
feeds:
  - id: wire
    url: https://example.org/wire.xml
    priority: true
  - id: blog
    url: https://example.org/blog.xml
"""


def test_priority_is_read_from_feeds_yaml_and_written_back():
    wire, blog = parse_feeds_yaml(YAML)
    assert (wire.priority, blog.priority) == (True, False)
    assert [f.priority for f in parse_feeds_yaml(dump_feeds_yaml([wire, blog]))] == [True, False]
    assert all(f.priority for f in parse_feeds_yaml(YAML.replace("  interval: 10m", "  interval: 10m\n  priority: yes")))


def test_a_bad_priority_value_is_reported_with_its_line():
    with pytest.raises(FeedsFileError) as caught:
        parse_feeds_yaml(YAML.replace("priority: true", "priority: always"))
    assert "bad priority value 'always'" in str(caught.value) and ":7:" in str(caught.value)


def test_priority_is_stored_and_a_change_of_it_is_a_change(db):
    wire, blog = parse_feeds_yaml(YAML)
    sync_file_feeds(db, [wire, blog])
    assert {f.id: f.priority for f in active_feeds(db)} == {"wire": True, "blog": False}
    changes = sync_file_feeds(db, [FeedConfig(**{**wire.__dict__, "priority": False}), blog])
    assert changes["changed"] == ["wire"]
    assert {f.id: f.priority for f in active_feeds(db)} == {"wire": False, "blog": False}


def _quiet_log(db, feed_id: str, *, days: int, interval: int = TEN_MINUTES) -> None:
    """A change `days` ago, then a quiet poll at every interval since (the last one an interval ago)."""
    now = datetime.now(timezone.utc)
    first = now - timedelta(days=days)
    count = int((now - first).total_seconds() // interval)
    with writing(db):
        for k in range(count):
            at = to_iso(first + timedelta(seconds=k * interval))
            record_poll(db, feed_id, state={"last_polled_at": at}, started=at, finished=at,
                        outcome="new" if k == 0 else "not_modified", http_status=200, new_items=int(k == 0),
                        updated_items=0, error=None)


def test_the_scheduler_skips_a_quiet_feeds_turns_but_never_a_priority_feeds(db, client, settings):
    wire, blog = parse_feeds_yaml(YAML)
    sync_file_feeds(db, [wire, blog])
    for feed in (wire, blog):
        _quiet_log(db, feed.id, days=3)
    assert len(recent_polls(db, "blog")) == 50  # the window the rule reads
    scheduler = FeedScheduler(db, client, settings, on_poll=lambda r: None)
    assert scheduler._due(wire)  # priority: every turn
    assert not scheduler._due(blog)  # quiet for 3 days, last polled an interval ago: this turn skips
    # A change brings it back to every turn.
    at = to_iso(datetime.now(timezone.utc) - timedelta(seconds=5))
    with writing(db):
        record_poll(db, "blog", state={"last_polled_at": at}, started=at, finished=at, outcome="new",
                    http_status=200, new_items=1, updated_items=0, error=None)
    assert scheduler._due(blog)


def test_feeds_list_shows_a_stretched_interval_and_why(db, settings, capsys):
    wire, blog = parse_feeds_yaml(YAML)
    sync_file_feeds(db, [wire, blog])
    for feed in (wire, blog):
        _quiet_log(db, feed.id, days=3)
    assert cmd_feeds_list(None, settings) == 0
    out = capsys.readouterr().out
    assert "every 10m, now 40m: no new item for" in out
    assert out.count("now 40m") == 1  # the priority feed is not stretched
    blog_part = out[out.index("blog"):out.index("wire")]
    assert "now 40m" in blog_part
    slack = list_feeds_text(db)  # /feeds list says the same
    assert slack.count("every 10m, now 40m: no new item for") == 1
    assert "now 40m" in slack[slack.index("blog"):slack.index("wire")]
    # The note itself, on a known history: 3 days since the last change.
    polls = [{"started_at": to_iso(NOW - timedelta(days=3)), "outcome": "new", "new_items": 1, "updated_items": 0}]
    polls += [{"started_at": to_iso(NOW - timedelta(minutes=10 * k)), "outcome": "not_modified", "new_items": 0,
               "updated_items": 0} for k in range(1, 6)]
    assert adaptive_note(blog, polls, now=NOW) == "every 10m, now 40m: no new item for 3 days"
    assert adaptive_note(wire, polls, now=NOW) is None
