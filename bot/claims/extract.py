"""Text in, casualty claims out: the pure extractor behind `extract_claims`."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache

import ahocorasick

from bot.models import Claim

from . import patterns as P
from .distractors import distractor_class
from .figures import figure_after_or_before, noun_run
from .headlines import headlines
from .sides import side_of
from .implicit import add_group, full_name_known, group_count, reduced_metric, subject_before
from .lang import detect_lang
from .lexicon import who_of
from .numbers import find_quantities
from .context import placed, with_scope
from .recall import propose, propose_late
from .sentences import HEAD_CHARS, clauses
from .sources import HINT_WORDS, Attribution, attributions, source_for
from .reading import Mention, Sentence as _Sentence
from .victims import entity_key, other_incident_at
from .triggers import ACTIVE_STEMS, VERB_STEMS, stems_in, trigger_sentences


def _who(text: str) -> str | None:
    """The class of people a phrase counts (civilians, soldiers, police, attackers), if it says."""
    return who_of(text)  # WHO_RE.search, by word look-up (faster)


def _metric(metric: str) -> tuple[str, bool]:
    """Map an internal metric to a public one, flagging bare "shot" figures."""
    if metric == "shot":
        return "killed_or_injured", True
    return metric, False


def _make(sentence: str, offset: int, metric: str, start: int, end: int,
          value, low, high, qualifier, vague, attrs, *, subset=False, who_text=None, weak=False,
          entity_text=None, may_doubt: tuple[bool, bool] = (True, True), spans=None, history=False) -> Mention:
    """The Mention for a figure at [start, end) of a sentence: its source, who, and its doubts."""
    metric, shot = _metric(metric)
    while end > start and sentence[end - 1] in " \t\n,;:":
        end -= 1  # a quote ends on a word, not on the space or comma a pattern ran into
    clause = next(((a, b) for a, b in (spans or clauses(sentence)) if a <= start < b), (0, len(sentence)))
    attr: Attribution | None = source_for(attrs, start, end, clause)
    clause_text = sentence[clause[0]:clause[1]]
    quote = sentence[start:end]
    claim = Claim(
        metric=metric, value=value, low=low, high=high, qualifier=qualifier,
        source=attr.source if attr else "unattributed", quote=quote,
        start=offset + start, end=offset + end, vague=vague,
        who=side_of(sentence, start, end) or _who(who_text if who_text is not None else quote),
        source_text=attr.words.strip() if attr else None,
    )
    clause_hedged, cumulative = _clause_flags(clause_text, *may_doubt)
    # Doubt in the clause counts for hedged qualifiers; doubt in or right before the quote, always.
    hedged = clause_hedged and (claim.qualifier != "exact" or bool(P.HEDGE.search(sentence, max(clause[0], start - 60), end)))
    entity = (entity_key(entity_text or (who_text if who_text is not None else quote))
              if value == 1 and high == 1 and not weak else None)
    return Mention(claim, hedged=hedged, cumulative=cumulative,
                   subset=subset, shot=shot, weak=weak, entity=entity, history=history)


@lru_cache(maxsize=256)
def _clause_flags(clause_text: str, may_hedge: bool = True, may_cumulate: bool = True) -> tuple[bool, bool]:
    """(hedged, cumulative) for one clause: "could be higher", "since 2012". The may_ flags say
    whether the sentence holds a word either needs at all (a cheap test first; speed only)."""
    cumulative = P.CUMULATIVE.search(clause_text) if may_cumulate else None
    if cumulative and _SUPERLATIVE.search(clause_text, max(0, cumulative.start() - 80), cumulative.start()):
        cumulative = None  # "the deadliest massacre in the region this year": a comparison, not a running total
    return may_hedge and bool(P.HEDGE.search(clause_text)), bool(cumulative)


_SUPERLATIVE = re.compile(r"\b(?:deadliest|bloodiest|worst|largest|biggest|most\s+deadly|plus\s+meurtrière?|"
                          r"plus\s+sanglante?|pire)\b", re.IGNORECASE)


def _negated(sentence: str, start: int) -> bool:
    """"No one was", "not injured", "tried to kill": the words just before deny the figure."""
    # Read with str methods, not an end-anchored regex: this runs for every candidate figure.
    tail = sentence[max(0, start - 40):start].lower().split()[-4:]
    for k, w in enumerate(tail):
        if k >= len(tail) - 3 and w in P.NEG_WORDS:
            return True
        if k + 1 < len(tail) and f"{w} {tail[k + 1]}" in P.NEG_PAIRS:
            return True
    return False


_JOINS = (" and ", " as well as ", " along with ", " plus ", " et ", " ainsi que ")


_BEFORE_ANY = {lang: re.compile(rf"(?:^|[^\w-])(?:{P.alt(P.BEFORE_METRIC[lang])})\s", re.IGNORECASE) for lang in P.LANGS}


def _verb_inside_list(sentence: str, start: int, end: int, lang: str) -> bool:
    """Whether a casualty verb or noun stands before a join of the would-be list, so that its first
    member is that verb's figure ("killing 30 attackers, and 13 soldiers were hurt")."""
    join = max(sentence.rfind(j, start, end) for j in _JOINS)
    return join > 0 and bool(_BEFORE_ANY[lang].search(sentence, max(0, start - 20), join))


