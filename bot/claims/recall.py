"""Candidate figures the older patterns missed (issue 10, step 3): tolls that rise or are revised ("rose to 130",
"has risen from 25 to 40", "s'est alourdi à", "est passé de 25 à 40"), active verbs with a count
("Jihadists kill at least 40", "executed 83 men", "beheaded three farmers"), active verbs with an
implicit single victim ("shot dead the village chief"), long subjects ("Seven employees of popular
Afghan TV channel TOLO were killed") and an age that is not a count ("un homme de 45 ans a été tué").

Each function reads one sentence (reading.Sentence) and adds figures with `st.add`; they run
before the generic number patterns, so a figure they take is not read again as something else.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .distractors import distractor_class
from .figures import noun_run
from .lead_subject import lead_singulars
from .lexicon import PERSON_PLUR, who_of
from .patterns import NOT_PEOPLE_WORDS, SUBSET_BEFORE
from .lexicon import TOLL_NOUNS
from .numbers import find_quantities

_I = re.IGNORECASE

# --- a toll that rises: Y is the figure now, X (after "from" / "de") the one it replaces ---------
_RISE = {
    "en": re.compile(
        rf"\b(?P<toll>{TOLL_NOUNS['en']})(?:,?\s+[\w'’-]+){{0,30}}?,?\s+(?:has\s+|had\s+|have\s+|now\s+)?"
        r"(?:(?:rose|rises|risen|rising|climbed|climbs|jumped|jumps|increased|increases|grew|went\s+up|gone\s+up|"
        r"reached|reaches|soared|soars|fell|falls|fallen|dropped|drops|"
        r"(?:been\s+|was\s+|is\s+)?(?:revised|corrected|lowered|raised|updated)(?:\s+(?:down|downwards?|up|upwards?))?)"
        r"(?:\s+(?:sharply|further|again))?(?:\s+from\s+(?P<x>[^,;.]{1,30}?))?\s+to|"
        r"(?:been\s+|was\s+|is\s+)?(?:put|placed|estimated)\s+at|stands\s+at|stood\s+at)\s+", _I),
    "fr": re.compile(
        rf"\b(?P<toll>{TOLL_NOUNS['fr']}|bilan\s+humain)(?:,?\s+[\w'’-]+){{0,40}}?,?\s+"
        r"(?:s['’]est\s+(?:encore\s+)?(?:alourdi|aggravé)|s['’]alourdit|s['’]aggrave|est\s+passé|passe|passant|"
        r"est\s+monté|monte|a\s+grimpé|grimpe|"
        r"s['’]élève\s+désormais|a\s+augmenté|est\s+désormais\s+de|"
        r"(?:a\s+été\s+)?(?:revu|révisé|ramené|corrigé)(?:\s+à\s+la\s+(?:baisse|hausse))?)"
        r"(?:,?\s+passant)?(?:\s+(?:désormais|maintenant|encore))?(?:\s+de\s+(?P<x>[^,;.]{1,30}?))?\s+à\s+", _I),
}
_RISE_WORDS = {"en": ("toll", "number", "count"), "fr": ("bilan", "nombre")}
_INJURED_AFTER = re.compile(r"\s*(?:[\w'’-]+\s+){0,2}?(?:injured|wounded|blessés?|blessées?)\b", _I)


def _first_quantity(sentence: str, start: int, lang: str, within: int = 3):
    """The quantity that starts within a few characters of `start`, not a distractor, or None."""
    for q in find_quantities(sentence[start:start + 60], lang):
        if q.start > within:
            return None
        q = replace(q, start=q.start + start, end=q.end + start)
        return None if distractor_class(sentence, q) else q
    return None


def rising_tolls(st) -> None:
    """"The death toll ... rose to 130", "has risen from 25 to 40", "Le bilan est passé de 25 à 40 morts"."""
    sentence, lang = st.text, st.lang
    if not any(w in st.low for w in _RISE_WORDS[lang]):
        return  # no toll noun (speed only)
    for m in _RISE[lang].finditer(sentence):
        y = _first_quantity(sentence, m.end(), lang)
        if y is None or not st.free(y.start, y.end):
            continue
        metric = "injured" if _INJURED_AFTER.match(sentence, y.end) else "killed"
        st.add(metric, m.start("toll"), y.end, y.value, y.low, y.high, y.qualifier, y.vague, (y.start, y.end))
        if m.group("x"):
            xs = find_quantities(m.group("x"), lang)
            x = replace(xs[0], start=xs[0].start + m.start("x"), end=xs[0].end + m.start("x")) if xs else None
            if x is not None and xs[0].start == 0 and st.free(x.start, x.end):
                st.add(metric, x.start, x.end, x.value, x.low, x.high, x.qualifier, x.vague, history=True)


# --- an active verb and its count: "kill at least 40", "executed 83 men", "beheaded three" -----
_ACTIVE_VERBS = {
    "en": set("""kill kills killed killing execute executes executed executing behead beheads beheaded beheading
