"""Refusing feed URLs that point inside the newsroom's own network (SSRF), unless allowed.

The address checked is the address connected to: bot.ingest.pinned_transport resolves a name once
at connect time, checks every address with `private_reason` and connects to a checked one, so a
name that answers a public address to the check and 127.0.0.1 to the connection (DNS rebinding)
never reaches the inside. The request hook below is the early check (a readable refusal before
any connection, and before each redirect is followed).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateAddressError(httpx.RequestError):
    """The URL (or a redirect) leads to a loopback, private, link-local or other special address."""


# Ranges the ipaddress attributes do not all call special on Python 3.11, named explicitly.
_EXTRA_RANGES = [
    (ipaddress.ip_network("100.64.0.0/10"), "carrier-grade NAT"),  # RFC 6598: the ISP's side of a NAT
    (ipaddress.ip_network("192.0.0.0/24"), "IETF protocol assignment"),  # RFC 6890 (3.11 only knows a /29 of it)
    (ipaddress.ip_network("64:ff9b:1::/48"), "local-use NAT64"),  # RFC 8215
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address


def special_reason(ip: IPAddress) -> str | None:
    """What kind of special-purpose address this is (loopback, private, ...), or None for a public one.

    An IPv6 address that carries an IPv4 address (IPv4-mapped, 6to4, Teredo, NAT64) is judged by
    the IPv4 address too: ::ffff:127.0.0.1 is loopback.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, *(ip.teredo or ())]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        for inner in embedded:
            if inner is not None and (why := special_reason(inner)):
                return f"{why} {inner} inside"
        if ip.is_site_local:
            return "site-local"
    for network, name in _EXTRA_RANGES:
        if ip.version == network.version and ip in network:
            return name
    for attribute, name in (("is_loopback", "loopback"), ("is_unspecified", "unspecified"),
                            ("is_link_local", "link-local"), ("is_multicast", "multicast"),
                            ("is_private", "private"), ("is_reserved", "reserved")):
        if getattr(ip, attribute):
            return name
    if not ip.is_global:
        return "not globally reachable"
    return None


# inet_aton's spellings of an IPv4 address, which resolvers accept: 0177.0.0.1 (octal), 0x7f.1 (hex,
# fewer parts), 2130706433 (one decimal number) all mean 127.0.0.1.
_NUMBER = r"(?:0x[0-9a-f]*|[0-9]+)"
_SPELLED_IPV4 = re.compile(rf"^{_NUMBER}(?:\.{_NUMBER}){{0,3}}\.?$", re.I)


def spelled_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a numeric host name means to inet_aton (octal, hex, 1 to 4 parts), or None."""
    if not _SPELLED_IPV4.match(host):
        return None
    parts = []
    for part in host.rstrip(".").split("."):
        if part[:2].lower() == "0x":
            parts.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                return None  # 08 is no number to inet_aton
            parts.append(int(part, 8))
        else:
            parts.append(int(part))
    *leading, last = parts
    if any(p > 255 for p in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, part in enumerate(leading):
        value += part << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_reason(host: str) -> str | None:
    """Why a host written as an address (in any spelling) is internal; None for a name or a public address."""
    bare = host.strip("[]").split("%")[0]
    spelled = f"{host} is"
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        ip = spelled_ipv4(bare)
        if ip is None:
            return None
        spelled = f"{host} means {ip},"
    why = special_reason(ip)
    if why is None:
        return None
    return f"{spelled} an internal address ({why})"


def url_literal_reason(url: str) -> str | None:
    """literal_reason for the host of a URL; no DNS. None when the URL cannot be split (checked elsewhere)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return literal_reason(host) if host else None


def getaddrinfo(host: str, port: int | None):
    """The system resolver, looked up at call time (tests replace socket's resolver with a fake)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def private_reason(url: str, *, resolve=None) -> str | None:
    """Why this URL is internal, or None when every address it resolves to is public.

    A name that does not resolve is not refused here: nothing can be connected to, and the
    connection (bot.ingest.pinned_transport) resolves and checks again before connecting.
    """
    try:
        host = urlsplit(url).hostname
    except ValueError as exc:
        return f"bad URL ({exc})"
    if not host:
        return "the URL has no host"
    if reason := literal_reason(host):
        return reason
    try:
        addresses = {info[4][0] for info in (resolve or getaddrinfo)(host, None)}
    except (socket.gaierror, UnicodeError) as exc:
        return None if isinstance(exc, socket.gaierror) else f"bad host name ({exc})"
    for address in sorted(addresses):
        try:
            ip = ipaddress.ip_address(address.split("%")[0])
        except ValueError:
            return f"{host} resolves to {address!r}, which is no address"
        if why := special_reason(ip):
            return f"{host} resolves to {ip}, an internal address ({why})"
    return None


# A request extension: refuse internal addresses for this request and every redirect it follows
# (httpx copies a request's extensions onto its redirects). Feeds added in Slack ask for it.
REFUSE_PRIVATE = "incident_desk_refuse_private"


def guard_when_asked(request: httpx.Request) -> None:
    """Request hook of every feed client (bot.ingest.fetch.make_client): httpx runs it before the first
    request and before each redirect, so a redirect inward is caught before it is followed."""
    if request.extensions.get(REFUSE_PRIVATE) and (reason := private_reason(str(request.url))):
        raise PrivateAddressError(f"refused: {reason}", request=request)
