"""Word lists for casualty reporting in English and French, kept apart from the rules that use them."""

from __future__ import annotations

import re
from functools import lru_cache


def alt(words) -> str:
    """Regex alternation of phrases as a trie, longer matches first, spaces matching any whitespace.

    Python's re tries a flat alternation word by word at every position; a trie ("k(?:ill(?:ed|ing))")
    rejects a position after a character or two, which is most of the extractor's speed.
    """
    trie: dict = {}
    for w in set(words):
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_regex(trie)


def _trie_regex(node: dict) -> str:
    """The regex for one trie node: its branches, then (optionally) the end of a phrase."""
    branches = []
    for ch in sorted(k for k in node if k):
        piece = r"\s+" if ch == " " else re.escape(ch)
        branches.append(piece + _trie_regex(node[ch]))
    if "" in node:
        if not branches:
            return ""
        # Longer phrases first: the end-of-word option is tried last.
        return "(?:" + "|".join(branches) + ")?" if len(branches) > 1 else f"(?:{branches[0]})?"
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


# Words that, after a quantity, say what happened to it. Order of metrics matters only for
# the compound "killed or injured" forms, which are tried first.
CASUALTY_AFTER = {
    "en": {
        "killed_or_injured": [
            "killed and wounded", "killed and injured", "killed or wounded", "killed or injured",
            "dead and wounded", "dead or wounded", "deaths and injuries", "casualties",
            "killed and hurt",
        ],
        "killed": [
            "killed", "dead", "deaths", "death", "died", "dies", "fatalities", "deceased", "slain",
            "murdered", "massacred", "executed", "perished", "fatally shot", "fatally wounded",
            "fatally injured", "fatally stabbed", "shot dead", "shot and killed", "shot to death",
            "stabbed to death", "beaten to death", "burned to death", "lost their lives",
            "lost his life", "lost her life", "lives lost", "bodies", "homicides", "killings",
            "confirmed dead", "pronounced dead", "found dead", "loss of human life", "loss of life",
            "loss of lives", "human lives", "lives", "fatally", "feared killed", "feared dead",
            "attacked and killed", "ambushed and killed", "abducted and killed", "kidnapped and killed",
            "waylaid and killed", "captured and killed", "tortured and killed", "drowned",
            "tortured to death", "hacked to death", "burned alive", "burnt alive", "lynched", "beheaded",
            "said to have died", "reported to have died", "believed to have died", "said to have been killed",
            "reported to have been killed", "believed to have been killed", "decapitated", "set ablaze",
        ],
        "injured": [
            "injured", "wounded", "injuries", "hurt", "hospitalized", "hospitalised",
            "treated for injuries", "critically injured", "seriously injured", "grazed",
            # "Both are listed in critical condition": alive and hurt, so injured.
            "in critical condition", "in serious condition", "in stable condition", "in grave condition",
            "in fair condition", "in good condition", "in critical but stable condition",
            "in life-threatening condition",
            "sustained injuries", "sustained various degrees of injuries", "sustained various injuries",
            "sustained serious injuries", "sustained minor injuries", "suffered injuries",
        ],
        "missing": ["missing", "unaccounted for", "disappeared"],
        "kidnapped": ["kidnapped", "abducted", "taken hostage", "held hostage", "hostages", "seized"],
        "named_victims": ["victims identified", "identified victims", "named victims"],
        "shot": ["shot", "stabbed", "gunshot victims", "shooting victims", "had gunshot wounds",
                 "suffered gunshot wounds", "sustained gunshot wounds"],
    },
    "fr": {
        "killed_or_injured": ["tués et blessés", "morts et blessés", "victimes"],
        "killed": [
            "tués", "tuées", "tué", "tuée", "morts", "mortes", "mort", "morte", "décès",
            "décédés", "décédées", "décédé", "décédée", "ont péri", "a péri", "ont perdu la vie",
            "a perdu la vie", "ont trouvé la mort", "a trouvé la mort", "trouvé la mort",
            "avoir péri", "auraient péri", "aurait péri", "péri", "avoir perdu la vie", "perdu la vie",
            "assassinés", "assassinées", "assassiné", "assassinée", "exécutés", "exécutées",
            "massacrés", "massacrées", "abattus", "abattues", "abattu", "abattue", "corps",
            "victimes décédées", "pertes humaines", "tombés en héros", "tombé en héros", "tombés au combat",
            "tombé au combat", "tombés au front", "tombé au front", "tombés sur le champ d'honneur",
            "égorgés", "égorgées", "décapités", "décapitées", "calcinés",
        ],
        "injured": ["blessés", "blessées", "blessé", "blessée", "blessures", "hospitalisés",
                    "dans un état grave", "dans un état critique"],
        "missing": ["disparus", "disparues", "portés disparus", "porté disparu", "disparu"],
        "kidnapped": [
            "enlevés", "enlevées", "enlevé", "enlevée", "kidnappés", "kidnappées", "kidnappé",
            "otages", "pris en otage", "pris en otages", "séquestrés",
        ],
        "named_victims": ["victimes identifiées", "victimes nommées"],
        "shot": [],
    },
}

