"""The daily digest on its schedule: once per channel and local day, from feeds.yaml or /incident digest,
posted to the channel (not a thread) by the same sender as the alerts, against the fake Slack Web API."""

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from bot.config import SlackSettings, parse_digests_yaml, parse_feeds_yaml
from bot.demo import seed_feeds_yaml
from bot.incidents.desk import Desk
from bot.ingest.scheduler import FeedScheduler
from bot.slack.app import make_sender
from bot.slack.digest_schedule import DigestSchedule
from bot.slack.sender import make_web_client
from db import open_database
from db.digests import schedules, sync_file_digests
from tests.slack.fakeslack import block_problems
from tests.slack.test_slack_app import CHANNEL, EDITOR, command
from tests.slack.test_slack_digest import founded

BAMAKO = ZoneInfo("Africa/Bamako")
DIGESTS = '\ndigests:\n  - channel: "#mali-desk"\n    at: "08:00"\n    tz: Africa/Bamako\n    feeds: false\n'


def local(text: str, zone=BAMAKO) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def sender_over(db, desk, slack):
    settings = SlackSettings(bot_token="xoxb-test", api_url=slack.url, channel_messages_per_minute=6000)
    return make_sender(db, desk, make_web_client(token="xoxb-test", base_url=slack.url), settings)


def digests_in(slack) -> list[dict]:
    """The digests posted in the channel (the incident's own alerts and thread left out)."""
    return [m for m in slack.messages(CHANNEL) if m["text"].startswith("Digest for")]


def tick(db, desk, slack, moment: datetime) -> list[int]:
    """One run of the minute job at `moment`, then one drain of the sender: what was queued."""
    queued = DigestSchedule(db, desk).run(now=moment)
    report = sender_over(db, desk, slack).drain(max_seconds=5)
    assert report.blocked == 0 and report.deferred == 0, report
    return queued


def test_a_digest_due_at_8_in_bamako_is_posted_once_at_8_01_not_at_7_59_nor_again_at_8_30_or_after_a_restart(
        db, client, settings, slack):
    desk = founded(db, client, settings)
    settings.feeds_path.write_text(seed_feeds_yaml("http://127.0.0.1:9") + DIGESTS, encoding="utf-8")
    FeedScheduler(db, client, settings, on_poll=lambda r: None).reload_feeds(initial=True)  # the file is loaded
    assert [(s["channel"], s["at"], s["tz"], s["origin"]) for s in schedules(db)] == [
        ("#mali-desk", "08:00", "Africa/Bamako", "file")]

    sender_over(db, desk, slack).drain(max_seconds=5)  # the incident's own alerts, in its thread
    alerts = len(slack.messages(CHANNEL))
    assert tick(db, desk, slack, local("2024-09-20T07:59")) == [] and len(slack.messages(CHANNEL)) == alerts
    assert len(tick(db, desk, slack, local("2024-09-20T08:01"))) == 1
    (posted,) = digests_in(slack)
    assert "thread_ts" not in posted  # in the channel, not in an incident's thread
    assert "Bamako attacks" in str(posted["blocks"]) and block_problems(posted["blocks"]) == []
    assert tick(db, desk, slack, local("2024-09-20T08:30")) == []

    restarted = open_database(settings.db_path)  # a new process over the same database
    try:
        assert tick(restarted, Desk(restarted), slack, local("2024-09-20T23:59")) == []
        assert len(digests_in(slack)) == 1
        assert len(tick(restarted, Desk(restarted), slack, local("2024-09-21T08:00"))) == 1  # the next day's
    finally:
        restarted.close()
    assert len(digests_in(slack)) == 2 and len(slack.messages(CHANNEL)) == alerts + 2
    keys = [r["idempotency_key"] for r in db.query("select idempotency_key from outbox where kind = 'digest'")]
    assert keys == ["digest:#mali-desk:2024-09-20", "digest:#mali-desk:2024-09-21"]