def _passive_and_intransitive(st: _Sentence, has_join: bool) -> None:
    """Verbs read back to their subject: sums ("a mother and her four children were killed") and
    implicit singulars ("a journalist was killed", "he died")."""
    sentence, lang = st.text, st.lang
    for a in P.VERB_ANCHOR[lang].finditer(sentence):
        hit = subject_before(sentence, a, lang, has_join, st.context or sentence)
        if hit is None or P.NEG_SUBJECT.search(sentence, max(0, a.start() - 80), a.start()):
            continue
        start, total, np = hit
        if not st.free(start, a.end()) or _negated(sentence, start):
            continue
        if total > 1 and _verb_inside_list(sentence, start, a.start(), lang):
            continue  # "la mort de 30 terroristes, et treize soldats ont été blessés": two figures, not a list
        if a.group("pcw"):
            metric = P.PASSIVE_METRIC[lang].get(P.norm(a.group("pcw")), "killed")
        else:
            metric = P.INTRANS_METRIC[lang][P.norm(a.group("icw"))]
        used = None
        if metric in ("shot", "injured"):
            died = a.group("rel") and lang == "en" and P.RELATIVE_DIED.match(sentence, a.end())
            if died:
                metric, used = "killed", (start, died.end())  # "the man who was shot died": one death, one claim
            elif P.LATER_DIED.match(sentence, a.end()):
                metric = "killed"  # "was shot and later died"
        # The quote runs to "died" when that is what makes it a death.
        if total > 1 and used is None:
            add_group(st, metric, start, a.end(), total, np)
        else:
            st.add(metric, start, used[1] if used else a.end(), total, total, total, used=used, who_text=np)


def _active_groups(st: _Sentence) -> None:
    """"killing his five young children as well as his wife" is 6."""
    for m in P.GROUP_ACTIVE[st.lang].finditer(st.text):
        grp, end = m.group("grp"), m.end()
        nxt = _VERB_NEXT.match(st.text, end)
        if nxt and nxt.group(1) is not None:
            # "killing four soldiers and five civilians, the official told AFP": the last item speaks.
            last = _LAST_ITEM.search(grp)
            if last is None or not _LAST_ITEM.search(grp[:last.start()] + " "):
                continue
            grp, end = grp[:last.start()], m.start("grp") + last.start()
        elif nxt:
            continue  # "shot the customer and both suspects fled": the last "item" starts a new clause
        total = group_count(grp, st.lang)
        if total is None or not st.free(m.start(), end) or _negated(st.text, m.start()):
            continue
        add_group(st, P.ACTIVE_METRIC[st.lang][P.norm(m.group("acv"))], m.start(), end, total, grp)


# "killed 15 people, a police officer told AFP": the last "item" is the source.
_VERB_NEXT = re.compile(r"\s+(?:fled|ran|escaped|drove|left|were|was|are|is|have|had|took|got|went|sont|ont|ont\s+fui|"
                        r"(told|said|says|added|confirmed|reported|a\s+déclaré|a\s+indiqué|a\s+affirmé))\b",
                        re.IGNORECASE)
_LAST_ITEM = re.compile(r"(?:\s*,\s*(?:and\s+|et\s+)?|\s+(?:and|et)\s+)[^,]*$", re.IGNORECASE)