massacre massacres massacred massacring slaughter slaughters slaughtered slaughtering murder murders murdered murdering
wound wounds wounded wounding injure injures injured injuring""".split())
    | {"massacre of", "massacres of", "murder of", "murders of", "killing of", "killings of", "execution of",
       "executions of", "deaths of", "beheading of", "assassination of", "slaughter of"}
    | {"shot dead", "shoot dead", "shoots dead", "shooting dead", "gunned down", "gun down", "guns down",
       "gunning down", "burned alive", "burnt alive", "hacked to death", "stabbed to death"},
    "fr": set("""tue tuent tué tuant exécute exécutent exécuté exécutant abattu abattent abattant massacre massacrent
massacré massacrant égorge égorgent égorgé égorgeant décapite décapitent décapité décapitant blesse blessent blessant
blessé""".split()) | {"mort de", "assassinat de", "exécution de", "meurtre de"},
}
_INJURE_VERB = re.compile(r"wound|injur|bless", _I)
# What may follow the count: people, not things ("killed 2 years ago", "shot 3 times").
_THING_AFTER = re.compile(r"\s*(?:years?|months?|weeks?|days?|hours?|minutes?|times?|rounds?|shots?|ans|mois|fois|"
                          r"jours?|heures?|%|percent|per\s+cent|kilomet|km|miles?)\b", _I)


_NEXT_WORD = re.compile(r"\s+(?:de\s+|d['’])?([\w-]+)")


def active_counts(st) -> None:
    """"Jihadists kill at least 40 in ...", "executed 83 men", "beheaded three farmers"."""
    sentence, lang = st.text, st.lang
    for q in quantities(st):
        if (q.value is None and q.vague is None) or not st.free(q.start, q.end):
            continue
        verb = _verb_before(sentence, q.start, lang)
        if verb is None or not st.free(verb, q.start) or distractor_class(sentence, q):
            continue
        if _THING_AFTER.match(sentence, q.end) or (q.value is not None and 1900 <= q.value <= 2100):
            continue
        nxt = _NEXT_WORD.match(sentence, q.end)
        if nxt and nxt.group(1).lower() in NOT_PEOPLE_WORDS[lang]:
            continue  # "killed 73 cows": animals or things are no toll
        metric = "injured" if _INJURE_VERB.search(sentence, verb, q.start) else "killed"
        de = _DE.match(sentence, q.end) if lang == "fr" else None
        at = de.end() if de else q.end
        run = _noun_len(sentence, at) or noun_run(sentence[at:at + 60], lang)
        end = (at if run else q.end) + run
        st.add(metric, verb, end, q.value, q.low, q.high, q.qualifier, q.vague, (verb, q.end))


def _verb_before(sentence: str, at: int, lang: str) -> int | None:
    """Where the active casualty verb that ends right before `at` starts, or None (read with str
    methods on the last three words, not a regex over the sentence: this runs for every figure)."""
    words = sentence[max(0, at - 30):at].split()
    for n in (3, 2, 1):
        if len(words) >= n and " ".join(words[-n:]).lower() in _ACTIVE_VERBS[lang]:
            return sentence.rfind(words[-n], 0, at)
    return None


def quantities(st) -> list:
    """The sentence's quantities, found once and shared with the generic number patterns."""
    if st.qs is None:
        st.qs = find_quantities(st.text, st.lang)
    return st.qs


