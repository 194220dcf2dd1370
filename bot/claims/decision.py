"""The trained decision layer: which of the rules' candidates is the text's toll.

The model is a logistic regression per metric (killed, injured) over the candidates' features
(bot/claims/features.py), stored as plain JSON coefficients in bot/claims/model/toll_model.json
and evaluated here in pure Python: loading it executes no code, and the extractor needs neither
scikit-learn nor ../shared to run. `python -m bot.claims.train` writes the file.

Which metrics the model decides is `MODEL_METRICS`, set from the held-out figures of
eval/evaluate_claims.py (the rules keep the others): see the note there.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from bot.models import Claim

from .extract import Mention
from .features import FEATURES, candidates
from .lang import detect_lang

logger = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent / "model" / "toll_model.json"
# The metrics whose toll the model chooses; for the others the rules' choice stands. The held-out
# figure decides (eval/evaluate_claims.py). Session 19: limited to the candidates the rules allow
# (features.candidates: never the perpetrators' claims, cumulative or replaced figures, nor the
# attackers' dead), the model tied the rules on every held-out and blind killed figure and won French
# real #2's held-out injured by one text, so it decided injured only. Session 20, trained also on the
# tuned-on half of real_5 (60 English wires, 20 French texts): for killed it wins French real's held-out
# half (0.831 against 0.819), real_5's (0.658 against 0.632), blind_real_3 (0.725 against 0.700) and
# blind_real_4 (0.750 against 0.725) by one text each and ties everywhere else, so it decides both.
# `text_toll(..., how="rules")` / `how="model"` measure either alone.
MODEL_METRICS: frozenset[str] = frozenset({"injured", "killed"})


@lru_cache(maxsize=1)
def load_model(path: str = str(MODEL_PATH)) -> dict | None:
    """{"killed": {"coef": {feature: w}, "intercept": b}, ...}, or None when the file is absent."""
    p = Path(path)
    if not p.exists():
        logger.warning("claims: no toll model at %s; the rules choose every toll", p)
        return None
    doc = json.loads(p.read_text(encoding="utf-8"))
    if doc.get("features") != list(FEATURES):
        logger.warning("claims: toll model %s was trained on other features; the rules choose every toll", p)
        return None
    return doc["metrics"]


def score(weights: dict, x: dict[str, float]) -> float:
    """The model's score of one candidate (a logit; higher is more likely the toll)."""
    coef = weights["coef"]
    return weights["intercept"] + sum(coef[k] * v for k, v in x.items() if v)


def choose(ms: list[Mention], rule: Claim | None, metric: str, text: str, lang: str | None,
           weights: dict) -> Claim | None:
    """The candidate the model scores highest, as a claim (None: the text gives no toll)."""
    lang = lang if lang in ("en", "fr") else detect_lang(text)
    cands = candidates(ms, rule, metric, text, lang)
    best = max(cands, key=lambda c: score(weights, c.x))
    if best.value is None:
        return None
    if rule is not None and (rule.value if rule.value is not None else -1) == best.value:
        return rule
    if best.claim is not None:
        return best.claim
    from .text_toll import best_mention  # the rules' order among mentions of one value

    c = best_mention(best.mentions).claim
    return c if c.metric == metric else replace(c, metric=metric)


def decide(ms: list[Mention], rule_toll: dict[str, Claim | None], text: str, lang: str | None,
           how: str | None = None) -> dict[str, Claim | None]:
    """The toll per metric: the model's choice where it decides (how: None = as configured,
    "rules" = the rules only, "model" = the model for every metric it has)."""
    if how == "rules" or (how is None and not MODEL_METRICS):
        return rule_toll
    model = load_model()
    if model is None:
        return rule_toll
    out = dict(rule_toll)
    for metric, weights in model.items():
        if metric in out and (how == "model" or metric in MODEL_METRICS):
            out[metric] = choose(ms, rule_toll[metric], metric, text, lang, weights)
    return out


# Loaded once at start-up (a 3 KB JSON file), so a missing or stale model is logged when the bot starts.
load_model()
