"""Drain the `outbox` into Slack: one thread per incident, each alert exactly once.

Shape of a thread: the first alert of an incident is posted as the channel message (the
"parent"): the incident card from `render_parent` (the current toll) followed by the alert's own
blocks. Every later alert is a reply in that thread; a toll change is a reply broadcast to the
channel, and the parent is re-rendered with `chat.update` so it always shows the current toll.

Exactly once, across crashes. The frozen Slack spec the tests check against (2021) has neither
`metadata` nor `client_msg_id` on chat.postMessage, so the idempotency key travels where that
spec does allow it and where conversations.history / conversations.replies give it back: the
`block_id` of one block of the message (`idk-` + a hash of the key). Before the call the row is
written `status='sending'` (committed); after a crash, a timeout or a 5xx the outcome is unknown,
and before posting again the sender looks for that block_id in the thread (or in the channel,
for a parent). Found: the row is marked sent with the ts it has. Not found: posted now. The
look-up is bounded; when it cannot decide, the alert is kept 'blocked' and the admins told,
because a possible double and a possible loss are both worse than a human glance.

Errors: 429 pauses that channel for Retry-After (waited inside the drain up to a bound, else the
row keeps a `next_attempt_at`); 5xx and network errors back off and the row stays 'pending';
not_in_channel, channel_not_found and other permanent answers mark it 'blocked' (kept, retried
every `blocked_retry` seconds or at once via `retry_blocked`) and tell the admins once per
channel. A per-channel token bucket keeps posting under Slack's ~1 message/s per channel.

Backlog: rows with kind 'backlog' or `"backlog": true` in their payload are recorded
(status 'recorded'), never posted: the producer marks a new feed's first poll (and items
attached by a retroactive `track`) that way, and the parent's toll still counts them.

Syndicated copies: pending rows about the same story of the same incident fold into the oldest
one (status 'folded'); its payload gets the union of `outlets` ("also in: …") and the list of
folded ids. A copy arriving after its story was posted folds too, and the posted alert is
edited in place.

Single-sender assumption: exactly one scheduler drains (the Procfile runs one). A second
concurrent sender would be held off by the 'sending' lease (`sending_lease` seconds), not by a
lock, so it is a configuration error, not a supported mode.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import random
import re
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from http.client import HTTPException
from typing import Any, Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler

from bot.slack.blocks import clip
from db.connection import to_iso
from db.connection import writing

logger = logging.getLogger(__name__)

Blocks = list[dict]
ParentRenderer = Callable[[Any, int], "tuple[str, Blocks]"]
AlertRenderer = Callable[[Any, dict], "tuple[str, Blocks]"]

TOLL_KINDS = frozenset({"toll_change", "new_source", "official_rise", "official_fall", "new_maximum"})
BLOCKING_ERRORS = frozenset({"not_in_channel", "channel_not_found", "is_archived"})
# Slack's own trouble answered with HTTP 200: like a 5xx, the post may or may not have happened.
SERVER_ERRORS = frozenset({"fatal_error", "internal_error", "service_unavailable", "request_timeout"})
AUTH_ERRORS = frozenset({"not_authed", "invalid_auth", "token_revoked", "account_inactive", "missing_scope"})
IN_DOUBT = frozenset({"sending", "server_error", "network", "unverified"})  # may have been posted
OPEN_STATUSES = ("pending", "sending", "blocked")
MAX_BLOCKS = 50
CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
CHANNEL_MENTION = re.compile(r"^<#([CGD][A-Z0-9]{8,})(?:\|[^>]*)?>$")


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


class TokenBucket:
    """A token bucket on an injected clock; `pause_until` honours a 429's Retry-After."""

    def __init__(self, *, rate: float, burst: int, now: float):
        self.rate, self.burst = rate, max(1, burst)
        self.tokens, self.updated, self.paused_until = float(self.burst), now, now

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill(now)
        if now < self.paused_until:
            return self.paused_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1

    def pause_until(self, moment: float) -> None:
        self.paused_until = max(self.paused_until, moment)
        self.tokens = min(self.tokens, 0.0)

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)