# Verbs and nouns that come before the quantity: "killing 12", "le bilan s'élève à 12".
CASUALTY_BEFORE = {
    "en": {
        "killed": [
            "killing", "killed", "kills", "slaughtered", "massacring", "massacred", "executing",
            "claimed the lives of", "claiming the lives of", "took the lives of", "taking the lives of",
            "fatally shot", "fatally shooting", "shot dead", "shot and killed", "shooting dead",
            "the deaths of", "the death of", "the bodies of", "murdered", "murdering",
            "shot to death", "shooting to death", "stabbed to death", "hacked to death", "beat to death",
            "beaten to death", "burned to death", "beheaded", "beheading", "executed", "assassinated",
            "assassinating", "gunned down", "gunning down",
        ],
        "injured": ["injuring", "injured", "wounding", "wounded", "hurting", "injures", "wounds"],
        "kidnapped": ["kidnapping", "kidnapped", "abducting", "abducted", "seizing"],
        "shot": ["shooting", "shot", "stabbing", "stabbed"],
    },
    "fr": {
        "killed": [
            "tuant", "a tué", "ont tué", "avoir tué", "auraient tué", "aurait tué", "coûté la vie à",
            "coûté la vie de", "la mort de", "la mort d", "le décès de", "les corps de",
            "avoir perdu", "a perdu", "ont perdu",
            "massacré", "abattu", "exécuté", "tué",
        ],
        "injured": ["blessant", "a blessé", "ont blessé", "avoir blessé"],
        "kidnapped": ["enlevant", "ont enlevé", "a enlevé", "kidnappant", "ont kidnappé"],
        "shot": [],
    },
}

# "the death toll rose to 12", "le bilan s'élève à 12": the number after these is the dead.
TOLL_NOUNS = {
    "en": r"(?:death\s+toll|toll|number\s+of\s+(?:the\s+)?(?:dead|deaths|people\s+killed|fatalities|victims)|body\s+count)",
    "fr": r"(?:bilan|nombre\s+de\s+(?:morts|tués|victimes|décès))",
}
TOLL_LINK = {
    "en": r"(?:\s+\w+){0,4}?\s+(?:stands?\s+at|stood\s+at|(?:has\s+|had\s+)?(?:rose|risen|climbed|jumped|increased|grew|risen)\s+to|reached|hit|is|was|of|at|to|now\s+at)",
    "fr": r"(?:\s+[\w'’]+){0,4}?\s+(?:s['’]élève\s+à|s['’]établit\s+à|est\s+de|était\s+de|de|à|fait\s+état\s+de|passe\s+à|atteint|grimpe\s+à|a\s+atteint)",
}

