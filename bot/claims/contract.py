"""The JSON-lines contract other tools drive the extractor through; keep its shape stable."""

from __future__ import annotations

from dataclasses import fields

from bot.models import Claim

from .civilians import civilian_part
from .decision import decide
from .extract import mentions
from .text_toll import toll_from_mentions

_TOLL_FIELDS = ("value", "low", "high", "qualifier", "source", "quote", "who", "scope")
_CLAIM_FIELDS = tuple(f.name for f in fields(Claim))


def claim_dict(claim: Claim) -> dict:
    """A claim as a plain dict (flat, so cheaper than dataclasses.asdict's deep copy)."""
    return {k: getattr(claim, k) for k in _CLAIM_FIELDS}


def _toll_dict(claim: Claim | None) -> dict | None:
    """The toll fields of the contract for one claim, or None."""
    return None if claim is None else {k: getattr(claim, k) for k in _TOLL_FIELDS}


def record(item_id, text: str, lang: str | None = None) -> dict:
    """{"id", "claims": [...], "toll": {"killed", "injured", "killed_civilians": {...}|None}} for one text."""
    ms = mentions(text, lang)
    toll = decide(ms, toll_from_mentions(ms, text), text, lang)
    civilians = civilian_part(ms, toll["killed"], text, lang or "en")
    return {
        "id": item_id,
        "claims": [claim_dict(m.claim) for m in ms],
        # killed_civilians (added field): the civilians among the killed, where the text says which they were.
        "toll": {"killed": _toll_dict(toll["killed"]), "injured": _toll_dict(toll["injured"]),
                 "killed_civilians": _toll_dict(civilians)},
    }
