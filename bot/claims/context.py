"""Where a figure stands in its text, beyond its own sentence: a past event told in the
pluperfect ("une trentaine de personnes avaient été tuées" in 2018), an earlier toll the text
replaces ("un premier bilan évoquait 25 soldats tués"), and the side bar of other stories'
headlines a page carries after its article ("Lire la suite", "Read more"); then the scope each
claim carries from all that (scope_of)."""

from __future__ import annotations

import re
from dataclasses import replace

import ahocorasick

_I = re.IGNORECASE

# A past event told in passing: the French pluperfect around the figure.
# Verbs of an attack too: "avait subi une attaque ...", "avaient déclenché leurs charges ..., faisant 41 morts"
# (not "avait fait": that is as often the current event's earlier count; measured, it lost held-out texts).
_PLUPERFECT = re.compile(r"\bav(?:ai(?:en)?t|ions)\s+(?:été\s+|déjà\s+)?(?:tué|tués|tuées|tuée|perdu|coûté|"
                         r"subi|déclenché|frappé|visé|attaqué|ciblé|endeuillé)", _I)
# An earlier event named by its year: "fired over the 2011 killing of five Chechen women",
# "le massacre de 2019 a fait 38 morts".
_YEAR_EVENT = re.compile(r"\b(?:the\s+(?:19|20)\d\d\s+(?:killings?|massacres?|murders?|attacks?|bombings?)(?:\s+of)?|"
                         r"(?:le|la|l['’])\s*(?:massacre|attaque|attentat|tuerie)s?\s+de\s+(?:19|20)\d\d"
                         r"(?:\s+(?:a|avait|ont|avaient)\s+fait)?)\s", _I)
# An earlier toll the text replaces (each branch opens on one of a few letters: re scans for them fast).
_EARLIER = re.compile(r"(?=[pPbBeEiIfF])(?:(?:premier|précédent)\s+bilan|bilan\s+(?:initial|précédent)|"
                      r"(?:earlier|previous|initial|first)\s+(?:death\s+)?toll|initially\s+(?:said|reported)|"
                      r"earlier\s+(?:reports?|figures?)\s+(?:said|put|had))", _I)
# The end of the article on a web page: what follows is other stories.
_SIDEBAR = re.compile(r"\b(?:Lire\s+(?:la\s+suite|aussi)|À\s+lire\s+(?:aussi|également)|Read\s+more|Related\s+(?:stories|articles)|"
                      r"Sur\s+le\s+même\s+sujet|Les\s+plus\s+lus|Most\s+read)\b", _I)
# A part told as one of a larger group: "12 children were among those killed", "figurent parmi les blessés".
_AMONG = re.compile(r"(?:among\s+(?:those|the)\s+(?:killed|dead|wounded|injured|victims|casualties)|"
                    r"parmi\s+les\s+(?:morts|tués|blessés|victimes))", _I)
_CHARS = 60  # how far before a figure an "earlier toll" may sit
_PAST_CHARS = 90  # and its clause's pluperfect ("avaient déclenché leurs charges en plein marché, ..., faisant 41 morts")


def sidebar_at(text: str) -> int | None:
    """Where a page's side bar of other stories begins, if it has one."""
    m = _SIDEBAR.search(text)
    return m.start() if m else None


# The words each pattern needs, found in one Aho-Corasick pass over the text (speed only).
_GATES = {
    "side": ("lire", "read more", "related", "plus lus", "most read", "même sujet"),
    "plus": ("avai", "avions"),
    "earlier": ("bilan", "toll", "initially", "earlier"),
    "among": ("among", "parmi"),
    "year": (" killing", " killings", " massacre", " murder", " attack", " bombing", "massacre de", "attaque de",
             "attentat de", "tuerie de"),
}
_GATE = ahocorasick.Automaton()
for _group, _words in _GATES.items():
    for _w in _words:
        _GATE.add_word(_w, _group)
_GATE.make_automaton()


def _year_event_at(text: str, start: int) -> bool:
    """Whether a figure at `start` is told as part of an earlier event named by its year."""
    return any(m.start() < start <= m.end() + 2 for m in _YEAR_EVENT.finditer(text, max(0, start - 45), start + 30))


def _spans(rx: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in rx.finditer(text)]


def placed(ms: list, text: str) -> list:
    """The mentions with background/history/elsewhere/subset set from their surroundings in the text."""
    if not ms:
        return ms
    groups = {g for _end, g in _GATE.iter(text.lower())}
    if not groups:
        return ms
    side = sidebar_at(text) if "side" in groups else None
    plus = _spans(_PLUPERFECT, text) if "plus" in groups else []
    earlier = _spans(_EARLIER, text) if "earlier" in groups else []
    among = _spans(_AMONG, text) if "among" in groups else []
    if side is None and not plus and not earlier and not among and "year" not in groups:
        return ms
    out = []
    for m in ms:
        c = m.claim
        if side is not None and c.start >= side:
            m = replace(m, elsewhere=True)
        elif not m.history and any(c.start - _CHARS <= e <= c.start for _s, e in earlier):
            m = replace(m, history=True)
        elif not m.background and (any(c.start - _PAST_CHARS <= a and b <= c.end + 30 for a, b in plus)
                                   or ("year" in groups and _year_event_at(text, c.start))):
            m = replace(m, background=True)
        elif not m.subset and any(c.start <= a <= c.end + 50 for a, _b in among):
            m = replace(m, subset=True)
        out.append(m)
    return out


# --- the scope a claim carries (issue 11): event | subset | attackers | other_event | cumulative | history

def scope_of(m) -> str:
    """What a figure counts, as the ledger needs it: the event's own toll or something else."""
    if m.history:
        return "history"  # "rose from 25 to 40": the 25
    if m.claim.who == "attackers":
        return "attackers"
    if m.subset:
        return "subset"
    if m.background or m.elsewhere:
        return "other_event"
    if m.cumulative:
        return "cumulative"
    return "event"


def with_scope(m):
    """The mention with its claim's scope set (a claim is frozen: replaced only when not "event")."""
    scope = scope_of(m)
    return m if scope == m.claim.scope else replace(m, claim=replace(m.claim, scope=scope))
