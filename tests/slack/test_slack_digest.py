"""The digest: one channel's changes in the 24 hours before a time, from the same toll code."""

from datetime import datetime, timezone

import pytest

from bot.config import parse_feeds_yaml
from bot.demo import DEMO_STEPS, seed_feeds_yaml, seed_routes
from bot.demo.localserver import LocalServer
from bot.incidents.desk import Desk
from bot.ingest.poller import poll_all
from bot.slack.digest import digest_blocks, digest_text, digest_time
from db.feeds import active_feeds, sync_file_feeds
from tests.slack.fakeslack import block_problems

TRACK = "track Bamako attacks keywords: bamako, gendarmerie school, JNIM since: 2024-09-17 channel: #mali-desk"


def founded(db, client, settings) -> Desk:
    desk = Desk(db)
    desk.ask(TRACK, user="U0EDITOR1")
    with LocalServer() as feeds:
        sync_file_feeds(db, parse_feeds_yaml(seed_feeds_yaml(f"http://127.0.0.1:{feeds.port}")))
        for step in DEMO_STEPS:
            feeds.routes.update(seed_routes(datetime.fromisoformat(step)))
            poll_all(db, client, active_feeds(db), settings=settings)
            desk.processor.process_pending()
    return desk


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_the_digest_gives_the_toll_then_and_now_new_sources_and_stories(db, client, settings):
    desk = founded(db, client, settings)
    day = desk.digest("#mali-desk", at=at("2024-09-19T23:00"))
    (row,) = day["incidents"]
    killed = next(m for m in row["metrics"] if m["metric"] == "killed")
    assert killed["now"] == "77" and killed["then"] != "77"
    assert row["new_stories"] >= 1 and day["feeds"] is None
    later = desk.digest("#mali-desk", at=at("2024-09-20T23:00"))
    killed = next(m for m in later["incidents"][0]["metrics"] if m["metric"] == "killed")
    assert (killed["then"], killed["now"]) == ("77", "77") and "leaked documents" in killed["new_sources"]
    assert desk.digest("#other-desk", at=at("2024-09-20T23:00"))["incidents"] == []
    assert desk.digest("#mali-desk", at=at("2024-10-20T23:00"))["incidents"] == []  # nothing changed that day
    text = digest_text(later)
    assert "Bamako attacks (bamako-attacks)" in text and "Killed: 77 (unchanged)" in text
    assert block_problems(digest_blocks(later)) == []


def test_the_admins_digest_lists_the_feeds_that_failed(db, client, settings):
    desk = founded(db, client, settings)
    feed = next(iter(db.query("select id from feeds order by id")))["id"]
    db.execute("update feeds set last_error = 'HTTP 503', last_error_at = '2024-09-20T10:00:00Z', "
               "consecutive_failures = 2 where id = ?", [feed])
    db.conn.commit()
    data = desk.digest("#mali-desk", at=at("2024-09-20T23:00"), feeds=True)
    assert [f["id"] for f in data["feeds"] if f["error"]] == [feed]
    assert f"{feed}: HTTP 503 (2 in a row" in digest_text(data)
    assert block_problems(digest_blocks(data)) == []


def test_digest_time_takes_a_clock_time_today_in_the_zone():
    from zoneinfo import ZoneInfo

    now = datetime(2024, 9, 18, 6, 30, tzinfo=timezone.utc)
    moment = digest_time("08:00", ZoneInfo("Africa/Bamako"), now=now)
    assert (moment.hour, moment.minute, moment.utcoffset().total_seconds()) == (8, 0, 0)
    assert digest_time("2024-09-18T08:00+02:00", ZoneInfo("UTC")).utcoffset().total_seconds() == 7200
    assert digest_time("2024-09-18 08:00", ZoneInfo("Africa/Bamako")).isoformat() == "2024-09-18T08:00:00+00:00"
    with pytest.raises(ValueError):
        digest_time("soon", ZoneInfo("UTC"))


def test_python_m_bot_digest_prints_the_channels_digest_in_its_time_zone(db, client, settings, capsys):
    from bot.cli import main

    founded(db, client, settings)
    db.conn.commit()
    assert main(["--db", str(settings.db_path), "digest", "--channel", "#mali-desk", "--at", "2024-09-20T23:00",
                 "--tz", "Africa/Bamako"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Digest for #mali-desk:") and "Bamako attacks (bamako-attacks)" in out
    assert "Killed: 77 (unchanged)" in out


def test_python_m_bot_digest_names_a_bad_time_zone_and_exits_2(settings, capsys):
    from bot.cli import main

    assert main(["--db", str(settings.db_path), "digest", "--channel", "#mali-desk", "--tz", "Mars/Olympus"]) == 2
    assert "Mars/Olympus" in capsys.readouterr().err
