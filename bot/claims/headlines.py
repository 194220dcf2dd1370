"""Telegraphic titles and title-like phrases: "Man shot, killed on Detroit's west side", "after man shot
inside". A feed item is its title, then its body: these run on the first sentences only."""

from __future__ import annotations

import re

from . import patterns as P


_PROSE_AUX = {"was", "were", "has", "have", "been"}


def headlines(st) -> None:
    """Telegraphic titles: "Man shot, killed on Detroit's west side", "after man shot inside"."""
    sentence = st.text
    candidates = [P.HEADLINE.match(sentence)] + (list(P.BARE.finditer(sentence)) if st.lang == "en" else [])
    for m in candidates:
        if not m or not st.free(m.start("np"), m.end()):
            continue
        rest = m.group("rest")
        words = re.findall(r"[\w'’-]+", rest)
        if not words or words[0].lower() in ("and", "et", "who", "qui", "says", "said", "was", "is", "has", "had"):
            continue
        if _PROSE_AUX.intersection(w.lower() for w in words):
            continue  # "Muslim cleric working for ... was shot dead": prose, whose subject runs on
        if P.HEAD_ACTIVE_REST.match(rest) or P.DET_BEFORE.search(sentence, 0, m.start("np")):
            continue  # "A man shot his wife": the noun is the shooter, and this is prose, not a title
        metric = ("killed" if P.HEAD_KILLED.search(rest) else "injured" if P.HEAD_INJURED.search(rest)
                  else "shot" if P.HEAD_SHOT.search(rest) else None)
        if metric:
            st.add_one(metric, m.start("np"), m.end(), who_text=m.group("np"))
