"""The running bot: one scheduler polling feeds, then matching, then alerting (Slack or console)."""

from __future__ import annotations

import logging
import threading
from typing import Callable

from apscheduler.triggers.interval import IntervalTrigger

from bot.config import Settings, SlackSettings
from bot.fetch import make_client as make_http_client
from bot.pipeline import PollResult
from bot.processing import IncidentProcessor
from bot.scheduler import FeedScheduler

logger = logging.getLogger(__name__)

SEND_EVERY_SECONDS = 5


def run(db, settings: Settings, slack: SlackSettings, *, stop: threading.Event,
        console: Callable[[PollResult, list[int]], None] | None = None,
        on_started: Callable[[], None] | None = None) -> None:
    """Poll, process and alert until `stop` is set; in console mode alerts are printed instead of sent."""
    from bot.desk import Desk

    processor = IncidentProcessor(db)
    desk = Desk(db, processor=processor)
    sender = app = None
    if slack.mode != "console":
        from bot.app import Deps, build_app, make_client, make_sender

        client = make_client(slack)
        sender = make_sender(db, desk, client, slack)
        deps = Deps(db=db, desk=desk, settings=settings, slack=slack, sender=sender)
        app = build_app(deps, client=client, signing_secret=slack.signing_secret if slack.mode == "http" else None)
    lock = threading.Lock()  # polls finish on several threads; processing runs one at a time

    def after_poll(result: PollResult) -> None:
        alerts: list[int] = []
        if result.new_ids or result.updated_ids:
            with lock:
                processor.refresh()  # incidents may have been tracked since
                alerts = processor.process_pending().alerts
        if console:
            console(result, alerts)
        if sender is not None and alerts:
            drain()

    def drain() -> None:
        with lock:
            report = sender.drain(max_seconds=20)
        if report.posted or report.blocked or report.deferred:
            logger.info("slack: %s", report)

    with make_http_client(settings) as http:
        scheduler = FeedScheduler(db, http, settings, on_poll=after_poll)
        if sender is not None:
            scheduler.scheduler.add_job(drain, IntervalTrigger(seconds=SEND_EVERY_SECONDS), id="slack-sender",
                                        replace_existing=True, max_instances=1, coalesce=True)
        scheduler.start()
        if on_started:
            on_started()
        try:
            if app is not None:
                from bot.app import serve

                serve(app, slack, stop=stop)
            else:
                stop.wait()
        finally:
            logger.info("stopping: finishing running polls")
            scheduler.shutdown()
