"""Concept linking stage: the curated SKOS scheme (ontology/concepts.ttl) and its mentions in passages.

Entry points: :func:`load_scheme` reads the concepts with every label, definition and link;
:func:`link_concepts` finds their mentions in passages (any case, hyphenated, spaced or closed,
singular or plural, British or American spelling) with character offsets, and marks the
passages that define a concept.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from .index.abbreviations import abbreviation_sites, find_abbreviations
from .index.text import fold
from .sentences import sentence_spans

CK = "https://w3id.org/common-knowledge/"
CONCEPT_NS = CK + "concept/"
_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass
class Concept:
    id: str
    uri: str
    pref_label: str
    alt_labels: list[str] = field(default_factory=list)
    hidden_labels: list[str] = field(default_factory=list)
    scope_note: str = ""
    notation: str = ""
    definitions: list[dict[str, Any]] = field(default_factory=list)
    # quoted passages about the concept that do not define it (ck:sourcedDescription)
    descriptions: list[dict[str, Any]] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    studies: list[str] = field(default_factory=list)
    coinage: list[dict[str, Any]] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    schemes: list[str] = field(default_factory=list)
    # abbreviations the library's texts give the concept's name, also in alt_labels ("Team Around the
    # Child (TAC)"): {"label", "long_form", "source_id", "passage_id", "start", "end", "page", "page_label"}
    found_labels: list[dict[str, Any]] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [self.pref_label, *self.alt_labels, *self.hidden_labels]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _local(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1]


def load_scheme(path: str | Path) -> dict[str, Concept]:
    """Concepts of a SKOS Turtle file by id (the last segment of their URI)."""
    import rdflib
    from rdflib.namespace import DCTERMS, RDF, SKOS

    ck = rdflib.Namespace(CK + "ontology#")
    graph = rdflib.Graph()
    graph.parse(str(path), format="turtle")
    concepts: dict[str, Concept] = {}
    for uri in sorted(set(graph.subjects(RDF.type, SKOS.Concept))):
        def texts(predicate) -> list[str]:
            return sorted({str(o) for o in graph.objects(uri, predicate)})

        def ids(predicate) -> list[str]:
            return sorted({_local(str(o)) for o in graph.objects(uri, predicate)})

        def quoted(predicate) -> list[dict[str, Any]]:
            out = []
            for node in graph.objects(uri, predicate):
                value = graph.value(node, RDF.value)
                if value is None:
                    out.append({"text": str(node), "source_id": None, "sense": None, "citation": None})
                    continue
                source = graph.value(node, DCTERMS.source)
                out.append({
                    "text": str(value),
                    "source_id": _local(str(source)) if source else None,
                    "sense": str(graph.value(node, ck.sense) or "") or None,
                    "citation": str(graph.value(node, ck.citation) or "") or None,
                })
            return sorted(out, key=lambda d: (d["source_id"] or "", d["text"]))

        coinage = []
        for node in graph.objects(uri, ck.coinage):
            source = graph.value(node, DCTERMS.source)
            coinage.append({
                "by": sorted(_local(str(o)) for o in graph.objects(node, ck.coinedBy)),
                "introduced_by": sorted(_local(str(o)) for o in graph.objects(node, ck.introducedBy)),
                # where the document starts the concept's tradition, without crediting its name ("start with Vygotsky")
                "traced_to": sorted(_local(str(o)) for o in graph.objects(node, ck.tracedTo)),
                "citation": str(graph.value(node, ck.citation) or "") or None,
                "evidence": str(graph.value(node, ck.evidence) or "") or None,
                "source_id": _local(str(source)) if source else None,
            })
        concept = Concept(
            id=_local(str(uri)),
            uri=str(uri),
            pref_label=str(graph.value(uri, SKOS.prefLabel) or _local(str(uri)).replace("-", " ")),
            alt_labels=texts(SKOS.altLabel),
            hidden_labels=texts(SKOS.hiddenLabel),
            scope_note=str(graph.value(uri, SKOS.scopeNote) or ""),
            notation=str(graph.value(uri, SKOS.notation) or ""),
            definitions=quoted(SKOS.definition),
            descriptions=quoted(ck.sourcedDescription),
            broader=ids(SKOS.broader),
            narrower=ids(SKOS.narrower),
            related=ids(SKOS.related),
            studies=ids(ck.relatedStudy),
            coinage=coinage,
            families=sorted(_local(str(c)) for c in graph.subjects(SKOS.member, uri)),
            schemes=ids(SKOS.inScheme),
        )
        concepts[concept.id] = concept
    # skos:related is symmetric (SKOS reference, S23): a link written one way is read both ways, so
    # a concept page lists every concept that lists it (scripts/check_concepts.py rejects a one-way link)
    for concept in concepts.values():
        for other in concept.related:
            if other in concepts and concept.id not in concepts[other].related:
                concepts[other].related = sorted({*concepts[other].related, concept.id})
    return concepts


# --- matching -----------------------------------------------------------------------------------

@lru_cache(maxsize=200_000)
def _norm(token: str) -> str:
    """A token's matching key: folded, one spelling for British/American, plural folded.

    Only inflection is folded ("agencies" → "agency"), not derivation: a stemmer would make
    "participants" a mention of "participation".
    """
    from .index.text import _spelling

    word = _spelling(fold(token))
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """(key, start, end) for each word; apostrophe-s dropped, hyphenated parts kept apart."""
    out = []
    for match in _TOKEN_RE.finditer(text):
        word = match.group(0)
        if word.lower() == "s" and match.start() > 0 and text[match.start() - 1] in "'’":
            continue
        if word.lower() == "s" and text[match.start() - 1:match.end() + 1] == "(s)" and text[match.start() - 2:match.start() - 1].isalpha():
            continue    # "object(s) of activity": the word, singular or plural
        out.append((_norm(word), match.start(), match.end()))
    return out


def _is_acronym(label: str) -> bool:
    return bool(re.fullmatch(r"[A-Z][A-Z0-9&]{1,6}s?", label.strip()))


# Articles and possessives a reader or writer slips inside a multi-word label: "the object of
# their activities" is a mention of "object of activity". Skipped inside a label, never first.
_DETERMINERS = frozenset({"the", "a", "an", "their", "its", "our", "his", "her", "your", "my"})

# Words that are a concept in their uncountable sense and an organisation as a count noun
# ("relational agency", "our agency" vs "other agencies", "an agency"; "trust" vs "the Trust").
_ORGANISATION_HOMONYMS = frozenset({"agency", "trust"})
_COUNTING_WORDS = frozenset({
    "a", "an", "each", "every", "another", "one", "any", "lead", "partner", "other", "statutory", "voluntary",
    "single", "government", "this", "that", "which", "whichever", "no",
})
_ORGANISATION_FOLLOWERS = frozenset({
    "affiliation", "staff", "worker", "partner", "representative", "boundary", "meeting", "manager", "head",
})

# A hyphenated compound that is about the concept rather than a different word: "CHAT-related",
# "resilience-based", "co-production-led".
_COMPOUND_SUFFIXES = frozenset({
    "related", "based", "informed", "led", "focused", "focussed", "oriented", "centred", "centered", "driven",
    "like", "type", "style", "specific", "inspired", "wide",
})


@dataclass
class _Pattern:
    keys: tuple[str, ...]
    concept_id: str
    label: str
    acronym: bool
    proper: bool = False      # a proper name ("Supporting Families"): in running text only as capitalised


class ConceptMatcher:
    """Finds concept labels in text by token sequence, longest match first."""

    def __init__(self, concepts: dict[str, Concept]):
        self.concepts = concepts
        self._by_first: dict[str, list[_Pattern]] = {}
        self._by_sorted_keys: dict[tuple[str, ...], list[_Pattern]] = {}
        seen: dict[tuple[tuple[str, ...], str], _Pattern] = {}
        for concept in concepts.values():
            # an abbreviation found in the texts matches only as written there ("CoP", not "cop")
            found = {f["label"] for f in concept.found_labels}
            for label in concept.labels:
                for variant in _label_variants(label):
                    keys = _label_keys(variant)
                    if not keys:
                        continue
                    if (keys, concept.id) in seen:
                        # "Troubled Families" and "troubled families": the lower-case label frees the name
                        seen[(keys, concept.id)].proper &= _is_proper_name(label)
                        continue
                    pattern = _Pattern(keys, concept.id, label, _is_acronym(label) or label in found, _is_proper_name(label))
                    seen[(keys, concept.id)] = pattern
                    self._by_first.setdefault(keys[0], []).append(pattern)
                    if len(keys) > 1:
                        self._by_sorted_keys.setdefault(tuple(sorted(keys)), []).append(pattern)
        for patterns in self._by_first.values():
            patterns.sort(key=lambda p: -len(p.keys))

    def find(self, text: str, names_in_capitals: bool = False) -> list[dict[str, Any]]:
        """Mentions as {concept_id, start, end, surface, label}, left to right, no overlaps.

        With ``names_in_capitals`` (running text, not a typed query) a proper-name label matches
        only where the text capitalises it ("Supporting Families", not "supporting families").
        """
        tokens = _tokens(text)
        mentions: list[dict[str, Any]] = []
        i = 0
        while i < len(tokens):
            best: _Pattern | None = None
            span: list[tuple[str, int, int]] = []
            for pattern in self._by_first.get(tokens[i][0], ()):
                span = _match(tokens, i, pattern.keys)
                if not span:
                    continue
                if pattern.acronym and not _acronym_ok(text[span[0][1]:span[-1][2]], pattern.label):
                    continue
                if len(span) > 1 and not _contiguous(text, span):
                    continue
                if names_in_capitals and pattern.proper and not _capitalised_like(text, span, pattern.label):
                    continue
                if len(pattern.keys) == 1 and pattern.keys[0] in _ORGANISATION_HOMONYMS and _organisation_sense(text, span[0]):
                    continue
                best = pattern
                break
            if best is None:
                i += 1
                continue
            start, end = span[0][1], span[-1][2]
            if _inside_compound(text, start, end) and not (best.acronym or _concept_compound(text, end)):
                i += 1    # "agency" in "multi-agency teams" is part of another word, not a mention
                continue
            mentions.append({"concept_id": best.concept_id, "start": start, "end": end,
                             "surface": text[start:end], "label": best.label})
            i += len(span)
        return mentions

    def concepts_in(self, text: str) -> list[str]:
        """Concept ids mentioned in a short text (a query), in order of first mention; a text that is
        a label's words in another order ("prevention level 2") names that concept first."""
        reordered = self._by_sorted_keys.get(tuple(sorted(key for key, _, _ in _tokens(text))), ())
        out: list[str] = list(dict.fromkeys(p.concept_id for p in reordered if not p.acronym))
        for mention in self.find(text):
            if mention["concept_id"] not in out:
                out.append(mention["concept_id"])
        return out


