"""`python -m bot …` as an admin uses it."""

import os
import subprocess
import sys

import pytest

from bot.cli import build_parser, main
from bot.demo.localserver import Response
from tests.conftest import REPO, rss


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def all_commands(parser=None, prefix=()):
    parser = parser or build_parser()
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from all_commands(sub, (*prefix, name))


@pytest.mark.parametrize("command", list(all_commands()), ids=" ".join)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([*command, "--help"])
    assert done.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_feeds_check_reports_file_line_and_fix_and_exits_2(tmp_path):
    broken = tmp_path / "feeds.yaml"
    broken.write_text("feeds:\n  - id: a\n    url: https://a.example/rss\n    interval: 10 minutes\n")
    done = run_cli("--feeds", str(broken), "feeds", "check")
    assert done.returncode == 2
    assert f"{broken}:4: bad interval '10 minutes'" in done.stderr
    assert "90s, 10m, 1h" in done.stderr


def test_run_refuses_to_start_on_a_broken_feeds_file(tmp_path):
    broken = tmp_path / "feeds.yaml"
    broken.write_text("feeds:\n  - id: a\n    urll: https://a.example/rss\n")
    done = run_cli("--feeds", str(broken), "--db", str(tmp_path / "x.db"), "run")
    assert done.returncode == 2 and "nothing was started" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_poll_once_with_progress_then_items_and_feeds_list(tmp_path, server):
    server.routes["/good.xml"] = Response(rss({"title": "Bamako attack: toll rises", "guid": "1",
                                               "pubDate": "Thu, 19 Sep 2024 10:00:00 GMT"},
                                              {"title": "Mali passports", "guid": "2",
                                               "pubDate": "Mon, 02 Sep 2024 10:00:00 GMT"}))
    server.routes["/sick.xml"] = Response(b"oops", status=500, content_type="text/plain")
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text(f"feeds:\n  - id: good\n    url: {server.url('/good.xml')}\n"
                     f"  - id: sick\n    url: {server.url('/sick.xml')}\n")
    env = {"INCIDENT_DESK_DB": str(tmp_path / "cli.db"), "INCIDENT_DESK_FEEDS": str(feeds)}
    polled = run_cli("poll", "--once", env=env)
    assert polled.returncode == 0, polled.stderr
    assert "[1/2]" in polled.stdout and "[2/2]" in polled.stdout
    assert "2 new item(s), 1 failed" in polled.stdout
    listed = run_cli("items", "--since", "2024-09-10", env=env)
    assert "Bamako attack: toll rises" in listed.stdout and "passports" not in listed.stdout
    searched = run_cli("items", "--search", "passports", env=env)
    assert "Mali passports" in searched.stdout and "1 item(s)" in searched.stdout
    health = run_cli("feeds", "list", env=env)
    assert "sick" in health.stdout and "FAILING x1" in health.stdout and "HTTP 500" in health.stdout
    only = run_cli("poll", "--once", "--feed", "nope", env=env)
    assert only.returncode == 2 and "no active feed with id 'nope'" in only.stderr


def test_bad_since_date_is_a_clear_error(tmp_path):
    done = run_cli("--db", str(tmp_path / "x.db"), "items", "--since", "yesterday")
    assert done.returncode == 2 and "2024-09-17" in done.stderr


def test_demo_replays_the_founding_case_and_answers_the_toll():
    done = run_cli("demo")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("polled 4 feed(s)") == 5 and "failed" in out and ", 0 failed" in out
    assert "ALERT [bamako-attacks] New story matched: Mali Security Under Scrutiny" in out
    assert "Official toll (killed) rises from some to 77" in out
    toll = out.split("> /incident bamako toll")[1].split("> /incident bamako timeline")[0]
    assert "Leading: 77 (official sources" in toll and "Leading: 255 (official sources" in toll
    assert "more than 75" in toll and "up to 100" in toll and "hundreds" in toll
    sources = out.split("> /incident bamako sources")[1]
    assert "Mali Junta Faces Scrutiny After Attack Near Bamako" not in sources  # the Kati look-alike


