"""`python -m bot claims`: casualty claims for a person to read, or as JSON lines for other tools.

The top-level CLI calls `add_arguments` on its `claims` subparser and `run` with the parsed args.
Until then: `python -m bot.claims.cli "TEXT"` or `... --jsonl < in.jsonl`.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import IO

from bot.models import Claim

from .contract import record
from .extract import extract_claims
from .lang import detect_lang
from .text_toll import text_toll

logger = logging.getLogger(__name__)

LANGS = ("en", "fr")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the `claims` options on a parser (or subparser)."""
    parser.add_argument("text", nargs="?", help='the text to read; "-" reads it from stdin')
    parser.add_argument("--lang", choices=LANGS, help="language of the text (default: detected)")
    parser.add_argument(
        "--jsonl", action="store_true",
        help='read JSON lines {"id", "text", "lang"?} on stdin, write one JSON line of claims and toll per input',
    )


def run(args: argparse.Namespace, *, stdin: IO[str] | None = None, stdout: IO[str] | None = None,
        stderr: IO[str] | None = None) -> int:
    """Run the command: 0 on success, 1 if some JSON lines were bad, 2 on a usage error."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    if args.jsonl:
        if args.text:
            print("claims: give either TEXT or --jsonl, not both", file=stderr)
            return 2
        return run_jsonl(stdin, stdout, stderr)
    if not args.text:
        print('claims: give a TEXT to read ("-" for stdin), or --jsonl', file=stderr)
        return 2
    text = stdin.read() if args.text == "-" else args.text
    stdout.write(format_claims(text, getattr(args, "lang", None)))
    return 0


def run_jsonl(stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """One output line per input line; a bad line gets an "error" field and the rest carry on."""
    failures = 0
    for number, line in enumerate(stdin, start=1):
        if not line.strip():
            continue
        item_id = None
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("expected a JSON object")
            item_id = item.get("id")
            text, lang = item.get("text"), item.get("lang")
            if not isinstance(text, str):
                raise ValueError('"text" must be a string')
            if lang is not None and lang not in LANGS:
                raise ValueError(f'"lang" must be one of {", ".join(LANGS)} or absent')
            out = record(item_id, text, lang)
        except Exception as exc:  # noqa: BLE001 -- one bad line must not lose the others
            failures += 1
            message = f"{type(exc).__name__}: {exc}" if not isinstance(exc, (ValueError, json.JSONDecodeError)) else str(exc)
            print(f"claims: line {number}: {message}", file=stderr)
            logger.debug("claims jsonl line=%s id=%r failed", number, item_id, exc_info=True)
            out = {"id": item_id, "error": message}
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    return 1 if failures else 0


def _figure(c: Claim) -> str:
    """A figure as an editor reads it: "more than 75", "hundreds (200–999)", "20–30"."""
    if c.qualifier == "vague":
        bounds = f"{c.low}–{c.high}" if c.high is not None else f"{c.low}+"
        return f"{c.vague} ({bounds})"
    if c.qualifier == "range":
        return f"{c.low}–{c.high}"
    words = {"exact": "", "at_least": "at least ", "more_than": "more than ", "about": "about ", "up_to": "up to "}
    return f"{words.get(c.qualifier, '')}{c.value}"


# Why a claim is not the event's toll, as an editor reads it (Claim.scope).
_NOT_THE_TOLL = {
    "subset": "a part of a larger figure",
    "attackers": "attackers, counted apart from the toll",
    "other_event": "another event",
    "cumulative": "a running total or another period (\"this year\", \"since 2012\", \"in 2019\")",
    "history": "superseded later in the text",
}


def format_claims(text: str, lang: str | None = None) -> str:
    """The claims and toll of a text as lines for a person to read."""
    lang = lang or detect_lang(text)
    claims = extract_claims(text, lang)
    lines = [f"{len(claims)} claim(s), language {lang}"]
    for c in claims:
        who = f" {c.who}" if c.who else ""
        said = f" — {c.source_text}" if c.source_text else ""
        lines.append(f"  {c.metric:<17} {_figure(c)}{who}  [{c.source}{said}]")
        lines.append(f"      «{c.quote}» @{c.start}-{c.end}")
        if c.scope in _NOT_THE_TOLL:
            lines.append(f"      not the toll: {_NOT_THE_TOLL[c.scope]}")
    toll = text_toll(text, lang)
    for metric in ("killed", "injured"):
        c = toll[metric]
        passed = any(k.metric == metric and k.scope in _NOT_THE_TOLL for k in claims)
        lines.append(f"toll {metric}: " + (f"{_figure(c)} [{c.source}] «{c.quote}»" if c else
                                           "none given" + (" (its figures above are not the toll: see why)" if passed else "")))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point, for use before the top-level CLI wires `claims` in."""
    parser = argparse.ArgumentParser(prog="python -m bot.claims.cli", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
