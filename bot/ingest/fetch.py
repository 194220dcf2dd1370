"""Polite HTTP for feeds: timeouts, a size cap, conditional GET, Retry-After.

Never raises for a sick feed: every outcome is a FetchResult, so one broken
publisher cannot stop a poll of the others.
"""

from __future__ import annotations

import contextlib
import email.utils
import itertools
import threading
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Iterator

import httpcore
import httpx

from bot.config import Settings, check_feed_url
from bot.ingest.netguard import REFUSE_PRIVATE, PrivateAddressError, guard_when_asked, url_literal_reason
from bot.ingest.pinned_transport import GuardedTransport


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
    pushed: bool = False  # not fetched: a WebSub hub pushed this body (bot/ingest/websub.py)


def make_client(settings: Settings) -> httpx.Client:
    """One shared client: connection pooling, compression, a bot User-Agent, bounded redirects."""
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(max_connections=settings.max_concurrent_fetches * 2,
                          max_keepalive_connections=settings.max_concurrent_fetches)
    # Connections go to the address that was checked (no DNS rebinding), each socket operation
    # under the fetch's total deadline.
    transport = GuardedTransport(limits=limits, trust_env=False, wrap_backend=_DeadlineBackend)
    return httpx.Client(
        transport=transport,
        timeout=timeout,
        limits=limits,
        follow_redirects=True,
        max_redirects=settings.max_redirects,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            # Only what _decoded() can inflate under the size cap.
            "Accept-Encoding": "gzip, deflate",
        },
        trust_env=False,  # a newsroom's proxy settings must not reroute tests on 127.0.0.1
        event_hooks={"request": [guard_when_asked]},
    )


def fetch(client: httpx.Client, url: str, *, settings: Settings,
          etag: str | None = None, last_modified: str | None = None, refuse_private: bool = False) -> FetchResult:
    """GET a feed with conditional headers; the body is read under a size cap and a total deadline.

    refuse_private: the URL and every redirect must lead to public addresses (feeds added in
    Slack, unless the bot allows private feeds); checked before each request is sent.
    """
    if refuse_private and guard_when_asked not in client.event_hooks.get("request", ()):
        raise ValueError("refuse_private needs a client from make_client: its request hook does the check")
    if problem := url_problem(url, refuse_private=refuse_private):
        return FetchResult(status="error", error=problem)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    deadline = time.monotonic() + settings.total_timeout
    _deadline.at = deadline  # every socket operation of this fetch, headers included, ends by then
    try:
        with client.stream("GET", url, headers=headers,
                           extensions={REFUSE_PRIVATE: True} if refuse_private else None) as response:
            result = FetchResult(status="ok", http_status=response.status_code,
                                 headers={k.lower(): v for k, v in response.headers.items()},
                                 final_url=str(response.url))
            if response.status_code == 304:
                result.status = "not_modified"
                _drain(response)
                return result
            if response.status_code >= 400:
                result.status = "error"
                result.error = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                if response.status_code in (429, 503):
                    result.retry_after = parse_retry_after(response.headers.get("retry-after"))
                _drain(response)
                return result
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > settings.max_body_bytes:
                return _error(result, f"body too large ({int(declared):,} bytes declared, limit {settings.max_body_bytes:,})")
            chunks, size = [], 0
            try:
                # Decoded here, not by httpx: httpx inflates each network read in one go,
                # so a 3 kB gzip-in-gzip bomb became gigabytes before any cap could see it.
                for chunk in _decoded(response.iter_raw(), response.headers.get("content-encoding", ""),
                                      piece=min(_PIECE, settings.max_body_bytes + 1)):
                    size += len(chunk)
                    if size > settings.max_body_bytes:
                        return _error(result, f"body too large (over {settings.max_body_bytes:,} bytes)")
                    if time.monotonic() > deadline:
                        return _error(result, f"too slow (no full body within {settings.total_timeout:.0f}s)")
                    chunks.append(chunk)
            except zlib.error as exc:
                return _error(result, f"could not decompress the body ({exc})")
            except _UnsupportedEncoding as exc:
                return _error(result, f"could not decompress the body (unsupported Content-Encoding {exc})")
            result.body = b"".join(chunks)
            result.etag = response.headers.get("etag")
            result.last_modified = response.headers.get("last-modified")
            return result
    except PrivateAddressError as exc:  # the URL or a redirect leads inside the network
        return FetchResult(status="error", error=str(exc))
    except httpx.InvalidURL as exc:  # a redirect's Location, or a URL only httpx finds malformed
        return FetchResult(status="error", error=f"bad URL: {exc}")
    except httpx.TooManyRedirects:
        return FetchResult(status="error", error=f"too many redirects (more than {settings.max_redirects})")
    except httpx.TimeoutException as exc:
        if time.monotonic() >= deadline:
            return FetchResult(status="error", error=f"too slow (no full response within {settings.total_timeout:.0f}s)")
        return FetchResult(status="error", error=f"timed out ({type(exc).__name__})")
    except httpx.DecodingError as exc:
        return FetchResult(status="error", error=f"could not decompress the body ({exc})")
    except httpx.HTTPError as exc:
        return FetchResult(status="error", error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    except (ValueError, OSError) as exc:  # malformed URLs, socket errors outside httpx
        return FetchResult(status="error", error=f"{type(exc).__name__}: {exc}")
    finally:
        _deadline.at = None


def url_problem(url: str, *, refuse_private: bool = False) -> str | None:
    """Why a feed URL cannot be fetched, as a readable refusal ('refused: ...' when it points inside), or None.

    With refuse_private, an address written in any spelling (0177.0.0.1, 0x7f.1, 2130706433 are all
    127.0.0.1) is refused as internal before httpx or a resolver sees it.
    """
    if refuse_private and (reason := url_literal_reason(url)):
        return f"refused: {reason}"
    if reason := check_feed_url(url):
        return f"bad URL: {reason}"
    return None


# --- a total deadline for each fetch ----------------------------------------------------------------------
# httpx's timeouts bound each socket operation, not a request: a server that sends
# its status line and headers a byte at a time, each byte within the read timeout,
# could hold a poll for hours. Every read, write and connect of the fetch running
# in this thread is given at most the time left before its deadline.

_deadline = threading.local()


@contextlib.contextmanager
def total_deadline(seconds: float):
    """Every socket operation of a make_client client in this thread ends within `seconds` from now."""
    _deadline.at = time.monotonic() + seconds
    try:
        yield
    finally:
        _deadline.at = None


def _time_left(timeout: float | None) -> float | None:
    deadline = getattr(_deadline, "at", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("no full response within the total timeout")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context, server_hostname: str | None = None, timeout: float | None = None):
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _time_left(timeout)))

    def get_extra_info(self, info: str):
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend):
        self._backend = backend

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_tcp(host, port, _time_left(timeout), local_address,
                                                         socket_options))

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._backend.connect_unix_socket(path, _time_left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


_PIECE = 64 * 1024  # most bytes one decompression step may produce
_DRAIN_LIMIT = 64 * 1024  # an error page or 304 up to this size is read so its connection can be reused


class _UnsupportedEncoding(Exception):
    pass


def _drain(response: httpx.Response) -> None:
    """Read a small body we do not need, so the connection goes back to the pool; give up on a big one."""
    declared = response.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > _DRAIN_LIMIT):
        return  # closing the response closes the connection
    size = 0
    try:
        for chunk in response.iter_raw():
            size += len(chunk)
            if size > _DRAIN_LIMIT:
                return
    except httpx.HTTPError:
        pass


