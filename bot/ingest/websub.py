"""WebSub (W3C Recommendation): news pushed by the hubs feeds advertise, fresher than polling.

A feed's document names its hub (<link rel="hub">) and itself (rel="self", the topic); parsing
records both (bot/ingest/parse.py, db/websub.py). With INCIDENT_DESK_PUBLIC_URL set, the bot asks
the hub to push the topic to <public URL>/websub/<feed id>, with a random secret per subscription:

- the hub checks the request is ours (a GET with hub.challenge): answered only for a subscription
  of that feed and topic that is pending, and the lease it grants is stored;
- the hub pushes new content (a POST signed with X-Hub-Signature, an HMAC of the body with the
  secret): a good signature hands the body to the same ingest as a poll (items are stored once,
  however they come); a bad or missing one is answered 2xx, logged and ignored, as the spec asks;
- while a lease holds the feed is polled only as a safety net (at most every SAFETY_NET_SECONDS);
  the lease is renewed before it lapses; when it lapses, or the hub refuses or never verifies,
  polling goes back to the feed's own interval.

The decisions are pure functions (renewal_due, polling_rests, verification, signature_problem);
WebSub does the I/O around them.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable
from urllib.parse import quote

import httpx

from bot.config import Settings
from bot.ingest.fetch import FetchResult, total_deadline, url_problem
from bot.ingest.netguard import REFUSE_PRIVATE
from bot.ingest.pipeline import PollResult, ingest_fetched
from bot.models import FeedConfig
from db import to_iso
from db.connection import from_iso
from db.feeds import get_feed_row, row_to_config
from db.websub import get_subscription, subscription_rows, update_subscription

logger = logging.getLogger(__name__)

LEASE_SECONDS = 7 * 86400  # asked for; the hub decides (hub.lease_seconds in its verification)
MIN_LEASE_SECONDS = 300  # a shorter lease granted is taken as this: renewals stay bounded
RENEW_BEFORE_SECONDS = 86400  # a lease is renewed this long before it lapses (half of a shorter lease)
PENDING_SECONDS = 600  # a hub that has not verified within this never will: the request failed
RETRY_SECONDS, RETRY_CAP_SECONDS = 3600, 86400  # after a failure: doubling from an hour, at most a day
SAFETY_NET_SECONDS = 1800  # a feed pushed to is still polled at least this often
MAX_CHALLENGE = 1024  # characters of hub.challenge echoed back, at most
SIGNATURES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}
HUB_TIMEOUT_SECONDS = 20  # the whole subscribe request, connect to last byte
_HUB_ANSWER_BYTES = 2048  # of a hub's answer body, kept for the error message


def callback_url(public_url: str, feed_id: str) -> str:
    return f"{public_url.rstrip('/')}/websub/{quote(feed_id, safe='')}"


def _at(text: str | None) -> datetime | None:
    return from_iso(text) if text else None


def renewal_due(row: dict, now: datetime) -> bool:
    """Whether a subscribe request should go to this feed's hub now (new, renewing, or retrying)."""
    if not row.get("hub") or not row.get("topic"):
        return False
    retry_at = _at(row.get("retry_at"))
    if retry_at is not None and retry_at > now:
        return False  # a request is awaiting verification, or a failure is resting
    expires = _at(row.get("lease_expires_at"))
    if expires is None or expires <= now:
        return True
    lease = max(MIN_LEASE_SECONDS, row.get("lease_seconds") or LEASE_SECONDS)
    return expires - now <= timedelta(seconds=min(RENEW_BEFORE_SECONDS, lease / 2))


def lease_active(row: dict | None, now: datetime) -> bool:
    expires = _at((row or {}).get("lease_expires_at"))
    return expires is not None and expires > now


def polling_rests(row: dict | None, *, last_polled_at: str | None, interval_seconds: int, now: datetime) -> bool:
    """True when a scheduled poll may be skipped: the lease holds and the safety-net poll is not due."""
    if not lease_active(row, now) or not last_polled_at:
        return False
    return now - from_iso(last_polled_at) < timedelta(seconds=max(SAFETY_NET_SECONDS, interval_seconds))


def retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_CAP_SECONDS, RETRY_SECONDS * 2 ** max(0, attempts - 1)))


@dataclass
class Answer:
    """What the callback answers, and the subscription columns to store."""

    status: int
    body: bytes = b""
    updates: dict = field(default_factory=dict)
    log: str | None = None