def test_alerts_list_shows_what_is_held_back_and_send_or_drop_decides_once(tmp_path):
    from db import open_database

    db = open_database(tmp_path / "cli.db")
    bamako = db["incidents"].insert({"slug": "bamako-attacks", "name": "Bamako attacks", "since": "2024-09-17",
                                     "channel": "#mali-desk"}).last_pk
    for key, status in (("story:1", "blocked"), ("story:2", "sent")):
        db["outbox"].insert({"idempotency_key": key, "incident_id": bamako, "kind": "new_story", "payload": "{}",
                             "created_at": "2024-09-17T10:00:00Z", "status": status, "slack_channel": "C0MALI",
                             "last_error": "unverified: not found in 20 pages; check the thread"})
    db.close()
    env = {"INCIDENT_DESK_DB": str(tmp_path / "cli.db")}
    listed = run_cli("alerts", "list", env=env)
    assert listed.returncode == 0 and "#1" in listed.stdout and "#2" not in listed.stdout
    assert "bamako-attacks" in listed.stdout and "unverified" in listed.stdout and "1 alert(s) held back" in listed.stdout
    sent = run_cli("alerts", "send", "1", env=env)
    assert sent.returncode == 0 and "will be posted" in sent.stdout
    again = run_cli("alerts", "drop", "1", env=env)
    assert again.returncode == 2 and "not held back" in again.stderr
    assert "0 alert(s) held back" in run_cli("alerts", "list", env=env).stdout


def test_items_of_an_unknown_feed_names_it_and_exits_2(tmp_path):
    result = run_cli("--db", str(tmp_path / "x.db"), "items", "--feed", "nope")
    assert result.returncode == 2 and "no feed 'nope'" in result.stderr


def test_a_one_off_poll_with_another_file_removes_no_feed(tmp_path):
    db = tmp_path / "x.db"
    main = tmp_path / "feeds.yaml"
    main.write_text("feeds:\n  - id: alpha\n    url: http://127.0.0.1:9/a.xml\n  - id: beta\n    url: http://127.0.0.1:9/b.xml\n")
    other = tmp_path / "other.yaml"
    other.write_text("feeds:\n  - id: gamma\n    url: http://127.0.0.1:9/c.xml\n")
    assert run_cli("--db", str(db), "--feeds", str(main), "poll", "--once").returncode == 0
    result = run_cli("--db", str(db), "--feeds", str(other), "poll", "--once")
    assert "added gamma" in result.stdout
    listed = run_cli("--db", str(db), "--feeds", str(main), "feeds", "list").stdout
    assert "alpha" in listed and "beta" in listed  # still polled by the running bot


def test_the_demo_keeps_its_database_and_says_what_to_try_next(tmp_path):
    db = tmp_path / "demo.db"
    result = run_cli("--db", str(db), "demo")
    assert result.returncode == 0 and f"kept at {db}" in result.stdout
    assert "77" in run_cli("--db", str(db), "ask", "/incident bamako toll").stdout


# --- /feeds on the command line: the same code as Slack, the local operator as admin ------------------