# Words that may sit between a quantity and its casualty word: people, and their adjectives.
# Anything else (prepositions, other verbs) ends the phrase, so "13 fighters had taken part"
# never reaches a casualty word.
STOP_BETWEEN = {
    "en": set(
        "in on at from during after before with by for into near inside outside under over across "
        "since when while as than that which and or but of if because where whose whom this these "
        "those took taken take taking part carried out attacked stormed opened arrested detained "
        "charged said told say says tell according".split()
    ),
    "fr": set(
        "dans sur à au aux pendant après avant avec pour vers sous selon depuis lors quand tandis que "
        "qui et ou mais si car dont où ce cette ces pris part mené attaqué arrêtés arrêté "
        "interpellés dit déclaré".split()
    ),
}

# Things that are counted in the news but are not people: a quantity followed by these is no toll.
NOT_PEOPLE = {
    "en": set(
        "shots shot rounds bullets times vehicles vehicle cars car trucks truck buses motorcycles "
        "aircraft planes plane jets helicopters drones boats attacks attack assaults raids strikes "
        "explosions bombs blasts markets homes houses buildings villages towns camps bases years "
        "year months days hours minutes weeks decades percent dollars euros points counts charges "
        "guns weapons rifles pistols handguns cartridges casings miles kilometers kilometres feet "
        "meters metres blocks block incidents cases shootings rockets shells mortars gunshot gunshots "
        "bullet stab knife wounds entry exit casings dog dogs cat cats pet pets puppies horses cattle "
        "cows cow goats sheep camels donkeys livestock".split()
    ),
    "fr": set(
        "tirs coups balles fois véhicules véhicule voitures camions motos avions avion hélicoptères "
        "drones attaques attaque assauts raids frappes explosions bombes marchés maisons bâtiments "
        "villages camps bases ans an années mois jours heures minutes semaines km kilomètres "
        "pour dollars euros francs points armes fusils roquettes obus cas incidents chiens chats chevaux "
        "bétail têtes vaches bœufs boeufs moutons chèvres chameaux".split()
    ),
}

# Who is counted, from the noun the text uses.
WHO = {
    "civilians": r"civilians?|villagers?|residents?|passengers?|worshippers?|pedestrians?|bystanders?|"
                 r"students?|children|child|women|woman|girls?|boys?|kids?|teens?|teenagers?|"
                 r"journalists?|reporters?|civils?|villageois|habitants?|passagers?|fidèles|"
                 r"enfants?|femmes?|élèves|étudiants?|journalistes?",
    "soldiers": r"soldiers?|troops?|servicemen|servicemembers?|peacekeepers?|gendarmes?|militaires?|"
                r"soldats?|casques?\s+bleus?|army|military|VDP|volontaires|"
                r"combattants\s+(?:burkinabè|burkinabés|maliens|nigériens|tchadiens|camerounais|volontaires)",
    "police": r"police(?:men|man|\s+officers?|\s+trainees)?|officers?|policiers?|troopers?|deputies|deputy|"
              r"trainees?|cadets?|agents?",
    "attackers": r"attackers?|assailants?|militants?|fighters?|jihadists?|djihadistes?|insurgents?|"
                 r"terrorists?|terroristes?|gunmen|gunman|rebels?|rebelles?|assaillants?|"
                 r"combattants?|suspects?|shooters?|assaillants",
}
# The first word naming people wins, whatever its class: one pattern, one named group per class.
WHO_RE = re.compile("|".join(rf"\b(?P<{who}>{pattern})\b" for who, pattern in WHO.items()), re.IGNORECASE)

