"""Scores of the claims extractor on a list of cases (see eval/claim_sets.py): exact match of the
text's killed and injured toll, the always-0 baseline, false tolls, and candidate recall."""

from __future__ import annotations

from bot.claims import text_toll
from bot.claims.extract import mentions
from bot.claims.features import candidates
from bot.claims.lang import detect_lang
from bot.claims.text_toll import toll_from_mentions

METRICS = ("killed", "injured")


def number(claim) -> int:
    """The toll as a number to compare with a label: a vague toll ("dozens") gives no number, 0."""
    return 0 if claim is None or claim.value is None else claim.value


def predict(cases: list[dict], how: str | None = None, *, civilians: bool = False) -> list[dict]:
    """{"killed": int, "injured": int, "killed_claim": Claim|None, ...} for every case, in order.
    how: None = the toll as shipped; "rules" / "model" = that decision layer alone. civilians: the
    killed figure is the toll's civilian part where the text gives one (what WAD counts)."""
    from bot.claims.civilians import civilians_killed

    out = []
    for c in cases:
        t = text_toll(c["text"], c.get("lang"), how)
        if civilians:
            t = dict(t, killed=civilians_killed(c["text"], c.get("lang")) or t["killed"])
        out.append({m: number(t[m]) for m in METRICS} | {f"{m}_claim": t[m] for m in METRICS})
    return out


def score(cases: list[dict], preds: list[dict] | None = None) -> dict:
    """Per metric: n, accuracy, always-0 baseline; and the false-toll rate on has_toll: false cases."""
    preds = preds if preds is not None else predict(cases)
    out = {"n": len(cases)}
    for m in METRICS:
        idx = [i for i, c in enumerate(cases) if c.get(m) is not None]
        n = len(idx)
        out[m] = {
            "n": n,
            "accuracy": sum(preds[i][m] == cases[i][m] for i in idx) / n if n else None,
            "baseline_zero": sum(cases[i][m] == 0 for i in idx) / n if n else None,
        }
    neg = [i for i, c in enumerate(cases) if c.get("has_toll") is False]
    out["false_toll"] = {
        "n": len(neg),
        "rate": sum(bool(preds[i]["killed"] or preds[i]["injured"]) for i in neg) / len(neg) if neg else None,
    }
    return out


def candidate_recall(cases: list[dict]) -> dict:
    """Per metric, on cases whose label is > 0: share where the label is among the candidates the
    rules propose (bot/claims/features.candidates: every figure of the metric the rules may let
    lead, "shot" figures for injured, and the rules' own toll, sums included)."""
    out = {}
    for m in METRICS:
        pos = [c for c in cases if (c.get(m) or 0) > 0]
        hit = 0
        for c in pos:
            lang = c.get("lang") if c.get("lang") in ("en", "fr") else detect_lang(c["text"])
            ms = mentions(c["text"], lang)
            cands = candidates(ms, toll_from_mentions(ms, c["text"])[m], m, c["text"], lang)
            hit += any(k.value == c[m] for k in cands)
        out[m] = {"n": len(pos), "recall": hit / len(pos) if pos else None}
    return out


def errors(cases: list[dict], preds: list[dict]) -> list[tuple]:
    """(id, metric, label, predicted, quote) for every wrong toll. Never call it on a held-out part."""
    out = []
    for c, p in zip(cases, preds):
        for m in METRICS:
            if c.get(m) is not None and p[m] != c[m]:
                claim = p[f"{m}_claim"]
                out.append((c["id"], m, c[m], p[m], claim.quote if claim else ""))
    return out
