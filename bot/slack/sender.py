"""Drain the `outbox` into Slack: one thread per incident, each alert exactly once.

This module is the loop: which rows are due (db/outbox.py), in which order (an incident's thread
never lets a later alert overtake one backing off), at which pace (ratelimit.py), and what each of
Slack's answers does to a row. The thread and its parent card are threads.py's; finding a post
whose outcome is unknown is reconcile.py's.

Errors: 429 pauses that channel for Retry-After (waited inside the drain up to a bound, else the
row keeps a `next_attempt_at`); 5xx and network errors back off and the row stays 'pending'
(a timeout or a lost answer waits at least `late_post_wait`, for the reason in reconcile.py);
not_in_channel, channel_not_found and other permanent answers mark it 'blocked' (kept, retried
every `blocked_retry` seconds or at once via `retry_blocked`) and tell the admins once per
channel.

Backlog rows are recorded, never posted (threads.is_backlog).

Single-sender assumption: exactly one scheduler drains (the Procfile runs one). A second
concurrent sender would be held off by the 'sending' lease (`sending_lease` seconds), not by a
lock, so it is a configuration error, not a supported mode.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.client import HTTPException
from typing import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler

from bot.slack.admin_notices import admin_text
from bot.slack.ratelimit import TokenBucket, backoff_seconds, retry_after_seconds
from bot.slack.reconcile import (ANSWER_LOST, Undecided, epoch, find_posted, idempotency_block_id, in_doubt,
                                 late_post_wait)
from bot.slack.threads import AlertRenderer, ParentRenderer, Threads, is_backlog, payload_of
from db import outbox
from db.connection import to_iso

__all__ = ["DrainReport", "SenderSettings", "SlackSender", "TokenBucket", "backoff_seconds",
           "idempotency_block_id", "make_web_client"]

logger = logging.getLogger(__name__)

TOLL_KINDS = frozenset({"toll_change", "new_source", "official_rise", "official_fall", "new_maximum", "revised"})
BLOCKING_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# Slack's own trouble answered with HTTP 200: like a 5xx, the post may or may not have happened.
SERVER_ERRORS = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout"})
AUTH_ERRORS = frozenset({"not_authed", "invalid_auth", "token_revoked", "account_inactive", "missing_scope"})


@dataclass(frozen=True)
class SenderSettings:
    """Knobs for the drain; the defaults are Slack's documented limits and a newsroom's patience."""

    rate_per_channel: float = 1.0  # chat.postMessage: about one message per second per channel
    burst: int = 5
    max_retry_after: float = 30.0  # a longer 429 wait is left to a later drain
    backoff_base: float = 2.0
    backoff_max: float = 600.0
    blocked_retry: float = 900.0
    sending_lease: float = 60.0  # a 'sending' row older than this is a crashed attempt
    late_post_wait: float = 30.0  # a post whose answer was lost is looked for no sooner (and > 2x the timeout)
    lookup_margin: float = 300.0  # clock skew allowed when searching Slack for a posted key
    lookup_pages: int = 20
    batch_size: int = 200
    parent_refresh_every: float = 10.0  # chat.update is Tier 3: a flood of toll changes updates once per this
    default_channel: str | None = None
    toll_kinds: frozenset[str] = TOLL_KINDS
    unfurl: bool = False  # quiet threads: no link previews under every alert


@dataclass
class DrainReport:
    """What one drain did."""

    posted: int = 0  # chat.postMessage calls that succeeded (parents + replies)
    parents: int = 0
    broadcasts: int = 0
    reconciled: int = 0  # in-doubt rows found already posted, marked sent without posting
    folded: int = 0
    recorded: int = 0  # backlog rows kept, not posted
    deferred: int = 0  # left pending for a later attempt (429 beyond the bound, 5xx, network)
    blocked: int = 0
    parent_updates: int = 0
    rate_limited: int = 0  # 429 answers seen
    waited: float = 0.0  # seconds slept for the rate limit and Retry-After
    stopped: str | None = None  # why the drain gave up early (an auth problem)


def make_web_client(*, token: str, base_url: str | None = None, timeout: float = 10.0) -> WebClient:
    """A WebClient fit for the sender: no built-in retries (the sender owns them), bounded timeout."""
    return WebClient(token=token, base_url=base_url or WebClient.BASE_URL, timeout=int(max(1, timeout)),
                     retry_handlers=[])


class SlackSender:
    """Posts outbox rows to Slack; `drain()` is what the scheduler calls every few seconds."""

    def __init__(self, db, *, client: WebClient, render_parent: ParentRenderer, render_alert: AlertRenderer,
                 notify_admins: Callable[[str], None], settings: SenderSettings = SenderSettings(),
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
                 rng: Callable[[], float] = random.random):
        unsafe = [h for h in getattr(client, "retry_handlers", []) or []
                  if isinstance(h, (ConnectionErrorRetryHandler, ServerErrorRetryHandler))]
        if unsafe:
            # slack_sdk would silently re-send a post whose answer was lost: the double we must avoid.
            raise ValueError("the WebClient retries connection/server errors by itself; "
                             "build it with make_web_client() or retry_handlers=[]")
        self.db, self.client, self.notify_admins = db, client, notify_admins
        self.settings = settings
        self._clock, self._sleep, self._now, self._rng = clock, sleep, now, rng
        self.threads = Threads(db, client=client, render_parent=render_parent, render_alert=render_alert,
                               toll_kinds=settings.toll_kinds, iso=self._iso)
        self._late_post_wait = late_post_wait(client_timeout=float(getattr(client, "timeout", 0) or 0),
                                              at_least=settings.late_post_wait)
        self._buckets: dict[str, TokenBucket] = {}
        self._blocked_channels: set[str] = set()  # within one drain: stop calling a channel that refused
        self._stopped: str | None = None
        self._last_refresh = float("-inf")

    # --- public --------------------------------------------------------------------------------
    def drain(self, *, max_seconds: float = 30.0, max_messages: int = 1000) -> DrainReport:
        """Send what is due, within the rate limit, for at most `max_seconds`; never raises for Slack errors."""
        report = DrainReport()
        deadline = self._clock() + max(0.0, max_seconds)
        self._blocked_channels.clear()
        self._stopped = None
        for _ in range(10_000):  # bounded: each round either sends, records, defers or stops
            if report.posted >= max_messages or self._stopped or self._clock() >= deadline:
                break
            rows = outbox.due_alerts(self.db, now=self._iso(), limit=self.settings.batch_size)
            if not rows:
                break
            queues = self._plan(rows, report)
            if not queues:
                continue  # the batch was all backlog, copies or unroutable, each now marked: load the next
            if not self._run(queues, report, deadline=deadline, budget=max_messages - report.posted):
                break
            self._refresh_stale_parents(report)
        self._refresh_stale_parents(report)
        report.stopped = self._stopped
        return report

    def refresh_parent(self, incident_id: int) -> bool:
        """Re-render an incident's parent message now (e.g. after a "Not this incident" click)."""
        # Safe beside a drain on another thread: it only touches the database under db.lock and
        # calls chat.update, which is idempotent (two refreshes show the same current toll).
        self.threads.mark_stale(incident_id)
        return not self._stopped and self.threads.refresh_stale(incident_id=incident_id) > 0

    def retry_blocked(self, *, channel: str | None = None) -> int:
        """Make blocked alerts due now (all, or one channel's, e.g. once the bot was invited)."""
        if channel is not None:
            channel = self.threads.known_channel(channel)
        return outbox.retry_blocked(self.db, channel=channel)

    # --- planning: what to send, in which order -------------------------------------------------
    def _plan(self, rows: list[dict], report: DrainReport) -> dict[tuple, deque]:
        queues: dict[tuple, deque] = {}
        folded_now: set[int] = set()
        for row in rows:
            if row["id"] in folded_now:
                continue
            if is_backlog(row):
                outbox.mark_recorded(self.db, row)
                report.recorded += 1
                continue
            folded = self.threads.fold(row)
            if folded is not None:
                report.folded += len(folded)
                folded_now.update(folded)
                if row["id"] in folded:
                    continue
            channel = self._channel_for(row, report)
            if channel is None:
                continue
            queues.setdefault((row["incident_id"], channel), deque()).append(row["id"])
        return queues

    def _run(self, queues: dict[tuple, deque], report: DrainReport, *, deadline: float, budget: int) -> bool:
        """Round-robin over the threads, each channel at its own rate; True when anything moved."""
        moved = False
        for _ in range(100_000):  # bounded; every pass sends, drops a queue, or sleeps
            if not queues or self._stopped or budget <= 0:
                break
            now, soonest, took = self._clock(), float("inf"), False
            for key in list(queues):
                incident_id, channel = key
                if channel in self._blocked_channels:
                    del queues[key]
                    continue
                wait = self._bucket(channel).wait(now)
                if wait > 0:
                    soonest = min(soonest, wait)
                    continue
                row_id = queues[key].popleft()
                outcome = self._deliver(row_id, channel=channel, report=report)
                took = moved = True
                if outcome == "sent":
                    budget -= 1
                if outcome == "retry":
                    queues[key].appendleft(row_id)  # 429 within the bound: same row, after the pause
                elif outcome != "sent" and outcome != "skip":
                    queues[key].clear()  # deferred or blocked: later alerts of this thread wait behind it
                if not queues[key]:
                    del queues[key]
                if budget <= 0 or self._stopped:
                    break
            if self._clock() - self._last_refresh >= self.settings.parent_refresh_every:
                self._refresh_stale_parents(report)
            if took or not queues:
                continue
            if self._clock() + soonest > deadline:
                break
            self._sleep(soonest)
            report.waited += soonest
        return moved

    def _refresh_stale_parents(self, report: DrainReport) -> None:
        self._last_refresh = self._clock()
        if not self._stopped:  # a token Slack refused cannot update anything either
            report.parent_updates += self.threads.refresh_stale()

    # --- delivering one row ---------------------------------------------------------------------
    def _deliver(self, row_id: int, *, channel: str, report: DrainReport) -> str:
        """One row to Slack: 'sent', 'retry' (429, wait), 'deferred', 'blocked' or 'skip'."""
        row = outbox.alert_row(self.db, row_id)
        if row is None or row["status"] not in outbox.OPEN_STATUSES:
            return "skip"
        thread = self.threads.parent_of(row["incident_id"], channel)
        if in_doubt(row):
            found = self._look_for(row, channel=channel, thread=thread, report=report)
            if found in ("deferred", "blocked"):
                return found
            if found is not None:
                self._mark_sent(row, channel=channel, ts=found, parent=thread is None)
                report.reconciled += 1
                return "skip"
        is_parent = thread is None
        try:
            text, blocks = self.threads.render(row, parent=is_parent)
        except Exception as exc:  # a renderer bug blocks one alert, never the drain
            logger.exception("alert could not be rendered", extra={"outbox_id": row["id"]})
            self._block(row, channel=channel, error=f"render_error: {type(exc).__name__}: {exc}", report=report)
            return "blocked"
        outbox.mark_sending(self.db, row["id"], channel=channel, lease_until=self._iso(self.settings.sending_lease))
        self._bucket(channel).take(self._clock())
        kwargs = {"channel": channel, "text": text, "blocks": blocks,
                  "unfurl_links": self.settings.unfurl, "unfurl_media": self.settings.unfurl}
        broadcast = not is_parent and row["kind"] in self.settings.toll_kinds
        if not is_parent:
            kwargs["thread_ts"] = thread
            if broadcast:
                kwargs["reply_broadcast"] = True
        attempted = self._clock()
        try:
            response = self.client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            return self._failed(row, channel=channel, exc=exc, report=report)
        except (HTTPException, OSError) as exc:  # URLError, resets, timeouts are all OSError
            return self._network_failure(row, exc=exc, report=report, elapsed=self._clock() - attempted)
        self._mark_sent(row, channel=response.get("channel") or channel, ts=response["ts"], parent=is_parent)
        report.posted += 1
        report.parents += is_parent and row["incident_id"] is not None
        report.broadcasts += broadcast
        outbox.release_channel(self.db, channel)
        return "sent"

    def _mark_sent(self, row: dict, *, channel: str, ts: str, parent: bool) -> None:
        outbox.mark_sent(self.db, row, channel=channel, ts=ts, at=self._iso(),
                         folded=payload_of(row).get("folded") or [], opens_thread=parent,
                         card_stale=row["kind"] in self.settings.toll_kinds)

    def _failed(self, row: dict, *, channel: str, exc: SlackApiError, report: DrainReport) -> str:
        status = exc.response.status_code
        error = str(exc.response.get("error") or "") if isinstance(exc.response.data, dict) else ""
        if status == 429 or error in ("ratelimited", "rate_limited"):
            report.rate_limited += 1
            retry_after = retry_after_seconds(exc.response.headers, default=1.0 / self.settings.rate_per_channel)
            self._bucket(channel).pause_until(self._clock() + retry_after)
            # Nothing was posted: the row is plainly pending again, due after Retry-After.
            self._defer(row, error=f"ratelimited: retry after {retry_after:g}s", delay=retry_after)
            if retry_after <= self.settings.max_retry_after:
                return "retry"
            report.deferred += 1
            return "deferred"
        if status >= 500 or error in SERVER_ERRORS:
            # The post may have gone through before the server failed: look before posting again.
            self._defer(row, error=f"server_error: http {status} {error}".strip(), delay=self._backoff(row))
            report.deferred += 1
            return "deferred"
        if error in AUTH_ERRORS:
            self._block(row, channel=channel, error=f"{error}: the bot token cannot post", report=report)
            self._stopped = error
            return "blocked"
        self._block(row, channel=channel, error=error or f"http {status}", report=report)
        if error in BLOCKING_ERRORS:
            self._blocked_channels.add(channel)
        return "blocked"

    def _network_failure(self, row: dict, *, exc: Exception, report: DrainReport, elapsed: float) -> str:
        reason = getattr(exc, "reason", exc)
        # A refused connection never reached Slack; anything later (reset, timeout) may have posted,
        # possibly after we stopped waiting: it is not looked for before a late post would have landed.
        if isinstance(reason, ConnectionRefusedError):
            code, delay = "network_refused", self._backoff(row)
        else:
            code, delay = ANSWER_LOST, max(self._backoff(row), self._late_post_wait - elapsed)
        self._defer(row, error=f"{code}: {type(reason).__name__}: {reason}"[:300], delay=delay)
        report.deferred += 1
        return "deferred"

    def _look_for(self, row: dict, *, channel: str, thread: str | None, report: DrainReport) -> str | None:
        """The ts of the row's message if Slack has it, None if surely not, or 'deferred' / 'blocked'."""
        oldest = max(0.0, epoch(row["created_at"]) - self.settings.lookup_margin)
        try:
            return find_posted(self.client, key=row["idempotency_key"], channel=channel, thread=thread,
                               oldest=oldest, pages=self.settings.lookup_pages)
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429 or status >= 500:
                self._defer(row, error=f"server_error: look-up answered http {status}", delay=self._backoff(row))
                report.deferred += 1
                return "deferred"
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else f"http {status}"
            self._block(row, channel=channel, error=f"unverified: look-up failed: {error}", report=report)
            return "blocked"
        except (HTTPException, OSError) as exc:  # URLError, resets, timeouts are all OSError
            self._defer(row, error=f"network: look-up: {exc}"[:300], delay=self._backoff(row))
            report.deferred += 1
            return "deferred"
        except Undecided as exc:
            self._block(row, channel=channel, report=report, error=f"unverified: {exc}; check the thread")
            return "blocked"

    # --- channels -------------------------------------------------------------------------------
    def _channel_for(self, row: dict, report: DrainReport) -> str | None:
        """The channel ID a row goes to; None after marking the row when that cannot be known."""
        ref = row["slack_channel"] or (outbox.incident_channel(self.db, row["incident_id"])
                                       if row["incident_id"] is not None else None) or self.settings.default_channel
        if not ref:
            self._block(row, channel=None, error="channel_not_found: the incident has no channel", report=report)
            return None
        try:
            found = self.threads.channel_id(ref)
        except SlackApiError as exc:
            status = exc.response.status_code
            if status == 429 or status >= 500:
                self._defer(row, error=f"ratelimited: channel look-up http {status}", delay=self._backoff(row))
                report.deferred += 1
            else:
                self._block(row, channel=None, error=f"{exc.response.get('error')}: looking up {ref}", report=report)
            return None
        except (HTTPException, OSError) as exc:  # URLError, resets, timeouts are all OSError
            self._defer(row, error=f"network_refused: channel look-up: {exc}"[:300], delay=self._backoff(row))
            report.deferred += 1
            return None
        if found is None:
            self._block(row, channel=None, error=f"channel_not_found: {ref}", report=report)
        return found

    def _bucket(self, channel: str) -> TokenBucket:
        if channel not in self._buckets:
            self._buckets[channel] = TokenBucket(rate=self.settings.rate_per_channel, burst=self.settings.burst,
                                                 now=self._clock())
        return self._buckets[channel]

    # --- row state --------------------------------------------------------------------------------
    def _defer(self, row: dict, *, error: str, delay: float) -> None:
        outbox.mark_deferred(self.db, row["id"], error=error, next_attempt_at=self._iso(delay))

    def _block(self, row: dict, *, channel: str | None, error: str, report: DrainReport) -> None:
        already = outbox.mark_blocked(self.db, row, channel=channel, error=error,
                                      next_attempt_at=self._iso(self.settings.blocked_retry))
        report.blocked += 1
        logger.warning("alert blocked: %s", error, extra={"outbox_id": row["id"], "channel": channel})
        if not already:
            try:
                self.notify_admins(admin_text(row, channel=channel, error=error))
            except Exception:  # telling the admins must never stop the alerts
                logger.exception("notify_admins failed")

    def _backoff(self, row: dict) -> float:
        fresh = outbox.alert_row(self.db, row["id"]) or row
        return backoff_seconds(max(1, fresh["attempts"] or 0), base=self.settings.backoff_base,
                               cap=self.settings.backoff_max, rng=self._rng)

    def _iso(self, delay: float = 0.0) -> str:
        moment = self._now() + timedelta(seconds=delay)
        # Round a delay up to the next second: the column is second-resolution text.
        if delay > 0 and moment.microsecond:
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
        return to_iso(moment)