def _numbers(st: _Sentence) -> None:
    """Written figures ("77 confirmed deaths", "killing more than 75"), then the subsets after them
    ("30 killed, including six soldiers", "dont six soldats")."""
    sentence, lang = st.text, st.lang
    found = st.qs if st.qs is not None else find_quantities(sentence, lang)
    quantities = [q for q in found if distractor_class(sentence, q) is None]
    for q in quantities:
        if not st.free(q.start, q.end) or _negated(sentence, q.start):
            continue
        hit = figure_after_or_before(sentence, q, lang)
        if hit:
            metric, start, end, subset = hit
            st.add(metric, start, end, q.value, q.low, q.high, q.qualifier, q.vague, (q.start, q.end), subset=subset)
    for q in quantities:
        if not st.found or not st.free(q.start, q.end):
            continue
        if not P.SUBSET_BEFORE.search(sentence, max(0, q.start - 30), q.start):
            continue
        run = noun_run(sentence[q.end:q.end + 60], lang)
        before = [spec for spec in st.found if spec[1] < q.start]
        if run and before:
            metric = max(before, key=lambda spec: spec[1])[0]
            st.add(metric, q.start, q.end + run, q.value, q.low, q.high, q.qualifier, q.vague, (q.start, q.end),
                   subset=True)


def _active_singulars(st: _Sentence, active: bool) -> None:
    """"shot and killed a man", "the shooting death of Goldie Long", "the man fatally shot by police"."""
    sentence, lang = st.text, st.lang
    passes = [P.ACTIVE_SINGULAR[lang]] if active else []
    if lang == "en" and (" by " in st.low or "found " in st.low) and P.PRE_REDUCED.search(sentence):
        passes.append(P.REDUCED)
    for rx in passes:
        for m in rx.finditer(sentence):
            if not st.free(m.start(), m.end()) or _negated(sentence, m.start()):
                continue
            gd = m.groupdict()
            np = gd.get("np") or gd.get("pro") or ""
            if gd.get("acv") and gd["acv"][0].isupper() and np[:1].isupper():
                continue  # a title-case headline ("Shooting Death Investigation") names no victim
            if " " not in np.strip() and np[:1].isupper() and not full_name_known(np, st.context or sentence):
                continue
            if gd.get("pcw"):
                metric = reduced_metric(gd["pcw"])
            elif gd.get("fcw"):
                metric = "killed"
            else:
                metric = P.ACTIVE_METRIC[lang][P.norm(gd["acv"])]
            if metric in ("shot", "injured") and P.LATER_DIED.match(sentence, m.end()):
                metric = "killed"
            # "shot and killed a neighbor, 55-year-old Bettie Jones": the name says who, for counting.
            named = P.APPOS_NAME.match(sentence, m.end()) if sentence.startswith(",", m.end()) else None
            st.add_one(metric, m.start(), m.end(), who_text=np, entity_text=named.group("name") if named else None)


def _pronounced(st: _Sentence) -> None:
    """"Paramedics pronounced him dead at the scene": one death, said with an active verb."""
    if "pronounced" not in st.low and "declared" not in st.low:
        return
    for m in P.PRONOUNCED.finditer(st.text):
        np = m.group("np")
        if not st.free(m.start(), m.end()) or _negated(st.text, m.start()):
            continue
        if " " not in np and np[:1].isupper() and not full_name_known(np, st.context or st.text):
            continue  # a lone capitalised word is a surname only if the full name is given
        st.add_one("killed", m.start(), m.end(), who_text=np, entity_text=np)


def _left_and_found(st: _Sentence) -> None:
    """"left a man injured", "found a person shot in the leg", "another with life-threatening injuries"."""
    if st.hints.isdisjoint(_LEFT_FOUND_HINTS):
        return
    sentence = st.text
    matches = [P.LEFT_FOUND.match(sentence, a.start()) for a in P.LEFT_FOUND_AT.finditer(sentence)]
    if "injuries" in st.low and P.INJURIES_WITH_AT.search(sentence):
        matches += list(P.INJURIES_WITH.finditer(sentence))
    for m in matches:
        if m and st.free(m.start("np"), m.end()) and not _negated(sentence, m.start()):
            cw = (m.groupdict().get("cw") or "injuries").lower()
            if re.match(r"dead|deceased|fatally|shot\s+(?:dead|to)", cw):
                metric = "killed"
            elif cw in ("shot", "stabbed") or cw.startswith(("suffering", "with a gun", "with gun", "with a bul")):
                metric = "shot"
            else:
                metric = "injured"
            st.add_one(metric, m.start("np"), m.end(), who_text=m.group("np"))