_NOUN = re.compile(r"(?:\s+(?:other|more|of\s+the|civilian|unarmed|young|local|innocent|autres?)){0,2}"
                   r"\s+(?:people|persons|civilians|villagers|men|women|children|soldiers|troops|police(?:men)?|"
                   r"officers|farmers|worshippers|students|pupils|miners|herders|fishermen|passengers|members|"
                   r"employees|workers|fighters|personnes|civils|villageois|hommes|femmes|enfants|soldats|militaires|"
                   r"gendarmes|policiers|orpailleurs|éleveurs|paysans|fidèles|élèves|passagers)\b", _I)


_DE = re.compile(r"\s+d(?:e|['’])", _I)


def _noun_len(sentence: str, at: int) -> int:
    m = _NOUN.match(sentence, at)
    return m.end() - at if m else 0


# --- a long subject before the verb: "Seven employees of popular Afghan TV channel TOLO were killed"
_LONG_VERB = {
    "en": re.compile(r"\s+(?:were|have\s+been|had\s+been|are|got)\s+(?:(?:\w+ly|yesterday|also|so\s+far|feared|confirmed|"
                     r"on\s+\w+(?:\s+\[[^\]]*\])?)\s+){0,2}(?:among\s+(?:those|the)\s+)?(?P<cw>killed|dead|slain|murdered|executed|"
                     r"beheaded|decapitated|shot\s+dead|(?:shot|stabbed|hacked|beaten|burned|burnt)\s+to\s+death|set\s+ablaze|burn[te]d?\s+alive|"
                     r"gunned\s+down|massacred|(?:attacked|ambushed|waylaid|abducted|kidnapped|captured|tortured)\s+and\s+killed|wounded|injured|"
                     r"hurt)\b|\s+(?P<died>died|perished|drowned)\b", _I),
    "fr": re.compile(r"\s+(?:ont\s+été|sont|avaient\s+été)\s+(?:\w+ment\s+)?(?P<cw>tués|tuées|abattus|exécutés|massacrés|"
                     r"assassinés|morts|mortes|blessés|blessées)\b", _I),
}
_PEOPLE = {lang: {w.lower() for w in PERSON_PLUR[lang]} | {
    "people", "persons", "civilians", "villagers", "men", "women", "children", "soldiers", "troops", "policemen",
    "officers", "farmers", "worshippers", "students", "pupils", "miners", "herders", "fishermen", "passengers",
    "members", "employees", "workers", "fighters", "personnes", "civils", "villageois", "hommes", "femmes", "enfants",
    "soldats", "militaires", "gendarmes", "policiers", "orpailleurs", "éleveurs", "paysans", "fidèles", "élèves",
    "passagers", "others", "autres", "persons", "residents", "guards", "staff", "victims", "victimes",
} for lang in ("en", "fr")}
_STOPS = {
    "en": {"said", "says", "and", "who", "which", "that", "when", "while", "after", "before", "as", "but", "or", "if",
           "had", "has", "have", "was", "were", "is", "are", "been", "according", "then", "also", "where"},
    "fr": {"qui", "que", "et", "a", "ont", "ou", "mais", "lorsque", "quand", "après", "avant", "selon", "est"},
}
_INCLUDING = re.compile(r",\s+(?:including|among\s+them|dont|parmi\s+lesquels)\s+[^,]{1,60},", _I)
_HURT = ("wounded", "injured", "hurt", "blessés", "blessées")


def _one_side_attackers(subject: str, join, q2) -> bool:
    """Whether exactly one of two joined counts names attackers ("11 civilians and 43 rebel fighters")."""
    first, second = subject[:join.start()], subject[join.end() + (q2.end - q2.start):]
    return (who_of(first) == "attackers") != (who_of(second) == "attackers")


