"""Refusing feed URLs that point inside the newsroom's own network (SSRF), unless allowed."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx


class PrivateAddressError(httpx.RequestError):
    """The URL (or a redirect) leads to a loopback, private or link-local address."""


def private_reason(url: str, *, resolve=socket.getaddrinfo) -> str | None:
    """Why this URL is internal, or None when every address it resolves to is public."""
    host = urlsplit(url).hostname
    if not host:
        return "the URL has no host"
    try:
        addresses = {info[4][0] for info in resolve(host, None)}
    except (socket.gaierror, UnicodeError) as exc:
        return None if isinstance(exc, socket.gaierror) else f"bad host name ({exc})"
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_multicast \
                or ip.is_unspecified:
            return f"{host} resolves to {ip}, an internal address"
    return None


# A request extension: refuse internal addresses for this request and every redirect it follows
# (httpx copies a request's extensions onto its redirects). Feeds added in Slack ask for it.
REFUSE_PRIVATE = "incident_desk_refuse_private"


def guard_when_asked(request: httpx.Request) -> None:
    """Request hook of every feed client (bot.ingest.fetch.make_client): httpx runs it before the first
    request and before each redirect, so a redirect inward is caught before it is followed."""
    if request.extensions.get(REFUSE_PRIVATE) and (reason := private_reason(str(request.url))):
        raise PrivateAddressError(f"refused: {reason}", request=request)