def idempotency_block_id(key: str) -> str:
    """The block_id that carries an outbox row's idempotency key into Slack (stable, <= 255 chars)."""
    return "idk-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def backoff_seconds(attempts: int, *, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Doubling per attempt from `base`, jittered into [half, full], capped."""
    full = min(cap, base * 2 ** max(0, attempts - 1))
    return full * (0.5 + 0.5 * rng())


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
        self.db, self.client = db, client
        self.render_parent, self.render_alert, self.notify_admins = render_parent, render_alert, notify_admins
        self.settings = settings
        self._clock, self._sleep, self._now, self._rng = clock, sleep, now, rng
        self._buckets: dict[str, TokenBucket] = {}
        self._channel_ids: dict[str, str] = {}
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
            rows = self._due_rows()
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
        self._mark_stale(incident_id)
        report = DrainReport()
        self._refresh_stale_parents(report, incident_id=incident_id)
        return report.parent_updates > 0

    def retry_blocked(self, *, channel: str | None = None) -> int:
        """Make blocked alerts due now (all, or one channel's, e.g. once the bot was invited)."""
        with writing(self.db):
            sql = "UPDATE outbox SET next_attempt_at = NULL WHERE status = 'blocked'"
            params: list = []
            if channel is not None:
                sql += " AND slack_channel = ?"
                params.append(self._channel_ids.get(channel.lstrip("#"), channel))
            return self.db.execute(sql, params).rowcount

    # --- planning: what to send, in which order -------------------------------------------------
    def _due_rows(self) -> list[dict]:
        now = self._iso()
        with self.db.lock:
            rows = _dicts(self.db.execute(
                "SELECT * FROM outbox WHERE status IN ('pending', 'sending', 'blocked') "
                "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY id LIMIT ?",
                [now, self.settings.batch_size]))
            # An incident's thread keeps its order: nothing overtakes an alert that is backing off.
            waiting = dict(self.db.execute(
                "SELECT incident_id, MIN(id) FROM outbox WHERE status IN ('pending', 'sending') "
                "AND next_attempt_at > ? GROUP BY incident_id", [now]).fetchall())
        return [r for r in rows if r["incident_id"] not in waiting or r["id"] < waiting[r["incident_id"]]]

    def _plan(self, rows: list[dict], report: DrainReport) -> dict[tuple, deque]:
        queues: dict[tuple, deque] = {}
        folded_now: set[int] = set()
        for row in rows:
            if row["id"] in folded_now:
                continue
            if _is_backlog(row):
                self._record_backlog(row)
                report.recorded += 1
                continue
            folded = self._fold(row, report)
            if folded is not None:
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

    # --- delivering one row ---------------------------------------------------------------------
    def _deliver(self, row_id: int, *, channel: str, report: DrainReport) -> str:
        """One row to Slack: 'sent', 'retry' (429, wait), 'deferred', 'blocked' or 'skip'."""
        row = self._row(row_id)
        if row is None or row["status"] not in OPEN_STATUSES:
            return "skip"
        thread = self._thread(row["incident_id"], channel) if row["incident_id"] is not None else None
        if _in_doubt(row):
            found = self._look_for(row, channel=channel, thread=thread, report=report)
            if found in ("deferred", "blocked"):
                return found
            if found is not None:
                self._mark_sent(row, channel=channel, ts=found, parent=thread is None)
                report.reconciled += 1
                return "skip"
        is_parent = thread is None
        try:
            text, blocks = self._render(row, parent=is_parent)
        except Exception as exc:  # a renderer bug blocks one alert, never the drain
            logger.exception("alert could not be rendered", extra={"outbox_id": row["id"]})
            self._block(row, channel=channel, error=f"render_error: {type(exc).__name__}: {exc}", report=report)
            return "blocked"
        self._mark_sending(row, channel=channel)
        self._bucket(channel).take(self._clock())
        kwargs = {"channel": channel, "text": text, "blocks": blocks,
                  "unfurl_links": self.settings.unfurl, "unfurl_media": self.settings.unfurl}
        broadcast = not is_parent and row["kind"] in self.settings.toll_kinds
        if not is_parent:
            kwargs["thread_ts"] = thread
            if broadcast:
                kwargs["reply_broadcast"] = True
        try:
            response = self.client.chat_postMessage(**kwargs)
        except SlackApiError as exc:
            return self._failed(row, channel=channel, exc=exc, report=report)
        except (HTTPException, OSError) as exc:  # URLError, resets, timeouts are all OSError
            return self._network_failure(row, exc=exc, report=report)
        self._mark_sent(row, channel=response.get("channel") or channel, ts=response["ts"], parent=is_parent)
        report.posted += 1
        report.parents += is_parent and row["incident_id"] is not None
        report.broadcasts += broadcast
        self._after_success(channel)
        return "sent"

    def _render(self, row: dict, *, parent: bool) -> tuple[str, Blocks]:
        text, blocks = self.render_alert(self.db, dict(row))
        blocks = _stamp(blocks, marker=idempotency_block_id(row["idempotency_key"]), text=text)
        if not parent or row["incident_id"] is None:
            return text, blocks
        parent_text, parent_blocks = self.render_parent(self.db, row["incident_id"])
        return _compose(parent_text, parent_blocks, text, blocks)

    def _failed(self, row: dict, *, channel: str, exc: SlackApiError, report: DrainReport) -> str:
        status = exc.response.status_code
        error = str(exc.response.get("error") or "") if isinstance(exc.response.data, dict) else ""
        if status == 429 or error in ("ratelimited", "rate_limited"):
            report.rate_limited += 1
            retry_after = _retry_after(exc.response.headers, default=1.0 / self.settings.rate_per_channel)
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

    def _network_failure(self, row: dict, *, exc: Exception, report: DrainReport) -> str:
        reason = getattr(exc, "reason", exc)
        # A refused connection never reached Slack; anything later (reset, timeout) may have posted.
        code = "network_refused" if isinstance(reason, ConnectionRefusedError) else "network"
        self._defer(row, error=f"{code}: {type(reason).__name__}: {reason}"[:300], delay=self._backoff(row))
        report.deferred += 1
        return "deferred"

    # --- finding an alert whose outcome is unknown ------------------------------------------------
    def _look_for(self, row: dict, *, channel: str, thread: str | None, report: DrainReport) -> str | None:
        """The ts of the row's message if Slack has it, None if surely not, or 'deferred' / 'blocked'."""
        marker = idempotency_block_id(row["idempotency_key"])
        oldest = max(0.0, _epoch(row["created_at"]) - self.settings.lookup_margin)
        cursor = None
        try:
            for _ in range(self.settings.lookup_pages):
                if thread is not None:
                    page = self.client.conversations_replies(channel=channel, ts=thread, oldest=f"{oldest:.6f}",
                                                             limit=200, cursor=cursor)
                else:
                    page = self.client.conversations_history(channel=channel, oldest=f"{oldest:.6f}",
                                                             limit=200, cursor=cursor)
                for message in page.get("messages") or []:
                    if any(b.get("block_id") == marker for b in message.get("blocks") or []):
                        return message["ts"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not page.get("has_more") or not cursor:
                    return None
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
        self._block(row, channel=channel, report=report,
                    error=f"unverified: not found in {self.settings.lookup_pages} pages; check the thread")
        return "blocked"

    # --- folding and backlog --------------------------------------------------------------------
    def _fold(self, row: dict, report: DrainReport) -> set[int] | None:
        """Fold never-tried copies of the same story into its oldest alert; the ids folded away."""
        if row["kind"] in self.settings.toll_kinds or row["incident_id"] is None:
            return None
        story = self._story_of(row)
        if story is None:
            return None
        with self.db.lock:
            group = _dicts(self.db.execute(
                "SELECT o.* FROM outbox o LEFT JOIN items i ON i.id = o.item_id "
                "WHERE o.incident_id = ? AND o.status IN ('pending', 'sending', 'blocked', 'sent') "
                "AND COALESCE(json_extract(o.payload, '$.story_id'), i.story_id) = ? ORDER BY o.id",
                [row["incident_id"], story]))
        group = [r for r in group if r["kind"] not in self.settings.toll_kinds and not _is_backlog(r)]
        if len(group) < 2:
            return None
        rep, copies = group[0], [r for r in group[1:] if r["status"] == "pending" and not r["attempts"]]
        if not copies:
            return None
        payload = _payload(rep)
        outlets = [*_outlets(payload)]
        for c in copies:
            outlets.extend(_outlets(_payload(c)))
        payload["outlets"] = list(dict.fromkeys(o for o in outlets if o))
        payload["folded"] = sorted({*payload.get("folded", []), *(c["id"] for c in copies)})
        with writing(self.db):
            self.db.execute("UPDATE outbox SET payload = ? WHERE id = ?", [json.dumps(payload), rep["id"]])
            for c in copies:
                self.db.execute("UPDATE outbox SET status = 'folded', slack_channel = ?, slack_ts = ?, "
                                "sent_at = ? WHERE id = ?",
                                [rep["slack_channel"] if rep["status"] == "sent" else None,
                                 rep["slack_ts"] if rep["status"] == "sent" else None,
                                 self._iso() if rep["status"] == "sent" else None, c["id"]])
        report.folded += len(copies)
        if rep["status"] == "sent":
            self._edit_sent(self._row(rep["id"]))
        return {c["id"] for c in copies}

    def _edit_sent(self, row: dict) -> None:
        """A copy came after its story was posted: show the new outlets on the posted alert."""
        thread = self._thread(row["incident_id"], row["slack_channel"])
        if thread == row["slack_ts"]:
            self._mark_stale(row["incident_id"])  # it is the parent: the next refresh shows it
            return
        try:
            text, blocks = self._render(row, parent=False)
            self.client.chat_update(channel=row["slack_channel"], ts=row["slack_ts"], text=text, blocks=blocks)
        except Exception as exc:  # cosmetic: the alert itself is already out
            logger.warning("could not add outlets to a posted alert: %s", exc, extra={"outbox_id": row["id"]})

    def _story_of(self, row: dict) -> int | None:
        story = _payload(row).get("story_id")
        if story is None and row["item_id"] is not None:
            with self.db.lock:
                found = self.db.execute("SELECT story_id FROM items WHERE id = ?", [row["item_id"]]).fetchone()
            story = found[0] if found else None
        return story

    def _record_backlog(self, row: dict) -> None:
        with writing(self.db):
            self.db.execute("UPDATE outbox SET status = 'recorded', next_attempt_at = NULL WHERE id = ?", [row["id"]])
            if row["incident_id"] is not None:
                self._mark_stale(row["incident_id"])  # the toll on the card may count the backlog

    # --- channels -------------------------------------------------------------------------------
    def _channel_for(self, row: dict, report: DrainReport) -> str | None:
        """The channel ID a row goes to; None after marking the row when that cannot be known."""
        ref = row["slack_channel"] or self._incident_channel(row["incident_id"]) or self.settings.default_channel
        if not ref:
            self._block(row, channel=None, error="channel_not_found: the incident has no channel", report=report)
            return None
        try:
            found = self._resolve(ref)
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

    def _resolve(self, ref: str) -> str | None:
        ref = ref.strip()
        mention = CHANNEL_MENTION.match(ref)
        if mention:
            return mention.group(1)
        if CHANNEL_ID.match(ref):
            return ref
        name = ref.lstrip("#")
        if name not in self._channel_ids:
            # chat.update and the history look-ups need the ID, so names are resolved once, up front.
            cursor = None
            for _ in range(20):
                page = self.client.conversations_list(types="public_channel,private_channel", exclude_archived=True,
                                                      limit=1000, cursor=cursor)
                for channel in page.get("channels") or []:
                    self._channel_ids[channel["name"]] = channel["id"]
                cursor = (page.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        return self._channel_ids.get(name)

    def _incident_channel(self, incident_id: int | None) -> str | None:
        if incident_id is None:
            return None
        with self.db.lock:
            found = self.db.execute("SELECT channel FROM incidents WHERE id = ?", [incident_id]).fetchone()
        return found[0] if found else None

    def _bucket(self, channel: str) -> TokenBucket:
        if channel not in self._buckets:
            self._buckets[channel] = TokenBucket(rate=self.settings.rate_per_channel, burst=self.settings.burst,
                                                 now=self._clock())
        return self._buckets[channel]

    def _after_success(self, channel: str) -> None:
        # The channel takes posts again (the bot was invited): its blocked alerts need not wait.
        with writing(self.db):
            self.db.execute("UPDATE outbox SET next_attempt_at = NULL WHERE status = 'blocked' AND slack_channel = ? "
                            "AND (last_error LIKE 'not_in_channel%' OR last_error LIKE 'channel_not_found%')",
                            [channel])

    # --- the parent message ---------------------------------------------------------------------
    def _refresh_stale_parents(self, report: DrainReport, *, incident_id: int | None = None) -> None:
        if incident_id is None:
            self._last_refresh = self._clock()
        with self.db.lock:
            sql = "SELECT * FROM slack_threads WHERE updated_at IS NULL AND parent_ts IS NOT NULL"
            params: list = []
            if incident_id is not None:
                sql += " AND incident_id = ?"
                params.append(incident_id)
            threads = _dicts(self.db.execute(sql + " ORDER BY id LIMIT 100", params))
        for thread in threads:
            if self._stopped:
                return
            self._refresh(thread, report)

    def _refresh(self, thread: dict, report: DrainReport) -> None:
        with self.db.lock:
            first = _dicts(self.db.execute(
                "SELECT * FROM outbox WHERE slack_channel = ? AND slack_ts = ? AND status = 'sent' ORDER BY id LIMIT 1",
                [thread["channel"], thread["parent_ts"]]))
        try:
            if first:
                text, blocks = self._render(first[0], parent=True)
            else:
                text, blocks = self.render_parent(self.db, thread["incident_id"])
            self.client.chat_update(channel=thread["channel"], ts=thread["parent_ts"], text=text, blocks=blocks)
        except SlackApiError as exc:
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if error == "message_not_found":
                # Someone deleted the parent: the incident's next alert opens a new thread.
                with writing(self.db):
                    self.db.execute("DELETE FROM slack_threads WHERE id = ?", [thread["id"]])
                logger.warning("parent message gone; a new thread will open",
                               extra={"incident_id": thread["incident_id"]})
            elif exc.response.status_code == 429 or exc.response.status_code >= 500:
                pass  # still stale: the next drain tries again
            else:
                logger.warning("parent not updated: %s", error, extra={"incident_id": thread["incident_id"]})
                self._set_thread_updated(thread["id"])  # a permanent refusal must not be retried forever
            return
        except Exception as exc:  # network, or a renderer bug: keep it stale, keep draining
            logger.warning("parent not updated: %s", exc, extra={"incident_id": thread["incident_id"]})
            return
        self._set_thread_updated(thread["id"])
        report.parent_updates += 1

    def _set_thread_updated(self, thread_id: int) -> None:
        with writing(self.db):
            self.db.execute("UPDATE slack_threads SET updated_at = ? WHERE id = ?", [self._iso(), thread_id])

    def _mark_stale(self, incident_id: int) -> None:
        # NULL updated_at = "the card may be out of date"; written in the same transaction as the
        # cause, so a crash before the chat.update still refreshes it after the restart.
        with writing(self.db):
            self.db.execute("UPDATE slack_threads SET updated_at = NULL WHERE incident_id = ?", [incident_id])

    def _thread(self, incident_id: int, channel: str) -> str | None:
        with self.db.lock:
            found = self.db.execute("SELECT parent_ts FROM slack_threads WHERE incident_id = ? AND channel = ? "
                                    "AND parent_ts IS NOT NULL", [incident_id, channel]).fetchone()
        return found[0] if found else None

    # --- row state --------------------------------------------------------------------------------
    def _row(self, row_id: int) -> dict | None:
        with self.db.lock:
            rows = _dicts(self.db.execute("SELECT * FROM outbox WHERE id = ?", [row_id]))
        return rows[0] if rows else None

    def _mark_sending(self, row: dict, *, channel: str) -> None:
        # Committed before the call: after a crash this row is known to be in doubt.
        lease = self._iso(self.settings.sending_lease)
        with writing(self.db):
            self.db.execute("UPDATE outbox SET status = 'sending', attempts = attempts + 1, slack_channel = ?, "
                            "next_attempt_at = ?, last_error = NULL WHERE id = ?", [channel, lease, row["id"]])

    def _mark_sent(self, row: dict, *, channel: str, ts: str, parent: bool) -> None:
        now = self._iso()
        with writing(self.db):
            self.db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, slack_channel = ?, slack_ts = ?, "
                            "next_attempt_at = NULL, last_error = NULL WHERE id = ?", [now, channel, ts, row["id"]])
            folded = _payload(row).get("folded") or []
            for folded_id in folded[:1000]:
                self.db.execute("UPDATE outbox SET slack_channel = ?, slack_ts = ?, sent_at = ? "
                                "WHERE id = ? AND status = 'folded'", [channel, ts, now, folded_id])
            if parent and row["incident_id"] is not None:
                self.db.execute("INSERT INTO slack_threads (incident_id, channel, parent_ts, posted_at, updated_at) "
                                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(incident_id, channel) DO UPDATE SET "
                                "parent_ts = excluded.parent_ts, posted_at = excluded.posted_at, "
                                "updated_at = excluded.updated_at", [row["incident_id"], channel, ts, now, now])
            elif row["kind"] in self.settings.toll_kinds and row["incident_id"] is not None:
                self._mark_stale(row["incident_id"])

    def _defer(self, row: dict, *, error: str, delay: float) -> None:
        with writing(self.db):
            self.db.execute("UPDATE outbox SET status = 'pending', last_error = ?, next_attempt_at = ? WHERE id = ?",
                            [error[:500], self._iso(delay), row["id"]])

    def _block(self, row: dict, *, channel: str | None, error: str, report: DrainReport) -> None:
        code = error.split(":", 1)[0]
        with writing(self.db):
            # Tell the admins on the transition only: not again for a retry that fails the same way,
            # nor for every other alert waiting on the same channel (or the same channel-less incident).
            where, target = ("slack_channel", channel) if channel else ("incident_id", row["incident_id"])
            already = (row["status"] == "blocked" and (row["last_error"] or "").split(":", 1)[0] == code) or \
                self.db.execute(f"SELECT 1 FROM outbox WHERE status = 'blocked' AND {where} IS ? AND id != ? "
                                "AND last_error LIKE ? LIMIT 1", [target, row["id"], code + "%"]).fetchone() is not None
            self.db.execute("UPDATE outbox SET status = 'blocked', last_error = ?, next_attempt_at = ?, "
                            "slack_channel = COALESCE(?, slack_channel) WHERE id = ?",
                            [error[:500], self._iso(self.settings.blocked_retry), channel, row["id"]])
        report.blocked += 1
        logger.warning("alert blocked: %s", error, extra={"outbox_id": row["id"], "channel": channel})
        if not already:
            self._tell_admins(_admin_text(row, channel=channel, error=error))

    def _tell_admins(self, text: str) -> None:
        try:
            self.notify_admins(text)
        except Exception:  # telling the admins must never stop the alerts
            logger.exception("notify_admins failed")

    def _backoff(self, row: dict) -> float:
        fresh = self._row(row["id"]) or row
        return backoff_seconds(max(1, fresh["attempts"] or 0), base=self.settings.backoff_base,
                               cap=self.settings.backoff_max, rng=self._rng)

    def _iso(self, delay: float = 0.0) -> str:
        moment = self._now() + timedelta(seconds=delay)
        # Round a delay up to the next second: the column is second-resolution text.
        if delay > 0 and moment.microsecond:
            moment = moment.replace(microsecond=0) + timedelta(seconds=1)
        return to_iso(moment)


# --- pure helpers -------------------------------------------------------------------------------

def _dicts(cursor) -> list[dict]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, values)) for values in cursor.fetchall()]