def long_subjects(st) -> None:
    """A count, up to ten words naming who, then a passive casualty verb; two counts joined by
    "and" are their sum ("Eight Christians and one member of the Yazidi sect were killed": 9)."""
    sentence, lang = st.text, st.lang
    qs = quantities(st)
    if not any(q.value is not None and q.value >= 2 for q in qs) or _LONG_VERB[lang].search(sentence) is None:
        return  # no count, or no passive casualty verb to read it back from (cheap tests first; speed only)
    for k, q in enumerate(qs):
        if q.value is None or q.value < 2 or not st.free(q.start, q.end) or distractor_class(sentence, q):
            continue
        if SUBSET_BEFORE.search(sentence, max(0, q.start - 30), q.start):
            continue  # "including 10 foreigners": a part, read by the subset patterns
        rest = sentence[q.end:q.end + 160]
        comma = rest.find(",")
        first = _LONG_VERB[lang].search(rest)
        if first is None:
            continue
        inc = _INCLUDING.match(rest, comma) if 0 <= comma < 60 and comma < first.start() else None
        cut = rest[:inc.start()] + " " + rest[inc.end():] if inc else rest
        v = _LONG_VERB[lang].search(cut)
        if v is None:
            continue
        subject = _ASIDE.sub(" ", _COMMA_ASIDE.sub(" ", cut[:v.start()]))
        subject = _without_parts(subject, q.value, lang)
        subject = _INCLUDING_TAIL.sub("", subject).rstrip(", ")
        total, used_end = q.value, q.end
        join = _AND_COUNT.search(subject)
        if join and k + 1 < len(qs):
            q2 = qs[k + 1]
            animal = _NEXT_WORD.match(sentence, q2.end)
            if animal and animal.group(1).lower() in NOT_PEOPLE_WORDS[lang]:
                subject = subject[:join.start()]  # "Twenty herdsmen and 83 cows were killed": the herdsmen
            elif q2.start == q.end + join.end() and q2.value and _one_side_attackers(subject, join, q2):
                # "11 civilians and 43 rebel fighters had been killed": the victims, and the attackers apart
                metric = "injured" if (v.group("cw") or "").lower() in _HURT else "killed"
                first_who, end = subject[:join.start()], q.end + v.end()
                for n, who in ((q.value, first_who), (q2.value, subject[join.end() + (q2.end - q2.start):])):
                    st.add(metric, q.start, min(end, len(sentence)), n, n, n, who_text=who, used=(q.start, q2.end))
                continue
            elif q2.start == q.end + join.end() and q2.value and q.qualifier == q2.qualifier == "exact":
                total, used_end = q.value + q2.value, q2.end
                subject = subject[:join.start()] + " " + subject[join.end() + (q2.end - q2.start):]
        if _OF_THEM.match(subject):
            continue  # "Five people, two of them children, were killed": the two are a part (the subset patterns)
        words = subject.split()
        # "six civilians on the Pakistani side in the Nikial and Jandrot areas had been killed": a people noun
        # first, then where they were, may run longer and name places joined by "and".
        placed = bool(words) and words[0].lower() in _PEOPLE[lang] and not _AND_PERSON.search(subject)
        stops = _STOPS[lang] - {"and", "et"} if placed else _STOPS[lang]
        if not 1 <= len(words) <= (25 if placed else 10) or any(w.lower() in stops or any(ch.isdigit() for ch in w)
                                                                for w in words) or "," in subject or ";" in subject:
            continue
        low = [w.lower() for w in words]
        if not any(w in _PEOPLE[lang] for w in low) and (any(w in NOT_PEOPLE_WORDS[lang] for w in low)
                                                         or not any(w.endswith("s") for w in low[:3])):
            continue  # "Two dogs were killed": only people are casualties
        end = q.end + v.end() + (inc.end() - inc.start() - 1 if inc else 0)
        metric = "injured" if (v.group("cw") or "").lower() in _HURT else "killed"
        high = q.high if total == q.value else total
        st.add(metric, q.start, min(end, len(sentence)), total, total if total != q.value else q.low, high,
               q.qualifier, q.vague, (q.start, used_end))


_ASIDE = re.compile(r"\s*\[[^\]]*\]|\s*\([^)]*\)")
# ", all related,", ", most of them vendors,", ", mostly women,": an aside about who they were.
_COMMA_ASIDE = re.compile(r",\s+(?:all|mostly|most\s+of\s+them|many\s+of\s+them|among\s+them|[\w-]+\s+of\s+(?:them|whom)|"
                          r"dont)\s+[^,;]{1,40},", _I)
_OF_THEM = re.compile(r"\s*(?:of\s+(?:them|whom|those)|d['’]entre\s+(?:eux|elles)|parmi\s+(?:eux|elles))\b", _I)
_PARTS = re.compile(r",\s+(?P<parts>[^,;]{3,80}),")


