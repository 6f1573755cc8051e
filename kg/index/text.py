"""Tokens for the keyword index: case and accents folded, compounds split and joined,
British and American spellings brought together, stop words dropped, words stemmed."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD_RE = re.compile(r"[^\W_]+(?:['’\-‐‑][^\W_]+)*")
_STOPWORDS = frozenset("""
a about above after again against all am an and any are as at be because been before being below between both but by
can could did do does doing down during each few for from further had has have having he her here hers herself him
himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other
our ours ourselves out over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which while who whom why will
with would you your yours yourself yourselves also may might must shall us one s t
""".split())


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # pragma: no cover - PyStemmer is a dependency
        return None
    return Stemmer.Stemmer("english")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=200_000)
def _spelling(word: str) -> str:
    """One spelling for British and American variants (applied to documents and queries alike)."""
    if len(word) > 5:
        word = re.sub(r"is(ation|ations|e|es|ed|ing|er|ers)$", r"iz\1", word)
        word = re.sub(r"our(s|ed|ing|al|ite|ites)?$", r"or\1", word) if not word.endswith(("four", "hour")) else word
        word = re.sub(r"tre(s)?$", r"ter\1", word)
        word = word.replace("programme", "program")
    return word


# plurals no stemmer cuts to their singular: "child" finds "children", "young person" "young people"
_IRREGULAR_PLURALS = {"children": "child", "childrens": "child", "people": "person", "peoples": "person",
                      "women": "woman", "men": "man"}


def _stem(word: str) -> str:
    stemmer = _stemmer()
    word = _IRREGULAR_PLURALS.get(word, word)
    return stemmer.stemWord(word) if stemmer else word


# short words a PDF's text run loses the space before or after ("the Climbiéand Baby Peter
# incidents", "the managersthat", "thepower of"); not "in", "on", "or", "as", "at": too many words end so
_GLUE_WORDS = ("and", "the", "of", "for", "by", "with", "that", "to")


@lru_cache(maxsize=100_000)
def unglued(form: str) -> tuple[str, ...]:
    """The word a folded form (or index term) would be without a short word run into it by a space
    the PDF's text lost ("climbieand" → "climbie", "managersthat" → "managers"); nothing for a form
    that is itself a word ("often", "england", "towards", "theory")."""
    rests = [form[:-len(g)] for g in _GLUE_WORDS if form.endswith(g)]
    rests += [form[len(g):] for g in _GLUE_WORDS if form.startswith(g)]
    rests = [rest for rest in rests if len(rest) >= 4 and rest.isalpha()]
    if not rests:
        return ()
    from wordfreq import zipf_frequency

    return tuple(rests) if zipf_frequency(form, "en") == 0 else ()


def stem_word(form: str) -> str:
    """The index term of one already folded word form."""
    return _stem(form)


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> frozenset[str]:
    """Index terms of a single word (cached: used to find which words of a result matched)."""
    return frozenset(tokenize(word))


# where a PDF's text lost the space between two capitalised words: "ThePower Matrix", "Activity
# SystemMapping", "McKimm’sProfessional Identity" (two lower-case letters, or a possessive, before the
# capital: "McKimm", "DfES", "NVivo" stay whole)
_CAPITAL_GLUE = re.compile(r"(?<=[a-z][a-z])(?=[A-Z][a-z][a-z])|(?<=[a-z]['’]s)(?=[A-Z][a-z])")


def _forms(text: str) -> list[str]:
    """The words of a text as the index sees them before stemming: case and accents folded, one
    spelling, stop words dropped; a compound "co-configuration" gives co, configuration and
    coconfiguration, and capitalised words run together ("ThePower") give each word besides the whole."""
    out = _folded_forms(fold(text))
    if not _CAPITAL_GLUE.search(text):
        return out
    for match in _WORD_RE.finditer(text):
        pieces = _CAPITAL_GLUE.split(match.group(0))
        if len(pieces) > 1:
            out.extend(form for piece in pieces for form in _folded_forms(fold(piece)))
    return out


_NUMBER_RANGE_DASH = re.compile(r"(?<=\d)[–—](?=\d)")      # "5–13" is the range "5-13"


def _folded_forms(folded: str) -> list[str]:
    out: list[str] = []
    for match in _WORD_RE.finditer(_NUMBER_RANGE_DASH.sub("-", folded)):
        word = match.group(0).replace("’", "'")
        word = re.sub(r"'s$", "", word)
        parts = [p for p in re.split(r"['\-‐‑]", word) if p]
        joined = "".join(parts)
        if len(parts) > 1 and all(p.isdigit() for p in parts):
            # a range: a later number written short is the first one's ending ("2012-13" is 2012 to 2013, not 13)
            parts = parts[:1] + [parts[0][:len(parts[0]) - len(p)] + p for p in parts[1:]]
        forms = parts + ([joined] if len(parts) > 1 else [])
        out.extend(_spelling(form) for form in forms if form not in _STOPWORDS and (len(form) >= 2 or form.isdigit()))
    out.extend(_spelling(joined) for _, joined in open_compounds(folded))
    return out


# prefixes English writes only bound to a word ("co-configuration", "re-education", "non-statutory"): the
# index keeps them as terms (a "co-" or "re-" says something: "re-tendering" is near "re-commissioning"),
# but a word matched by one alone shares a prefix with the query, not a stem
BOUND_PREFIXES = frozenset({"co", "re", "pre", "non", "un", "de", "ex", "sub", "anti", "semi", "pro", "mis"})

# two words that are also written as one: "head teacher" / "headteacher", "child care" / "childcare"
_OPEN_PAIR_RE = re.compile(r"(?<![^\W\d_])(?<!['’\-‐‑])([^\W\d_]+)[ \t\n]+([^\W\d_]+)(?![^\W\d_]|[\-‐‑][^\W\d_])")
_COMPOUND_ZIPF = 2.0        # how common the joined word must be in English ("caseload" 2.5; no "socialwork")


def open_compounds(text: str) -> list[tuple[str, str]]:
    """The pairs of neighbouring words of a text that English also writes as one word, as (the pair
    as written, the folded word they make): "head teacher" → headteacher, "multi agency" →
    multiagency, so each spelling finds the other."""
    return [(m.group(0), joined) for m in _overlapping(_OPEN_PAIR_RE, text)
            if (joined := _joined(fold(m.group(1)), fold(m.group(2))))]


def _overlapping(pattern: re.Pattern, text: str):
    """Every match of a two-word pattern, each word starting one ("senior head teacher": both pairs)."""
    position = 0
    while (match := pattern.search(text, position)) is not None:
        yield match
        position = match.start(2)


@lru_cache(maxsize=200_000)
def _joined(first: str, second: str) -> str | None:
    """The one word two neighbouring words make, when English writes it so (None otherwise)."""
    if first in _STOPWORDS or second in _STOPWORDS or len(second) < 3 or (len(first) < 3 and first not in _PREFIXES):
        return None
    joined = first + second
    if first in _PREFIXES:
        return joined
    from wordfreq import zipf_frequency

    return joined if zipf_frequency(joined, "en") >= _COMPOUND_ZIPF else None


def tokenize(text: str) -> list[str]:
    """Index terms of a text (its forms, stemmed)."""
    return [_stem(form) for form in _forms(text)]


def name_readings(name: str) -> list[list[list[tuple[str, ...]]]]:
    """The ways a passage may hold a whole name: each reading is the name's words, each word the
    alternative sets of index terms that hold it ("co-production": co and production, or
    coproduction); a pair English also writes closed is a reading of its own ("head teacher",
    "headteacher"). Stopwords hold themselves."""
    def words_of(text: str) -> list[list[tuple[str, ...]]]:
        words = []
        for match in _WORD_RE.finditer(text):
            terms = tokenize(match.group(0))
            if terms:
                words.append([tuple(terms)] if len(terms) == 1 else [tuple(terms[:-1]), (terms[-1],)])
        return words

    readings = [words_of(name)]
    readings += [words_of(name.replace(pair, joined, 1)) for pair, joined in open_compounds(name)]
    return [reading for reading in readings if reading]


def _inflected(word: str) -> str:
    """A word without its plural or verb ending (agencies → agency, parents → parent, visited → visit)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) >= 5 and word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]            # "processes", "churches"; not "services", "values": their "e" is the word's
    for ending, shortest in (("s", 4), ("ing", 6), ("ed", 5)):
        if len(word) >= shortest and word.endswith(ending) and not word.endswith(("ss", "us", "is")):
            return word[:-len(ending)]
    return word


