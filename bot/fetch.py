"""Polite HTTP for feeds: timeouts, a size cap, conditional GET, Retry-After.

Never raises for a sick feed: every outcome is a FetchResult, so one broken
publisher cannot stop a poll of the others.
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from bot.config import Settings


@dataclass
class FetchResult:
    """What one GET of a feed gave."""

    status: str  # ok | not_modified | error
    http_status: int | None = None
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None  # readable reason, for `feeds list`
    retry_after: float | None = None  # seconds the server asked us to wait


def make_client(settings: Settings) -> httpx.Client:
    """One shared client: connection pooling, compression, a bot User-Agent, bounded redirects."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(max_connections=settings.max_concurrent_fetches * 2,
                          max_keepalive_connections=settings.max_concurrent_fetches)
    return httpx.Client(
        timeout=timeout,
        limits=limits,
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
        },
        trust_env=False,  # a newsroom's proxy settings must not reroute tests on 127.0.0.1
    )


def fetch(client: httpx.Client, url: str, *, settings: Settings,
          etag: str | None = None, last_modified: str | None = None) -> FetchResult:
    """GET a feed with conditional headers; the body is read under a size cap and a total deadline."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + settings.total_timeout
    try:
        with client.stream("GET", url, headers=headers) as response:
            result = FetchResult(status="ok", http_status=response.status_code,
                                 headers={k.lower(): v for k, v in response.headers.items()},
                                 final_url=str(response.url))
            if response.status_code == 304:
                result.status = "not_modified"
                return result
            if response.status_code >= 400:
                result.status = "error"
                result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                if response.status_code in (429, 503):
                    result.retry_after = parse_retry_after(response.headers.get("retry-after"))
                return result
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
                return _error(result, f"body too large ({int(declared):,} bytes declared, limit {settings.max_body_bytes:,})")
            chunks, size = [], 0
            # iter_bytes decompresses, so the cap also stops gzip bombs.
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > settings.max_body_bytes:
                    return _error(result, f"body too large (over {settings.max_body_bytes:,} bytes)")
                if time.monotonic() > deadline:
                    return _error(result, f"too slow (no full body within {settings.total_timeout:.0f}s)")
                chunks.append(chunk)
            result.body = b"".join(chunks)
            result.etag = response.headers.get("etag")
            result.last_modified = response.headers.get("last-modified")
            return result
    except httpx.TooManyRedirects:
        return FetchResult(status="error", error=f"too many redirects (more than {settings.max_redirects})")
    except httpx.TimeoutException as exc:
        return FetchResult(status="error", error=f"timed out ({type(exc).__name__})")
    except httpx.DecodingError as exc:
        return FetchResult(status="error", error=f"could not decompress the body ({exc})")
    except httpx.HTTPError as exc:
        return FetchResult(status="error", error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    except (ValueError, OSError) as exc:  # malformed URLs, socket errors outside httpx
        return FetchResult(status="error", error=f"{type(exc).__name__}: {exc}")


def _error(result: FetchResult, reason: str) -> FetchResult:
    result.status, result.error, result.body = "error", reason, b""
    return result


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())
