"""Hostile networks (issue 12, Feeds): DNS rebinding, every special-purpose range, malformed URLs.

Every name here is answered by a fake resolver installed under socket's own (so the guard, the
connection and the old code all see the same answers), and a connect guard refuses any socket to
anything but loopback: a test can ask for a public address, nothing ever connects to one.
"""

from __future__ import annotations

import _socket
import dataclasses
import http.server
import ipaddress
import socket
import ssl
import subprocess
import threading

import httpx
import pytest

from bot.demo.localserver import Response
from bot.ingest import feed_admin
from bot.ingest.feed_admin import FeedAdminError, add_feed
from bot.ingest.fetch import fetch
from bot.ingest.netguard import private_reason, special_reason
from bot.ingest.pinned_transport import GuardedTransport
from tests.conftest import rss

STORY = {"title": "Bamako attack", "guid": "b1", "pubDate": "Wed, 18 Sep 2024 10:00:00 GMT",
         "description": "Officials said 77 people were killed."}
PUBLIC = "93.184.215.14"  # a public address the fake resolver may answer; the connect guard keeps us off it


class FakeResolver:
    """name → the answers of its successive lookups (the last one repeats); IP literals and localhost
    go to the real resolver (no DNS traffic); any other name does not resolve."""

    def __init__(self, real):
        self.real = real
        self.answers: dict[str, list[str]] = {}
        self.calls: list[str] = []

    def __call__(self, host, port, family=0, type=0, proto=0, flags=0):
        name = host.decode() if isinstance(host, bytes) else host
        if name is None or name == "localhost" or _is_ip(name):
            return self.real(host, port, family, type, proto, flags)
        if name not in self.answers:
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: unknown to the fake resolver")
        seen = self.calls.count(name)
        self.calls.append(name)
        answers = self.answers[name]
        ip = answers[min(seen, len(answers) - 1)]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        sockaddr = (ip, int(port or 0), 0, 0) if family == socket.AF_INET6 else (ip, int(port or 0))
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.split("%")[0])
        return True
    except ValueError:
        return False


@pytest.fixture
def resolver(monkeypatch):
    fake = FakeResolver(_socket.getaddrinfo)
    monkeypatch.setattr(_socket, "getaddrinfo", fake)  # socket.getaddrinfo and create_connection call it
    fake.outbound = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6) and \
                not ipaddress.ip_address(address[0].split("%")[0]).is_loopback:
            fake.outbound.append(address)
            raise ConnectionRefusedError(f"the tests connect to loopback only, not {address[0]}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return fake


@pytest.fixture
def allowed(settings):
    return dataclasses.replace(settings, allow_private_feed_urls=True)


# --- DNS rebinding ---------------------------------------------------------------------------------------

def test_dns_rebinding_public_to_the_check_then_127_0_0_1_to_the_connection_never_reaches_the_feed(
        db, client, settings, server, resolver):
    server.routes["/feed.xml"] = Response(rss(STORY))
    resolver.answers["rebind.attacker.test"] = [PUBLIC, "127.0.0.1"]
    url = f"http://rebind.attacker.test:{server.port}/feed.xml"
    result = fetch(client, url, settings=settings, refuse_private=True)
    assert result.status == "error" and result.error.startswith("refused:"), result
    assert "127.0.0.1" in result.error and "internal address" in result.error
    # /feeds add: the same answers, the same refusal, and nothing stored.
    resolver.answers["rebind2.attacker.test"] = [PUBLIC, "127.0.0.1"]
    with pytest.raises(FeedAdminError, match="internal address"):
        add_feed(db, url.replace("rebind.", "rebind2."), user="U0ADMIN", settings=settings, client=client)
    assert server.hits == {} and db["feeds"].count == 0  # the feed on 127.0.0.1 was never requested
    assert resolver.outbound == []  # and the public answer was never connected to either


def test_dns_pinning_keeps_the_name_in_the_host_header_when_private_feeds_are_allowed(
        client, allowed, server, resolver):
    hosts = []

    def feed(handler):
        hosts.append(handler.headers["Host"])
        handler._send(Response(rss(STORY)))

    server.routes["/feed.xml"] = feed
    resolver.answers["feeds.newsroom.test"] = ["127.0.0.1"]
    url = f"http://feeds.newsroom.test:{server.port}/feed.xml"
    result = fetch(client, url, settings=allowed, refuse_private=not allowed.allow_private_feed_urls)
    assert result.status == "ok" and b"Bamako" in result.body
    assert hosts == [f"feeds.newsroom.test:{server.port}"]
    assert resolver.calls == ["feeds.newsroom.test"]  # resolved once, by the connection that used the answer
    check = feed_admin.test_feed(url, settings=allowed, client=client)  # /feeds test, private feeds allowed
    assert check.ok and check.items == 1


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(cert), "-subj", "/CN=feeds.newsroom.test",
                    "-addext", "subjectAltName=DNS:feeds.newsroom.test"], check=True, capture_output=True)
    return cert, key


