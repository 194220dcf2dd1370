"""How many matched items gain a figure when their figures are read from the article's page (full_text).

Run: .venv/bin/python eval/evaluate_full_text.py
The founding case (the real Bamako articles of ../shared/corpus/seeds, as bot/demo serves them, one feed
per outlet) with each article served as an HTML page on 127.0.0.1: navigation, the article, and a side
bar of other stories' headlines carrying other figures, as real pages have. The pages are a fixture of
our own built from those articles, not the outlets' real pages. Each feed item carries only the title and
the first sentence, as many real feeds do. The real pipeline runs twice on fresh databases, the Bamako
incident tracked as the demo tracks it (`poll --once`, so pages are fetched before processing): once
with `full_text: true`, once without. Printed: items matched, matched items with a figure from the summary
alone, with the article, and whether any side-bar figure reached the ledger (with a control: the same
page read whole, without trafilatura, does give side-bar figures). Measure only: nothing here tunes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import sys
import tempfile
from html import escape
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from email.utils import format_datetime  # noqa: E402

from bot.claims import extract_claims  # noqa: E402
from bot.cli import DEMO_TRACK, cmd_poll  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.demo import article_text, published_at, seed_manifest  # noqa: E402
from bot.demo.localserver import LocalServer, Response  # noqa: E402
from bot.incidents.desk import Desk  # noqa: E402
from bot.text import html_to_text  # noqa: E402
from db import open_database  # noqa: E402

# Other stories' headlines, as a "Most read" side bar shows them. Their figures are checked below to
# appear in none of the founding articles, so a side-bar figure in the ledger can only be a leak.
SIDE_BAR = ("Floods in Niger leave 339 dead since June", "Bus crash on Dakar highway kills 23 passengers",
            "Cholera outbreak in Sudan: 388 deaths reported", "Gunmen kill 41 villagers in northern Burkina Faso",
            "Boat capsizes off Mauritania, 89 bodies recovered")
MAX_ARTICLES = 50  # the seeds are five; every loop below is bounded by this


def side_bar_figures() -> set[int]:
    return {int(n) for line in SIDE_BAR for n in re.findall(r"\b\d+\b", line)}


def first_sentence(text: str) -> str:
    """The demo feed's summary paragraph (the first longer than 80 characters), cut to its first sentence."""
    paragraph = next(p.strip() for p in text.split("\n") if len(p.strip()) > 80)
    return re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", paragraph, maxsplit=1)[0]


def page(title: str, text: str) -> bytes:
    paragraphs = "".join(f"<p>{escape(p.strip())}</p>\n" for p in text.split("\n") if p.strip())
    others = "".join(f'<li><a href="/other/{i}.html">{escape(h)}</a></li>' for i, h in enumerate(SIDE_BAR))
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head><body>\n"
            '<header><nav><a href="/">Home</a> <a href="/africa">Africa</a> <a href="/world">World</a></nav></header>\n'
            f"<main><article><h1>{escape(title)}</h1>\n{paragraphs}</article></main>\n"
            f'<aside class="sidebar"><h3>Most read</h3><ul>{others}</ul></aside>\n'
            '<footer>© The Paper. <a href="/terms">Terms</a></footer></body></html>').encode("utf-8")


def build_site(base: str) -> tuple[dict[str, Response], list[dict]]:
    """Routes (feeds and pages) and what each article is: path, title, summary, page bytes."""
    routes, articles = {}, []
    for feed in seed_manifest()[:MAX_ARTICLES]:
        items = []
        for article in feed["articles"][:MAX_ARTICLES]:
            stem = Path(article["file"]).stem
            text = article_text(article["file"])
            body = page(article["title"], text)
            routes[f"/articles/{stem}.html"] = Response(body, content_type="text/html; charset=utf-8")
            summary = first_sentence(text)
            articles.append({"stem": stem, "title": article["title"], "summary": summary, "page": body,
                             "text": text})
            items.append(f"<item><title>{xml_escape(article['title'])}</title>"
                         f"<link>{base}/articles/{stem}.html</link><guid isPermaLink=\"false\">{stem}</guid>"
                         f"<pubDate>{format_datetime(published_at(article), usegmt=True)}</pubDate>"
                         f"<description>{xml_escape(summary)}</description></item>")
        routes[f"/feeds/{feed['id']}.xml"] = Response(
            ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
             f"<title>{xml_escape(feed['title'])}</title><link>{base}/</link><language>en</language>"
             f"<description>t</description>{''.join(items)}</channel></rss>").encode("utf-8"))
    return routes, articles