# Nouns for one person, for implicit singulars ("a journalist was killed" is 1 killed).
PERSON_SING = {
    "en": (
        "man woman boy girl child teen teenager toddler infant baby person victim journalist reporter "
        "photographer officer policeman policewoman soldier trooper deputy guard driver motorist "
        "pedestrian bystander resident student worker employee clerk cashier owner customer "
        "passenger cyclist mother father son daughter wife husband brother sister grandmother "
        "grandfather uncle aunt nephew niece cousin girlfriend boyfriend fiance fiancee friend neighbor "
        "neighbour roommate civilian villager teacher nurse doctor pastor priest imam gendarme "
        "peacekeeper suspect gunman shooter robber burglar intruder homeowner tenant youth juvenile "
        "male female adult senior teenager relative acquaintance stepfather stepmother stepson "
        "stepdaughter grandson granddaughter partner landlord security "
        # Who is killed in targeted killings, from the subjects of "was killed" in WAD train.
        "official activist leader elder commander candidate novelist writer cleric scholar headman "
        "administrator executive delegate chief preacher legislator lawmaker mayor commentator monarch "
        "abbot paramedic headmaster campaigner individual citizen adviser advisor film-maker filmmaker "
        "shepherd politician agent supporter lecturer professor judge councillor councilor chairman "
        "mukhtar businessman trader farmer herder miner photojournalist blogger lawyer prosecutor "
        "inmate prisoner detainee protester demonstrator refugee pilgrim worshipper"
    ).split(),
    "fr": (
        "homme femme garçon fille enfant adolescent adolescente bébé personne victime journaliste "
        "soldat militaire gendarme policier policière agent civil civile chauffeur conducteur passager "
        "élève étudiant étudiante enseignant enseignante infirmier infirmière médecin imam prêtre "
        "chef villageois commerçant commerçante casque douanier garde otage mère père fils frère sœur soeur "
        "épouse mari maire imam humanitaire élu préfet sous-préfet "
        "responsable notable conseiller député marabout orpailleur berger éleveur cultivateur "
        "agriculteur directeur fonctionnaire militant détenu prisonnier manifestant réfugié déplacé"
    ).split(),
}
PERSON_PLUR = {
    "en": (
        "people persons men women children kids boys girls teens teenagers adults victims others "
        "civilians villagers residents soldiers troops officers policemen trainees gendarmes "
        "students workers employees passengers journalists reporters militants fighters attackers "
        "jihadists insurgents terrorists gunmen assailants rebels suspects hostages members "
        "peacekeepers guards individuals relatives daughters sons brothers sisters infants babies "
        "toddlers siblings bystanders pedestrians worshippers family friends customers staff "
        "deputies troopers cadets servicemen youths adults males females teachers nurses doctors "
        "patients farmers herders miners traders "
        "inmates protesters demonstrators refugees detainees pupils scholars leaders officials "
        "politicians prisoners mourners nationals lecturers vendors colleagues supporters pilgrims "
        "elders clerics activists"
    ).split(),
    "fr": (
        "personnes hommes femmes enfants civils villageois habitants soldats militaires gendarmes "
        "policiers élèves étudiants passagers journalistes assaillants terroristes jihadistes "
        "djihadistes combattants rebelles otages membres agents autres individus fidèles "
        "orpailleurs éleveurs agriculteurs commerçants volontaires supplétifs casques bleus "
        "victimes militaires personnes civiles "
        "détenus prisonniers manifestants réfugiés déplacés bergers notables responsables "
        "fonctionnaires chefs cultivateurs pèlerins"
    ).split(),
}


def first_chars(pattern: str, flags: int = re.IGNORECASE) -> str | None:
    """A character class of every character a match of the pattern can start with, or None when
    that cannot be told (an optional or empty start, a category like \\w). Used to put a cheap
    guard, `(?=[...])`, in front of a long alternation: most positions then fail after one test."""
    try:
        from re import _parser as parser  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse as parser  # type: ignore[no-redef]
    chars: set[str] = set()

    def walk(items) -> bool:
        """Add the first characters of a sequence; False when unknown or when it can be empty."""
        for op, av in items:
            name = str(op)
            if name == "AT":
                continue  # \b, ^: zero width, the next item starts the match
            if name == "LITERAL":
                chars.add(chr(av))
                return True
            if name == "IN":
                for op2, av2 in av:
                    n2 = str(op2)
                    if n2 == "LITERAL":
                        chars.add(chr(av2))
                    elif n2 == "RANGE":
                        chars.update(chr(c) for c in range(av2[0], av2[1] + 1))
                    else:
                        return False
                return True
            if name == "SUBPATTERN":
                return walk(av[-1])
            if name == "BRANCH":
                return all(walk(b) for b in av[1])
            if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
                lo, _hi, sub = av
                if lo == 0:
                    return False
                return walk(sub)
            return False  # lookarounds, categories, backreferences: give up
        return False

    if not walk(parser.parse(pattern, flags)):
        return None
    out = set()
    for c in chars:
        out.update({c, c.lower(), c.upper()} if flags & re.IGNORECASE else {c})
    return "".join(re.escape(c) for c in sorted(out))


