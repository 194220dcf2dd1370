"""The running bot: one scheduler polling feeds, then matching, then alerting (Slack or console)."""

from __future__ import annotations

import gc
import logging
import sys
import threading
import time
from typing import Callable

from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings, SlackSettings
from bot.ingest.articles import fetch_pending_articles
from bot.ingest.fetch import make_client as make_http_client
from bot.ingest.pipeline import PollResult, poll_feed
from bot.ingest.remote_polls import RemotePolls
from bot.ingest.scheduler import FeedScheduler
from bot.ingest.websub import WebSub
from bot.ingest.websub_http import callback_app
from bot.ingest.websub_http import callback_server as serve_callbacks
from bot.ingest.worker import IngestWorker

logger = logging.getLogger(__name__)

SEND_EVERY_SECONDS = 5
BACKLOG_EVERY_SECONDS = 5  # unprocessed items drain in the background this often
BACKLOG_BATCH = 2_000  # items per background step: the worker stays free for the next poll
SUGGEST_EVERY_SECONDS = 60  # new emerging incidents are looked for this often (INCIDENT_DESK_SUGGEST_CHANNEL)
ARTICLES_EVERY_SECONDS = 10  # full_text feeds: pending article pages are fetched this often
WEBSUB_EVERY_SECONDS = 60  # WebSub subscriptions due (new hubs, renewals, retries) are asked for this often
ARTICLES_STEP_SECONDS = 20  # for at most this long a step, so a shutdown never waits long for one


def run(db, settings: Settings, slack: SlackSettings, *, stop: threading.Event,
        console: Callable[[PollResult, list[int]], None] | None = None,
        on_started: Callable[[], None] | None = None) -> None:
    """Poll, process and alert until `stop` is set; in console mode alerts are printed instead of sent."""
    # Distributed mode: `python -m bot worker` processes fetch and parse; this process stays the one writer.
    remote = RemotePolls(settings) if settings.queue_url else None  # QueueUnavailable: no Redis there
    sender = app = desk = None
    if slack.mode != "console":
        from bot.slack.app import Deps, build_app, make_client, make_sender
        from bot.slack.desk_process import DeskProcess

        desk = DeskProcess(settings.db_path, admins=slack.admins)  # answers are CPU work: off the process that acknowledges
        client = make_client(slack)
        sender = make_sender(db, desk, client, slack)
        deps = Deps(db=db, desk=desk, settings=settings, slack=slack, sender=sender)
        app = build_app(deps, client=client, signing_secret=slack.signing_secret if slack.mode == "http" else None)
    send_lock = threading.Lock()  # one drain at a time (polls finish on several threads)
    # Parsing, matching, reading figures and article pages' text: off this process.
    worker = IngestWorker(settings.db_path, article_grace=settings.article_grace_seconds,
                          parse_workers=settings.parse_workers)

    def after_poll(result: PollResult) -> None:
        if console:
            console(result, result.alerts)
        if sender is not None and result.alerts:
            drain()

    def drain() -> None:
        if not send_lock.acquire(blocking=False):
            return  # a drain is running; it will see these alerts too
        try:
            report = sender.drain(max_seconds=20)
        finally:
            send_lock.release()
        if report.posted or report.blocked or report.deferred:
            logger.info("slack: %s", report)

    with make_http_client(settings) as http:
        websub = WebSub(db, http, settings, ingest=worker, on_push=after_poll) if settings.public_url else None
        scheduler = FeedScheduler(db, http, settings, on_poll=after_poll, ingest=worker,
                                  rests=websub.rests if websub else None, poll=remote or poll_feed)
        if remote is not None:
            remote.start_writer(store=lambda done: worker.store_remote(done, settings=settings), on_stored=after_poll)
        callbacks = callback_server = None
        if websub is not None:
            # Hubs feeds advertise push to <public URL>/websub/<feed id>; subscriptions renewed here.
            scheduler.scheduler.add_job(websub.renew_due, IntervalTrigger(seconds=WEBSUB_EVERY_SECONDS), id="websub",
                                        replace_existing=True, max_instances=1, coalesce=True)
            callbacks = callback_app(websub)
            if slack.mode != "http":  # no Slack server to share: the callbacks get their own
                callback_server = serve_callbacks(websub, port=slack.port)
        if sender is not None:
            scheduler.scheduler.add_job(drain, IntervalTrigger(seconds=SEND_EVERY_SECONDS), id="slack-sender",
                                        replace_existing=True, max_instances=1, coalesce=True)
            from bot.slack import DIGEST_EVERY_SECONDS, DigestSchedule

            digests = DigestSchedule(db, desk)

            def send_digests() -> None:  # each channel's digest once its local time passed, once a day
                if digests.run():
                    drain()

            scheduler.scheduler.add_job(send_digests, IntervalTrigger(seconds=DIGEST_EVERY_SECONDS), id="digests",
                                        replace_existing=True, max_instances=1, coalesce=True)
        if sender is not None and slack.suggest_channel:
            from bot.slack import SuggestionPoster

            # Each new emerging incident, once, in the desk channel; the work runs in the ingest worker.
            poster = SuggestionPoster(channel=slack.suggest_channel, queue=worker.queue_suggestions, drain=drain)
            scheduler.scheduler.add_job(poster.run, IntervalTrigger(seconds=SUGGEST_EVERY_SECONDS),
                                        id="suggestions", replace_existing=True, max_instances=1, coalesce=True)
        scheduler.start()
        if app is not None:
            # Acknowledgements are short bursts among longer work: hand the interpreter lock over
            # more often (1 ms instead of 5) and keep start-up objects out of full GC passes.
            sys.setswitchinterval(0.001)
            gc.freeze()
        def drain_backlog() -> None:
            alerts, left = worker.process_pending(limit=BACKLOG_BATCH)
            if left:
                logger.info("processing the backlog: %d item(s) left", left)
            if console and alerts:
                console(PollResult("(backlog)", "new"), alerts)
            if sender is not None and alerts:
                drain()

        # Whatever earlier runs (or a big first poll) stored and did not process drains in bounded
        # batches in the background, whether or not the next polls bring anything.
        scheduler.scheduler.add_job(drain_backlog, IntervalTrigger(seconds=BACKLOG_EVERY_SECONDS), id="backlog",
                                    replace_existing=True, max_instances=1, coalesce=True)
        drain_backlog()

        def fetch_articles() -> None:
            # Pages of full_text feeds' new and revised items, a bounded step at a time; an item whose
            # page arrives is processed again by drain_backlog, its figures read from the article.
            done = fetch_pending_articles(db, http, settings, limit=settings.article_batch,
                                          deadline=time.monotonic() + ARTICLES_STEP_SECONDS, read=worker.read_page)
            if done.fetched or done.failed:
                logger.info("article pages: %d read, %d failed, %d left for later", done.fetched, done.failed,
                            done.deferred)

        scheduler.scheduler.add_job(fetch_articles, IntervalTrigger(seconds=ARTICLES_EVERY_SECONDS), id="articles",
                                    replace_existing=True, max_instances=1, coalesce=True)
        if on_started:
            on_started()
        try:
            if app is not None:
                from bot.slack.app import serve

                serve(app, slack, stop=stop, websub=callbacks)
            else:
                stop.wait()
        finally:
            logger.info("stopping: finishing running polls")
            if callback_server is not None:
                callback_server.shutdown()
                callback_server.server_close()
            scheduler.shutdown()
            if remote is not None:
                remote.close()
            worker.close()
            if desk is not None:
                desk.close()
