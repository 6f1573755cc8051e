"""View data for the concept and study pages and their JSON API: plain dicts built from the
Library (concepts.json, links.json and the knowledge graph), rendered as HTML or JSON by the views.

Everything per-build that several pages need (names of people and organisations, passages by
concept, where each definition is quoted, the label resolver) is computed once per Library.
"""
from __future__ import annotations

import re
import threading
import weakref
from functools import cached_property
from typing import Any

from kg.concepts import QUALIFIED_LABEL_RE, _local, _squash
from kg.studies import attribute
from kg.library import Library
from kg.index.search import is_bibliography
from kg.quotes import author_short, harvard_reference, locator, parenthetical_form, section_locator, short_title
from kg.years import YEAR_DIGITS


EXCERPT_CHARS = 320
TOP_PASSAGES = 12

_NAMES_QUERY = """
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?node ?name WHERE {
  { ?node foaf:name ?name } UNION { ?node dcterms:title ?name } UNION { ?node skos:prefLabel ?name }
}
"""
_DEFINITIONS_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?concept ?definition ?text ?source ?passage ?page ?label WHERE {
  { ?concept skos:definition ?definition } UNION { ?concept ck:sourcedDescription ?definition }
  ?definition rdf:value ?text ; dcterms:source ?source .
  OPTIONAL { ?definition prov:wasQuotedFrom ?passage }
  OPTIONAL { ?definition ck:page ?page }
  OPTIONAL { ?definition ck:pageLabel ?label }
}
"""
_FOUND_DEFINITIONS_QUERY = """
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
SELECT ?concept ?text ?source ?passage ?page ?label WHERE {
  ?concept ck:foundDefinition ?definition .
  ?definition rdf:value ?text ; dcterms:source ?source ; prov:wasQuotedFrom ?passage .
  OPTIONAL { ?definition ck:page ?page }
  OPTIONAL { ?definition ck:pageLabel ?label }
}
"""
LADDER_ID = "prevention-levels"       # the four levels of prevention: a concept scheme of their own, not a concept
_SCHEME_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?p ?o WHERE {
  <https://w3id.org/common-knowledge/concept/prevention-levels> ?p ?o .
  FILTER(?p IN (dcterms:title, dcterms:source, dcterms:bibliographicCitation, dcterms:provenance, skos:scopeNote,
               skos:prefLabel, skos:altLabel))
}
"""
# who the graph says coined the levels of prevention (the scheme is no concept of concepts.json)
_SCHEME_COINAGE_QUERY = """
PREFIX ck: <https://w3id.org/common-knowledge/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?k ?p ?who ?citation ?evidence ?source WHERE {
  <https://w3id.org/common-knowledge/concept/prevention-levels> ck:coinage ?k .
  OPTIONAL { ?k ?p ?who . FILTER(?p IN (ck:coinedBy, ck:introducedBy, ck:tracedTo)) }
  OPTIONAL { ?k ck:citation ?citation } OPTIONAL { ?k ck:evidence ?evidence } OPTIONAL { ?k dcterms:source ?source }
}
"""
_FAMILIES_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?family ?label ?note WHERE { ?family a skos:Collection ; skos:prefLabel ?label . OPTIONAL { ?family skos:scopeNote ?note } }
"""


class KnowledgeIndex:
    """What the concept and study pages need from one build, computed once."""

    def __init__(self, library: Library):
        self.library = library
        self.concepts: dict[str, dict[str, Any]] = library.concepts()
        self.sources = {s["id"]: s for s in library.sources()}
        # each source's sentences, with the studies they are about, for the study pages (kg.studies.attribute)
        self.attribution_cache: dict[str, Any] = {}
        # where quoted words (a coinage's evidence) stand in their source, found on first use
        self._places: dict[tuple[str, str], dict[str, Any]] = {}
        self._places_lock = threading.Lock()
        # passages linked to each concept: mentions and definitional passages
        self.by_concept: dict[str, dict[str, dict[str, Any]]] = {}
        hidden_labels = {cid: {h.casefold() for h in c.get("hidden_labels") or []} for cid, c in self.concepts.items()}
        for passage in library.passages():
            links = library.links(passage["passage_id"])
            words = max(1, len(passage["text"].split()))
            for mention in links.get("mentions", []):
                entry = self._entry(mention["concept_id"], passage, words)
                entry["mentions"] += 1
                # a hidden label ("working relationally" for relational agency) is no name of the
                # concept a reader sees: the page says in which words the passage was taken to mention it
                if (mention.get("label") or "").casefold() in hidden_labels.get(mention["concept_id"], ()) and mention.get("surface"):
                    entry["hidden_mentions"] += 1
                    if mention["surface"] not in entry["mentioned_as"]:
                        entry["mentioned_as"].append(mention["surface"])
            for concept_id in links.get("defines", []):
                self._entry(concept_id, passage, words)["defines"] = True
        # passages holding a curated quotation about the concept (a description: judged to be about it),
        # compared as the linker compares curated definitions with passages
        described: dict[str, list[str]] = {cid: [_squash(d["text"])[:120] for d in c.get("descriptions") or []
                                                 if len(d.get("text") or "") >= 20]
                                           for cid, c in self.concepts.items()}
        squashed: dict[str, str] = {}       # each passage's text, squashed once
        for concept_id, entries in self.by_concept.items():
            for entry in entries.values():
                entry["density"] = round(100 * entry["mentions"] / entry["words"], 2)
                entry["described"] = False
            if described.get(concept_id):
                for entry in entries.values():
                    text = squashed.get(entry["passage_id"])
                    if text is None:
                        text = squashed[entry["passage_id"]] = _squash(self._passage_text(entry["passage_id"]))
                    entry["described"] = any(d in text for d in described[concept_id])

    def _passage_text(self, passage_id: str) -> str:
        passage = self.library.passage(passage_id)
        return passage["text"] if passage else ""

    def _entry(self, concept_id: str, passage: dict[str, Any], words: int) -> dict[str, Any]:
        entries = self.by_concept.setdefault(concept_id, {})
        pid = passage["passage_id"]
        if pid not in entries:
            entries[pid] = {"passage_id": pid, "source_id": passage["source_id"], "mentions": 0, "defines": False,
                            "words": words, "reference_list": is_bibliography(passage), "mentioned_as": [],
                            "hidden_mentions": 0}
        return entries[pid]

    @cached_property
    def quoted_words(self) -> dict[str, list[str]]:
        """source id → the words of each quotation it holds, a participant's or a text's (squashed)."""
        out: dict[str, list[str]] = {}
        for quote in self.library.quotes():
            out.setdefault(quote["source_id"], []).append(_squash(quote["text"]))
        return out

    def reproduces_cited_words(self, source_id: str, text: str, citation: str | None) -> bool:
        """Whether a quoted definition's words are the cited work's, which the source reproduces: its
        citation gives the page they are on ("Leont’ev 1978, p. 62", "CYPU 2001: 37"), or the words
        stand inside a quotation the source makes (of a text, or of a participant: "a partnership board
        member"). Else they are the source's own words about that work
        ("Relational agency is identified in the latter as an enabler …", on Wong et al. 2012)."""
        if not citation:
            return False
        if re.search(r"(?:\bpp?\.\s*|:\s*)\d", citation):
            return True
        words = _squash(text)
        return any(words in quoted or (quoted in words and len(quoted) >= 0.5 * len(words))
                   for quoted in self.quoted_words.get(source_id, ()) if quoted)

    @cached_property
    def names(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.library.graph_path.exists():
            for row in self.library.sparql(_NAMES_QUERY).dicts():
                out.setdefault(row["node"], row["name"])
        return out

    @cached_property
    def definition_places(self) -> dict[tuple[str, str, str], dict[str, Any]]:
        """(concept id, source id, text) → {"passage_id", "page", "page_label"} where the definition is quoted."""
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        if self.library.graph_path.exists():
            for row in self.library.sparql(_DEFINITIONS_QUERY).dicts():
                out[(_local(row["concept"]), _local(row["source"]), row["text"])] = {
                    "passage_id": _local(row["passage"]) if row.get("passage") else None,
                    "page": int(row["page"]) if row.get("page") else None,
                    "page_label": row.get("label"),
                }
        return out

    def quoted_place(self, source_id: str | None, words: str | None) -> dict[str, Any]:
        """{"passage_id", "page", "page_label"} of verbatim words in a source (a coinage's evidence),
        located as the build locates each curated definition (kg.graph: the words, ignoring case,
        punctuation and spacing, in the source's cleaned text; the page at their start), with
        "end_page" and "end_page_label" when they run on to a later page; empty when they are not found."""
        key = (source_id or "", words or "")
        with self._places_lock:
            if key in self._places:
                return self._places[key]
        place: dict[str, Any] = {}
        document = self.library.document(source_id) if source_id and words else None
        if document and document.get("text"):
            from kg.graph import locate_quote, page_at

            span = locate_quote(words, document["text"])
            passage = next((p for p in self.library.passages(source_id)
                            if span and p["start"] <= span[0] < p["end"]), None)
            if passage is not None:
                pages = sorted(document.get("pages") or [], key=lambda p: p["start"])
                page, label = page_at(span[0], pages, passage)
                place = {"passage_id": passage["passage_id"], "page": page, "page_label": label}
                end_page, end_label = page_at(span[1] - 1, pages, None)      # words running over a page break
                if page is not None and end_page is not None and end_page != page:
                    place.update(end_page=end_page, end_page_label=end_label)
        with self._places_lock:
            self._places[key] = place
        return place

    @cached_property
    def found_definitions(self) -> dict[str, list[dict[str, Any]]]:
        """concept id → the sentences found to say what it is (not curated), in source and text order."""
        out: dict[str, list[dict[str, Any]]] = {}
        if self.library.graph_path.exists():
            for row in self.library.sparql(_FOUND_DEFINITIONS_QUERY).dicts():
                out.setdefault(_local(row["concept"]), []).append({
                    "text": row["text"], "source_id": _local(row["source"]), "passage_id": _local(row["passage"]),
                    "page": int(row["page"]) if row.get("page") else None, "page_label": row.get("label")})
        order = {p["passage_id"]: n for n, p in enumerate(self.library.passages())}
        for found in out.values():
            found.sort(key=lambda f: (order.get(f["passage_id"], len(order)), f["text"]))
        return out

    @cached_property
    def resolver(self):
        from kg.labels import LabelResolver

        return LabelResolver(self.concepts)

    @cached_property
    def families(self) -> list[dict[str, Any]]:
        if not self.library.graph_path.exists():
            return []
        rows = self.library.sparql(_FAMILIES_QUERY).dicts()
        return sorted(({"id": _local(r["family"]), "label": r["label"], "note": r.get("note")} for r in rows),
                      key=lambda f: f["id"])

    @cached_property
    def ladder_levels(self) -> list[dict[str, Any]]:
        """The concepts of the four levels of prevention (the scheme LADDER_ID), by their notation."""
        return sorted((c for c in self.concepts.values() if LADDER_ID in (c.get("schemes") or [])),
                      key=lambda c: (c.get("notation") or "", c["id"]))

    @cached_property
    def ladder_scheme(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sources": [], "labels": []}
        if self.library.graph_path.exists():
            for row in self.library.sparql(_SCHEME_QUERY).dicts():
                key = row["p"].rsplit("/", 1)[-1].rsplit("#", 1)[-1]
                if key == "source":
                    out["sources"].append(_local(row["o"]))
                elif key in ("prefLabel", "altLabel"):
                    out["labels"].append(row["o"])
                else:
                    out[key] = row["o"]
        return out

    @cached_property
    def ladder_coinage(self) -> list[dict[str, Any]]:
        """The levels of prevention's coinage statements, as a concept's ``coinage`` (by, introduced_by,
        traced_to, citation, evidence, source_id)."""
        roles = {"coinedBy": "by", "introducedBy": "introduced_by", "tracedTo": "traced_to"}
        found: dict[str, dict[str, Any]] = {}
        if self.library.graph_path.exists():
            for row in self.library.sparql(_SCHEME_COINAGE_QUERY).dicts():
                entry = found.setdefault(row["k"], {**{role: set() for role in roles.values()}, "citation": row.get("citation"),
                                                    "evidence": row.get("evidence"),
                                                    "source_id": _local(row["source"]) if row.get("source") else None})
                if row.get("p"):
                    entry[roles[row["p"].rsplit("#", 1)[-1]]].add(_local(row["who"]))
        # each role's people sorted, as a concept's are (kg.concepts.load_scheme)
        return sorted(({**entry, **{role: sorted(entry[role]) for role in roles.values()}} for entry in found.values()),
                      key=lambda c: (c["citation"] or "", c["evidence"] or ""))

    def name(self, uri_or_id: str, namespace: str = "") -> str:
        uri = uri_or_id if uri_or_id.startswith("http") else f"https://w3id.org/common-knowledge/{namespace}{uri_or_id}"
        return self.names.get(uri) or _local(uri).replace("-", " ")

    def passages_of(self, concept_id: str) -> list[dict[str, Any]]:
        """Every passage linked to the concept, best first: definitional, then holding a curated
        description of it, then by how much of the passage is about it (mentions against length, a
        short passage's one passing mention not counted as dense), a reference list (a title naming
        the concept) last."""
        entries = list(self.by_concept.get(concept_id, {}).values())
        return sorted(entries, key=lambda e: (not e["defines"], e["reference_list"], not e["described"],
                                              -e["mentions"] / (e["words"] + _PASSING_WORDS), -e["mentions"],
                                              e["passage_id"]))


# words added to every passage's length when mentions are weighed against it: one mention in a 30-word
# passage is a passing one, not denser than three in a 200-word passage
_PASSING_WORDS = 80

_INDEXES: "weakref.WeakKeyDictionary[Library, KnowledgeIndex]" = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def index(library: Library) -> KnowledgeIndex:
    with _LOCK:
        if library not in _INDEXES:
            _INDEXES[library] = KnowledgeIndex(library)
        return _INDEXES[library]


# --- concepts: JSON API ---------------------------------------------------------------------------

def concept_summary(concept: dict[str, Any]) -> dict[str, Any]:
    return {"id": concept["id"], "pref_label": concept["pref_label"], "alt_labels": list(concept.get("alt_labels") or [])}


def concept_list(library: Library, label: str | None = None) -> dict[str, Any]:
    """All concepts A–Z, or with ``label`` the concepts it resolves to, best match first."""
    ix = index(library)
    if label is None or not label.strip():
        ordered = sorted(ix.concepts.values(), key=lambda c: c["pref_label"].casefold())
        return {"results": [concept_summary(c) for c in ordered]}
    results = []
    for match in ix.resolver.resolve(label, limit=10):
        concept = ix.concepts[match["id"]]
        results.append({**concept_summary(concept), "score": match["score"], "matched_label": match["label"]})
    return {"label": label, "results": results, "families": family_matches(ix, label), "ladder": ladder_match(ix, label)}


def ladder_match(ix: KnowledgeIndex, label: str) -> dict[str, Any] | None:
    """The four levels of prevention when ``label`` names them ("levels of prevention", "the four
    levels of prevention", "Hardiker model"): their title, and whether the label is that name and nothing else."""
    from kg.index.text import tokenize

    title = ix.ladder_scheme.get("title") or "The four levels of prevention"
    words, named = set(tokenize(label)), set(tokenize(title))
    if words and any(set(tokenize(name)) == words for name in ix.ladder_scheme.get("labels") or []):
        return {"label": title, "exact": True}      # another of its names ("Hardiker model")
    if len(words) < 2 or not words <= named or not {"level", "levels"} & {w.casefold() for w in label.split()}:
        return None
    return {"label": title, "exact": words == named or len(named - words) <= 1}


def family_matches(ix: KnowledgeIndex, label: str) -> list[dict[str, Any]]:
    """The concept families (skos:Collection) whose name holds every word of ``label``
    ("policy instruments", "relational turn"), each with its number of concepts."""
    from kg.index.text import tokenize

    words = set(tokenize(label))
    if not words:
        return []
    out = []
    for family in ix.families:
        if words <= set(tokenize(family["label"])):
            count = sum(1 for c in ix.concepts.values() if family["id"] in (c.get("families") or []))
            out.append({"id": family["id"], "label": family["label"], "count": count})
    return out


def _definitions(ix: KnowledgeIndex, concept: dict[str, Any], field: str = "definitions") -> list[dict[str, Any]]:
    """The concept's definitions (or, with ``field="descriptions"``, its quoted descriptions), plainest
    first, each with its passage, page and a ready citation."""
    from kg.concepts import rank_definitions

    out = []
    for definition in rank_definitions(concept["id"], concept.get(field) or [], ix.resolver.matcher):
        source_id = definition.get("source_id")
        place = ix.definition_places.get((concept["id"], source_id or "", definition["text"]), {})
        # where the words end, when on a later page than they start ("pp. 4–5")
        ends = ix.quoted_place(source_id, definition["text"]) if place.get("page") is not None else {}
        if ends.get("page") != place.get("page"):
            ends = {}
        source = ix.sources.get(source_id or "")
        reproduced = ix.reproduces_cited_words(source_id or "", definition["text"], definition.get("citation"))
        out.append({
            "text": definition["text"],
            "source_id": source_id,
            "page": place.get("page"),
            "page_label": place.get("page_label"),
            "end_page": ends.get("end_page"),
            "end_page_label": ends.get("end_page_label"),
            "passage_id": place.get("passage_id"),
            "sense": definition.get("sense"),
            "citation": definition.get("citation"),
            # the words are the cited work's (cited as secondary), or the source's own about it
            "cited_words": reproduced,
            "source_title": (source or {}).get("title") or source_id,
            "in_library": source is not None,
            "cite": cite_definition(source, place.get("page"), place.get("page_label"),
                                    definition.get("citation") if reproduced else None,
                                    ix.library.section_of(place.get("passage_id")),
                                    ends.get("end_page"), ends.get("end_page_label")) if source else None,
            "reviewed": True,
        })
    if field == "definitions":
        out += _found_definitions(ix, concept["id"], [d["text"] for d in out])
    return out


def concept_definitions(library: Library, concept_id: str) -> list[dict[str, Any]]:
    """The concept's definitions as its page lists them (plainest first, then those found in the
    text), each with passage, page and citation."""
    ix = index(library)
    concept = ix.concepts.get(concept_id)
    return _definitions(ix, concept) if concept else []


def found_definitions(library: Library, concept_id: str) -> list[dict[str, Any]]:
    """The sentences the build found saying what the concept is that no curated definition repeats."""
    ix = index(library)
    concept = ix.concepts.get(concept_id) or {}
    return _found_definitions(ix, concept_id, [d["text"] for d in concept.get("definitions") or []])


def _found_definitions(ix: KnowledgeIndex, concept_id: str, curated: list[str]) -> list[dict[str, Any]]:
    """The sentences the build found saying what the concept is, after the curated definitions and
    without those that repeat one (or a curated description)."""
    concept = ix.concepts.get(concept_id) or {}
    known = [_squash(t) for t in curated + [d["text"] for d in concept.get("descriptions") or []]]
    out = []
    for found in ix.found_definitions.get(concept_id, []):
        squashed = _squash(found["text"])
        if any(squashed in k or k in squashed for k in known if k):
            continue
        known.append(squashed)
        source = ix.sources.get(found["source_id"])
        out.append({**found, "sense": None, "citation": None, "cited_words": False,
                    "source_title": (source or {}).get("title") or found["source_id"], "in_library": source is not None,
                    "cite": cite_definition(source, found["page"], found["page_label"],
                                            section=ix.library.section_of(found.get("passage_id"))) if source else None,
                    "reviewed": False})
    return out


def clear_best(matches: list[dict[str, Any]]) -> bool:
    """Whether the first of the concept finder's matches is the one meant, so "Go to the best match"
    goes there: the only match, a label as typed (score ≥ 0.9), or a near one well ahead of the next
    ("common knowlege", "relationl agency"); "activity" (activity system, activity theory…) and a homonym
    ("mediation") stay a list."""
    if not matches:
        return False
    best = matches[0].get("score", 0)
    second = matches[1].get("score", 0) if len(matches) > 1 else 0
    if best < NAMES_PART_ONLY:     # "factors" is only a word of "risk factors", "area factors"…
        return False
    return len(matches) == 1 or (best >= 0.9 > second) or (best >= 0.75 and best - second >= 0.1)


# the concept finder's score for a label that merely holds the words asked among others (0.5–0.6:
# kg/labels.py): such a match is a suggestion, never the concept a reader named
NAMES_PART_ONLY = 0.61


def named_concept(library: Library, query: str) -> str | None:
    """The concept a short query names as the concept finder reads it (typos, "resiliency",
    "multi-agency"), when one match is clearly meant; None for a longer text or an unclear match."""
    if len(query.split()) > 6:
        return None
    matches = index(library).resolver.resolve(query, limit=3)
    return matches[0]["id"] if matches and matches[0]["score"] >= 0.7 and clear_best(matches) else None


# what a reference of each type names besides author, year and title, when the catalogue knows it
_VENUE_WORDS = {"journal article": "journal", "book chapter": "book", "presentation slides": "event"}


def reference_gaps(source: dict[str, Any] | None) -> list[str]:
    """What a source's reference lacks because the catalogue does not know it: "author", "year", and
    the journal, book or event its type is published in or given at."""
    if not source:
        return []
    gaps = []
    if not any((a or "").strip() for a in source.get("authors") or []):
        gaps.append("author")
    if not source.get("year"):
        gaps.append("year")
    venue = _VENUE_WORDS.get(source.get("type") or "")
    if venue and not (source.get("venue") or "").strip():
        gaps.append(venue)
    return gaps


def incomplete_reference(source: dict[str, Any] | None) -> str | None:
    """One line beside a citation of a source whose reference is incomplete, saying what is not known
    ("Incomplete reference: no author, year or journal is known for this source."); None when complete."""
    gaps = reference_gaps(source)
    if not gaps:
        return None
    named = gaps[0] if len(gaps) == 1 else f"{', '.join(gaps[:-1])} or {gaps[-1]}"
    return f"Incomplete reference: no {named} is known for this source."


def cite_definition(source: dict[str, Any], page: int | None, page_label: str | None,
                    attributed: str | None = None, section: str | None = None,
                    end_page: int | None = None, end_label: str | None = None) -> dict[str, Any]:
    """ "Cite this definition": a Harvard in-text citation with the page (``section``, the heading its
    passage stands under, where the source has no page numbers: "section 3.4"), and the full reference.
    Words the source reproduces from a work it cites (``attributed``: "CYPU 2001: 37, adapted from
    Hardiker, Exton and Barker 1991") are cited as secondary: "(CYPU 2001: 37, …, cited in NECF, n.d.)"."""
    who = author_short(source)
    year = str(source["year"]) if source.get("year") else "n.d."
    where = locator(page, page_label, source, end_page, end_label) or section_locator(section)
    here = f"{who}, {year}{', ' + where if where else ''}"
    # what the catalogue does not know of the source: the reference cannot be used as it is
    gaps = {"missing": reference_gaps(source), "incomplete": incomplete_reference(source)}
    if attributed and re.search(rf"\b{YEAR_DIGITS}\b", attributed):
        return {"in_text": f"({parenthetical_form(attributed)}, cited in {here})", "reference": harvard_reference(source), **gaps}
    return {"in_text": f"({here})", "reference": harvard_reference(source), **gaps}


def concept_detail(library: Library, concept_id: str) -> dict[str, Any] | None:
    """The JSON of one concept: labels, definitions with source and page, links, studies, sources, passages."""
    ix = index(library)
    concept = ix.concepts.get(concept_id)
    if concept is None:
        return None
    passages = ix.passages_of(concept_id)
    counts: dict[str, dict[str, int]] = {}
    for entry in passages:
        count = counts.setdefault(entry["source_id"], {"mentions": 0, "passages": 0, "reference_list_passages": 0})
        count["mentions"] += entry["mentions"]
        count["passages"] += 1
        count["reference_list_passages"] += entry["reference_list"]
    sources = sorted(counts, key=lambda s: (-counts[s]["mentions"], s))
    return {
        "id": concept["id"],
        "uri": concept["uri"],
        "pref_label": concept["pref_label"],
        "alt_labels": list(concept.get("alt_labels") or []),
        # alt labels that are abbreviations a source gives the name, found at build time, with where
        "found_labels": [{key: f.get(key) for key in ("label", "long_form", "source_id", "passage_id", "page", "page_label")}
                         for f in concept.get("found_labels") or []],
        "notation": concept.get("notation") or None,
        "scope_note": concept.get("scope_note") or None,
        "definitions": _definitions(ix, concept),
        # what the sources say about it without defining it (all a concept no source defines has)
        "descriptions": _definitions(ix, concept, "descriptions"),
        "broader": list(concept.get("broader") or []),
        "narrower": list(concept.get("narrower") or []),
        "related": list(concept.get("related") or []),
        "families": list(concept.get("families") or []),
        "schemes": list(concept.get("schemes") or []),
        "studies": list(concept.get("studies") or []),
        "coined_by": coined_by(library, concept),
        "homonyms": homonyms(ix, concept),
        "sources": sources,
        "source_counts": [{"source_id": s, "title": (ix.sources.get(s) or {}).get("title") or s, **counts[s]} for s in sources],
        "passages": [_passage_json(library, entry) for entry in passages],
    }


def homonyms(ix: "KnowledgeIndex", concept: dict[str, Any]) -> list[dict[str, str]]:
    """Other concepts a name of this one also names ("mediation": Smith's factor, and CHAT's
    mediational means as "mediation (activity theory)"), each with the shared word."""
    out: dict[str, dict[str, str]] = {}
    for label in [concept["pref_label"], *(concept.get("alt_labels") or [])]:
        qualified = QUALIFIED_LABEL_RE.fullmatch(label)
        word = qualified.group(1) if qualified else label
        for match in ix.resolver.named_exactly(word):
            other = ix.concepts.get(match["id"])
            if other and match["id"] != concept["id"] and match["id"] not in out:
                out[match["id"]] = {"id": match["id"], "pref_label": other["pref_label"], "word": word,
                                    "label": match["label"]}
    return list(out.values())


def coined_by(library: Library, concept: dict[str, Any]) -> list[dict[str, Any]]:
    """Who coined the concept, as the sources say: people (and who introduced it, or where a source
    traces it from), the citation, the sentence that says so and its source; the earliest citation first."""
    ix = index(library)
    coinage = sorted(concept.get("coinage") or [], key=lambda c: earliest_year(c.get("citation")))
    places = [ix.quoted_place(c.get("source_id"), c.get("evidence")) for c in coinage]
    def person(p: str) -> dict[str, Any]:
        # in_library: /people/<id> lists their works (a person's id is their graph node's name)
        return {"id": p, "name": ix.name(p, "person/"), "kind": "person", "in_library": library.person(p) is not None}

    def in_cited_order(people: list[dict[str, Any]], citation: str | None) -> list[dict[str, Any]]:
        # the graph keeps co-authors as a set: give them in the order the citation names them
        # ("Hardiker, Exton and Barker 1991"), those it does not name after, as they were
        folded = (citation or "").casefold()

        def place(entry: dict[str, Any]) -> int:
            surname = entry["name"].split()[-1].casefold() if entry["name"] else ""
            found = folded.find(surname) if surname else -1
            return found if found >= 0 else len(folded) + 1
        return sorted(people, key=place)

    return [{
        "by": in_cited_order([person(p) for p in c.get("by") or []], c.get("citation")),
        "introduced_by": [_introducer(library, ix, p) for p in c.get("introduced_by") or []],
        # where the source starts the concept's tradition, not who named it ("We need to start with Vygotsky")
        "traced_to": in_cited_order([person(p) for p in c.get("traced_to") or []], c.get("citation")),
        "citation": c.get("citation"),
        "year": citation_year(c.get("citation")),      # the earliest year or decade the citation names
        "evidence": c.get("evidence"),
        "source_id": c.get("source_id"),
        # the passage holding the evidence, and its page, as for a definition (None when not found)
        "passage_id": place.get("passage_id"),
        "page": place.get("page"),
        "page_label": place.get("page_label"),
        "end_page": place.get("end_page"),
        "end_page_label": place.get("end_page_label"),
    } for c, place in zip(coinage, places)]


def placed_coinage(library: Library, coined: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Coinages (``coined_by``) as a page shows them: with their source's title, whether the library
    holds that source, and the page marker ("p. 3"; "section 3.4" where the source has no page numbers;
    "page not known" left to the template)."""
    ix = index(library)
    for coinage in coined:
        source = ix.sources.get(coinage["source_id"] or "")
        coinage["source_title"] = (source or {}).get("title") or coinage["source_id"]
        coinage["in_library"] = source is not None
        coinage["page_marker"] = library.place(coinage["source_id"], coinage["page"], coinage["page_label"],
                                               coinage.get("passage_id"), coinage.get("end_page"),
                                               coinage.get("end_page_label"))
    return coined


_YEAR_OR_DECADE_RE = re.compile(r"\b(1[89]\d\d|20\d\d)(?:s\b|\b)")


def earliest_year(citation: str | None) -> int:
    """The earliest year a citation names ("Edwards 2009 [R3]; Edwards 2005, 2007" → 2005), a decade
    counting as its first year ("Vygotsky (1920s and early 1930s)" → 1920); 9999 for none."""
    year = citation_year(citation)
    return int(year[:4]) if year else 9999


def citation_year(citation: str | None) -> str | None:
    """The earliest year or decade a citation names, as written ("1978", "1920s"); None for none."""
    found = [(int(m.group(1)), m.group(0)) for m in _YEAR_OR_DECADE_RE.finditer(citation or "")]
    return min(found)[1] if found else None


# what introduced a concept, by the namespace of its node: its kind and the id the API knows it by
_INTRODUCER_KINDS = (("org/", "organization", "org-"), ("concept/", "concept", ""), ("policy/", "policy", ""),
                     ("person/", "person", ""), ("study/", "study", ""))


def _introducer(library: Library, ix: KnowledgeIndex, local: str) -> dict[str, Any]:
    """A body, person, policy, Act (a concept) or study that introduced a concept: its id as the API knows
    it ("org-dfes" for a body, as /api/people has it; a concept's id for an Act the scheme holds), its
    ``kind``, its name, and ``in_library`` (a page of its own: /people/<id>, /concepts/<id>, /studies/<id>)."""
    for namespace, kind, prefix in _INTRODUCER_KINDS:
        uri = f"https://w3id.org/common-knowledge/{namespace}{local}"
        if uri in ix.names:
            node_id = prefix + local
            found = {"organization": library.person, "person": library.person, "concept": library.concept,
                     "study": library.study}.get(kind, lambda _: None)(node_id)
            return {"id": node_id, "name": ix.names[uri], "kind": kind, "in_library": found is not None}
    return {"id": local, "name": local.replace("-", " "), "kind": None, "in_library": False}


def _passage_json(library: Library, entry: dict[str, Any]) -> dict[str, Any]:
    passage = library.passage(entry["passage_id"]) or {}
    return {
        "passage_id": entry["passage_id"],
        "source_id": entry["source_id"],
        "text": passage.get("text", ""),
        "page": passage.get("page"),
        "page_label": passage.get("page_label"),
        "defines": entry["defines"],
        "mentions": entry["mentions"],
        "density": entry["density"],
        "described": entry["described"],               # it holds a curated quotation about the concept
        "reference_list": entry["reference_list"],     # a work's title naming it in a list of references
        "mentioned_as": entry["mentioned_as"],         # words taken for it by a hidden label ("working relationally")
        "hidden_mentions": entry["hidden_mentions"],   # how many of the mentions are those words
    }


# --- concepts: HTML pages -------------------------------------------------------------------------

def _excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def concept_page(library: Library, concept_id: str) -> dict[str, Any] | None:
    ix = index(library)
    data = concept_detail(library, concept_id)
    if data is None:
        return None

    def link(cid: str) -> dict[str, str]:
        concept = ix.concepts.get(cid)
        return {"id": cid, "label": concept["pref_label"] if concept else cid.replace("-", " "), "known": concept is not None}

    studies = library.studies()
    competing: dict[str, list[dict[str, Any]]] = {}     # sense → its definitions, senses in order of first appearance
    for d in data["definitions"]:
        if d["sense"]:
            competing.setdefault(d["sense"], []).append(d)
    plain = [d for d in data["definitions"] if not d["sense"] and d["reviewed"]]
    top = []
    # a reference list names the concept in a title and says nothing of it: no evidence, unless it is all there is
    discussing = [p for p in data["passages"] if not p["reference_list"]] or data["passages"]
    for passage in discussing[:TOP_PASSAGES]:
        source = ix.sources.get(passage["source_id"]) or {}
        top.append({**passage, "excerpt": _excerpt(passage["text"]), "source_title": source.get("title") or passage["source_id"],
                    "page_marker": locator(passage["page"], passage["page_label"], source)})
    for definition in data["definitions"] + data["descriptions"]:
        # where the source has no page numbers, the section the words stand in, as "cite this" names it
        definition["page_marker"] = library.place(definition.get("source_id"), definition["page"], definition["page_label"],
                                                  definition.get("passage_id"), definition.get("end_page"),
                                                  definition.get("end_page_label"))
    placed_coinage(library, data["coined_by"])
    for found in data["found_labels"]:
        source = ix.sources.get(found["source_id"]) or {}
        found["source_title"] = source.get("title") or found["source_id"]
        found["page_marker"] = library.place(found["source_id"], found["page"], found["page_label"], found["passage_id"])
    return {
        **data,
        "plain_definitions": plain,
        "found_definitions": [d for d in data["definitions"] if not d["reviewed"]],
        "reviewed_definitions": sum(1 for d in data["definitions"] if d["reviewed"]),
        "competing_senses": [{"sense": sense, "heading": f"{sense[:1].upper()}{sense[1:]} sense", "definitions": found}
                             for sense, found in competing.items()],
        "broader_links": [link(c) for c in data["broader"]],
        "narrower_links": [link(c) for c in data["narrower"]],
        "related_links": [link(c) for c in data["related"]],
        "family_links": [f for f in ix.families if f["id"] in data["families"]],
        "study_links": [{"id": s, "name": (studies.get(s) or {}).get("name") or s,
                         "acronym": (studies.get(s) or {}).get("acronym"), "known": s in studies}
                        for s in data["studies"]],
        "top_passages": top,
        "passage_total": len(data["passages"]),
    }


def concept_browser(library: Library) -> dict[str, Any]:
    """A–Z list, the families with their broader/narrower trees, and the prevention ladder."""
    ix = index(library)
    ordered = sorted(ix.concepts.values(), key=lambda c: c["pref_label"].casefold())
    letters: dict[str, list[dict[str, Any]]] = {}
    for concept in ordered:
        first = concept["pref_label"][:1].upper()
        letters.setdefault(first if first.isalpha() else "#", []).append(
            {"id": concept["id"], "label": concept["pref_label"], "passages": len(ix.by_concept.get(concept["id"], {}))})
    families = []
    for family in ix.families:
        members = {cid for cid, c in ix.concepts.items() if family["id"] in (c.get("families") or [])}
        if not members:
            continue
        roots = sorted((cid for cid in members if not set(ix.concepts[cid].get("broader") or []) & members),
                       key=lambda cid: ix.concepts[cid]["pref_label"].casefold())
        families.append({**family, "count": len(members), "tree": [_tree(ix, cid, members, set()) for cid in roots]})
    ladder = []
    for concept in ix.ladder_levels:
        if concept.get("notation"):
            definitions = _definitions(ix, concept)
            ladder.append({"id": concept["id"], "label": concept["pref_label"], "notation": concept["notation"],
                           "scope_note": concept.get("scope_note"),
                           "definition": definitions[0] if definitions else None})
    scheme = ix.ladder_scheme
    return {
        "count": len(ordered),
        "letters": [{"letter": k, "concepts": v} for k, v in sorted(letters.items())],
        "families": families,
        "ladder": ladder,
        "ladder_title": scheme.get("title") or "The four levels of prevention",
        "ladder_source": scheme.get("bibliographicCitation"),
        "ladder_provenance": scheme.get("provenance"),
        "ladder_sources": [{"id": s, "title": (ix.sources.get(s) or {}).get("title") or s, "in_library": s in ix.sources}
                           for s in scheme.get("sources", [])],
    }


def _tree(ix: KnowledgeIndex, cid: str, members: set[str], seen: set[str]) -> dict[str, Any]:
    seen = seen | {cid}
    children = sorted((c for c in ix.concepts[cid].get("narrower") or [] if c in ix.concepts and c not in seen),
                      key=lambda c: ix.concepts[c]["pref_label"].casefold())
    # narrower concepts are given by skos:broader on the child as well
    children += sorted((c for c, concept in ix.concepts.items() if cid in (concept.get("broader") or [])
                        and c not in seen and c not in children), key=lambda c: ix.concepts[c]["pref_label"].casefold())
    node = {"id": cid, "label": ix.concepts[cid]["pref_label"], "children": [], "home": None}
    home = None if cid in members else next((f for f in ix.families if f["id"] in (ix.concepts[cid].get("families") or [])), None)
    if home:        # a narrower concept filed in another family: named here, counted and drawn out there
        node["home"] = {"id": home["id"], "label": home["label"]}
        return node
    node["children"] = [_tree(ix, c, members, seen) for c in children]
    return node


# --- studies --------------------------------------------------------------------------------------

STUDY_SUMMARY_FIELDS = ("id", "name", "acronym", "funder", "years", "sources")


def study_summary(study: dict[str, Any]) -> dict[str, Any]:
    out = {name: study.get(name) for name in STUDY_SUMMARY_FIELDS}
    out["funder_names"] = study.get("funder_names") or []
    return out


def study_list(library: Library) -> dict[str, Any]:
    return {"results": [_with_reporting(library, study_summary(s), s) for s in library.studies().values()]}


def _with_reporting(library: Library, out: dict[str, Any], study: dict[str, Any]) -> dict[str, Any]:
    """``sources`` are every source that refers to the study; ``reported_in`` those that report it (what
    the study filter searches), ``cited_only_in`` those naming it only in their reference list."""
    out["reported_in"] = library.reporting_sources(study)
    out["cited_only_in"] = [s for s in study.get("sources") or [] if s not in out["reported_in"]]
    return out


def study_detail(library: Library, study_id: str) -> dict[str, Any] | None:
    study = library.study(study_id)
    if study is None:
        return None
    ix = index(library)
    concepts = sorted((c["id"] for c in ix.concepts.values() if study_id in (c.get("studies") or [])),
                      key=lambda cid: ix.concepts[cid]["pref_label"].casefold())
    passages = []
    found = [(entry, library.passage(entry["passage_id"]) or {}) for entry in study["passages"]]
    # most mentions first, a reference list (which names a study in the titles of its outputs) last
    for entry, passage in sorted(found, key=lambda f: (is_bibliography(f[1]), -f[0]["mentions"], f[0]["passage_id"])):
        passages.append({"passage_id": entry["passage_id"], "source_id": passage.get("source_id"),
                         "text": passage.get("text", ""), "page": passage.get("page"),
                         "page_label": passage.get("page_label"), "mentions": entry["mentions"]})
    out = _with_reporting(library, study_summary(study), study)
    out.update({key: value for key, value in study.items() if key not in out and key != "passages"})
    out["concepts"] = concepts
    out["passages"] = passages
    out["stated_in"] = attribute(study, library.passages, library.studies(), ix.attribution_cache)
    return out


def study_page(library: Library, study_id: str) -> dict[str, Any] | None:
    data = study_detail(library, study_id)
    if data is None:
        return None
    ix = index(library)
    data["concept_links"] = [{"id": c, "label": ix.concepts[c]["pref_label"]} for c in data["concepts"]]
    data["source_links"] = [{"id": s, "title": (ix.sources.get(s) or {}).get("title") or s, "in_library": s in ix.sources,
                             "cited_only": s in data["cited_only_in"]}
                            for s in sorted(set(data["sources"]) | set(data["referenced_by"]))]
    for facts in data["stated_in"].values():
        for fact in facts:
            for where in fact["sources"]:
                source = ix.sources.get(where["source_id"])
                where["label"] = _source_label(source) if source else where["source_id"]
                where["title"] = (source or {}).get("title") or where["source_id"]
                where["in_library"] = source is not None
    for passage in data["passages"]:
        passage["excerpt"] = _excerpt(passage["text"])
        passage["page_marker"] = locator(passage["page"], passage["page_label"], ix.sources.get(passage["source_id"] or ""))
        passage["source_title"] = (ix.sources.get(passage["source_id"] or "") or {}).get("title") or passage["source_id"]
    return data


def _source_label(source: dict[str, Any]) -> str:
    """A source named in a line: "Jopling and Vincent (2020)", or its title cut short when no author is known."""
    if not source.get("authors"):
        return short_title(source.get("title", "").strip("[]"), 40)
    return f"{author_short(source)} ({source['year']})" if source.get("year") else author_short(source)


def study_index_page(library: Library) -> dict[str, Any]:
    rows = []
    for study in library.studies().values():
        rows.append({**study_summary(study), "passage_count": len(study["passages"]), "description": study.get("description")})
    return {"studies": rows}