def guarded(pattern: str, flags: int = re.IGNORECASE) -> str:
    """The pattern behind a first-character guard when one can be computed (speed only)."""
    chars = first_chars(pattern, flags)
    return f"(?=[{chars}])(?:{pattern})" if chars else pattern



def expand(pattern: str) -> set[str] | None:
    """Every string a small finite pattern matches, lower case, "\\s+" as one space ("officers?" is
    {"officer", "officers"}); None when the pattern is not that simple. Lets a word list written
    as a regex be looked up word by word instead of scanned for."""
    try:
        from re import _parser as parser  # Python 3.11+
    except ImportError:  # pragma: no cover
        import sre_parse as parser  # type: ignore[no-redef]

    def seq(items) -> set[str] | None:
        out = {""}
        for op, av in items:
            name = str(op)
            if name == "LITERAL":
                part = {chr(av).lower()}
            elif name == "IN" and all(str(o) == "LITERAL" for o, _ in av):
                part = {chr(c).lower() for _, c in av}
            elif name == "IN" and len(av) == 1 and str(av[0][0]) == "CATEGORY" and "SPACE" in str(av[0][1]):
                part = {" "}
            elif name == "SUBPATTERN":
                part = seq(av[-1])
            elif name == "BRANCH":
                part = set()
                for b in av[1]:
                    sub = seq(b)
                    if sub is None:
                        return None
                    part |= sub
            elif name in ("MAX_REPEAT", "MIN_REPEAT"):
                lo, hi, sub = av
                inner = seq(sub)
                if inner is None:
                    return None
                if (lo, hi) == (0, 1):
                    part = inner | {""}
                elif (lo, hi) == (1, parser.MAXREPEAT) and inner == {" "}:
                    part = {" "}
                else:
                    return None
            else:
                return None
            if part is None:
                return None
            out = {a + b for a in out for b in part}
        return out

    return seq(parser.parse(pattern, re.IGNORECASE))


# The same classes as WHO_RE, word by word: "officers" -> police; two-word names ("casques bleus") too.
WHO_WORDS: dict[str, str] = {}
for _who, _pattern in WHO.items():
    for _w in expand(_pattern) or ():
        WHO_WORDS.setdefault(_w, _who)
_WHO_ORDER = {who: i for i, who in enumerate(WHO)}
_TOKEN = re.compile(r"\w+")


_PAIR_FIRST = {w.split()[0] for w in WHO_WORDS if " " in w}


@lru_cache(maxsize=1024)
def who_of(text: str) -> str | None:
    """The class of people a phrase counts (civilians, soldiers, police, attackers), if it says:
    the first word (or two) naming one, as WHO_RE.search would find it, by dictionary look-up."""
    tokens = list(_TOKEN.finditer(text))
    for i, t in enumerate(tokens):
        word = t.group(0).lower()
        found = WHO_WORDS.get(word)
        if i + 1 < len(tokens) and word in _PAIR_FIRST:
            nxt = tokens[i + 1]
            if text[t.end():nxt.start()].isspace():
                pair = WHO_WORDS.get(f"{word} {nxt.group(0).lower()}")
                if pair and (found is None or _WHO_ORDER[pair] < _WHO_ORDER[found]):
                    found = pair
        if found:
            return found
    return None