def _implied_deaths(st: _Sentence) -> None:
    """Deaths said without a count: "a fatal shooting" (1), "a murder-suicide" (2); weak figures."""
    if st.lang == "en" and st.hints.isdisjoint(_DEATH_HINTS):
        return
    for m in P.FATAL_EVENT[st.lang].finditer(st.text):
        if st.free(m.start(), m.end()) and not _negated(st.text, m.start()):  # "not ruled a homicide"
            st.add("killed", m.start(), m.end(), 1, 1, None, "at_least", weak=True)
            break
    if st.lang == "en" and st.hints.isdisjoint(_IMPLIED_HINTS):
        return
    for rx, n in P.IMPLIED_DEAD[st.lang]:
        m = rx.search(st.text)
        if m and st.free(m.start(), m.end()):
            st.add("killed", m.start(), m.end(), n, n, None, "at_least", weak=True)


_DEATH_HINTS = {"fatal", "deadly", "lethal", "homicide", "murder", "death", "body", "remains"}
_IMPLIED_HINTS = {"suicide", "double", "triple"}
_ORDINAL_HINTS = {"second", "third", "fourth", "fifth"}
_LEFT_FOUND_HINTS = {"left", "found", "find", "leav", "injuries"}
_VERB_HINTS = {"struck", "hit", "treated"}
# A piece of every phrase patterns.HEDGE and patterns.CUMULATIVE match, lower-cased: a sentence
# without one of these has no doubt nor cumulative figure, and skips those two scans.
_HEDGE_KEYS = {"could", "may", "might", "possibl", "fear", "if", "suggest", "estim", "believed", "would", "confirm",
               "rumo", "pourrai", "serai", "aurai", "probablement", "peut-être", "craint", "présum"}
# A piece of every clause break (sentences.CLAUSE_BREAK): without one, a sentence is one clause.
_CLAUSE_KEYS = {";", "–", "—", "but", "though", "while", "whereas", "however", "mais", "tandis", "alors",
                "cependant", "toutefois", "bien", "where"}
_CUMULATIVE_KEYS = {"since", "year", "annual", "depuis", "année", "dernier", "par", "past", "last", "recent",
                    "19", "20"}
# Every word the families above test for, found in one pass over a sentence (speed only).
_HINTS = ahocorasick.Automaton()
for _w in (_DEATH_HINTS | _IMPLIED_HINTS | _ORDINAL_HINTS | _LEFT_FOUND_HINTS | _VERB_HINTS | set(_JOINS)
           | {"condition", "wound", "injur"} | HINT_WORDS | _HEDGE_KEYS | _CUMULATIVE_KEYS
           | _CLAUSE_KEYS):
    _HINTS.add_word(_w, _w)
_HINTS.make_automaton()


def hints_in(low: str) -> set[str]:
    """Which of the hint words a lower-cased sentence holds (as substrings, like `w in low`)."""
    return {w for _, w in _HINTS.iter(low)}


def _ordinal_victims(st: _Sentence) -> None:
    """"A second victim was found with a gunshot wound": at least two people were hit."""
    if not st.hints.isdisjoint(_ORDINAL_HINTS):
        m = P.ORDINAL_VICTIM.search(st.text)
        if m and st.free(m.start(), m.end()):
            n = P.ORDINALS[m.group("n").lower()]
            st.add("shot", m.start(), m.end(), n, n, None, "at_least", weak=True)


def _hurt_without_count(st: _Sentence) -> None:
    """Someone alive and hurt ("listed in critical condition") or hit ("a gunshot wound"), no count."""
    for rx, metric, words in ((P.CONDITION, "injured", {"condition"}), (P.WOUND, "shot", {"wound", "injur"})):
        m = rx.search(st.text) if not st.hints.isdisjoint(words) else None
        if m and not (metric == "injured" and P.DEATH_WORDS.search(st.text)) and not _negated(st.text, m.start()):
            st.add_one(metric, m.start(), m.end())
            return


