"""Who gives a figure: attribution phrases in a sentence and the class of source they name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .lexicon import alt, guarded

# Checked in this order: the first class whose words appear in the attribution wins, so that
# "a security source at the ministry" is security_sources and "health ministry" is official.
_CLASS_WORDS = [
    ("leaked_documents", r"confidential|confidentiel|leaked|internal\s+(?:documents?|reports?|memos?|notes?)|documents?\s+(?:seen|obtained|consulted)|"
                         r"documents?\s+confidentiels?|note\s+interne|rapport\s+interne|documents?\s+internes?|"
                         r"documents?\s+consultés?|documents"),
    ("perpetrator_claim", r"\bthe\s+group\b|\ble\s+groupe\b|jnim|gsim|jama['’]?a|nusrat|jihadists?|djihadistes?|jihadistes?|"
                          r"\bmilitants?\b|insurgents?|islamic\s+state|\bisis\b|iswap|eigs|boko\s+haram|shabaab|"
                          r"al[-\s]?qa[ie]da|aqmi|[ée]tat\s+islamique|\bei\b|\brebels?\b|\brebelles?\b|\bfla\b|\bcsp\b|amaq|az-zallaqa|"
                          r"ansarul|the\s+attackers|les\s+assaillants|propagande|propaganda|its\s+communication\s+channels"),
    ("un_ngo", r"(?-i:\bU\.?N\b\.?)|united\s+nations|nations\s+unies|\bonu\b|ocha|minusma|unicef|unhcr|hcr|world\s+health\s+organi[sz]ation|(?-i:(?<![A-Z]{2}\s)\bWHO\b(?!\s+[A-Z]{2}))|amnesty|"
               r"human\s+rights\s+watch|\bhrw\b|red\s+cross|croix-rouge|\bicrc\b|\bcicr\b|\bmsf\b|médecins\s+sans|"
               r"doctors\s+without|\bngos?\b|\bong\b|acled|humanitarian|humanitaires?|rights\s+groups?"),
    ("official", r"health\s+ministry|ministry\s+of\s+health|ministère\s+de\s+la\s+santé|minist(?:er|ry|re|ère)"),
    ("medical", r"hospitals?|hôpital|hospitali[eè]re?s?|medical|médica(?:l|le|ux|les)|doctors?|médecins?|health\s+workers?|"
                r"nurses?|paramedics?|morgue|clinic|coroner|medical\s+examiner|\bems\b|sanitaires?|\bchu\b|secouristes?|"
                r"rescuers?|ambulance"),
    ("security_sources", r"security\s+(?:sources?|officials?|officers?)|sources?\s+(?:sécuritaires?|militaires?|de\s+sécurité|"
                         r"security|military)|military\s+sources?|intelligence\s+sources?|sécuritaires?|"
                         r"(?:an?|one)\s+(?:unnamed\s+|senior\s+)?(?:military|army)\s+(?:officer|official|source)"),
    ("witnesses", r"witness(?:es)?|témoins?|\bresidents?\b|\bhabitants?\b|\blocals\b|\ba\s+local\b(?!\s+(?:official|leader|chief|administrator|authority|government|councillor|elected|lawmaker|MP|police|security))|survivors?|rescapés?|"
                  r"villagers?|villageois|relatives|proches"),
    ("official", r"police|authorit(?:y|ies)|autorités|government|gouvernement|\barmy\b|armée|military|militaire|"
                 r"presiden(?:cy|t)|présiden(?:ce|t)|spokes(?:man|woman|person)|porte-parole|officials?|governor|gouverneur|"
                 r"mayor|\bmaire\b|prefect|préfet|state\s+(?:television|tv|media|broadcaster|radio)|"
                 r"télévision\s+(?:d['’]état|publique|nationale)|\bortm\b|\brtb\b|\brti\b|junta|junte|sheriff|fama\b|"
                 r"état-major|communiqué|gendarmerie|prosecutors?|procureur|department|investigators?|detectives?|"
                 r"fire\s+(?:department|officials)|troopers?|deputies|officers?|chief|commissioner|agency|"
                 r"statement|bilan\s+officiel|official|officiel(?:le)?s?|élus?\s+locaux|le\s+ministre|responsables?|"
                 r"authorities|the\s+state|l['’]état"),
    ("unattributed", r"other\s+reports|reports?|media|médias|sources?\s+locales?|d['’]autres\s+sources|sources?|press|presse"),
]
_CLASS_RE = [(cls, re.compile(guarded(p), re.IGNORECASE)) for cls, p in _CLASS_WORDS]
_PERPETRATOR_AT = next(i for i, (cls, _) in enumerate(_CLASS_RE) if cls == "perpetrator_claim")
_PERPETRATOR_RE = _CLASS_RE[_PERPETRATOR_AT][1]

SPEECH_VERBS = ([
    "said", "says", "say", "told", "tells", "reported", "reports", "report", "confirmed", "confirms",
    "acknowledged", "acknowledges", "admitted", "announced", "announces", "stated", "states",
    "claimed that", "claimed to", "claims that", "claims to", "claimed", "indicated", "indicate", "indicates",
    "estimated", "estimates", "suggested", "suggest", "suggests", "put the", "gave", "give", "counted",
    "recorded", "tallied", "revealed", "added", "noted", "explained", "wrote", "posted", "tweeted",
    "a indiqué", "ont indiqué", "indique", "indiquent", "a annoncé", "ont annoncé", "annonce", "annoncent",
    "a déclaré", "ont déclaré", "déclare", "a affirmé", "ont affirmé", "affirme", "affirment", "a reconnu",
    "ont reconnu", "reconnaît", "rapporte", "rapportent", "a rapporté", "fait état", "font état",
    "a fait état", "ont fait état", "a précisé", "précise", "a confirmé", "ont confirmé", "confirme",
    "confirment", "a dénombré", "dénombre", "recense", "a recensé", "évoque", "évoquent", "a évoqué",
    "avance", "avancent", "a avancé", "estime", "estiment", "a estimé", "a assuré", "assure", "a revendiqué",
    "revendique", "a communiqué", "a publié", "publie", "ont rapporté", "a raconté", "racontent", "raconte",
])
_SPEECH = alt(SPEECH_VERBS)
# Participles that report the figures of the clause's own subject: "GSIM claimed the attacks, stating ...".
_PARTICIPLE = alt(["stating", "saying", "claiming", "adding", "affirmant", "assurant", "précisant", "indiquant",
                   "annonçant", "revendiquant", "ajoutant"])

_ACCORDING = re.compile(
    r"(?<![\w'’-])(?=(?-i:[acqsdACQSD]))(?P<verb>according\s+to|citing|quoting|selon|d['’]après|de\s+sources?|de\s+source)\s+(?P<who>[^,.;:()\n]{1,80})",
    re.IGNORECASE,
)
_SPEECH_RE = re.compile(rf"(?<![\w'’-])(?P<verb>{_SPEECH})\b", re.IGNORECASE)
_SAID_WHO = re.compile(r"(?<![\w'’-])(?=[stSTaA])(?P<verb>said|says|told|a\s+indiqué|a\s+déclaré|a\s+précisé)\s+(?P<who>(?:the\s+|le\s+|la\s+)?[\w'’\-.]+(?:\s+[A-Z][\w'’\-.]+){0,4})")
# French puts the speaker after the verb: "..., a annoncé le gouverneur de la région."
_INVERTED = re.compile(
    r",\s*(?P<verb>(?:a|ont)\s+(?:annoncé|indiqué|précisé|affirmé|déclaré|ajouté|confirmé|rapporté|expliqué|assuré|"
    r"souligné|reconnu)|indique|précise|affirme|rapporte|explique|assure|selon)\s+(?:(?:lundi|mardi|mercredi|jeudi|"
    r"vendredi|samedi|dimanche|hier|mardi soir|à l['’]AFP|à RFI)\s+)?(?P<who>(?:le|la|les|l['’]|des|un|une|d['’])\s*[^,.;]{1,60})",
    re.IGNORECASE,
)
_PARTICIPLE_RE = re.compile(rf",\s*(?P<verb>{_PARTICIPLE})\b", re.IGNORECASE)
# Phrases that carry their own source: "the official death toll", "other reports suggest".
_INTRINSIC = re.compile(
    r"(?<![\w'’-])(?=(?-i:[ofbcdhsimtlOFBCDHSIMTL]))(?P<who>official\s+(?:death\s+)?(?:toll|tolls|reports?|figures?|count|tally|data|statistics)|"
    r"bilan\s+officiel|bilan\s+provisoire\s+officiel|chiffres?\s+officiels?|other\s+reports|"
    r"d['’]autres\s+sources|confidential\s+documents?|documents?\s+confidentiels?|internal\s+documents?|"
    r"hospital\s+(?:sources?|officials?|records)|sources?\s+(?:hospitali[eè]res?|médicales?)|"
    r"security\s+sources?|sources?\s+sécuritaires?|military\s+sources?|sources?\s+militaires?|"
    r"state\s+(?:television|tv|media)|télévision\s+d['’]état|télévision\s+nationale|"
    r"(?:the|le|la)\s+(?:army|military|armée|gouvernement|government)['’]s?\s+(?:toll|bilan|figures?))",
    re.IGNORECASE,
)
# A sentence without one of these words cannot hold an _INTRINSIC phrase (speed only).
INTRINSIC_WORDS = ("offici", "bilan", "chiffre", "other reports", "autres sources", "confiden", "document", "hospital",
                    "médical", "security", "sécuritaire", "militar", "state ", "télévision", "army", "armée",
                    "government", "gouvernement")
_TRAILING_AFTER = re.compile(
    r"\s*(?:(?:to\s+)?(?:AFP|Reuters|AP|the\s+BBC|RFI|VOA|journalists|reporters)\s*(?=[.,;)]|$)|on\s+\w+|in\s+(?:a|an)\s+\w+(?:\s+\w+)?|last\s+\w+|today|yesterday|earlier|later|"
    r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)?"
    r"(?:\s+(?:morning|evening|night|afternoon|soir|matin))?\s*(?:[.,;)]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Attribution:
    """One place where a sentence says who speaks, and which way its scope runs."""

    source: str
    words: str
    start: int
    end: int
    forward: bool  # covers figures after it ("police said two ...")
    backward: bool  # covers figures before it ("..., police said.")
    clause_only: bool = False  # "other reports", "the official toll": speaks only for its own clause


# "The group" names the armed group only when nothing else speaks with it: in "the group and
# medical officials said" the group is the aid group of the sentence before.
_BARE_GROUP = re.compile(r"\b(?:the\s+group|le\s+groupe)\b", re.IGNORECASE)


# A party to the fighting speaks for the attack only when it claims it: "Huthi rebels said an air raid by the
# coalition killed nine civilians" is the rebels' account of the other side's strike, not a claim of theirs.
# Named groups ("JNIM", "Islamic State") and "the group" keep their class; a generic word ("rebels",
# "militants") or a group the speaker stands against ("a militia member assisting the military against Boko
# Haram") does not, unless the sentence claims ("claimed", "said it killed", "revendique", "affirme avoir").
_GENERIC_PARTY = re.compile(r"^(?:rebels?|rebelles?|militants?|insurgents?|jihadists?|djihadistes?|jihadistes?)$",
                            re.IGNORECASE)
_AGAINST = re.compile(r"\b(?:against|fighting|contre)\s+(?:the\s+|les\s+)?(?:\w+\s+){0,2}$", re.IGNORECASE)
CLAIM_MARKERS = re.compile(r"claim|responsib|revendiq|propagand|\bamaq\b|\b(?:said|says|say)\s+(?:it|its|they|their)\b|"
                           r"\bavoir\s+(?:tué|abattu|neutralisé|exécuté)|its\s+fighters|ses\s+combattants", re.IGNORECASE)


def _first_class(rest: str, start: int) -> str | None:
    """The first source class from _CLASS_RE[start] on whose words `rest` holds, "unattributed" aside."""
    return next((c for c, r in _CLASS_RE[start:] if c != "unattributed" and r.search(rest)), None)


def speaks_for_the_attack(words: str, sentence: str) -> bool:
    """Whether an armed-group attribution is the group's own claim (see _GENERIC_PARTY)."""
    m = _PERPETRATOR_RE.search(words)
    if m is None:
        return True
    if _AGAINST.search(words, 0, m.start()):
        return False  # "assisting the military against Boko Haram": the other side
    return not _GENERIC_PARTY.match(m.group(0)) or bool(CLAIM_MARKERS.search(sentence))