def _ask(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_ask_feeds_list_lists_the_files_feeds(tmp_path, capsys):
    from bot.config import load_feeds
    from db import open_database
    from db.feeds import sync_file_feeds

    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - id: alpha\n    url: https://a.example/rss\n  - id: beta\n    url: https://b.example/rss\n")
    db = open_database(tmp_path / "x.db")
    sync_file_feeds(db, load_feeds(feeds))
    db.close()
    code, out, _ = _ask(capsys, "--db", str(tmp_path / "x.db"), "ask", "/feeds list")
    assert code == 0
    assert "• alpha [" in out and "• beta [" in out and "feeds.yaml" in out
    assert "No incident matches" not in out


def test_ask_feeds_add_pause_resume_remove_run_as_the_admin_and_are_audited(tmp_path, capsys, server, monkeypatch):
    from db import open_database

    monkeypatch.setenv("INCIDENT_DESK_ALLOW_PRIVATE_FEEDS", "true")  # the test server is on 127.0.0.1
    server.routes["/wire.xml"] = Response(rss({"title": "Bamako attack", "guid": "1"}, title="Wire"))
    db_path = str(tmp_path / "x.db")
    code, out, _ = _ask(capsys, "--db", db_path, "ask", f"/feeds add {server.url('/wire.xml')} every 15m")
    assert code == 0 and out.startswith("Added wire: ") and "Polled every 15m" in out
    for verb, said in (("pause", "Paused wire."), ("resume", "Resumed wire."), ("remove", "Removed wire.")):
        code, out, _ = _ask(capsys, "--db", db_path, "ask", f"/feeds {verb} wire")
        assert (code, out.strip()) == (0, said)
    code, out, _ = _ask(capsys, "--db", db_path, "ask", "/feeds pause wire")
    assert code == 1 and "No feed 'wire'" in out  # a refusal is an error exit, with the same words as Slack
    db = open_database(db_path)
    actions = [(r["actor"], r["action"]) for r in db.query("select actor, action from audit_log order by id")]
    assert actions == [("cli", "feed_add"), ("cli", "feed_pause"), ("cli", "feed_resume"), ("cli", "feed_remove")]


def test_ask_feeds_with_an_unknown_verb_gives_the_usage_and_exits_1(tmp_path, capsys):
    code, out, _ = _ask(capsys, "--db", str(tmp_path / "x.db"), "ask", "/feeds frobnicate")
    assert code == 1 and "/feeds add <url> [every 10m] [to #channel]" in out
    code, out, _ = _ask(capsys, "--db", str(tmp_path / "x.db"), "ask", "/feeds list", "--json")
    assert code == 0 and '"blocks"' in out and "No feeds" in out


# --- long work shows progress -------------------------------------------------------------------------

def test_a_look_back_over_5000_items_reports_progress_on_stderr_and_answers_on_stdout(tmp_path, capsys, server,
                                                                                      settings):
    import dataclasses

    from bot.ingest.fetch import make_client
    from bot.ingest.pipeline import poll_feed
    from bot.models import FeedConfig
    from db import open_database

    server.routes["/wire.xml"] = Response(rss(*({"title": f"Bamako market report {n}", "guid": f"m{n}",
                                                 "pubDate": "Wed, 18 Sep 2024 09:00:00 GMT",
                                                 "description": f"Traders in Bamako on day {n}."} for n in range(5000))))
    settings = dataclasses.replace(settings, max_body_bytes=20 * 1024 * 1024)
    db = open_database(settings.db_path)
    db["feeds"].insert({"id": "wire", "url": server.url("/wire.xml"), "interval_seconds": 600})
    with make_client(settings) as client:
        assert len(poll_feed(db, client, FeedConfig(id="wire", url=server.url("/wire.xml"), interval_seconds=600),
                             settings=settings).new_ids) == 5000
    db.close()
    code, out, err = _ask(capsys, "--db", str(settings.db_path), "ask",
                          "/incident track Bamako attacks keywords: bamako since: 2024-09-17")
    assert code == 0 and out.startswith("Now tracking Bamako attacks") and "looked back" not in out
    progress = err.splitlines()
    assert progress[0] == "bamako-attacks: looked back through 1,000 of 5,000 items, 0 matched so far"
    assert len(progress) == 4 and "4,000 of 5,000" in progress[-1]  # the answer itself says the end


def test_a_short_look_back_is_quiet_and_a_long_one_says_at_most_about_twenty_lines():
    from bot.incidents.desk import look_back_step

    assert look_back_step(999) == 0
    assert look_back_step(5_000) == 1_000
    for total in (45_000, 1_000_000, 3_333_333):
        assert 5 <= total // look_back_step(total) <= 20