def sentence_mentions(sentence: str, offset: int, lang: str, context: str = "",
                      stems: set[str] | None = None) -> list[Mention]:
    """All casualty mentions in one sentence; offset places it in context, the whole text."""
    st = _Sentence(sentence, offset, lang, context, stems if stems is not None else stems_in(sentence))
    st.low = sentence.lower()
    st.hints = hints_in(st.low)
    # Families of patterns are tried only when the sentence holds a stem they need (speed only).
    active = not st.stems.isdisjoint(ACTIVE_STEMS)
    verbs = lang == "fr" or not st.stems.isdisjoint(VERB_STEMS) or not st.hints.isdisjoint(_VERB_HINTS)
    has_join = not st.hints.isdisjoint(_JOINS)
    # Order matters: a sum or a subject claims its words before the numbers inside it count alone.
    if verbs:
        _passive_and_intransitive(st, has_join)
    if has_join and active:
        _active_groups(st)
    propose(st)
    _numbers(st)
    _active_singulars(st, active)
    if lang == "en":
        _pronounced(st)
        _left_and_found(st)
    if offset < HEAD_CHARS:  # a feed item is its title, then its body
        headlines(st)
    propose_late(st)
    _implied_deaths(st)
    if lang == "en":
        _ordinal_victims(st)
        if not st.found:
            _hurt_without_count(st)
    if not st.found:
        return []
    attrs = attributions(sentence, st.hints)
    may_doubt = (not st.hints.isdisjoint(_HEDGE_KEYS), not st.hints.isdisjoint(_CUMULATIVE_KEYS))
    spans = clauses(sentence) if not st.hints.isdisjoint(_CLAUSE_KEYS) else ((0, len(sentence)),)
    return [_make(sentence, offset, *spec[:8], attrs, **spec[8], may_doubt=may_doubt, spans=spans)
            for spec in st.found]


_SOFT_HYPHEN = "\u00ad"
_QUOTED_FIGURE = re.compile(r"(«\s*)((?:dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine|"
                            r"soixantaine|centaine|millier)s?)(\s*»)")


def mentions(text: str, lang: str | None = None) -> list[Mention]:
    """Every casualty mention in a text, in reading order."""
    if _SOFT_HYPHEN in text:
        return _without_soft_hyphens(text, lang)
    lang = lang if lang in ("en", "fr") else detect_lang(text)
    given = text
    if lang == "fr" and "«" in text:
        # "une « soixantaine » de morts": quote marks around the figure's word are read as spaces
        # (same length, so every offset and quote stays the text's own).
        text = _QUOTED_FIGURE.sub(lambda m: " " * len(m.group(1)) + m.group(2) + " " * len(m.group(3)), text)
    out: list[Mention] = []
    for start, end, stems in trigger_sentences(text):
        out.extend(sentence_mentions(text[start:end], start, lang, text, stems))
    out.sort(key=lambda m: m.claim.start)
    # Where the text turns to another incident, after telling of its own: later figures are background.
    moved_on = other_incident_at(text, out[0].claim.end) if out else None
    if moved_on is not None:
        out = [replace(m, background=True) if m.claim.start >= moved_on else m for m in out]
    out = [with_scope(m) for m in placed(out, text)]
    if given is not text:
        out = [replace(m, claim=replace(m.claim, quote=given[m.claim.start:m.claim.end])) for m in out]
    return out


def _without_soft_hyphens(text: str, lang: str | None) -> list[Mention]:
    """Soft hyphens (U+00AD, invisible line-break hints a CMS leaves in words: "neigh\u00adbor") are
    read as absent; quotes and spans stay those of the text as given."""
    keep = [i for i, ch in enumerate(text) if ch != _SOFT_HYPHEN]
    keep.append(len(text))
    out = []
    for m in mentions("".join(text[i] for i in keep[:-1]), lang):
        c = m.claim
        start, end = keep[c.start], keep[c.end - 1] + 1 if c.end > c.start else keep[c.start]
        out.append(replace(m, claim=replace(c, start=start, end=end, quote=text[start:end])))
    return out


def extract_claims(text: str, lang: str | None = None) -> list[Claim]:
    """Every casualty figure in a text, with qualifier, source and quote; lang is "en"/"fr" or detected."""
    return [m.claim for m in mentions(text, lang)]