def _without_parts(subject: str, value: int, lang: str) -> str:
    """"Six people, two Turkish nationals and four Somalis, were killed": the parts between commas
    add up to the count, so they are its breakdown, not a new subject."""
    m = _PARTS.search(subject)
    if m is None:
        return subject
    parts = [p.value for p in find_quantities(m.group("parts"), lang) if p.value is not None and not p.vague]
    if len(parts) >= 2 and sum(parts) == value:
        return subject[:m.start()] + " " + subject[m.end():]
    return subject


_AND_PERSON = re.compile(r"\b(?:and|et)\s+(?:\w+\s+)?(?:a|an|the|his|her|their|one|two|three|four|five|"
                         r"several|other|others|un|une|des|les|deux|trois)\b", _I)
_INCLUDING_TAIL = re.compile(r"\s+(?:including|among\s+them|dont)\s.*$", _I)
_AND_COUNT = re.compile(r"\s+(?:and|et)\s+(?=\S)", _I)


# --- an age is not a count: "Un homme de 45 ans a été tué", "a 45-year-old man was killed" ---
_AGED_ONE = {
    "fr": re.compile(r"\b(?P<np>(?:un|une)\s+(?:homme|femme|enfant|jeune|garçon|fille|civil|soldat|militaire|policier|"
                     r"gendarme|commerçant|berger|éleveur|enseignant|imam|chef|élu|orpailleur|adolescent|vieillard)"
                     r"(?:\s+âgée?)?\s+(?:de\s+)?\d{1,3}\s+ans)\s+(?:a\s+été|est|a)\s+(?P<cw>tuée?|abattue?|assassinée?|"
                     r"exécutée?|morte?|décédée?|blessée?|grièvement\s+blessée?)\b", _I),
}


def aged_singulars(st) -> None:
    """One person whose age the sentence gives: the age is not a count, the person is one."""
    rx = _AGED_ONE.get(st.lang)
    if rx is None:
        return
    for m in rx.finditer(st.text):
        if st.free(m.start(), m.end()):
            metric = "injured" if "bless" in m.group("cw").lower() else "killed"
            st.add_one(metric, m.start(), m.end(), who_text=m.group("np"))


_NP = (r"(?:a|an|the|one|another)(?:\s+(?!(?:in|on|at|of|by|near|and|or|with|from|during|after|while|when|who|"
       r"that|which|as|to|for|was|were|is|has|had|last|on|this|yesterday|today)\b)[\w'’-]+){1,4}")
_ONE_VERB = (r"(?:found\s+dead|shot\s+to\s+death|shot\s+dead|shot\s+and\s+killed|killed|beheaded|murdered|assassinated|hacked\s+to\s+death|"
             r"stabbed\s+to\s+death|gunned\s+down|executed|slain|lynched|burned\s+to\s+death|"
             r"stabbed\s+and\s+(?:then\s+)?beheaded|abducted\s+and\s+killed)")
# "A muezzin -- the person ... -- was shot dead", "A Local administrator has been shot and killed".
_PASSIVE_ONE = re.compile(rf"\s*(?P<np>(?-i:A|An|a|an|The)\s[^.;]{{1,110}}?)\s+(?:was|has\s+been|had\s+been)\s+"
                          rf"(?:\w+ly\s+)?(?:found\s+)?{_ONE_VERB}\b", _I)
# "Cecilia Coicue, the owner of the land ..., has been murdered on her farm".
_NAMED_ONE = re.compile(rf"\s*(?P<np>(?-i:(?:[A-Z][\w'’.-]+\s+){{1,3}}[A-Z][\w'’-]+))(?:,[^.;]{{1,140}}?,)?\s+"
                        rf"(?:was|has\s+been|had\s+been)\s+(?:\w+ly\s+)?(?:found\s+)?{_ONE_VERB}\b", _I)
# "Gunmen killed a village head", "killed the head of a village".
_ACTIVE_ONE = re.compile(rf"\b(?=[kmabeshgKMABESHG])(?:killed|murdered|assassinated|beheaded|executed|shot\s+dead|gunned\s+down|"
                         rf"hacked\s+to\s+death|stabbed\s+to\s+death)\s+(?P<np>{_NP})", _I)
