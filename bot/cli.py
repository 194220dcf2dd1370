"""`python -m bot …`: the command line. Commands only parse arguments and call the library."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

from bot.config import DEFAULT_DB, FeedsFileError, Settings, format_interval, load_feeds, load_feeds_file, load_settings
from bot.ingest import ParsePool, PooledIngest, adaptive_note, worker_command
from bot.ingest.articles import article_health_line, fetch_after_poll
from bot.ingest.fetch import make_client
from bot.ingest.pipeline import PollResult
from bot.ingest.poller import poll_all
from bot.incidents.desk import Desk
from bot.incidents.processing import IncidentProcessor
from db import open_database, utc_now_iso
from db.articles import article_health
from db.feeds import active_feeds, feed_health, get_feed_row, recent_polls, sync_file_feeds
from db.items import items_by_id, search_items
from db.outbox import alerts_with_slugs

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Incident Desk: news feeds → incidents → Slack.")
    parser.add_argument("--db", help="SQLite database path (env INCIDENT_DESK_DB; default db/incident_desk.db)")
    parser.add_argument("--feeds", help="feeds.yaml path (env INCIDENT_DESK_FEEDS; default ./feeds.yaml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="poll every feed on its schedule until stopped (SIGTERM/Ctrl-C)")
    run.set_defaults(handler=cmd_run)
    worker_command(commands.add_parser("worker", help="distributed mode: fetch and parse the polls `run` queues"))

    poll = commands.add_parser("poll", help="poll feeds now")
    poll.add_argument("--once", action="store_true", required=True, help="poll once and exit")
    poll.add_argument("--feed", help="only this feed id")
    poll.set_defaults(handler=cmd_poll)

    feeds = commands.add_parser("feeds", help="manage and inspect feeds")
    feeds_commands = feeds.add_subparsers(dest="feeds_command", metavar="SUBCOMMAND", required=True)
    feeds_commands.add_parser("list", help="every feed with its health").set_defaults(handler=cmd_feeds_list)
    feeds_check = feeds_commands.add_parser("check", help="validate feeds.yaml and exit (status 2 on problems)")
    feeds_check.set_defaults(handler=cmd_feeds_check)
    feeds_export = feeds_commands.add_parser("export", help="print the feeds added in Slack as feeds.yaml, to commit")
    feeds_export.set_defaults(handler=cmd_feeds_export)

    items = commands.add_parser("items", help="list stored items, newest first")
    items.add_argument("--feed", help="only items of this feed id")
    items.add_argument("--since", help="published on or after this date (YYYY-MM-DD)")
    items.add_argument("--search", help="full-text search in titles and text")
    items.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    items.set_defaults(handler=cmd_items)

    ask = commands.add_parser("ask", help='answer an /incident or /feeds command as Slack would, e.g. '
                              'ask "/incident bamako toll"; /feeds runs as an admin (you run the bot)')
    ask.add_argument("text", help='the command text, e.g. "/incident list" or "/feeds list"')
    ask.add_argument("--json", action="store_true", help="print the Block Kit JSON instead of plain text")
    ask.add_argument("--user", default="cli",
                     help="who is asking (recorded in the audit log and as the creator of tracked incidents)")
    ask.set_defaults(handler=cmd_ask)

    alerts = commands.add_parser("alerts", help="alerts held back from Slack, and a person's decision on one")
    alerts_commands = alerts.add_subparsers(dest="alerts_command", metavar="SUBCOMMAND", required=True)
    alerts_list = alerts_commands.add_parser("list", help="blocked alerts: why, where, since when")
    alerts_list.set_defaults(handler=cmd_alerts_list)
    for name, help_text in (("send", "post it now: you looked, it is not in the thread"),
                            ("drop", "never post it: it is already in the thread, or no longer wanted")):
        decide = alerts_commands.add_parser(name, help=help_text)
        decide.add_argument("id", type=int, help="the alert's number (from `alerts list` or the admins' message)")
        decide.set_defaults(handler=cmd_alerts_decide, send=name == "send")

    claims = commands.add_parser("claims", help="casualty figures in a text (English or French)")
    _add_claims_arguments(claims)

    demo = commands.add_parser("demo", help="the embedded default: serve the founding articles on 127.0.0.1 and poll them")
    demo.add_argument("--serve", action="store_true", help="keep running the scheduler after the first poll")
    demo.set_defaults(handler=cmd_demo)
    chart = commands.add_parser("chart", help="the toll as a picture (PNG): reported figures over time per source")
    chart.add_argument("name", help="the incident: slug, alias or unambiguous beginning")
    chart.add_argument("--out", required=True, help="PNG file to write")
    chart.set_defaults(handler=cmd_chart)
    browse = commands.add_parser("browse", help="the database, read-only, in datasette on 127.0.0.1")
    browse.add_argument("--port", type=int, default=8001, help="port on 127.0.0.1 (default 8001)")
    browse.set_defaults(handler=cmd_browse)
    suggest = commands.add_parser("suggest", help="emerging incidents nobody tracks yet, with the track line to type")
    suggest.add_argument("--at", help="the moment to look from (ISO date or time, UTC; default now)")
    suggest.set_defaults(handler=lambda args, settings: print(Desk(open_database(settings.db_path)).suggest(args.at)))
    from bot.slack import digest_command  # slack_sdk only when the parser is built
    digest_command(commands.add_parser("digest", help="a channel's digest: its incidents that changed in 24 hours"))
    return parser


def _add_claims_arguments(parser: argparse.ArgumentParser) -> None:
    from bot.claims import cli as claims_cli

    claims_cli.add_arguments(parser)
    parser.set_defaults(handler=lambda args, settings: claims_cli.run(args))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    # APScheduler logs every job run ("Running job … reload_feeds" every few seconds): only with -v.
    logging.getLogger("apscheduler").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    settings = load_settings(db=args.db, feeds=args.feeds)
    try:
        return args.handler(args, settings) or 0
    except FeedsFileError as exc:
        print(f"{settings.feeds_path} has {exc.total} problem(s); nothing was started:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _prepare(settings: Settings, *, one_off: bool = False):
    """Validate feeds.yaml, open the database and bring its feeds table in line with the file.

    A one-off command (poll --once) adds and updates the file's feeds but removes none: polling once
    with another file must not stop the feeds the running bot polls. What changed is said.
    """
    feeds = load_feeds(settings.feeds_path)
    db = open_database(settings.db_path)
    changes = sync_file_feeds(db, feeds, remove_missing=not one_off)
    said = [f"{what} {', '.join(ids)}" for what, ids in changes.items() if ids]
    if said:
        print(f"{settings.feeds_path}: " + "; ".join(said), flush=True)
    return db


def cmd_feeds_check(args, settings: Settings) -> int:
    loaded = load_feeds_file(settings.feeds_path)
    print(f"{settings.feeds_path}: {len(loaded.feeds)} feed(s), {len(loaded.digests)} digest(s), no problems")
    return 0


def cmd_feeds_export(args, settings: Settings) -> int:
    from bot.ingest.feed_admin import export_slack_feeds

    print(export_slack_feeds(open_database(settings.db_path)), end="")
    return 0


def cmd_alerts_list(args, settings: Settings) -> int:
    from db.outbox import blocked_alerts

    rows = blocked_alerts(open_database(settings.db_path))
    for row in rows:
        print(f"#{row['id']:<6} {row['kind']:<12} {row['incident'] or '-':<24} {row['slack_channel'] or '-':<14} "
              f"since {row['created_at']}\n        {row['last_error'] or ''}")
    print(f"{len(rows)} alert(s) held back" + ("; `alerts send N` posts one, `alerts drop N` gives it up" if rows else ""))
    return 0


def cmd_alerts_decide(args, settings: Settings) -> int:
    from db.outbox import decide_blocked

    if not decide_blocked(open_database(settings.db_path), args.id, send=args.send, actor="cli"):
        print(f"alert #{args.id} is not held back (see `python -m bot alerts list`)", file=sys.stderr)
        return 2
    print(f"alert #{args.id} " + ("will be posted at the next drain, without looking for it first" if args.send
                                  else "dropped: it will not be posted"))
    return 0


def cmd_poll(args, settings: Settings) -> int:
    db = _prepare(settings, one_off=True)
    feeds = active_feeds(db)
    if args.feed:
        feeds = [f for f in feeds if f.id == args.feed]
        if not feeds:
            print(f"no active feed with id {args.feed!r}; see `python -m bot feeds list`", file=sys.stderr)
            return 2
    done = [0]

    def progress(result: PollResult) -> None:
        done[0] += 1
        print(f"[{done[0]}/{len(feeds)}] {describe_poll(result)}", flush=True)
        print_new_items(db, result)

    with ParsePool(settings.parse_workers) as parsers, make_client(settings) as client:  # parsed there, stored here
        results = poll_all(db, client, feeds, settings=settings, on_result=progress, ingest=PooledIngest(parsers))
        new = sum(len(r.new_ids) for r in results)
        failed = sum(r.outcome == "error" for r in results)
        print(f"polled {len(results)} feed(s): {new} new item(s), {failed} failed")
        if line := fetch_after_poll(db, client, settings):  # full_text feeds: their pages, before processing
            print(line, flush=True)
    process_and_print(db, IncidentProcessor(db))
    return 0


def process_and_print(db, processor) -> None:
    """Match everything the polls stored and print the alerts it queued (the console stands in for Slack)."""
    def progress(done: int, left: int) -> None:
        if done + left > PROGRESS_FROM:
            print(f"processed {done:,} item(s), {left:,} left", flush=True)

    outcome = processor.process_pending(on_progress=progress)
    print_alerts(db, outcome.alerts)
    if outcome.set_aside:
        print(f"{outcome.set_aside} item(s) could not be processed and were set aside (see `items`)", flush=True)


PROGRESS_FROM = 1_000  # items: fewer than this are processed without progress lines


def print_alerts(db, ids: list[int]) -> None:
    for alert in alerts_with_slugs(db, ids):
        text = alert["text"].replace("\n", "\n    ")
        if alert["status"] == "recorded":  # a new feed's backlog, or found by looking back after track
            print(f"RECORDED, not posted (backlog or look-back) [{alert['slug']}] {text}", flush=True)
        else:
            print(f"ALERT [{alert['slug']}] {text}", flush=True)


def describe_poll(result: PollResult) -> str:
    if result.outcome == "error":
        return f"{result.feed_id}: ERROR {result.error}"
    if result.outcome == "new":
        return f"{result.feed_id}: {len(result.new_ids)} new, {len(result.updated_ids)} updated"
    return f"{result.feed_id}: {result.outcome.replace('_', ' ')}"


def print_new_items(db, result: PollResult) -> None:
    """The console stands in for Slack: one line per new or updated item."""
    for row in items_by_id(db, result.new_ids + result.updated_ids):
        label = "UPDATED" if row["updated"] else "NEW"
        print(f"  {label} {row['published']} [{row['feed_id']}] {row['title']}  {row['link'] or ''}", flush=True)


def cmd_feeds_list(args, settings: Settings) -> int:
    db = open_database(settings.db_path)
    health, pages, now = feed_health(db), article_health(db), datetime.now(timezone.utc)
    if not health:
        print("no feeds yet: add them to feeds.yaml, then run `python -m bot poll --once`")
        return 0
    for feed in health:
        state = "paused" if not feed.enabled else ("STALE" if feed.stale else "ok")
        if feed.consecutive_failures:
            state = f"FAILING x{feed.consecutive_failures}"
        print(f"{feed.id:<24} {state:<12} every {format_interval(feed.interval_seconds)}  {feed.items_total} items"
              f" ({feed.items_per_day}/day)  last ok: {feed.last_success_at or 'never'}")
        print(f"{'':<24} {feed.url}")
        if feed.last_error:
            print(f"{'':<24} last error {feed.last_error_at}: {feed.last_error}")
        if feed.next_poll_after and feed.next_poll_after > utc_now_iso():  # a first failure does not back off
            print(f"{'':<24} backing off until {feed.next_poll_after}")
        if note := adaptive_note(feed, recent_polls(db, feed.id), now=now):
            print(f"{'':<24} {note}")
        if feed.id in pages:
            print(f"{'':<24} {article_health_line(pages[feed.id])}")
    return 0


def cmd_items(args, settings: Settings) -> int:
    db = open_database(settings.db_path)
    since = None
    if args.since:
        try:
            since = datetime.strptime(args.since, "%Y-%m-%d").strftime("%Y-%m-%dT00:00:00Z")
        except ValueError:
            print(f"--since wants a date like 2024-09-17, not {args.since!r}", file=sys.stderr)
            return 2
    if args.feed and get_feed_row(db, args.feed) is None:
        print(f"no feed {args.feed!r}: `python -m bot feeds list` shows the feeds", file=sys.stderr)
        return 2
    rows = search_items(db, feed_id=args.feed, since=since, text=args.search, limit=args.limit)
    for row in rows:
        when = row["published"] + (" (first seen)" if row["published_is_first_seen"] else "")
        flag = " [updated]" if row["updated"] else ""
        if row["process_error"]:
            flag += f" [set aside: {row['process_error']}]"
        print(f"{when}  [{row['feed_id']}] {row['title']}{flag}\n    {row['link'] or ''}")
    print(f"{len(rows)} item(s)")
    return 0


def cmd_run(args, settings: Settings) -> int:
    from bot import service
    from bot.config import load_slack_settings

    db = _prepare(settings)
    slack = load_slack_settings()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    def started() -> None:
        mode = {"console": "console (no Slack tokens: alerts are printed)", "socket": "Slack Socket Mode",
                "http": f"Slack HTTP mode on port {slack.port}"}[slack.mode]
        print(f"polling {len(active_feeds(db))} feed(s); {mode}; Ctrl-C to stop", flush=True)

    service.run(db, settings, slack, stop=stop, console=lambda r, alerts: _console_sink(db, r, alerts),
                on_started=started)
    return 0


def _console_sink(db, result: PollResult, alerts: list[int]) -> None:
    if result.outcome in ("new", "error"):
        print(describe_poll(result), flush=True)
    print_new_items(db, result)
    print_alerts(db, alerts)


def cmd_ask(args, settings: Settings) -> int:
    from bot.incidents.desk import Desk
    from bot.ingest.feed_admin import run_feeds_command
    from bot.slack.blocks import reply_blocks, text_sections
    from bot.slack.messages import with_blocks

    db = open_database(settings.db_path)
    if args.text.strip().lower().startswith("/feeds"):  # the operator at the command line is the admin
        done, text = run_feeds_command(db, args.text, user=args.user, settings=settings)
        blocks = [b.to_dict() for b in text_sections(text)]
    else:
        desk = Desk(db, progress=lambda line: print(line, file=sys.stderr, flush=True))  # a long look-back
        reply = desk.ask(args.text, user=args.user)
        done, text, blocks = reply.ok, reply.text, reply_blocks(with_blocks(reply)) if args.json else []
    print(json.dumps({"text": text, "blocks": blocks}, indent=2, ensure_ascii=False) if args.json else text)
    return 0 if done else 1


DEMO_TRACK = ("/incident track Bamako attacks keywords: bamako, gendarmerie school, JNIM since: 2024-09-17 "
              "channel: #mali-desk")


DEMO_DB = DEFAULT_DB.parent / "demo.db"  # kept after the demo, so its answers can be asked again


def cmd_chart(args, settings: Settings) -> int:
    from bot.incidents.chart import toll_png
    from bot.incidents.desk import Desk

    desk = Desk(open_database(settings.db_path))
    found = desk.chart_view(args.name)
    if isinstance(found, str):
        print(found, file=sys.stderr)
        return 2
    incident, toll = found
    Path(args.out).write_bytes(toll_png(toll, title=f"{incident.name} — reported toll"))
    print(f"wrote {args.out}")
    return 0


def cmd_browse(args, settings: Settings) -> int:
    from bot.browse import browse

    return browse(Path(settings.db_path), port=args.port)


def cmd_demo(args, settings: Settings) -> int:
    from bot.demo import DEMO_STEPS, demo_settings as settings_for_demo, seed_feeds_yaml, seed_routes
    from bot.incidents.desk import Desk
    from bot.demo.localserver import LocalServer

    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        feeds_path = Path(tmp) / "feeds.yaml"
        feeds_path.write_text(seed_feeds_yaml(f"http://127.0.0.1:{server.port}"), encoding="utf-8")
        db_path = Path(args.db) if args.db else DEMO_DB
        if not args.db:  # the demo's own database: each run starts it afresh, and keeps it afterwards
            for leftover in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
                leftover.unlink(missing_ok=True)
        demo_settings = settings_for_demo(db=str(db_path), feeds=str(feeds_path))
        print(f"Incident Desk demo: the founding articles served as feeds on http://127.0.0.1:{server.port}/feeds/,")
        print("each appearing at its publication date; the bot polls on each day coverage moved.\n")
        desk = Desk(open_database(demo_settings.db_path))
        print(f"> {DEMO_TRACK}\n{desk.ask(DEMO_TRACK, user='demo').text}")
        for step in DEMO_STEPS:
            as_of = datetime.fromisoformat(step)
            server.routes.update(seed_routes(as_of))
            print(f"\n=== {as_of:%d %b %Y %H:%M} UTC: python -m bot poll --once")
            cmd_poll(argparse.Namespace(feed=None), demo_settings)
        for text in ("/incident bamako toll", "/incident bamako timeline", "/incident bamako sources"):
            print(f"\n> {text}\n{desk.ask(text).text}")
        print("\n> python -m bot feeds list")
        cmd_feeds_list(args, demo_settings)
        print("\nThe first poll of a feed is its backlog: stored and counted in the toll, not alerted.")
        chart_path = db_path.with_suffix(".png")
        cmd_chart(argparse.Namespace(name="bamako", out=str(chart_path)), demo_settings)
        print(f"\nThe demo's database is kept at {db_path}, its toll chart at {chart_path}. Try next:")
        for line in (f'.venv/bin/python -m bot --db {db_path} ask "/incident bamako toll"',
                     f'.venv/bin/python -m bot --db {db_path} ask "/incident list --all"',
                     f'.venv/bin/python -m bot --db {db_path} items --search Bamako',
                     '.venv/bin/python -m bot claims "Le bilan est passé de 25 à 40 morts, selon le ministère."'):
            print(f"  {line}")
        if args.serve:
            return cmd_run(args, demo_settings)
    return 0