def test_a_quiet_channel_gets_one_line_at_its_own_local_time(db, slack):
    sync_file_digests(db, parse_digests_yaml("feeds:\n" + DIGESTS.replace("Africa/Bamako", "Asia/Kolkata")))  # UTC+05:30
    desk = Desk(db)
    utc = timezone.utc
    assert tick(db, desk, slack, datetime(2024, 9, 20, 2, 29, tzinfo=utc)) == []  # 07:59 in Kolkata
    assert len(tick(db, desk, slack, datetime(2024, 9, 20, 2, 31, tzinfo=utc))) == 1
    (posted,) = slack.messages(CHANNEL)
    assert posted["text"] == "Digest for #mali-desk: nothing changed in the last 24 hours."
    assert len(posted["blocks"]) == 1 and "nothing changed in the last 24 hours" in str(posted["blocks"])


def test_a_bad_digests_entry_is_reported_by_feeds_check_with_its_line(tmp_path, capsys):
    from bot.cli import main

    path = tmp_path / "feeds.yaml"
    good = "feeds:\n  - id: a\n    url: https://example.org/rss.xml\n" + DIGESTS
    path.write_text(good, encoding="utf-8")
    assert parse_feeds_yaml(good)[0].id == "a"  # parse_feeds_yaml's callers still get the feeds
    assert main(["--feeds", str(path), "feeds", "check"]) == 0
    assert "1 feed(s), 1 digest(s), no problems" in capsys.readouterr().out
    path.write_text("feeds:\n  - id: a\n    url: https://example.org/rss.xml\ndigests:\n"  # lines 1-4
                    '  - channel: "#mali-desk"\n    at: "25:00"\n    tz: Mars/Olympus\n'  # 5-7
                    '  - channel: "mali desk"\n    at: "08:00"\n    tz: Africa/Bamko\n    when: daily\n'  # 8-11
                    "  - at: 08:00\n", encoding="utf-8")  # 12
    assert main(["--feeds", str(path), "feeds", "check"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:6: bad time '25:00'" in err
    assert f"{path}:7: unknown time zone 'Mars/Olympus'" in err
    assert f"{path}:8: bad channel 'mali desk'" in err
    assert f"{path}:10: unknown time zone 'Africa/Bamko' (did you mean 'Africa/Bamako'?)" in err
    assert f"{path}:11: unknown key in a digest 'when'" in err
    assert f"{path}:12: digest has no 'channel'" in err
    assert "has 6 problem(s)" in err


def test_incident_digest_in_a_channel_sets_its_digest_and_the_job_posts_there(running, catcher, db, slack):
    answer = command(running, catcher, "digest 08:00 Africa/Bamako")[2]
    assert "daily digest of this channel is set: every day at 08:00 (Africa/Bamako)" in answer["text"]
    (row,) = schedules(db)
    assert (row["channel"], row["origin"], row["set_by"]) == (CHANNEL, "slack", EDITOR)
    assert [a["action"] for a in db.query("select action from audit_log")] == ["digest_set"]
    assert "comes every day at 08:00 (Africa/Bamako)" in command(running, catcher, "digest")[2]["text"]
    refused = command(running, catcher, "digest 8h Mars/Olympus")[2]
    assert "Not a digest time" in refused["text"] and schedules(db)[0]["at"] == "08:00"

    sync_file_digests(db, [])  # a feeds.yaml reload without digests keeps the one set in Slack
    assert tick(db, running.desk, slack, local("2024-09-20T07:30")) == []
    assert len(tick(db, running.desk, slack, local("2024-09-20T08:05"))) == 1
    (posted,) = slack.messages(CHANNEL)
    assert "nothing changed in the last 24 hours" in posted["text"] and "thread_ts" not in posted

    assert "is off" in command(running, catcher, "digest off")[2]["text"]
    assert schedules(db) == [] and tick(db, running.desk, slack, local("2024-09-21T09:00")) == []
    assert "No daily digest" in command(running, catcher, "digest")[2]["text"]
    sync_file_digests(db, parse_digests_yaml("feeds:\n" + DIGESTS.replace('"#mali-desk"', CHANNEL)))
    assert schedules(db) == []  # the file does not bring back a digest turned off in Slack