def _restored(word: str) -> set[str]:
    """The stems a verb ending may have cut short: "caring" → care, "stopped" → stop."""
    base = _inflected(word)
    if base == word or not word.endswith(("ing", "ed")):
        return {word}
    restored = {base, base + "e"}
    if len(base) > 3 and base[-1] == base[-2]:
        restored.add(base[:-1])
    return restored


# endings that make a new word of a stem, not a form of it
_MEANING_CHANGING_ENDINGS = ("ful", "less")


def _same_word(a: str, b: str) -> bool:
    """Two forms with one stem that a reader takes for one word: an inflection ("agency",
    "agencies"), the stem itself grown ("prevent", "prevention") or a long shared beginning
    ("relation", "relational"); not words the stemmer merely cuts alike ("relational", "relatively",
    "related": all "relat")."""
    a, b = _IRREGULAR_PLURALS.get(a, a), _IRREGULAR_PLURALS.get(b, b)
    if a == b or _inflected(a) == _inflected(b) or _bases(a) & _bases(b):
        return True
    short, long = sorted((a, b), key=len)
    stem = _stem(short)
    if stem == short and long.startswith(short):
        # grown into another word: "care" is not "careful", "careless", "hopefully"
        return not long[len(short):].startswith(_MEANING_CHANGING_ENDINGS)
    shared = len(next((a[:i] for i in range(min(len(a), len(b)), 0, -1) if a[:i] == b[:i]), ""))
    return shared >= len(stem) + 2