def _label_keys(label: str) -> tuple[str, ...]:
    """A label's token keys, without the articles and possessives inside it (the first and the last
    stay, and so does a capital letter: "Programme A")."""
    tokens = _tokens(label)
    keep = [n == 0 or n == len(tokens) - 1 or key not in _DETERMINERS or label[start:end].isupper()
            for n, (key, start, end) in enumerate(tokens)]
    return tuple(key for (key, _, _), kept in zip(tokens, keep) if kept)


def _match(tokens: list[tuple[str, int, int]], i: int, keys: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """The text tokens from ``i`` that spell ``keys``, skipping articles and possessives inside; [] if none."""
    span: list[tuple[str, int, int]] = []
    j = i
    for n, key in enumerate(keys):
        while n and j < len(tokens) and tokens[j][0] != key and tokens[j][0] in _DETERMINERS:
            j += 1
        if j >= len(tokens) or tokens[j][0] != key:
            return []
        span.append(tokens[j])
        j += 1
    return span


def _is_proper_name(label: str) -> bool:
    """A label of two or more words whose every longer word is capitalised: a title, a programme, an Act."""
    words = [w for w in _TOKEN_RE.findall(label) if w.isalpha() and len(w) > 3]
    return len(_TOKEN_RE.findall(label)) > 1 and bool(words) and all(w[0].isupper() for w in words)


def _capitalised_like(text: str, span: list[tuple[str, int, int]], label: str) -> bool:
    """Every word the label capitalises is capitalised in the text too."""
    label_words = [w for w in _TOKEN_RE.findall(label) if w.lower() != "s"]
    words = [text[start:end] for _, start, end in span]
    if len(label_words) != len(words):
        return True    # a label with articles skipped: the case of the rest cannot be paired up
    return all(word[0].isupper() or not wanted[0].isupper() or not word[0].isalpha()
               for word, wanted in zip(words, label_words))


def _organisation_sense(text: str, token: tuple[str, int, int]) -> bool:
    """ "agencies", "an agency", "partner agency", "the Trust": the count noun naming an organisation."""
    _, start, end = token
    surface = text[start:end]
    if surface.lower().endswith("s") and not surface.lower().endswith("ss"):
        return True
    before = text[max(0, start - 40):start]
    if surface[0].isupper() and not re.search(r"(^|[.!?:;]\s+|\n\s*|[-–•ƒ]\s*)$", before):
        return True    # capitalised mid-sentence: a name ("the Trust", "Cambridge Primary Review Trust")
    previous = re.findall(r"[^\W_]+", before)
    if previous and previous[-1].lower() in _COUNTING_WORDS:
        return True
    following = re.match(r"\s+([^\W_]+)", text[end:end + 30])
    return bool(following and _norm(following.group(1)) in _ORGANISATION_FOLLOWERS)


def _concept_compound(text: str, end: int) -> bool:
    """The label is the first part of a compound about it: "CHAT-related", "resilience-based"."""
    following = re.match(r"[-‐‑]([^\W_]+)", text[end:end + 20])
    return bool(following and following.group(1).lower() in _COMPOUND_SUFFIXES)


# the first parts of compounds a reader may type open ("multi agency", "inter agency")
_OPEN_PREFIX = re.compile(r"(?<![^\W\d_])(?:multi|inter|intra|cross|trans|non|anti|semi|post|extra|ultra)\s$", re.I)


def _inside_compound(text: str, start: int, end: int) -> bool:
    before = text[start - 2:start] if start >= 2 else ""
    after = text[end:end + 2]
    return bool(re.fullmatch(r"\w[-‐‑]", before) or re.fullmatch(r"[-‐‑]\w", after)
                or _OPEN_PREFIX.search(text[max(0, start - 7):start]))


def _acronym_ok(surface: str, label: str) -> bool:
    """Acronyms match only in capitals ("CHAT", not "chat")."""
    return surface.rstrip("s") == label.rstrip("s") or surface == label


def _contiguous(text: str, tokens: list[tuple[str, int, int]]) -> bool:
    """Tokens of one label are separated only by spaces, hyphens or apostrophes, not by punctuation
    nor by a paragraph break ("Developmental Work Research" heading, then "DWR is …")."""
    for (_, _, end), (_, start, _) in zip(tokens, tokens[1:]):
        gap = text[end:start]
        if gap.count("\n") >= 2:
            return False
        if not re.fullmatch(r"[\s\-‐‑'’]{0,3}|’s |'s |\(s\) ", gap) and not _DETERMINER_GAP.fullmatch(gap):
            return False
    return True


_DETERMINER_GAP = re.compile(r"\s+(?:(?:%s)\s+)+" % "|".join(sorted(_DETERMINERS)), re.I)


def _label_variants(label: str) -> set[str]:
    """A label as written, with its hyphens closed up ("co-production" → "coproduction") and, for a name
    of two words, written as one ("Sure Start" → "SureStart", as readers and some texts write it)."""
    variants = {label}
    if re.search(r"\w-\w", label):
        variants.add(re.sub(r"(\w)-(\w)", r"\1\2", label))
    if re.fullmatch(r"[^\W\d_]{3,} [^\W\d_]{3,}", label):
        variants.add(label.replace(" ", ""))
    return variants


# --- linking passages -----------------------------------------------------------------------------

_DEFINING_RE = re.compile(
    r"(?:[’'”\"]\s*)?(?:\(\w[^)]{0,40}\)\s*)?(?:is (?:a|an|the|therefore|thus|defined|understood|seen as|about)|are (?:a|the|defined)|means?\b|refers? to|involves?\b|can be (?:defined|understood|seen)|is best understood|describes?\b|i\.e\.)",
    re.I,
)


# What follows a concept's label in a sentence that says what the concept is: "DWR is …",
# "the object, i.e. …", "collaborative advantage (achieving more together …)", "‘troubled families’
# programme (which aimed …)".
_GLOSS_AFTER_LABEL = re.compile(
    r"[’'”\"]?\s*(?:(?:programme|approach|model|concept|idea|term)\s+)?"
    r"(?:\(\s*(?:which\s|i\.e\.|[a-z]+ing\b)|,?\s*(?:i\.e\.|which (?:is|are|in this work is)|that is|the methodology)"
    r"|\s(?:(?:is|are)\b(?!\s+(?!defined|understood)\w+ed\b)|involves?|means|refers? to|focuses on|implies|would focus"
    r"|can be seen as|as the capacity))",
    re.I,
)
_DEFINING_WORDS = re.compile(
    r"\bdefin(?:e|es|ed|ition)\b|\bwe mean\b|\brefers? to\b|\bumbrella term\b|\b(?:seen|characterised|characterized|described|known) as\b",
    re.I,
)
_DESCRIBING_WORDS = re.compile(r"\binvolves?\b|\bis (?:a|an)\b|\bare (?:a|an)\b", re.I)


def definition_strength(concept_id: str, text: str, matcher: ConceptMatcher) -> int:
    """How plainly a quoted definition says what the concept is: 3 when the concept's label is followed
    by a defining verb or gloss ("DWR is a structured intervention …"), 1 when the label is there at all;
    +2 for defining words ("defined as", "we mean", "seen as"), else +1 for describing ones ("involves",
    "is a"). Used to show the plainest definition first."""
    score = 0
    for mention in matcher.find(text):
        if mention["concept_id"] != concept_id:
            continue
        score = max(score, 1)
        if _GLOSS_AFTER_LABEL.match(text[mention["end"]:mention["end"] + 40]):
            score = 3
            break
    if _DEFINING_WORDS.search(text):
        score += 2
    elif _DESCRIBING_WORDS.search(text):
        score += 1
    return score


def rank_definitions(concept_id: str, definitions: list[dict[str, Any]], matcher: ConceptMatcher) -> list[dict[str, Any]]:
    """The definitions, plainest first (stable: equally plain ones keep their order)."""
    return sorted(definitions, key=lambda d: -definition_strength(concept_id, d["text"], matcher))


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", fold(text))


def link_concepts(
    passages: Iterable[dict[str, Any]],
    concepts: dict[str, Concept],
    matcher: ConceptMatcher | None = None,
) -> dict[str, dict[str, Any]]:
    """For each passage id: its mentions (offsets into the cleaned source text), the concepts it
    defines (it holds a curated definition, or a label followed by a defining verb) and, for the
    second kind, the defining sentence (``found_definitions``: concept id, text, offsets) — what a
    document added by a user says a concept is, before anyone has curated it."""
    matcher = matcher or ConceptMatcher(concepts)
    definitions = [(concept.id, _squash(d["text"]), d.get("source_id")) for concept in concepts.values()
                   for d in concept.definitions if len(d["text"]) >= 20]
    passages = list(passages)
    found_mentions = [matcher.find(p["text"], names_in_capitals=True) for p in passages]
    choose_senses(passages, found_mentions, concepts)
    out: dict[str, dict[str, Any]] = {}
    for passage, mentions in zip(passages, found_mentions):
        text = passage["text"]
        squashed = _squash(text)
        defines = sorted({cid for cid, definition, source in definitions
                          if (source in (None, passage["source_id"])) and definition[:120] in squashed})
        curated = set(defines)
        found: list[dict[str, Any]] = []
        sentences: list[tuple[int, int]] | None = None
        for mention in mentions:
            local = mention["start"]
            after = text[mention["end"]: mention["end"] + 40]
            if mention["concept_id"] in curated or any(f["concept_id"] == mention["concept_id"] for f in found):
                continue
            if sentences is None:
                sentences = sentence_spans(text)
            sentence = next(((a, b) for a, b in sentences if a <= local < b), None)
            says_what = bool(sentence) and (_states_what_it_is(text[sentence[0]:local], text[mention["end"]:sentence[1]])
                                            or _glossed(text[sentence[0]:local], text[mention["end"]:sentence[1]]))
            if not says_what and not (_DEFINING_RE.match(after.strip()) and (
                    _starts_clause(text, local) or (sentence and _starts_sentence(text, sentence[0], local)))):
                continue
            defines.append(mention["concept_id"])
            if says_what and MIN_FOUND_DEFINITION <= sentence[1] - sentence[0] <= MAX_FOUND_DEFINITION:
                found.append({"concept_id": mention["concept_id"], "text": text[sentence[0]:sentence[1]],
                              "start": passage["start"] + sentence[0], "end": passage["start"] + sentence[1]})
        for mention in mentions:
            mention["start"] += passage["start"]
            mention["end"] += passage["start"]
        out[passage["passage_id"]] = {"mentions": mentions, "defines": sorted(set(defines))}
        if found:
            out[passage["passage_id"]]["found_definitions"] = found
    return out


def abbreviated_labels(passages: Iterable[dict[str, Any]], concepts: dict[str, Concept],
                       taken: Iterable[str] = ()) -> dict[str, list[dict[str, Any]]]:
    """Abbreviations the texts give a concept's name that no concept has yet: concept id → [{"label",
    "long_form", "source_id", "passage_id", "start", "end", "page", "page_label"}], each where the
    library first spells it out ("the Team Around the Child (TAC)": offsets of the long form to the
    bracket, in the source text).

    A short form counts when the long form the library gives it most often is, as a whole, one label
    of one concept, and the short form is no label already, of a concept or of anything in ``taken``
    (a study's "PSE" is no abbreviation of the concept "preventing social exclusion")."""
    passages = list(passages)
    table = find_abbreviations(p["text"] for p in passages)
    if not table:
        return {}
    matcher = ConceptMatcher(concepts)
    labelled = {_label_keys(label) for concept in concepts.values() for label in concept.labels}
    labelled |= {_label_keys(label) for label in taken}
    wanted: dict[str, str] = {}
    for short, spelt in table.items():
        if not _label_keys(short) or _label_keys(short) in labelled:
            continue
        mentions = matcher.find(spelt)
        if len(mentions) == 1 and mentions[0]["start"] == 0 and mentions[0]["end"] == len(spelt):
            wanted[short] = mentions[0]["concept_id"]
    out: dict[str, list[dict[str, Any]]] = {}
    for passage in passages:
        for short, spelt, start, end in abbreviation_sites(passage["text"]):
            if short in wanted and spelt == table[short]:
                concept_id = wanted.pop(short)
                out.setdefault(concept_id, []).append({
                    "label": short, "long_form": spelt, "source_id": passage["source_id"],
                    "passage_id": passage["passage_id"], "start": passage["start"] + start,
                    "end": passage["start"] + end, "page": passage.get("page"), "page_label": passage.get("page_label"),
                })
    return out


def add_found_labels(concepts: dict[str, Concept], found: dict[str, list[dict[str, Any]]]) -> None:
    """Give each concept the abbreviations ``abbreviated_labels`` found for it, as alt labels."""
    for concept_id, labels in found.items():
        concept = concepts[concept_id]
        concept.found_labels = [*concept.found_labels, *labels]
        concept.alt_labels = [*concept.alt_labels, *(f["label"] for f in labels if f["label"] not in concept.alt_labels)]


QUALIFIED_LABEL_RE = re.compile(r"(.+?)\s*\(([a-z][a-z \-]*)\)")   # "mediation (activity theory)"


def homonyms(concepts: dict[str, Concept]) -> dict[tuple[str, tuple[str, ...]], list[str]]:
    """Words that name two concepts: a concept labelled "mediation" and another labelled, the
    thesaurus way, "mediation (activity theory)". (concept that owns the bare word, the word's keys)
    → the concepts whose qualified label it is the bare form of."""
    owners: dict[tuple[str, ...], list[str]] = {}
    for concept in concepts.values():
        for label in concept.labels:
            owners.setdefault(_label_keys(label), []).append(concept.id)
    out: dict[tuple[str, tuple[str, ...]], list[str]] = {}
    for concept in concepts.values():
        for label in concept.labels:
            qualified = QUALIFIED_LABEL_RE.fullmatch(label)
            bare = _label_keys(qualified.group(1)) if qualified else ()
            for owner in owners.get(bare, []) if bare else []:
                if owner != concept.id and concept.id not in out.setdefault((owner, bare), []):
                    out[(owner, bare)].append(concept.id)
    return out


def choose_senses(passages: list[dict[str, Any]], mentions: list[list[dict[str, Any]]],
                  concepts: dict[str, Concept]) -> None:
    """A homonym takes the sense its document talks about. The bare word links to the concept that
    owns it unless the document mentions more concepts of the other sense's neighbourhood (the
    concept it is filed under and that concept's other children): "mediation" in a chapter on
    Smith's four factors is Smith's factor, in an activity-theory paper CHAT's mediation."""
    senses = homonyms(concepts)
    if not senses:
        return

    near: dict[str, set[str]] = {}
    for concept_id in {c for (owner, _), others in senses.items() for c in (owner, *others)}:
        concept = concepts[concept_id]
        family = set(concept.broader)
        for parent in concept.broader:
            family.update(concepts[parent].narrower if parent in concepts else ())
        near[concept_id] = family - {concept_id}

    owners = {owner for owner, _ in senses}
    by_source: dict[Any, list[int]] = {}
    for row, passage in enumerate(passages):
        by_source.setdefault(passage.get("source_id"), []).append(row)
    for rows in by_source.values():
        counts = Counter(m["concept_id"] for row in rows for m in mentions[row])
        evidence = {cid: sum(counts[c] for c in family) for cid, family in near.items()}
        for row in rows:
            for mention in mentions[row]:
                if mention["concept_id"] not in owners:     # most mentions: no label of theirs is a homonym
                    continue
                others = senses.get((mention["concept_id"], _label_keys(mention["label"])))
                if others:
                    best = max(others, key=evidence.__getitem__)
                    if evidence[best] > evidence[mention["concept_id"]]:
                        mention["concept_id"] = best


# A found defining sentence is quoted whole: shorter is a fragment, longer a run-on paragraph.
MIN_FOUND_DEFINITION = 30
MAX_FOUND_DEFINITION = 600


# Stricter than marking a passage as definitional: the sentence opens with the concept ("Relational
# expertise is the capacity …", "The concept of X refers to …", "By X we mean …") and says what it is.
_OPENERS = r"[\s‘“'\"(\[]*"         # what may stand before a sentence's first word: space, opening quotes, brackets
_OPENS_WITH_LABEL = re.compile(_OPENERS + r"(?:(?:the|a|an)\s+)?(?:(?:idea|concept|notion|term)\s+(?:of\s+)?)?[‘“'\"]?",
                               re.I)
_OPENS_WITH_BY = re.compile(_OPENERS + r"by\s+(?:the\s+)?(?:(?:idea|concept|notion|term)\s+(?:of\s+)?)?[‘“'\"]?", re.I)
_SAYS_WHAT_IT_IS = re.compile(
    r"[’'”\"]?\s*(?:\([^)]{0,40}\)\s*)?,?\s*(?:"
    r"(?:is|are|can be|may be|might be)\s+(?:best\s+)?(?:defined|understood|seen|described|characteri[sz]ed"
    r"|conceptuali[sz]ed|thought of)\s+as\b|"
    # "is now recognised as a dynamic process": a class named after it, not "is widely regarded as important"
    r"(?:is|are)\s+(?:(?:now|often|usually|generally|commonly|widely|increasingly)\s+)?(?:recogni[sz]ed|regarded|viewed)"
    r"\s+as\s+(?:a|an|the)\s|(?:is|are)\s+defined\b|refers?\s+to\b|means\b|denotes\b"
    r"|(?:is|are)\s+(?:a|an|the)\s+(?!(?:key|major|main|central|useful|important|good|big|real|very|most|more"
    r"|first|second|third|last|only|same|other|case|result|focus|aim|subject|topic)\b)|i\.e\.)",
    re.I,
)
_WE_MEAN = re.compile(r"[’'”\"]?\s*,?\s*(?:we|i|they|the authors?)\s+mean\b", re.I)
# "X is the concept that is driving most interventions", "X is a term used widely in policy": the
# complement is a word for a term (concept, term, idea …), and what follows says what role the term
# plays — what drives, who uses it — not what it means. Such a sentence defines X only when the term
# is then explained: "the idea of …", "the idea that <a clause>", "a term used to describe …",
# "the concept that refers to …".
_META_COMPLEMENT = re.compile(
    r"[’'”\"]?\s*(?:\([^)]{0,40}\)\s*)?,?\s*(?:is|are)\s+(?:(?:a|an|the)\s+)(?:[\w-]+\s+){0,2}?"
    r"(?:concept|term|idea|notion|word|phrase|label|expression|buzzword|watchword|catchword)s?\b", re.I)
_EXPLAINS_THE_TERM = re.compile(
    r"\b(?:describ\w*|refer(?:s|red|ring)?|denot\w*|mean(?:s|t|ing)?|signif(?:y|ies|ied|ying)|captur(?:e|es|ed|ing)"
    r"|nam(?:e|es|ed|ing)|designat\w*|stand(?:s|ing)?\s+for)\b", re.I)
_RELATIVE_VERB = re.compile(    # "that / which" followed by a verb: a relative clause about the term
    r"(?:that|which)\s+(?:(?:is|are|was|were|has|have|had|will|would|can|could|may|might|should|must|does|do|did"
    r"|now|currently|increasingly|often|also|still|most|lies|sits|drives|underpins|underlies|informs|shapes|guides"
    r"|dominates|runs|gained|emerged|became|becomes)\b|\w+ing\b)", re.I)


# A gloss right after a concept's name, wherever the name stands in its sentence: "what Engeström terms
# mirror data i.e. evidence gathered …", "'common knowledge', which in this work is defined as an
# awareness …", "the object (i.e. that which is worked on …)".
_DEFINED_AFTER = re.compile(
    r"[’'”\"]?\s*(?:\([A-Z][^)]{0,40}\)\s*)?,?\s*(?:"
    r"(?:which\s+(?:(?:in\s+(?:this|our)\s+\w+\s+)?is|are)\s+)?(?:defined|understood)\s+(?:here\s+)?as\b|"
    r"(?:which\s+)?(?:refers?|referring)\s+to\b|(?:which\s+)?denotes?\b)", re.I)
_THAT_IS_AFTER = re.compile(r"[’'”\"]?\s*(?:,\s*|\(\s*)?(?:i\.\s?e\.?,?|that is,)\s+(?P<gloss>[^)]*)", re.I)
# an "i.e." glosses the name itself only when nothing qualifies the name: "the object, i.e. …", "what
# Engeström terms mirror data i.e. …", "'deliberative agency' i.e. …" (not "new forms of work (i.e. …)")
_NAME_STANDS_ALONE = re.compile(r"(?:^|\b(?:the|a|an|of|terms?|termed|called|call)\s+|[‘“'\"])$", re.I)


# a gloss in brackets right after the name, as a gerund or a noun phrase: "collaborative advantage
# (achieving more together than you could alone)", "… (the ability to …)"; not a citation, an example
# or a qualifier ("(DfES, 2004)", "(e.g. …)", "(between agencies …)")
_BRACKETED_GLOSS = re.compile(r"\s*\((?![^()]*\b(?:this|these|chapter|section|report|paper|below|above|see)\b)"
                              r"(?P<gloss>(?:[a-z]+ing|the|a|an)\s[^()\d]{8,150})\)")     # not "(the focus of this chapter)"
# a rung of a ladder or typology, named by its number, then said what it is: "Level Two: Early prevention
# implies that …", "Tier 3: targeted services are …"
_RUNG = re.compile(r"[\s‘“'\"(\[]*(?:level|tier|stage|phase|type|step)\s+(?:\d{1,2}|one|two|three|four|five|six|seven|i{1,3}|iv|v)"
                   r"\s*[:.–-]\s*$", re.I)
_RUNG_VERB = re.compile(r"\s*(?:is|are|implies|imply|means|(?:would\s+)?focus(?:es)?\s+on|refers?\s+to|involves?|concerns?|covers?)\b",
                        re.I)    # not "Tier 2: universal services will continue …"


# the name given to what the sentence has just described: "a new type of knowledge, which Victor and Boynton
# call practical knowledge" (not "what France and Utting call the 'Risk and Protection Paradigm'", which
# names without describing)
_NAMED_AFTER_DESCRIPTION = re.compile(
    r",?\s+which\s+(?:we|they|researchers|the authors?|[A-Z][\w’'-]+(?:\s+(?:and|&)\s+[A-Z][\w’'-]+|\s+et al\.?)?"
    r"(?:\s+\(\d{4}[a-z]?\))?)\s+(?:call(?:s|ed)?|term(?:s|ed)?|name(?:s|d)?|describe(?:s|d)?\s+as|refer(?:s|red)?\s+to\s+as)"
    r"\s+(?:(?:a|an|the)\s+)?[‘“'\"]?$")


# an appositive gloss: the name, a comma, colon or dash, then a head noun saying what kind of thing it is and
# what it does: "relational agency, the capacity to align one's thinking …", "relational expertise: the
# ability to work with …", "what Edwards calls common knowledge: an understanding of what matters to each
# profession" (not a list's next item, "relational agency, common knowledge and …")
_APPOSITIVE_GLOSS = re.compile(
    r"[’'”\"]?\s*(?:\([A-Z][^)]{0,40}\)\s*)?(?:,|:|\s[–—]|\s-)\s*(?:that is,?\s+|i\.e\.,?\s+)?(?:the|a|an)\s+"
    r"(?:[a-z-]+\s+){0,2}?(?:capacity|ability|capability|process|practice|awareness|recognition|willingness|readiness"
    r"|skill|way|means|disposition|propensity|understanding|appreciation)\s+(?:to|of|that|which|by\s+which|whereby|for)\b", re.I)


def _glossed(before: str, after: str) -> bool:
    """The name is glossed right after it, wherever it stands in its sentence: "which in this work is
    defined as …", "refers to …", a bracketed gloss ("(achieving more together …)"), an appositive
    one (", the capacity to …"), an "i.e." /
    "that is," of at least three words after a name nothing qualifies; or the name opens a rung of a
    ladder ("Level Two: Early prevention implies …")."""
    if _DEFINED_AFTER.match(after) or _BRACKETED_GLOSS.match(after) or _APPOSITIVE_GLOSS.match(after):
        return True
    if _RUNG.fullmatch(before) and _RUNG_VERB.match(after):
        return True
    if _NAMED_AFTER_DESCRIPTION.search(before) and len(before.split()) >= 6:
        return True
    that_is = _THAT_IS_AFTER.match(after)
    return bool(that_is and len(that_is.group("gloss").split()) >= 3 and _NAME_STANDS_ALONE.search(before))


def _names_the_term_only(rest: str) -> bool:
    """``rest`` (what follows the label, to the end of its sentence) calls the concept a concept, term,
    idea … and then says what role it plays instead of what it means ("is the concept that is driving
    most social inclusion interventions"): a copular sentence that is no definition."""
    meta = _META_COMPLEMENT.match(rest)
    if not meta:
        return False
    tail = rest[meta.end():]
    if re.match(r"\s*(?:of|for)\b", tail, re.I) or _EXPLAINS_THE_TERM.search(tail):
        return False                                # "the idea of …", "a term used to describe …"
    if re.match(r"\s*that\b", tail, re.I) and not _RELATIVE_VERB.match(tail.lstrip()):
        return False                                # "the idea that practitioners …": says what the idea is
    return True


# how a concept is regarded, and why: "X is seen as an enhanced form of professional practice in part
# because …" says why it is valued, not what it is
_VALUED_FOR = re.compile(r"[’'”\"]?\s*,?\s*(?:is|are)\s+(?:seen|regarded|viewed|valued)\s+as\b[^.;:]*\b(?:because|since)\b",
                         re.I)


def _states_what_it_is(before: str, after: str) -> bool:
    """``before`` (the sentence up to the label) and ``after`` (what follows the label, to the end of
    its sentence) make a sentence that says what the concept is."""
    if _OPENS_WITH_BY.fullmatch(before):
        return bool(_WE_MEAN.match(after))
    return bool(_OPENS_WITH_LABEL.fullmatch(before) and _SAYS_WHAT_IT_IS.match(after)
                and not _names_the_term_only(after) and not _VALUED_FOR.match(after))


def _starts_sentence(text: str, sentence_start: int, index: int) -> bool:
    """The label opens its sentence, perhaps after an opening quotation mark or bracket."""
    return re.fullmatch(_OPENERS, text[sentence_start:index]) is not None


def _starts_clause(text: str, index: int) -> bool:
    """A label at the start of a sentence or right after an article: "Relational agency is …"."""
    before = text[max(0, index - 25):index]
    return bool(re.search(r"(^|[.!?:;]\s+|\b(?:the|a|an|of|idea of|concept of|notion of)\s+[‘'“\"]?)$", before, re.I))
