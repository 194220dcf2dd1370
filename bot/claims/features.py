"""The candidates for a text's toll, each with its features, for the trained decision layer.

The rules propose (extract.mentions and the rules' own choice, text_toll.toll_from_mentions);
this module groups a metric's figures by value and describes each value with numbers a small
linear model can weigh. The candidate "none" (the text gives no toll for the metric) is always there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from bot.models import Claim

from .extract import Mention
from .timing import lead_end, other_time

FEATURES = (
    "bias_none", "is_rule", "rule_is_none", "derived", "n_mentions", "log_value", "value_is_1", "is_max", "is_min",
    "n_values", "first_pos", "in_first_200", "in_title_line",
    "q_exact", "q_at_least", "q_more_than", "q_about", "q_up_to", "q_range", "q_vague",
    "all_subset", "any_subset", "all_cumulative", "all_hedged", "all_weak", "all_background", "all_history",
    "who_attackers", "who_soldiers", "who_police", "who_civilians",
    "s_official", "s_medical", "s_un_ngo", "s_security", "s_witnesses", "s_perpetrator", "s_unattributed", "s_leaked",
    "any_perp_only", "shot_metric", "lang_fr", "n_texts_values_gt_rule", "is_sum_of_others",
    "in_lead", "all_other_time",
)
_SOURCE_KEYS = {
    "official": "s_official", "medical": "s_medical", "un_ngo": "s_un_ngo", "security_sources": "s_security",
    "witnesses": "s_witnesses", "perpetrator_claim": "s_perpetrator", "unattributed": "s_unattributed",
    "leaked_documents": "s_leaked",
}


@dataclass
class Candidate:
    """One value the toll could be (None key: no toll), with its mentions and features."""

    value: int | None  # None for "none"; -1 stands for the rules' vague toll (no number)
    mentions: list[Mention] = field(default_factory=list)
    claim: Claim | None = None  # the claim to return when chosen
    x: dict[str, float] = field(default_factory=dict)


def _number(c: Claim | None) -> int | None:
    if c is None:
        return None
    return c.value if c.value is not None else -1


def candidates(ms: list[Mention], rule: Claim | None, metric: str, text: str, lang: str) -> list[Candidate]:
    """Every value the metric's toll could take in this text, the rules' choice among them."""
    # Rules that are right stay hard limits: the perpetrators' claims, cumulative figures, figures the
    # text says were replaced, a single victim it only speculates about and the attackers' dead are never a toll.
    own = [m for m in ms if (m.claim.metric == metric or (metric == "injured" and m.shot))
           and m.claim.source != "perpetrator_claim" and not m.cumulative and not m.history and not m.elsewhere
           and not (m.hedged and m.entity is not None)
           # the attackers' dead are counted apart: a candidate only where the rules took them (a lone gunman)
           and not (m.claim.who == "attackers" and (rule is None or rule.who != "attackers"))]
    # A ceiling ("up to 100") is no estimate: it is a candidate only when the text gives nothing else.
    firm = [m for m in own if m.claim.qualifier != "up_to"]
    own = firm or own
    by_value: dict[int, Candidate] = {}
    for m in own:
        v = m.claim.value
        if v is None or v <= 0:
            continue
        by_value.setdefault(v, Candidate(v)).mentions.append(m)
    rule_v = _number(rule)
    if rule_v is not None and rule_v not in by_value:
        by_value[rule_v] = Candidate(rule_v, claim=rule)
    cands = [Candidate(None)] + [by_value[v] for v in sorted(by_value)]
    values = [c.value for c in cands[1:] if c.value and c.value > 0]
    n_len = max(1, len(text))
    first_line = text.find("\n")
    lead = lead_end(text)
    for c in cands:
        x = dict.fromkeys(FEATURES, 0.0)
        x["rule_is_none"] = float(rule_v is None)
        x["lang_fr"] = float(lang == "fr")
        x["n_values"] = float(len(values))
        if c.value is None:
            x["bias_none"] = 1.0
            x["is_rule"] = float(rule_v is None)
            c.x = x
            continue
        ms_c = c.mentions
        x["is_rule"] = float(c.value == rule_v)
        x["derived"] = float(not ms_c)
        x["n_mentions"] = float(len(ms_c))
        if c.value > 0:
            x["log_value"] = math.log1p(c.value)
            x["value_is_1"] = float(c.value == 1)
            x["is_max"] = float(c.value == max(values))
            x["is_min"] = float(c.value == min(values))
            x["n_texts_values_gt_rule"] = float(rule_v is not None and rule_v > 0 and c.value > rule_v)
            others = [v for v in values if v != c.value]
            x["is_sum_of_others"] = float(len(others) >= 2 and sum(others) == c.value)
        claims = [m.claim for m in ms_c] or ([rule] if rule is not None else [])
        if claims:
            start = min(k.start for k in claims)
            x["first_pos"] = start / n_len
            x["in_first_200"] = float(start < 200)
            x["in_title_line"] = float(first_line > 0 and start < first_line)
            if metric == "killed":  # another event's dead (bot/claims/timing.py); the injured model did worse with it
                x["in_lead"] = float(start < lead)
                x["all_other_time"] = float(all(other_time(text, k.start) for k in claims))
            for k in claims:
                x["q_" + k.qualifier] = 1.0
                x[_SOURCE_KEYS.get(k.source, "s_unattributed")] = 1.0
                if k.who in ("attackers", "soldiers", "police", "civilians"):
                    x["who_" + k.who] = 1.0
            x["any_perp_only"] = float(all(k.source == "perpetrator_claim" for k in claims))
        if ms_c:
            x["all_subset"] = float(all(m.subset for m in ms_c))
            x["any_subset"] = float(any(m.subset for m in ms_c))
            x["all_cumulative"] = float(all(m.cumulative for m in ms_c))
            x["all_hedged"] = float(all(m.hedged for m in ms_c))
            x["all_weak"] = float(all(m.weak for m in ms_c))
            x["all_background"] = float(all(m.background for m in ms_c))
            x["all_history"] = float(all(m.history for m in ms_c))
            x["shot_metric"] = float(all(m.claim.metric != metric for m in ms_c))
        c.x = x
    return cands


def label_index(cands: list[Candidate], gold: int) -> int | None:
    """Which candidate is the label (0: none), or None when the label is not among them."""
    for i, c in enumerate(cands):
        if (c.value is None and gold == 0) or (c.value is not None and c.value == gold):
            return i
    return None
