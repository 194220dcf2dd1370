"""Connect to the address that was checked: no DNS rebinding between the private-address check and the socket.

httpcore hands its network backend the URL's host name at connect time; PinnedBackend resolves that
name once, checks every address (when the request asked for it, see netguard.REFUSE_PRIVATE) and
opens the socket to one of those very addresses. Only the address is pinned: httpcore still sends
the name in the Host header and as TLS SNI, and verifies the certificate against the name.

GuardedTransport keeps two connection pools, one whose connections were all checked and one for
feeds allowed inside the network (feeds.yaml's, or every feed with INCIDENT_DESK_ALLOW_PRIVATE_FEEDS),
so a connection opened unchecked is never reused by a request that must be checked.
"""

from __future__ import annotations

import socket

import httpcore
import httpx

from bot.ingest import netguard


class PinnedBackend(httpcore.NetworkBackend):
    """A network backend that resolves each host once and connects to the addresses it checked."""

    def __init__(self, backend: httpcore.NetworkBackend, *, refuse_private: bool):
        self._backend = backend
        self.refuse_private = refuse_private

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            infos = netguard.getaddrinfo(host, port)
        except (socket.gaierror, UnicodeError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host} ({exc})") from exc
        addresses = list(dict.fromkeys(info[4][0] for info in infos))  # the resolver's order, once each
        if not addresses:
            raise httpcore.ConnectError(f"{host} resolves to no address")
        if self.refuse_private:
            where = f"//[{host}]:{port}" if ":" in host else f"//{host}:{port}"
            reason = netguard.private_reason(where, resolve=lambda *_args, **_kw: infos)
            if reason:
                raise netguard.PrivateAddressError(f"refused: {reason}")
        failure: Exception | None = None
        for address in addresses:  # like socket.create_connection: the next address when one fails
            try:
                return self._backend.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("feeds are fetched over TCP only")

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class GuardedTransport(httpx.BaseTransport):
    """Requests marked netguard.REFUSE_PRIVATE (and their redirects) go through a pool whose every
    connection was checked at connect time; the others through a pool that pins without refusing."""

    def __init__(self, *, wrap_backend=lambda backend: backend, **transport_options):
        self._checked = self._transport(True, wrap_backend, transport_options)
        self._open = self._transport(False, wrap_backend, transport_options)

    @staticmethod
    def _transport(refuse_private: bool, wrap_backend, options: dict) -> httpx.HTTPTransport:
        transport = httpx.HTTPTransport(**options)
        # httpx 0.28 does not take a network backend; the pool it built does (httpcore public API).
        transport._pool._network_backend = PinnedBackend(wrap_backend(transport._pool._network_backend),
                                                         refuse_private=refuse_private)
        return transport

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._checked if request.extensions.get(netguard.REFUSE_PRIVATE) else self._open
        return transport.handle_request(request)

    def close(self) -> None:
        self._checked.close()
        self._open.close()