def verification(row: dict | None, params: dict[str, str], now: datetime) -> Answer:
    """The answer to a hub's GET (verification of intent, or a denial), from the feed's subscription row."""
    mode, topic = params.get("hub.mode", ""), params.get("hub.topic", "")
    if row is None or not row.get("topic") or topic != row["topic"]:
        return Answer(404, b"unknown topic", log=f"{mode or 'no'} mode for a topic not subscribed to")
    if mode == "denied":
        reason = params.get("hub.reason", "")[:200]
        return Answer(200, updates={"pending_since": None, "lease_expires_at": None, "attempts": (row.get("attempts") or 0) + 1,
                                    "retry_at": to_iso(now + retry_delay((row.get("attempts") or 0) + 1)),
                                    "last_error": f"hub denied the subscription{': ' + reason if reason else ''}"},
                      log=f"hub denied the subscription ({reason or 'no reason given'})")
    challenge = params.get("hub.challenge", "")
    pending = _at(row.get("pending_since"))
    if mode != "subscribe" or pending is None or now - pending > timedelta(seconds=PENDING_SECONDS):
        return Answer(404, b"no such pending subscription", log=f"{mode or 'no'} mode, nothing pending: refused")
    if not challenge or len(challenge) > MAX_CHALLENGE:
        return Answer(404, b"bad challenge", log="verification without a usable hub.challenge")
    granted = params.get("hub.lease_seconds", "")
    lease = int(granted) if granted.isascii() and granted.isdigit() and len(granted) <= 9 else None
    lease = max(MIN_LEASE_SECONDS, lease or row.get("lease_seconds") or LEASE_SECONDS)
    return Answer(200, challenge.encode(), updates={
        "pending_since": None, "verified_at": to_iso(now), "lease_seconds": lease,
        "lease_expires_at": to_iso(now + timedelta(seconds=lease)), "attempts": 0, "retry_at": None,
        "last_error": None}, log=f"subscription verified, lease {lease}s")


def signature_problem(secret: str | None, body: bytes, header: str | None) -> str | None:
    """Why a push's X-Hub-Signature does not prove the hub sent this body (None: it does)."""
    if not secret:
        return "no secret: not subscribed"
    if not header:
        return "no X-Hub-Signature"
    method, _, digest = header.strip().partition("=")
    algorithm = SIGNATURES.get(method.strip().lower())
    if algorithm is None:
        return f"unknown signature method {method[:20]!r}"
    expected = hmac.new(secret.encode(), body, algorithm).hexdigest()
    if not hmac.compare_digest(expected.encode(), digest.strip().lower().encode("utf-8", "replace")):
        return "bad signature"
    return None