def _bases(word: str) -> set[str]:
    """What a word may be without its inflection, short words too ("using" → us, use; "used" → use;
    "uses" → use): only words the stemmer already takes for one are compared so."""
    return _restored(word) | {_inflected(word)} | regular_bases(word, endings=("ing", "ed", "s"), shortest_stem=2)


REGULAR_ENDINGS = ("ing", "ed", "er", "ers", "es", "s")


def regular_bases(word: str, endings: tuple[str, ...] = REGULAR_ENDINGS, shortest_stem: int = 4) -> set[str]:
    """What a word may be without one of ``endings``, its stem spelt back as English spells it
    ("judging" → judg, judge; "shopped" → shopp, shop; "replies" → repli, reply; "clashes" → clash),
    the word itself not included. No stem shorter than ``shortest_stem`` ("neded" is no "ned" + "ed"),
    and no "s" cut after a consonant + y or an s ("familys", "processs": English writes "families",
    "processes")."""
    bases: set[str] = set()
    for ending in endings:
        stem = word[:-len(ending)]
        if not word.endswith(ending) or len(stem) < shortest_stem:
            continue
        if ending == "s" and re.search(r"(?:[^aeiou]y|s)$", stem):
            continue
        bases.add(stem)
        if ending != "s":
            bases.add(stem + "e")                       # "judging", "judged"
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                bases.add(stem[:-1])                    # "shopped", "planning"
            if stem.endswith("i"):
                bases.add(stem[:-1] + "y")              # "replies", "carried"
    return bases


def _grown_apart(a: str, b: str) -> bool:
    """Whether one word is the other grown by an ending that makes a new word ("care" and "careful",
    "cares" and "carefully", "help" and "helpless"), which the stemmer cuts to one stem."""
    for base_a in _bases(a):
        for base_b in _bases(b):
            short, long = sorted((base_a, base_b), key=len)
            if long.startswith(short) and long[len(short):].startswith(_MEANING_CHANGING_ENDINGS):
                return True
    return False


# the first parts of compounds that are no word alone ("co-production", "multi-agency", "inter-professional")
_PREFIXES = frozenset("co re pre non sub anti semi post multi inter intra trans cross extra ultra".split())


def _bound_prefixes(text: str) -> set[str]:
    """The parts of a text's hyphenated compounds that are a prefix, not a word ("co" of
    "co-production"), unless the text also has them alone or the compound has no other word."""
    folded = fold(text)
    bound: set[str] = set()
    alone: set[str] = set()
    for match in _WORD_RE.finditer(folded):
        parts = [p for p in re.split(r"['\-‐‑]", match.group(0)) if p]
        if len(parts) > 1 and re.search(r"[\-‐‑]", match.group(0)):
            prefixes = {p for p in parts[:-1] if p in _PREFIXES or (len(p) <= 2 and p.isalpha())}
            if set(tokenize(match.group(0))) - {_stem(p) for p in prefixes}:     # "al-l" has no other word
                bound.update(prefixes)
        else:
            alone.update(parts)
    return bound - alone


class QueryWords:
    """The words of a query, to tell which words of a result a reader would see as the query's own."""

    def __init__(self, query: str):
        self._forms: dict[str, set[str]] = {}
        self._seen: dict[str, bool] = {}       # a page of results repeats its words
        for form in _forms(query):
            self._forms.setdefault(_stem(form), set()).add(form)
        for prefix in _bound_prefixes(query):      # "co-production" is not a query for every "co-" word
            self._forms.get(_stem(prefix), set()).discard(prefix)

    def matches(self, word: str) -> bool:
        """Whether a word of a text is one of the query's words (in any of its forms)."""
        seen = self._seen.get(word)
        if seen is None:
            seen = self._seen[word] = any(
                any(_same_word(form, other) for other in self._forms.get(_stem(form), ()))
                for whole in _forms(word) for form in (whole, *unglued(whole)))     # "Climbiéand" for "Climbié"
        return seen

    def grown_apart(self, word: str) -> bool:
        """Whether a word the stemmer takes for a query word is another word grown from it or it from
        the word ("careful" for "care", "use" for "useful"); a word that is not stemmed alike is neither."""
        alike = [(form, other) for form in _forms(word) for other in self._forms.get(_stem(form), ())]
        return bool(alike) and all(_grown_apart(form, other) for form, other in alike)


def word_counts(texts: list[str]) -> dict[str, int]:
    """How often each word (letters, and an apostrophe inside a name: "Leont’ev"; case folded)
    occurs: the spellings a misspelt query is compared with ("Leontiev" → "Leont’ev")."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in re.findall(r"[^\W\d_]+(?:['’][^\W\d_]+)*", text):
            word = word.casefold()
            counts[word] = counts.get(word, 0) + 1
    return counts