def _decoded(raw: Iterable[bytes], content_encoding: str, *, piece: int = _PIECE) -> Iterator[bytes]:
    """The body with its Content-Encoding undone, in pieces of at most `piece` bytes.

    Every inflate step is bounded (zlib's max_length), so the caller's size cap
    stops a compression bomb after at most one piece too many, whatever the
    compression ratio or the number of layers.
    """
    stream: Iterable[bytes] = raw
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):  # the last coding applied is undone first
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip", "deflate"):
            stream = _inflate(stream, coding, piece)
        else:
            raise _UnsupportedEncoding(repr(coding))
    for chunk in stream:
        for start in range(0, len(chunk), piece):
            yield chunk[start:start + piece]


def _inflate(chunks: Iterable[bytes], coding: str, piece: int) -> Iterator[bytes]:
    # gzip: a gzip header, and members may follow one another; deflate: a zlib header,
    # or raw deflate as some servers send it (httpx accepts both too).
    if coding == "deflate":
        chunks = iter(chunks)
        head = b""
        while len(head) < 2:
            more = next(chunks, None)
            if more is None:
                break
            head += more
        has_zlib_header = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] * 256 + head[1]) % 31 == 0
        wbits = zlib.MAX_WBITS if has_zlib_header else -zlib.MAX_WBITS
        chunks = itertools.chain([head], chunks)
    else:
        wbits = 16 + zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    for chunk in chunks:
        data = chunk
        while data:
            if inflater.eof:
                if coding == "deflate":
                    return  # bytes after the end of a deflate stream are ignored
                inflater = zlib.decompressobj(wbits)  # the next gzip member
            out = inflater.decompress(data, piece)
            if out:
                yield out
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail
            while len(out) == piece and not data and not inflater.eof:  # output still pending inside zlib
                out = inflater.decompress(b"", piece)
                if out:
                    yield out
    if not inflater.eof:
        tail = inflater.flush()
        for start in range(0, len(tail), piece):
            yield tail[start:start + piece]


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