class WebSub:
    """Subscriptions (renew_due, on a schedule), the callback (handle) and the poll skip (rests)."""

    def __init__(self, db, client: httpx.Client, settings: Settings, *, ingest: Callable[..., PollResult] | None = None,
                 on_push: Callable[[PollResult], None] | None = None, clock: Callable[[], datetime] | None = None):
        self.db, self.client, self.settings = db, client, settings
        self.ingest = ingest or ingest_fetched  # the long-running bot passes its ingest worker, as polls do
        self.on_push = on_push
        self.clock = clock or (lambda: datetime.now(timezone.utc))

    @property
    def enabled(self) -> bool:
        return bool(self.settings.public_url)

    # --- subscribing ---------------------------------------------------------------------------------------

    def renew_due(self) -> list[str]:
        """Send the subscribe requests due now (new hubs, leases near their end, retries); the feed ids asked."""
        if not self.enabled:
            return []
        now = self.clock()
        asked = []
        for row in subscription_rows(self.db):
            if not row["enabled"] or row["removed_at"]:
                continue
            pending = _at(row.get("pending_since"))
            if pending is not None and now - pending > timedelta(seconds=PENDING_SECONDS):
                attempts = (row.get("attempts") or 0) + 1  # the hub never checked with us: a failure
                update_subscription(self.db, row["feed_id"], pending_since=None, attempts=attempts,
                                    retry_at=to_iso(now + retry_delay(attempts)), last_error="hub never verified")
                logger.warning("websub: feed %s: the hub never verified", row["feed_id"])
                continue
            if renewal_due(row, now):
                self.subscribe(row, now)
                asked.append(row["feed_id"])
        return asked

    def subscribe(self, row: dict, now: datetime) -> str | None:
        """POST a subscribe request to the feed's hub; None when the hub accepted it, else why not."""
        feed_id = row["feed_id"]
        secret = row.get("secret") or secrets.token_hex(32)  # a renewal keeps its subscription's secret
        callback = callback_url(self.settings.public_url, feed_id)
        guarded = row.get("origin") == "slack" and not self.settings.allow_private_feed_urls
        problem = url_problem(row["hub"], refuse_private=guarded)
        if problem is None:
            # Stored before the request: a hub may verify before it answers.
            update_subscription(self.db, feed_id, secret=secret, callback=callback, lease_seconds=LEASE_SECONDS,
                                pending_since=to_iso(now), retry_at=to_iso(now + timedelta(seconds=PENDING_SECONDS)))
            problem = self._post(row["hub"], guarded, {
                "hub.mode": "subscribe", "hub.topic": row["topic"], "hub.callback": callback,
                "hub.secret": secret, "hub.lease_seconds": str(LEASE_SECONDS)})
        if problem is None:
            update_subscription(self.db, feed_id, last_error=None)
            logger.info("websub: asked %s to push feed %s", row["hub"][:200], feed_id, extra={"feed_id": feed_id})
            return None
        attempts = (row.get("attempts") or 0) + 1
        update_subscription(self.db, feed_id, pending_since=None, attempts=attempts,
                            retry_at=to_iso(now + retry_delay(attempts)), last_error=problem[:300])
        logger.warning("websub: subscribing feed %s failed: %s", feed_id, problem, extra={"feed_id": feed_id})
        return problem

    def _post(self, hub: str, guarded: bool, form: dict[str, str]) -> str | None:
        try:
            with total_deadline(HUB_TIMEOUT_SECONDS), self.client.stream(
                    "POST", hub, data=form, extensions={REFUSE_PRIVATE: True} if guarded else None) as response:
                if 200 <= response.status_code < 300:
                    return None
                answer = b""
                for chunk in response.iter_raw():
                    answer += chunk
                    if len(answer) >= _HUB_ANSWER_BYTES:
                        break
                text = answer[:200].decode("utf-8", "replace").strip()
                return f"hub answered HTTP {response.status_code}{': ' + text if text else ''}"
        except httpx.HTTPError as exc:  # the private-address refusal included
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        except (ValueError, OSError) as exc:
            return f"{type(exc).__name__}: {exc}"

    # --- the callback ----------------------------------------------------------------------------------------

    def handle(self, method: str, feed_id: str, params: dict[str, str], headers: dict[str, str],
               body: bytes) -> Answer:
        """A request to /websub/<feed id>: GET verifies intent, POST brings content. Headers: lower-case names."""
        now = self.clock()
        row = get_subscription(self.db, feed_id)
        if method == "GET":
            answer = verification(row, params, now)
            if answer.updates:
                update_subscription(self.db, feed_id, **answer.updates)
        elif method == "POST":
            answer = self._push(feed_id, row, headers, body, now)
        else:
            answer = Answer(405, b"GET or POST")
        if answer.log:
            logger.info("websub: feed %r: %s", feed_id[:100], answer.log, extra={"feed_id": feed_id[:100]})
        return answer

    def _push(self, feed_id: str, row: dict | None, headers: dict[str, str], body: bytes, now: datetime) -> Answer:
        with self.db.lock:
            feed_row = get_feed_row(self.db, feed_id) if row is not None else None
        if feed_row is None or not feed_row["enabled"] or feed_row["removed_at"]:
            return Answer(404, b"no such feed", log="push for a feed not subscribed to: ignored")
        if problem := signature_problem(row.get("secret"), body, headers.get("x-hub-signature")):
            # 2xx all the same (WebSub 8): the sender learns nothing about the secret.
            return Answer(202, log=f"push ignored: {problem}")
        feed: FeedConfig = row_to_config(feed_row)
        fetched = FetchResult(status="ok", http_status=200, body=body, final_url=row["topic"], pushed=True,
                              headers={"content-type": headers.get("content-type", "application/xml")})
        result = self.ingest(self.db, feed, feed_row, fetched, {}, started=to_iso(now), now=now,
                             settings=self.settings)
        if self.on_push is not None:
            try:
                self.on_push(result)
            except Exception:
                logger.exception("after-push step failed", extra={"feed_id": feed_id})
        return Answer(202, log=f"push: {result.outcome}, {len(result.new_ids)} new, {len(result.updated_ids)} updated"
                               + (f" ({result.error})" if result.error else ""))

    # --- polling less while pushed to ---------------------------------------------------------------------

    def rests(self, feed: FeedConfig) -> bool:
        """FeedScheduler's question before a scheduled poll: may this one be skipped?"""
        if not self.enabled:
            return False
        row = get_subscription(self.db, feed.id)
        if row is None:
            return False
        with self.db.lock:
            feed_row = get_feed_row(self.db, feed.id) or {}
        return polling_rests(row, last_polled_at=feed_row.get("last_polled_at"),
                             interval_seconds=feed.interval_seconds, now=self.clock())