# "the killing of a local leader", "the murder of a Christian convert".
_NOMINAL_ONE = re.compile(rf"\b(?=[kmabehlKMABEHL])(?:killing|murder|assassination|beheading|hacking\s+to\s+death|execution|"
                          rf"lynching)\s+of\s+(?P<np>{_NP})", _I)
_NOT_PERSON_END = re.compile(r"(?:s|engine|time|day|night|week|year|attack|bomb|plan|deal|bill|motion|hopes?|talks)$", _I)
_ONE_STEMS = {"kill", "murder", "assassin", "behead", "execut", "slain", "shot", "gunned", "stab", "hack", "lynch"}


def single_victims(st) -> None:
    """One victim told with a long subject, an active verb or a noun: the sentence counts one person."""
    if st.lang != "en" or (st.stems.isdisjoint(_ONE_STEMS) and "behead" not in st.low) or st.found_metric("killed"):
        return  # only for a sentence that counts no death yet
    sentence, low = st.text, st.low
    passive = " was " in low or " been " in low
    for rx in (_PASSIVE_ONE, _NAMED_ONE, _ACTIVE_ONE, _NOMINAL_ONE):
        if (rx is _NOMINAL_ONE and " of " not in low) or (rx is not _ACTIVE_ONE and rx is not _NOMINAL_ONE and not passive):
            continue  # a cheap test first (speed only)
        at_start = rx is _PASSIVE_ONE or rx is _NAMED_ONE
        for m in ((rx.match(sentence),) if at_start else rx.finditer(sentence)):
            if m is None:
                continue
            np = m.group("np")
            words = np.split()
            if not at_start and (_NOT_PERSON_END.search(words[-1]) and words[-1].lower() not in ("boss",)):
                continue  # "killed the engine", "killed three people" is a count, not one person
            if rx is _PASSIVE_ONE and (any(ch.isdigit() for ch in np) or re.search(r"\b(?:and|et)\b", np)):
                continue  # "A man and his son were ...": the sum patterns read those
            start = m.start("np") if at_start else m.start()
            if st.free(start, m.end()) and not st.found_metric("killed"):
                # Someone described ("A former Yates basketball star") is not a name to count apart.
                st.add_one("killed", start, m.end(), who_text=np, entity_text=np if rx is _NAMED_ONE else "a person")


# --- "a family of seven": the family is its count ----------------------------------------------
_FAMILY = re.compile(r"\b(?:a|an|the|his|her|their|one|entire|whole)\s+(?:[\w-]+\s+)?family\s+of\s+(?P<n>[\w-]+)\b", _I)
_FAMILY_VERB_BEFORE = re.compile(r"\b(?:killed|killing|slaughtered|slaughtering|massacred|massacring|murdered|murdering|"
                                 r"shot\s+dead|wiped\s+out|executed|executing)\s+$", _I)
_FAMILY_VERB_AFTER = re.compile(r"\s+(?:was|were|has\s+been|have\s+been|had\s+been)\s+(?:\w+ly\s+)?(?:killed|murdered|"
                                r"slain|massacred|shot\s+dead|wiped\s+out|found\s+dead|executed)\b|\s+(?:died|perished)\b", _I)


def families(st) -> None:
    """"slaughtered a family of seven", "a family of five was killed": as many as the family counts."""
    if "family" not in st.low:
        return
    for m in _FAMILY.finditer(st.text):
        q = next(iter(find_quantities(m.group("n"), st.lang)), None)
        if q is None or q.value is None or q.value < 2 or not st.free(m.start(), m.end()):
            continue
        before = _FAMILY_VERB_BEFORE.search(st.text, max(0, m.start() - 30), m.start())
        after = _FAMILY_VERB_AFTER.match(st.text, m.end())
        if before or after:
            start = before.start() if before else m.start()
            end = after.end() if after else m.end()
            st.add("killed", start, end, q.value, q.value, q.value, used=(start, end))


def propose(st) -> None:
    """Every pattern of this module, most specific first."""
    families(st)
    rising_tolls(st)
    aged_singulars(st)
    long_subjects(st)
    active_counts(st)


def propose_late(st) -> None:
    """The single-victim patterns: after the older ones, which know names and appositions."""
    single_victims(st)
    lead_singulars(st)
