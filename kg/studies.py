"""Studies in text: which passages name a study (by acronym or one of its names), and the study
catalogue the web pages show (name, acronym, funder, years, leads, scale, method, sources).

The matcher reuses :class:`kg.concepts.ConceptMatcher` (tokens with case, plural, hyphen and
spelling folded; acronyms only in capitals) over the labels of ``ontology/studies.ttl``:
skos:prefLabel, skos:altLabel, dcterms:title and ck:acronym.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Callable, Iterable

from .concepts import Concept, ConceptMatcher, _local, _norm, _tokens
from .sentences import sentence_spans
from .vocab import ORG

ORGANISATIONS = str(ORG)


def study_labels(graph) -> dict[str, Concept]:
    """Each ck:Study of an rdflib graph as a Concept-like record holding every label."""
    from rdflib.namespace import DCTERMS, RDF, SKOS

    from .vocab import CK

    out: dict[str, Concept] = {}
    for uri in sorted(set(graph.subjects(RDF.type, CK.Study))):
        pref = str(graph.value(uri, SKOS.prefLabel) or graph.value(uri, DCTERMS.title) or _local(str(uri)))
        labels = {str(o) for p in (SKOS.altLabel, DCTERMS.title, CK.acronym) for o in graph.objects(uri, p)}
        labels.discard(pref)
        # a title in [square brackets] is supplied by the cataloguer: texts never use it
        labels = {label for label in labels if not label.startswith("[")}
        out[_local(str(uri))] = Concept(id=_local(str(uri)), uri=str(uri), pref_label=pref, alt_labels=sorted(labels))
    return out


def load_study_labels(path: str | Path) -> dict[str, Concept]:
    import rdflib

    graph = rdflib.Graph()
    graph.parse(str(path), format="turtle")
    return study_labels(graph)


class StudyMatcher:
    """Finds study names in text; resolves a label (as sources.toml lists it) to a study id."""

    def __init__(self, studies: dict[str, Concept]):
        self.studies = studies
        self._matcher = ConceptMatcher(studies)
        self._by_key: dict[tuple[str, ...], str] = {}
        for study in studies.values():
            for label in study.labels:
                self._by_key.setdefault(_key(label), study.id)
                stripped = re.sub(r"^(?:the|a|an)\s+", "", label, flags=re.I)
                self._by_key.setdefault(_key(stripped), study.id)

    def find(self, text: str) -> list[dict[str, Any]]:
        """Mentions as {study_id, start, end, surface, label}; one-letter words ("Programme A") match in capitals only."""
        out = []
        for mention in self._matcher.find(text):
            if not _letters_ok(mention["surface"], mention["label"]):
                continue
            out.append({"study_id": mention["concept_id"], "start": mention["start"], "end": mention["end"],
                        "surface": mention["surface"], "label": mention["label"]})
        return out

    def resolve(self, label: str) -> str | None:
        return self._by_key.get(_key(label)) or self._by_key.get(_key(re.sub(r"^(?:the|a|an)\s+", "", label, flags=re.I)))


def _key(label: str) -> tuple[str, ...]:
    return tuple(key for key, _, _ in _tokens(label))


def _letters_ok(surface: str, label: str) -> bool:
    """Words of a label in capitals ("the NECF", "Programme A") must be in capitals in the text too."""
    wanted = [w for w in re.findall(r"[^\W_]+", label) if w.isupper() and len(w) <= 7]
    found = {w.rstrip("s") if len(w) > 2 else w for w in re.findall(r"[^\W_]+", surface)}
    return all(w in found for w in wanted)


def link_studies(passages: Iterable[dict[str, Any]], matcher: StudyMatcher) -> dict[str, list[dict[str, Any]]]:
    """Study mentions of each passage (offsets into the source's cleaned text): the study's names, and
    the keys of a list of studies the source gives ("[S3]" where its list has "[S3] PSE - Preventing …")."""
    passages = list(passages)
    keys = _study_keys(passages, matcher)
    out: dict[str, list[dict[str, Any]]] = {}
    for passage in passages:
        mentions = matcher.find(passage["text"])
        mentions += _keyed_mentions(passage["text"], keys.get(passage["source_id"], {}))
        mentions.sort(key=lambda m: (m["start"], m["end"]))
        for mention in mentions:
            mention["start"] += passage["start"]
            mention["end"] += passage["start"]
        if mentions:
            out[passage["passage_id"]] = mentions
    return out


# "[S3] PSE - Preventing Social Exclusion …" at the head of a line: an entry of a keyed list
_KEY_ENTRY_RE = re.compile(r"^[ \t•*-]*\[([A-Z]{1,2}\d{1,3})\][ \t]*(\S.*)$", re.M)


def _study_keys(passages: list[dict[str, Any]], matcher: StudyMatcher) -> dict[str, dict[str, str]]:
    """Source id → {key: study id} for the keyed entries that open with a study's name ("[S2] LIW - …");
    an entry opening with authors ("[R1] Edwards, A. … Children's Fund") is a publication, not a study."""
    keys: dict[str, dict[str, str]] = {}
    for passage in passages:
        for entry in _KEY_ENTRY_RE.finditer(passage["text"]):
            found = matcher.find(entry.group(2))
            if found and found[0]["start"] == 0:
                keys.setdefault(passage["source_id"], {}).setdefault(entry.group(1), found[0]["study_id"])
    return keys


def _keyed_mentions(text: str, keys: dict[str, str]) -> list[dict[str, Any]]:
    """A study cited by its key ("[S3][R5]", "[S1-5, 7-10]"), not where the key opens its own entry."""
    if not keys:
        return []
    from .citations.intext import KEYED_RE, _expand_keys

    out = []
    for match in KEYED_RE.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text[line_start:match.start()].strip(" -•*\t") == "":
            continue
        letters = match.group(1).replace("$", "S")
        for key in dict.fromkeys(_expand_keys(letters, match.group(2))):
            if key in keys:
                out.append({"study_id": keys[key], "start": match.start(), "end": match.end(),
                            "surface": match.group(0), "label": key})
    return out


# --- the catalogue the pages and the API show ---------------------------------------------------

_STUDIES_QUERY = """
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
SELECT ?study ?p ?o ?name WHERE {
  ?study a ck:Study ; ?p ?o .
  FILTER(?p IN (skos:prefLabel, skos:altLabel, dcterms:title, ck:acronym, ck:funder, ck:startYear, ck:endYear,
                ck:lead, ck:coLead, ck:teamMember, ck:scale, ck:method, ck:budget, ck:duration, ck:output,
                dcterms:description, ck:typeName, dcterms:date, dcterms:spatial, ck:partOf, dcterms:isReferencedBy,
                ck:titleSupplied, ck:evaluates, ck:policyContext, ck:partnerOrganisation))
  OPTIONAL { ?o foaf:name|dcterms:title ?name }
}
"""

_REPORTS_QUERY = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
SELECT DISTINCT ?source ?study WHERE {
  ?source a ck:Source . ?study a ck:Study .
  { ?source dcterms:references ?study }           # the source's catalogue entry lists the study
  UNION { ?study dcterms:isReferencedBy ?source }  # the curated study record names the source
}
"""

_MENTIONS_QUERY = """
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
SELECT ?passage ?study (COUNT(*) AS ?n) (GROUP_CONCAT(STR(?start); separator=" ") AS ?starts) WHERE {
  ?passage ck:mentionsStudy ?study .
  ?annotation a ck:StudyMention ; oa:hasBody ?study ; oa:hasTarget ?target .
  ?target oa:hasScope ?passage .
  OPTIONAL { ?target oa:hasSelector ?position . ?position a oa:TextPositionSelector ; oa:start ?start }
} GROUP BY ?passage ?study
"""


_EVIDENCE_QUERY = """
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?study ?text ?source WHERE { ?study a ck:Study ; ck:evidence ?e . ?e rdf:value ?text ; dcterms:source ?source }
"""

# the curated facts of a study whose source a reader should see ("eighteen case studies" says the
# NECF report, "sixteen case studies" the CHAT article)
ATTRIBUTED = ("scale", "method", "budget", "duration")

# a word, or a number with what is written on to it ("£450k", "3.5", "120,000", "1990s"): a number is
# one token, so "18" is not found in "180", nor "£50k" in "£450k"
_WORD_RE = re.compile(r"[£$€]?\d+(?:[.,]\d+)*[^\W_]*|[^\W\d_]+")


def fact_words(text: str) -> tuple[str, ...]:
    """The words of a fact or of a source's sentence as they are compared: case, diacritics,
    apostrophes ("Children’s"), British/American spelling and plurals folded as the concept matcher
    folds them; hyphens and punctuation are word breaks ("in-depth" is "in depth"); a number is kept
    whole and exact (thousands separators dropped)."""
    text = re.sub(r"['’‘`]", "", unicodedata.normalize("NFKC", text))
    out = []
    for word in _WORD_RE.findall(text):
        if word[0].isdigit() or word[0] in "£$€":
            out.append(re.sub(r"(?<=\d),(?=\d{3})", "", word).casefold())
        else:
            out.append(_norm(word))
    return tuple(out)


def _holds_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """``phrase`` runs in ``words`` whole words at a time."""
    n = len(phrase)
    return n > 0 and any(words[i:i + n] == phrase for i in range(len(words) - n + 1))


# words a source may put in between a fact's words or a fact leave out: "91 interviews with members
# of …" is stated by "the 91 interviews we conducted with members of …"
_FILLER = frozenset({
    "a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "from", "with", "by", "as", "into",
    "other", "another", "each", "their", "its", "our", "his", "her", "them", "they", "we", "it", "this",
    "that", "these", "those", "which", "who", "be", "is", "are", "was", "were", "been", "some", "also",
})

PHRASE, WORDS = "phrase", "words"
# what a fact rests on: a source that states it, or the cataloguer alone (a summary, quoted from nowhere)
SOURCE, CATALOGUE = "source", "catalogue"


def _keys(words: tuple[str, ...]) -> frozenset[str]:
    """A sentence's words, and each two neighbours written closed up ("multi disciplinary" is also
    "multidisciplinary")."""
    return frozenset(words) | {a + b for a, b in zip(words, words[1:])}


class _Form:
    """One wording of a fact: its words, and for each content word the keys that stand for it (the
    word, or it closed up with its neighbour: "multidisciplinary" is stated by "multi disciplinary")."""

    __slots__ = ("words", "content")

    def __init__(self, words: tuple[str, ...]):
        self.words = words
        self.content = [
            (words[i], *((words[i] + words[i + 1],) if i + 1 < len(words) else ()), *((words[i - 1] + words[i],) if i else ()))
            for i, w in enumerate(words) if w not in _FILLER and (len(w) > 1 or w.isdigit())]

    def match(self, words: tuple[str, ...], keys: frozenset[str]) -> str | None:
        """PHRASE when ``words`` hold this wording's words in their order; WORDS when they hold every
        content word of it (in any order, with other words between; a number exactly); else None."""
        if self.content and not all(any(k in keys for k in alternatives) for alternatives in self.content):
            return None
        if _holds_phrase(words, self.words):
            return PHRASE
        return WORDS if self.content else None


class _Fact:
    """A fact's wordings: its words, and for "Name (ACRONYM)" the name alone and the acronym alone
    ("Developmental Work Research (DWR)" is stated by "… employed some features of DWR …"); the
    acronym only as written, in capitals."""

    __slots__ = ("forms", "acronym")

    def __init__(self, text: str):
        self.forms = [_Form(fact_words(text))]
        self.acronym = None
        if found := re.fullmatch(r"\s*(.+?)\s*\(([A-Z][A-Za-z&]*[A-Z])\)\s*", text):
            self.forms.append(_Form(fact_words(found.group(1))))
            self.acronym = re.compile(rf"(?<![\w-]){re.escape(found.group(2))}(?![\w-])")

    def stated(self, sentence: "_Sentence") -> str | None:
        """PHRASE, WORDS or None for a sentence."""
        found = {form.match(sentence.words, sentence.keys) for form in self.forms}
        if PHRASE in found or (self.acronym is not None and self.acronym.search(sentence.text)):
            return PHRASE
        return WORDS if WORDS in found else None


def states(fact: str, text: str) -> str | None:
    """How ``text`` (a sentence) states ``fact``: "phrase" when it holds the fact's words in their
    order (or, for "Name (ACRONYM)", the name or the acronym), "words" when it holds all its content
    words, else None. Words are whole (a number exact), in any case, across hyphens, apostrophes,
    spelling and plurals."""
    return _Fact(fact).stated(_Sentence("", text, frozenset()))


def study_kin(study_id: str, studies: dict[str, dict[str, Any]]) -> set[str]:
    """A study, the study it is part of and its own parts: a sentence about one of them is about the
    others too (the NECF report's case studies are NECF's; LIW is part of the TLRP)."""
    study = studies.get(study_id) or {}
    return {study_id, *([study["part_of"]] if study.get("part_of") else []),
            *(sid for sid, other in studies.items() if other.get("part_of") == study_id)}


class _Sentence:
    """A sentence of a source: its passage, its words and the studies it is about — those it names,
    else those the last sentence naming a study named, in its passage or an earlier one of the same
    section (none before the first such sentence of a section)."""

    __slots__ = ("passage_id", "text", "words", "keys", "about")

    def __init__(self, passage_id: str, text: str, about: frozenset[str]):
        self.passage_id, self.text, self.words, self.about = passage_id, text, fact_words(text), about
        self.keys = _keys(self.words)


def _sentences(passages: list[dict[str, Any]], named: dict[str, list[tuple[int, str]]]) -> list[_Sentence]:
    """The sentences of a source's passages in order, each with the studies it is about; ``named``
    gives each passage's study mentions as (offset into the source's text, study id)."""
    out: list[_Sentence] = []
    about: frozenset[str] = frozenset()
    section: object = object()
    for passage in sorted(passages, key=lambda p: p.get("start", 0)):
        if passage.get("heading") != section:
            section, about = passage.get("heading"), frozenset()
        begin = passage.get("start", 0)
        mentions = [((begin if offset is None else offset) - begin, sid) for offset, sid in named.get(passage["passage_id"], [])]
        for start, end in sentence_spans(passage["text"]):
            here = frozenset(sid for offset, sid in mentions if start <= offset < end)
            about = here or about
            out.append(_Sentence(passage["passage_id"], passage["text"][start:end], about))
    return out


def _named_in_passages(studies: dict[str, dict[str, Any]]) -> dict[str, list[tuple[int, str]]]:
    """Passage id → (offset, study id) of each study mention the build found (``link_studies``); a
    mention without its offset counts from the passage's start."""
    out: dict[str, list[tuple[int, str]]] = {}
    for sid, study in studies.items():
        for entry in study.get("passages", []):
            starts = entry.get("starts") or [None]
            out.setdefault(entry["passage_id"], []).extend((start, sid) for start in starts)
    return out


def attribute(study: dict[str, Any], passages_of: Callable[[str], list[dict[str, Any]]],
              studies: dict[str, dict[str, Any]] | None = None,
              cache: dict[str, Any] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Where each curated fact of a study (its scale, methods, budget, duration) is stated: in each
    source, the passage holding a curated evidence sentence of the study that states it, else the
    first sentence about the study that states it — its words in their order in either before all its
    content words in either (``match`` "phrase" or "words"; ``sentence`` is the sentence).

    A sentence is about the study when it names the study (or the study it is part of, or one of its
    parts), when it follows such a sentence in its section, or, in a source reporting no other study,
    when it names none; a sentence about another study only never states this one's facts.
    ``passage_id`` is None when only an evidence sentence of a source outside the library states the
    fact. A fact no source states has an empty list and ``basis`` "catalogue": it is the cataloguer's
    summary, not quoted from a source (``basis`` "source" otherwise).

    ``studies`` is the catalogue (every study with its sources and the passages naming it);
    ``cache``, a dict kept with them (one per build), keeps each source's sentences for later calls."""
    studies = studies if studies is not None else {study["id"]: study}
    kin = study_kin(study["id"], studies)
    named = _named_in_passages(studies)
    evidence: dict[str, list[_Sentence]] = {}
    for e in study.get("evidence", []):
        evidence.setdefault(e["source"], []).append(_Sentence("", e["text"], frozenset({study["id"]})))
    loaded: dict[str, Any] = cache if cache is not None else {}

    def source(source_id: str) -> tuple[list[tuple[str, tuple[str, ...]]], list[_Sentence]]:
        """The words of each passage of a source, and its sentences."""
        if source_id not in loaded:
            sentences = _sentences(passages_of(source_id), named)
            words: dict[str, tuple[str, ...]] = {}
            for sentence in sentences:
                words[sentence.passage_id] = words.get(sentence.passage_id, ()) + sentence.words
            loaded[source_id] = (list(words.items()), sentences)
        return loaded[source_id]

    def locate(source_id: str, sentence: tuple[str, ...]) -> str | None:
        """The passage holding a curated evidence sentence (whole, else its first words)."""
        passages, _ = source(source_id)
        return next((pid for head in (sentence, sentence[:12]) for pid, words in passages if _holds_phrase(words, head)), None)

    def where(source_id: str, fact: _Fact) -> tuple[str | None, str | None, str | None]:
        """How the source states the fact (PHRASE, WORDS or None), the passage and the sentence where
        it does: its words in their order in an evidence sentence, else in a sentence about the
        study, else all its content words in an evidence sentence, else in a sentence about it."""
        curated = [(m, sentence) for sentence in evidence.get(source_id, []) if (m := fact.stated(sentence))]
        first: dict[str, _Sentence] = {}
        if source_id in study.get("sources", []):
            # a sentence naming no study is about this one only in a source that reports no other
            alone = {sid for sid, other in studies.items() if source_id in other.get("sources", [])} <= kin
            for sentence in source(source_id)[1]:
                if sentence.about & kin or (alone and not sentence.about):
                    if (how := fact.stated(sentence)) and how not in first:
                        first[how] = sentence
                        if how == PHRASE:
                            break
        for how in (PHRASE, WORDS):
            for sentence in (sentence for m, sentence in curated if m == how):
                if pid := locate(source_id, sentence.words):
                    return how, pid, sentence.text
            if how in first:
                return how, first[how].passage_id, first[how].text
        if curated:
            how, sentence = min(curated, key=lambda c: c[0] != PHRASE)
            return how, None, sentence.text
        return None, None, None

    out: dict[str, list[dict[str, Any]]] = {}
    for key in ATTRIBUTED:
        values = study.get(key) or []
        for value in [values] if isinstance(values, str) else values:
            fact = _Fact(value)
            stated = []
            for source_id in sorted(set(evidence) | set(study.get("sources", []))):
                how, pid, sentence = where(source_id, fact)
                if how:
                    stated.append({"source_id": source_id, "passage_id": pid, "match": how, "sentence": sentence})
            out.setdefault(key, []).append({"text": value, "sources": stated, "basis": SOURCE if stated else CATALOGUE})
    return out


def catalogue(rows_of) -> dict[str, dict[str, Any]]:
    """Every study with its fields, from a function that runs a SPARQL SELECT and returns rows of dicts.

    Lists hold ids (sources, funders, leads) and, beside them, display names (funder_names, lead_names).
    """
    studies: dict[str, dict[str, Any]] = {}
    for row in rows_of(_STUDIES_QUERY):
        sid = _local(row["study"])
        study = studies.setdefault(sid, _empty(sid, row["study"]))
        p = row["p"].rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        value, name = row["o"], row.get("name")
        if p == "prefLabel":
            study["label"] = value
        elif p == "title":
            study["name"] = value
        elif p == "altLabel":
            study["alt_labels"].append(value)
        elif p == "acronym":
            study["acronym"] = value
        elif p in ("startYear", "endYear"):
            study["start_year" if p == "startYear" else "end_year"] = int(value[:4])
        elif p == "date":
            study["date"] = value
        elif p == "funder":     # the id /api/people knows it by: a body's is "org-<name>" (cko:dfes → org-dfes)
            study["funder"].append(("org-" if value.startswith(ORGANISATIONS) else "") + _local(value))
            study["funder_names"].append(name or _local(value))
        elif p in ("lead", "coLead", "teamMember"):
            key = {"lead": "leads", "coLead": "co_leads", "teamMember": "team"}[p]
            study[key].append({"id": _local(value), "name": name or _local(value)})
        elif p == "partnerOrganisation":
            study["partners"].append(name or _local(value))
        elif p in ("scale", "method", "output"):
            study[p].append(value)
        elif p in ("budget", "duration", "description", "spatial"):
            study[p] = value
        elif p == "typeName":
            study["study_type"] = value
        elif p == "partOf":
            study["part_of"] = _local(value)
        elif p == "isReferencedBy":
            study["referenced_by"].append(_local(value))
        elif p == "titleSupplied":
            study["title_supplied"] = value == "true"
        elif p == "evaluates":
            study["evaluates"].append({"id": _local(value), "name": name or _local(value)})
        elif p == "policyContext":
            study["policy_context"].append({"id": _local(value), "name": name or _local(value)})
    for row in rows_of(_REPORTS_QUERY):
        study = studies.get(_local(row["study"]))
        if study is not None and _local(row["source"]) not in study["sources"]:
            study["sources"].append(_local(row["source"]))
    for row in rows_of(_EVIDENCE_QUERY):
        study = studies.get(_local(row["study"]))
        if study is not None:
            study["evidence"].append({"text": row["text"], "source": _local(row["source"])})
    for row in rows_of(_MENTIONS_QUERY):
        study = studies.get(_local(row["study"]))
        if study is not None:
            # where in the source's text each mention starts (offsets of the build's link_studies)
            starts = sorted(int(n) for n in (row.get("starts") or "").split())
            study["passages"].append({"passage_id": _local(row["passage"]), "mentions": int(row["n"]), "starts": starts})
    for study in studies.values():
        study["name"] = study["name"] or study["label"]
        for key in ("alt_labels", "scale", "method", "output", "referenced_by", "sources", "partners"):
            study[key] = sorted(set(study[key]))
        study["evidence"].sort(key=lambda e: (e["source"], e["text"]))
        for key in ("leads", "co_leads", "team", "evaluates", "policy_context"):
            study[key] = sorted({d["id"]: d for d in study[key]}.values(), key=lambda d: d["name"])
        pairs = sorted(zip(study["funder"], study["funder_names"]), key=lambda p: p[1])
        study["funder"], study["funder_names"] = [p[0] for p in pairs], [p[1] for p in pairs]
        start, end = study["start_year"], study["end_year"]
        study["years"] = (f"{start}" if start == end else f"{start}–{end}") if start and end else (
            str(start or end or (study["date"] or "")[:4]) or None)
    return dict(sorted(studies.items(), key=lambda kv: kv[1]["name"].lstrip("[").casefold()))


def study_names(study: dict[str, Any]) -> set[str]:
    """Every name a reader may give a catalogued study (id, acronym, title, labels), case-folded."""
    return {n.casefold() for n in (study["id"], study.get("acronym"), study.get("name"), study.get("label"),
                                   *study.get("alt_labels", [])) if n}


def study_label(study: dict[str, Any]) -> str:
    """A catalogued study's short label ("Programme A"), else its title."""
    return study["label"] or study["name"]


def study_short_name(study: dict[str, Any]) -> str:
    """What a list or a menu shows for a catalogued study: its acronym, else its label."""
    return study.get("acronym") or study_label(study)


def _empty(sid: str, uri: str) -> dict[str, Any]:
    return {
        "id": sid, "uri": uri, "name": "", "label": "", "acronym": None, "alt_labels": [], "funder": [],
        "funder_names": [], "start_year": None, "end_year": None, "date": None, "years": None, "leads": [],
        "co_leads": [], "team": [], "partners": [], "scale": [], "method": [], "output": [], "budget": None,
        "duration": None, "description": None, "spatial": None, "study_type": None, "part_of": None,
        "referenced_by": [], "sources": [], "title_supplied": False, "evaluates": [], "policy_context": [],
        "passages": [], "evidence": [],
    }
