"""Shared fixtures: a fresh database, fast settings, and a feed server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.ingest.fetch import make_client
from bot.demo.localserver import LocalServer
from db import open_database

REPO = Path(__file__).resolve().parent.parent
SHARED_CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture
def settings(tmp_path):
    """Settings with short timeouts so a sick test server costs seconds, not minutes; no gap between
    two requests to one host (every test server is on 127.0.0.1)."""
    base = load_settings(db=str(tmp_path / "test.db"), feeds=str(tmp_path / "feeds.yaml"), environ={})
    return dataclasses.replace(base, connect_timeout=2.0, read_timeout=2.0, total_timeout=5.0,
                               max_body_bytes=2 * 1024 * 1024, max_concurrent_fetches=4, host_gap=0.0)


@pytest.fixture
def db(settings):
    database = open_database(settings.db_path)
    yield database
    database.close()


@pytest.fixture
def server():
    with LocalServer() as local:
        yield local


@pytest.fixture
def client(settings):
    with make_client(settings) as http:
        yield http


def rss(*items: dict, title: str = "Test feed") -> bytes:
    """A small RSS 2.0 document; each item dict may hold title, link, guid, pubDate, description."""
    from xml.sax.saxutils import escape

    parts = []
    for item in items:
        fields = "".join(f"<{key}>{escape(str(value))}</{key}>" for key, value in item.items())
        parts.append(f"<item>{fields}</item>")
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>https://example.org/</link><description>t</description>{''.join(parts)}</channel></rss>"
            ).encode()