def _without_the_group(words: str) -> str:
    """The class of an attribution once its armed-group words are set aside."""
    return _first_class(_PERPETRATOR_RE.sub(" ", words), _PERPETRATOR_AT + 1) or "unattributed"


@lru_cache(maxsize=256)
def classify(words: str) -> str:
    """The source class named by an attribution's words."""
    for i, (cls, rx) in enumerate(_CLASS_RE):
        m = rx.search(words)
        if not m:
            continue
        if cls == "perpetrator_claim" and _BARE_GROUP.fullmatch(m.group(0)) and " and " in words:
            rest = _BARE_GROUP.sub(" ", words)
            if not rx.search(rest):
                other = _first_class(rest, i + 1)
                if other:
                    return other
        return cls
    return "unattributed"


_SPEAKER_STOP = re.compile(r"[,;:()“”\"«»]")
_FILLER = {"also", "have", "has", "had", "on", "earlier", "later", "previously", "initially", "reportedly"}
_LEADING = {"though", "although", "but", "while", "and", "however", "as", "with", "when", "after", "mais", "et",
            "tandis", "que", "alors"}


def _speaker(sentence: str, verb_start: int) -> tuple[int, str]:
    """(start, words) of who speaks before a verb: up to eight words, never across a comma or quote."""
    chunk = sentence[max(0, verb_start - 90):verb_start]
    cut = max((m.end() for m in _SPEAKER_STOP.finditer(chunk)), default=0)
    words = chunk[cut:].split()
    while words and (words[-1].lower() in _FILLER or words[-1].lower().endswith("ly")):
        words.pop()  # "police also said", "officials initially reported"
    words = words[-8:]
    if not words or words[-1][:1].isdigit():
        return verb_start, ""  # "77 confirmed deaths": a verb after a number is an adjective
    while len(words) > 1 and words[0].lower() in _LEADING:
        words.pop(0)  # "though confidential documents suggest": the speaker starts after "though"
    who = " ".join(words)
    start = sentence.rfind(words[0], 0, verb_start)
    return start, who