def _payload(row: dict) -> dict:
    try:
        value = json.loads(row.get("payload") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _outlets(payload: dict) -> list[str]:
    return [str(o) for o in (payload.get("outlet"), *(payload.get("outlets") or [])) if o]


def _is_backlog(row: dict) -> bool:
    return row["kind"] == "backlog" or bool(_payload(row).get("backlog"))


def _in_doubt(row: dict) -> bool:
    if row["status"] == "sending":
        return True
    code = (row["last_error"] or "").split(":", 1)[0]
    return code in IN_DOUBT


def _stamp(blocks: Blocks | None, *, marker: str, text: str) -> Blocks:
    """Blocks with the idempotency marker as one block's block_id (added, never replacing one)."""
    out = copy.deepcopy(list(blocks or []))
    if any(b.get("block_id") == marker for b in out):
        return out
    for block in out:
        if "block_id" not in block:
            block["block_id"] = marker
            return out
    if not out:
        return [{"type": "section", "block_id": marker,
                 "text": {"type": "mrkdwn", "text": clip(text or "Incident Desk alert", 3000)}}]
    return out + [{"type": "divider", "block_id": marker}] if len(out) < MAX_BLOCKS else out


def _compose(parent_text: str, parent_blocks: Blocks, text: str, blocks: Blocks) -> tuple[str, Blocks]:
    """The parent message: the incident card, then the first alert (its buttons, its marker)."""
    taken = {b.get("block_id") for b in blocks if b.get("block_id")}
    card = []
    for block in copy.deepcopy(list(parent_blocks or [])):
        if block.get("block_id") in taken:
            block["block_id"] = f"{block['block_id']}-card"[:255]
        card.append(block)
    room = MAX_BLOCKS - len(blocks) - 1
    card = card[:max(0, room)]
    combined = card + ([{"type": "divider"}] if card else []) + blocks
    return clip(f"{parent_text}\n{text}".strip(), 4000), combined


MAX_RETRY_AFTER = 900.0  # seconds: Slack asks for seconds to a minute; more is a broken header


def _retry_after(headers, *, default: float) -> float:
    headers = headers or {}
    raw = headers.get("Retry-After") or headers.get("retry-after")
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    try:
        seconds = float(raw)
    except (TypeError, ValueError):
        return default
    if seconds != seconds:  # NaN
        return default
    # 'inf' or '1e12' would overflow the clock arithmetic and stall the incident's alerts
    return min(max(0.0, seconds), MAX_RETRY_AFTER)


def _epoch(iso: str) -> float:
    """Seconds since 1970 for the database's UTC text; 0 (search everything) when unreadable."""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except (AttributeError, ValueError):
        return 0.0


def _admin_text(row: dict, *, channel: str | None, error: str) -> str:
    where = f"<#{channel}>" if channel else "its channel"
    code = error.split(":", 1)[0]
    if code == "not_in_channel":
        advice = f"Invite the bot: type `/invite @Incident Desk` in {where}."
    elif code == "channel_not_found":
        advice = "Check the incident's channel (`/incident track … channel: #name`) and that the bot can see it."
    elif code == "unverified":
        advice = (f"Look in the thread: if the alert is there, `python -m bot alerts drop {row['id']}`; "
                  f"if not, `python -m bot alerts send {row['id']}` posts it.")
    else:
        advice = "The alert is kept and retried."
    return (f"Incident Desk could not post alert #{row['id']} ({row['kind']}) to {where}: {error}. {advice} "
            f"Alerts for that channel are kept, not dropped.")