def test_dns_pinning_keeps_tls_sni_and_the_certificate_check_for_the_name(certificate, resolver):
    cert, key = certificate
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)

    class Feed(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = rss(STORY)
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    port = httpd.server_address[1]
    resolver.answers["feeds.newsroom.test"] = ["127.0.0.1"]
    resolver.answers["other.newsroom.test"] = ["127.0.0.1"]
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        with httpx.Client(transport=GuardedTransport(verify=trust, trust_env=False), trust_env=False) as pinned:
            assert pinned.get(f"https://feeds.newsroom.test:{port}/feed.xml").status_code == 200
            assert names == ["feeds.newsroom.test"]  # SNI names the host, not the pinned address
            with pytest.raises(httpx.ConnectError, match="certificate|hostname"):
                pinned.get(f"https://other.newsroom.test:{port}/feed.xml")  # checked against the name
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- every special-purpose range, IPv4 and IPv6 ------------------------------------------------------------

SPECIAL = {
    "127.0.0.1": "loopback", "127.255.0.9": "loopback", "10.1.2.3": "private", "172.16.0.1": "private",
    "192.168.1.1": "private", "169.254.169.254": "link-local", "0.0.0.0": "unspecified", "0.1.2.3": "private",
    "100.64.0.1": "carrier-grade NAT", "100.127.255.254": "carrier-grade NAT", "192.0.0.8": "IETF",
    "192.0.2.1": "private", "198.18.0.1": "private", "224.0.0.251": "multicast", "240.0.0.1": "private",
    "255.255.255.255": "private",
    "::1": "loopback", "::": "unspecified", "fe80::1": "link-local", "fc00::1": "private", "fd12:3456::1": "private",
    "fec0::1": "site-local", "ff02::1": "multicast", "2001:db8::1": "private",
    "::ffff:127.0.0.1": "loopback", "::ffff:10.0.0.1": "private", "::ffff:100.64.0.1": "carrier-grade NAT",
    "2002:7f00:1::": "loopback", "2002:a9fe:a9fe::": "link-local",
    "2001:0:4136:e378:8000:63bf:80ff:fffe": "loopback",  # Teredo, client 127.0.0.1
    "64:ff9b::a9fe:a9fe": "link-local", "64:ff9b:1::1": "NAT64",
}
PUBLIC_ADDRESSES = ["8.8.8.8", PUBLIC, "100.63.255.255", "100.128.0.1", "2606:4700:4700::1111", "2a00:1450:4007::1"]


@pytest.mark.parametrize("address, kind", SPECIAL.items(), ids=list(SPECIAL))
def test_a_name_resolving_to_a_special_purpose_address_is_refused(address, kind):
    fake = FakeResolver(None)
    fake.answers["feed.attacker.test"] = [address]
    reason = private_reason("https://feed.attacker.test/rss", resolve=fake)
    assert reason is not None and "internal address" in reason and kind in reason
    assert kind in (special_reason(ipaddress.ip_address(address)) or "")
    literal = f"[{address}]" if ":" in address else address
    assert "internal address" in (private_reason(f"https://{literal}/rss") or "")  # written as an address


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_a_public_address_is_not_refused(address):
    fake = FakeResolver(None)
    fake.answers["feed.example.test"] = [address]
    assert private_reason("https://feed.example.test/rss", resolve=fake) is None
    assert special_reason(ipaddress.ip_address(address)) is None


def test_a_feed_on_carrier_grade_nat_is_refused_at_fetch_without_a_connection(client, settings, resolver):
    resolver.answers["cgnat.attacker.test"] = ["100.64.0.1"]
    result = fetch(client, "http://cgnat.attacker.test/rss", settings=settings, refuse_private=True)
    assert result.status == "error" and "carrier-grade NAT" in result.error and resolver.outbound == []


# --- malformed URLs and other spellings of 127.0.0.1 -------------------------------------------------------

MALFORMED = ["http://0177.0.0.1:99999/", "http://[::1", "http://a b/", "http://x.test/" + "a" * 70_000,
             "ftp://x.test/feed", "file:///etc/passwd", "javascript:alert(1)", "http://x.test:99999/",
             "gopher://x.test/", "http://①②⑦.0.0.1/", "http:///rss", "http://exa\x00mple.test/"]


@pytest.mark.parametrize("url", MALFORMED, ids=lambda u: repr(u[:30]))
def test_a_malformed_url_is_a_readable_refusal_from_fetch_feeds_add_and_feeds_test(db, client, allowed, url,
                                                                                  resolver):
    for settings in (allowed, dataclasses.replace(allowed, allow_private_feed_urls=False)):
        result = fetch(client, url, settings=settings, refuse_private=not settings.allow_private_feed_urls)
        assert result.status == "error" and result.error.startswith(("bad URL", "refused")), result.error
        check = feed_admin.test_feed(url, settings=settings, client=client)
        assert not check.ok and ("not usable" in check.message or "Refused" in check.message)
        assert len(check.message) < 400  # a 70,000-character URL is not repeated back whole
        with pytest.raises(FeedAdminError) as refused:
            add_feed(db, url, user="U0ADMIN", settings=settings, client=client)
        assert "not usable" in str(refused.value) or "Refused" in str(refused.value)
    assert db["feeds"].count == 0 and resolver.outbound == []


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "http://0x7f.1/", "http://2130706433/", "http://127.1/",
                                 "http://0x7f000001/", "http://017700000001/", "http://0177.1.0x0.1/",
                                 "http://0xa9.0376.0251.0376/"])
def test_octal_hex_and_decimal_spellings_of_an_internal_address_are_refused_as_internal(db, client, settings, url,
                                                                                     resolver):
    result = fetch(client, url, settings=settings, refuse_private=True)
    assert result.status == "error" and result.error.startswith("refused:") and "internal address" in result.error
    assert "means 127." in result.error or "means 169.254.169.254" in result.error
    with pytest.raises(FeedAdminError, match=r"^Refused .*internal address"):
        add_feed(db, url, user="U0ADMIN", settings=settings, client=client)
    assert resolver.outbound == [] and db["feeds"].count == 0


def test_a_link_slack_escaped_is_added_with_its_real_ampersands():
    from bot.ingest.feed_admin import parse_add_args

    args = parse_add_args("<https://news.example/rss?a=1&amp;b=2|news.example> every 10m")
    assert args["url"] == "https://news.example/rss?a=1&b=2"