# A lower-case piece of every match of _ACCORDING, _SPEECH_RE and _SAID_WHO: a sentence holding
# none of a pattern's pieces skips that scan (speed only; see attributions' hints).
ACCORDING_KEYS = frozenset({"according", "citing", "quoting", "selon", "après", "source"})
SPEECH_KEYS = frozenset(max(v.split(), key=len) for v in SPEECH_VERBS)
SAID_KEYS = frozenset({"said", "says", "told", "indiqué", "déclaré", "précisé"})
HINT_WORDS = frozenset(INTRINSIC_WORDS) | ACCORDING_KEYS | SPEECH_KEYS | SAID_KEYS


def attributions(sentence: str, hints: set[str] | None = None) -> list[Attribution]:
    """Every attribution in a sentence, with offsets relative to it. hints: which of HINT_WORDS the
    lower-cased sentence holds, when the caller already knows (patterns without theirs are skipped)."""
    found: list[Attribution] = []
    if hints is None:
        low = sentence.lower()
        hints = {w for w in HINT_WORDS if w in low}
    for m in (_ACCORDING.finditer(sentence) if not hints.isdisjoint(ACCORDING_KEYS) else ()):
        found.append(Attribution(classify(m.group("who")), m.group(0), m.start(), m.end(), True, True))
    for m in (_INTRINSIC.finditer(sentence) if not hints.isdisjoint(INTRINSIC_WORDS) else ()):
        found.append(Attribution(classify(m.group("who")), m.group(0), m.start(), m.end(), True, True, True))
    for m in (_SPEECH_RE.finditer(sentence) if not hints.isdisjoint(SPEECH_KEYS) else ()):
        verb = m.group("verb").lower()
        if verb.startswith("claimed") and re.match(r"\s*(?:responsibility|credit)", sentence[m.end():]):
            continue  # claiming an attack is not giving its toll
        who_start, who = _speaker(sentence, m.start())
        if not who:
            continue
        cls = classify(who)
        if cls == "unattributed" and not re.search(r"reports?|sources?|media|press", who, re.IGNORECASE):
            continue  # "the attack left ... he said": a pronoun names no class we can use
        trailing = bool(_TRAILING_AFTER.match(sentence, m.end()))
        before = sentence[:who_start].rstrip()
        after_quote_or_comma = before.endswith((",", "”", '"', "’"))
        forward = not trailing or not after_quote_or_comma
        found.append(Attribution(cls, sentence[who_start:m.end()], who_start, m.end(), forward, trailing))
    for m in (_SAID_WHO.finditer(sentence) if not hints.isdisjoint(SAID_KEYS) else ()):
        cls = classify(m.group("who"))
        if cls != "unattributed":
            found.append(Attribution(cls, m.group(0), m.start(), m.end(), False, True))
    for m in _INVERTED.finditer(sentence):
        cls = classify(m.group("who"))
        found.append(Attribution(cls, m.group(0).lstrip(", "), m.start(), m.end(), False, True))
    for m in _PARTICIPLE_RE.finditer(sentence):
        head = sentence[max(0, m.start() - 160):m.start()]
        # Keep the subject's own words as the source text: "GSIM claimed responsibility ..., stating".
        words = " ".join(head.split()[-12:]) + ", " + m.group("verb")
        # The nearest clause speaks first: "JNIM said it killed 150, a claim the army denied, saying 20
        # soldiers died" is the army's 20; the whole head only when that clause names no one.
        near = classify(head.rsplit(",", 1)[-1]) if "," in head else "unattributed"
        found.append(Attribution(near if near != "unattributed" else classify(head), words, m.start(), m.end(),
                                 True, False))
    return [a if a.source != "perpetrator_claim" or speaks_for_the_attack(a.words, sentence)
            else Attribution(_without_the_group(a.words), a.words, a.start, a.end, a.forward, a.backward, a.clause_only)
            for a in found]


def source_for(attrs: list[Attribution], start: int, end: int, clause: tuple[int, int]) -> Attribution | None:
    """The attribution that covers a figure at [start, end): the nearest one whose scope reaches it."""
    best, best_d = None, None
    for a in attrs:
        if a.clause_only and not (clause[0] <= a.start < clause[1]):
            continue
        if a.end <= start and a.forward:
            d = start - a.end
        elif a.start >= end and a.backward:
            d = a.start - end
        elif a.start < end and a.end > start:
            d = 0  # the figure sits inside the attribution ("the official death toll stands at 77")
        else:
            continue
        if best_d is None or d < best_d:
            best, best_d = a, d
    return best