def run_pipeline(base: str, workdir: Path, *, full_text: bool) -> dict[str, dict]:
    """poll --once on a fresh database; per item guid: matched, article status, current figures."""
    feeds = ["feeds:"]
    for feed in seed_manifest()[:MAX_ARTICLES]:
        feeds += [f"  - id: {feed['id']}", f"    url: {base}/feeds/{feed['id']}.xml", "    interval: 10m"]
        if full_text:
            feeds.append("    full_text: true")
    name = "on" if full_text else "off"
    (workdir / f"feeds-{name}.yaml").write_text("\n".join(feeds) + "\n", encoding="utf-8")
    settings = load_settings(db=str(workdir / f"{name}.db"), feeds=str(workdir / f"feeds-{name}.yaml"), environ={})
    db = open_database(settings.db_path)
    try:
        reply = Desk(db).ask(DEMO_TRACK, user="eval")
        assert reply.ok, reply.text
        log = io.StringIO()
        with contextlib.redirect_stdout(log):
            assert cmd_poll(argparse.Namespace(feed=None), settings) == 0
        pages_line = next((line for line in log.getvalue().splitlines() if line.startswith("article pages:")), None)
        out = {}
        for row in db.query("select items.id, items.guid, items.article_status, exists(select 1 from matches m"
                            " where m.item_id = items.id and m.status = 'matched') as matched from items"
                            f" order by items.published limit {MAX_ARTICLES}"):
            claims = db.query("select metric, value, qualifier, quote from claims where item_id = ?"
                              " and status = 'current' order by start", [row["id"]])
            out[row["guid"]] = {"matched": bool(row["matched"]), "article_status": row["article_status"],
                                "figures": [(c["metric"], c["value"], c["quote"] or c["qualifier"]) for c in claims]}
        every_value = {r["value"] for r in db.query("select value from claims")}
        return {"items": out, "all_values": every_value, "pages_line": pages_line}
    finally:
        db.close()


def shown(figures) -> str:
    """metric value, or metric "words" for a toll without a number (scores, dozens)."""
    return ", ".join(f"{metric} {value}" if value is not None else f"{metric} {str(words)[:40]!r}"
                     for metric, value, words in figures) or "none"


def numbers(item: dict) -> bool:
    return any(value is not None for _, value, _ in item["figures"])


def main() -> int:
    side = side_bar_figures()
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        base = f"http://127.0.0.1:{server.port}"
        routes, articles = build_site(base)
        clash = {n for a in articles for n in side if re.search(rf"\b{n}\b", a["text"])}
        assert not clash, f"side-bar figures also in the articles: {clash}"
        server.routes.update(routes)
        off = run_pipeline(base, Path(tmp), full_text=False)
        on = run_pipeline(base, Path(tmp), full_text=True)
    # Control: the same page read whole (tags stripped, no trafilatura) does put side-bar figures in reach.
    control = {c.value for a in articles for c in extract_claims(html_to_text(a["page"].decode("utf-8")), "en")} & side

    matched = [a for a in articles if on["items"][a["stem"]]["matched"]]
    from_summary = [a for a in matched if off["items"][a["stem"]]["figures"]]
    from_article = [a for a in matched if on["items"][a["stem"]]["figures"]]
    gained = [a for a in from_article if a not in from_summary]
    number_summary = [a for a in matched if numbers(off["items"][a["stem"]])]
    number_article = [a for a in matched if numbers(on["items"][a["stem"]])]
    leaked = sorted(on["all_values"] & side)
    print(f"founding articles: {len(articles)} items in {len(seed_manifest())} feeds, each page with a side bar of "
          f"{len(SIDE_BAR)} other stories (figures {sorted(side)}); pages built by this script from the articles")
    print(f"full_text on, {on['pages_line']}")
    for a in articles:
        o, n = off["items"][a["stem"]], on["items"][a["stem"]]
        print(f"  {a['stem'][:3]} {'matched' if n['matched'] else 'not matched'}"
              f"{'' if n['matched'] == o['matched'] else ' (off: ' + str(o['matched']) + ')'}: {a['title'][:60]}")
        print(f"      summary alone: {shown(o['figures'])}")
        print(f"      with the article (page {n['article_status']}): {shown(n['figures'])}")
    print(f"items matched: {len(matched)} of {len(articles)} (full_text off: "
          f"{sum(off['items'][a['stem']]['matched'] for a in articles)})")
    print(f"matched items with a figure from the summary alone: {len(from_summary)} of {len(matched)}")
    print(f"matched items with a figure with the article: {len(from_article)} of {len(matched)} "
          f"(gained: {len(gained)}; share of matched items gaining a figure: "
          f"{len(gained) / len(matched) if matched else 0:.2f})")
    print(f"of which a number (not only words such as 'scores'): summary alone {len(number_summary)}, "
          f"with the article {len(number_article)} of {len(matched)}")
    print(f"side-bar figures in the ledger with full_text: {'yes ' + str(leaked) if leaked else 'none'} "
          f"(control, page read whole: {sorted(control) or 'none'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
